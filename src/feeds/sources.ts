import { existsSync, readFileSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { createRequire } from 'node:module';
import { z } from 'zod';

/**
 * Which feeds to read: `FEEDS` (URLs separated by spaces or commas) and the optional feeds file,
 * which can also give a feed a name and a category filter. Problems are returned as lines, each
 * naming the variable or `file:line`, so config lists them with every other problem.
 */
export interface FeedSource {
  url: string;
  /** Shown in the preview, status and reports: the configured name, else the feed's host. */
  name: string;
  /** Only items carrying one of these categories are taken (case-insensitive); empty takes all. */
  categories: string[];
}

const webUrl = z
  .string('must be the feed address, e.g. url: https://blog.example.org/feed/')
  .trim()
  .refine((v) => isWebUrl(v), 'must be an absolute http:// or https:// address, e.g. https://blog.example.org/feed/');

const entrySchema = z.strictObject(
  {
    url: webUrl,
    name: z.string('must be text, e.g. name: "Example blog"').trim().min(1, 'must not be empty').max(100, 'must be at most 100 characters').optional(),
    categories: z.array(z.string().trim().min(1).max(60), 'must be a list, e.g. categories: ["Trade"]').max(50).default([]),
  },
  { error: (issue) => (issue.code === 'unrecognized_keys' ? `has unknown field(s) ${issue.keys.join(', ')} (known: url, name, categories)` : 'must be url:, name: and categories: lines') },
);
const fileSchema = z.strictObject({ feeds: z.array(entrySchema, 'must be a list of feeds, each starting "- url: …"').max(100, 'at most 100 feeds') }, 'must have a top-level "feeds:" list');

export function isWebUrl(value: string): boolean {
  try {
    const url = new URL(value);
    return (url.protocol === 'http:' || url.protocol === 'https:') && url.hostname !== '';
  } catch {
    return false;
  }
}

/** FEEDS_FILE, or feeds.yaml beside the posts folder. */
export function feedsFilePath(feedsFile: string | undefined, postsDir: string | undefined, cwd: string): string {
  return feedsFile ? resolve(cwd, feedsFile) : join(dirname(resolve(cwd, postsDir || './posts')), 'feeds.yaml');
}

/** FEEDS and the feeds file, merged, from the raw variables (config lists the problems with the others). */
export function readFeedSources(merged: Record<string, string | undefined>, cwd: string): { sources: FeedSource[]; problems: string[] } {
  const explicit = (merged.FEEDS_FILE ?? '') !== '';
  const fromFile = feedsFromFile(feedsFilePath(merged.FEEDS_FILE, merged.POSTS_DIR, cwd), explicit);
  const fromEnv = feedsFromEnv(merged.FEEDS);
  return { sources: mergeSources(fromFile.sources, fromEnv.sources), problems: [...fromEnv.problems, ...fromFile.problems] };
}

export function feedsFromEnv(value: string | undefined): { sources: FeedSource[]; problems: string[] } {
  const problems: string[] = [];
  const sources: FeedSource[] = [];
  for (const word of (value ?? '').split(/[\s,]+/).filter(Boolean)) {
    if (isWebUrl(word)) sources.push(source(word));
    else problems.push(`FEEDS has "${word.slice(0, 200)}", which is not an http:// or https:// address: separate feed URLs with spaces or commas`);
  }
  return { sources, problems };
}

/** A missing file is fine unless it was named explicitly (FEEDS_FILE set). */
export function feedsFromFile(file: string, explicit: boolean): { sources: FeedSource[]; problems: string[] } {
  if (!existsSync(file)) return { sources: [], problems: explicit ? [`FEEDS_FILE names ${file}, which does not exist: create it or unset FEEDS_FILE`] : [] };
  const text = readFileSync(file, 'utf8').replace(/\r\n?/g, '\n');
  const name = basename(file);
  let data: unknown;
  try {
    // Required here, not imported: every command loads the config, few have a feeds file.
    const yaml = createRequire(import.meta.url)('js-yaml') as typeof import('js-yaml');
    data = yaml.load(text, { schema: yaml.JSON_SCHEMA });
  } catch (error) {
    const mark = (error as { mark?: { line?: number } }).mark;
    return { sources: [], problems: [`${name}:${(mark?.line ?? 0) + 1}: invalid YAML: ${(error as { reason?: string }).reason ?? 'cannot be read'}`] };
  }
  const parsed = fileSchema.safeParse(data ?? {});
  if (!parsed.success) return { sources: [], problems: describe(parsed.error.issues, text, name) };
  return { sources: parsed.data.feeds.map((entry) => source(entry.url, entry.name, entry.categories)), problems: [] };
}

/** File entries first (they carry names and filters), then FEEDS addresses not already listed. */
export function mergeSources(...lists: FeedSource[][]): FeedSource[] {
  const byUrl = new Map<string, FeedSource>();
  for (const list of lists) for (const feed of list) if (!byUrl.has(feed.url)) byUrl.set(feed.url, feed);
  return [...byUrl.values()];
}

function source(url: string, name?: string, categories: string[] = []): FeedSource {
  const parsed = new URL(url);
  return { url: parsed.href, name: name ?? parsed.host, categories };
}

function describe(issues: z.core.$ZodIssue[], text: string, file: string): string[] {
  const starts = entryLines(text);
  const seen = new Set<string>();
  const problems: string[] = [];
  for (const issue of issues) {
    const [top, index, field] = issue.path;
    const where = typeof index === 'number' ? `feeds[${index + 1}]${field === undefined ? '' : `.${String(field)}`}` : String(top ?? 'file');
    if (seen.has(where)) continue;
    seen.add(where);
    const lineField = issue.code === 'unrecognized_keys' ? issue.keys[0] : field;
    const line = typeof index === 'number' ? fieldLine(text, starts[index] ?? 1, lineField) : 1;
    problems.push(`${file}:${line}: ${where} ${issue.message}`);
  }
  return problems;
}

/** 1-based line of each list entry: "- url: …", "- name: …", "- categories: …" or a bare "-". */
const ENTRY_START = /^\s*-\s*((url|name|categories)\s*:|$)/;

function entryLines(text: string): number[] {
  const lines: number[] = [];
  text.split('\n').forEach((line, i) => {
    if (ENTRY_START.test(line)) lines.push(i + 1);
  });
  return lines;
}

function fieldLine(text: string, start: number, field: PropertyKey | undefined): number {
  if (typeof field !== 'string') return start;
  const lines = text.split('\n');
  const key = new RegExp(`^\\s*(-\\s*)?${field}\\s*:`);
  for (let i = start - 1; i < lines.length; i += 1) {
    if (i > start - 1 && ENTRY_START.test(lines[i] ?? '')) break;
    if (key.test(lines[i] ?? '')) return i + 1;
  }
  return start;
}
