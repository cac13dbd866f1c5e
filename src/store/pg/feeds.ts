import { SELECT_FEEDS, toFeedItem, toFeedRecord, UPSERT_FEED, type FeedItemRow, type FeedRow } from '../feed-rows.js';
import type { FeedStore } from '../store.js';
import type { Pg, Sql } from './db.js';

/** Any fixed number: fetches recorded by several processes give each new item its slug in turn. */
const FEED_LOCK = 7_310_003;

/** The feed cache on PostgreSQL: one transaction per fetch, under a transaction advisory lock. */
export function feedStore(db: Pg): FeedStore {
  const freeSlug = async (sql: Sql, base: string, reserved: ReadonlySet<string>): Promise<string> => {
    for (let n = 1; ; n += 1) {
      const candidate = n === 1 ? base : `${base.slice(0, 76)}-${n}`;
      if (!reserved.has(candidate) && (await sql.rows('SELECT 1 FROM feed_items WHERE slug = $1', [candidate])).length === 0) return candidate;
    }
  };
  return {
    async listFeeds() {
      return (await db.rows<FeedRow>(`${SELECT_FEEDS} ORDER BY f.url`)).map(toFeedRecord);
    },
    async getFeed(url) {
      const [row] = await db.rows<FeedRow>(`${SELECT_FEEDS} WHERE f.url = $1`, [url]);
      return row && toFeedRecord(row);
    },
    async recordFeedFetch(fetch, items = [], reservedSlugs = new Set()) {
      await db.tx(async (sql) => {
        await sql.run('SELECT pg_advisory_xact_lock($1)', [FEED_LOCK]);
        const at = fetch.at.getTime();
        await sql.run(
          `INSERT INTO feeds (url, title, etag, last_modified, fetched_at, result, error, ok_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ${UPSERT_FEED}`,
          [fetch.url, fetch.title ?? null, fetch.etag ?? null, fetch.lastModified ?? null, at, fetch.result, fetch.error ?? null, fetch.result === 'error' ? null : at],
        );
        for (const item of items) {
          const post = JSON.stringify(item.post);
          const updated = await sql.run('UPDATE feed_items SET post = $1, last_seen_at = $2 WHERE feed_url = $3 AND item_key = $4', [post, at, fetch.url, item.key]);
          if (updated === 0) {
            await sql.run('INSERT INTO feed_items (feed_url, item_key, slug, post, first_seen_at, last_seen_at) VALUES ($1, $2, $3, $4, $5, $5)', [
              fetch.url,
              item.key,
              await freeSlug(sql, item.slugBase, reservedSlugs),
              post,
              at,
            ]);
          }
        }
      });
    },
    async feedItems(url) {
      const rows = await db.rows<FeedItemRow>('SELECT item_key, slug, post, first_seen_at FROM feed_items WHERE feed_url = $1 ORDER BY first_seen_at, item_key', [url]);
      return rows.map(toFeedItem);
    },
  };
}
