import { afterEach, describe, expect, it } from 'vitest';
import type { SubscriberInput } from '../../src/store/store.js';
import { STORE_KINDS, useStores } from './stores.js';

/**
 * `importSubscribers`, the store half of a CSV import, on both stores: rows arrive in batches and
 * are gathered in a temporary table, then written in one transaction with the same rules as
 * `upsertSubscribers` (fields a row does not give are left alone), a later row for an address
 * replacing an earlier one, rows that change nothing counted apart, and nothing written if the
 * batches fail.
 */
const stores = useStores();
afterEach(() => stores.close());
const EARLIER = new Date('2026-11-01T09:00:00Z');
const T = new Date('2026-12-01T09:00:00Z');

async function* batchesOf(...batches: SubscriberInput[][]): AsyncGenerator<SubscriberInput[]> {
  yield* batches;
}

describe.each(STORE_KINDS)('%s store: importSubscribers', (kind) => {
  it('adds, updates and counts unchanged rows; leaves fields a row does not give; dates a status change', async () => {
    const store = await stores.open(kind);
    await store.upsertSubscribers(
      [
        { email: 'same@example.org', name: 'Same', categories: ['Trade'] },
        { email: 'left@example.org', name: 'Left', status: 'unsubscribed', cadence: 'monthly' },
        { email: 'back@example.org', name: 'Back', status: 'unsubscribed' },
      ],
      EARLIER,
    );
    const counts = await store.importSubscribers(
      batchesOf(
        [{ email: 'same@example.org', name: 'Same', categories: ['Trade'] }, { email: 'left@example.org', name: 'Left Again', categories: [] }],
        [{ email: 'new@example.org', name: 'New', categories: ['Sanctions', 'Trade'], status: 'pending' }, { email: 'back@example.org', name: 'Back', categories: [], status: 'active' }],
      ),
      T,
    );
    expect(counts).toEqual({ rows: 4, added: 1, updated: 2, unchanged: 1, topics: ['Trade', 'Sanctions'] });
    // No status column: whoever left stays left, with their cadence.
    expect(await store.findSubscriber('left@example.org')).toMatchObject({ name: 'Left Again', status: 'unsubscribed', cadence: 'monthly' });
    expect(await store.findSubscriber('back@example.org')).toMatchObject({ status: 'active', confirmedAt: T });
    expect(await store.findSubscriber('new@example.org')).toMatchObject({ status: 'pending', confirmedAt: null, createdAt: T, categories: ['Sanctions', 'Trade'] });
    expect(await store.findSubscriber('same@example.org')).toMatchObject({ createdAt: EARLIER, confirmedAt: EARLIER });
  });

  it('a later row for an address replaces the earlier one, across batches, and new readers get ids in file order', async () => {
    const store = await stores.open(kind);
    const counts = await store.importSubscribers(
      batchesOf(
        [{ email: 'a@example.org', name: 'A', categories: [], status: 'unsubscribed' }, { email: 'b@example.org', name: 'B', categories: [] }],
        [{ email: 'c@example.org', name: 'C', categories: [] }, { email: 'a@example.org', name: 'A2', categories: ['Trade'] }, { email: 'c@example.org', name: 'C2', categories: [] }],
      ),
      T,
    );
    expect(counts).toMatchObject({ rows: 3, added: 3, updated: 0, unchanged: 0 });
    // The later row gave no status: the earlier row's `unsubscribed` is not applied.
    expect(await store.findSubscriber('a@example.org')).toMatchObject({ name: 'A2', categories: ['Trade'], status: 'active' });
    expect((await store.findSubscriber('c@example.org'))?.name).toBe('C2');
    const ids = [];
    for await (const s of store.listSubscribers()) ids.push(s.email);
    expect(ids).toEqual(['a@example.org', 'b@example.org', 'c@example.org']);
  });

  it('writes nothing when the batches fail part way, and the next import starts clean', async () => {
    const store = await stores.open(kind);
    async function* failing(): AsyncGenerator<SubscriberInput[]> {
      yield [{ email: 'a@example.org', name: 'A' }];
      throw new Error('the file could not be read');
    }
    await expect(store.importSubscribers(failing(), T)).rejects.toThrow('the file could not be read');
    expect(await store.findSubscriber('a@example.org')).toBeUndefined();
    expect(await store.importSubscribers(batchesOf([{ email: 'b@example.org', name: 'B' }]), T)).toMatchObject({ rows: 1, added: 1 });
    expect(await store.countSubscribers()).toMatchObject({ active: 1 });
  });

  it('20,000 rows in batches of 1,000 are all written, and counted unchanged when imported again', async () => {
    const store = await stores.open(kind);
    async function* many(): AsyncGenerator<SubscriberInput[]> {
      for (let b = 0; b < 20; b += 1) yield Array.from({ length: 1000 }, (_, i) => ({ email: `r${b * 1000 + i}@example.org`, name: `R ${b * 1000 + i}`, categories: [] }));
    }
    expect(await store.importSubscribers(many(), T)).toMatchObject({ rows: 20_000, added: 20_000 });
    expect(await store.importSubscribers(many(), T)).toMatchObject({ rows: 20_000, added: 0, updated: 0, unchanged: 20_000 });
    expect((await store.findSubscriber('r19999@example.org'))?.id).toBe(20_000);
  });
});
