import { INTERRUPTED_AFTER_COMMIT, resendNote } from '../rows.js';
import type { WorkerStatus, WorkerStore } from '../store.js';
import type { Pg } from './db.js';
import { toPgStoreError } from './guard.js';
import { WORK_CHANNEL } from './editions.js';

interface WorkerRow {
  id: string;
  host: string;
  pid: number;
  process_start: string;
  started_at: Date;
  age_seconds: number;
  claimed: number;
}

/** Rows of the dead, and rows held by no registered worker (removed by hand, say). */
const ORPHANED = `(worker_id IS NULL OR worker_id = ANY($1::text[]) OR NOT EXISTS (SELECT 1 FROM workers w WHERE w.id = deliveries.worker_id))`;

/**
 * The writes that hand rows in flight back: a worker leaving ($1 now, $2 worker), and the recovery
 * of dead workers' rows ($1 the dead, $2 now; resend: $3 reason, $4 note, $5 retry time; uncertain:
 * $3 reason). PostgreSQL reads them through deliveries_in_flight, whose condition each implies.
 */
export const IN_FLIGHT_WRITES = {
  release: `UPDATE deliveries SET state = 'pending', worker_id = NULL, attempts = greatest(0, attempts - 1), updated_at = $1 WHERE state = 'sending' AND worker_id = $2`,
  requeue: `UPDATE deliveries SET state = 'pending', worker_id = NULL, updated_at = $2 WHERE state = 'sending' AND ${ORPHANED}`,
  // UNCERTAIN_RESEND=once: an awaiting row not yet resent gets its one resend, as in a run.
  resend: `UPDATE deliveries SET state = 'deferred', resends = resends + 1, first_uncertain = $3, last_error = $4, retry_at = $5, worker_id = NULL, updated_at = $2
    WHERE state = 'awaiting' AND resends = 0 AND ${ORPHANED}`,
  uncertain: `UPDATE deliveries SET state = 'uncertain', last_error = $3, updated_at = $2 WHERE state = 'awaiting' AND ${ORPHANED}`,
};

/** Liveness judged by the database server's clock (now()), whatever the workers' clocks say. */
export function workerStore(db: Pg): WorkerStore {
  return {
    async registerWorker(worker) {
      await db.run(
        `INSERT INTO workers (id, host, pid, process_start) VALUES ($1, $2, $3, $4)
         ON CONFLICT (id) DO UPDATE SET heartbeat_at = now()`,
        [worker.id, worker.host, worker.pid, worker.processStart],
      );
    },
    async heartbeatWorker(id) {
      return (await db.run('UPDATE workers SET heartbeat_at = now() WHERE id = $1', [id])) === 1;
    },
    async deregisterWorker(id, now) {
      return db.tx(async (sql) => {
        const released = await sql.run(IN_FLIGHT_WRITES.release, [now.getTime(), id]);
        await sql.run('DELETE FROM workers WHERE id = $1', [id]);
        if (released > 0) await sql.run('SELECT pg_notify($1, $2)', [WORK_CHANNEL, 'released']);
        return released;
      });
    },
    async listWorkers() {
      const rows = await db.rows<WorkerRow>(
        `SELECT w.*, extract(epoch FROM now() - w.heartbeat_at)::float8 AS age_seconds,
           (SELECT count(*)::int FROM deliveries d WHERE d.worker_id = w.id AND d.state IN ('sending', 'awaiting')) AS claimed
         FROM workers w ORDER BY w.started_at`,
      );
      return rows.map(
        (row): WorkerStatus => ({
          id: row.id,
          host: row.host,
          pid: row.pid,
          processStart: row.process_start,
          startedAt: row.started_at,
          heartbeatAgeSeconds: Math.max(0, row.age_seconds),
          claimed: row.claimed,
        }),
      );
    },
    async recoverDeadWorkers(deadAfterSeconds, known, now, resendAt) {
      return db.tx(async (sql) => {
        const dead = await sql.rows<{ id: string }>(
          `DELETE FROM workers WHERE heartbeat_at < now() - make_interval(secs => $1) OR id = ANY($2::text[]) RETURNING id`,
          [deadAfterSeconds, known],
        );
        const workers = dead.map((row) => row.id);
        const at = now.getTime();
        const requeued = await sql.run(IN_FLIGHT_WRITES.requeue, [workers, at]);
        const reason = INTERRUPTED_AFTER_COMMIT;
        const resent = resendAt ? await sql.run(IN_FLIGHT_WRITES.resend, [workers, at, reason, resendNote(reason), resendAt.getTime()]) : 0;
        const uncertain = await sql.run(IN_FLIGHT_WRITES.uncertain, [workers, at, reason]);
        if (requeued + resent > 0) await sql.run('SELECT pg_notify($1, $2)', [WORK_CHANNEL, 'recovered']);
        return { workers, requeued, uncertain, resent };
      });
    },
    async watchWork(wake) {
      if (db.dryRun) return async () => undefined;
      const client = await db.connect();
      const onNotification = (message: { channel: string }) => {
        if (message.channel === WORK_CHANNEL) wake();
      };
      client.on('notification', onNotification);
      // A lost LISTEN connection only costs promptness: the worker's poll still finds the work.
      client.on('error', () => undefined);
      await client.query(`LISTEN ${WORK_CHANNEL}`).catch((error: unknown) => {
        client.release(true);
        return Promise.reject(toPgStoreError(error, db.where));
      });
      return async () => {
        client.off('notification', onNotification);
        await client.query(`UNLISTEN ${WORK_CHANNEL}`).catch(() => undefined);
        client.release();
      };
    },
  };
}
