import { SELECT_FEEDS, toFeedItem, toFeedRecord, UPSERT_FEED, type FeedItemRow, type FeedRow } from '../feed-rows.js';
import type { FeedStore } from '../store.js';
import type { Db } from './open.js';

/** The feed cache on SQLite: one immediate transaction per fetch, so slugs are given once. */
export function feedStore(db: Db): FeedStore {
  const upsertFeed = db.prepare(
    `INSERT INTO feeds (url, title, etag, last_modified, fetched_at, result, error, ok_at)
     VALUES (@url, @title, @etag, @lastModified, @at, @result, @error, @okAt) ${UPSERT_FEED}`,
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

  const record = db.transaction((fetch: Parameters<FeedStore['recordFeedFetch']>[0], items: Parameters<FeedStore['recordFeedFetch']>[1] & object, reserved: ReadonlySet<string>) => {
    const at = fetch.at.getTime();
    upsertFeed.run({ url: fetch.url, title: fetch.title ?? null, etag: fetch.etag ?? null, lastModified: fetch.lastModified ?? null, at, result: fetch.result, error: fetch.error ?? null, okAt: fetch.result === 'error' ? null : at });
    for (const item of items) {
      const post = JSON.stringify(item.post);
      if (findItem.get(fetch.url, item.key)) updateItem.run(post, at, fetch.url, item.key);
      else insertItem.run(fetch.url, item.key, freeSlug(item.slugBase, reserved), post, at, at);
    }
  });

  return {
    async listFeeds() {
      return (db.prepare(`${SELECT_FEEDS} ORDER BY f.url`).all() as FeedRow[]).map(toFeedRecord);
    },
    async getFeed(url) {
      const row = db.prepare(`${SELECT_FEEDS} WHERE f.url = ?`).get(url) as FeedRow | undefined;
      return row && toFeedRecord(row);
    },
    async recordFeedFetch(fetch, items = [], reservedSlugs = new Set()) {
      record.immediate(fetch, items, reservedSlugs);
    },
    async feedItems(url) {
      const rows = db.prepare('SELECT item_key, slug, post, first_seen_at FROM feed_items WHERE feed_url = ? ORDER BY first_seen_at, item_key').all(url) as FeedItemRow[];
      return rows.map(toFeedItem);
    },
  };
}
