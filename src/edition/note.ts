import { createHash } from 'node:crypto';
import { readFile, stat } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { marked } from 'marked';
import type sanitizeHtml from 'sanitize-html';
import { ContentError } from '../errors.js';
import { TOKEN_PATTERN } from '../render/personal.js';
import { splitFrontMatter } from '../posts/front-matter.js';

/**
 * The editor's note: `_intro.md` in the posts folder, Markdown shown above the posts of the next
 * edition of each cadence and then never again. It is recorded in the post ledger under `ledgerKey`
 * (derived from its text) in the same transaction as the edition, so a resumed or repeated run
 * never sends it twice; editing the text makes it a new note.
 */
export interface EditorNote {
  /** The post-ledger entry that marks it sent: `note:` and a hash of its text. */
  ledgerKey: string;
  /** Sanitised HTML (paragraphs, lists, emphasis, https links only). */
  html: string;
  /** The Markdown as written, for the plain-text part. */
  text: string;
}

export const NOTE_FILE = '_intro.md';
const MAX_NOTE_BYTES = 20 * 1024;

const ALLOWED = {
  allowedTags: ['p', 'a', 'strong', 'em', 'b', 'i', 'ul', 'ol', 'li', 'br', 'blockquote'],
  allowedAttributes: { a: ['href'] },
  allowedSchemes: ['https', 'mailto'],
  allowProtocolRelative: false,
} satisfies sanitizeHtml.IOptions;

// sanitize-html (with postcss and htmlparser2) takes about 0.1 s to import: loaded when there is a
// note to clean, not by every send.
let sanitizer: typeof sanitizeHtml | undefined;
const sanitize = (html: string) => (sanitizer ??= createRequire(import.meta.url)('sanitize-html') as typeof sanitizeHtml)(html, ALLOWED);

/** The note in `postsDir`, or undefined when there is none (or it is empty). */
export async function readNote(postsDir: string): Promise<EditorNote | undefined> {
  const path = join(postsDir, NOTE_FILE);
  const info = await stat(path).catch(() => undefined);
  if (!info?.isFile()) return undefined;
  if (info.size > MAX_NOTE_BYTES) throw new ContentError('NOTE_TOO_LARGE', `${NOTE_FILE} is ${Math.ceil(info.size / 1024)} KB; an editor's note is limited to ${MAX_NOTE_BYTES / 1024} KB: shorten it`);
  return noteFrom(await readFile(path, 'utf8'));
}

export function noteFrom(source: string): EditorNote | undefined {
  // Front matter, if any, is for the editor (a date, a reminder); the note is the body.
  const split = splitFrontMatter(source);
  const body = (split.ok ? split.body : source.replace(/^\uFEFF/, '')).replace(TOKEN_PATTERN, '').trim();
  if (body === '') return undefined;
  const html = sanitize(String(marked.parse(body, { async: false }))).trim();
  const ledgerKey = `note:${createHash('sha256').update(body).digest('hex').slice(0, 16)}`;
  return { ledgerKey, html, text: body };
}

/** The note for this cadence's next edition: only while its ledger key is not yet recorded. */
export function pendingNote(note: EditorNote | undefined, ledger: ReadonlyMap<string, number>): EditorNote | undefined {
  return note && !ledger.has(note.ledgerKey) ? note : undefined;
}
