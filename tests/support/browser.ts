import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';

/**
 * Debian's Chromium, headless. Background networking is off: this machine's closed network would
 * refuse its connections, many at a time.
 */
export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-quic', '--no-first-run', '--disable-component-update', '--disable-sync'];

/**
 * What a test file gets: contexts and pages of its own in a browser it shares. `close()` closes
 * this file's contexts, not the browser.
 */
export interface TestBrowser {
  newContext(options?: Parameters<Browser['newContext']>[0]): Promise<BrowserContext>;
  newPage(options?: Parameters<Browser['newContext']>[0]): Promise<Page>;
  close(): Promise<void>;
}

/**
 * Starting Chromium costs about 3 s of CPU, so a Vitest worker starts it once for all its files
 * (`isolate: false` keeps this module, and so the browser, between files). Files stay apart the way
 * two sites do in one browser: every context has its own cookies, storage and cache. Playwright
 * kills the browser when the worker exits.
 */
let shared: Promise<Browser> | undefined;

async function browser(): Promise<Browser> {
  const running = await (shared ??= chromium.launch({ executablePath: CHROMIUM, args: ARGS }));
  if (running.isConnected()) return running;
  shared = undefined;
  return browser();
}

export async function launchChromium(): Promise<TestBrowser> {
  const chrome = await browser();
  const contexts: BrowserContext[] = [];
  const newContext = async (options?: Parameters<Browser['newContext']>[0]) => {
    const context = await chrome.newContext(options);
    contexts.push(context);
    return context;
  };
  return {
    newContext,
    newPage: async (options) => (await newContext(options)).newPage(),
    close: async () => void (await Promise.all(contexts.splice(0).map((context) => context.close()))),
  };
}
