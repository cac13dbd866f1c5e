import { createHash } from 'node:crypto';
import type { Post } from '../posts/post.js';
import { compileMessage, type MessageTemplate, type SenderInfo } from '../mail/message.js';
import { renderDigest, type RenderedDigest } from '../render/render-digest.js';
import type { CompiledTemplates } from '../render/templates.js';
import { buildViewModel, type Publication } from '../render/view-model.js';
import type { Edition, EditionStore, Subscriber } from '../store/store.js';

/**
 * A segment is one distinct selection of an edition's posts (a subscriber's topics applied to
 * it). Each is rendered once, stored so a resumed run sends the very same content, and compiled
 * into a message template that is then personalised per subscriber.
 */
export interface SegmentChoice {
  key: string;
  posts: Post[];
}

/**
 * The edition's posts for this subscriber; undefined when none are. A post is in when (no chosen
 * topics, or it carries a chosen one) and it carries no stopped (excluded) topic.
 */
export function chooseSegment(
  edition: Pick<Edition, 'posts'>,
  subscriber: Pick<Subscriber, 'categories'> & Partial<Pick<Subscriber, 'excludedCategories'>>,
): SegmentChoice | undefined {
  const topics = new Set(subscriber.categories.map((c) => c.toLowerCase()));
  const stopped = new Set((subscriber.excludedCategories ?? []).map((c) => c.toLowerCase()));
  const posts = edition.posts.filter(
    (post) => (topics.size === 0 || post.categories.some((c) => topics.has(c.toLowerCase()))) && !post.categories.some((c) => stopped.has(c.toLowerCase())),
  );
  if (posts.length === 0) return undefined;
  const key = createHash('sha256').update(posts.map((post) => post.slug).join('\n')).digest('hex').slice(0, 16);
  return { key, posts };
}

export interface SegmentDeps {
  store: Pick<EditionStore, 'getSegment' | 'saveSegment'>;
  templates: CompiledTemplates;
  publication: Publication;
  sender: SenderInfo;
}

export function segmentCache(deps: SegmentDeps, edition: Edition) {
  const cache = new Map<string, Promise<MessageTemplate>>();
  const build = async (choice: SegmentChoice): Promise<MessageTemplate> => {
    const saved = await deps.store.getSegment(edition.number, choice.key);
    const rendered: RenderedDigest = saved
      ? { subject: saved.subject, html: saved.html, text: saved.text, warnings: [] }
      : await renderDigest(deps.templates, buildViewModel({ number: edition.number, cadence: edition.cadence, date: edition.createdAt, note: edition.note }, choice.posts, deps.publication));
    if (!saved) await deps.store.saveSegment(edition.number, { key: choice.key, slugs: choice.posts.map((p) => p.slug), ...rendered });
    return compileMessage(rendered, deps.sender);
  };
  // Many readers share one set of topics: the choice is made once per set.
  const choices = new Map<string, SegmentChoice | undefined>();
  return {
    /** chooseSegment, remembered for each distinct pair of topic lists. */
    choose(subscriber: Pick<Subscriber, 'categories'> & Partial<Pick<Subscriber, 'excludedCategories'>>): SegmentChoice | undefined {
      const key = JSON.stringify([subscriber.categories, subscriber.excludedCategories ?? []]);
      if (choices.has(key)) return choices.get(key);
      const choice = chooseSegment(edition, subscriber);
      if (choices.size < 10_000) choices.set(key, choice);
      return choice;
    },
    /** The compiled message for this selection, rendered at most once per run. */
    get(choice: SegmentChoice): Promise<MessageTemplate> {
      let template = cache.get(choice.key);
      if (!template) {
        template = build(choice);
        cache.set(choice.key, template);
      }
      return template;
    },
    size: () => cache.size,
  };
}
