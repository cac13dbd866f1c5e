import { toEdition, toSegment, type EditionRow, type SegmentRow } from '../rows.js';
import type { EditionStore, NewEdition, Segment } from '../store.js';
import type { Db } from './open.js';
import { BY_STATE, IN_FLIGHT } from './partial-indexes.js';

/**
 * A complete edition's deliveries counted by state, as a JSON object: what it keeps. Nothing is in
 * flight once it is complete, so the rows not in deliveries_by_state are the sent ones.
 */
const FINAL_COUNTS = `SELECT json_group_object(state, n) FROM (
    SELECT state, count(*) AS n FROM deliveries WHERE edition = editions.number AND ${BY_STATE} GROUP BY state
    UNION ALL SELECT 'sent', (SELECT count(*) FROM deliveries WHERE edition = editions.number)
      - (SELECT count(*) FROM deliveries WHERE edition = editions.number AND ${BY_STATE}))`;

export function editionStore(db: Db): EditionStore {
  const insertEdition = db.prepare(
    `INSERT INTO editions (number, cadence, created_at, tick_key, status, subject, slugs, posts, html, text, note)
     VALUES (@number, @cadence, @createdAt, @tickKey, 'sending', @subject, @slugs, @posts, @html, @text, @note)
     ON CONFLICT DO NOTHING RETURNING number`,
  );
  const recordPost = db.prepare('INSERT OR IGNORE INTO post_ledger (cadence, slug, edition, recorded_at) VALUES (?, ?, ?, ?)');
  // The recipients are frozen with the edition, by SQL: the list is never loaded into memory.
  const freezeRecipients = db.prepare(
    `INSERT INTO deliveries (edition, subscriber_id, email, state, attempts, updated_at)
     SELECT @number, id, email, 'pending', 0, @createdAt FROM subscribers
      WHERE cadence = @cadence AND status = 'active' AND confirmed_at <= @createdAt`,
  );
  const byNumber = db.prepare('SELECT * FROM editions WHERE number = ?');
  const create = db.transaction((edition: NewEdition) => {
    const createdAt = edition.createdAt.getTime();
    const created = insertEdition.get({
      number: edition.number,
      cadence: edition.cadence,
      tickKey: edition.tickKey,
      subject: edition.subject,
      html: edition.html,
      text: edition.text,
      createdAt,
      slugs: JSON.stringify(edition.posts.map((post) => post.slug)),
      posts: JSON.stringify(edition.posts),
      note: edition.note ? JSON.stringify(edition.note) : null,
    }) as { number: number } | undefined;
    if (!created) return undefined;
    for (const { slug } of edition.posts) recordPost.run(edition.cadence, slug, created.number, createdAt);
    for (const slug of edition.baselineSlugs) recordPost.run(edition.cadence, slug, 0, createdAt);
    // The note is in the post ledger too, so the next edition of this cadence does not carry it again.
    if (edition.note) recordPost.run(edition.cadence, edition.note.ledgerKey, created.number, createdAt);
    freezeRecipients.run({ number: created.number, cadence: edition.cadence, createdAt });
    return toEdition(byNumber.get(created.number) as EditionRow);
  });
  const complete = db.prepare(
    `UPDATE editions SET status = 'complete', completed_at = ?, final_counts = (${FINAL_COUNTS}) WHERE number = ? AND status = 'sending'
       AND NOT EXISTS (SELECT 1 FROM deliveries WHERE edition = editions.number AND state IN ('pending', 'deferred'))
       AND NOT EXISTS (SELECT 1 FROM deliveries INDEXED BY deliveries_in_flight WHERE ${IN_FLIGHT} AND edition = editions.number)`,
  );
  return {
    async postLedger(cadence) {
      const rows = db.prepare('SELECT slug, edition FROM post_ledger WHERE cadence = ?').all(cadence) as { slug: string; edition: number }[];
      return new Map(rows.map((row) => [row.slug, row.edition]));
    },
    async hasEditions(cadence) {
      return db.prepare('SELECT 1 FROM editions WHERE cadence = ? LIMIT 1').get(cadence) !== undefined;
    },
    async nextEditionNumber() {
      return ((db.prepare('SELECT max(number) AS n FROM editions').get() as { n: number | null }).n ?? 0) + 1;
    },
    async createEdition(edition) {
      return create.immediate(edition);
    },
    async withPrepareLock(prepare) {
      return prepare();
    },
    async openEdition(cadence) {
      const row = db.prepare(`SELECT * FROM editions WHERE cadence = ? AND status = 'sending' ORDER BY number LIMIT 1`).get(cadence) as EditionRow | undefined;
      return row && toEdition(row);
    },
    async listOpenEditions() {
      return (db.prepare(`SELECT * FROM editions WHERE status = 'sending' ORDER BY number`).all() as EditionRow[]).map(toEdition);
    },
    async getEdition(number) {
      const row = byNumber.get(number) as EditionRow | undefined;
      return row && toEdition(row);
    },
    async listEditions(limit) {
      return (db.prepare('SELECT * FROM editions ORDER BY number DESC LIMIT ?').all(limit) as EditionRow[]).map(toEdition);
    },
    async findEditionByTick(cadence, tickKey) {
      const row = db.prepare('SELECT * FROM editions WHERE cadence = ? AND tick_key = ?').get(cadence, tickKey) as EditionRow | undefined;
      return row && toEdition(row);
    },
    async completeEdition(number, now) {
      return complete.run(now.getTime(), number).changes === 1;
    },
    async saveSegment(edition, segment: Segment) {
      db.prepare('INSERT OR IGNORE INTO segments (edition, key, slugs, subject, html, text) VALUES (?, ?, ?, ?, ?, ?)').run(
        edition,
        segment.key,
        JSON.stringify(segment.slugs),
        segment.subject,
        segment.html,
        segment.text,
      );
    },
    async getSegment(edition, key) {
      const row = db.prepare('SELECT * FROM segments WHERE edition = ? AND key = ?').get(edition, key) as SegmentRow | undefined;
      return row && toSegment(row);
    },
  };
}
