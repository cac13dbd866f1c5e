import type { App } from '../app.js';
import { messageOf } from '../errors.js';
import type { Tally } from './deliver.js';
import { addTallies, pause, runDelivery, workerSessionFor } from './run.js';

/**
 * `digest worker` (and the delivery half of `digest start`): registers, heartbeats, takes back
 * what dead workers left, claims batches from every open edition and sends them with its own SMTP
 * pool, then waits for the next edition (a NOTIFY on PostgreSQL, else WORKER_POLL_SECONDS). When
 * the signal aborts it stops claiming, lets the messages on the wire finish, hands its unsent
 * claims back and deregisters.
 */
export interface WorkerSummary {
  tally: Tally;
  editions: number[];
}

export async function runWorker(app: App, signal: AbortSignal): Promise<WorkerSummary> {
  const session = await workerSessionFor(app);
  let wakeUp: (() => void) | undefined;
  let pending = false;
  const unwatch = await app.store.watchWork(() => {
    pending = true;
    wakeUp?.();
  });
  let tally: Tally = { sent: 0, deferred: 0, failed: 0, skipped: 0, uncertain: 0 };
  const editions = new Set<number>();
  app.logger.info('worker.started', { worker: session.id(), pollSeconds: app.config.workerPollSeconds, batch: app.config.claimBatchSize });
  try {
    while (!signal.aborted) {
      pending = false;
      let claimed = 0;
      try {
        if (session.lost()) await session.renew();
        await session.recoverDead();
        for (const edition of await app.store.listOpenEditions()) {
          if (signal.aborted) break;
          const result = await runDelivery(app, edition, { signal, session });
          claimed += result.tally.claimed ?? 0;
          if (result.tally.claimed) editions.add(edition.number);
          tally = addTallies(tally, result.tally);
        }
      } catch (error) {
        // A lost database connection or SMTP outage: said once per pass, tried again after the poll.
        app.logger.error('worker.error', { worker: session.id(), error: messageOf(error) });
      }
      if (claimed === 0 && !pending) await idle(app.config.workerPollSeconds * 1000, signal, (wake) => (wakeUp = wake));
    }
  } finally {
    await unwatch().catch(() => undefined);
    await session.stop();
    app.logger.info('worker.stopped', { ...tally, editions: [...editions] });
  }
  return { tally, editions: [...editions] };
}

/** Waits for the poll interval, a notification, or the stop signal, whichever comes first. */
function idle(ms: number, signal: AbortSignal, onWake: (wake: () => void) => void): Promise<void> {
  const controller = new AbortController();
  const stop = () => controller.abort();
  signal.addEventListener('abort', stop, { once: true });
  onWake(stop);
  return pause(ms, controller.signal).finally(() => signal.removeEventListener('abort', stop));
}
