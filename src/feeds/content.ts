import sanitizeHtml from 'sanitize-html';
import { inertPost } from '../posts/parse-post.js';
import type { PostSource } from '../posts/post.js';
import type { FeedItemInput } from '../store/store.js';
import { plainLine, slugify, truncateWords, uniqueIgnoringCase } from '../text.js';
import type { RawItem } from './parse.js';
import { isWebUrl, type FeedSource } from './sources.js';

/**
 * A raw feed item → the post the pipeline sees, exactly as a Markdown post would be: plain-text
 * title, author and categories; the HTML sanitised with an allow-list, its links made absolute
 * against the feed's base, and its first paragraph (or the summary) as the excerpt.
 */
const EXCERPT_LENGTH = 280;
/** An excerpt never needs more of the content than this; a huge body is cut before sanitising. */
const CONTENT_SOURCE_CHARS = 256 * 1024;

const ALLOWED_TAGS = ['p', 'br', 'a', 'img', 'figure', 'figcaption', 'blockquote', 'ul', 'ol', 'li', 'em', 'strong', 'b', 'i', 'code', 'pre', 'h1', 'h2', 'h3', 'h4', 'h5', 'h6', 'span', 'div', 'hr', 'table', 'thead', 'tbody', 'tr', 'td', 'th'];

/** Sanitised HTML with absolute http(s) links and image sources; everything else is dropped. */
export function cleanHtml(html: string, base: string): string {
  const absolute = (value: string | undefined) => {
    const resolved = resolveUrl(value, base);
    return resolved && isWebUrl(resolved) ? resolved : undefined;
  };
  return sanitizeHtml(html.slice(0, CONTENT_SOURCE_CHARS), {
    allowedTags: ALLOWED_TAGS,
    allowedAttributes: { a: ['href', 'title'], img: ['src', 'alt', 'title', 'width', 'height'] },
    allowedSchemes: ['http', 'https'],
    allowProtocolRelative: false,
    transformTags: {
      a: (tagName, attribs) => ({ tagName, attribs: withUrl(attribs, 'href', absolute(attribs.href)) }),
      img: (tagName, attribs) => ({ tagName, attribs: withUrl(attribs, 'src', absolute(attribs.src)) }),
    },
  });
}

function withUrl(attribs: Record<string, string>, name: string, value: string | undefined): Record<string, string> {
  const { [name]: _old, ...rest } = attribs;
  return value ? { ...rest, [name]: value } : rest;
}

export function resolveUrl(value: string | undefined, base: string): string | undefined {
  if (!value?.trim()) return undefined;
  try {
    return new URL(value.trim(), base).href;
  } catch {
    return undefined;
  }
}

export type ItemResult = { item: FeedItemInput } | { problem: string };

export function toFeedItem(raw: RawItem, feed: { source: FeedSource; base: string; title: string | undefined }): ItemResult {
  const base = resolveUrl(raw.base, feed.base) ?? feed.base;
  const link = resolveUrl(raw.link, base);
  const id = raw.id?.trim();
  const url = link && isWebUrl(link) ? link : id && isWebUrl(id) ? id : undefined;
  const label = plainLine(raw.title ?? '').slice(0, 80) || id || raw.link || 'an item';
  if (!url) return { problem: `"${label}" has no http:// or https:// link and is left out` };
  const key = id || raw.link?.trim() || url;
  const content = raw.content ?? raw.summary ?? '';
  const cleaned = cleanHtml(content, base);
  const summary = raw.content && raw.summary ? plainText(cleanHtml(raw.summary, base)) : '';
  const excerpt = truncateWords(summary || firstParagraph(cleaned), EXCERPT_LENGTH);
  const title = plainLine(raw.title ?? '') || truncateWords(excerpt, 80);
  if (!title) return { problem: `the item ${key.slice(0, 200)} has neither a title nor text and is left out` };
  const source: PostSource = { kind: 'feed', feedUrl: feed.source.url, feedName: feed.source.name };
  const post = inertPost({
    title: title.slice(0, 300),
    date: parseDate(raw.date),
    author: (firstNonEmpty(raw.authors.map(plainLine)) ?? plainLine(feed.title ?? '')) || feed.source.name,
    categories: uniqueIgnoringCase(raw.categories.map((c) => plainLine(c).slice(0, 60))),
    tags: [],
    excerpt,
    url,
    draft: false,
    file: `feed: ${feed.source.name}`,
    source,
    ...imageOf(raw, cleaned, base),
  });
  return { item: { key: key.slice(0, 2000), slugBase: slugBase(title, url), post } };
}

/** The feed's image (media:content, an image enclosure) with its description, else the first image in the content with its alt. */
function imageOf(raw: RawItem, cleaned: string, base: string): { image?: { src: string; alt: string | undefined } } {
  const declared = resolveUrl(raw.image?.url, base);
  if (declared && isWebUrl(declared)) return { image: { src: declared, alt: raw.image?.alt ? plainLine(raw.image.alt) || undefined : altInContent(cleaned, declared) } };
  const first = /<img\b[^>]*>/i.exec(cleaned)?.[0];
  const src = first && attribute(first, 'src');
  return src ? { image: { src, alt: attribute(first, 'alt') || undefined } } : {};
}

function altInContent(cleaned: string, src: string): string | undefined {
  for (const tag of cleaned.match(/<img\b[^>]*>/gi) ?? []) if (attribute(tag, 'src') === src) return attribute(tag, 'alt') || undefined;
  return undefined;
}

/** An attribute of a tag sanitize-html wrote (always double-quoted, entities escaped). */
function attribute(tag: string, name: string): string | undefined {
  const value = new RegExp(`\\s${name}="([^"]*)"`, 'i').exec(tag)?.[1];
  return value === undefined ? undefined : plainLine(value);
}

/** Plain text of the first paragraph with words in it, else of the whole content. */
function firstParagraph(html: string): string {
  for (const match of html.matchAll(/<p\b[^>]*>([\s\S]*?)<\/p>/gi)) {
    const text = plainText(match[1] ?? '');
    if (text) return text;
  }
  return plainText(html);
}

/** Inline tags join words ("<a>link</a>." stays "link."); block tags separate them. */
const INLINE_TAG = /<\/?(a|abbr|b|code|em|i|mark|s|small|span|strong|sub|sup|u)\b[^<>]*>/gi;

function plainText(html: string): string {
  return plainLine(html.replace(INLINE_TAG, ''));
}

function parseDate(value: string | undefined): Date | null {
  if (!value) return null;
  const date = new Date(value.trim());
  return Number.isNaN(date.getTime()) ? null : date;
}

function slugBase(title: string, url: string): string {
  const lastSegment = new URL(url).pathname.split('/').filter(Boolean).pop() ?? '';
  return slugify(title) || slugify(lastSegment.replace(/%[0-9a-f]{2}/gi, '-')) || 'feed-item';
}

function firstNonEmpty(values: string[]): string | undefined {
  return values.find((value) => value.length > 0);
}
