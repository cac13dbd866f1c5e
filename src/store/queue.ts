import type { Subscriber } from './store.js';

/**
 * The ports of the ledger as a work queue: delivery rows claimed and fenced by worker, and the
 * workers' liveness. Both stores (SQLite, PostgreSQL) implement them and pass one contract suite.
 */
export const DELIVERY_STATES = ['pending', 'sending', 'awaiting', 'sent', 'deferred', 'failed', 'uncertain', 'skipped'] as const;
export type DeliveryState = (typeof DELIVERY_STATES)[number];

export interface Delivery {
  edition: number;
  subscriberId: number;
  email: string;
  state: DeliveryState;
  attempts: number;
  messageId: string | null;
  lastError: string | null;
  updatedAt: Date;
  /** For deferred: the earliest time a later run retries it. */
  retryAt?: Date | null;
  /** The worker that holds (or last held) the row. */
  workerId?: string | null;
  /** Resends after an uncertain attempt (at most one), and how that first attempt ended. */
  resends?: number;
  firstUncertain?: string | null;
}

export interface DeliveryOutcome {
  state: Extract<DeliveryState, 'sent' | 'deferred' | 'failed' | 'skipped' | 'uncertain'>;
  error?: string;
  /** For deferred: not to be retried before this time. */
  retryAt?: Date;
}

/**
 * One fenced write of a group commit (`recordBatch`), with the same rules and result as the
 * single-row method of its kind: markAwaiting (boolean), finish (boolean), recordUncertain.
 */
export type LedgerWrite =
  | { kind: 'awaiting'; subscriberId: number; messageId: string; at: Date }
  | { kind: 'finish'; subscriberId: number; outcome: DeliveryOutcome; at: Date }
  | { kind: 'uncertain'; subscriberId: number; reason: string; resendAt: Date | undefined; at: Date };
export type LedgerWriteResult = boolean | 'deferred' | 'uncertain' | undefined;

/** A delivery row a worker now owns (state sending), with its subscriber as read at claim time. */
export interface Claim {
  edition: number;
  subscriber: Subscriber;
  /** Claims of this row so far, this one included. */
  attempts: number;
}

/**
 * The ledger as the work queue. Rows are frozen when the edition is created; a worker claims a
 * batch (pending, or deferred and due) and owns it. Every later write of a claimed row is fenced:
 * it succeeds only while the row is still claimed by that worker, so a worker declared dead
 * (its claims handed to others) can no longer record anything for them.
 */
export interface DeliveryStore {
  /**
   * Claims up to `limit` open rows (of one edition, or of every open edition), oldest edition
   * first; within an edition pending rows by subscriber, then deferred rows whose retry time has
   * come, by that time. A row whose subscriber is no longer active is marked skipped instead and
   * not returned.
   */
  claimBatch(worker: string, options: { edition?: number; limit: number }, now: Date): Promise<Claim[]>;
  /** Claims these rows (pending, or deferred) for a retry; returns the subscriber ids claimed. */
  claim(worker: string, edition: number, subscriberIds: number[], now: Date): Promise<number[]>;
  /**
   * The last moment before the message is committed to the server: sending → awaiting, only while
   * the worker still owns the row and the subscriber is still active. False means do not send.
   */
  markAwaiting(worker: string, edition: number, subscriberId: number, messageId: string, now: Date): Promise<boolean>;
  /** Fenced: only from sending or awaiting, only by the owner. False when the write was refused. */
  finish(worker: string, edition: number, subscriberId: number, outcome: DeliveryOutcome, now: Date): Promise<boolean>;
  /**
   * An uncertain attempt (fenced like finish). With `resendAt` and no resend yet: deferred until
   * then (claimable again), to be resent once with the same Message-ID, and the reason kept as
   * `firstUncertain`. Otherwise it stays uncertain. Returns the state recorded, or undefined when
   * the write was refused because the worker no longer owns the row.
   */
  recordUncertain(worker: string, edition: number, subscriberId: number, reason: string, resendAt: Date | undefined, now: Date): Promise<'deferred' | 'uncertain' | undefined>;
  /**
   * Several writes of one worker's rows in ONE transaction (one commit), in order; each fenced on
   * its own exactly as its single-row method, so a write for a row another worker has taken
   * changes nothing and reports false (or undefined). Results are in the order of `writes`.
   */
  recordBatch(worker: string, edition: number, writes: LedgerWrite[]): Promise<LedgerWriteResult[]>;
  /** A run that stops early hands back what it claimed but never tried: sending → pending (fenced). */
  release(worker: string, edition: number, subscriberIds: number[], now: Date): Promise<number>;
  /**
   * Before a run: deliveries still to do for subscribers no longer active become skipped; with
   * `giveUp`, deferred ones become failed (the edition is older than the maximum retry age).
   */
  settleOpen(edition: number, now: Date, options: { giveUp: boolean }): Promise<{ skipped: number; gaveUp: number }>;
  /**
   * Deliveries by state. With `states`, only those are counted (the others read 0): counting the
   * rare states of an edition of millions reads only their rows, not the millions sent.
   */
  countDeliveries(edition: number, states?: readonly DeliveryState[]): Promise<Record<DeliveryState, number>>;
  /**
   * Deliveries in these states, by subscriber (or, with `soonestRetry`, earliest retry first),
   * at most `limit` of them: a report reads a few rows, never a whole list of millions.
   */
  listDeliveries(edition: number, states: DeliveryState[], options?: { limit?: number; soonestRetry?: boolean }): Promise<Delivery[]>;
}

export interface WorkerInfo {
  id: string;
  host: string;
  pid: number;
  /** Process start time, so a recycled pid is not mistaken for the worker. */
  processStart: string;
}

export interface WorkerStatus extends WorkerInfo {
  startedAt: Date;
  /** Seconds since the last heartbeat, by the database's clock. */
  heartbeatAgeSeconds: number;
  /** Rows it holds (sending or awaiting). */
  claimed: number;
}

export interface Recovered {
  /** Workers declared dead and removed. */
  workers: string[];
  /** Their sending rows, back to pending: nothing of them reached the server. */
  requeued: number;
  /** Their awaiting rows left uncertain: the message may have been accepted (already resent once, or no resend by policy). */
  uncertain: number;
  /** Their awaiting rows put up for the one resend with the same Message-ID (deferred, due at `resendAt`). */
  resent: number;
}

/** Liveness of the processes that deliver, judged by the database's clock. */
export interface WorkerStore {
  /** Registers (or re-registers) a worker with a fresh heartbeat. */
  registerWorker(worker: WorkerInfo): Promise<void>;
  /** False when the worker's row is gone: it was declared dead, and its claims are no longer its own. */
  heartbeatWorker(id: string): Promise<boolean>;
  /** Hands its unsent claims back (sending → pending) and removes the worker. */
  deregisterWorker(id: string, now: Date): Promise<number>;
  listWorkers(): Promise<WorkerStatus[]>;
  /**
   * Workers whose heartbeat is older than `deadAfterSeconds` (database clock), and those named in
   * `known` (seen gone by their own host), are dead: removed, their sending rows back to pending,
   * their awaiting rows uncertain. Rows held by no registered worker are treated the same way.
   * With `resendAt` (UNCERTAIN_RESEND=once) an awaiting row not resent yet is handled as an
   * uncertain attempt is in a run (`recordUncertain`): deferred until then, `resends` 1, the
   * reason kept as `firstUncertain`, claimable again by anyone; one already resent stays uncertain.
   */
  recoverDeadWorkers(deadAfterSeconds: number, known: string[], now: Date, resendAt?: Date): Promise<Recovered>;
  /** Calls `wake` when new work may be there (PostgreSQL: LISTEN/NOTIFY); resolves to an unsubscribe. */
  watchWork(wake: () => void): Promise<() => Promise<void>>;
}
