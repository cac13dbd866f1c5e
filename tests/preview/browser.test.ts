import { copyFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { runSend } from '../../src/pipeline.js';
import { startPreviewServer, type PreviewServer } from '../../src/preview/server.js';
import { startSmtpServer, type TestSmtpServer } from '../support/smtp.js';
import { createWorkspace, REPO, type Workspace } from '../support/workspace.js';
import { SEED_TITLES } from '../support/seed.js';
import { launchChromium, type TestBrowser } from '../support/browser.js';

const SHOTS = join(REPO, 'test-results', 'preview');
const WAIT = { timeout: 10_000 };

let browser: TestBrowser;
let smtp: TestSmtpServer;
let ws: Workspace;
let preview: PreviewServer;
let page: Page;

beforeAll(async () => {
  browser = await launchChromium();
  mkdirSync(SHOTS, { recursive: true });
  // One tab for the file: each test opens its own preview server's page in it.
  page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
});
afterAll(async () => {
  await browser?.close();
});
beforeEach(async () => {
  smtp = await startSmtpServer();
  ws = createWorkspace({ SMTP_URL: smtp.url, PUBLIC_URL: 'http://localhost:3000/' });
  preview = await startPreviewServer({ loadConfig: () => ws.config(), envFile: join(ws.dir, '.env'), port: 0 });
});
afterEach(async () => {
  await page.goto('about:blank'); // closes the live-reload stream before its server stops
  await preview.close();
  await smtp.close();
  ws.cleanup();
});

const email = () => page.frameLocator('iframe.email-frame');
const postFile = (name: string) => join(ws.dir, 'posts', name);

async function openPreview(path = '') {
  await page.goto(`${preview.url}${path}`);
  await page.locator('#live.on').waitFor(WAIT); // the live-reload stream is connected
}

describe('the editor preview in Chromium', () => {
  it('shows the ten seed titles on desktop, on mobile, as text and as raw .eml', async () => {
    await openPreview();
    const included = page.getByTestId('included');
    for (const title of SEED_TITLES) {
      await included.getByText(title, { exact: true }).waitFor(WAIT);
      await email().getByRole('link', { name: title, exact: true }).first().waitFor(WAIT);
    }
    expect(await page.getByTestId('subject').textContent()).toBe('Why the North Korea–China trade increase could be an illusion, and 9 more');
    expect(await page.getByTestId('preheader').textContent()).not.toBe('(empty)');
    expect(await page.getByTestId('inbox').textContent()).toContain('International Governments Digest <digest@example.org>');
    expect(await page.getByTestId('preflight').textContent()).toContain('PUBLIC_URL is http://localhost:3000/');
    expect(await page.locator('iframe.email-frame').evaluate((f) => f.clientWidth)).toBeGreaterThanOrEqual(600);
    await page.screenshot({ path: join(SHOTS, 'desktop.png'), fullPage: false });
    if (!existsSync(join(REPO, 'docs', 'preview.png'))) copyFileSync(join(SHOTS, 'desktop.png'), join(REPO, 'docs', 'preview.png'));

    await page.getByRole('button', { name: 'Mobile (375 px)' }).click();
    expect(await page.locator('iframe.email-frame').evaluate((f) => f.clientWidth)).toBe(375);
    await page.screenshot({ path: join(SHOTS, 'mobile.png'), fullPage: false });

    await page.getByRole('button', { name: 'Plain text' }).click();
    expect(await page.locator('iframe.email-frame').isVisible()).toBe(false);
    const text = (await page.getByTestId('text-part').textContent()) ?? '';
    for (const title of SEED_TITLES) expect(text).toContain(title);
    expect(text).toContain('Unsubscribe');

    await page.getByRole('button', { name: 'Raw .eml' }).click();
    const eml = (await page.getByTestId('eml').textContent()) ?? '';
    expect(eml).toMatch(/^To: <reader@example\.org>$/m);
    expect(eml).toContain('Content-Type: multipart/alternative');
    expect(eml).toContain('List-Unsubscribe-Post: List-Unsubscribe=One-Click');
  });

  it('follows a title changed on disk without a manual reload', async () => {
    await openPreview();
    await page.getByRole('button', { name: 'Mobile (375 px)' }).click();
    await page.evaluate(() => ((globalThis as unknown as { marker: number }).marker = 42));
    const file = postFile('2022-09-22-north-korea-denies-weapons-sales-russia.md');
    writeFileSync(file, readFileSync(file, 'utf8').replace('title: "North Korea denies weapons sales to Russia"', 'title: "Retitled on disk: arms denial"'));
    expect(readFileSync(file, 'utf8')).toContain('Retitled on disk');
    const started = Date.now();
    await page.getByTestId('included').getByText('Retitled on disk: arms denial').waitFor(WAIT);
    console.log(`live reload: title visible ${Date.now() - started} ms after the write`);
    await email().getByRole('link', { name: 'Retitled on disk: arms denial' }).first().waitFor(WAIT);
    expect(await page.evaluate(() => (globalThis as unknown as { marker?: number }).marker)).toBe(42); // same document: no reload
    expect(await page.locator('body').getAttribute('data-view')).toBe('mobile'); // the chosen view survives
  });

  it('shows a broken template with its line, then recovers when it is fixed', async () => {
    await openPreview();
    const file = join(ws.dir, 'templates', 'digest.mjml.hbs');
    const good = readFileSync(file, 'utf8');
    const lines = good.split('\n');
    const at = lines.findIndex((l) => l.includes('{{edition.intro}}'));
    lines[at] = lines[at]!.replace('{{edition.intro}}', '{{edition.intro');
    writeFileSync(file, lines.join('\n'));
    const error = page.getByTestId('render-error');
    await error.waitFor(WAIT);
    expect(await error.textContent()).toMatch(new RegExp(`TemplateError: templates/digest\\.mjml\\.hbs:${at + 1}: `));
    await page.screenshot({ path: join(SHOTS, 'template-error.png') });
    writeFileSync(file, good);
    await error.waitFor({ state: 'detached', ...WAIT });
    await page.getByTestId('included').getByText(SEED_TITLES[0]!, { exact: true }).waitFor(WAIT);
    await email().getByRole('link', { name: SEED_TITLES[0]!, exact: true }).first().waitFor(WAIT);
  });

  it('shows invalid front matter with file and line, and recovers', async () => {
    await openPreview();
    writeFileSync(postFile('2099-bad.md'), '---\ntitle: "Half written\ndate: 2024-01-01\n---\nBody\n');
    const item = page.getByTestId('left-out').locator('li[data-kind="invalid"]');
    await item.waitFor(WAIT);
    expect(await item.textContent()).toMatch(/invalid front matter: posts\/2099-bad\.md:\d+: front matter: /);
    writeFileSync(postFile('2099-bad.md'), '---\ntitle: "Half written, now whole"\ndate: 2024-01-01\nauthor: "Ed"\n---\nBody\n');
    await page.getByTestId('included').getByText('Half written, now whole').waitFor(WAIT);
    expect(await page.getByTestId('left-out').locator('li[data-kind="invalid"]').count()).toBe(0);
  });

  it('sends a test to the typed address over SMTP, subject prefixed [TEST]', async () => {
    await openPreview();
    await page.getByLabel('To').fill('editor@example.org');
    await page.getByRole('button', { name: 'Send a test' }).click();
    await page.locator('#send-status.ok').waitFor(WAIT);
    expect(await page.locator('#send-status').textContent()).toContain('to editor@example.org');
    expect(smtp.received).toHaveLength(1);
    const message = smtp.received[0]!;
    expect(message.to).toEqual(['editor@example.org']);
    expect(message.parsed.subject).toBe('[TEST] Why the North Korea–China trade increase could be an illusion, and 9 more');
    for (const title of SEED_TITLES) expect(message.parsed.text).toContain(title);
    const app = await ws.app();
    expect(await app.store.hasEditions('weekly')).toBe(false);
    await app.close();
  });

  it('never runs a script from the email in the editor’s browser', async () => {
    const file = join(ws.dir, 'templates', 'digest.mjml.hbs');
    const source = readFileSync(file, 'utf8');
    writeFileSync(file, source.replace(/(<mj-body[^>]*>)/, '$1<mj-raw><script>top.document.title = "pwned"; document.body.dataset.ran = "yes";</script></mj-raw>'));
    await openPreview();
    await email().getByRole('link', { name: SEED_TITLES[0]!, exact: true }).first().waitFor(WAIT);
    expect(await page.title()).not.toBe('pwned');
    expect(await email().locator('body[data-ran]').count()).toBe(0);
    // The payload did reach the frame (so the test is not vacuous); the sandbox kept it from running.
    const scripts = await email().locator('script').evaluateAll((nodes) => nodes.map((node) => node.textContent ?? '').join('\n'));
    expect(scripts).toContain('top.document.title = "pwned"');
  });

  it('lists past editions and opens one as it was sent', async () => {
    const app = await ws.app();
    await app.store.upsertSubscribers([{ email: 'ada@example.org', status: 'active' }], new Date(Date.now() - 60_000));
    const report = await runSend(app, { cadence: 'weekly' }).finally(() => app.close());
    await openPreview();
    expect(await page.getByTestId('nothing').textContent()).toContain('Nothing to send');
    await page.getByRole('link', { name: 'Past editions' }).click();
    await page.getByRole('link', { name: report.edition!.subject }).click();
    expect(await page.getByTestId('subject').textContent()).toBe(report.edition!.subject);
    await email().getByRole('link', { name: SEED_TITLES[9]!, exact: true }).first().waitFor(WAIT);
    expect(await email().getByText('Hello,').count()).toBeGreaterThan(0);
  });
});
