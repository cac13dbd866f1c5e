import type { Post } from '../posts/post.js';
import type { Cadence } from '../render/view-model.js';
import type { TickStore } from './ticks.js';

/**
 * The store ports. Async on purpose, although SQLite answers synchronously: a PostgreSQL store for
 * several instances sharing one database must fit behind the same interfaces.
 */
export const SUBSCRIBER_STATUSES = ['pending', 'active', 'unsubscribed', 'bounced'] as const;
export type SubscriberStatus = (typeof SUBSCRIBER_STATUSES)[number];

export interface Subscriber {
  id: number;
  email: string;
  name: string;
  /** Chosen topics; empty means every topic. */
  categories: string[];
  /** Stopped topics: a post carrying any of these is never sent, whatever else it carries. */
  excludedCategories: string[];
  cadence: Cadence;
  status: SubscriberStatus;
  createdAt: Date;
  confirmedAt: Date | null;
}

export interface SubscriberInput {
  email: string;
  name?: string;
  categories?: string[];
  excludedCategories?: string[];
  cadence?: Cadence;
  status?: SubscriberStatus;
}

/** A sign-up's choices kept aside until its confirmation link is used. */
export type PendingChoices = Pick<SubscriberInput, 'name' | 'categories' | 'cadence'>;

export interface SubscriberFilter {
  status?: SubscriberStatus;
  category?: string;
}

export interface SubscriberStore {
  /** Inserts or updates by address, all rows in one transaction. */
  upsertSubscribers(rows: SubscriberInput[], now: Date): Promise<{ added: number; updated: number }>;
  findSubscriber(email: string): Promise<Subscriber | undefined>;
  getSubscriber(id: number): Promise<Subscriber | undefined>;
  /** Pages through the list in id order, so memory stays flat however long it is. */
  listSubscribers(filter?: SubscriberFilter): AsyncIterable<Subscriber>;
  /** Guarded: true only when the status actually changed. */
  setStatus(id: number, status: SubscriberStatus, now: Date): Promise<boolean>;
  updatePreferences(id: number, changes: Pick<SubscriberInput, 'name' | 'categories' | 'excludedCategories' | 'cadence'>): Promise<void>;
  /** Keeps a sign-up's choices aside (replacing earlier ones) until `confirmSubscriber`. */
  setPendingChoices(id: number, choices: PendingChoices): Promise<void>;
  /** Applies the pending choices (if any) and makes the subscriber active, in one transaction; true when the status changed. */
  confirmSubscriber(id: number, now: Date): Promise<boolean>;
  removeSubscriber(email: string): Promise<boolean>;
  countSubscribers(): Promise<Record<SubscriberStatus, number>>;
}

export type EditionStatus = 'sending' | 'complete';

export interface Segment {
  key: string;
  slugs: string[];
  subject: string;
  html: string;
  text: string;
}

export interface Edition {
  number: number;
  cadence: Cadence;
  createdAt: Date;
  tickKey: string | null;
  status: EditionStatus;
  subject: string;
  slugs: string[];
  /** The posts as they were when the edition was made, so a resumed run sends the same content. */
  posts: Post[];
  /** The all-topics rendering with personal tokens, for the archive and as the default segment. */
  html: string;
  text: string;
}

export interface NewEdition {
  number: number;
  cadence: Cadence;
  createdAt: Date;
  tickKey: string | null;
  subject: string;
  posts: Post[];
  html: string;
  text: string;
  /** Posts that count as published without being sent (first edition only). */
  baselineSlugs: string[];
}

export interface EditionStore {
  /** slug → edition number (0 = recorded as published before the first edition). */
  postLedger(cadence: Cadence): Promise<Map<string, number>>;
  hasEditions(cadence: Cadence): Promise<boolean>;
  /** Edition numbers run across cadences, so /archive/<n> names exactly one edition. */
  nextEditionNumber(): Promise<number>;
  /**
   * Creates the edition, records its posts and freezes its recipients (one `pending` delivery per
   * active subscriber of the cadence, written by INSERT … SELECT) in one transaction. Refused
   * (undefined) if the number or the tick key is taken, or the cadence already has an open edition.
   */
  createEdition(edition: NewEdition): Promise<Edition | undefined>;
  /**
   * Runs `prepare` while holding the store's prepare lock (PostgreSQL: an advisory lock), so
   * several schedulers or senders never render the same edition at once. SQLite runs it as is:
   * the unique keys of createEdition settle a race there.
   */
  withPrepareLock<T>(prepare: () => Promise<T>): Promise<T>;
  openEdition(cadence: Cadence): Promise<Edition | undefined>;
  /** Every edition still sending, oldest first: the work a worker looks for. */
  listOpenEditions(): Promise<Edition[]>;
  getEdition(number: number): Promise<Edition | undefined>;
  listEditions(limit: number): Promise<Edition[]>;
  findEditionByTick(cadence: Cadence, tickKey: string): Promise<Edition | undefined>;
  /** Marks the edition complete only when no delivery is left open; true for the one caller that did. */
  completeEdition(number: number, now: Date): Promise<boolean>;
  saveSegment(edition: number, segment: Segment): Promise<void>;
  getSegment(edition: number, key: string): Promise<Segment | undefined>;
}

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
}

export interface DeliveryOutcome {
  state: Extract<DeliveryState, 'sent' | 'deferred' | 'failed' | 'skipped' | 'uncertain'>;
  error?: string;
  /** For deferred: not to be retried before this time. */
  retryAt?: Date;
}

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
   * first. A row whose subscriber is no longer active is marked skipped instead and not returned.
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
  /** A run that stops early hands back what it claimed but never tried: sending → pending (fenced). */
  release(worker: string, edition: number, subscriberIds: number[], now: Date): Promise<number>;
  /**
   * Before a run: deliveries still to do for subscribers no longer active become skipped; with
   * `giveUp`, deferred ones become failed (the edition is older than the maximum retry age).
   */
  settleOpen(edition: number, now: Date, options: { giveUp: boolean }): Promise<{ skipped: number; gaveUp: number }>;
  countDeliveries(edition: number): Promise<Record<DeliveryState, number>>;
  listDeliveries(edition: number, states: DeliveryState[]): Promise<Delivery[]>;
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
  /** Their awaiting rows, now uncertain: the message may have been accepted. */
  uncertain: number;
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
   */
  recoverDeadWorkers(deadAfterSeconds: number, known: string[], now: Date): Promise<Recovered>;
  /** Calls `wake` when new work may be there (PostgreSQL: LISTEN/NOTIFY); resolves to an unsubscribe. */
  watchWork(wake: () => void): Promise<() => Promise<void>>;
}

export interface Store extends SubscriberStore, EditionStore, DeliveryStore, WorkerStore, TickStore {
  /** Which engine: for messages and for what only one of them can do. */
  readonly kind: 'sqlite' | 'postgres';
  getMeta(key: string): Promise<string | undefined>;
  setMeta(key: string, value: string): Promise<void>;
  close(): Promise<void>;
}
