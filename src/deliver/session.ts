import type { Logger } from '../logger.js';
import type { Recovered, Store } from '../store/store.js';
import { isGoneHere, newWorkerInfo } from './liveness.js';

/**
 * A process taking part in delivery: registered in the workers table, heartbeating every
 * WORKER_HEARTBEAT_SECONDS, and declaring others dead. When a heartbeat finds its own row gone
 * (it was paused past the dead-after limit and its claims were handed on), the session marks the
 * identity lost; the owner starts the next batch under a new one (`renew`), while every late
 * write of the old identity is refused by the store.
 */
export interface WorkerSession {
  /** The current identity; claims made under it are fenced by it. */
  id(): string;
  /** True once the heartbeat found this identity declared dead. */
  lost(): boolean;
  /** Registers a fresh identity after `lost`. */
  renew(): Promise<void>;
  /** Declares dead the silent workers (and gone processes of this host) and takes their rows back (awaiting ones resent once by policy). */
  recoverDead(): Promise<Recovered>;
  /** Stops heartbeating, hands unsent claims back and deregisters. */
  stop(): Promise<void>;
}

export interface SessionOptions {
  store: Store;
  logger: Logger;
  now: () => Date;
  heartbeatSeconds: number;
  deadAfterSeconds: number;
  /** UNCERTAIN_RESEND=once: a dead worker's awaiting rows get their one resend, due at once. */
  uncertainResend?: boolean;
}

export async function startWorkerSession(options: SessionOptions): Promise<WorkerSession> {
  const { store, logger } = options;
  let info = newWorkerInfo();
  let lost = false;
  await store.registerWorker(info);
  logger.info('worker.registered', { worker: info.id });
  const beat = async () => {
    if (lost) return;
    const alive = await store.heartbeatWorker(info.id).catch((error: unknown) => {
      logger.warn('worker.heartbeat-failed', { worker: info.id, error: String(error) });
      return true; // a failed heartbeat is not proof of death; the database judges that
    });
    if (!alive) {
      lost = true;
      logger.warn('worker.declared-dead', { worker: info.id, reason: 'its heartbeat was older than WORKER_DEAD_AFTER_SECONDS; its claims were taken back and its late writes are refused' });
    }
  };
  const timer = setInterval(() => void beat(), options.heartbeatSeconds * 1000);
  timer.unref();
  return {
    id: () => info.id,
    lost: () => lost,
    async renew() {
      info = newWorkerInfo();
      await store.registerWorker(info);
      lost = false;
      logger.info('worker.registered', { worker: info.id, renewed: true });
    },
    async recoverDead() {
      const others = (await store.listWorkers()).filter((w) => w.id !== info.id && isGoneHere(w)).map((w) => w.id);
      const now = options.now();
      // The dead worker waited out WORKER_DEAD_AFTER_SECONDS already: no further backoff before the resend.
      const recovered = await store.recoverDeadWorkers(options.deadAfterSeconds, others, now, options.uncertainResend ? now : undefined);
      if (recovered.workers.length + recovered.requeued + recovered.uncertain + recovered.resent > 0) logger.warn('worker.recovered', { ...recovered });
      return recovered;
    },
    async stop() {
      clearInterval(timer);
      if (lost) return;
      const released = await store.deregisterWorker(info.id, options.now());
      logger.info('worker.deregistered', { worker: info.id, released });
    },
  };
}
