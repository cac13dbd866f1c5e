import { afterEach, describe, expect, it } from 'vitest';
import { addReaders, newEdition, STORE_KINDS, useStores } from './stores.js';

/**
 * The store contract: what every store (SQLite, PostgreSQL) must do, run against both. The
 * ledger's queue behaviour (claims, fencing, workers) is in queue-contract.test.ts.
 */
const stores = useStores();
afterEach(() => stores.close());
const T = new Date('2026-12-01T09:00:00Z');

describe.each(STORE_KINDS)('%s store: subscribers', (kind) => {
  it('upserts by address, counting added and updated, and leaves fields the input does not set', async () => {
    const store = await stores.open(kind);
    expect(await store.upsertSubscribers([{ email: 'a@example.org', name: 'Ada', categories: ['Trade'] }, { email: 'b@example.org' }], T)).toEqual({ added: 2, updated: 0 });
    expect(await store.upsertSubscribers([{ email: 'a@example.org', cadence: 'daily' }, { email: 'c@example.org', status: 'pending' }], T)).toEqual({ added: 1, updated: 1 });
    expect(await store.findSubscriber('a@example.org')).toMatchObject({ name: 'Ada', categories: ['Trade'], cadence: 'daily', status: 'active', confirmedAt: T });
    expect(await store.findSubscriber('c@example.org')).toMatchObject({ status: 'pending', confirmedAt: null });
    expect(await store.countSubscribers()).toEqual({ pending: 1, active: 2, unsubscribed: 0, bounced: 0 });
  });

  it('a status change is guarded (true only when it changed); ids are never reused after a removal', async () => {
    const store = await stores.open(kind);
    await addReaders(store, ['a@example.org', 'b@example.org']);
    const b = (await store.findSubscriber('b@example.org'))!;
    expect(await store.setStatus(b.id, 'unsubscribed', T)).toBe(true);
    expect(await store.setStatus(b.id, 'unsubscribed', T)).toBe(false);
    expect(await store.removeSubscriber('b@example.org')).toBe(true);
    expect(await store.removeSubscriber('b@example.org')).toBe(false);
    await addReaders(store, ['c@example.org']);
    expect((await store.findSubscriber('c@example.org'))!.id).toBeGreaterThan(b.id);
    expect(await store.getSubscriber(b.id)).toBeUndefined();
  });

  it('lists in pages in id order, by status and by topic (no topics = all; a stopped topic never)', async () => {
    const store = await stores.open(kind);
    const many = Array.from({ length: 1203 }, (_, i) => `r${String(i).padStart(4, '0')}@example.org`);
    await addReaders(store, many);
    await store.upsertSubscribers([{ email: 'topic@example.org', categories: ['Trade'] }, { email: 'stopped@example.org', excludedCategories: ['trade'] }, { email: 'gone@example.org', status: 'unsubscribed' }], T);
    const all = [];
    for await (const s of store.listSubscribers({ status: 'active' })) all.push(s.email);
    expect(all).toHaveLength(1205);
    expect(all.slice(0, 2)).toEqual(['r0000@example.org', 'r0001@example.org']);
    const trade = [];
    for await (const s of store.listSubscribers({ category: 'TRADE' })) trade.push(s.email);
    expect(trade).toContain('topic@example.org');
    expect(trade).toContain('gone@example.org');
    expect(trade).not.toContain('stopped@example.org');
    const stopped = [];
    for await (const s of store.listSubscribers({ stoppedTopics: true })) stopped.push(s.email);
    expect(stopped).toEqual(['stopped@example.org']);
    // Stopping no topic any more takes a subscriber out of that list again.
    await store.updatePreferences((await store.findSubscriber('stopped@example.org'))!.id, { excludedCategories: [] });
    for await (const s of store.listSubscribers({ stoppedTopics: true })) expect.fail(`${s.email} stopped no topic`);
  });

  it('counts active subscribers by cadence and topic in the database; a damaged topics cell counts as none chosen', async () => {
    const store = await stores.open(kind);
    await store.upsertSubscribers(
      [
        { email: 'a@example.org', categories: ['Trade', 'Sanctions'] },
        { email: 'b@example.org', categories: ['Trade'], cadence: 'daily' },
        { email: 'c@example.org' },
        { email: 'd@example.org', categories: ['Trade'], status: 'unsubscribed' },
        { email: 'e@example.org', categories: ['Say "hi"\\'] },
        { email: 'f@example.org', categories: ['Trade'] },
        { email: 'g@example.org', categories: ['Trade'] },
      ],
      T,
    );
    await stores.edit(kind, `UPDATE subscribers SET categories = '{not json' WHERE email = 'f@example.org'`);
    await stores.edit(kind, `UPDATE subscribers SET categories = '[ "Trade" , 7 ]' WHERE email = 'g@example.org'`);
    const counts = await store.countActiveChoices();
    const sorted = (pairs: [string, number][]) => [...pairs].sort((x, y) => x[0].localeCompare(y[0]));
    expect(sorted(counts.byCadence)).toEqual([['daily', 1], ['weekly', 5]]);
    // What reading every subscriber gives: the same counts.
    const read = new Map<string, number>();
    let none = 0;
    for await (const s of store.listSubscribers({ status: 'active' })) {
      if (s.categories.length === 0) none += 1;
      for (const topic of s.categories) read.set(topic, (read.get(topic) ?? 0) + 1);
    }
    expect(counts.allTopics).toBe(none);
    expect(sorted(counts.byTopic)).toEqual(sorted([...read]));
    expect(read.get('Trade')).toBeGreaterThanOrEqual(2);
    expect(read.get('Say "hi"\\')).toBe(1);
  });

  it('confirming applies the sign-up choices kept aside, once', async () => {
    const store = await stores.open(kind);
    await store.upsertSubscribers([{ email: 'p@example.org', status: 'pending', excludedCategories: ['Sport'] }], T);
    const p = (await store.findSubscriber('p@example.org'))!;
    await store.setPendingChoices(p.id, { name: 'Pat', categories: ['Trade'], cadence: 'daily' });
    expect(await store.confirmSubscriber(p.id, T)).toBe(true);
    expect(await store.getSubscriber(p.id)).toMatchObject({ name: 'Pat', categories: ['Trade'], excludedCategories: [], cadence: 'daily', status: 'active', confirmedAt: T });
    expect(await store.confirmSubscriber(p.id, T)).toBe(false);
    await store.updatePreferences(p.id, { excludedCategories: ['Sport'] });
    expect(await store.getSubscriber(p.id)).toMatchObject({ name: 'Pat', categories: ['Trade'], excludedCategories: ['Sport'] });
  });
});

describe.each(STORE_KINDS)('%s store: editions', (kind) => {
  it('creating an edition records its posts and freezes its recipients as pending rows, in one go', async () => {
    const store = await stores.open(kind);
    await addReaders(store, ['a@example.org', 'b@example.org']);
    await addReaders(store, ['daily@example.org'], { cadence: 'daily' });
    await store.upsertSubscribers([{ email: 'late@example.org', status: 'active' }], new Date('2026-12-02T00:00:00Z'));
    await store.upsertSubscribers([{ email: 'off@example.org', status: 'unsubscribed' }], T);
    const edition = await store.createEdition(newEdition(1, { baselineSlugs: ['old'] }));
    expect(edition).toMatchObject({ number: 1, status: 'sending', slugs: ['post-1'] });
    expect(edition!.posts[0]!.date).toEqual(new Date('2026-11-20T08:00:00Z'));
    expect(await store.countDeliveries(1)).toMatchObject({ pending: 2, sending: 0 });
    expect((await store.listDeliveries(1, ['pending'])).map((d) => d.email)).toEqual(['a@example.org', 'b@example.org']);
    expect(await store.postLedger('weekly')).toEqual(new Map([['post-1', 1], ['old', 0]]));
    // Someone who subscribes after the edition was made is not in it.
    await addReaders(store, ['new@example.org']);
    expect(await store.countDeliveries(1)).toMatchObject({ pending: 2 });
  });

  it('refuses a taken number, a taken tick and a second open edition of the cadence', async () => {
    const store = await stores.open(kind);
    expect(await store.createEdition(newEdition(1, { tickKey: 'k1' }))).toBeDefined();
    expect(await store.createEdition(newEdition(1, { cadence: 'daily' }))).toBeUndefined();
    expect(await store.createEdition(newEdition(2))).toBeUndefined();
    expect(await store.createEdition(newEdition(2, { cadence: 'daily', tickKey: 'k1' }))).toBeDefined();
    expect((await store.listOpenEditions()).map((e) => e.number)).toEqual([1, 2]);
    expect((await store.findEditionByTick('weekly', 'k1'))?.number).toBe(1);
    expect(await store.nextEditionNumber()).toBe(3);
    expect(await store.withPrepareLock(async () => 'prepared')).toBe('prepared');
  });

  it('completes an edition only when no row is open, and only for one caller', async () => {
    const store = await stores.open(kind);
    await addReaders(store, ['a@example.org']);
    await store.createEdition(newEdition(1));
    await store.registerWorker({ id: 'w', host: 'h', pid: 1, processStart: '1' });
    expect(await store.completeEdition(1, T)).toBe(false);
    const [claim] = await store.claimBatch('w', { limit: 10 }, T);
    await store.finish('w', 1, claim!.subscriber.id, { state: 'sent' }, T);
    const results = await Promise.all([store.completeEdition(1, T), store.completeEdition(1, T)]);
    expect(results.sort()).toEqual([false, true]);
    expect((await store.getEdition(1))?.status).toBe('complete');
    expect(await store.openEdition('weekly')).toBeUndefined();
    expect(await store.createEdition(newEdition(2))).toBeDefined();
  });

  it('keeps segments once, and meta values', async () => {
    const store = await stores.open(kind);
    await store.createEdition(newEdition(1));
    await store.saveSegment(1, { key: 'k', slugs: ['post-1'], subject: 'S', html: 'h', text: 't' });
    await store.saveSegment(1, { key: 'k', slugs: ['post-1'], subject: 'changed', html: 'h', text: 't' });
    expect(await store.getSegment(1, 'k')).toEqual({ key: 'k', slugs: ['post-1'], subject: 'S', html: 'h', text: 't' });
    expect(await store.getMeta('x')).toBeUndefined();
    await store.setMeta('x', '1');
    await store.setMeta('x', '2');
    expect(await store.getMeta('x')).toBe('2');
  });
});

describe.each(STORE_KINDS)('%s store: ticks', (kind) => {
  it('a tick is claimed once; only an interrupted or failed one may be claimed again', async () => {
    const store = await stores.open(kind);
    expect(await store.claimTick('weekly', '2026-12-01T08:00:00.000Z', 'running', T)).toBe(true);
    expect(await store.claimTick('weekly', '2026-12-01T08:00:00.000Z', 'running', T)).toBe(false);
    await store.finishTick('weekly', '2026-12-01T08:00:00.000Z', { outcome: 'interrupted', edition: 1 }, T);
    expect(await store.claimTick('weekly', '2026-12-01T08:00:00.000Z', 'running', T)).toBe(true);
    await store.finishTick('weekly', '2026-12-01T08:00:00.000Z', { outcome: 'sent', edition: 1, detail: 'ok' }, T);
    expect(await store.claimTick('weekly', '2026-12-01T08:00:00.000Z', 'running', T)).toBe(false);
    await store.claimTick('weekly', '2026-12-08T08:00:00.000Z', 'missed', T);
    expect(await store.lastTick('weekly')).toMatchObject({ key: '2026-12-08T08:00:00.000Z', outcome: 'missed' });
    expect((await store.recentTicks(5)).map((t) => t.outcome)).toEqual(['missed', 'sent']);
  });
});
