import { afterEach, describe, expect, it } from 'vitest';
import type { Store } from '../../src/store/store.js';
import { addReaders, newEdition, STORE_KINDS, useStores } from './stores.js';

/**
 * recordBatch, the group commit of the ledger, on both stores: several fenced writes in one
 * transaction, each with the result its single-row method gives, and none written for a row the
 * worker no longer owns.
 */
const stores = useStores();
afterEach(() => stores.close());
const T = new Date('2026-12-01T09:00:00Z');
const later = new Date(T.getTime() + 60_000);
const worker = (id: string) => ({ id, host: 'mail-2.example.org', pid: 4242, processStart: '1' });

async function claimed(store: Store, readers: number, workers: string[]): Promise<number[]> {
  await addReaders(store, Array.from({ length: readers }, (_, i) => `r${String(i).padStart(3, '0')}@example.org`));
  await store.createEdition(newEdition(1));
  for (const id of workers) await store.registerWorker(worker(id));
  return (await store.claimBatch(workers[0]!, { limit: readers }, T)).map((c) => c.subscriber.id);
}

describe.each(STORE_KINDS)('%s store: recordBatch', (kind) => {
  it('writes marks, outcomes and an uncertain resend in one go, each result as its single-row method', async () => {
    const store = await stores.open(kind);
    const [a, b, c, d] = await claimed(store, 4, ['w']);
    await store.recordBatch('w', 1, [
      { kind: 'awaiting', subscriberId: a!, messageId: '<a@x>', at: T },
      { kind: 'awaiting', subscriberId: b!, messageId: '<b@x>', at: T },
    ]);
    const results = await store.recordBatch('w', 1, [
      { kind: 'finish', subscriberId: a!, outcome: { state: 'sent' }, at: later },
      { kind: 'uncertain', subscriberId: b!, reason: 'no reply after the dot', resendAt: later, at: later },
      { kind: 'awaiting', subscriberId: c!, messageId: '<c@x>', at: later },
      { kind: 'finish', subscriberId: d!, outcome: { state: 'deferred', error: '451 later', retryAt: later }, at: later },
    ]);
    expect(results).toEqual([true, 'deferred', true, true]);
    const rows = await store.listDeliveries(1, ['sent', 'deferred', 'awaiting']);
    expect(rows.map((r) => [r.subscriberId, r.state, r.messageId, r.workerId, r.updatedAt.getTime()])).toEqual([
      [a, 'sent', '<a@x>', 'w', later.getTime()],
      [b, 'deferred', '<b@x>', null, later.getTime()],
      [c, 'awaiting', '<c@x>', 'w', later.getTime()],
      [d, 'deferred', null, null, later.getTime()],
    ]);
    expect(rows[1]).toMatchObject({ resends: 1, firstUncertain: 'no reply after the dot' });
    expect(rows[3]).toMatchObject({ lastError: '451 later', retryAt: later });
  });

  it('fenced: a batch for rows another worker took writes none of them and reports each as refused', async () => {
    const store = await stores.open(kind);
    const [a, b, c] = await claimed(store, 3, ['sleepy', 'live']);
    await store.recordBatch('sleepy', 1, [{ kind: 'awaiting', subscriberId: a!, messageId: '<a@x>', at: T }]);
    // sleepy is declared dead: its sending rows go back to pending, its awaiting one to uncertain; live takes the rest.
    await store.recoverDeadWorkers(3600, ['sleepy'], T);
    const taken = (await store.claimBatch('live', { limit: 5 }, T)).map((claim) => claim.subscriber.id);
    expect(taken).toEqual([b, c]);
    const before = await store.listDeliveries(1, ['uncertain', 'sending']);
    const results = await store.recordBatch('sleepy', 1, [
      { kind: 'finish', subscriberId: a!, outcome: { state: 'sent' }, at: later },
      { kind: 'awaiting', subscriberId: b!, messageId: '<b@x>', at: later },
      { kind: 'finish', subscriberId: c!, outcome: { state: 'failed', error: '550 no' }, at: later },
      { kind: 'uncertain', subscriberId: c!, reason: 'no reply', resendAt: later, at: later },
    ]);
    expect(results).toEqual([false, false, false, undefined]);
    expect(await store.listDeliveries(1, ['uncertain', 'sending'])).toEqual(before);
    // The owner's batch goes through.
    expect(await store.recordBatch('live', 1, [{ kind: 'awaiting', subscriberId: b!, messageId: '<b@x>', at: later }])).toEqual([true]);
  });

  it('a batch mixing own and lost rows writes only its own', async () => {
    const store = await stores.open(kind);
    const [a, b] = await claimed(store, 2, ['w', 'other']);
    await store.release('w', 1, [b!], T);
    await store.claimBatch('other', { limit: 1 }, T);
    const results = await store.recordBatch('w', 1, [
      { kind: 'awaiting', subscriberId: a!, messageId: '<a@x>', at: T },
      { kind: 'awaiting', subscriberId: b!, messageId: '<b@x>', at: T },
    ]);
    expect(results).toEqual([true, false]);
    expect((await store.listDeliveries(1, ['awaiting', 'sending'])).map((r) => [r.subscriberId, r.state, r.workerId, r.messageId])).toEqual([
      [a, 'awaiting', 'w', '<a@x>'],
      [b, 'sending', 'other', null],
    ]);
  });

  it('a mark for a reader who left meanwhile is refused inside a batch, like markAwaiting', async () => {
    const store = await stores.open(kind);
    const [a, b] = await claimed(store, 2, ['w']);
    await store.setStatus(b!, 'unsubscribed', T);
    const results = await store.recordBatch('w', 1, [
      { kind: 'awaiting', subscriberId: a!, messageId: '<a@x>', at: T },
      { kind: 'awaiting', subscriberId: b!, messageId: '<b@x>', at: T },
    ]);
    expect(results).toEqual([true, false]);
    expect(await store.recordBatch('w', 1, [])).toEqual([]);
  });
});
