import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runSend } from '../../src/pipeline.js';
import { REPO } from '../support/workspace.js';
import { headerValue } from '../support/smtp.js';
import { linkIn, startWebHarness, type WebHarness } from './harness.js';
import { launchChromium, type TestBrowser } from '../support/browser.js';

/**
 * The whole subscriber journey in Debian's Chromium against the real server, real SMTP and a real
 * database: sign up, confirm from the received email, change topics, unsubscribe through the
 * digest's footer link, resubscribe. Every page is kept as a screenshot at 375 and 1280 px.
 */
const SHOTS = join(REPO, 'test-results', 'web');

let browser: TestBrowser;
let h: WebHarness;

beforeAll(async () => {
  mkdirSync(SHOTS, { recursive: true });
  browser = await launchChromium();
  h = await startWebHarness();
}, 60_000);
afterAll(async () => {
  await browser?.close();
  await h?.close();
});

/** Screenshots at phone and desktop width; checks that nothing scrolls sideways on the phone. */
async function shoot(page: Page, name: string): Promise<void> {
  await page.setViewportSize({ width: 375, height: 812 });
  expect(await page.evaluate<number>('document.documentElement.scrollWidth'), `${name} fits 375 px`).toBeLessThanOrEqual(375);
  await page.screenshot({ path: join(SHOTS, `${name}-375.png`), fullPage: true });
  await page.setViewportSize({ width: 1280, height: 900 });
  await page.screenshot({ path: join(SHOTS, `${name}-1280.png`), fullPage: true });
  await page.setViewportSize({ width: 375, height: 812 });
}

const subscriber = async () => (await h.otherApp()).store.findSubscriber('reader@example.org');

describe('the subscriber journey in a browser', () => {
  it('sign up → confirm → change topics → unsubscribe from the footer → resubscribe', async () => {
    const context = await browser.newContext({ viewport: { width: 375, height: 812 }, javaScriptEnabled: false });
    const page = await context.newPage();
    const problems: string[] = [];
    // Errors on our own pages only (the digest itself, opened from the email, links to outside hosts).
    page.on('console', (m) => m.type() === 'error' && page.url().startsWith(h.url) && problems.push(`${page.url()}: ${m.text()} ${m.location().url}`));

    await page.goto(h.url);
    expect(await page.getAttribute('html', 'lang')).toBe('en');
    await shoot(page, '01-signup');
    // Keyboard only: labels lead to the fields, Space ticks a box, Enter submits.
    await page.getByLabel('Email address').fill('Reader@Example.org');
    await page.keyboard.press('Tab');
    await page.keyboard.type('Rea');
    await page.getByLabel('Trade').focus();
    await page.keyboard.press('Space');
    await page.getByLabel('Surveillance').check();
    await page.getByLabel('Email address').press('Enter');
    await expect.poll(() => page.locator('h1').textContent()).toBe('Check your inbox');
    await shoot(page, '02-check-inbox');
    await h.server.idle();
    expect(await subscriber()).toMatchObject({ status: 'pending', name: 'Rea', categories: ['Surveillance', 'Trade'] });

    const confirmation = await h.mailTo('reader@example.org');
    await page.goto(linkIn(confirmation.parsed.text, `${h.url}confirm/`));
    await shoot(page, '03-confirm');
    expect((await subscriber())?.status).toBe('pending');
    await page.getByRole('button', { name: 'Yes, subscribe me' }).click();
    await expect.poll(() => page.locator('h1').textContent()).toBe('You are subscribed');
    await shoot(page, '04-confirmed');
    expect((await subscriber())?.status).toBe('active');

    h.clock.now += 1000;
    expect((await runSend(h.app, { cadence: 'weekly' })).tally.sent).toBe(1);
    const digest = h.smtp.to('reader@example.org').find((r) => headerValue(r.parsed, 'List-Id') !== undefined)!; // the digest, not sign-up mail
    // A blank page first: the digest must not inherit the site's Content-Security-Policy.
    const openDigest = async () => {
      await page.goto('about:blank');
      await page.setContent(String(digest.parsed.html));
    };

    await openDigest();
    await page.getByRole('link', { name: 'Choose topics or cadence' }).click();
    await expect.poll(() => page.locator('h1').textContent()).toBe('Your preferences');
    await page.getByLabel('Trade').uncheck();
    await page.getByLabel('Sanctions').check();
    await page.getByRole('button', { name: 'Save preferences' }).click();
    await expect.poll(() => page.getByRole('status').first().textContent()).toContain('Your preferences are saved.');
    await shoot(page, '05-preferences-saved');
    expect((await subscriber())?.categories).toEqual(['Sanctions', 'Surveillance']);

    await openDigest();
    await page.getByRole('link', { name: 'Unsubscribe' }).click();
    await expect.poll(() => page.locator('h1').textContent()).toBe('Unsubscribe');
    await shoot(page, '06-unsubscribe');
    expect((await subscriber())?.status).toBe('active');
    await page.getByRole('button', { name: 'Unsubscribe from everything' }).click();
    await expect.poll(() => page.locator('h1').textContent()).toBe('You are unsubscribed');
    await shoot(page, '07-unsubscribed');
    expect((await subscriber())?.status).toBe('unsubscribed');

    await page.getByRole('link', { name: 'Resubscribe or choose topics' }).click();
    await page.getByRole('button', { name: 'Resubscribe' }).click();
    await expect.poll(() => page.getByRole('status').first().textContent()).toContain('Welcome back');
    await shoot(page, '08-resubscribed');
    expect((await subscriber())?.status).toBe('active');

    expect(problems).toEqual([]);
    await page.goto(`${h.url}archive`);
    await page.locator('ul.editions a').first().click();
    await shoot(page, '09-archive-edition');
    expect(await page.content()).not.toContain('reader@example.org');
    // The digest's web-font link is the only thing the archive's CSP refuses (no third-party requests).
    expect(problems.filter((p) => !p.includes('fonts.googleapis.com'))).toEqual([]);
    await context.close();
  }, 90_000); // a long journey with many full-page screenshots, on a shared machine
});

/** WCAG contrast of every element's own text against the first opaque background behind it. */
const LOW_CONTRAST = `(() => {
  const rgb = (c) => (c.match(/[\\d.]+/g) || []).map(Number);
  const lum = ([r, g, b]) => [r, g, b].map((v) => { v /= 255; return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4; }).reduce((s, v, i) => s + v * [0.2126, 0.7152, 0.0722][i], 0);
  const bg = (el) => { for (; el; el = el.parentElement) { const c = rgb(getComputedStyle(el).backgroundColor); if (c.length === 3 || c[3] === 1) return c; } return [255, 255, 255]; };
  const low = [];
  for (const el of document.querySelectorAll('body *')) {
    const own = [...el.childNodes].some((n) => n.nodeType === 3 && n.textContent.trim());
    if (!own || el.offsetParent === null) continue;
    const [a, b] = [lum(rgb(getComputedStyle(el).color)), lum(bg(el))];
    const ratio = (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05);
    if (ratio < 4.5) low.push(el.tagName + ' "' + el.textContent.trim().slice(0, 30) + '" ' + ratio.toFixed(2));
  }
  return low;
})()`;

describe('accessibility', () => {
  it('every text on the pages has at least 4.5:1 contrast, and every field a label', async () => {
    await h.app.store.upsertSubscribers([{ email: 'contrast@example.org', status: 'active' }], new Date(h.clock.now));
    const id = (await h.app.store.findSubscriber('contrast@example.org'))!.id;
    const page = await browser.newPage();
    for (const path of ['', `preferences/${h.app.signer.sign('preferences', id)}`, `unsubscribe/${h.app.signer.sign('unsubscribe', id)}`, 'archive', 'unsubscribe/bad']) {
      await page.goto(`${h.url}${path}`);
      expect(await page.evaluate<string[]>(LOW_CONTRAST), path).toEqual([]);
      const unlabelled = await page.evaluate<string[]>(`[...document.querySelectorAll('input:not([type=hidden]), select')].filter((el) => !el.labels || el.labels.length === 0).map((el) => el.name)`);
      expect(unlabelled, path).toEqual([]);
    }
    await page.close();
  });
});
