import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { addActiveAda, form, signedLinkFor, startWebHarness, type WebHarness } from './harness.js';

let h: WebHarness;
let id: number;

beforeEach(async () => {
  h = await startWebHarness();
  id = await addActiveAda(h);
});
afterEach(() => h.close());

const unsubscribeUrl = () => signedLinkFor(h, 'unsubscribe', id);
/** What another process sees in the database, right after the answer arrived. */
const statusSeenElsewhere = async () => (await (await h.otherApp()).store.getSubscriber(id))?.status;

describe('RFC 8058 one-click unsubscribe', () => {
  it('url-encoded POST: 200, no redirect, no cookie, committed before the answer', async () => {
    const response = await fetch(unsubscribeUrl(), {
      method: 'POST',
      redirect: 'manual',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
      body: 'List-Unsubscribe=One-Click',
    });
    expect(response.status).toBe(200);
    expect(response.headers.get('location')).toBeNull();
    expect(response.headers.get('set-cookie')).toBeNull();
    expect(await statusSeenElsewhere()).toBe('unsubscribed');
    expect(await response.text()).toContain('You are unsubscribed');
  });

  it('multipart/form-data POST works the same', async () => {
    const body = new FormData();
    body.append('List-Unsubscribe', 'One-Click');
    const response = await fetch(unsubscribeUrl(), { method: 'POST', redirect: 'manual', body });
    expect(response.status).toBe(200);
    expect(response.headers.get('location')).toBeNull();
    expect(response.headers.get('set-cookie')).toBeNull();
    expect(await statusSeenElsewhere()).toBe('unsubscribed');
  });

  it('GET (a scanner or a footer click) shows the one-button form and changes nothing', async () => {
    for (let i = 0; i < 3; i += 1) {
      const response = await fetch(unsubscribeUrl(), { redirect: 'manual' });
      expect(response.status).toBe(200);
      const html = await response.text();
      expect(html).toMatch(/<form method="post">\s*<input type="hidden" name="List-Unsubscribe" value="One-Click">/);
      expect(html).toContain('Stop this topic');
    }
    await fetch(unsubscribeUrl(), { method: 'HEAD' });
    expect(await statusSeenElsewhere()).toBe('active');
  });

  it('repeating the POST is harmless and an old link keeps working years later', async () => {
    const url = unsubscribeUrl();
    h.clock.now += 3 * 365 * 86_400_000;
    for (let i = 0; i < 2; i += 1) {
      const response = await fetch(url, { method: 'POST', body: form({ 'List-Unsubscribe': 'One-Click' }) });
      expect(response.status).toBe(200);
    }
    expect(await statusSeenElsewhere()).toBe('unsubscribed');
  });

  it('a POST without the one-click field changes nothing', async () => {
    const response = await fetch(unsubscribeUrl(), { method: 'POST', body: form({ other: 'x' }) });
    expect(response.status).toBe(400);
    expect(await statusSeenElsewhere()).toBe('active');
  });

  it('stops a single topic instead of everything', async () => {
    await h.app.store.updatePreferences(id, { categories: ['Trade', 'Surveillance'] });
    const page = await (await fetch(unsubscribeUrl())).text();
    const token = /name="form" value="([^"]+)"/.exec(page)?.[1] ?? '';
    const response = await fetch(`${unsubscribeUrl()}/topic`, { method: 'POST', body: form({ form: token, topic: 'Trade' }) });
    expect(response.status).toBe(200);
    const after = await (await h.otherApp()).store.getSubscriber(id);
    expect(after).toMatchObject({ status: 'active', categories: ['Surveillance'] });
    const forged = await fetch(`${unsubscribeUrl()}/topic`, { method: 'POST', body: form({ form: 'forged', topic: 'Surveillance' }) });
    expect(forged.status).toBe(400);
    expect((await (await h.otherApp()).store.getSubscriber(id))?.categories).toEqual(['Surveillance']);
  });
});

describe('bad tokens get one answer', () => {
  it('tampered, truncated, garbage, foreign, wrong-purpose and unknown tokens: same 404, nothing changes', async () => {
    const good = h.app.signer.sign('unsubscribe', id);
    const flip = (t: string, i: number) => t.slice(0, i) + (t[i] === 'A' ? 'B' : 'A') + t.slice(i + 1);
    const { tokenSigner } = await import('../../src/tokens.js');
    const bad = [
      flip(good, good.length - 1),
      flip(good, 0).replace(/^[^.]+/, (id + 1).toString(36)),
      good.slice(0, -3),
      good.slice(0, 10),
      'garbage',
      '%00%0d%0a',
      'a'.repeat(500),
      tokenSigner('another-secret-0123456789abcdef0123456789').sign('unsubscribe', id),
      h.app.signer.sign('preferences', id),
      h.app.signer.sign('unsubscribe', 999_999),
    ];
    const answers = new Set<string>();
    for (const token of bad) {
      for (const method of ['GET', 'POST'] as const) {
        const response = await fetch(`${h.url}unsubscribe/${token}`, { method, ...(method === 'POST' ? { body: form({ 'List-Unsubscribe': 'One-Click' }) } : {}) });
        expect(response.status, `${method} ${token}`).toBe(404);
        answers.add(await response.text());
      }
    }
    expect(answers.size).toBe(1);
    expect(await statusSeenElsewhere()).toBe('active');
    const preferences = await fetch(`${h.url}preferences/${h.app.signer.sign('unsubscribe', id)}`);
    expect(preferences.status).toBe(404);
    expect(answers.has(await preferences.text())).toBe(true);
  });
});

describe('security headers', () => {
  it('every page forbids scripts and referrers', async () => {
    for (const path of ['', `unsubscribe/${h.app.signer.sign('unsubscribe', id)}`, 'archive', 'nope']) {
      const response = await fetch(`${h.url}${path}`);
      expect(response.headers.get('referrer-policy')).toBe('no-referrer');
      expect(response.headers.get('x-content-type-options')).toBe('nosniff');
      const csp = response.headers.get('content-security-policy') ?? '';
      expect(csp).toContain("default-src 'none'");
      expect(csp).not.toContain('script-src');
      expect(await response.text()).not.toMatch(/<script/i);
    }
  });
});

describe('removed subscribers', () => {
  it("a removed subscriber's old links never reach whoever subscribes next (ids are never reused)", async () => {
    const oldLink = unsubscribeUrl();
    expect(await h.app.store.removeSubscriber('ada@example.org')).toBe(true);
    await h.app.store.upsertSubscribers([{ email: 'bob@example.org', status: 'active' }], new Date(h.clock.now));
    const bob = (await h.app.store.findSubscriber('bob@example.org'))!;
    expect(bob.id).not.toBe(id);
    const response = await fetch(oldLink, { method: 'POST', body: form({ 'List-Unsubscribe': 'One-Click' }) });
    expect(response.status).toBe(404);
    expect((await h.app.store.getSubscriber(bob.id))?.status).toBe('active');
  });
});
