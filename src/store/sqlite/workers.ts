import { INTERRUPTED_AFTER_COMMIT, resendNote } from '../rows.js';
import type { WorkerStatus, WorkerStore } from '../store.js';
import type { Db } from './open.js';
import { IN_FLIGHT } from './partial-indexes.js';

/** The database's clock, in epoch milliseconds: heartbeats are written and judged by it alone. */
const DB_NOW = `CAST(unixepoch('subsec') * 1000 AS INTEGER)`;

interface WorkerRow {
  id: string;
  host: string;
  pid: number;
  process_start: string;
  started_at: number;
  age_ms: number;
  claimed: number;
}

// Rows of the dead, and rows held by no registered worker (a worker removed by hand, a ledger
// from before workers existed).
const ORPHANED = `(worker_id IS NULL OR worker_id IN (SELECT value FROM json_each(@dead)) OR worker_id NOT IN (SELECT id FROM workers))`;

/**
 * The writes that hand rows in flight back: a worker leaving, and the recovery of dead workers'
 * rows. Each repeats the condition of deliveries_in_flight (partial-indexes.ts); without it each
 * read every delivery of every edition, about 300 ms per three million rows, holding the write
 * lock, at every send and on each poll of every `digest worker`.
 */
export const IN_FLIGHT_WRITES = {
  release: `UPDATE deliveries SET state = 'pending', worker_id = NULL, attempts = max(0, attempts - 1), updated_at = @now
    WHERE ${IN_FLIGHT} AND state = 'sending' AND worker_id = @worker`,
  requeue: `UPDATE deliveries SET state = 'pending', worker_id = NULL, updated_at = @now WHERE ${IN_FLIGHT} AND state = 'sending' AND ${ORPHANED}`,
  // UNCERTAIN_RESEND=once: an awaiting row not yet resent gets its one resend, as in a run.
  resend: `UPDATE deliveries SET state = 'deferred', resends = resends + 1, first_uncertain = @reason, last_error = @note, retry_at = @resendAt, worker_id = NULL, updated_at = @now
    WHERE ${IN_FLIGHT} AND state = 'awaiting' AND resends = 0 AND ${ORPHANED}`,
  uncertain: `UPDATE deliveries SET state = 'uncertain', last_error = @reason, updated_at = @now WHERE ${IN_FLIGHT} AND state = 'awaiting' AND ${ORPHANED}`,
};

export function workerStore(db: Db): WorkerStore {
  const register = db.prepare(
    `INSERT INTO workers (id, host, pid, process_start, started_at, heartbeat_at) VALUES (@id, @host, @pid, @processStart, ${DB_NOW}, ${DB_NOW})
     ON CONFLICT (id) DO UPDATE SET heartbeat_at = excluded.heartbeat_at`,
  );
  const heartbeat = db.prepare(`UPDATE workers SET heartbeat_at = ${DB_NOW} WHERE id = ?`);
  const releaseAll = db.prepare(IN_FLIGHT_WRITES.release);
  const remove = db.prepare('DELETE FROM workers WHERE id = ?');
  const list = db.prepare(
    `SELECT w.*, ${DB_NOW} - w.heartbeat_at AS age_ms,
       (SELECT count(*) FROM deliveries d WHERE d.worker_id = w.id AND d.state IN ('sending', 'awaiting')) AS claimed
     FROM workers w ORDER BY w.started_at`,
  );
  const dead = db.prepare(`SELECT id FROM workers WHERE heartbeat_at < ${DB_NOW} - @ms OR id IN (SELECT value FROM json_each(@known))`);
  const requeue = db.prepare(IN_FLIGHT_WRITES.requeue);
  const resend = db.prepare(IN_FLIGHT_WRITES.resend);
  const uncertain = db.prepare(IN_FLIGHT_WRITES.uncertain);
  const removeDead = db.prepare('DELETE FROM workers WHERE id IN (SELECT value FROM json_each(?))');
  const recover = db.transaction((ms: number, known: string[], now: number, resendAt: number | undefined) => {
    const workers = (dead.all({ ms, known: JSON.stringify(known) }) as { id: string }[]).map((row) => row.id);
    removeDead.run(JSON.stringify(workers));
    const params = { dead: JSON.stringify(workers), now };
    const requeued = requeue.run(params).changes;
    const reason = INTERRUPTED_AFTER_COMMIT;
    const resent = resendAt === undefined ? 0 : resend.run({ ...params, reason, note: resendNote(reason), resendAt }).changes;
    return { workers, requeued, uncertain: uncertain.run({ ...params, reason }).changes, resent };
  });
  return {
    async registerWorker(worker) {
      register.run(worker);
    },
    async heartbeatWorker(id) {
      return heartbeat.run(id).changes === 1;
    },
    async deregisterWorker(id, now) {
      return db.transaction(() => {
        const released = releaseAll.run({ now: now.getTime(), worker: id }).changes;
        remove.run(id);
        return released;
      }).immediate();
    },
    async listWorkers() {
      return (list.all() as WorkerRow[]).map(
        (row): WorkerStatus => ({
          id: row.id,
          host: row.host,
          pid: row.pid,
          processStart: row.process_start,
          startedAt: new Date(row.started_at),
          heartbeatAgeSeconds: Math.max(0, row.age_ms / 1000),
          claimed: row.claimed,
        }),
      );
    },
    async recoverDeadWorkers(deadAfterSeconds, known, now, resendAt) {
      return recover.immediate(deadAfterSeconds * 1000, known, now.getTime(), resendAt?.getTime());
    },
    async watchWork() {
      // No notifications in SQLite: workers poll.
      return async () => undefined;
    },
  };
}
