import { deliveryKeyOf } from '../../mail/message-id.js';
import { toEvent, toRef, type EventRow, type RefRow } from '../rows.js';
import type { BounceCounts, BounceKind, BounceStore } from '../store.js';
import type { Db } from './open.js';

/**
 * Bounce and complaint events. The insert and its effect on the subscriber happen in one
 * transaction, and only for a new event key, so the same report processed twice changes nothing.
 * Plain SQL (INSERT … ON CONFLICT DO NOTHING, guarded UPDATE) so PostgreSQL runs the same statements.
 */
export function bounceStore(db: Db): BounceStore {
  const insert = db.prepare(
    `INSERT INTO bounce_events (event_key, kind, source, edition, subscriber_id, email, status, reason, received_at)
     VALUES (@key, @kind, @source, @edition, @subscriberId, @email, @status, @reason, @receivedAt)
     ON CONFLICT (event_key) DO NOTHING`,
  );
  const softSince = db.prepare(`SELECT count(*) AS n FROM bounce_events WHERE subscriber_id = ? AND kind = 'soft' AND received_at >= ?`);
  const mark = db.prepare(
    `UPDATE subscribers SET status = @status, status_changed_at = @now WHERE id = @id AND status IN ('active', 'pending')`,
  );
  const noteChange = db.prepare('UPDATE bounce_events SET status_changed = 1 WHERE event_key = ?');
  const byKeyAndMessageId = db.prepare(`SELECT edition, subscriber_id, email FROM deliveries WHERE edition = ? AND subscriber_id = ? AND message_id = ?`);
  const byMessageId = (messageId: string) => {
    const key = deliveryKeyOf(messageId);
    return key && byKeyAndMessageId.get(key.edition, key.subscriberId, messageId);
  };
  const byEmail = db.prepare(
    `SELECT edition, subscriber_id, email FROM deliveries WHERE email = ? AND state IN ('sent', 'uncertain') ORDER BY edition DESC LIMIT 1`,
  );
  const byId = db.prepare('SELECT edition, subscriber_id, email FROM deliveries WHERE edition = ? AND subscriber_id = ?');
  const record = db.transaction((event: Parameters<BounceStore['recordBounce']>[0], rule: Parameters<BounceStore['recordBounce']>[1]) => {
    const at = event.receivedAt.getTime();
    const params = { ...event, receivedAt: at, status: event.status ?? null, edition: event.edition ?? null };
    if (insert.run(params).changes === 0) return { recorded: false, statusChanged: false };
    const due = !rule.softLimit || (softSince.get(event.subscriberId, rule.softLimit.since.getTime()) as { n: number }).n >= rule.softLimit.count;
    const statusChanged = due && mark.run({ status: rule.markAs, now: at, id: event.subscriberId }).changes === 1;
    if (statusChanged) noteChange.run(event.key);
    return { recorded: true, statusChanged };
  });
  return {
    async recordBounce(event, rule) {
      return record.immediate(event, rule);
    },
    async listBounces(limit) {
      const rows = db.prepare('SELECT * FROM bounce_events ORDER BY received_at DESC, id DESC LIMIT ?').all(limit) as EventRow[];
      return rows.map(toEvent);
    },
    async bounceCounts(editions) {
      const counts = new Map<number, BounceCounts>(editions.map((n) => [n, { hard: 0, soft: 0, complaints: 0 }]));
      if (editions.length === 0) return counts;
      const rows = db
        .prepare(`SELECT edition, kind, count(*) AS n FROM bounce_events WHERE edition IN (${editions.map(() => '?').join(', ')}) GROUP BY edition, kind`)
        .all(...editions) as { edition: number; kind: BounceKind; n: number }[];
      for (const row of rows) {
        const entry = counts.get(row.edition);
        if (entry) entry[row.kind === 'complaint' ? 'complaints' : row.kind] = row.n;
      }
      return counts;
    },
    async findDelivery(by) {
      const row = ('messageId' in by ? byMessageId(by.messageId) : byEmail.get(by.email.toLowerCase())) as RefRow | undefined;
      return row && toRef(row);
    },
    async getDeliveryRef(edition, subscriberId) {
      const row = byId.get(edition, subscriberId) as RefRow | undefined;
      return row && toRef(row);
    },
  };
}
