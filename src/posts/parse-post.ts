import { marked } from 'marked';
import { z } from 'zod';
import { TOKEN_PATTERN } from '../render/personal.js';
import { plainLine, slugify, truncateWords, uniqueIgnoringCase } from '../text.js';
import { parsePostDate } from '../time.js';
import { splitFrontMatter } from './front-matter.js';
import type { ContentProblem, Post } from './post.js';

const EXCERPT_LENGTH = 280;
const line = (max: number) => z.string().trim().min(1, 'must not be empty').max(max, `must be at most ${max} characters`);
const webUrl = z
  .string()
  .url('must be an absolute URL')
  .refine((v) => /^https?:\/\//i.test(v), 'must be an http:// or https:// URL');
const stringList = z.array(z.string().trim().min(1).max(60), 'must be a list, e.g. ["Trade", "Diplomacy"]').max(20).default([]);

const frontMatterSchema = z.object({
  title: line(300),
  date: z.union([z.string(), z.number()], 'is required, e.g. 2023-05-24 or 2023-05-24T09:30:00+02:00').transform(String),
  author: line(120),
  categories: stringList,
  tags: stringList,
  summary: line(1000).optional(),
  slug: z
    .string()
    .regex(/^[a-z0-9][a-z0-9-]{0,79}$/i, 'must be letters, digits and dashes, e.g. china-trade-reopens')
    .optional(),
  url: webUrl.optional(),
  image: webUrl.optional(),
  imageAlt: line(300).optional(),
  draft: z.boolean('must be true or false').default(false),
});

/** What to write, for the wording of a missing or mistyped field. */
const EXAMPLES: Record<string, string> = { title: 'title: "What changed in May"', author: 'author: "Jane Doe"', summary: 'summary: "One or two sentences."', imageAlt: 'imageAlt: "A harbour at dawn"', url: 'url: https://example.org/post', image: 'image: https://example.org/photo.jpg', slug: 'slug: china-trade-reopens' };

function plainIssue(key: string, issue: z.core.$ZodIssue, value: unknown): string {
  const example = EXAMPLES[key];
  if (issue.code !== 'invalid_type' || !example) return issue.message;
  return value === undefined || value === null ? `is required, e.g. ${example}` : `must be text in quotes, e.g. ${example}`;
}

const KNOWN_FIELDS = new Set(Object.keys(frontMatterSchema.shape));

export interface ParseContext {
  file: string;
  timezone: string;
  siteUrl: string;
}

export type ParsedPost = { post?: Post; problems: ContentProblem[] };

/** One post file's text → a validated Post, or the problems that keep it out (each with a line). */
export function parsePost(source: string, context: ParseContext): ParsedPost {
  const problem = (line: number, message: string, severity: ContentProblem['severity'] = 'error'): ContentProblem => ({
    file: context.file,
    line,
    message,
    severity,
  });
  const split = splitFrontMatter(source);
  if (!split.ok) return { problems: [problem(split.line, split.message)] };
  const lineOf = (key: string) => split.keyLines.get(key) ?? 1;
  const impossibleDate = (value: string) => problem(lineOf('date'), `date: "${value}" is not a real date; write 2023-05-24 or 2023-05-24T09:30:00+02:00`);
  const problems: ContentProblem[] = Object.keys(split.data)
    .filter((key) => !KNOWN_FIELDS.has(key))
    .map((key) => problem(lineOf(key), `unknown field "${key}" is ignored (known: ${[...KNOWN_FIELDS].join(', ')})`, 'warning'));
  const result = frontMatterSchema.safeParse(split.data);
  if (!result.success) {
    const seen = new Set<string>();
    for (const issue of result.error.issues) {
      const key = String(issue.path[0] ?? '');
      if (seen.has(key)) continue; // one problem per field: the first says what to write
      seen.add(key);
      problems.push(problem(lineOf(key), `${key || 'front matter'}: ${plainIssue(key, issue, (split.data as Record<string, unknown>)[key])}`));
    }
    // The other fields' problems are listed too: a missing author must not hide an impossible date.
    const rawDate = split.data.date;
    if (!seen.has('date') && (typeof rawDate === 'string' || typeof rawDate === 'number') && !parsePostDate(String(rawDate), context.timezone)) problems.push(impossibleDate(String(rawDate)));
    return { problems };
  }
  const fields = result.data;
  const date = parsePostDate(fields.date, context.timezone);
  if (!date) {
    problems.push(impossibleDate(fields.date));
    return { problems };
  }
  if (fields.image && !fields.imageAlt) problems.push(problem(lineOf('image'), 'image has no imageAlt: add a short description for screen readers', 'warning'));
  const post = toPost(fields, date, split.body, context);
  if (!post.title) problems.push(problem(lineOf('title'), 'title: is empty once markup is removed'));
  return problems.some((p) => p.severity === 'error') ? { problems } : { post: inertPost(post), problems };
}

/** Validated fields → the Post the pipeline sees: plain-text strings, derived slug, excerpt and URL. */
function toPost(fields: z.infer<typeof frontMatterSchema>, date: Date, body: string, context: ParseContext): Post {
  const slug = (fields.slug ?? slugFromFile(context.file)).toLowerCase();
  return {
    slug,
    title: plainLine(fields.title),
    date,
    author: plainLine(fields.author),
    categories: uniqueIgnoringCase(fields.categories.map(plainLine)),
    tags: uniqueIgnoringCase(fields.tags.map(plainLine)),
    excerpt: truncateWords(plainLine(fields.summary ?? firstParagraph(body)), EXCERPT_LENGTH),
    url: fields.url ?? new URL(encodeURIComponent(slug), context.siteUrl).href,
    draft: fields.draft,
    file: context.file,
    ...(fields.image ? { image: { src: fields.image, alt: fields.imageAlt && plainLine(fields.imageAlt) } } : {}),
  };
}

/**
 * The per-reader placeholders (address, unsubscribe and preferences links) are filled in after
 * rendering; written into a post (`url: https://evil.example/?e=zzpersonalemailzz`) they would hand
 * every reader's address and links to another site. In post text they are made inert.
 */
export function inertPost<T extends Omit<Post, 'slug' | 'date'>>(post: T): T {
  const inert = (text: string) => text.replace(TOKEN_PATTERN, (token) => token.replace(/^zz/, 'zz-'));
  return {
    ...post,
    title: inert(post.title),
    author: inert(post.author),
    categories: post.categories.map(inert),
    tags: post.tags.map(inert),
    excerpt: inert(post.excerpt),
    url: inert(post.url),
    ...(post.image ? { image: { src: inert(post.image.src), alt: post.image.alt && inert(post.image.alt) } } : {}),
  };
}

/** `2023-05-24-china-trade.md` → `china-trade`: the date prefix is for sorting files, not identity. */
function slugFromFile(file: string): string {
  const base = file.replace(/^.*[\\/]/, '').replace(/\.md$/i, '');
  return slugify(base.replace(/^\d{4}-\d{2}-\d{2}-/, '')) || slugify(base) || 'post';
}

/**
 * How much of the body is read as Markdown for the excerpt. marked is quadratic on some inputs (a
 * 200 KB run of `_a` took minutes) and recursive on others (thousands of `>` overflow the stack);
 * an excerpt of 280 characters never needs more than the start of the body.
 */
const EXCERPT_SOURCE_CHARS = 2048;

/** Plain text of the first paragraph of Markdown, for a derived excerpt. */
function firstParagraph(markdown: string): string {
  const source = markdown.slice(0, EXCERPT_SOURCE_CHARS);
  try {
    const paragraph = marked.lexer(source).find((token) => token.type === 'paragraph');
    if (!paragraph || !('text' in paragraph)) return '';
    return String(marked.parseInline(String(paragraph.text)));
  } catch {
    // Markdown too deeply nested to parse: the first block as plain text will do for an excerpt.
    return source.split(/\n\s*\n/).find((block) => block.trim()) ?? '';
  }
}
