import type { Post } from '../posts/post.js';
import type { EditorNote } from './note.js';
import { renderDigest } from '../render/render-digest.js';
import type { CompiledTemplates } from '../render/templates.js';
import { buildViewModel, type Cadence, type Publication } from '../render/view-model.js';
import type { Edition, EditionStore } from '../store/store.js';
import { chooseSegment } from './segments.js';

/**
 * Stages 3–6 for the whole edition: view model → Handlebars → MJML → HTML and text. Rendering
 * happens before anything is written, so a template error leaves no half-made edition; then the
 * edition and its posts are recorded in one transaction, and its all-topics segment kept.
 */
export interface CreateEditionInput {
  cadence: Cadence;
  posts: Post[];
  baseline: Post[];
  now: Date;
  tickKey: string | null;
  /** The editor's note to carry, if any; recorded in the post ledger with the edition. */
  note?: EditorNote | undefined;
}

export async function createEdition(
  deps: { store: EditionStore; templates: CompiledTemplates; publication: Publication; ready?: Promise<void> | undefined },
  input: CreateEditionInput,
): Promise<Edition | undefined> {
  const number = await deps.store.nextEditionNumber();
  const note = input.note ?? null;
  const view = buildViewModel({ number, cadence: input.cadence, date: input.now, note }, input.posts, deps.publication);
  const rendered = await renderDigest(deps.templates, view);
  // What ran alongside the render (the SMTP connection) must have succeeded before anything is recorded.
  await deps.ready;
  const edition = await deps.store.createEdition({
    number,
    cadence: input.cadence,
    createdAt: input.now,
    tickKey: input.tickKey,
    subject: rendered.subject,
    posts: input.posts,
    html: rendered.html,
    text: rendered.text,
    baselineSlugs: input.baseline.map((post) => post.slug),
    note,
  });
  // The all-topics rendering is also the segment of every reader without topics: keep it as
  // such, so the delivery that follows does not render the same digest a second time.
  const allTopics = edition && chooseSegment(edition, { categories: [] });
  if (edition && allTopics) {
    await deps.store.saveSegment(edition.number, { key: allTopics.key, slugs: edition.posts.map((p) => p.slug), subject: rendered.subject, html: rendered.html, text: rendered.text });
  }
  return edition;
}
