import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium, type TestBrowser } from '../support/browser.js';
import { REPO } from '../support/workspace.js';
import { previewFixture, type PreviewFixture } from './fixture.js';

/**
 * The preview page at 1440, 900 and 390 px in Chromium: nothing overlaps, nothing is cut off, and
 * a broken post is the first thing the editor sees among the left-out posts and the warnings.
 */
const SHOTS = join(REPO, 'test-results', 'preview');
let browser: TestBrowser;
let f: PreviewFixture;
let page: Page;

beforeAll(async () => {
  mkdirSync(SHOTS, { recursive: true });
  browser = await launchChromium();
  f = await previewFixture();
  f.ws.writePost('2023-06-01-broken.md', '---\ntitle: "No date"\nauthor: "A"\n---\nBody\n');
  // One tab for the file; each test sets its width and loads the page afresh.
  page = await browser.newPage();
}, 60_000);
afterAll(async () => {
  await browser?.close();
  await f?.close();
});

type Box = { x: number; y: number; width: number; height: number };
const overlap = (a: Box, b: Box) => a.x < b.x + b.width && b.x < a.x + a.width && a.y < b.y + b.height && b.y < a.y + a.height;

async function boxes(page: Page, selector: string): Promise<Box[]> {
  return page.locator(selector).evaluateAll((els) => els.map((e) => e.getBoundingClientRect()).map((r) => ({ x: r.x, y: r.y, width: r.width, height: r.height })));
}

describe('the preview page layout', () => {
  for (const width of [1440, 900, 390]) {
    it(`at ${width} px: no overlap, no clipping, the email frame reachable from its left edge`, async () => {
      await page.setViewportSize({ width, height: 1000 });
      await page.goto(f.preview.url);
      await page.locator('iframe.email-frame').waitFor();
      expect(await page.evaluate<number>('document.documentElement.scrollWidth'), 'no sideways scrolling of the page').toBeLessThanOrEqual(width);
      const [main] = await boxes(page, '#app-main');
      const panels = await boxes(page, 'aside .panel');
      for (const panel of panels) {
        expect(overlap(main!, panel), 'a side panel over the main column').toBe(false);
        expect(panel.x).toBeGreaterThanOrEqual(0);
        expect(panel.x + panel.width).toBeLessThanOrEqual(width);
      }
      for (const box of await boxes(page, 'form.picker > *, .tabs > *, header.bar > *')) expect(box.x + box.width, 'a control past the right edge').toBeLessThanOrEqual(width);
      // The desktop frame may be wider than the stage (it scrolls), but never starts left of it.
      const [stage] = await boxes(page, '.stage');
      const [frame] = await boxes(page, 'iframe.email-frame');
      expect(frame!.x).toBeGreaterThanOrEqual(stage!.x);
      await page.screenshot({ path: join(SHOTS, `layout-${width}.png`), fullPage: true });
    });
  }

  it('lists the broken post first among the left-out posts and among the preflight warnings', async () => {
    await page.setViewportSize({ width: 1440, height: 1000 });
    await page.goto(f.preview.url);
    const first = page.getByTestId('left-out').locator('li').first();
    expect(await first.getAttribute('data-kind')).toBe('invalid');
    expect(await first.textContent()).toContain('2023-06-01-broken.md');
    const warning = page.getByTestId('preflight').locator('li').first();
    expect(await warning.getAttribute('data-check')).toBe('posts');
    expect(await warning.textContent()).toMatch(/left out because it is broken: posts\/2023-06-01-broken\.md:\d+: date/);
  });
});
