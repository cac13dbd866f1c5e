import { isDigestError, messageOf } from '../errors.js';
import type { Logger } from '../logger.js';
import type { FeedItemInput, FeedResult, FeedStore } from '../store/store.js';
import { toFeedItem } from './content.js';
import { fetchFeed, FeedFetchError, type FetchLimits } from './fetch.js';
import { parseFeedDocument } from './parse.js';
import type { FeedSource } from './sources.js';

/**
 * Fetches every configured feed and keeps what it brought in the store. A feed that is down or
 * broken is recorded as such and reported; its items from the last good fetch stay in use, and
 * nothing else waits for it.
 */
export interface FeedReport {
  url: string;
  name: string;
  result: FeedResult;
  /** Why the fetch failed (result "error"). */
  error?: string;
  /** Items of this fetch that could not be used, each saying why. */
  itemProblems: string[];
  /** Items kept for the feed after this fetch. */
  items: number;
  /** When a document was last read from it; null if never. */
  okAt: Date | null;
}

export interface RefreshDeps {
  store: FeedStore;
  now: () => Date;
  logger: Logger;
  limits: FetchLimits;
}

export async function refreshFeeds(deps: RefreshDeps, sources: FeedSource[], reservedSlugs: ReadonlySet<string>): Promise<FeedReport[]> {
  return Promise.all(sources.map((source) => refreshFeed(deps, source, reservedSlugs)));
}

async function refreshFeed(deps: RefreshDeps, source: FeedSource, reservedSlugs: ReadonlySet<string>): Promise<FeedReport> {
  const previous = await deps.store.getFeed(source.url);
  const itemProblems: string[] = [];
  let error: string | undefined;
  try {
    const outcome = await fetchFeed(source.url, previous, deps.limits);
    if (outcome.kind === 'not-modified') await deps.store.recordFeedFetch({ url: source.url, at: deps.now(), result: 'not-modified' });
    else {
      const { items, title } = readDocument(outcome.text, outcome.url, source, itemProblems);
      const fetch = { url: source.url, at: deps.now(), result: 'ok' as const, etag: outcome.etag, lastModified: outcome.lastModified, title: title ?? null };
      await deps.store.recordFeedFetch(fetch, items, reservedSlugs);
    }
  } catch (caught) {
    // The store failing is the run's problem, not the feed's; anything else wrong with one feed stays with that feed.
    if (isDigestError(caught)) throw caught;
    error = caught instanceof FeedFetchError ? caught.message : `could not be read: ${messageOf(caught).slice(0, 300)}`;
    await deps.store.recordFeedFetch({ url: source.url, at: deps.now(), result: 'error', error });
    deps.logger.warn('feed.failed', { feed: source.url, name: source.name, problem: error });
  }
  const record = await deps.store.getFeed(source.url);
  return { url: source.url, name: source.name, result: record?.result ?? 'error', ...(error ? { error } : {}), itemProblems, items: record?.itemCount ?? 0, okAt: record?.okAt ?? null };
}

/** The document's items; one that cannot be used is named in `problems` and left out, the others kept. */
function readDocument(text: string, url: string, source: FeedSource, problems: string[]): { items: FeedItemInput[]; title: string | undefined } {
  refuseEntityDeclarations(text);
  let feed;
  try {
    feed = parseFeedDocument(text);
  } catch (cause) {
    throw new FeedFetchError(`is not a feed this program reads (RSS 2.0, Atom, JSON Feed or RSS 1.0): ${messageOf(cause).slice(0, 200)}`);
  }
  const items: FeedItemInput[] = [];
  const keys = new Set<string>();
  for (const raw of feed.items) {
    const result = toFeedItem(raw, { source, base: safeBase(feed.base, url), title: feed.title });
    if ('problem' in result) problems.push(result.problem);
    else if (keys.has(result.item.key)) problems.push(`two items share the id ${result.item.key.slice(0, 200)}: only the first is used`);
    else {
      keys.add(result.item.key);
      items.push(result.item);
    }
  }
  return { items, title: feed.title };
}

/**
 * Entities declared in a DOCTYPE are what entity-expansion bombs are made of; the parser never
 * expands them, and a real feed does not need them, so such a document is refused outright
 * rather than read with "&lol9;" in its titles.
 */
function refuseEntityDeclarations(text: string): void {
  const doctype = /<!DOCTYPE/i.exec(text.slice(0, 64 * 1024));
  if (doctype && /<!ENTITY/i.test(text.slice(doctype.index, doctype.index + 64 * 1024))) {
    throw new FeedFetchError('declares XML entities in its DOCTYPE (<!ENTITY …>), which this reader refuses: feeds need none');
  }
}

/** The base for relative links: the feed's own (xml:base or site link) when it is a web address, else where it was fetched. */
function safeBase(declared: string | undefined, fetchedFrom: string): string {
  try {
    const base = declared ? new URL(declared, fetchedFrom) : undefined;
    return base && (base.protocol === 'http:' || base.protocol === 'https:') ? base.href : fetchedFrom;
  } catch {
    return fetchedFrom;
  }
}
