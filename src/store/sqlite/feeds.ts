import type { Post } from '../../posts/post.js';
import type { FeedItemInput, FeedRecord, FeedStore } from '../store.js';
import type { Db } from './open.js';

/**
 * The feed cache. Plain SQL (INSERT … ON CONFLICT, no SQLite-only functions) so the same
 * statements serve a PostgreSQL store.
 */
interface FeedRow {
  url: string;
  title: string | null;
  etag: string | null;
  last_modified: string | null;
  fetched_at: number;
  result: FeedRecord['result'];
  error: string | null;
  ok_at: number | null;
  item_count: number;
}

const SELECT_FEEDS = `SELECT f.*, (SELECT count(*) FROM feed_items i WHERE i.feed_url = f.url) AS item_count FROM feeds f`;

function toRecord(row: FeedRow): FeedRecord {
  return {
    url: row.url,
    title: row.title,
    etag: row.etag,
    lastModified: row.last_modified,
    fetchedAt: new Date(row.fetched_at),
    result: row.result,
    error: row.error,
    okAt: row.ok_at === null ? null : new Date(row.ok_at),
    itemCount: row.item_count,
  };
}

export function feedStore(db: Db): FeedStore {
  // A failed fetch keeps the validators and title of the last good one: the next request is still conditional.
  const upsertFeed = db.prepare(
    `INSERT INTO feeds (url, title, etag, last_modified, fetched_at, result, error, ok_at)
     VALUES (@url, @title, @etag, @lastModified, @at, @result, @error, @okAt)
     ON CONFLICT (url) DO UPDATE SET
       title = COALESCE(excluded.title, feeds.title),
       etag = CASE WHEN excluded.result = 'ok' THEN excluded.etag ELSE feeds.etag END,
       last_modified = CASE WHEN excluded.result = 'ok' THEN excluded.last_modified ELSE feeds.last_modified END,
       fetched_at = excluded.fetched_at, result = excluded.result, error = excluded.error,
       ok_at = COALESCE(excluded.ok_at, feeds.ok_at)`,
  );
  const findItem = db.prepare('SELECT slug FROM feed_items WHERE feed_url = ? AND item_key = ?');
  const slugTaken = db.prepare('SELECT 1 FROM feed_items WHERE slug = ?');
  const insertItem = db.prepare('INSERT INTO feed_items (feed_url, item_key, slug, post, first_seen_at, last_seen_at) VALUES (?, ?, ?, ?, ?, ?)');
  const updateItem = db.prepare('UPDATE feed_items SET post = ?, last_seen_at = ? WHERE feed_url = ? AND item_key = ?');

  const freeSlug = (base: string, reserved: ReadonlySet<string>): string => {
    for (let n = 1; ; n += 1) {
      const candidate = n === 1 ? base : `${base.slice(0, 76)}-${n}`;
      if (!reserved.has(candidate) && slugTaken.get(candidate) === undefined) return candidate;
    }
  };

  const record = db.transaction((fetch: Parameters<FeedStore['recordFeedFetch']>[0], items: FeedItemInput[], reserved: ReadonlySet<string>) => {
    const at = fetch.at.getTime();
    upsertFeed.run({
      url: fetch.url,
      title: fetch.title ?? null,
      etag: fetch.etag ?? null,
      lastModified: fetch.lastModified ?? null,
      at,
      result: fetch.result,
      error: fetch.error ?? null,
      okAt: fetch.result === 'error' ? null : at,
    });
    for (const item of items) {
      const post = JSON.stringify(item.post);
      if (findItem.get(fetch.url, item.key)) updateItem.run(post, at, fetch.url, item.key);
      else insertItem.run(fetch.url, item.key, freeSlug(item.slugBase, reserved), post, at, at);
    }
  });

  return {
    async listFeeds() {
      return (db.prepare(`${SELECT_FEEDS} ORDER BY f.url`).all() as FeedRow[]).map(toRecord);
    },
    async getFeed(url) {
      const row = db.prepare(`${SELECT_FEEDS} WHERE f.url = ?`).get(url) as FeedRow | undefined;
      return row && toRecord(row);
    },
    async recordFeedFetch(fetch, items = [], reservedSlugs = new Set()) {
      record.immediate(fetch, items, reservedSlugs);
    },
    async feedItems(url) {
      const rows = db.prepare('SELECT item_key, slug, post, first_seen_at FROM feed_items WHERE feed_url = ? ORDER BY first_seen_at, item_key').all(url) as {
        item_key: string;
        slug: string;
        post: string;
        first_seen_at: number;
      }[];
      return rows.map((row) => {
        const stored = JSON.parse(row.post) as Omit<Post, 'slug' | 'date'> & { date: string | null };
        const firstSeenAt = new Date(row.first_seen_at);
        return { key: row.item_key, firstSeenAt, post: { ...stored, slug: row.slug, date: stored.date ? new Date(stored.date) : firstSeenAt } };
      });
    },
  };
}
