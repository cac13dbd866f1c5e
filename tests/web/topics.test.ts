import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runSend } from '../../src/pipeline.js';
import { addActiveAda, form, signedLinkFor, startWebHarness, type WebHarness } from './harness.js';

/**
 * "Stop only this topic" against the seed posts, which all carry the section "International
 * Governments" plus topical categories: a stopped topic must never arrive, whatever else a post
 * carries, and an all-topics reader must stay all-topics less that one.
 */
let h: WebHarness;
let id: number;

const TRADE = [
  'North Korea-China trade officially reopened',
  'North Korean trade with China in September highest since Covid-19 began',
  'North Korean imports from China turning toward food',
  'As Chinese ambassador arrives, is North Korea opening up?',
  'Yet another North Korea–China border opening report (including tourism)',
  'Why the North Korea–China trade increase could be an illusion',
];
const NOT_TRADE = ['North Korea denies weapons sales to Russia', 'What upgrades of North Korea’s surveillance equipment say about policies and priorities'];

beforeEach(async () => {
  h = await startWebHarness();
  id = await addActiveAda(h);
});
afterEach(() => h.close());

const unsubscribeUrl = () => signedLinkFor(h, 'unsubscribe', id);
const preferencesUrl = () => signedLinkFor(h, 'preferences', id);
const stored = async () => (await h.otherApp()).store.getSubscriber(id);
const formIn = (html: string) => /name="form" value="([^"]+)"/.exec(html)?.[1] ?? '';

async function stop(topic: string): Promise<Response> {
  const page = await (await fetch(unsubscribeUrl())).text();
  return fetch(`${unsubscribeUrl()}/topic`, { method: 'POST', body: form({ form: formIn(page), topic }) });
}

async function digestText(): Promise<string> {
  h.clock.now += 1000;
  expect((await runSend(h.app, { cadence: 'weekly' })).tally.sent).toBe(1);
  return String(h.smtp.to('ada@example.org').at(-1)?.parsed.text);
}

describe('stop only this topic', () => {
  it('an all-topics reader stops Trade: no post carrying Trade arrives, and they stay all-topics', async () => {
    const page = await (await fetch(unsubscribeUrl())).text();
    expect(page).toContain('<option value="Trade">');
    // The section every post carries selects nothing, so it is not offered.
    expect(page).not.toContain('<option value="International Governments">');
    const response = await stop('Trade');
    expect(response.status).toBe(200);
    const html = await response.text();
    expect(html).toContain('You will no longer receive posts about “Trade”');
    expect(html).toContain('every other topic');
    expect(await stored()).toMatchObject({ status: 'active', categories: [], excludedCategories: ['Trade'] });
    const text = await digestText();
    for (const title of TRADE) expect(text).not.toContain(title);
    for (const title of NOT_TRADE) expect(text).toContain(title);
  });

  it('a reader of chosen topics stops one: a post that also carries another chosen topic stays out', async () => {
    await h.app.store.updatePreferences(id, { categories: ['Trade', 'Diplomacy', 'Surveillance'] });
    expect((await stop('Trade')).status).toBe(200);
    expect(await stored()).toMatchObject({ categories: ['Diplomacy', 'Surveillance'], excludedCategories: ['Trade'] });
    const text = await digestText();
    expect(text).not.toContain('As Chinese ambassador arrives'); // Diplomacy + Trade
    expect(text).toContain(NOT_TRADE[1]);
  });

  it('repeating the stop changes nothing more; the preferences page lists it and can resume it', async () => {
    await stop('Trade');
    const again = await stop('Trade');
    expect(again.status).toBe(200);
    expect(await stored()).toMatchObject({ categories: [], excludedCategories: ['Trade'] });
    const page = await (await fetch(preferencesUrl())).text();
    expect(page).toContain('Stopped topics');
    expect(page).toMatch(/name="resume" value="Trade"/);
    expect(page).not.toMatch(/name="topics" value="Trade"/);
    expect(page).not.toMatch(/name="topics" value="International Governments"/);
    // Saving without ticking "resume" keeps it stopped; ticking it resumes it.
    await fetch(preferencesUrl(), { method: 'POST', body: form({ form: formIn(page), action: 'save', name: 'Ada' }) });
    expect((await stored())?.excludedCategories).toEqual(['Trade']);
    await fetch(preferencesUrl(), { method: 'POST', body: form({ form: formIn(page), action: 'save', name: 'Ada', resume: 'Trade' }) });
    expect(await stored()).toMatchObject({ categories: [], excludedCategories: [] });
    const text = await digestText();
    for (const title of TRADE) expect(text).toContain(title);
  });

  it('a subscriber who chose the hidden section topic keeps it, checked, on the preferences page', async () => {
    await h.app.store.updatePreferences(id, { categories: ['International Governments'] });
    const page = await (await fetch(preferencesUrl())).text();
    expect(page).toMatch(/name="topics" value="International Governments" checked/);
    await fetch(preferencesUrl(), { method: 'POST', body: form({ form: formIn(page), action: 'save', name: 'Ada', topics: 'International Governments' }) });
    expect((await stored())?.categories).toEqual(['International Governments']);
  });

  it('stopping the last topic left unsubscribes, and logs it once', async () => {
    await h.app.store.updatePreferences(id, { categories: ['Trade', 'Sanctions'] });
    const token = formIn(await (await fetch(unsubscribeUrl())).text());
    const post = (topic: string) => fetch(`${unsubscribeUrl()}/topic`, { method: 'POST', body: form({ form: token, topic }) });
    expect((await post('Sanctions')).status).toBe(200);
    expect(await (await post('Trade')).text()).toContain('You are unsubscribed');
    expect((await stored())?.status).toBe('unsubscribed');
    expect(h.logs.filter((l) => l.event === 'subscriber.unsubscribed')).toHaveLength(1);
  });

  it('subscribers export carries the stopped topics in an `excluded` column, and import restores them', async () => {
    await stop('Trade');
    const exported = (await h.ws.cli('subscribers', 'export')).output;
    expect(exported.split('\n')[0]).toBe('email,name,categories,cadence,status,excluded');
    expect(exported).toContain('ada@example.org,Ada,,weekly,active,Trade');
    await h.app.store.updatePreferences(id, { excludedCategories: [] });
    const file = join(h.ws.dir, 'list.csv');
    writeFileSync(file, exported);
    expect((await h.ws.cli('subscribers', 'import', file)).code).toBe(0);
    expect(await stored()).toMatchObject({ categories: [], excludedCategories: ['Trade'] });
  });
});

