import { deliveryKeyOf } from '../../mail/message-id.js';
import { toEvent, toRef, type EventRow, type RefRow } from '../rows.js';
import type { BounceCounts, BounceKind, BounceStore } from '../store.js';
import type { Pg } from './db.js';

const REF = 'SELECT edition, subscriber_id, email FROM deliveries';

/**
 * Bounce and complaint events on PostgreSQL. One transaction per event: the subscriber row is
 * locked first, so two reports about one reader (soft events counted against a window) are judged
 * one after the other; the insert is a no-op for a key already seen, and only a new event may
 * change the subscriber's status.
 */
export function bounceStore(db: Pg): BounceStore {
  return {
    async recordBounce(event, rule) {
      return db.tx(async (sql) => {
        const at = event.receivedAt.getTime();
        await sql.run('SELECT id FROM subscribers WHERE id = $1 FOR UPDATE', [event.subscriberId]);
        const inserted = await sql.rows<{ id: number }>(
          `INSERT INTO bounce_events (event_key, kind, source, edition, subscriber_id, email, status, reason, received_at)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) ON CONFLICT (event_key) DO NOTHING RETURNING id`,
          [event.key, event.kind, event.source, event.edition ?? null, event.subscriberId, event.email, event.status ?? null, event.reason, at],
        );
        if (inserted.length === 0) return { recorded: false, statusChanged: false };
        let due = true;
        if (rule.softLimit) {
          const [row] = await sql.rows<{ n: number }>(
            `SELECT count(*)::int AS n FROM bounce_events WHERE subscriber_id = $1 AND kind = 'soft' AND received_at >= $2`,
            [event.subscriberId, rule.softLimit.since.getTime()],
          );
          due = (row?.n ?? 0) >= rule.softLimit.count;
        }
        const statusChanged =
          due && (await sql.run(`UPDATE subscribers SET status = $1, status_changed_at = $2 WHERE id = $3 AND status IN ('active', 'pending')`, [rule.markAs, at, event.subscriberId])) === 1;
        if (statusChanged) await sql.run('UPDATE bounce_events SET status_changed = true WHERE id = $1', [inserted[0]!.id]);
        return { recorded: true, statusChanged };
      });
    },
    async listBounces(limit) {
      return (await db.rows<EventRow>('SELECT * FROM bounce_events ORDER BY received_at DESC, id DESC LIMIT $1', [limit])).map(toEvent);
    },
    async bounceCounts(editions) {
      const counts = new Map<number, BounceCounts>(editions.map((n) => [n, { hard: 0, soft: 0, complaints: 0 }]));
      if (editions.length === 0) return counts;
      const rows = await db.rows<{ edition: number; kind: BounceKind; n: number }>(
        'SELECT edition, kind, count(*)::int AS n FROM bounce_events WHERE edition = ANY($1::int[]) GROUP BY edition, kind',
        [editions],
      );
      for (const row of rows) {
        const entry = counts.get(row.edition);
        if (entry) entry[row.kind === 'complaint' ? 'complaints' : row.kind] = row.n;
      }
      return counts;
    },
    async findDelivery(by) {
      if ('messageId' in by) {
        const key = deliveryKeyOf(by.messageId);
        const [row] = key ? await db.rows<RefRow>(`${REF} WHERE edition = $1 AND subscriber_id = $2 AND message_id = $3`, [key.edition, key.subscriberId, by.messageId]) : [];
        return row && toRef(row);
      }
      const [row] = await db.rows<RefRow>(`${REF} WHERE email = $1 AND state IN ('sent', 'uncertain') ORDER BY edition DESC LIMIT 1`, [by.email.toLowerCase()]);
      return row && toRef(row);
    },
    async getDeliveryRef(edition, subscriberId) {
      const [row] = await db.rows<RefRow>(`${REF} WHERE edition = $1 AND subscriber_id = $2`, [edition, subscriberId]);
      return row && toRef(row);
    },
  };
}
