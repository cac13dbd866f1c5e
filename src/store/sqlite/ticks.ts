import { toTick, type TickRow } from '../rows.js';
import type { TickStore } from '../ticks.js';
import type { Db } from './open.js';

/** Tick keys are ISO UTC strings of one length, so text order is time order. */
export function tickStore(db: Db): TickStore {
  // An interrupted or failed tick may be claimed again (retried, or recorded as missed); any
  // other outcome is final. 'running' is not claimable, so two instances never retry it together.
  const claim = db.prepare(
    `INSERT INTO ticks (cadence, tick_key, started_at, outcome) VALUES (?, ?, ?, ?)
     ON CONFLICT (cadence, tick_key) DO UPDATE SET outcome = excluded.outcome, started_at = excluded.started_at, finished_at = NULL
     WHERE ticks.outcome IN ('interrupted', 'failed')`,
  );
  const finish = db.prepare('UPDATE ticks SET outcome = @outcome, edition = @edition, detail = @detail, finished_at = @now WHERE cadence = @cadence AND tick_key = @key');
  const last = db.prepare('SELECT * FROM ticks WHERE cadence = ? ORDER BY tick_key DESC LIMIT 1');
  const recent = db.prepare('SELECT * FROM ticks ORDER BY tick_key DESC LIMIT ?');
  return {
    async claimTick(cadence, key, outcome, now) {
      return claim.run(cadence, key, now.getTime(), outcome).changes === 1;
    },
    async finishTick(cadence, key, result, now) {
      finish.run({ cadence, key, outcome: result.outcome, edition: result.edition ?? null, detail: result.detail ?? null, now: now.getTime() });
    },
    async lastTick(cadence) {
      const row = last.get(cadence) as TickRow | undefined;
      return row && toTick(row);
    },
    async recentTicks(limit) {
      return (recent.all(limit) as TickRow[]).map(toTick);
    },
  };
}
