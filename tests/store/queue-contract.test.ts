import { dirname } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { openSqliteStore } from '../../src/store/sqlite/index.js';
import type { Store } from '../../src/store/store.js';
import { query } from '../support/postgres.js';
import { addReaders, newEdition, STORE_KINDS, useStores } from './stores.js';

/**
 * The ledger as the work queue, on both stores: owned claims, fenced writes, workers judged by
 * the database clock, and what recovery does with a dead worker's rows.
 */
const stores = useStores();
afterEach(() => stores.close());
const T = new Date('2026-12-01T09:00:00Z');
const emails = (n: number) => Array.from({ length: n }, (_, i) => `r${String(i).padStart(3, '0')}@example.org`);
const worker = (id: string, host = 'mail-2.example.org') => ({ id, host, pid: 4242, processStart: '1' });

async function withEdition(store: Store, readers: number, workers: string[] = []): Promise<void> {
  await addReaders(store, emails(readers));
  await store.createEdition(newEdition(1));
  for (const id of workers) await store.registerWorker(worker(id));
}

describe.each(STORE_KINDS)('%s store: claims', (kind) => {
  it('claims a batch in order, owned by the worker; two workers never get the same row', async () => {
    const store = await stores.open(kind);
    await withEdition(store, 25, ['a', 'b', 'c']);
    const a = await store.claimBatch('a', { limit: 10 }, T);
    const b = await store.claimBatch('b', { edition: 1, limit: 10 }, T);
    expect(a.map((c) => c.subscriber.email)).toEqual(emails(10));
    expect(a[0]).toMatchObject({ edition: 1, attempts: 1, subscriber: { email: 'r000@example.org', status: 'active' } });
    expect(b.map((c) => c.subscriber.email)).toEqual(emails(20).slice(10));
    expect((await store.listDeliveries(1, ['sending'])).filter((d) => d.workerId === 'a')).toHaveLength(10);
    expect(await store.countDeliveries(1)).toMatchObject({ sending: 20, pending: 5 });
    expect(await store.countDeliveries(1, ['pending', 'sent'])).toEqual({ pending: 5, sending: 0, awaiting: 0, sent: 0, deferred: 0, failed: 0, uncertain: 0, skipped: 0 });
    expect(await store.claimBatch('c', { edition: 2, limit: 10 }, T)).toEqual([]);
  });

  it('many workers claiming at once share the rows out exactly', async () => {
    const store = await stores.open(kind);
    await withEdition(store, 300, ['w0', 'w1', 'w2', 'w3']);
    const others = kind === 'postgres' ? await Promise.all([stores.another(), stores.another(), stores.another()]) : [store, store, store];
    const claimers = [store, ...others];
    const taken: string[] = [];
    await Promise.all(
      claimers.map(async (s, i) => {
        for (;;) {
          const batch = await s.claimBatch(`w${i}`, { limit: 7 }, T);
          if (batch.length === 0) return;
          taken.push(...batch.map((c) => c.subscriber.email));
        }
      }),
    );
    expect(taken.sort()).toEqual(emails(300));
  });

  it('a reader who left after the edition was made is skipped at claim time, not returned', async () => {
    const store = await stores.open(kind);
    await withEdition(store, 3, ['a']);
    await store.setStatus((await store.findSubscriber('r000@example.org'))!.id, 'unsubscribed', T);
    await store.removeSubscriber('r001@example.org');
    const claimed = await store.claimBatch('a', { limit: 2 }, T);
    expect(claimed.map((c) => c.subscriber.email)).toEqual(['r002@example.org']);
    expect((await store.listDeliveries(1, ['skipped'])).map((d) => [d.email, d.lastError])).toEqual([
      ['r000@example.org', 'no longer subscribed'],
      ['r001@example.org', 'no longer subscribed'],
    ]);
  });

  it('every later write is fenced: only the owner moves its row on', async () => {
    const store = await stores.open(kind);
    await withEdition(store, 2, ['a', 'b']);
    const [first, second] = await store.claimBatch('a', { limit: 2 }, T);
    const id = first!.subscriber.id;
    expect(await store.markAwaiting('b', 1, id, '<m@x>', T)).toBe(false);
    expect(await store.finish('b', 1, id, { state: 'sent' }, T)).toBe(false);
    expect(await store.release('b', 1, [id], T)).toBe(0);
    expect(await store.markAwaiting('a', 1, id, '<m@x>', T)).toBe(true);
    expect(await store.finish('a', 1, id, { state: 'sent' }, T)).toBe(true);
    expect(await store.finish('a', 1, id, { state: 'failed' }, T)).toBe(false);
    expect(await store.release('a', 1, [second!.subscriber.id], T)).toBe(1);
    expect((await store.listDeliveries(1, ['sent', 'pending'])).map((d) => [d.state, d.messageId, d.attempts])).toEqual([
      ['sent', '<m@x>', 1],
      ['pending', null, 0],
    ]);
  });

  it('a deferred row is claimable again once due, by anyone; a retry claims it by id', async () => {
    const store = await stores.open(kind);
    await withEdition(store, 1, ['a', 'b', 'c']);
    const [claim] = await store.claimBatch('a', { limit: 5 }, T);
    const id = claim!.subscriber.id;
    await store.finish('a', 1, id, { state: 'deferred', error: '451 later', retryAt: new Date(T.getTime() + 60_000) }, T);
    expect(await store.claimBatch('b', { limit: 5 }, new Date(T.getTime() + 30_000))).toEqual([]);
    expect(await store.claim('b', 1, [id], T)).toEqual([id]);
    await store.finish('b', 1, id, { state: 'deferred', error: '451 later', retryAt: new Date(T.getTime() + 60_000) }, T);
    const again = await store.claimBatch('c', { limit: 5 }, new Date(T.getTime() + 61_000));
    expect(again.map((c) => [c.subscriber.id, c.attempts])).toEqual([[id, 3]]);
  });

  it('claims pending rows by subscriber first, then deferred rows whose time has come, soonest first', async () => {
    const store = await stores.open(kind);
    await withEdition(store, 6, ['a', 'b']);
    const ids = (await store.claimBatch('a', { limit: 4 }, T)).map((c) => c.subscriber.id);
    const deferUntil = (id: number, seconds: number) =>
      store.finish('a', 1, id, { state: 'deferred', error: '451 later', retryAt: new Date(T.getTime() + seconds * 1000) }, T);
    await deferUntil(ids[0]!, 50);
    await deferUntil(ids[1]!, 90); // not due at +60 s
    await deferUntil(ids[2]!, 20);
    await deferUntil(ids[3]!, 40);
    const at = new Date(T.getTime() + 60_000);
    const taken = async (limit: number) => (await store.claimBatch('b', { limit }, at)).map((c) => c.subscriber.email).sort();
    const all = emails(6);
    expect(await taken(3)).toEqual([all[2], all[4], all[5]]);
    expect(await taken(10)).toEqual([all[0], all[3]]);
  });

  it('an uncertain send is resent once: deferred and claimable again by anyone, the second uncertain stays; fenced by worker', async () => {
    const store = await stores.open(kind);
    await withEdition(store, 1, ['a', 'b']);
    const [claim] = await store.claimBatch('a', { limit: 5 }, T);
    const id = claim!.subscriber.id;
    await store.markAwaiting('a', 1, id, '<e1.r000@example.org>', T);
    const later = new Date(T.getTime() + 60_000);
    expect(await store.recordUncertain('b', 1, id, 'no reply after the dot', later, T)).toBeUndefined();
    expect(await store.recordUncertain('a', 1, id, 'no reply after the dot', later, T)).toBe('deferred');
    expect(await store.listDeliveries(1, ['deferred'])).toMatchObject([{ subscriberId: id, resends: 1, firstUncertain: 'no reply after the dot', messageId: '<e1.r000@example.org>', workerId: null }]);
    const [again] = await store.claimBatch('b', { limit: 5 }, new Date(later.getTime() + 1));
    expect(again?.subscriber.id).toBe(id);
    await store.markAwaiting('b', 1, id, '<e1.r000@example.org>', later);
    expect(await store.recordUncertain('b', 1, id, 'no reply again', new Date(later.getTime() + 60_000), later)).toBe('uncertain');
    expect(await store.listDeliveries(1, ['uncertain'])).toMatchObject([{ subscriberId: id, resends: 1, lastError: 'no reply again', firstUncertain: 'no reply after the dot' }]);
    expect(await store.completeEdition(1, later)).toBe(true);
  });

  it.runIf(kind === 'postgres')('a reader removed between the claim and the read of its subscriber row: the row is skipped, not left claimed', async () => {
    const store = await stores.open(kind);
    await withEdition(store, 3, ['a']);
    const vanishing = (await store.findSubscriber('r001@example.org'))!.id;
    // The removal lands inside the claim statement itself, the narrowest place the race can hit.
    await query(stores.url(), `CREATE FUNCTION vanish() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN DELETE FROM subscribers WHERE id = NEW.subscriber_id; RETURN NEW; END $$;
      CREATE TRIGGER vanish AFTER UPDATE ON deliveries FOR EACH ROW WHEN (NEW.state = 'sending' AND NEW.subscriber_id = ${vanishing}) EXECUTE FUNCTION vanish()`);
    try {
      const claimed = await store.claimBatch('a', { limit: 5 }, T);
      expect(claimed.map((c) => c.subscriber.email)).toEqual(['r000@example.org', 'r002@example.org']);
      expect(await store.listDeliveries(1, ['skipped'])).toMatchObject([{ subscriberId: vanishing, lastError: 'no longer subscribed' }]);
      expect(await store.countDeliveries(1)).toMatchObject({ sending: 2, skipped: 1, pending: 0 });
    } finally {
      await query(stores.url(), 'DROP TRIGGER vanish ON deliveries; DROP FUNCTION vanish()');
    }
  });

  it('lists a few rows without reading the rest: at most `limit`, by subscriber or soonest retry first', async () => {
    const store = await stores.open(kind);
    await withEdition(store, 5, ['a']);
    const claims = await store.claimBatch('a', { limit: 4 }, T);
    const at = (minutes: number) => new Date(T.getTime() + minutes * 60_000);
    for (const [i, minutes] of [30, 10, 20].entries()) await store.finish('a', 1, claims[i]!.subscriber.id, { state: 'deferred', error: '451', retryAt: at(minutes) }, T);
    await store.finish('a', 1, claims[3]!.subscriber.id, { state: 'deferred', error: '451' }, T);
    const ids = claims.map((c) => c.subscriber.id);
    expect((await store.listDeliveries(1, ['deferred'], { limit: 2 })).map((d) => d.subscriberId)).toEqual(ids.slice(0, 2));
    expect((await store.listDeliveries(1, ['deferred'], { soonestRetry: true })).map((d) => d.subscriberId)).toEqual([ids[1], ids[2], ids[0], ids[3]]);
    expect(await store.listDeliveries(1, ['deferred'], { limit: 1, soonestRetry: true })).toMatchObject([{ subscriberId: ids[1], retryAt: at(10) }]);
    expect(await store.listDeliveries(1, ['deferred', 'pending'])).toHaveLength(5);
  });

  it('a complete edition keeps its counts by state and reports them without counting its rows again', async () => {
    const store = await stores.open(kind);
    await withEdition(store, 3, ['a']);
    const [x, y, z] = (await store.claimBatch('a', { limit: 3 }, T)).map((c) => c.subscriber.id);
    await store.finish('a', 1, x!, { state: 'sent' }, T);
    expect(await store.completeEdition(1, T)).toBe(false); // two rows still claimed
    await store.finish('a', 1, y!, { state: 'sent' }, T);
    await store.finish('a', 1, z!, { state: 'failed', error: '550 no such user' }, T);
    expect(await store.completeEdition(1, T)).toBe(true);
    // The rows are gone behind the store's back; the counts kept at completion are what it reports.
    await stores.edit(kind, 'DELETE FROM deliveries WHERE edition = 1');
    expect(await store.countDeliveries(1)).toEqual({ pending: 0, sending: 0, awaiting: 0, sent: 2, deferred: 0, failed: 1, uncertain: 0, skipped: 0 });
    expect(await store.countDeliveries(1, ['failed'])).toMatchObject({ sent: 0, failed: 1 });
  });

  it('an open edition is counted exactly in every state, whole or in the states asked for', async () => {
    const store = await stores.open(kind);
    await withEdition(store, 9, ['a']);
    const ids = (await store.claimBatch('a', { limit: 8 }, T)).map((c) => c.subscriber.id);
    const [sent1, sent2, awaiting, , failed, deferred, uncertain, released] = ids;
    for (const id of [sent1!, sent2!]) await store.finish('a', 1, id, { state: 'sent' }, T);
    await store.markAwaiting('a', 1, awaiting!, `<e1.s${awaiting}.x@example.org>`, T);
    await store.finish('a', 1, failed!, { state: 'failed', error: '550' }, T);
    await store.finish('a', 1, deferred!, { state: 'deferred', error: '451', retryAt: T }, T);
    await store.recordUncertain('a', 1, uncertain!, 'no answer', undefined, T);
    await store.release('a', 1, [released!], T);
    const counts = { pending: 2, sending: 1, awaiting: 1, sent: 2, deferred: 1, failed: 1, uncertain: 1, skipped: 0 };
    expect(await store.countDeliveries(1)).toEqual(counts);
    for (const states of [['sent'], ['sending', 'awaiting'], ['deferred', 'uncertain'], ['pending', 'sent', 'failed']] as const) {
      const only = Object.fromEntries(Object.entries(counts).map(([state, n]) => [state, (states as readonly string[]).includes(state) ? n : 0]));
      expect(await store.countDeliveries(1, states), states.join()).toEqual(only);
    }
    expect((await store.listDeliveries(1, ['sent'])).map((d) => d.subscriberId)).toEqual([sent1, sent2]);
    expect((await store.listDeliveries(1, ['awaiting', 'uncertain'])).map((d) => d.subscriberId)).toEqual([awaiting, uncertain]);
  });

  it('settles rows that can no longer be sent, and gives up old deferred ones', async () => {
    const store = await stores.open(kind);
    await withEdition(store, 3, ['a']);
    const [c] = await store.claimBatch('a', { limit: 1 }, T);
    await store.finish('a', 1, c!.subscriber.id, { state: 'deferred', error: '451', retryAt: T }, T);
    await store.setStatus((await store.findSubscriber('r001@example.org'))!.id, 'bounced', T);
    expect(await store.settleOpen(1, T, { giveUp: true })).toEqual({ skipped: 1, gaveUp: 1 });
    expect(await store.countDeliveries(1)).toMatchObject({ pending: 1, skipped: 1, failed: 1 });
  });
});

describe.each(STORE_KINDS)('%s store: upgrading a ledger', (kind) => {
  it('an edition that completed before editions kept their counts gets them when the database is upgraded', async () => {
    const store = await stores.open(kind);
    await withEdition(store, 2, ['a']);
    for (const claim of await store.claimBatch('a', { limit: 2 }, T)) await store.finish('a', 1, claim.subscriber.id, { state: 'sent' }, T);
    expect(await store.completeEdition(1, T)).toBe(true);
    // Back to the schema before the kept counts, as an older version left it.
    const rewind = kind === 'sqlite' ? 'PRAGMA user_version = 11' : "DELETE FROM schema_migrations WHERE name = '0006_final_counts.sql'";
    await stores.edit(kind, `ALTER TABLE editions DROP COLUMN final_counts; ${rewind}`);
    const upgraded = kind === 'sqlite' ? openSqliteStore(dirname(stores.sqliteFile())) : await stores.another();
    try {
      await stores.edit(kind, 'DELETE FROM deliveries WHERE edition = 1');
      expect(await upgraded.countDeliveries(1)).toMatchObject({ sent: 2, pending: 0 });
    } finally {
      if (kind === 'sqlite') await upgraded.close();
    }
  });
});

describe.each(STORE_KINDS)('%s store: workers', (kind) => {
  it('registers, heartbeats, lists with heartbeat age and rows held; deregistering hands unsent claims back', async () => {
    const store = await stores.open(kind);
    await withEdition(store, 4);
    await store.registerWorker(worker('a'));
    await store.claimBatch('a', { limit: 3 }, T);
    expect(await store.heartbeatWorker('a')).toBe(true);
    const [listed] = await store.listWorkers();
    expect(listed).toMatchObject({ id: 'a', host: 'mail-2.example.org', pid: 4242, claimed: 3 });
    expect(listed!.heartbeatAgeSeconds).toBeGreaterThanOrEqual(0);
    expect(listed!.heartbeatAgeSeconds).toBeLessThan(5);
    expect(await store.deregisterWorker('a', T)).toBe(3);
    expect(await store.listWorkers()).toEqual([]);
    expect(await store.countDeliveries(1)).toMatchObject({ pending: 4, sending: 0 });
  });

  it('a worker silent past the limit (database clock) is dead: sending → pending, awaiting → uncertain; its late writes are refused', async () => {
    const store = await stores.open(kind);
    await withEdition(store, 4);
    await store.registerWorker(worker('sleepy'));
    await store.registerWorker(worker('live'));
    const claims = await store.claimBatch('sleepy', { limit: 3 }, T);
    const mine = await store.claimBatch('live', { limit: 1 }, T);
    await store.markAwaiting('sleepy', 1, claims[0]!.subscriber.id, '<m@x>', T);
    // Nobody is dead within the limit.
    expect(await store.recoverDeadWorkers(60, [], T)).toEqual({ workers: [], requeued: 0, uncertain: 0, resent: 0 });
    await new Promise((resolve) => setTimeout(resolve, 400));
    await store.heartbeatWorker('live');
    expect(await store.recoverDeadWorkers(0.3, [], T)).toEqual({ workers: ['sleepy'], requeued: 2, uncertain: 1, resent: 0 });
    expect(await store.heartbeatWorker('sleepy')).toBe(false);
    // The woken worker's writes are refused, its row's fate stays as recovery decided.
    expect(await store.finish('sleepy', 1, claims[0]!.subscriber.id, { state: 'sent' }, T)).toBe(false);
    expect(await store.markAwaiting('sleepy', 1, claims[1]!.subscriber.id, '<m2@x>', T)).toBe(false);
    expect(await store.finish('live', 1, mine[0]!.subscriber.id, { state: 'sent' }, T)).toBe(true);
    const rows = await store.listDeliveries(1, ['uncertain']);
    expect(rows.map((d) => [d.subscriberId, d.messageId])).toEqual([[claims[0]!.subscriber.id, '<m@x>']]);
    expect(rows[0]!.lastError).toMatch(/interrupted after the message was committed/);
    expect(await store.countDeliveries(1)).toMatchObject({ pending: 2, sent: 1, uncertain: 1, sending: 0, awaiting: 0 });
  });

  it('a worker named as gone by its host is dead at once, and claims nothing more under that name; an unregistered worker claims nothing', async () => {
    const store = await stores.open(kind);
    await withEdition(store, 3, ['crashed', 'live']);
    await store.claimBatch('crashed', { limit: 1 }, T);
    await store.claimBatch('live', { limit: 1 }, T);
    expect(await store.claimBatch('never-registered', { limit: 1 }, T)).toEqual([]);
    expect(await store.recoverDeadWorkers(3600, ['crashed'], T)).toEqual({ workers: ['crashed'], requeued: 1, uncertain: 0, resent: 0 });
    expect(await store.countDeliveries(1)).toMatchObject({ pending: 2, sending: 1 });
    expect(await store.claimBatch('crashed', { limit: 5 }, T)).toEqual([]);
    expect(await store.claim('crashed', 1, [1, 2, 3], T)).toEqual([]);
  });

  it('with a resend time (UNCERTAIN_RESEND=once) a dead worker\'s awaiting row gets its one resend, as in a run; one already resent stays uncertain', async () => {
    const store = await stores.open(kind);
    await withEdition(store, 3, ['crashed', 'first', 'live']);
    // Row A was resent once already: its first attempt ended uncertain, and the resend is now awaiting too.
    const [a] = await store.claimBatch('first', { limit: 1 }, T);
    const idA = a!.subscriber.id;
    await store.markAwaiting('first', 1, idA, '<e1.a@x>', T);
    expect(await store.recordUncertain('first', 1, idA, 'no reply after the dot', T, T)).toBe('deferred');
    const [again, b, c] = await store.claimBatch('crashed', { limit: 3 }, T);
    expect([again!.subscriber.id, again!.attempts]).toEqual([idA, 2]);
    await store.markAwaiting('crashed', 1, idA, '<e1.a@x>', T);
    await store.markAwaiting('crashed', 1, b!.subscriber.id, '<e1.b@x>', T);
    const resendAt = new Date(T.getTime() + 1_000);
    expect(await store.recoverDeadWorkers(3600, ['crashed'], T, resendAt)).toEqual({ workers: ['crashed'], requeued: 1, uncertain: 1, resent: 1 });
    expect(await store.listDeliveries(1, ['deferred'])).toMatchObject([
      { subscriberId: b!.subscriber.id, resends: 1, firstUncertain: expect.stringMatching(/interrupted after the message was committed/), lastError: expect.stringMatching(/resent once with the same Message-ID/), messageId: '<e1.b@x>', retryAt: resendAt, workerId: null },
    ]);
    expect(await store.listDeliveries(1, ['uncertain'])).toMatchObject([{ subscriberId: idA, resends: 1, firstUncertain: 'no reply after the dot', messageId: '<e1.a@x>' }]);
    expect(await store.countDeliveries(1)).toMatchObject({ pending: 1, deferred: 1, uncertain: 1, sending: 0, awaiting: 0 });
    // Due at the resend time, claimable by anyone; the second uncertain result is final.
    expect((await store.claimBatch('live', { limit: 5 }, T)).map((x) => x.subscriber.id)).toEqual([c!.subscriber.id]);
    const [resend] = await store.claimBatch('live', { limit: 5 }, resendAt);
    expect([resend!.subscriber.id, resend!.attempts]).toEqual([b!.subscriber.id, 2]);
    await store.markAwaiting('live', 1, b!.subscriber.id, '<e1.b@x>', resendAt);
    expect(await store.recordUncertain('live', 1, b!.subscriber.id, 'no reply again', resendAt, resendAt)).toBe('uncertain');
  });

  it('without a resend time (UNCERTAIN_RESEND=never) a dead worker\'s awaiting row stays uncertain', async () => {
    const store = await stores.open(kind);
    await withEdition(store, 1, ['crashed']);
    const [a] = await store.claimBatch('crashed', { limit: 1 }, T);
    await store.markAwaiting('crashed', 1, a!.subscriber.id, '<e1.a@x>', T);
    expect(await store.recoverDeadWorkers(3600, ['crashed'], T)).toEqual({ workers: ['crashed'], requeued: 0, uncertain: 1, resent: 0 });
    expect(await store.listDeliveries(1, ['uncertain'])).toMatchObject([{ resends: 0, firstUncertain: null, lastError: expect.stringMatching(/interrupted after the message was committed/) }]);
  });

  it('watchWork hands back an unsubscribe (PostgreSQL also wakes the listener when an edition is made)', async () => {
    const store = await stores.open(kind);
    let woken = 0;
    const stop = await store.watchWork(() => (woken += 1));
    await store.createEdition(newEdition(1));
    await new Promise((resolve) => setTimeout(resolve, 300));
    await stop();
    expect(woken).toBe(kind === 'postgres' ? 1 : 0);
  });
});
