import type { App } from '../app.js';
import { segmentCache } from '../edition/segments.js';
import type { Delivery, Edition } from '../store/store.js';
import { deliverEdition, type Tally } from './deliver.js';
import { policyFromConfig, type RetryPolicy } from './policy.js';
import { createProgress } from './progress.js';

/**
 * One delivery run over an edition, from the ledger's point of view: recover what a crash left
 * (sending → pending, awaiting → uncertain), settle rows that can no longer be sent (subscriber
 * gone, retry age exceeded), deliver, then judge whether the edition is complete.
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
}

export interface DeliveryRunResult {
  tally: Tally;
  recovered: { requeued: number; uncertain: number };
  complete: boolean;
  /** Deliveries marked uncertain (possibly received, never resent automatically), up to 100. */
  uncertain: Delivery[];  /** Deliveries of the edition left deferred, and the earliest time a later run retries one. */
  deferred: { count: number; earliestRetry: Date | null };
}

export async function runDelivery(app: App, edition: Edition, options: DeliveryRunOptions): Promise<DeliveryRunResult> {
  const now = app.now();
  const recovered = await app.store.recoverInterrupted(edition.number, now);
  const policy = { ...policyFromConfig(app.config), ...options.tuning?.policy };
  const settled = await app.store.settleOpen(edition.number, now, { giveUp: now.getTime() - edition.createdAt.getTime() > policy.maxAgeMs });
  if (settled.gaveUp + settled.skipped > 0) app.logger.warn('edition.settled', { edition: edition.number, ...settled });
  const templates = await app.templates();
  const segments = segmentCache({ store: app.store, templates, publication: app.publication, sender: app.sender }, edition);
  const total = await app.store.countRecipients(edition, now);
  app.metrics.queueDepth(total);
  const progress = createProgress({ total, logger: app.logger, tty: options.progress && process.stderr.isTTY ? process.stderr : undefined });
  const tally = await deliverEdition(
    {
      store: app.store,
      transport: app.transport,
      now: app.now,
      logger: app.logger,
      signer: app.signer,
      publicUrl: app.config.publicUrl,
      sender: app.sender,
      segments,
      signal: options.signal,
      policy,
      onProgress: (t) => progress.update(t),
      metrics: app.metrics,
      ...(options.tuning?.sleep ? { sleep: options.tuning.sleep } : {}),
      ...(options.tuning?.random ? { random: options.tuning.random } : {}),
    },
    edition,
  );
  progress.finish(tally);
  const counts = await app.store.countDeliveries(edition.number);
  const complete = counts.pending + counts.sending + counts.awaiting + counts.deferred === 0;
  app.metrics.queueDepth(counts.pending + counts.sending + counts.awaiting + counts.deferred);
  if (complete) await app.store.completeEdition(edition.number, app.now());
  const uncertain = counts.uncertain > 0 ? (await app.store.listDeliveries(edition.number, ['uncertain'])).slice(0, 100) : [];
  const deferred = { count: counts.deferred, earliestRetry: counts.deferred > 0 ? earliestRetry(await app.store.listDeliveries(edition.number, ['deferred'])) : null };
  app.logger.info('edition.delivered', { edition: edition.number, ...tally, complete });
  return { tally, recovered, complete, uncertain, deferred };
}

function earliestRetry(deliveries: Delivery[]): Date | null {
  const times = deliveries.flatMap((d) => (d.retryAt ? [d.retryAt.getTime()] : []));
  return times.length ? new Date(Math.min(...times)) : null;
}
