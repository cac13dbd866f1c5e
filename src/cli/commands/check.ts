import { basename, join } from 'node:path';
import { createApp, type App } from '../../app.js';
import type { Config } from '../../config.js';
import { isDigestError } from '../../errors.js';
import { loadDkimSigner } from '../../mail/dkim.js';
import { feedWarnings, gatherPosts } from '../../feeds/gather.js';
import type { FeedReport } from '../../feeds/refresh.js';
import { silentLogger } from '../../logger.js';
import { formatProblem, type Post } from '../../posts/post.js';
import { renderDigest } from '../../render/render-digest.js';
import { buildViewModel } from '../../render/view-model.js';
import { checkDatabaseFile } from '../../store/sqlite/open.js';
import { DATABASE_FILE } from '../../store/sqlite/index.js';
import type { CommandContext } from '../command.js';

/**
 * Validates everything a send depends on and lists every problem at once: config (an invalid
 * config throws before this runs and is printed by the CLI), each post, each template.
 */
export async function check({ out, loadConfig }: CommandContext): Promise<number> {
  const config = loadConfig();
  const keyErrors = checkDkimKey(config, out);
  out(keyErrors === 0 ? 'Config: ok' : 'Config: the DKIM key cannot be used');
  // A dry-run app: feeds are fetched into an in-memory copy of the database, nothing is recorded.
  const app = await createApp(config, { dryRun: true, logger: silentLogger });
  try {
    const databaseErrors = checkDatabase(config, out);
    const { posts, problems, feedReports } = await gatherPosts(app, { refresh: true });
    const errors = problems.filter((p) => p.severity === 'error');
    const byFileAndLine = [...problems].sort((a, b) => a.file.localeCompare(b.file) || a.line - b.line);
    for (const problem of byFileAndLine) out(`${problem.severity === 'error' ? 'error' : 'warning'}: ${formatProblem(problem)}`);
    printFeeds(feedReports, out);
    const badFiles = new Set(errors.map((p) => p.file)).size;
    out(`Posts: ${posts.length} valid, ${badFiles} with errors${errors.length > badFiles ? ` (${errors.length} problems)` : ''}`);
    const templateErrors = await checkTemplates(app, posts, out);
    const failed = keyErrors + databaseErrors + errors.length + templateErrors;
    out(failed === 0 ? 'Everything is ready to send.' : `${failed} problem${failed === 1 ? '' : 's'} found: fix them and run digest check again.`);
    return failed === 0 ? 0 : 1;
  } finally {
    await app.close();
  }
}

/** A feed that is down is a warning, not a failure: its kept items (if any) are still sent. */
function printFeeds(reports: FeedReport[], out: (line: string) => void): void {
  if (reports.length === 0) return;
  for (const warning of feedWarnings(reports)) out(`warning: ${warning}`);
  for (const report of reports) for (const problem of report.itemProblems) out(`warning: feed "${report.name}": ${problem}`);
  const read = reports.filter((r) => r.result !== 'error').length;
  out(`Feeds: ${read} of ${reports.length} read, ${reports.reduce((sum, r) => sum + r.items, 0)} items kept`);
}

/** SQLite's quick_check of every page (other commands only check the file is whole, to start fast). */
function checkDatabase(config: Config, out: (line: string) => void): number {
  if (config.databaseUrl) return 0;
  const file = join(config.dataDir, DATABASE_FILE);
  const result = checkDatabaseFile(file);
  if (result === 'ok') {
    out('Database: ok');
    return 0;
  }
  out(`error: the database ${file} is damaged (${result.slice(0, 500)}): restore it from a backup (digest backup makes one)`);
  return 1;
}

/** Loads the DKIM key as a send would, so a missing or non-PEM file is found before sending. */
function checkDkimKey(config: Config, out: (line: string) => void): number {
  if (!config.dkim) return 0;
  try {
    loadDkimSigner(config.dkim);
    return 0;
  } catch (error) {
    if (!isDigestError(error)) throw error;
    out(`error: ${error.message}`);
    return 1;
  }
}

/** Compiles the templates and renders them against the real posts, as a send would. */
async function checkTemplates(app: App, posts: Post[], out: (line: string) => void): Promise<number> {
  const { config } = app;
  try {
    const templates = await app.templates();
    const sample = posts.length > 0 ? posts.slice(0, config.maxPosts) : [];
    const rendered = await renderDigest(templates, buildViewModel({ number: 1, cadence: 'weekly', date: app.now() }, sample, app.publication));
    for (const warning of rendered.warnings) out(`warning: ${basename(config.templatesDir)}/digest.mjml.hbs (the MJML it produces) ${warning}`);
    out(`Templates: ok (${templates.files.join(', ')})`);
    return 0;
  } catch (error) {
    if (!isDigestError(error)) throw error;
    out(`error: ${error.message}`);
    return 1;
  }
}
