import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { App } from '../../src/app.js';
import { previewMessage, type PreviewMessage } from '../../src/edition/preview-message.js';
import { launchChromium, type TestBrowser } from '../support/browser.js';
import { axeViolations, contrastOfText, stripUnsupportedCss, visibleTexts } from '../support/email-audit.js';
import { createWorkspace, REPO, type Workspace } from '../support/workspace.js';

/**
 * The seed digest (ten posts) as a reader gets it, checked in Chromium: nothing whose visibility
 * depends on CSS Gmail or Outlook strip, contrast ≥ 4.5:1 for every text node in light and dark
 * schemes (and under Gmail-style inversion), axe-core without serious or critical findings, the
 * size budget, SpamAssassin's local rules. Screenshots at 600 and 375 px, light and dark, are kept
 * in test-results/email/.
 */
const SHOTS = join(REPO, 'test-results', 'email');
const MAX_HTML_BYTES = 55 * 1024;
const MIN_CONTRAST = 4.5;

let ws: Workspace;
let app: App;
let message: PreviewMessage;
let browser: TestBrowser;
let context: BrowserContext;

beforeAll(async () => {
  mkdirSync(SHOTS, { recursive: true });
  ws = createWorkspace();
  app = await ws.app({ now: () => new Date('2026-06-01T08:00:00Z') });
  await app.store.upsertSubscribers([{ email: 'ada@example.org', name: 'Ada Lovelace' }], app.now());
  const result = await previewMessage(app, { cadence: 'weekly', email: 'ada@example.org' });
  message = result.message!;
  browser = await launchChromium();
  context = await browser.newContext({ javaScriptEnabled: true });
}, 60_000);

afterAll(async () => {
  await browser?.close();
  await app?.close();
  ws?.cleanup();
});

/**
 * The message loaded afresh (a new document: nothing injected or changed by an earlier test
 * survives) in one of the file's two tabs. Tabs are kept between tests: a new one costs Chromium a
 * renderer process, about half a second of CPU; loading the message again in an open one does not.
 */
const tabs: Page[] = [];
async function open(width: number, scheme: 'light' | 'dark' = 'light', tab = 0): Promise<Page> {
  let page = tabs[tab];
  if (!page) {
    page = await context.newPage();
    // Images are remote and the network is closed: the email must read well without them anyway.
    await page.route('**/*', (route) => route.abort());
    tabs[tab] = page;
  }
  await page.setViewportSize({ width, height: 900 });
  await page.emulateMedia({ colorScheme: scheme });
  await page.setContent(message.html, { waitUntil: 'load' });
  return page;
}

const lowContrast = (findings: { ratio: number }[]) => findings.filter((f) => f.ratio < MIN_CONTRAST);

describe('the seed digest', () => {
  it('carries all ten posts in at most 55 KB of HTML', () => {
    expect(message.posts).toHaveLength(10);
    const bytes = Buffer.byteLength(message.html);
    writeFileSync(join(SHOTS, 'size.txt'), `${bytes} bytes of HTML (${(bytes / 1024).toFixed(1)} KB), ${message.html.match(/<table/g)?.length ?? 0} tables\n`);
    expect(bytes).toBeLessThanOrEqual(MAX_HTML_BYTES);
  });

  it('shows exactly the same text when the CSS Gmail and Outlook strip is removed', async () => {
    for (const width of [600, 375]) {
      const page = await open(width);
      const before = await visibleTexts(page);
      await stripUnsupportedCss(page);
      const after = await visibleTexts(page);
      expect(after, `at ${width} px`).toEqual(before);
      expect(before.join(' ')).toContain('Read more');
      expect(before.join(' ')).not.toMatch(/Read more about/);
    }
  });

  it('has contrast of at least 4.5:1 for every text node, light and dark, and when a client inverts colours', async () => {
    for (const scheme of ['light', 'dark'] as const) {
      const page = await open(600, scheme);
      const findings = await contrastOfText(page);
      expect(findings.length).toBeGreaterThan(50);
      expect(lowContrast(findings), `${scheme} scheme`).toEqual([]);
      if (scheme === 'light') {
        for (const invert of ['full', 'partial'] as const) expect(lowContrast(await contrastOfText(page, { invert })), `${invert} inversion`).toEqual([]);
      }
    }
  });

  it('really changes colours in dark mode, for prefers-color-scheme and for Outlook.com\'s data-ogsc hooks', async () => {
    const light = await open(600, 'light');
    const dark = await open(600, 'dark', 1);
    const background = (page: Page) => page.evaluate<string>(`getComputedStyle(document.querySelector('.card')).backgroundColor`);
    expect(await background(light)).toBe('rgb(255, 255, 255)');
    expect(await background(dark)).not.toBe('rgb(255, 255, 255)');
    expect(await light.locator('meta[name="color-scheme"]').getAttribute('content')).toBe('light dark');
    // Outlook.com marks the elements it recolours; the same dark palette then applies.
    await light.evaluate(`document.querySelectorAll('div, td, body').forEach((e) => { e.setAttribute('data-ogsc', ''); e.setAttribute('data-ogsb', ''); })`);
    expect(await background(light)).toBe(await background(dark));
    expect(lowContrast(await contrastOfText(light))).toEqual([]);
  });

  it('has an h1, a main landmark, topic headings in contents order, one lead story and no category every post carries', async () => {
    const page = await open(600);
    expect(await page.locator('h1').count()).toBe(1);
    expect(await page.locator('[role="main"]').count()).toBe(1);
    const contents = await page.locator('.toc p:not(:has(a))').allTextContents();
    const headings = await page.locator('h2[id^="topic-"]').allTextContents();
    expect(headings.map((h) => h.trim())).toEqual(contents.map((c) => c.trim()));
    const tocTitles = await page.locator('.toc a').allTextContents();
    expect(await page.locator('h3').allTextContents()).toEqual(tocTitles);
    expect(await page.locator('h3.lead').count()).toBe(1);
    expect(await page.locator('h3').first().getAttribute('class')).toBe('lead');
    // Every post carries "International Governments": no card prints it.
    for (const meta of await page.locator('h3 + p').allTextContents()) expect(meta).not.toContain('International Governments');
    expect(await page.locator('a:text-is("Read more →")').count()).toBe(10);
    // Contents links go to the archive copy's anchors, which work in every phone app.
    for (const href of await page.locator('.toc a').evaluateAll((as) => as.map((a) => a.getAttribute('href')))) expect(href).toMatch(/^https:\/\/digest\.example\.org\/archive\/1#post-/);
  });

  it('has no serious or critical axe-core violation, light or dark', async () => {
    // One page, the scheme switched in place: axe-core is parsed once for both runs.
    const page = await open(600);
    for (const scheme of ['light', 'dark'] as const) {
      await page.emulateMedia({ colorScheme: scheme });
      expect(await page.evaluate(`matchMedia('(prefers-color-scheme: ${scheme})').matches`), scheme).toBe(true);
      expect(await axeViolations(page), scheme).toEqual([]);
    }
  });

  it('keeps screenshots at 600 and 375 px, light and dark', async () => {
    for (const width of [600, 375]) {
      const page = await open(width);
      for (const scheme of ['light', 'dark'] as const) {
        await page.emulateMedia({ colorScheme: scheme });
        expect(await page.evaluate(`matchMedia('(prefers-color-scheme: ${scheme})').matches`), scheme).toBe(true);
        expect(await page.evaluate<number>('document.documentElement.scrollWidth'), `${width} ${scheme}`).toBeLessThanOrEqual(width);
        const path = join(SHOTS, `digest-${width}-${scheme}.png`);
        await page.screenshot({ path, fullPage: true });
        expect(existsSync(path)).toBe(true);
      }
    }
  });
});

const SPAMASSASSIN = ['/usr/bin/spamassassin', '/usr/local/bin/spamassassin'].find((p) => existsSync(p));

describe.skipIf(!SPAMASSASSIN)(`SpamAssassin with local rules${SPAMASSASSIN ? '' : ' (skipped: spamassassin is not installed; scripts/ensure-spamassassin.sh installs it)'}`, () => {
  it('scores the digest at 0 points or less', () => {
    const run = spawnSync(SPAMASSASSIN!, ['-L', '-t'], { input: message.eml, encoding: 'utf8', timeout: 120_000 });
    const status = /^X-Spam-Status: .*?score=(-?[\d.]+)[\s\S]*?(?=^\S)/m.exec(run.stdout);
    writeFileSync(join(SHOTS, 'spamassassin.txt'), run.stdout.slice(run.stdout.indexOf('Content analysis details')));
    expect(status, run.stderr).not.toBeNull();
    expect(Number(status![1]), status![0]).toBeLessThanOrEqual(0);
  }, 150_000);
});

