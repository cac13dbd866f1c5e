import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { addActiveAda, form, signedLinkFor, startWebHarness, type WebHarness } from './harness.js';

let h: WebHarness;
let id: number;

beforeEach(async () => {
  h = await startWebHarness({ DIGEST_DAILY_SCHEDULE: '0 7 * * *' });
  id = await addActiveAda(h);
});
afterEach(() => h.close());

const url = () => signedLinkFor(h, 'preferences', id);
const formToken = async () => /name="form" value="([^"]+)"/.exec(await (await fetch(url())).text())?.[1] ?? '';
const stored = async () => (await h.otherApp()).store.getSubscriber(id);

describe('preferences', () => {
  it('shows the enabled cadences and saves topics, cadence and name', async () => {
    const page = await (await fetch(url())).text();
    expect(page).toContain('value="daily"');
    expect(page).not.toContain('value="monthly"');
    const response = await fetch(url(), { method: 'POST', body: form({ form: await formToken(), action: 'save', name: 'Ada L.', topics: ['Trade', 'Sanctions', '<script>'], cadence: 'daily' }) });
    expect(response.status).toBe(200);
    expect(await response.text()).toContain('Your preferences are saved.');
    expect(await stored()).toMatchObject({ name: 'Ada L.', categories: ['Trade', 'Sanctions'], cadence: 'daily', status: 'active' });
  });

  it('refuses a disabled cadence and a form without its anti-forgery field', async () => {
    const token = await formToken();
    expect((await fetch(url(), { method: 'POST', body: form({ form: token, action: 'save', cadence: 'monthly' }) })).status).toBe(400);
    expect((await fetch(url(), { method: 'POST', body: form({ action: 'save', name: 'Mallory' }) })).status).toBe(400);
    const otherId = (await h.app.store.upsertSubscribers([{ email: 'eve@example.org' }], new Date()), (await h.app.store.findSubscriber('eve@example.org'))!.id);
    const foreignForm = h.app.signer.sign('form', otherId, new Date(h.clock.now + 3_600_000));
    expect((await fetch(url(), { method: 'POST', body: form({ form: foreignForm, action: 'save', name: 'Mallory' }) })).status).toBe(400);
    expect(await stored()).toMatchObject({ name: 'Ada', cadence: 'weekly' });
  });

  it('unsubscribes and resubscribes; repeating either is harmless', async () => {
    const token = await formToken();
    for (let i = 0; i < 2; i += 1) expect((await fetch(url(), { method: 'POST', body: form({ form: token, action: 'unsubscribe' }) })).status).toBe(200);
    expect((await stored())?.status).toBe('unsubscribed');
    h.clock.now += 5_000;
    for (let i = 0; i < 2; i += 1) {
      const response = await fetch(url(), { method: 'POST', body: form({ form: token, action: 'resubscribe' }) });
      expect(await response.text()).toContain('Welcome back');
    }
    const back = await stored();
    expect(back?.status).toBe('active');
    expect(back?.confirmedAt?.getTime()).toBe(h.clock.now);
  });

  it('escapes what a subscriber typed', async () => {
    await fetch(url(), { method: 'POST', body: form({ form: await formToken(), action: 'save', name: '"><b>x</b>' }) });
    const page = await (await fetch(url())).text();
    expect(page).not.toContain('<b>x</b>');
  });
});
