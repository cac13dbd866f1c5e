import { describe, expect, it } from 'vitest';
import { openSqliteStore } from '../../src/store/sqlite/index.js';
import type { FeedItemInput, Store } from '../../src/store/store.js';

/**
 * The FeedStore port, written as a contract any store must meet (SQLite here; a PostgreSQL store
 * runs the same function): slugs given once and kept, unique across feeds and reserved slugs,
 * validators kept through a failed fetch.
 */
export function feedStoreContract(open: () => Promise<Store>): void {
  const at = (minute: number) => new Date(Date.UTC(2026, 2, 2, 8, minute));
  const input = (key: string, title: string, date: Date | null = at(0)): FeedItemInput => ({
    key,
    slugBase: title.toLowerCase().replace(/\s+/g, '-'),
    post: { title, date, author: 'A', categories: [], tags: [], excerpt: '', url: `https://blog.example.org/${key}`, draft: false, file: 'feed: x' },
  });

  it('keeps an item its slug and first-seen time whatever changes in it', async () => {
    const store = await open();
    try {
      await store.recordFeedFetch({ url: 'https://a.example/feed', at: at(1), result: 'ok', etag: '"1"', title: 'A' }, [input('k1', 'Hello world', null)], new Set(['hello-world']));
      await store.recordFeedFetch({ url: 'https://a.example/feed', at: at(2), result: 'ok', etag: '"2"' }, [input('k1', 'Hello again', at(5)), input('k2', 'Hello world')]);
      const items = await store.feedItems('https://a.example/feed');
      expect(items.map((i) => [i.key, i.post.slug, i.post.title, i.firstSeenAt.toISOString()])).toEqual([
        ['k1', 'hello-world-2', 'Hello again', at(1).toISOString()],
        ['k2', 'hello-world', 'Hello world', at(2).toISOString()],
      ]);
      expect(items[0]!.post.date).toEqual(at(5));
      // The same key in another feed is another item, with its own slug.
      await store.recordFeedFetch({ url: 'https://b.example/feed', at: at(3), result: 'ok' }, [input('k1', 'Hello world')]);
      expect((await store.feedItems('https://b.example/feed'))[0]!.post.slug).toBe('hello-world-3');
    } finally {
      await store.close();
    }
  });

  it('an item with no date takes the time it was first seen', async () => {
    const store = await open();
    try {
      await store.recordFeedFetch({ url: 'https://a.example/feed', at: at(7), result: 'ok' }, [input('k1', 'Undated', null)]);
      await store.recordFeedFetch({ url: 'https://a.example/feed', at: at(9), result: 'ok' }, [input('k1', 'Undated', null)]);
      expect((await store.feedItems('https://a.example/feed'))[0]!.post.date).toEqual(at(7));
    } finally {
      await store.close();
    }
  });

  it('a failed fetch keeps the validators, title and items of the last good one', async () => {
    const store = await open();
    try {
      await store.recordFeedFetch({ url: 'https://a.example/feed', at: at(1), result: 'ok', etag: '"e"', lastModified: 'Mon, 02 Mar 2026 07:00:00 GMT', title: 'A blog' }, [input('k1', 'One')]);
      await store.recordFeedFetch({ url: 'https://a.example/feed', at: at(2), result: 'error', error: 'the server answered 500' });
      expect(await store.getFeed('https://a.example/feed')).toEqual({
        url: 'https://a.example/feed',
        title: 'A blog',
        etag: '"e"',
        lastModified: 'Mon, 02 Mar 2026 07:00:00 GMT',
        fetchedAt: at(2),
        result: 'error',
        error: 'the server answered 500',
        okAt: at(1),
        itemCount: 1,
      });
      await store.recordFeedFetch({ url: 'https://a.example/feed', at: at(3), result: 'not-modified' });
      expect(await store.getFeed('https://a.example/feed')).toMatchObject({ result: 'not-modified', error: null, okAt: at(3), etag: '"e"' });
      expect((await store.listFeeds()).map((f) => f.url)).toEqual(['https://a.example/feed']);
    } finally {
      await store.close();
    }
  });
}

describe('SQLite FeedStore', () => {
  feedStoreContract(async () => openSqliteStore(':memory:'));
});
