import { toEdition, toSegment, type EditionRow, type SegmentRow } from '../rows.js';
import type { EditionStore, Segment } from '../store.js';
import type { Pg } from './db.js';
import { toPgStoreError } from './guard.js';

/** Any fixed number: the advisory lock that several preparers (schedulers, senders) take in turn. */
const PREPARE_LOCK = 7_310_002;

/** Tells every listening worker that new work is there (delivered when the transaction commits). */
export const WORK_CHANNEL = 'digest_work';

export function editionStore(db: Pg): EditionStore {
  const oneEdition = async (text: string, values: unknown[]) => {
    const row = (await db.rows<EditionRow>(text, values))[0];
    return row && toEdition(row);
  };
  return {
    async postLedger(cadence) {
      const rows = await db.rows<{ slug: string; edition: number }>('SELECT slug, edition FROM post_ledger WHERE cadence = $1', [cadence]);
      return new Map(rows.map((row) => [row.slug, row.edition]));
    },
    async hasEditions(cadence) {
      return (await db.rows('SELECT 1 FROM editions WHERE cadence = $1 LIMIT 1', [cadence])).length > 0;
    },
    async nextEditionNumber() {
      const [row] = await db.rows<{ n: number | null }>('SELECT max(number) AS n FROM editions');
      return (row?.n ?? 0) + 1;
    },
    async createEdition(edition) {
      return db.tx(async (sql) => {
        const createdAt = edition.createdAt.getTime();
        const [created] = await sql.rows<EditionRow>(
          `INSERT INTO editions (number, cadence, created_at, tick_key, status, subject, slugs, posts, html, text, note)
           VALUES ($1, $2, $3, $4, 'sending', $5, $6, $7, $8, $9, $10) ON CONFLICT DO NOTHING RETURNING *`,
          [edition.number, edition.cadence, createdAt, edition.tickKey, edition.subject, JSON.stringify(edition.posts.map((p) => p.slug)), JSON.stringify(edition.posts), edition.html, edition.text, edition.note ? JSON.stringify(edition.note) : null],
        );
        if (!created) return undefined;
        // The note is in the post ledger too, so the next edition of this cadence does not carry it again.
        const noteKey = edition.note ? [[edition.note.ledgerKey, created.number] as const] : [];
        const slugs = [...edition.posts.map((p) => [p.slug, created.number] as const), ...edition.baselineSlugs.map((slug) => [slug, 0] as const), ...noteKey];
        if (slugs.length > 0) {
          await sql.run(
            `INSERT INTO post_ledger (cadence, slug, edition, recorded_at) SELECT $1, s, e, $2 FROM unnest($3::text[], $4::int[]) AS t (s, e) ON CONFLICT DO NOTHING`,
            [edition.cadence, createdAt, slugs.map(([s]) => s), slugs.map(([, e]) => e)],
          );
        }
        // The recipients are frozen with the edition, by SQL: the list is never loaded into memory.
        await sql.run(
          `INSERT INTO deliveries (edition, subscriber_id, email, state, attempts, updated_at)
           SELECT $1, id, email, 'pending', 0, $3 FROM subscribers WHERE cadence = $2 AND status = 'active' AND confirmed_at <= $3`,
          [created.number, edition.cadence, createdAt],
        );
        await sql.run('SELECT pg_notify($1, $2)', [WORK_CHANNEL, String(created.number)]);
        return toEdition(created);
      });
    },
    async withPrepareLock(prepare) {
      if (db.dryRun) return prepare();
      const client = await db.connect();
      try {
        // Waiting on another preparer's lock; a connection lost meanwhile is a StoreError like any other.
        await client.query('SELECT pg_advisory_lock($1)', [PREPARE_LOCK]).catch((error: unknown) => Promise.reject(toPgStoreError(error, db.where)));
        return await prepare();
      } finally {
        await client.query('SELECT pg_advisory_unlock($1)', [PREPARE_LOCK]).catch(() => undefined);
        client.release();
      }
    },
    async openEdition(cadence) {
      return oneEdition(`SELECT * FROM editions WHERE cadence = $1 AND status = 'sending' ORDER BY number LIMIT 1`, [cadence]);
    },
    async listOpenEditions() {
      return (await db.rows<EditionRow>(`SELECT * FROM editions WHERE status = 'sending' ORDER BY number`)).map(toEdition);
    },
    async getEdition(number) {
      return oneEdition('SELECT * FROM editions WHERE number = $1', [number]);
    },
    async listEditions(limit) {
      return (await db.rows<EditionRow>('SELECT * FROM editions ORDER BY number DESC LIMIT $1', [limit])).map(toEdition);
    },
    async findEditionByTick(cadence, tickKey) {
      return oneEdition('SELECT * FROM editions WHERE cadence = $1 AND tick_key = $2', [cadence, tickKey]);
    },
    async completeEdition(number, now) {
      const changed = await db.run(
        `UPDATE editions SET status = 'complete', completed_at = $1,
             final_counts = (SELECT coalesce(jsonb_object_agg(state, n), '{}'::jsonb) FROM (SELECT state, count(*)::int AS n FROM deliveries WHERE edition = $2 GROUP BY state) c)
           WHERE number = $2 AND status = 'sending'
           AND NOT EXISTS (SELECT 1 FROM deliveries WHERE edition = $2 AND state IN ('pending', 'sending', 'awaiting', 'deferred'))`,
        [now.getTime(), number],
      );
      return changed === 1;
    },
    async saveSegment(edition, segment: Segment) {
      await db.run('INSERT INTO segments (edition, key, slugs, subject, html, text) VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT DO NOTHING', [
        edition,
        segment.key,
        JSON.stringify(segment.slugs),
        segment.subject,
        segment.html,
        segment.text,
      ]);
    },
    async getSegment(edition, key) {
      const [row] = await db.rows<SegmentRow>('SELECT * FROM segments WHERE edition = $1 AND key = $2', [edition, key]);
      return row && toSegment(row);
    },
  };
}
