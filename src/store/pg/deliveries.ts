import { claimWith, stateCounts, toDelivery, type DeliveryRow, type SubscriberRow, type TouchedRow } from '../rows.js';
import type { DeliveryState, DeliveryStore } from '../store.js';
import type { Pg } from './db.js';

/**
 * The delivery ledger as a work queue on PostgreSQL. A claim locks the first open rows that no
 * one else has locked (FOR UPDATE SKIP LOCKED), so any number of workers claim at once without
 * waiting on each other or taking the same row; every later write names its worker (fenced), and
 * a worker declared dead (its row gone) can neither claim nor commit a message any more.
 */
const CLAIM_BATCH = `UPDATE deliveries AS d SET
    state = CASE WHEN p.active THEN 'sending' ELSE 'skipped' END,
    worker_id = CASE WHEN p.active THEN $1 END,
    attempts = d.attempts + CASE WHEN p.active THEN 1 ELSE 0 END,
    last_error = CASE WHEN p.active THEN d.last_error ELSE 'no longer subscribed' END,
    updated_at = $2
  FROM (
    SELECT o.edition, o.subscriber_id, coalesce(s.status = 'active', false) AS active
      FROM deliveries o
      JOIN editions e ON e.number = o.edition AND e.status = 'sending'
      LEFT JOIN subscribers s ON s.id = o.subscriber_id
     WHERE EXISTS (SELECT 1 FROM workers w WHERE w.id = $1::text)
       AND ($3::int IS NULL OR o.edition = $3)
       AND (o.state = 'pending' OR (o.state = 'deferred' AND coalesce(o.retry_at, 0) <= $2))
     ORDER BY o.edition, o.subscriber_id
     LIMIT $4
     FOR UPDATE OF o SKIP LOCKED
  ) AS p
  WHERE d.edition = p.edition AND d.subscriber_id = p.subscriber_id
  RETURNING d.edition, d.subscriber_id, d.state, d.attempts`;

const ACTIVE = `EXISTS (SELECT 1 FROM subscribers s WHERE s.id = deliveries.subscriber_id AND s.status = 'active')`;

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
      const changed = await db.run(
        `UPDATE deliveries SET state = 'awaiting', message_id = $1, updated_at = $2
         WHERE edition = $3 AND subscriber_id = $4 AND state = 'sending' AND worker_id = $5 AND ${ACTIVE}
           AND EXISTS (SELECT 1 FROM workers w WHERE w.id = $5)`,
        [messageId, now.getTime(), edition, id, worker],
      );
      return changed === 1;
    },
    async finish(worker, edition, id, outcome, now) {
      const changed = await db.run(
        `UPDATE deliveries SET state = $1, last_error = $2, retry_at = $3, updated_at = $4,
           worker_id = CASE WHEN $1 = 'deferred' THEN NULL ELSE worker_id END
         WHERE edition = $5 AND subscriber_id = $6 AND state IN ('sending', 'awaiting') AND worker_id = $7`,
        [outcome.state, outcome.error ?? null, outcome.retryAt?.getTime() ?? null, now.getTime(), edition, id, worker],
      );
      return changed === 1;
    },
    async recordUncertain(worker, edition, id, reason, resendAt, now) {
      const at = now.getTime();
      if (resendAt) {
        // The one resend: back to deferred, claimable again by any worker, the same Message-ID kept.
        const resent = await db.run(
          `UPDATE deliveries SET state = 'deferred', resends = resends + 1, first_uncertain = $1, last_error = $2, retry_at = $3, updated_at = $4, worker_id = NULL
           WHERE edition = $5 AND subscriber_id = $6 AND state IN ('sending', 'awaiting') AND worker_id = $7 AND resends = 0`,
          [reason, `uncertain (${reason}); resent once with the same Message-ID`, resendAt.getTime(), at, edition, id, worker],
        );
        if (resent === 1) return 'deferred';
      }
      const kept = await db.run(
        `UPDATE deliveries SET state = 'uncertain', last_error = $1, retry_at = NULL, updated_at = $2
         WHERE edition = $3 AND subscriber_id = $4 AND state IN ('sending', 'awaiting') AND worker_id = $5`,
        [reason, at, edition, id, worker],
      );
      return kept === 1 ? 'uncertain' : undefined;
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
    async countDeliveries(edition) {
      return stateCounts(await db.rows<{ state: DeliveryState; n: number }>('SELECT state, count(*)::int AS n FROM deliveries WHERE edition = $1 GROUP BY state', [edition]));
    },
    async listDeliveries(edition, states, { limit, soonestRetry } = {}) {
      const order = soonestRetry ? 'retry_at NULLS LAST, subscriber_id' : 'subscriber_id';
      const rows = await db.rows<DeliveryRow>(`SELECT * FROM deliveries WHERE edition = $1 AND state = ANY($2::text[]) ORDER BY ${order} LIMIT $3`, [edition, states, limit ?? null]);
      return rows.map(toDelivery);
    },
  };
}
