import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runSend } from '../../src/pipeline.js';
import { form, linkIn, startWebHarness, type WebHarness } from './harness.js';
import { headerValue } from '../support/smtp.js';

let h: WebHarness;

beforeEach(async () => {
  h = await startWebHarness({}, { signupBurst: 50 });
});
afterEach(() => h.close());

/** Posts the form, then waits for what the server does after answering (recording, mailing). */
async function signUp(fields: Record<string, string | string[]>): Promise<Response> {
  const response = await fetch(`${h.url}subscribe`, { method: 'POST', redirect: 'manual', body: form(fields) });
  await h.server.idle();
  return response;
}
const subscriber = async (email: string) => (await h.otherApp()).store.findSubscriber(email);

describe('sign-up with double opt-in', () => {
  it('a sign-up stays pending until the confirmation link is POSTed; GET changes nothing', async () => {
    const response = await signUp({ email: 'Ada@Example.ORG', name: 'Ada', topics: ['Trade', 'Not a topic'], cadence: 'weekly' });
    expect(response.status).toBe(200);
    expect(await response.text()).toContain('Check your inbox');
    expect(await subscriber('ada@example.org')).toMatchObject({ status: 'pending', name: 'Ada', categories: ['Trade'], confirmedAt: null });
    const mail = await h.mailTo('ada@example.org');
    expect(mail.parsed.subject).toBe('Confirm your subscription to International Governments Digest');
    const confirm = linkIn(mail.parsed.text, `${h.url}confirm/`);
    expect(mail.parsed.html).toContain(confirm);
    expect((await fetch(confirm)).status).toBe(200);
    expect((await subscriber('ada@example.org'))?.status).toBe('pending');
    const confirmed = await fetch(confirm, { method: 'POST', redirect: 'manual' });
    expect(confirmed.status).toBe(200);
    expect((await subscriber('ada@example.org'))?.status).toBe('active');
    expect((await fetch(confirm, { method: 'POST' })).status).toBe(200); // a repeat is harmless
  });

  it('the confirmation link expires after 48 hours with the same answer as a bad link', async () => {
    await signUp({ email: 'late@example.org' });
    const confirm = linkIn((await h.mailTo('late@example.org')).parsed.text, `${h.url}confirm/`);
    const garbage = await (await fetch(`${h.url}confirm/garbage`)).text();
    h.clock.now += 49 * 3_600_000;
    const late = await fetch(confirm, { method: 'POST' });
    expect(late.status).toBe(404);
    expect(await late.text()).toBe(garbage);
    expect((await subscriber('late@example.org'))?.status).toBe('pending');
  });

  it('never reveals whether an address is subscribed: the same page, a different email', async () => {
    await h.app.store.upsertSubscribers([{ email: 'old@example.org', status: 'active' }], new Date(h.clock.now - 60_000));
    const forExisting = await signUp({ email: 'OLD@example.org', topics: 'Trade', name: 'Mallory' });
    const forNew = await signUp({ email: 'new@example.org' });
    expect(forExisting.status).toBe(forNew.status);
    const normalise = (html: string) => html.replace(/(old|new)@example\.org/g, 'X');
    expect(normalise(await forExisting.text())).toBe(normalise(await forNew.text()));
    const note = await h.mailTo('old@example.org');
    expect(note.parsed.subject).toContain('already subscribed');
    expect(note.parsed.text).not.toContain('/confirm/');
    expect(note.parsed.text).toContain(`${h.url}preferences/`);
    expect(await subscriber('old@example.org')).toMatchObject({ status: 'active', categories: [] });
  });

  it('refuses hostile and malformed addresses with a reason, storing nothing', async () => {
    for (const email of ['"a@b"@example.org', 'Group: a@example.org;', 'a@example.org\r\nBcc: x@example.org', 'no-at-sign', `${'a'.repeat(300)}@example.org`]) {
      const response = await signUp({ email });
      expect(response.status, email).toBe(400);
      expect(await response.text()).toContain('Please check the email address');
    }
    let count = 0;
    for await (const _ of (await h.otherApp()).store.listSubscribers()) count += 1;
    expect(count).toBe(0);
  });

  it('stores an IDN domain as punycode and offers only enabled cadences', async () => {
    await signUp({ email: 'zoë@bücher.example' });
    expect((await subscriber('zoë@xn--bcher-kva.example'))?.status).toBeUndefined();
    const okLocal = await signUp({ email: 'zoe@bücher.example' });
    expect(okLocal.status).toBe(200);
    expect(await subscriber('zoe@xn--bcher-kva.example')).toMatchObject({ status: 'pending' });
    expect((await signUp({ email: 'd@example.org', cadence: 'daily' })).status).toBe(400);
    expect(await (await fetch(h.url)).text()).not.toContain('value="daily"');
  });
});

describe('who gets a digest', () => {
  it('an unconfirmed or unsubscribed subscriber gets none; a confirmed one does', async () => {
    await signUp({ email: 'pending@example.org' });
    await signUp({ email: 'leaver@example.org' });
    await signUp({ email: 'reader@example.org' });
    for (const address of ['leaver@example.org', 'reader@example.org']) {
      await fetch(linkIn((await h.mailTo(address)).parsed.text, `${h.url}confirm/`), { method: 'POST' });
    }
    const leaver = (await subscriber('leaver@example.org'))!;
    await fetch(`${h.url}unsubscribe/${h.app.signer.sign('unsubscribe', leaver.id)}`, { method: 'POST', body: form({ 'List-Unsubscribe': 'One-Click' }) });
    h.clock.now += 1000;
    const report = await runSend(h.app, { cadence: 'weekly' });
    expect(report.tally.sent).toBe(1);
    const digests = h.smtp.received.filter((r) => headerValue(r.parsed, 'List-Id') !== undefined); // digests, not sign-up mail
    expect(digests.map((r) => r.to)).toEqual([['reader@example.org']]);
  });
});

describe('rate limit', () => {
  it('answers 429 with Retry-After once a client has used its burst', async () => {
    await h.close();
    h = await startWebHarness({}, { signupBurst: 3, signupRefillMs: 60_000 });
    const statuses = [];
    for (let i = 0; i < 4; i += 1) statuses.push((await signUp({ email: `r${i}@example.org` })).status);
    expect(statuses).toEqual([200, 200, 200, 429]);
    const limited = await signUp({ email: 'r9@example.org' });
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(await subscriber('r9@example.org')).toBeUndefined();
    h.clock.now += 60_000;
    expect((await signUp({ email: 'r9@example.org' })).status).toBe(200);
  });
});

describe('mail flooding', () => {
  it('sends at most three sign-up emails to one address in a short time, with the same answer', async () => {
    const pages = new Set<string>();
    for (let i = 0; i < 5; i += 1) pages.add(await (await signUp({ email: i % 2 ? 'VICTIM@example.org' : 'victim@example.org' })).text());
    expect(pages.size).toBe(1);
    expect(h.smtp.to('victim@example.org')).toHaveLength(3);
  });
});

describe('coming back', () => {
  it('a former subscriber who signs up again is mailed a confirmation and is active only after it', async () => {
    await h.app.store.upsertSubscribers([{ email: 'back@example.org', status: 'unsubscribed' }], new Date(h.clock.now - 60_000));
    expect((await signUp({ email: 'back@example.org', topics: 'Trade' })).status).toBe(200);
    const mail = await h.mailTo('back@example.org');
    expect(mail.parsed.subject).toContain('Confirm');
    expect((await subscriber('back@example.org'))?.status).toBe('unsubscribed');
    await fetch(linkIn(mail.parsed.text, `${h.url}confirm/`), { method: 'POST' });
    expect(await subscriber('back@example.org')).toMatchObject({ status: 'active', categories: ['Trade'] });
  });
});
