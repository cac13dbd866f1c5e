import { readdir, readFile, stat } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { ContentError } from '../errors.js';
import { parsePost, type ParseContext } from './parse-post.js';
import type { ContentProblem, Post } from './post.js';

/** Posts larger than this are refused before being read, so one bad file can't exhaust memory. */
export const MAX_POST_BYTES = 1024 * 1024;

export interface Collection {
  posts: Post[];
  problems: ContentProblem[];
}

/**
 * Stage 1: read every `*.md` file in the posts folder. A broken file becomes a problem with its
 * line and is left out; it never stops the others.
 */
export async function collectPosts(postsDir: string, context: Omit<ParseContext, 'file'>): Promise<Collection> {
  const { files, skipped } = await listPostFiles(postsDir);
  const posts: Post[] = [];
  const problems: ContentProblem[] = skipped.map((file) => ({
    file,
    line: 1,
    severity: 'warning',
    message: 'is not a regular file (a link, folder or pipe) and is never read: put the post itself in the posts folder',
  }));
  for (const file of files) {
    const parsed = await readPost(postsDir, file, context);
    problems.push(...parsed.problems);
    if (parsed.post) posts.push(parsed.post);
  }
  const kept = dropDuplicateSlugs(posts, problems);
  // Messages name the file as templates are named: the folder's own name, then the file.
  return { posts: kept, problems: problems.map((problem) => ({ ...problem, folder: basename(postsDir) })) };
}

/**
 * Regular `*.md` files only: a link could point anywhere on the machine, a pipe would block.
 * Names starting with `_` are the editor's own files (the note `_intro.md`), not posts.
 */
async function listPostFiles(postsDir: string): Promise<{ files: string[]; skipped: string[] }> {
  try {
    const entries = (await readdir(postsDir, { withFileTypes: true })).filter((entry) => entry.name.toLowerCase().endsWith('.md') && !entry.name.startsWith('_'));
    const names = (regular: boolean) => entries.filter((entry) => entry.isFile() === regular).map((entry) => entry.name).sort();
    return { files: names(true), skipped: names(false) };
  } catch (cause) {
    throw new ContentError('POSTS_DIR_UNREADABLE', `The posts folder ${postsDir} cannot be read: create it or set POSTS_DIR`, { cause });
  }
}

async function readPost(postsDir: string, file: string, context: Omit<ParseContext, 'file'>) {
  const path = join(postsDir, file);
  const { size } = await stat(path);
  if (size > MAX_POST_BYTES) {
    const message = `is ${(size / 1024 / 1024).toFixed(1)} MB; posts are limited to ${MAX_POST_BYTES / 1024 / 1024} MB: move large media out of the file`;
    return { problems: [{ file, line: 1, message, severity: 'error' as const }] };
  }
  return parsePost(await readFile(path, 'utf8'), { ...context, file });
}

/**
 * Two files claiming one slug (even differing only in case) would be one post to the ledger, so
 * neither is sent until the editor decides which one is meant.
 */
function dropDuplicateSlugs(posts: Post[], problems: ContentProblem[]): Post[] {
  const bySlug = new Map<string, Post[]>();
  for (const post of posts) bySlug.set(post.slug, [...(bySlug.get(post.slug) ?? []), post]);
  const kept: Post[] = [];
  for (const group of bySlug.values()) {
    if (group.length === 1) {
      kept.push(...group);
      continue;
    }
    for (const post of group) {
      const others = group.filter((other) => other !== post).map((other) => other.file);
      problems.push({ file: post.file, line: 1, severity: 'error', message: `slug "${post.slug}" is also used by ${others.join(', ')}: give one of them a different "slug:"` });
    }
  }
  return kept;
}
