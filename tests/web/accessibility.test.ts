import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runSend } from '../../src/pipeline.js';
import { signedLink } from '../../src/tokens.js';
import { launchChromium, type TestBrowser } from '../support/browser.js';
import { axeViolations, contrastOfText } from '../support/email-audit.js';
import { REPO } from '../support/workspace.js';
import { addActiveAda, form, signedLinkFor, startWebHarness, type WebHarness } from './harness.js';

/**
 * Every public page, the archive's edition page included, through axe-core in Chromium (no
 * serious or critical violation) and a contrast check of every text node (light and dark scheme);
 * and which of them search engines may index (PUBLIC_INDEXING).
 */
const SHOTS = join(REPO, 'test-results', 'web');
let h: WebHarness;
let browser: TestBrowser;
let page: Page;
let pages: Record<string, string>;

beforeAll(async () => {
  mkdirSync(SHOTS, { recursive: true });
  h = await startWebHarness();
  const ada = await addActiveAda(h);
  const edition = (await runSend(h.app, { cadence: 'weekly' })).edition!;
  pages = {
    signup: h.url,
    archive: `${h.url}archive`,
    edition: `${h.url}archive/${edition.number}`,
    confirm: signedLink(h.app.signer, h.app.config.publicUrl, 'confirm', ada, new Date(h.clock.now + 3_600_000)),
    preferences: signedLinkFor(h, 'preferences', ada),
    unsubscribe: signedLinkFor(h, 'unsubscribe', ada),
    'unsubscribe-help': `${h.url}unsubscribe`,
    'bad-link': `${h.url}preferences/not-a-token`,
    'not-found': `${h.url}nothing-here`,
  };
  browser = await launchChromium();
  // The pages' CSP forbids scripts; the audit injects axe-core, so this context ignores the CSP.
  const context = await browser.newContext({ bypassCSP: true });
  await context.route(/^https?:\/\/(?!127\.0\.0\.1)/, (route) => route.abort());
  // One tab for every page: same-site navigations keep its renderer, which then compiles the
  // injected axe-core faster each time. Each test loads its own page and sets its own scheme.
  page = await context.newPage();
}, 60_000);

afterAll(async () => {
  await browser?.close();
  await h?.close();
});

describe('public pages', () => {
  const NAMES = ['signup', 'archive', 'edition', 'confirm', 'preferences', 'unsubscribe', 'unsubscribe-help', 'bad-link', 'not-found', 'check-inbox'];
  for (const name of NAMES) {
    it(`${name}: no serious or critical axe-core violation and 4.5:1 contrast, light and dark`, async () => {
      // One load per page: the scheme is switched in place, so axe-core is parsed once for both.
      await page.emulateMedia({ colorScheme: 'light' });
      if (name === 'check-inbox') await page.goto('about:blank'); // a new document: nothing injected before survives
      if (name === 'check-inbox') await page.setContent(await (await fetch(`${h.url}subscribe`, { method: 'POST', body: form({ email: 'new@example.org' }) })).text());
      else await page.goto(pages[name]!);
      for (const scheme of ['light', 'dark'] as const) {
        await page.emulateMedia({ colorScheme: scheme });
        expect(await page.evaluate(`matchMedia('(prefers-color-scheme: ${scheme})').matches`), scheme).toBe(true);
        expect(await axeViolations(page), scheme).toEqual([]);
        expect((await contrastOfText(page)).filter((f) => f.ratio < 4.5), scheme).toEqual([]);
        if (name === 'edition') await page.screenshot({ path: join(SHOTS, `archive-edition-${scheme}.png`), fullPage: true });
      }
    });
  }

  it('are indexable only where PUBLIC_INDEXING allows: sign-up and archive by default, never a personal page', async () => {
    const robots = async (url: string) => /<meta name="robots" content="([^"]+)">/.exec(await (await fetch(url)).text())?.[1];
    for (const name of ['signup', 'archive', 'edition']) expect(await robots(pages[name]!), name).toBe('index, follow');
    for (const name of ['confirm', 'preferences', 'unsubscribe', 'unsubscribe-help', 'bad-link', 'not-found']) expect(await robots(pages[name]!), name).toBe('noindex');
    const closed = await startWebHarness({ PUBLIC_INDEXING: 'none' });
    try {
      await addActiveAda(closed);
      const n = (await runSend(closed.app, { cadence: 'weekly' })).edition!.number;
      for (const path of ['', 'archive', `archive/${n}`]) expect(await robots(`${closed.url}${path}`), path).toBe('noindex');
    } finally {
      await closed.close();
    }
  });
});
