import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { previewFixture, type PreviewFixture } from './fixture.js';

let f: PreviewFixture;
beforeEach(async () => {
  f = await previewFixture();
});
afterEach(() => f.close());

describe('preview server safety', () => {
  it('listens on 127.0.0.1 and serves nothing but its own routes', async () => {
    expect(f.preview.url).toBe(`http://127.0.0.1:${f.preview.port}/`);
    const attempts = ['/../package.json', '/..%2fpackage.json', '/%2e%2e/%2e%2e/etc/passwd', '/%2e%2e%2fpackage.json', '/editions/..%2f..%2fpackage.json', '/editions/1/../../package.json', '/posts/2022-09-22-north-korea-denies-weapons-sales-russia.md', '/templates/digest.mjml.hbs', '//etc/passwd', '/.env', '/%252e%252e/package.json', '/editions/%2e%2e', '/%2E%2E/', '/.%2e/package.json', '/editions\\..\\package.json', '/editions/1%00'];
    for (const path of attempts) {
      const response = await f.raw(path);
      expect([400, 404], path).toContain(response.status);
      if (/\.\.|%2e|%2f|%5c|\\/i.test(path)) expect(response.status, path).toBe(400);
      expect(response.body).not.toMatch(/newsletter-digest|root:|<mjml|title:/);
    }
  });

  it('refuses requests addressed to another host name (DNS rebinding)', async () => {
    expect((await f.raw('/', { headers: { host: 'attacker.example:80' } })).status).toBe(421);
    expect((await f.raw('/', { headers: { host: `localhost:${f.preview.port}` } })).status).toBe(200);
  });

  it('pages carry a strict CSP and the email frame is sandboxed without scripts', async () => {
    const page = await f.raw('/');
    const csp = String(page.headers['content-security-policy']);
    expect(csp).toMatch(/script-src 'nonce-[^']+'(;|$)/);
    expect(csp).toContain("frame-ancestors 'none'");
    const frame = /<iframe class="email-frame"[^>]*>/.exec(page.body)?.[0] ?? '';
    expect(frame).toContain('sandbox="allow-popups allow-popups-to-escape-sandbox"');
    expect(frame).not.toMatch(/allow-scripts|allow-same-origin/);
  });

  it('"send a test" needs the session token and the same origin', async () => {
    expect((await f.sendTest({})).status).toBe(403);
    expect((await f.sendTest({ 'x-preview-token': 'wrong' })).status).toBe(403);
    expect((await f.sendTest({ 'x-preview-token': f.preview.token, origin: 'http://attacker.example' })).status).toBe(403);
    expect((await f.sendTest({ 'x-preview-token': f.preview.token, 'sec-fetch-site': 'cross-site' })).status).toBe(403);
    expect(f.smtp.received).toHaveLength(0);
    const page = await f.raw('/');
    expect(page.body).toContain(`<meta name="preview-token" content="${f.preview.token}">`);
  });
});
