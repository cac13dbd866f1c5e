import { afterEach, describe, expect, it } from 'vitest';
import { form, linkIn, startWebHarness, type WebHarness } from './harness.js';

/**
 * QA findings on the public pages: a sign-up must not change a former subscriber's choices
 * before confirmation, repeated POSTs log once, and pages work on whatever host and port serve
 * them (PUBLIC_URL is for emails only).
 */
let h: WebHarness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

async function signUp(web: WebHarness, fields: Record<string, string | string[]>): Promise<Response> {
  const response = await fetch(`${web.url}subscribe`, { method: 'POST', body: form(fields) });
  await web.server.idle();
  return response;
}

describe('a former subscriber signing up again', () => {
  it('keeps the new choices pending until the confirmation is POSTed; the mail greets nobody by name', async () => {
    const web = (h = await startWebHarness({}, { signupBurst: 50 }));
    await web.app.store.upsertSubscribers([{ email: 'ada@example.org', name: 'Ada', categories: ['Sanctions'], status: 'unsubscribed' }], new Date(web.clock.now - 60_000));
    expect((await signUp(web, { email: 'ada@example.org', name: 'Z', topics: 'Trade', cadence: 'weekly' })).status).toBe(200);
    const other = await web.otherApp();
    expect(await other.store.findSubscriber('ada@example.org')).toMatchObject({ name: 'Ada', categories: ['Sanctions'], status: 'unsubscribed' });
    const mail = await web.mailTo('ada@example.org');
    expect(mail.parsed.text).toMatch(/^Hello,/);
    expect(mail.parsed.text).not.toContain('Hi ');
    expect(mail.parsed.html).not.toContain('Hi ');
    // A confirmation's To carries no name at all, the stored one included (for a new sign-up that
    // would be the typed one).
    expect(mail.parsed.to).toMatchObject({ value: [{ name: '', address: 'ada@example.org' }] });
    // Wording: the publication's name and the cadence, not "the digest of …".
    expect(mail.parsed.text).toContain('should receive International Governments Digest (weekly)');
    expect(mail.parsed.text).not.toContain('the digest of');
    const confirm = linkIn(mail.parsed.text, `${web.url}confirm/`);
    expect((await fetch(confirm)).status).toBe(200);
    expect((await other.store.findSubscriber('ada@example.org'))?.name).toBe('Ada');
    expect((await fetch(confirm, { method: 'POST' })).status).toBe(200);
    expect(await other.store.findSubscriber('ada@example.org')).toMatchObject({ name: 'Z', categories: ['Trade'], status: 'active' });
  });

  it('a new sign-up is still stored pending with its choices, and its mail does not greet the typed name', async () => {
    const web = (h = await startWebHarness({}, { signupBurst: 50 }));
    await signUp(web, { email: 'new@example.org', name: 'Mallory', topics: 'Trade', cadence: 'weekly' });
    expect(await (await web.otherApp()).store.findSubscriber('new@example.org')).toMatchObject({ status: 'pending', name: 'Mallory', categories: ['Trade'] });
    const mail = await web.mailTo('new@example.org');
    expect(mail.parsed.text).not.toContain('Mallory');
    expect(mail.parsed.html).not.toContain('Mallory');
  });
});

describe('repeated POSTs log once', () => {
  it('signup.confirmed and subscriber.unsubscribed are logged only when the state changed', async () => {
    const web = (h = await startWebHarness({}, { signupBurst: 50 }));
    await signUp(web, { email: 'ada@example.org', cadence: 'weekly' });
    const confirm = linkIn((await web.mailTo('ada@example.org')).parsed.text, `${web.url}confirm/`);
    for (let i = 0; i < 3; i += 1) expect((await fetch(confirm, { method: 'POST' })).status).toBe(200);
    const id = (await web.app.store.findSubscriber('ada@example.org'))!.id;
    const unsubscribe = `${web.url}unsubscribe/${web.app.signer.sign('unsubscribe', id)}`;
    for (let i = 0; i < 3; i += 1) expect((await fetch(unsubscribe, { method: 'POST', body: form({ 'List-Unsubscribe': 'One-Click' }) })).status).toBe(200);
    const preferences = `${web.url}preferences/${web.app.signer.sign('preferences', id)}`;
    const token = /name="form" value="([^"]+)"/.exec(await (await fetch(preferences)).text())?.[1] ?? '';
    for (let i = 0; i < 3; i += 1) await fetch(preferences, { method: 'POST', body: form({ form: token, action: 'resubscribe' }) });
    for (let i = 0; i < 3; i += 1) await fetch(preferences, { method: 'POST', body: form({ form: token, action: 'unsubscribe' }) });
    const events = web.logs.map((l) => l.event).filter((e) => /^(signup\.confirmed|subscriber\.(un|re)subscribed)$/.test(e));
    expect(events).toEqual(['signup.confirmed', 'subscriber.unsubscribed', 'subscriber.resubscribed', 'subscriber.unsubscribed']);
  });
});

describe('pages on a host and port other than PUBLIC_URL', () => {
  it('forms, stylesheet and navigation are root-relative and work; emails still use PUBLIC_URL', async () => {
    const web = (h = await startWebHarness({ PUBLIC_URL: 'http://localhost:3000/' }, { signupBurst: 50 }));
    await web.app.store.upsertSubscribers([{ email: 'ada@example.org', status: 'active' }], new Date(web.clock.now - 60_000));
    const id = (await web.app.store.findSubscriber('ada@example.org'))!.id;
    const pages = ['', 'archive', `unsubscribe/${web.app.signer.sign('unsubscribe', id)}`, `preferences/${web.app.signer.sign('preferences', id)}`, 'nowhere'];
    for (const path of pages) {
      const html = await (await fetch(`${web.url}${path}`)).text();
      expect(html, path).not.toContain('localhost:3000');
      for (const [, target] of html.matchAll(/(?:href|action)="([^"]+)"/g)) {
        if (target!.startsWith('https://blog.example.org') || target!.startsWith('data:') || target!.startsWith('#')) continue;
        expect(target, `${path}: ${target}`).toMatch(/^\/(?!\/)/);
      }
    }
    const signup = await (await fetch(web.url)).text();
    const css = /<link rel="stylesheet" href="([^"]+)"/.exec(signup)?.[1] ?? '';
    const stylesheet = await fetch(new URL(css, web.url));
    expect(stylesheet.headers.get('content-type')).toContain('text/css');
    const action = /<form method="post" action="([^"]+)"/.exec(signup)?.[1] ?? '';
    const answer = await fetch(new URL(action, web.url), { method: 'POST', body: form({ email: 'bob@example.org', cadence: 'weekly' }) });
    expect(await answer.text()).toContain('Check your inbox');
    await web.server.idle();
    expect((await web.mailTo('bob@example.org')).parsed.text).toContain('http://localhost:3000/confirm/');
  });

  it('keeps the path of a PUBLIC_URL like https://host/digest/ (a proxy strips it), still without its host', async () => {
    const web = (h = await startWebHarness({ PUBLIC_URL: 'https://digest.example.org/digest/' }));
    const html = await (await fetch(web.url)).text();
    expect(html).toContain('<form method="post" action="/digest/subscribe">');
    expect(html).toContain('href="/digest/assets/site.css"');
    expect(html).not.toContain('digest.example.org');
  });
});

