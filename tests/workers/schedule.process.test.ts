import { describe, expect, it } from 'vitest';
import { post } from '../support/workspace.js';
import { addresses, waitFor, workerHarness } from './harness.js';

/**
 * Two `digest schedule` processes on one PostgreSQL database and a seconds-level cron: over five
 * ticks that each have something new, each tick is handled by exactly one of them and makes
 * exactly one edition, and every reader gets each edition once.
 */
const h = workerHarness();
const READERS = addresses(3);

describe('two schedulers on one database', () => {
  it('exactly one edition per tick over five ticks', async () => {
    await h.prepare({ dot: () => ({ reply: '250 2.0.0 queued', delayMs: 5 }) }, READERS, { DIGEST_SCHEDULE: '* * * * * 0-6' });
    const schedulers = [h.spawn('schedule'), h.spawn('schedule')];
    const editions = async () => h.sql<{ number: number; tick_key: string; status: string }>('SELECT number, tick_key, status FROM editions ORDER BY number');
    for (let n = 1; n <= 5; n += 1) {
      await waitFor(`edition ${n}`, async () => (await editions()).length >= n, 60_000);
      // Something new for the next tick.
      h.ws.writePost(`new-${n}.md`, post({ title: `New post ${n}`, date: new Date(Date.now() - 60_000).toISOString() }));
    }
    await waitFor('five editions complete', async () => (await editions()).slice(0, 5).every((e) => e.status === 'complete'), 60_000);
    for (const s of schedulers) s.child.kill('SIGTERM');
    expect((await Promise.all(schedulers.map((s) => s.exited))).map((e) => e.code)).toEqual([0, 0]);

    const made = (await editions()).slice(0, 5);
    expect(new Set(made.map((e) => e.tick_key)).size).toBe(5);
    const ticks = await h.sql<{ tick_key: string; outcome: string; edition: number | null }>(`SELECT tick_key, outcome, edition FROM ticks WHERE outcome = 'sent' ORDER BY tick_key`);
    for (const e of made) expect(ticks.filter((t) => t.tick_key === e.tick_key)).toEqual([{ tick_key: e.tick_key, outcome: 'sent', edition: e.number }]);
    // Each tick was run by one process; the other found it taken.
    const ran = schedulers.flatMap((s) => s.events.filter((e) => e.event === 'schedule.tick').map((e) => String(e.tick)));
    expect(ran.length).toBe(new Set(ran).size);
    for (const e of made) expect(ran).toContain(e.tick_key);
    for (const reader of READERS) {
      const subjects = h.server.accepted(reader).map((m) => /Subject: (.*)/.exec(m.data.toString())?.[1] ?? '');
      expect(subjects).toHaveLength(5);
      expect(new Set(subjects).size).toBe(5);
    }
  }, 300_000);
});
