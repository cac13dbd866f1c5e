import type { App } from '../app.js';
import { segmentCache } from '../edition/segments.js';
import type { Delivery, DeliveryState, Edition, Recovered } from '../store/store.js';
import { deliverEdition, type Tally } from './deliver.js';
import { policyFromConfig, type RetryPolicy } from './policy.js';
import { createProgress } from './progress.js';
import { startWorkerSession, type WorkerSession } from './session.js';

/**
 * One delivery run over an edition, from the ledger's point of view: take back what dead workers
 * left (sending → pending, awaiting → resent once or uncertain), settle rows that can no longer be sent
 * (subscriber gone, retry age exceeded), deliver claimed batches alongside any other workers,
 * then complete the edition if no row is left open (the store lets only one caller do that).
 */
export interface DeliveryTuning {
  policy?: Partial<RetryPolicy>;
  sleep?: (ms: number) => Promise<void>;
  random?: () => number;
}

export interface DeliveryRunOptions {
  signal?: AbortSignal | undefined;
  /** Draw a progress bar when stderr is a terminal (the CLI); otherwise log lines. */
  progress?: boolean | undefined;
  tuning?: DeliveryTuning | undefined;
  /** The worker session to deliver as (`digest worker`); without one, the run registers its own. */
  session?: WorkerSession | undefined;
  /** Wait for rows other workers hold until the edition has none open (`digest send`). */
  waitForOthers?: boolean | undefined;
}

export interface DeliveryRunResult {
  tally: Tally;
  recovered: { requeued: number; uncertain: number };
  complete: boolean;
  /** Deliveries left uncertain (possibly received; resent once already, or not by policy), up to 100. */
  uncertain: Delivery[];
  /** Deliveries of the edition left deferred, and the earliest time a later run retries one. */
  deferred: { count: number; earliestRetry: Date | null };
  /** The edition's rows by state after the run, whichever worker did them. */
  totals: Record<DeliveryState, number>;
}

/** How often a run waiting for other workers' rows looks again. */
const WAIT_MS = 250;

export function workerSessionFor(app: App): Promise<WorkerSession> {
  return startWorkerSession({
    store: app.store,
    logger: app.logger,
    now: app.now,
    heartbeatSeconds: app.config.workerHeartbeatSeconds,
    deadAfterSeconds: app.config.workerDeadAfterSeconds,
    uncertainResend: app.config.uncertainResend === 'once',
  });
}

export async function runDelivery(app: App, edition: Edition, options: DeliveryRunOptions): Promise<DeliveryRunResult> {
  const own = options.session ? undefined : await workerSessionFor(app);
  const session = (options.session ?? own) as WorkerSession;
  try {
    const recovered = pick(await session.recoverDead());
    const tally = await deliverUntilDone(app, edition, session, options, recovered);
    const counts = await app.store.countDeliveries(edition.number);
    const complete = counts.pending + counts.sending + counts.awaiting + counts.deferred === 0;
    app.metrics.queueDepth(counts.pending + counts.sending + counts.awaiting + counts.deferred);
    if (complete && (await app.store.completeEdition(edition.number, app.now()))) app.logger.info('edition.completed', { edition: edition.number, worker: session.id() });
    const uncertain = counts.uncertain > 0 ? await app.store.listDeliveries(edition.number, ['uncertain'], { limit: 100 }) : [];
    const [soonest] = counts.deferred > 0 ? await app.store.listDeliveries(edition.number, ['deferred'], { limit: 1, soonestRetry: true }) : [];
    const deferred = { count: counts.deferred, earliestRetry: soonest?.retryAt ?? null };
    // A worker's pass over an edition it found nothing to claim in is not worth a line.
    if (!options.session || tally.claimed) app.logger.info('edition.delivered', { edition: edition.number, ...tally, complete });
    return { tally, recovered, complete, uncertain, deferred, totals: counts };
  } finally {
    await own?.stop();
  }
}

async function deliverUntilDone(app: App, edition: Edition, session: WorkerSession, options: DeliveryRunOptions, recovered: { requeued: number; uncertain: number }): Promise<Tally> {
  const now = app.now();
  const policy = { ...policyFromConfig(app.config), ...options.tuning?.policy };
  const settled = await app.store.settleOpen(edition.number, now, { giveUp: now.getTime() - edition.createdAt.getTime() > policy.maxAgeMs });
  if (settled.gaveUp + settled.skipped > 0) app.logger.warn('edition.settled', { edition: edition.number, ...settled });
  const templates = await app.templates();
  const segments = segmentCache({ store: app.store, templates, publication: app.publication, sender: app.sender }, edition);
  const open = await app.store.countDeliveries(edition.number);
  app.metrics.queueDepth(open.pending + open.sending + open.awaiting + open.deferred);
  const progress = createProgress({ total: open.pending + open.deferred, logger: app.logger, tty: options.progress && process.stderr.isTTY ? process.stderr : undefined });
  let tally: Tally = { sent: 0, deferred: 0, failed: 0, skipped: 0, uncertain: 0 };
  for (;;) {
    if (session.lost()) await session.renew();
    const base = tally;
    const run = await deliverEdition(
      {
        store: app.store,
        worker: session.id(),
        transport: app.transport,
        now: app.now,
        logger: app.logger,
        signer: app.signer,
        publicUrl: app.config.publicUrl,
        sender: app.sender,
        segments,
        signal: options.signal,
        policy,
        batchSize: app.config.claimBatchSize,
        onProgress: (t) => progress.update(addTallies(base, t)),
        metrics: app.metrics,
        ...(options.tuning?.sleep ? { sleep: options.tuning.sleep } : {}),
        ...(options.tuning?.random ? { random: options.tuning.random } : {}),
      },
      edition,
    );
    tally = addTallies(tally, run);
    if (run.stopped || options.signal?.aborted || !options.waitForOthers) break;
    const counts = await app.store.countDeliveries(edition.number);
    if (counts.pending + counts.sending + counts.awaiting === 0) break;
    // Rows held by other workers: wait for them, or for them to be declared dead and handed back.
    if (counts.pending === 0 || !run.claimed) await pause(WAIT_MS, options.signal);
    const more = await session.recoverDead();
    recovered.requeued += more.requeued;
    recovered.uncertain += more.uncertain;
  }
  progress.finish(tally);
  return tally;
}

function pick(recovered: Recovered): { requeued: number; uncertain: number } {
  return { requeued: recovered.requeued, uncertain: recovered.uncertain };
}

export function addTallies(a: Tally, b: Tally): Tally {
  const sum = (x?: number, y?: number) => (x ?? 0) + (y ?? 0) || undefined;
  const total: Tally = { sent: a.sent + b.sent, deferred: a.deferred + b.deferred, failed: a.failed + b.failed, skipped: a.skipped + b.skipped, uncertain: a.uncertain + b.uncertain };
  const optional = { leftPending: sum(a.leftPending, b.leftPending), refused: sum(a.refused, b.refused), claimed: sum(a.claimed, b.claimed), stopped: b.stopped ?? a.stopped };
  for (const [key, value] of Object.entries(optional)) if (value !== undefined) (total as unknown as Record<string, unknown>)[key] = value;
  return total;
}

/** Resolves after `ms`, or at once when the signal aborts. */
export function pause(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    }
    signal?.addEventListener('abort', done, { once: true });
  });
}
