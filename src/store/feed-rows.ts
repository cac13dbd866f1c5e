import type { Post } from '../posts/post.js';
import type { FeedRecord } from './store.js';

/**
 * Rows of the feed tables as both stores read them (times are epoch milliseconds), and the one
 * SQL text they share: plain enough for SQLite and PostgreSQL alike.
 */
export interface FeedRow {
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

export interface FeedItemRow {
  item_key: string;
  slug: string;
  post: string;
  first_seen_at: number;
}

export const SELECT_FEEDS = `SELECT f.*, (SELECT count(*) FROM feed_items i WHERE i.feed_url = f.url) AS item_count FROM feeds f`;

/** A failed fetch keeps the validators and title of the last good one: the next request is still conditional. */
export const UPSERT_FEED = `
  ON CONFLICT (url) DO UPDATE SET
    title = COALESCE(excluded.title, feeds.title),
    etag = CASE WHEN excluded.result = 'ok' THEN excluded.etag ELSE feeds.etag END,
    last_modified = CASE WHEN excluded.result = 'ok' THEN excluded.last_modified ELSE feeds.last_modified END,
    fetched_at = excluded.fetched_at, result = excluded.result, error = excluded.error,
    ok_at = COALESCE(excluded.ok_at, feeds.ok_at)`;

export function toFeedRecord(row: FeedRow): FeedRecord {
  return {
    url: row.url,
    title: row.title,
    etag: row.etag,
    lastModified: row.last_modified,
    fetchedAt: new Date(Number(row.fetched_at)),
    result: row.result,
    error: row.error,
    okAt: row.ok_at === null ? null : new Date(Number(row.ok_at)),
    itemCount: Number(row.item_count),
  };
}

/** A stored item as a post: its permanent slug, and its first-seen time when the feed gave no date. */
export function toFeedItem(row: FeedItemRow): { key: string; post: Post; firstSeenAt: Date } {
  const stored = JSON.parse(row.post) as Omit<Post, 'slug' | 'date'> & { date: string | null };
  const firstSeenAt = new Date(Number(row.first_seen_at));
  return { key: row.item_key, firstSeenAt, post: { ...stored, slug: row.slug, date: stored.date ? new Date(stored.date) : firstSeenAt } };
}
