import { basename } from 'node:path';
import type { App } from '../app.js';
import { collectPosts, type Collection } from '../posts/collect.js';
import { collectFeedPosts, mergeSources, type FeedCollection } from './collect.js';
import type { FeedReport } from './refresh.js';

/**
 * Stage 1 with both sources: the Markdown posts, then (with `refresh`) a fetch of every feed,
 * then the feed items kept in the store. Without feeds configured this is `collectPosts` alone.
 */
export interface Gathered extends Collection {
  feeds: FeedCollection;
  /** One per configured feed when fetched; empty without `refresh`. */
  feedReports: FeedReport[];
}

export async function gatherPosts(app: App, options: { refresh: boolean }): Promise<Gathered> {
  const { config } = app;
  const markdown = await collectPosts(config.postsDir, { timezone: config.timezone, siteUrl: config.siteUrl });
  if (config.feeds.length === 0) return { ...markdown, feeds: { posts: [], slugsByFeed: new Map() }, feedReports: [] };
  const feedReports = options.refresh ? await refreshAll(app, new Set(markdown.posts.map((post) => post.slug))) : [];
  const feeds = await collectFeedPosts(app.store, config.feeds);
  return { ...mergeSources(markdown, feeds, basename(config.postsDir)), feeds, feedReports };
}

export const USER_AGENT = 'newsletter-digest/0.1 (feed reader of a newsletter digest)';

/**
 * Fetches every configured feed into the app's store. The parser and sanitiser are loaded only
 * here: a process with no feeds (every CLI start, the quick start) never pays for them.
 */
export async function refreshAll(app: App, reservedSlugs: ReadonlySet<string>): Promise<FeedReport[]> {
  const { refreshFeeds } = await import('./refresh.js');
  return refreshFeeds(feedDeps(app), app.config.feeds, reservedSlugs);
}

function feedDeps(app: App) {
  return {
    store: app.store,
    now: app.now,
    logger: app.logger,
    limits: { timeoutMs: app.config.feedTimeoutMs, maxBytes: app.config.feedMaxBytes, userAgent: `${USER_AGENT}; +${app.config.publicUrl}` },
  };
}

/** One line per feed whose fetch failed: what the send report, `digest check` and the preview show. */
export function feedWarnings(reports: FeedReport[]): string[] {
  return reports
    .filter((report) => report.result === 'error')
    .map((report) => {
      const kept = report.okAt ? `its ${report.items} item(s) from ${report.okAt.toISOString()} are used` : 'no items of it have ever been read';
      return `feed "${report.name}" (${report.url}) ${report.error ?? 'failed'}; ${kept}`;
    });
}
