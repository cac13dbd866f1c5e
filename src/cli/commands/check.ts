import { basename } from 'node:path';
import { createApp } from '../../app.js';
import type { Config } from '../../config.js';
import { isDigestError } from '../../errors.js';
import { loadDkimSigner } from '../../mail/dkim.js';
import { collectPosts } from '../../posts/collect.js';
import { formatProblem, type Post } from '../../posts/post.js';
import { renderDigest } from '../../render/render-digest.js';
import { buildViewModel } from '../../render/view-model.js';
import type { CommandContext } from '../command.js';

/**
 * Validates everything a send depends on and lists every problem at once: config (an invalid
 * config throws before this runs and is printed by the CLI), each post, each template.
 */
export async function check({ out, loadConfig }: CommandContext): Promise<number> {
  const config = loadConfig();
  const keyErrors = checkDkimKey(config, out);
  out(keyErrors === 0 ? 'Config: ok' : 'Config: the DKIM key cannot be used');
  const { posts, problems } = await collectPosts(config.postsDir, { timezone: config.timezone, siteUrl: config.siteUrl });
  const errors = problems.filter((p) => p.severity === 'error');
  const byFileAndLine = [...problems].sort((a, b) => a.file.localeCompare(b.file) || a.line - b.line);
  for (const problem of byFileAndLine) out(`${problem.severity === 'error' ? 'error' : 'warning'}: ${formatProblem(problem)}`);
  const badFiles = new Set(errors.map((p) => p.file)).size;
  out(`Posts: ${posts.length} valid, ${badFiles} with errors${errors.length > badFiles ? ` (${errors.length} problems)` : ''}`);
  const templateErrors = await checkTemplates(config, posts, out);
  const failed = keyErrors + errors.length + templateErrors;
  out(failed === 0 ? 'Everything is ready to send.' : `${failed} problem${failed === 1 ? '' : 's'} found: fix them and run digest check again.`);
  return failed === 0 ? 0 : 1;
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
async function checkTemplates(config: Config, posts: Post[], out: (line: string) => void): Promise<number> {
  const app = await createApp(config, { dryRun: true });
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
  } finally {
    await app.close();
  }
}
