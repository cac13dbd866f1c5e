import type { Delivery, DeliveryState, DeliveryStore, Edition } from '../store.js';
import type { Db } from './open.js';
import { toSubscriber, type SubscriberRow } from './subscribers.js';

/**
 * The delivery ledger. Every transition is a guarded UPDATE (`WHERE state IN (…)`), so a row can
 * only move forward along pending → sending → awaiting → sent | deferred | failed | uncertain,
 * whichever process or run touches it.
 */
export function deliveryStore(db: Db): DeliveryStore {
  const nextPage = db.prepare(
    `SELECT s.* FROM subscribers s
       LEFT JOIN deliveries d ON d.edition = @edition AND d.subscriber_id = s.id
     WHERE s.id > @after AND s.cadence = @cadence AND s.status = 'active' AND s.confirmed_at <= @createdAt
       AND (d.state IS NULL OR d.state = 'pending' OR (d.state = 'deferred' AND coalesce(d.retry_at, 0) <= @now))
     ORDER BY s.id LIMIT @limit`,
  );
  const insertClaim = db.prepare(
    `INSERT INTO deliveries (edition, subscriber_id, email, state, attempts, updated_at)
     SELECT @edition, id, email, 'sending', 1, @now FROM subscribers WHERE id = @id AND status = 'active'
     ON CONFLICT (edition, subscriber_id) DO UPDATE SET state = 'sending', attempts = attempts + 1, updated_at = @now
       WHERE deliveries.state IN ('pending', 'deferred')`,
  );
  const claimAll = db.transaction((edition: number, ids: number[], now: number) =>
    ids.filter((id) => insertClaim.run({ edition, id, now }).changes === 1),
  );
  const awaiting = db.prepare(
    `UPDATE deliveries SET state = 'awaiting', message_id = @messageId, updated_at = @now
     WHERE edition = @edition AND subscriber_id = @id AND state = 'sending'
       AND EXISTS (SELECT 1 FROM subscribers WHERE id = @id AND status = 'active')`,
  );
  const finish = db.prepare(
    `UPDATE deliveries SET state = @state, last_error = @error, retry_at = @retryAt, updated_at = @now
     WHERE edition = @edition AND subscriber_id = @id AND state IN ('sending', 'awaiting')`,
  );
  const resendOnce = db.prepare(
    `UPDATE deliveries SET state = 'deferred', resends = resends + 1, first_uncertain = @reason, last_error = @error, retry_at = @retryAt, updated_at = @now
     WHERE edition = @edition AND subscriber_id = @id AND state IN ('sending', 'awaiting') AND resends = 0`,
  );
  const countDue = db.prepare(
    `SELECT count(*) AS n FROM subscribers s
       LEFT JOIN deliveries d ON d.edition = @edition AND d.subscriber_id = s.id
     WHERE s.cadence = @cadence AND s.status = 'active' AND s.confirmed_at <= @createdAt
       AND (d.state IS NULL OR d.state = 'pending' OR (d.state = 'deferred' AND coalesce(d.retry_at, 0) <= @now))`,
  );
  const releaseOne = db.prepare(
    `UPDATE deliveries SET state = 'pending', attempts = max(0, attempts - 1), updated_at = @now
     WHERE edition = @edition AND subscriber_id = @id AND state = 'sending'`,
  );
  const releaseAll = db.transaction((edition: number, ids: number[], now: number) =>
    ids.reduce((n, id) => n + releaseOne.run({ edition, id, now }).changes, 0),
  );
  return {
    async nextRecipients(edition: Edition, afterId, limit, now) {
      const rows = nextPage.all({
        edition: edition.number,
        cadence: edition.cadence,
        createdAt: edition.createdAt.getTime(),
        after: afterId,
        limit,
        now: now.getTime(),
      }) as SubscriberRow[];
      return rows.map(toSubscriber);
    },
    async claim(edition, subscriberIds, now) {
      return claimAll.immediate(edition, subscriberIds, now.getTime());
    },
    async markAwaiting(edition, id, messageId, now) {
      return awaiting.run({ edition, id, messageId, now: now.getTime() }).changes === 1;
    },
    async finish(edition, id, outcome, now) {
      finish.run({ edition, id, state: outcome.state, error: outcome.error ?? null, retryAt: outcome.retryAt?.getTime() ?? null, now: now.getTime() });
    },
    async recordUncertain(edition, id, reason, resendAt, now) {
      const at = now.getTime();
      if (resendAt) {
        const error = `uncertain (${reason}); resent once with the same Message-ID`;
        if (resendOnce.run({ edition, id, reason, error, retryAt: resendAt.getTime(), now: at }).changes === 1) return 'deferred';
      }
      finish.run({ edition, id, state: 'uncertain', error: reason, retryAt: null, now: at });
      return 'uncertain';
    },
    async recoverInterrupted(edition, now) {
      return db.transaction(() => {
        const at = now.getTime();
        const requeued = db.prepare(`UPDATE deliveries SET state = 'pending', updated_at = ? WHERE edition = ? AND state = 'sending'`).run(at, edition).changes;
        const uncertain = db
          .prepare(`UPDATE deliveries SET state = 'uncertain', last_error = 'interrupted after the message was committed, before the server answered', updated_at = ? WHERE edition = ? AND state = 'awaiting'`)
          .run(at, edition).changes;
        return { requeued, uncertain };
      }).immediate();
    },
    async release(edition, ids, now) {
      return releaseAll.immediate(edition, ids, now.getTime());
    },
    async settleOpen(edition, now, { giveUp }) {
      return db.transaction(() => {
        const at = now.getTime();
        const skipped = db
          .prepare(
            `UPDATE deliveries SET state = 'skipped', last_error = 'no longer subscribed', updated_at = ?
             WHERE edition = ? AND state IN ('pending', 'deferred')
               AND NOT EXISTS (SELECT 1 FROM subscribers s WHERE s.id = subscriber_id AND s.status = 'active')`,
          )
          .run(at, edition).changes;
        const gaveUp = giveUp
          ? db
              .prepare(`UPDATE deliveries SET state = 'failed', last_error = 'gave up, still deferred at the maximum age: ' || coalesce(last_error, ''), updated_at = ? WHERE edition = ? AND state = 'deferred'`)
              .run(at, edition).changes
          : 0;
        return { skipped, gaveUp };
      }).immediate();
    },
    async countRecipients(edition, now) {
      const row = countDue.get({ edition: edition.number, cadence: edition.cadence, createdAt: edition.createdAt.getTime(), now: now.getTime() }) as { n: number };
      return row.n;
    },
    async countDeliveries(edition) {
      const counts = Object.fromEntries(
        (['pending', 'sending', 'awaiting', 'sent', 'deferred', 'failed', 'uncertain', 'skipped'] as const).map((s) => [s, 0]),
      ) as Record<DeliveryState, number>;
      for (const row of db.prepare('SELECT state, count(*) AS n FROM deliveries WHERE edition = ? GROUP BY state').all(edition) as { state: DeliveryState; n: number }[]) {
        counts[row.state] = row.n;
      }
      return counts;
    },
    async listDeliveries(edition, states) {
      const rows = db
        .prepare(`SELECT * FROM deliveries WHERE edition = ? AND state IN (${states.map(() => '?').join(', ')}) ORDER BY subscriber_id`)
        .all(edition, ...states) as { edition: number; subscriber_id: number; email: string; state: DeliveryState; attempts: number; message_id: string | null; last_error: string | null; updated_at: number; retry_at: number | null; resends: number; first_uncertain: string | null }[];
      return rows.map((row): Delivery => ({
        edition: row.edition,
        subscriberId: row.subscriber_id,
        email: row.email,
        state: row.state,
        attempts: row.attempts,
        messageId: row.message_id,
        lastError: row.last_error,
        updatedAt: new Date(row.updated_at),
        retryAt: row.retry_at === null ? null : new Date(row.retry_at),
        resends: row.resends,
        firstUncertain: row.first_uncertain,
      }));
    },
  };
}
