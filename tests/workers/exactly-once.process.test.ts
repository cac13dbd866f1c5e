import { describe, expect, it } from 'vitest';
import { addresses, waitFor, workerHarness, type Proc } from './harness.js';

/**
 * Four `digest worker` processes on one PostgreSQL ledger deliver one edition: every recipient
 * gets exactly one copy, the work is shared, the edition completes once, and SIGTERM makes each
 * worker hand back its claims, deregister and exit 0.
 */
const h = workerHarness();
const LIST = addresses(160);

async function startWorkers(n: number): Promise<Proc[]> {
  const workers = Array.from({ length: n }, () => h.spawn('worker'));
  await waitFor(`${n} workers registered`, async () => Number((await h.sql<{ n: number }>('SELECT count(*)::int AS n FROM workers'))[0]?.n) === n);
  return workers;
}

describe('four workers on one edition', () => {
  it('every recipient gets exactly one copy; the rows are shared out; the edition completes once', async () => {
    await h.prepare({ dot: () => ({ reply: '250 2.0.0 queued', delayMs: 20 }) }, LIST);
    const workers = await startWorkers(4);
    const edition = await h.prepareEdition();
    await waitFor('the edition to complete', async () => (await h.sql<{ status: string }>('SELECT status FROM editions WHERE number = $1', [edition]))[0]?.status === 'complete');
    for (const w of workers) w.child.kill('SIGTERM');
    const ends = await Promise.all(workers.map((w) => w.exited));
    expect(ends.map((e) => e.code)).toEqual([0, 0, 0, 0]);
    for (const address of LIST) expect(h.server.dots(address), address).toHaveLength(1);
    const rows = await h.sql<{ state: string; worker_id: string }>('SELECT state, worker_id FROM deliveries WHERE edition = $1', [edition]);
    expect(rows).toHaveLength(LIST.length);
    expect(rows.every((r) => r.state === 'sent')).toBe(true);
    // Every worker took part (160 rows in batches of 10 over four processes).
    expect(new Set(rows.map((r) => r.worker_id.split(':')[1])).size).toBeGreaterThanOrEqual(2);
    const completed = workers.flatMap((w) => w.events.filter((e) => e.event === 'edition.completed'));
    expect(completed).toHaveLength(1);
    expect(await h.sql('SELECT * FROM workers')).toEqual([]);
    for (const w of workers) expect(w.stdout).toMatch(/Stopped: sent \d+/);
  }, 300_000);

  it('SIGTERM mid-send: the worker hands its unsent claims back and deregisters; the others finish them', async () => {
    await h.prepare({ dot: () => ({ reply: '250 2.0.0 queued', delayMs: 60 }) }, LIST);
    const workers = await startWorkers(4);
    const edition = await h.prepareEdition();
    const victim = workers[0]!;
    await waitFor('the first worker to have sent some', async () => Number((await h.sql<{ n: number }>(`SELECT count(*)::int AS n FROM deliveries WHERE state = 'sent' AND worker_id LIKE $1`, [`%:${victim.child.pid}:%`]))[0]?.n) >= 3);
    victim.child.kill('SIGTERM');
    expect((await victim.exited).code).toBe(0);
    expect(Number((await h.sql<{ n: number }>(`SELECT count(*)::int AS n FROM deliveries WHERE state IN ('sending', 'awaiting') AND worker_id LIKE $1`, [`%:${victim.child.pid}:%`]))[0]?.n)).toBe(0);
    await waitFor('the edition to complete', async () => (await h.sql<{ status: string }>('SELECT status FROM editions WHERE number = $1', [edition]))[0]?.status === 'complete');
    for (const address of LIST) expect(h.server.dots(address), address).toHaveLength(1);
    expect((await h.sql<{ state: string }>('SELECT state FROM deliveries')).every((r) => r.state === 'sent')).toBe(true);
  }, 300_000);
});
