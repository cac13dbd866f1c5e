import { claimWith, resendNote, stateCounts, toDelivery, type DeliveryRow, type SubscriberRow, type TouchedRow } from '../rows.js';
import type { DeliveryOutcome, DeliveryState, DeliveryStore, LedgerWrite, LedgerWriteResult } from '../store.js';
import type { Db } from './open.js';
import { BY_STATE, IN_FLIGHT, inByState } from './partial-indexes.js';

const active = `EXISTS (SELECT 1 FROM subscribers s WHERE s.id = deliveries.subscriber_id AND s.status = 'active')`;
// A worker declared dead (its row removed) claims and commits nothing more under that identity.
const registered = `EXISTS (SELECT 1 FROM workers w WHERE w.id = @worker)`;

/**
 * Claims the first claimable rows, of one edition or of any open one: pending rows, then deferred
 * ones whose retry time has come. The partial index deliveries_claimable holds only pending and
 * deferred rows, ordered by when they become claimable, so a claim reads the rows it takes and
 * stops at the first one not yet due: its work does not grow with the rows already sent or the
 * deferred ones still waiting. CROSS JOIN keeps the editions as the outer loop, oldest first, so
 * that each open edition's claimable rows are one range of that index.
 */
export function claimBatchSql(scope: 'edition' | 'any'): string {
  return `UPDATE deliveries SET
       state = CASE WHEN ${active} THEN 'sending' ELSE 'skipped' END,
       worker_id = CASE WHEN ${active} THEN @worker END,
       attempts = attempts + CASE WHEN ${active} THEN 1 ELSE 0 END,
       last_error = CASE WHEN ${active} THEN last_error ELSE 'no longer subscribed' END,
       updated_at = @now
     WHERE ${registered} AND rowid IN (
       SELECT d.rowid FROM editions e CROSS JOIN deliveries d ON d.edition = e.number
        WHERE e.status = 'sending' ${scope === 'edition' ? 'AND e.number = @edition' : ''}
          AND d.state IN ('pending', 'deferred') AND coalesce(d.retry_at, 0) <= @now
        ORDER BY e.number, coalesce(d.retry_at, 0), d.subscriber_id LIMIT @limit)
     RETURNING edition, subscriber_id, state, attempts`;
}

/**
 * The delivery ledger as a work queue. SQLite serialises writers, so a claim is one UPDATE over
 * the first open rows; every later write names the worker (`AND worker_id = @worker`), so only
 * the row's owner can move it on along sending → awaiting → sent | deferred | failed | uncertain.
 */
export function deliveryStore(db: Db): DeliveryStore {
  const claimInEdition = db.prepare(claimBatchSql('edition'));
  const claimInAny = db.prepare(claimBatchSql('any'));
  const finalCounts = db.prepare('SELECT final_counts FROM editions WHERE number = ?');
  // An open edition counted in one snapshot: the indexed states, the rows in flight, and as sent
  // the rest of the edition's rows (counted on its key).
  const countIndexed = db.prepare(`SELECT state, count(*) AS n FROM deliveries INDEXED BY deliveries_by_state WHERE edition = ? AND ${BY_STATE} GROUP BY state`);
  const countInFlight = db.prepare(`SELECT state, count(*) AS n FROM deliveries INDEXED BY deliveries_in_flight WHERE ${IN_FLIGHT} AND edition = ? GROUP BY state`);
  const countAll = db.prepare('SELECT count(*) AS n FROM deliveries WHERE edition = ?');
  const countOpenEdition = db.transaction((edition: number) => {
    const rows = [...countIndexed.all(edition), ...countInFlight.all(edition)] as { state: DeliveryState; n: number }[];
    const all = (countAll.get(edition) as { n: number }).n;
    return [...rows, { state: 'sent' as const, n: all - rows.reduce((sum, row) => sum + row.n, 0) }];
  });
  const subscribersOf = db.prepare(`SELECT * FROM subscribers WHERE id IN (SELECT value FROM json_each(?))`);
  const claimOne = db.prepare(
    `UPDATE deliveries SET state = 'sending', worker_id = @worker, attempts = attempts + 1, updated_at = @now
     WHERE edition = @edition AND subscriber_id = @id AND state IN ('pending', 'deferred') AND ${registered}`,
  );
  const claimSome = db.transaction((worker: string, edition: number, ids: number[], now: number) =>
    ids.filter((id) => claimOne.run({ worker, edition, id, now }).changes === 1),
  );
  const awaiting = db.prepare(
    `UPDATE deliveries SET state = 'awaiting', message_id = @messageId, updated_at = @now
     WHERE edition = @edition AND subscriber_id = @id AND state = 'sending' AND worker_id = @worker AND ${active} AND ${registered}`,
  );
  const finish = db.prepare(
    `UPDATE deliveries SET state = @state, last_error = @error, retry_at = @retryAt, updated_at = @now,
       worker_id = CASE WHEN @state = 'deferred' THEN NULL ELSE worker_id END
     WHERE edition = @edition AND subscriber_id = @id AND state IN ('sending', 'awaiting') AND worker_id = @worker`,
  );
  // An uncertain attempt's one resend: back to deferred, claimable again by any worker, the same Message-ID kept.
  const resendOnce = db.prepare(
    `UPDATE deliveries SET state = 'deferred', resends = resends + 1, first_uncertain = @reason, last_error = @error, retry_at = @retryAt,
       updated_at = @now, worker_id = NULL
     WHERE edition = @edition AND subscriber_id = @id AND state IN ('sending', 'awaiting') AND worker_id = @worker AND resends = 0`,
  );
  const releaseOne = db.prepare(
    `UPDATE deliveries SET state = 'pending', worker_id = NULL, attempts = max(0, attempts - 1), updated_at = @now
     WHERE edition = @edition AND subscriber_id = @id AND state = 'sending' AND worker_id = @worker`,
  );
  const releaseSome = db.transaction((worker: string, edition: number, ids: number[], now: number) =>
    ids.reduce((n, id) => n + releaseOne.run({ worker, edition, id, now }).changes, 0),
  );
  const markAwaiting = (worker: string, edition: number, id: number, messageId: string, now: Date) =>
    awaiting.run({ worker, edition, id, messageId, now: now.getTime() }).changes === 1;
  const finishOne = (worker: string, edition: number, id: number, outcome: DeliveryOutcome, now: Date) =>
    finish.run({ worker, edition, id, state: outcome.state, error: outcome.error ?? null, retryAt: outcome.retryAt?.getTime() ?? null, now: now.getTime() }).changes === 1;
  const recordUncertain = (worker: string, edition: number, id: number, reason: string, resendAt: Date | undefined, now: Date) => {
    const at = now.getTime();
    if (resendAt) {
      if (resendOnce.run({ worker, edition, id, reason, error: resendNote(reason), retryAt: resendAt.getTime(), now: at }).changes === 1) return 'deferred' as const;
    }
    const done = finish.run({ worker, edition, id, state: 'uncertain', error: reason, retryAt: null, now: at }).changes === 1;
    return done ? ('uncertain' as const) : undefined;
  };
  // A group commit: the same fenced statements, one transaction, so one commit for the lot.
  const recordBatch = db.transaction((worker: string, edition: number, writes: LedgerWrite[]): LedgerWriteResult[] =>
    writes.map((write) => {
      if (write.kind === 'awaiting') return markAwaiting(worker, edition, write.subscriberId, write.messageId, write.at);
      if (write.kind === 'finish') return finishOne(worker, edition, write.subscriberId, write.outcome, write.at);
      return recordUncertain(worker, edition, write.subscriberId, write.reason, write.resendAt, write.at);
    }),
  );
  return {
    async claimBatch(worker, { edition, limit }, now) {
      const at = now.getTime();
      return claimWith(
        async () => db.transaction(() => (edition === undefined ? claimInAny.all({ worker, limit, now: at }) : claimInEdition.all({ worker, edition, limit, now: at })) as TouchedRow[]).immediate(),
        async (ids) => subscribersOf.all(JSON.stringify(ids)) as SubscriberRow[],
        async (rows) => {
          for (const row of rows) finish.run({ worker, edition: row.edition, id: row.subscriber_id, state: 'skipped', error: 'no longer subscribed', retryAt: null, now: at });
        },
      );
    },
    async claim(worker, edition, ids, now) {
      return claimSome.immediate(worker, edition, ids, now.getTime());
    },
    async markAwaiting(worker, edition, id, messageId, now) {
      return markAwaiting(worker, edition, id, messageId, now);
    },
    async finish(worker, edition, id, outcome, now) {
      return finishOne(worker, edition, id, outcome, now);
    },
    async recordUncertain(worker, edition, id, reason, resendAt, now) {
      return recordUncertain(worker, edition, id, reason, resendAt, now);
    },
    async recordBatch(worker, edition, writes) {
      return recordBatch.immediate(worker, edition, writes);
    },
    async release(worker, edition, ids, now) {
      return releaseSome.immediate(worker, edition, ids, now.getTime());
    },
    async settleOpen(edition, now, { giveUp }) {
      return db.transaction(() => {
        const at = now.getTime();
        const skipped = db
          .prepare(
            `UPDATE deliveries SET state = 'skipped', last_error = 'no longer subscribed', updated_at = ?
             WHERE edition = ? AND state IN ('pending', 'deferred') AND NOT ${active}`,
          )
          .run(at, edition).changes;
        const gaveUp = giveUp
          ? db
              .prepare(`UPDATE deliveries SET state = 'failed', last_error = 'gave up, still deferred at the maximum age: ' || coalesce(last_error, ''), updated_at = ? WHERE edition = ? AND ${BY_STATE} AND state = 'deferred'`)
              .run(at, edition).changes
          : 0;
        return { skipped, gaveUp };
      }).immediate();
    },
    async countDeliveries(edition, states) {
      const final = finalCounts.get(edition) as { final_counts: string | null } | undefined;
      if (final?.final_counts) return stateCounts(JSON.parse(final.final_counts) as Record<string, number>, states);
      if (states && inByState(states)) {
        const rows = db.prepare(`SELECT state, count(*) AS n FROM deliveries INDEXED BY deliveries_by_state WHERE edition = ? AND ${BY_STATE} AND state IN (${states.map(() => '?').join(', ')}) GROUP BY state`).all(edition, ...states);
        return stateCounts(rows as { state: DeliveryState; n: number }[]);
      }
      return stateCounts(countOpenEdition(edition), states);
    },
    async listDeliveries(edition, states, { limit, soonestRetry } = {}) {
      // `+subscriber_id`: found through deliveries_by_state (a few rows in rare states), then sorted;
      // ordering by the key would make SQLite walk the whole edition in key order instead. Rows on
      // their way (sending, awaiting, sent) are not in that index: those are read from the edition.
      const indexed = inByState(states) ? ` AND ${BY_STATE}` : '';
      const order = soonestRetry ? 'retry_at IS NULL, retry_at, subscriber_id' : '+subscriber_id';
      const rows = db
        .prepare(`SELECT * FROM deliveries WHERE edition = ?${indexed} AND state IN (${states.map(() => '?').join(', ')}) ORDER BY ${order} LIMIT ?`)
        .all(edition, ...states, limit ?? -1) as DeliveryRow[];
      return rows.map(toDelivery);
    },
  };
}
