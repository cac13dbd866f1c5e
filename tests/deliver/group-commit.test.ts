import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { GroupCommit } from '../../src/deliver/group-commit.js';
import { openSqliteStore } from '../../src/store/sqlite/index.js';
import type { LedgerWrite, Store } from '../../src/store/store.js';
import { addReaders, newEdition } from '../store/stores.js';

/**
 * The group commit of a delivery run over a real SQLite ledger: which writes share a commit, that
 * every caller gets its own fenced result only once its write is committed, and that nothing
 * queued is left behind by flush.
 */
const T = new Date('2026-12-01T09:00:00Z');
const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0)) await cleanup();
});

async function ledger(readers: number): Promise<{ store: Store; ids: number[]; batches: LedgerWrite['kind'][][] }> {
  const dir = mkdtempSync(join(tmpdir(), 'digest-group-'));
  const real = openSqliteStore(dir);
  cleanups.push(async () => {
    await real.close();
    rmSync(dir, { recursive: true, force: true });
  });
  await addReaders(real, Array.from({ length: readers }, (_, i) => `r${i}@example.org`));
  await real.createEdition(newEdition(1));
  await real.registerWorker({ id: 'w', host: 'h', pid: 1, processStart: '1' });
  const ids = (await real.claimBatch('w', { limit: readers }, T)).map((c) => c.subscriber.id);
  const batches: LedgerWrite['kind'][][] = [];
  // The real store, with each commit's writes noted.
  const store = { ...real, recordBatch: (worker: string, edition: number, writes: LedgerWrite[]) => (batches.push(writes.map((w) => w.kind)), real.recordBatch(worker, edition, writes)) };
  return { store, ids, batches };
}

describe('group commit', () => {
  it('marks made in one turn share one commit, and the outcomes waiting ride along', async () => {
    const { store, ids, batches } = await ledger(6);
    const group = new GroupCommit(store, 'w', 1, { eagerAt: 10, outcomeDelayMs: 60_000 });
    await Promise.all(ids.slice(0, 3).map((id) => group.markAwaiting(id, `<${id}@x>`, T)));
    expect(batches).toEqual([['awaiting', 'awaiting', 'awaiting']]);
    const outcomes = ids.slice(0, 3).map((id) => group.finish(id, { state: 'sent' }, T));
    // Not committed yet: no mark came, and the timer is a minute.
    await new Promise((resolve) => setImmediate(resolve));
    expect(batches).toHaveLength(1);
    expect((await store.countDeliveries(1)).sent).toBe(0);
    const marks = ids.slice(3).map((id) => group.markAwaiting(id, `<${id}@x>`, T));
    expect(await Promise.all([...outcomes, ...marks])).toEqual([true, true, true, true, true, true]);
    expect(batches[1]).toEqual(['finish', 'finish', 'finish', 'awaiting', 'awaiting', 'awaiting']);
    expect(await store.countDeliveries(1)).toMatchObject({ sent: 3, awaiting: 3 });
  });

  it('a caller hears of its write only once it is committed; flush commits what is left', async () => {
    const { store, ids } = await ledger(2);
    const group = new GroupCommit(store, 'w', 1, { eagerAt: 10, outcomeDelayMs: 60_000 });
    let heard = false;
    const pending = group.finish(ids[0]!, { state: 'failed', error: '550 no' }, T).then((ok) => (heard = ok));
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(heard).toBe(false);
    await group.flush();
    await pending;
    expect(heard).toBe(true);
    expect(await store.countDeliveries(1)).toMatchObject({ failed: 1, sending: 1 });
    expect(group.stats).toEqual({ commits: 1, writes: 1 });
  });

  it('commits outcomes at once when eagerAt of them wait, and after the delay otherwise', async () => {
    const { store, ids, batches } = await ledger(3);
    const eager = new GroupCommit(store, 'w', 1, { eagerAt: 2, outcomeDelayMs: 60_000 });
    expect(await Promise.all([eager.finish(ids[0]!, { state: 'sent' }, T), eager.finish(ids[1]!, { state: 'sent' }, T)])).toEqual([true, true]);
    const timed = new GroupCommit(store, 'w', 1, { eagerAt: 10, outcomeDelayMs: 5 });
    expect(await timed.finish(ids[2]!, { state: 'skipped', error: 'nothing new' }, T)).toBe(true);
    expect(batches).toEqual([['finish', 'finish'], ['finish']]);
  });

  it('refused writes (rows no longer this worker’s) come back false; a failing commit rejects every write in it', async () => {
    const { store, ids } = await ledger(2);
    await store.release('w', 1, [ids[1]!], T);
    const group = new GroupCommit(store, 'w', 1);
    expect(await Promise.all([group.markAwaiting(ids[0]!, '<a@x>', T), group.markAwaiting(ids[1]!, '<b@x>', T)])).toEqual([true, false]);
    const broken = new GroupCommit({ recordBatch: async () => Promise.reject(new Error('disk full')) }, 'w', 1);
    const both = [broken.markAwaiting(ids[0]!, '<a@x>', T), broken.finish(ids[1]!, { state: 'sent' }, T)];
    await expect(Promise.all(both)).rejects.toThrow('disk full');
    await expect(both[1]).rejects.toThrow('disk full');
  });
});
