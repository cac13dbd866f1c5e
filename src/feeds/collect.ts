import type { Collection } from '../posts/collect.js';
import type { Post } from '../posts/post.js';
import type { FeedStore } from '../store/store.js';
import type { FeedSource } from './sources.js';

/**
 * Stage 1 for feeds: the items kept in the store for each configured feed, as posts, after the
 * feed's category filter. Items that dropped out of the feed stay posts until they are sent; an
 * item whose link another listed feed already gave is the same post and is taken once.
 */
export interface FeedCollection {
  posts: Post[];
  /** Every slug ever given to each feed's items, category filter or not: for "is this feed new". */
  slugsByFeed: Map<string, string[]>;
}

export async function collectFeedPosts(store: FeedStore, sources: FeedSource[]): Promise<FeedCollection> {
  const posts: Post[] = [];
  const slugsByFeed = new Map<string, string[]>();
  // Two feeds of one blog (the whole blog and one category) share items: the first feed listed wins.
  const seenUrls = new Set<string>();
  for (const source of sources) {
    const items = await store.feedItems(source.url);
    slugsByFeed.set(source.url, items.map((item) => item.post.slug));
    // The name and filter come from today's configuration, not from the fetch that stored the item.
    for (const { post } of items) {
      const named: Post = { ...post, file: `feed: ${source.name}`, source: { kind: 'feed', feedUrl: source.url, feedName: source.name } };
      if (!matchesFilter(named, source.categories) || seenUrls.has(named.url)) continue;
      seenUrls.add(named.url);
      posts.push(named);
    }
  }
  return { posts, slugsByFeed };
}

function matchesFilter(post: Post, categories: string[]): boolean {
  if (categories.length === 0) return true;
  const wanted = new Set(categories.map((c) => c.toLowerCase()));
  return post.categories.some((c) => wanted.has(c.toLowerCase()));
}

/**
 * Markdown posts and feed items side by side. A feed item's slug was free when it was given; a
 * Markdown post written later with the same slug would be taken for it by the ledger, so that
 * post is held back with an error naming the item, until it gets its own slug.
 */
export function mergeSources(markdown: Collection, feeds: FeedCollection, folder: string): Collection {
  const feedBySlug = new Map(feeds.posts.map((post) => [post.slug, post]));
  const taken = new Set([...feeds.slugsByFeed.values()].flat());
  const problems = [...markdown.problems];
  const kept: Post[] = [];
  for (const post of markdown.posts) {
    if (!taken.has(post.slug)) {
      kept.push(post);
      continue;
    }
    const item = feedBySlug.get(post.slug);
    const owner = item ? `the feed item "${item.title}" (${item.file})` : 'an item of a configured feed';
    problems.push({ file: post.file, folder, line: 1, severity: 'error', message: `slug "${post.slug}" is already used by ${owner}: give this post a different "slug:"` });
  }
  // The same post as a Markdown file and in a feed (same link): the editor's file wins.
  const markdownUrls = new Set(kept.map((post) => post.url));
  return { posts: [...kept, ...feeds.posts.filter((post) => !markdownUrls.has(post.url))], problems };
}

/** Feeds none of whose items any edition of this cadence has carried or counted as published. */
export function newFeeds(feeds: FeedCollection, ledger: ReadonlyMap<string, number>): Set<string> {
  const fresh = new Set<string>();
  for (const [url, slugs] of feeds.slugsByFeed) if (!slugs.some((slug) => ledger.has(slug))) fresh.add(url);
  return fresh;
}
