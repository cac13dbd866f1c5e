import { claimWith, resendNote, stateCounts, toDelivery, type DeliveryRow, type SubscriberRow, type TouchedRow } from '../rows.js';
import type { DeliveryState, DeliveryStore, LedgerWrite, LedgerWriteResult } from '../store.js';
import type { Pg, Sql } from './db.js';

/**
 * The delivery ledger as a work queue on PostgreSQL. A claim locks the first open rows that no
 * one else has locked (FOR UPDATE SKIP LOCKED), so any number of workers claim at once without
 * waiting on each other or taking the same row; every later write names its worker (fenced), and
 * a worker declared dead (its row gone) can neither claim nor commit a message any more.
 *
 * A claim's work stays the same however much of the edition is sent or deferred:
 * - the open rows come from the partial index deliveries_claimable (pending rows, then deferred
 *   ones by retry time), so the scan stops at the first row not yet due;
 * - whether each subscriber is still active is one lookup by key (as a join, the planner merged it
 *   with the subscribers' key from the first id on: 85 ms a claim three quarters through 200,000);
 * - each claimed row is updated where it was locked, by its ctid (as a join on the key, the
 *   planner read every row of the table below some tens of thousands).
 */
export const CLAIM_BATCH = `UPDATE deliveries AS d SET
    state = CASE WHEN p.active THEN 'sending' ELSE 'skipped' END,
    worker_id = CASE WHEN p.active THEN $1 END,
    attempts = d.attempts + CASE WHEN p.active THEN 1 ELSE 0 END,
    last_error = CASE WHEN p.active THEN d.last_error ELSE 'no longer subscribed' END,
    updated_at = $2
  FROM (
    SELECT o.ctid AS row, o.edition, o.subscriber_id, coalesce((SELECT s.status = 'active' FROM subscribers s WHERE s.id = o.subscriber_id), false) AS active
      FROM deliveries o
      JOIN editions e ON e.number = o.edition AND e.status = 'sending'
     WHERE EXISTS (SELECT 1 FROM workers w WHERE w.id = $1::text)
       AND ($3::int IS NULL OR o.edition = $3)
       AND o.state IN ('pending', 'deferred') AND coalesce(o.retry_at, 0) <= $2
     ORDER BY o.edition, coalesce(o.retry_at, 0), o.subscriber_id
     LIMIT $4
     FOR UPDATE OF o SKIP LOCKED
  ) AS p
  WHERE d.ctid = p.row
  RETURNING d.edition, d.subscriber_id, d.state, d.attempts`;

const ACTIVE = `EXISTS (SELECT 1 FROM subscribers s WHERE s.id = deliveries.subscriber_id AND s.status = 'active')`;

type Awaiting = Extract<LedgerWrite, { kind: 'awaiting' }>;
type Finish = Extract<LedgerWrite, { kind: 'finish' }>;
const isAwaiting = (write: LedgerWrite): write is Awaiting => write.kind === 'awaiting';
const isFinish = (write: LedgerWrite): write is Finish => write.kind === 'finish';
const distinctRows = (writes: LedgerWrite[]) => new Set(writes.map((w) => w.subscriberId)).size === writes.length;

/**
 * sending → awaiting for some rows and the outcomes of others, in one statement (one round trip,
 * atomic on its own), each write fenced by owner; the ids whose write was allowed. The two lists
 * name distinct rows (a row is either being committed or finished), which two updates of one
 * table in one statement require.
 */
async function markAndFinish(sql: Sql, worker: string, edition: number, marks: Omit<Awaiting, 'kind'>[], outcomes: Omit<Finish, 'kind'>[]): Promise<{ marked: Set<number>; finished: Set<number> }> {
  if (marks.length + outcomes.length === 0) return { marked: new Set(), finished: new Set() };
  const changed = await sql.rows<{ subscriber_id: number; marked: boolean }>(
    `WITH marked AS (
       UPDATE deliveries AS d SET state = 'awaiting', message_id = v.message_id, updated_at = v.at
         FROM unnest($1::bigint[], $2::text[], $3::bigint[]) AS v(subscriber_id, message_id, at)
        WHERE d.edition = $9 AND d.subscriber_id = v.subscriber_id AND d.state = 'sending' AND d.worker_id = $10
          AND EXISTS (SELECT 1 FROM subscribers s WHERE s.id = d.subscriber_id AND s.status = 'active')
          AND EXISTS (SELECT 1 FROM workers w WHERE w.id = $10)
       RETURNING d.subscriber_id),
     finished AS (
       UPDATE deliveries AS d SET state = v.state, last_error = v.error, retry_at = v.retry_at, updated_at = v.at,
           worker_id = CASE WHEN v.state = 'deferred' THEN NULL ELSE d.worker_id END
         FROM unnest($4::bigint[], $5::text[], $6::text[], $7::bigint[], $8::bigint[]) AS v(subscriber_id, state, error, retry_at, at)
        WHERE d.edition = $9 AND d.subscriber_id = v.subscriber_id AND d.state IN ('sending', 'awaiting') AND d.worker_id = $10
       RETURNING d.subscriber_id)
     SELECT subscriber_id, true AS marked FROM marked UNION ALL SELECT subscriber_id, false FROM finished`,
    [
      marks.map((r) => r.subscriberId),
      marks.map((r) => r.messageId),
      marks.map((r) => r.at.getTime()),
      outcomes.map((r) => r.subscriberId),
      outcomes.map((r) => r.outcome.state),
      outcomes.map((r) => r.outcome.error ?? null),
      outcomes.map((r) => r.outcome.retryAt?.getTime() ?? null),
      outcomes.map((r) => r.at.getTime()),
      edition,
      worker,
    ],
  );
  return {
    marked: new Set(changed.filter((row) => row.marked).map((row) => row.subscriber_id)),
    finished: new Set(changed.filter((row) => !row.marked).map((row) => row.subscriber_id)),
  };
}

async function recordUncertain(sql: Sql, worker: string, edition: number, id: number, reason: string, resendAt: Date | undefined, now: Date): Promise<'deferred' | 'uncertain' | undefined> {
  const at = now.getTime();
  if (resendAt) {
    // The one resend: back to deferred, claimable again by any worker, the same Message-ID kept.
    const resent = await sql.run(
      `UPDATE deliveries SET state = 'deferred', resends = resends + 1, first_uncertain = $1, last_error = $2, retry_at = $3, updated_at = $4, worker_id = NULL
       WHERE edition = $5 AND subscriber_id = $6 AND state IN ('sending', 'awaiting') AND worker_id = $7 AND resends = 0`,
      [reason, resendNote(reason), resendAt.getTime(), at, edition, id, worker],
    );
    if (resent === 1) return 'deferred';
  }
  const kept = await sql.run(
    `UPDATE deliveries SET state = 'uncertain', last_error = $1, retry_at = NULL, updated_at = $2
     WHERE edition = $3 AND subscriber_id = $4 AND state IN ('sending', 'awaiting') AND worker_id = $5`,
    [reason, at, edition, id, worker],
  );
  return kept === 1 ? 'uncertain' : undefined;
}

/**
 * A group commit: the awaiting marks and the outcomes in one statement, the rare uncertain ones
 * row by row after it (then in a transaction). The rows of one batch are distinct (each is one
 * in-flight message); a batch naming a row twice is written row by row, in order, instead.
 */
async function recordBatch(sql: Sql, worker: string, edition: number, writes: LedgerWrite[]): Promise<LedgerWriteResult[]> {
  if (!distinctRows(writes)) {
    const results: LedgerWriteResult[] = [];
    for (const write of writes) results.push(...(await recordBatch(sql, worker, edition, [write])));
    return results;
  }
  const { marked, finished } = await markAndFinish(sql, worker, edition, writes.filter(isAwaiting), writes.filter(isFinish));
  const results: LedgerWriteResult[] = [];
  for (const write of writes) {
    if (write.kind === 'awaiting') results.push(marked.has(write.subscriberId));
    else if (write.kind === 'finish') results.push(finished.has(write.subscriberId));
    else results.push(await recordUncertain(sql, worker, edition, write.subscriberId, write.reason, write.resendAt, write.at));
  }
  return results;
}

export function deliveryStore(db: Pg): DeliveryStore {
  return {
    async claimBatch(worker, { edition, limit }, now) {
      return claimWith(
        () => db.rows<TouchedRow>(CLAIM_BATCH, [worker, now.getTime(), edition ?? null, limit]),
        (ids) => db.rows<SubscriberRow>('SELECT * FROM subscribers WHERE id = ANY($1::bigint[])', [ids]),
        (rows) =>
          db.run(
            `UPDATE deliveries SET state = 'skipped', last_error = 'no longer subscribed', updated_at = $1
             FROM unnest($2::int[], $3::bigint[]) AS g (edition, subscriber_id)
             WHERE deliveries.edition = g.edition AND deliveries.subscriber_id = g.subscriber_id AND state = 'sending' AND worker_id = $4`,
            [now.getTime(), rows.map((r) => r.edition), rows.map((r) => r.subscriber_id), worker],
          ),
      );
    },
    async claim(worker, edition, ids, now) {
      const rows = await db.rows<{ subscriber_id: number }>(
        `UPDATE deliveries SET state = 'sending', worker_id = $1, attempts = attempts + 1, updated_at = $2
         WHERE edition = $3 AND subscriber_id = ANY($4::bigint[]) AND state IN ('pending', 'deferred')
           AND EXISTS (SELECT 1 FROM workers w WHERE w.id = $1) RETURNING subscriber_id`,
        [worker, now.getTime(), edition, ids],
      );
      const claimed = new Set(rows.map((row) => row.subscriber_id));
      return ids.filter((id) => claimed.has(id));
    },
    async markAwaiting(worker, edition, id, messageId, now) {
      return (await markAndFinish(db, worker, edition, [{ subscriberId: id, messageId, at: now }], [])).marked.has(id);
    },
    async finish(worker, edition, id, outcome, now) {
      return (await markAndFinish(db, worker, edition, [], [{ subscriberId: id, outcome, at: now }])).finished.has(id);
    },
    async recordUncertain(worker, edition, id, reason, resendAt, now) {
      return recordUncertain(db, worker, edition, id, reason, resendAt, now);
    },
    async recordBatch(worker, edition, writes) {
      // The usual group (marks and outcomes of distinct rows) is one statement: one round trip
      // instead of four (BEGIN, the marks, the outcomes, COMMIT). Uncertain results take a transaction.
      if (distinctRows(writes) && !writes.some((w) => w.kind === 'uncertain')) return recordBatch(db, worker, edition, writes);
      return db.tx((sql) => recordBatch(sql, worker, edition, writes));
    },
    async release(worker, edition, ids, now) {
      return db.run(
        `UPDATE deliveries SET state = 'pending', worker_id = NULL, attempts = greatest(0, attempts - 1), updated_at = $1
         WHERE edition = $2 AND subscriber_id = ANY($3::bigint[]) AND state = 'sending' AND worker_id = $4`,
        [now.getTime(), edition, ids, worker],
      );
    },
    async settleOpen(edition, now, { giveUp }) {
      return db.tx(async (sql) => {
        const at = now.getTime();
        const skipped = await sql.run(
          `UPDATE deliveries SET state = 'skipped', last_error = 'no longer subscribed', updated_at = $1
           WHERE edition = $2 AND state IN ('pending', 'deferred') AND NOT ${ACTIVE}`,
          [at, edition],
        );
        const gaveUp = giveUp
          ? await sql.run(
              `UPDATE deliveries SET state = 'failed', last_error = 'gave up, still deferred at the maximum age: ' || coalesce(last_error, ''), updated_at = $1 WHERE edition = $2 AND state = 'deferred'`,
              [at, edition],
            )
          : 0;
        return { skipped, gaveUp };
      });
    },
    async countDeliveries(edition, states) {
      // A complete edition's kept counts; otherwise counted now (coalesce evaluates the second only then).
      const only = states ? ' AND state = ANY($2::text[])' : '';
      const [row] = await db.rows<{ counts: Record<string, number> }>(
        `SELECT coalesce((SELECT final_counts FROM editions WHERE number = $1),
           (SELECT coalesce(jsonb_object_agg(state, n), '{}'::jsonb) FROM (SELECT state, count(*)::int AS n FROM deliveries WHERE edition = $1${only} GROUP BY state) c)) AS counts`,
        states ? [edition, states] : [edition],
      );
      return stateCounts(row?.counts ?? {}, states);
    },
    async listDeliveries(edition, states, { limit, soonestRetry } = {}) {
      const order = soonestRetry ? 'retry_at NULLS LAST, subscriber_id' : 'subscriber_id';
      const rows = await db.rows<DeliveryRow>(`SELECT * FROM deliveries WHERE edition = $1 AND state = ANY($2::text[]) ORDER BY ${order} LIMIT $3`, [edition, states, limit ?? null]);
      return rows.map(toDelivery);
    },
  };
}
