import { createApp, type App } from '../../app.js';
import { collectFeedPosts } from '../../feeds/collect.js';
import { refreshAll } from '../../feeds/gather.js';
import type { FeedReport } from '../../feeds/refresh.js';
import { silentLogger } from '../../logger.js';
import { collectPosts } from '../../posts/collect.js';
import type { FeedRecord } from '../../store/store.js';
import type { CommandContext } from '../command.js';

/**
 * `digest feeds list|pull|check`: what is configured and what the store holds, a fetch that
 * keeps its result (pull), and a fetch that only reports (check: nothing recorded).
 */
export async function feeds({ out, loadConfig }: CommandContext, sub: 'list' | 'pull' | 'check'): Promise<number> {
  const config = loadConfig();
  if (config.feeds.length === 0) {
    out(`No feeds configured: set FEEDS (URLs separated by spaces or commas) or write ${config.feedsFile} (see docs/feeds.md).`);
    return 0;
  }
  const app = await createApp(config, { dryRun: sub === 'check', logger: silentLogger });
  try {
    if (sub === 'list') return await list(app, out);
    return await fetchAll(app, out, sub === 'check');
  } finally {
    await app.close();
  }
}

async function list(app: App, out: (line: string) => void): Promise<number> {
  for (const source of app.config.feeds) {
    const filter = source.categories.length ? `, only ${source.categories.join(', ')}` : '';
    out(`${source.name} — ${source.url}${filter}`);
    out(`  ${describeRecord(await app.store.getFeed(source.url))}`);
  }
  return 0;
}

async function fetchAll(app: App, out: (line: string) => void, dryRun: boolean): Promise<number> {
  const markdown = await collectPosts(app.config.postsDir, { timezone: app.config.timezone, siteUrl: app.config.siteUrl });
  const reports = await refreshAll(app, new Set(markdown.posts.map((post) => post.slug)));
  const { posts } = await collectFeedPosts(app.store, app.config.feeds);
  for (const report of reports) {
    out(`${report.name} — ${report.url}: ${describeReport(report)}`);
    for (const problem of report.itemProblems) out(`  warning: ${problem}`);
    if (dryRun) for (const post of posts.filter((p) => p.source?.feedUrl === report.url).slice(-5)) out(`  ${post.date.toISOString().slice(0, 10)} ${post.title} <${post.url}>`);
  }
  if (dryRun) out('Check only: nothing was recorded.');
  const failed = reports.filter((r) => r.result === 'error').length;
  if (failed > 0) out(`${failed} of ${reports.length} feed${reports.length === 1 ? '' : 's'} could not be read; Markdown posts and kept items still go out.`);
  return failed > 0 ? 1 : 0;
}

function describeReport(report: FeedReport): string {
  if (report.result === 'error') return `error: ${report.error ?? 'failed'} (${report.items} item(s) kept from earlier fetches)`;
  return `${report.result === 'ok' ? 'read' : 'not modified since the last fetch (304)'}, ${report.items} item(s) kept`;
}

/** The one line `digest feeds list` and `digest status` print for a feed. */
export function describeRecord(record: FeedRecord | undefined): string {
  if (!record) return 'never fetched';
  const result = record.result === 'error' ? `error: ${record.error ?? ''}` : record.result === 'ok' ? 'ok' : 'ok (not modified)';
  return `last fetch ${record.fetchedAt.toISOString()}: ${result}; ${record.itemCount} item(s)${record.okAt && record.result === 'error' ? `, last read ${record.okAt.toISOString()}` : ''}`;
}
