import type { Post } from '../../posts/post.js';
import type { Cadence } from '../../render/view-model.js';
import type { Edition, EditionStore, Segment } from '../store.js';
import type { Db } from './open.js';

interface EditionRow {
  number: number;
  cadence: string;
  created_at: number;
  tick_key: string | null;
  status: string;
  subject: string;
  slugs: string;
  posts: string;
  html: string;
  text: string;
  note: string | null;
}

function toEdition(row: EditionRow): Edition {
  return {
    number: row.number,
    cadence: row.cadence as Cadence,
    createdAt: new Date(row.created_at),
    tickKey: row.tick_key,
    status: row.status as Edition['status'],
    subject: row.subject,
    slugs: JSON.parse(row.slugs) as string[],
    posts: (JSON.parse(row.posts) as (Post & { date: string })[]).map((post) => ({ ...post, date: new Date(post.date) })),
    html: row.html,
    text: row.text,
    note: row.note ? (JSON.parse(row.note) as Edition['note']) : null,
  };
}

export function editionStore(db: Db): EditionStore {
  const insertEdition = db.prepare(
    `INSERT INTO editions (number, cadence, created_at, tick_key, status, subject, slugs, posts, html, text, note)
     VALUES (@number, @cadence, @createdAt, @tickKey, 'sending', @subject, @slugs, @posts, @html, @text, @note)
     ON CONFLICT (cadence, tick_key) DO NOTHING RETURNING number`,
  );
  const recordPost = db.prepare('INSERT OR IGNORE INTO post_ledger (cadence, slug, edition, recorded_at) VALUES (?, ?, ?, ?)');
  const byNumber = db.prepare('SELECT * FROM editions WHERE number = ?');
  const create = db.transaction((edition: Parameters<EditionStore['createEdition']>[0]) => {
    const created = insertEdition.get({
      number: edition.number,
      cadence: edition.cadence,
      tickKey: edition.tickKey,
      subject: edition.subject,
      html: edition.html,
      text: edition.text,
      createdAt: edition.createdAt.getTime(),
      slugs: JSON.stringify(edition.posts.map((post) => post.slug)),
      posts: JSON.stringify(edition.posts),
      note: edition.note ? JSON.stringify(edition.note) : null,
    }) as { number: number } | undefined;
    if (!created) return undefined;
    const at = edition.createdAt.getTime();
    for (const { slug } of edition.posts) recordPost.run(edition.cadence, slug, created.number, at);
    for (const slug of edition.baselineSlugs) recordPost.run(edition.cadence, slug, 0, at);
    // The note is in the post ledger too, so the next edition of this cadence does not carry it again.
    if (edition.note) recordPost.run(edition.cadence, edition.note.ledgerKey, created.number, at);
    return toEdition(byNumber.get(created.number) as EditionRow);
  });
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
    async openEdition(cadence) {
      const row = db.prepare(`SELECT * FROM editions WHERE cadence = ? AND status = 'sending' ORDER BY number LIMIT 1`).get(cadence) as EditionRow | undefined;
      return row && toEdition(row);
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
      db.prepare(`UPDATE editions SET status = 'complete', completed_at = ? WHERE number = ? AND status = 'sending'`).run(now.getTime(), number);
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
      const row = db.prepare('SELECT * FROM segments WHERE edition = ? AND key = ?').get(edition, key) as
        | { key: string; slugs: string; subject: string; html: string; text: string }
        | undefined;
      return row && { key: row.key, slugs: JSON.parse(row.slugs) as string[], subject: row.subject, html: row.html, text: row.text };
    },
  };
}
