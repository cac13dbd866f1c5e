import type { App } from '../app.js';
import { joined } from '../mail/built-message.js';
import { compileMessage, personalize } from '../mail/message.js';
import { newMessageId } from '../mail/message-id.js';
import type { FeedReport } from '../feeds/refresh.js';
import { planEdition } from '../pipeline.js';
import type { ContentProblem, Post } from '../posts/post.js';
import { fillTokens, personalValuesFor } from '../render/personal.js';
import { renderDigest } from '../render/render-digest.js';
import { buildViewModel, type Cadence } from '../render/view-model.js';
import type { Selection } from '../select.js';
import { chooseSegment } from './segments.js';

/**
 * The message `digest send` would deliver right now to one subscriber, built by the same stages
 * and recording nothing: used by `digest render`, the editor preview and test sends.
 */
export interface PreviewInput {
  cadence: Cadence;
  /** A subscriber's address; unknown or absent means an all-topics sample reader. */
  email?: string | undefined;
  /** Preview as if subscribed to these topics instead. */
  categories?: string[];
  /**
   * A test send: the message goes to this address instead, its subject is prefixed "[TEST]" and its
   * personal links are signed for no subscriber (id 0), so clicking them changes nobody's status.
   */
  testRecipient?: string;
}

export interface PreviewMessage {
  number: number;
  recipient: string;
  subject: string;
  preheader: string;
  posts: Post[];
  html: string;
  text: string;
  eml: Buffer;
  messageId: string;
  warnings: string[];
  /** The editor's note this edition would carry (its Markdown), if any. */
  note: string | undefined;
}

export interface PreviewResult {
  message: PreviewMessage | undefined;
  selection: Selection;
  problems: ContentProblem[];
  /** Posts of the edition outside the previewed topics. */
  outsideTopics: Post[];
  /** One per configured feed, fetched for this preview. */
  feeds: FeedReport[];
}

export async function previewMessage(app: App, input: PreviewInput): Promise<PreviewResult> {
  const { selection, problems, feeds, note } = await planEdition(app, input.cadence);
  const subscriber = input.email ? await app.store.findSubscriber(input.email) : undefined;
  const reader = input.testRecipient
    ? { id: 0, email: input.testRecipient, name: subscriber?.name ?? '' }
    : { id: subscriber?.id ?? 0, email: subscriber?.email ?? input.email ?? 'reader@example.org', name: subscriber?.name ?? '' };
  // Previewing as a topic segment shows exactly those topics; as a subscriber, their stopped topics count too.
  const choice = chooseSegment(
    { posts: selection.included },
    input.categories ? { categories: input.categories } : { categories: subscriber?.categories ?? [], excludedCategories: subscriber?.excludedCategories ?? [] },
  );
  const outsideTopics = selection.included.filter((post) => !choice?.posts.includes(post));
  if (!choice) return { message: undefined, selection, problems, outsideTopics, feeds };
  const number = await app.store.nextEditionNumber();
  const view = buildViewModel({ number, cadence: input.cadence, date: app.now(), note: note ?? null }, choice.posts, app.publication);
  const digest = await renderDigest(await app.templates(), view);
  const rendered = input.testRecipient ? { ...digest, subject: `[TEST] ${digest.subject}` } : digest;
  const values = personalValuesFor(app.signer, app.config.publicUrl, reader);
  const messageId = newMessageId(app.sender.domain, `e${number}`, reader.id);
  const eml = joined(personalize(compileMessage(rendered, app.sender), { mailbox: { name: reader.name, address: reader.email }, values, messageId, date: app.now() }));
  const message: PreviewMessage = {
    number,
    recipient: reader.email,
    subject: rendered.subject,
    preheader: view.edition.preheader,
    posts: choice.posts,
    html: fillTokens(rendered.html, values, true),
    text: fillTokens(rendered.text, values, false),
    eml,
    messageId,
    warnings: rendered.warnings,
    note: note?.text,
  };
  return { message, selection, problems, outsideTopics, feeds };
}
