import { toTick, type TickRow } from '../rows.js';
import type { TickStore } from '../ticks.js';
import type { Pg } from './db.js';

/** As in SQLite: an interrupted or failed tick may be claimed again; any other outcome is final. */
export function tickStore(db: Pg): TickStore {
  return {
    async claimTick(cadence, key, outcome, now) {
      const changed = await db.run(
        `INSERT INTO ticks (cadence, tick_key, started_at, outcome) VALUES ($1, $2, $3, $4)
         ON CONFLICT (cadence, tick_key) DO UPDATE SET outcome = excluded.outcome, started_at = excluded.started_at, finished_at = NULL
         WHERE ticks.outcome IN ('interrupted', 'failed')`,
        [cadence, key, now.getTime(), outcome],
      );
      return changed === 1;
    },
    async finishTick(cadence, key, result, now) {
      await db.run('UPDATE ticks SET outcome = $1, edition = $2, detail = $3, finished_at = $4 WHERE cadence = $5 AND tick_key = $6', [
        result.outcome,
        result.edition ?? null,
        result.detail ?? null,
        now.getTime(),
        cadence,
        key,
      ]);
    },
    async lastTick(cadence) {
      const [row] = await db.rows<TickRow>('SELECT * FROM ticks WHERE cadence = $1 ORDER BY tick_key DESC LIMIT 1', [cadence]);
      return row && toTick(row);
    },
    async recentTicks(limit) {
      return (await db.rows<TickRow>('SELECT * FROM ticks ORDER BY tick_key DESC LIMIT $1', [limit])).map(toTick);
    },
  };
}
