import type { Post } from './posts/post.js';

/**
 * Stage 2: decide which posts are new for this cadence. "New" means published (dated at or before
 * now, not a draft) and not yet in any edition of this cadence, whatever its date: a back-dated
 * post added after a run still goes out once. Identity is the slug, so editing a sent post never
 * sends it again.
 */
export type LeftOutReason =
  | { kind: 'draft' }
  | { kind: 'future'; goesAt: Date }
  | { kind: 'sent'; edition: number }
  | { kind: 'before-first-edition' }
  | { kind: 'over-limit' };

export interface Selection {
  included: Post[];
  leftOut: { post: Post; reason: LeftOutReason }[];
  /** On the first edition only: older posts recorded as already published, never to be sent. */
  baseline: Post[];
}

export interface SelectInput {
  posts: Post[];
  /** slug → edition number it went out in (0 for the baseline recorded at the first edition). */
  ledger: ReadonlyMap<string, number>;
  now: Date;
  maxPosts: number;
  isFirstEdition: boolean;
  /**
   * Feeds (by URL) this cadence has never carried an item of: their first edition takes at most
   * `maxPosts` of their newest items, and the older ones count as already published.
   */
  newFeeds?: ReadonlySet<string>;
}

export function selectNew({ posts, ledger, now, maxPosts, isFirstEdition, newFeeds = new Set() }: SelectInput): Selection {
  const leftOut: Selection['leftOut'] = [];
  const candidates: Post[] = [];
  for (const post of posts) {
    const sentIn = ledger.get(post.slug);
    if (post.draft) leftOut.push({ post, reason: { kind: 'draft' } });
    else if (post.date.getTime() > now.getTime()) leftOut.push({ post, reason: { kind: 'future', goesAt: post.date } });
    else if (sentIn !== undefined) leftOut.push({ post, reason: sentIn === 0 ? { kind: 'before-first-edition' } : { kind: 'sent', edition: sentIn } });
    else candidates.push(post);
  }
  candidates.sort(newestFirst);
  const { kept, history } = feedHistory(candidates, newFeeds, maxPosts);
  for (const post of history) leftOut.push({ post, reason: { kind: 'before-first-edition' } });
  const included = kept.slice(0, maxPosts);
  const rest = kept.slice(maxPosts);
  // Past the limit, later posts wait for the next edition; on the very first run they are history.
  for (const post of rest) leftOut.push({ post, reason: isFirstEdition ? { kind: 'before-first-edition' } : { kind: 'over-limit' } });
  return { included, leftOut, baseline: [...history, ...(isFirstEdition ? rest : [])] };
}

/** A newly added feed brings at most `maxPosts` of its newest items; its older history is never sent. */
function feedHistory(sorted: Post[], newFeeds: ReadonlySet<string>, maxPosts: number): { kept: Post[]; history: Post[] } {
  const kept: Post[] = [];
  const history: Post[] = [];
  const taken = new Map<string, number>();
  for (const post of sorted) {
    const feed = post.source?.feedUrl;
    if (feed === undefined || !newFeeds.has(feed)) kept.push(post);
    else {
      const count = taken.get(feed) ?? 0;
      taken.set(feed, count + 1);
      (count < maxPosts ? kept : history).push(post);
    }
  }
  return { kept, history };
}

export function newestFirst(a: Post, b: Post): number {
  return b.date.getTime() - a.date.getTime() || a.slug.localeCompare(b.slug);
}

export function describeReason(reason: LeftOutReason): string {
  switch (reason.kind) {
    case 'draft':
      return 'draft';
    case 'future':
      return `dated in the future: goes out in the first edition after ${reason.goesAt.toISOString()}`;
    case 'sent':
      return `already sent in edition #${reason.edition}`;
    case 'before-first-edition':
      return 'published before the first edition';
    case 'over-limit':
      return 'over DIGEST_MAX_POSTS: waits for the next edition';
  }
}
