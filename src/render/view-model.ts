import type { Post } from '../posts/post.js';
import { newestFirst } from '../select.js';
import { plainLine, truncateWords } from '../text.js';
import { formatLongDate, formatShortDate } from '../time.js';
import { personalTokens } from './personal.js';

/**
 * Stage 3: the plain data the templates see. Everything here is text (templates escape it); the
 * personal fields are tokens filled in per subscriber after rendering.
 */
export interface EditionInfo {
  number: number;
  cadence: Cadence;
  date: Date;
}

export type Cadence = 'daily' | 'weekly' | 'monthly';
export const CADENCES: readonly Cadence[] = ['daily', 'weekly', 'monthly'];
export const CADENCE_LABEL: Record<Cadence, string> = { daily: 'Daily', weekly: 'Weekly', monthly: 'Monthly' };

export interface Publication {
  name: string;
  siteUrl: string;
  publicUrl: string;
  timezone: string;
  sender: { name: string; email: string; postalAddress: string };
}

/** What an inbox line shows before cutting (RFC 5322's recommended line length): subjects fit it. */
export const SUBJECT_LENGTH = 78;

export function buildViewModel(edition: EditionInfo, posts: Post[], publication: Publication) {
  const groups = groupByTopic(posts);
  const ordered = groups.flatMap((group) => group.posts);
  const first = ordered[0];
  const subject = subjectFor(edition, ordered);
  const tokens = personalTokens();
  return {
    publication: { name: publication.name, siteUrl: publication.siteUrl },
    edition: {
      number: edition.number,
      cadence: edition.cadence,
      cadenceLabel: CADENCE_LABEL[edition.cadence],
      dateLabel: formatLongDate(edition.date, publication.timezone),
      subject,
      preheader: first ? truncateWords(first.excerpt, 140) : '',
      intro: introFor(ordered.length, edition.cadence),
    },
    showToc: ordered.length > 2,
    toc: groups.map((group) => ({ category: group.category, posts: group.posts.map((p) => ({ title: p.title, anchor: anchorOf(p) })) })),
    posts: ordered.map((post) => toPostView(post, publication.timezone)),
    postCount: ordered.length,
    links: {
      viewInBrowser: new URL(`archive/${edition.number}`, publication.publicUrl).href,
      archive: new URL('archive', publication.publicUrl).href,
      unsubscribe: tokens.unsubscribeUrl,
      preferences: tokens.preferencesUrl,
    },
    sender: publication.sender,
    personal: { greeting: tokens.greeting, email: tokens.email },
  };
}

export type DigestView = ReturnType<typeof buildViewModel>;

function toPostView(post: Post, timezone: string) {
  return {
    title: post.title,
    url: post.url,
    anchor: anchorOf(post),
    author: post.author,
    dateIso: post.date.toISOString(),
    dateLabel: formatShortDate(post.date, timezone),
    categories: post.categories,
    tags: post.tags,
    excerpt: post.excerpt,
    image: post.image ? { src: post.image.src, alt: post.image.alt ?? '' } : null,
  };
}

function anchorOf(post: Post): string {
  return `post-${post.slug}`;
}

/**
 * "Weekly digest #3: First title and 4 more", cut at a word so the whole subject fits in the
 * 78 characters a phone's inbox line shows.
 */
export function subjectFor(edition: Pick<EditionInfo, 'number' | 'cadence'>, posts: Post[]): string {
  const head = `${CADENCE_LABEL[edition.cadence]} digest #${edition.number}`;
  const first = posts[0];
  if (!first) return head;
  const more = posts.length > 1 ? ` and ${posts.length - 1} more` : '';
  const room = Math.max(20, SUBJECT_LENGTH - head.length - 2 - more.length);
  return plainLine(`${head}: ${truncateWords(plainLine(first.title), room)}${more}`);
}

function introFor(count: number, cadence: Cadence): string {
  const period = { daily: 'yesterday', weekly: 'the last edition', monthly: 'last month' }[cadence];
  return count === 1 ? `One new post since ${period}.` : `${count} new posts since ${period}.`;
}

/**
 * Groups posts by the first category that tells them apart: a category every post shares (the
 * blog's section, say) says nothing in a table of contents. Groups are ordered by their newest post.
 */
function groupByTopic(posts: Post[]): { category: string; posts: Post[] }[] {
  const sorted = [...posts].sort(newestFirst);
  const shared = new Set(sorted[0]?.categories.filter((c) => sorted.every((p) => p.categories.includes(c))) ?? []);
  const groups = new Map<string, Post[]>();
  for (const post of sorted) {
    const category = post.categories.find((c) => !shared.has(c)) ?? post.categories[0] ?? 'Posts';
    groups.set(category, [...(groups.get(category) ?? []), post]);
  }
  return [...groups].map(([category, grouped]) => ({ category, posts: grouped }));
}
