import type { App } from './app.js';
import { messageOf } from './errors.js';
import { createEdition } from './edition/create-edition.js';
import type { Tally } from './deliver/deliver.js';
import { runDelivery, type DeliveryTuning } from './deliver/run.js';
import { NOTE_FILE, pendingNote, readNote, type EditorNote } from './edition/note.js';
import { newFeeds } from './feeds/collect.js';
import { gatherPosts } from './feeds/gather.js';
import type { FeedReport } from './feeds/refresh.js';
import type { ContentProblem, Post } from './posts/post.js';
import type { Cadence } from './render/view-model.js';
import { selectNew, type Selection } from './select.js';
import type { Delivery, DeliveryState, Edition } from './store/store.js';

/**
 * One send, stage by stage:
 *   1. collect posts            posts/collect.ts, and feed items   feeds/gather.ts (fetch → store → posts)
 *   2. select what is new        select.ts
 *   3. build the view model      render/view-model.ts
 *   4. Handlebars → MJML         render/templates.ts, render/render-digest.ts
 *   5. MJML → HTML + plain text  render/render-digest.ts
 *   6. record the edition and freeze its recipients     edition/create-edition.ts
 *   7. personalise per subscriber (token substitution)  mail/message.ts
 *   8. deliver and record each delivery                 deliver/run.ts → deliver.ts → attempt.ts, outcomes.ts
 * Stages 1–6 (prepare) happen once per edition, under the store's prepare lock; stage 7–8 (deliver)
 * is done by this process alongside any `digest worker`s, each claiming rows of the ledger.
 * An unfinished edition is delivered first, with the content it was created with.
 *      (with BOUNCE_ADDRESS, each from its own signed VERP envelope sender: bounces/verp.ts)
 * After the send, bounces and complaints come back (bounces/: listener, mailbox, webhooks) and
 * mark readers bounced or unsubscribed, so stage 8 of the next edition skips them.
 */
export interface SendOptions {
  cadence: Cadence;
  /** The scheduled time of a cron tick: at most one edition per key. */
  tickKey?: string;
  /** Aborted on shutdown: delivery stops taking recipients; claimed-but-unsent ones go back to pending. */
  signal?: AbortSignal;
  /** Only finish an unfinished edition; never start a new one (the scheduler's resume on start). */
  resumeOnly?: boolean;
  /** A progress bar on stderr when it is a terminal (the CLI); otherwise periodic log lines. */
  progress?: boolean;
  /** Retry policy overrides, sleep and jitter: for tests. */
  tuning?: DeliveryTuning;
}

export interface SendReport {
  edition: Edition | undefined;
  resumed: boolean;
  problems: ContentProblem[];
  selection: Selection | undefined;
  /** One per configured feed, fetched before this run (empty when resuming or without feeds). */
  feeds: FeedReport[];
  tally: Tally;
  recovered: { requeued: number; uncertain: number };
  /** True when every recipient of the edition has a final state. */
  complete: boolean;
  /** Deliveries of the edition marked uncertain (may have been received; never resent automatically). */
  uncertain?: Delivery[];
  /** Deliveries of the edition still deferred, and the earliest time a later run retries one. */
  deferred?: { count: number; earliestRetry: Date | null };
  /** The edition's rows by state, whichever worker did them (other `digest worker`s may share the edition). */
  totals?: Record<DeliveryState, number>;
}

const EMPTY_TALLY: Tally = { sent: 0, deferred: 0, failed: 0, skipped: 0, uncertain: 0 };

export async function runSend(app: App, options: SendOptions): Promise<SendReport> {
  // Connecting (and loading the DKIM key) overlaps stages 1–5; prepareEdition waits for it before
  // recording an edition, so a refused login or a bad key still leaves no edition behind.
  const verified = app.transport.verify();
  verified.catch(() => undefined); // awaited below; not unhandled while preparing
  const prepared = await prepareEdition(app, { ...options, ready: verified }).catch(async (error: unknown) => {
    await verified; // when both fail, the transport's error is the one reported, as before
    throw error;
  });
  await verified;
  if (!prepared.edition) return { ...prepared, edition: undefined, tally: EMPTY_TALLY, recovered: { requeued: 0, uncertain: 0 }, complete: true };
  const { edition, ...context } = prepared;
  const result = await runDelivery(app, edition, { signal: options.signal, progress: options.progress, tuning: options.tuning, waitForOthers: true });
  if (context.resumed) app.logger.info('edition.resumed', { edition: edition.number, ...result.recovered });
  return { edition, ...context, ...result };
}

type Prepared = Pick<SendReport, 'resumed' | 'problems' | 'selection' | 'feeds'> & { edition: Edition | undefined };

/**
 * The open edition of the cadence, or a new one if there is something new: stages 1–6, once,
 * under the prepare lock, so two schedulers or senders never make two editions of one tick.
 * `ready` (the transport's verify, in runSend) must succeed before an edition is recorded.
 */
export async function prepareEdition(app: App, options: Pick<SendOptions, 'cadence' | 'tickKey' | 'signal' | 'resumeOnly'> & { ready?: Promise<void> }): Promise<Prepared> {
  const nothing: Prepared = { edition: undefined, resumed: false, problems: [], selection: undefined, feeds: [] };
  const open = await app.store.openEdition(options.cadence);
  if (open) return { ...nothing, edition: open, resumed: true };
  if (options.resumeOnly || options.signal?.aborted) return nothing;
  return app.store.withPrepareLock(async (): Promise<Prepared> => {
    // Looked at again under the lock: another process may have just made it.
    const made = (await app.store.openEdition(options.cadence)) ?? (options.tickKey ? await app.store.findEditionByTick(options.cadence, options.tickKey) : undefined);
    if (made) return made.status === 'sending' ? { ...nothing, edition: made, resumed: true } : nothing;
    const { problems, selection, feeds, note } = await planEdition(app, options.cadence);
    // SQLite has no prepare lock: another process may have made the edition since the look above.
    // Then this one finds nothing new (the other recorded the posts) or loses the race to record
    // it; either way it delivers the edition the other made.
    const madeMeanwhile = async (): Promise<Prepared> => {
      const other = await app.store.openEdition(options.cadence);
      return other ? { ...nothing, edition: other, resumed: true } : { ...nothing, problems, selection, feeds };
    };
    if (selection.included.length === 0) return madeMeanwhile();
    const templates = await app.templates();
    const edition = await createEdition(
      { store: app.store, templates, publication: app.publication, ready: options.ready },
      { cadence: options.cadence, posts: selection.included, baseline: selection.baseline, now: app.now(), tickKey: options.tickKey ?? null, note },
    );
    if (!edition) return madeMeanwhile();
    app.logger.info('edition.created', { edition: edition.number, cadence: edition.cadence, posts: edition.posts.length });
    return { edition, resumed: false, problems, selection, feeds };
  });
}

/**
 * Stages 1–2, without writing anything: also what `digest render`, the preview and test sends use
 * (edition/preview-message.ts). `note` is the editor's note, when this cadence has not carried it yet.
 */
export async function planEdition(
  app: App,
  cadence: Cadence,
): Promise<{ posts: Post[]; problems: ContentProblem[]; selection: Selection; feeds: FeedReport[]; note: EditorNote | undefined }> {
  const { posts, problems, feeds, feedReports } = await gatherPosts(app, { refresh: true });
  const written = await readNote(app.config.postsDir).catch((error: unknown) => {
    problems.push({ file: NOTE_FILE, line: 1, severity: 'error', message: messageOf(error).replace(`${NOTE_FILE} `, '') });
    return undefined;
  });
  for (const problem of problems.filter((p) => p.severity === 'error')) {
    app.logger.warn('post.invalid', { file: problem.file, line: problem.line, problem: problem.message });
  }
  const ledger = await app.store.postLedger(cadence);
  const selection = selectNew({
    posts,
    ledger,
    now: app.now(),
    maxPosts: app.config.maxPosts,
    isFirstEdition: !(await app.store.hasEditions(cadence)),
    newFeeds: newFeeds(feeds, ledger),
  });
  return { posts, problems, selection, feeds: feedReports, note: pendingNote(written, ledger) };
}
