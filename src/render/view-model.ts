import type { EditorNote } from '../edition/note.js';
import type { Post } from '../posts/post.js';
import { newestFirst } from '../select.js';
import { truncateWords } from '../text.js';
import { formatLongDate, formatShortDate } from '../time.js';
import { personalTokens } from './personal.js';
import { renderSubject, SUBJECT_LENGTH } from './subject.js';

/**
 * Stage 3: the plain data the templates see. Everything here is text (templates escape it); the
 * personal fields are tokens filled in per subscriber after rendering. Posts from any source
 * (Markdown files, feeds) arrive as `Post` objects; nothing here depends on where they came from.
 */
export interface EditionInfo {
  number: number;
  cadence: Cadence;
  date: Date;
  /** The editor's note for this edition, shown above the posts (once per cadence). */
  note?: Pick<EditorNote, 'html' | 'text'> | null;
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
  /** DIGEST_SUBJECT: a Handlebars template for the subject; unset = the built-in default. */
  subjectTemplate?: string | undefined;
}

export { SUBJECT_LENGTH };

export function buildViewModel(edition: EditionInfo, posts: Post[], publication: Publication) {
  const { groups, shared } = groupByTopic(posts);
  const ordered = groups.flatMap((group) => group.posts);
  const lead = ordered[0];
  const archiveUrl = new URL(`archive/${edition.number}`, publication.publicUrl).href;
  const dateLabel = formatLongDate(edition.date, publication.timezone);
  const cadenceLabel = CADENCE_LABEL[edition.cadence];
  const tokens = personalTokens();
  const cardOf = (post: Post, group: string) => toPostView(post, { group, shared, timezone: publication.timezone, archiveUrl, lead: post === lead });
  const subject = renderSubject(publication.subjectTemplate, {
    publication: { name: publication.name },
    edition: { number: edition.number, cadence: edition.cadence, cadenceLabel, dateLabel },
    lead: lead ? { title: lead.title, author: lead.author } : null,
    postCount: ordered.length,
    moreCount: Math.max(0, ordered.length - 1),
    topics: groups.map((g) => g.category),
  });
  const topics = groups.map((group) => ({ category: group.category, anchor: topicAnchor(group.category), posts: group.posts.map((p) => cardOf(p, group.category)) }));
  return {
    publication: { name: publication.name, siteUrl: publication.siteUrl },
    edition: {
      number: edition.number,
      cadence: edition.cadence,
      cadenceLabel,
      dateLabel,
      subject,
      preheader: lead ? truncateWords(`${introFor(ordered.length, edition.cadence)} ${lead.title}: ${lead.excerpt}`, 140) : '',
      intro: introFor(ordered.length, edition.cadence),
      note: edition.note ? { html: edition.note.html, text: edition.note.text } : null,
    },
    showToc: ordered.length > 2,
    /** The contents: topic headings with their posts, linking to the archive copy's anchors (in-page anchors fail in many phone apps). */
    toc: topics.map((t) => ({ category: t.category, href: `${archiveUrl}#${t.anchor}`, posts: t.posts.map((p) => ({ title: p.title, anchor: p.anchor, href: p.archiveHref })) })),
    /** The cards, grouped under the same topic headings in the same order as the contents. */
    topics,
    posts: topics.flatMap((t) => t.posts),
    postCount: ordered.length,
    links: {
      viewInBrowser: archiveUrl,
      archive: new URL('archive', publication.publicUrl).href,
      unsubscribe: tokens.unsubscribeUrl,
      preferences: tokens.preferencesUrl,
    },
    sender: publication.sender,
    personal: { greeting: tokens.greeting, email: tokens.email },
  };
}

export type DigestView = ReturnType<typeof buildViewModel>;

interface CardContext {
  group: string;
  shared: Set<string>;
  timezone: string;
  archiveUrl: string;
  lead: boolean;
}

function toPostView(post: Post, card: CardContext) {
  const anchor = anchorOf(post);
  return {
    title: post.title,
    url: post.url,
    anchor,
    archiveHref: `${card.archiveUrl}#${anchor}`,
    author: post.author,
    dateIso: post.date.toISOString(),
    dateLabel: formatShortDate(post.date, card.timezone),
    categories: post.categories,
    /** Categories worth printing on the card: not the heading it sits under, not one every post carries. */
    otherTopics: post.categories.filter((c) => c !== card.group && !card.shared.has(c)),
    tags: post.tags,
    excerpt: post.excerpt,
    lead: card.lead,
    image: post.image ? { src: post.image.src, alt: post.image.alt ?? '' } : null,
  };
}

function anchorOf(post: Post): string {
  return `post-${post.slug}`;
}

function topicAnchor(category: string): string {
  return `topic-${category.normalize('NFKD').replace(/[^\w]+/g, '-').replace(/^-+|-+$/g, '').toLowerCase() || 'posts'}`;
}

function introFor(count: number, cadence: Cadence): string {
  const period = { daily: 'yesterday', weekly: 'the last edition', monthly: 'last month' }[cadence];
  return count === 1 ? `One new post since ${period}.` : `${count} new posts since ${period}.`;
}

/**
 * Groups posts by the first category that tells them apart: a category every post shares (the
 * blog's section, say) says nothing in a table of contents, nor on a card. Groups are ordered by
 * their newest post, so the first post of the first group is the newest: the lead story.
 */
function groupByTopic(posts: Post[]): { groups: { category: string; posts: Post[] }[]; shared: Set<string> } {
  const sorted = [...posts].sort(newestFirst);
  const shared = new Set(sorted[0]?.categories.filter((c) => sorted.every((p) => p.categories.includes(c))) ?? []);
  const groups = new Map<string, Post[]>();
  for (const post of sorted) {
    const category = post.categories.find((c) => !shared.has(c)) ?? post.categories[0] ?? 'Posts';
    groups.set(category, [...(groups.get(category) ?? []), post]);
  }
  return { groups: [...groups].map(([category, grouped]) => ({ category, posts: grouped })), shared };
}
