import type { Post } from '../posts/post.js';
import type { Cadence } from '../render/view-model.js';
import type { DeliveryStore, WorkerStore } from './queue.js';
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

/** What an import did: distinct addresses read, and the topics they chose (first seen first). */
export interface ImportCounts {
  rows: number;
  added: number;
  updated: number;
  unchanged: number;
  topics: string[];
}

export interface SubscriberFilter {
  status?: SubscriberStatus;
  category?: string;
  /** Only those who stopped at least one topic. */
  stoppedTopics?: boolean;
}

export interface SubscriberStore {
  /** Inserts or updates by address, all rows in one transaction. */
  upsertSubscribers(rows: SubscriberInput[], now: Date): Promise<{ added: number; updated: number }>;
  /**
   * A CSV import: gathers the batches in a temporary table (a later row for an address replaces an
   * earlier one), then writes the rows that change something in one transaction. Memory stays
   * flat however many rows come; if the batches fail, nothing is written.
   */
  importSubscribers(batches: AsyncIterable<SubscriberInput[]>, now: Date): Promise<ImportCounts>;
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
  /** Active subscribers counted in the database by cadence and by chosen topic, and those who chose none (every topic). */
  countActiveChoices(): Promise<ActiveChoiceCounts>;
}

/** Counts as [value, subscribers] pairs, in no particular order; a damaged topics cell counts as none chosen. */
export interface ActiveChoiceCounts {
  byCadence: [string, number][];
  byTopic: [string, number][];
  allTopics: number;
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
  /** The editor's note it carries (shown above the posts), so every segment renders it the same way. */
  note: EditionNote | null;
}

/** An editor's note as an edition keeps it; `ledgerKey` is recorded in the post ledger so it goes once. */
export interface EditionNote {
  ledgerKey: string;
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
  note?: EditionNote | null;
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

export * from './queue.js';

export type BounceKind = 'hard' | 'soft' | 'complaint';
export type BounceSource = 'smtp' | 'imap' | 'file' | 'ses' | 'postmark' | 'mailgun';

/** One bounce or complaint, tied to the delivery it is about. */
export interface NewBounceEvent {
  /** Unique per real-world event (report Message-ID + recipient, provider event id): a replay is a no-op. */
  key: string;
  kind: BounceKind;
  source: BounceSource;
  edition: number | null;
  subscriberId: number;
  email: string;
  /** Enhanced status code (5.1.1) or the provider's type (Permanent, HardBounce, abuse). */
  status: string | null;
  /** The raw reason as received (diagnostic code, feedback type), capped in length. */
  reason: string;
  receivedAt: Date;
}

export interface BounceEvent extends NewBounceEvent {
  id: number;
  /** True when this event changed the subscriber's status. */
  statusChanged: boolean;
}

/**
 * What an event does to its subscriber, applied in the same transaction as the insert and only
 * when the event is new: `markAs` from active or pending; with `softLimit`, only once that many
 * soft events (this one included) arrived since `since`.
 */
export interface BounceRule {
  markAs: Extract<SubscriberStatus, 'bounced' | 'unsubscribed'>;
  softLimit?: { count: number; since: Date };
}

export interface BounceCounts {
  hard: number;
  soft: number;
  complaints: number;
}

/** The delivery an event is about, found from what a report carries. */
export interface DeliveryRef {
  edition: number;
  subscriberId: number;
  email: string;
}

export interface BounceStore {
  recordBounce(event: NewBounceEvent, rule: BounceRule): Promise<{ recorded: boolean; statusChanged: boolean }>;
  /** Newest first. */
  listBounces(limit: number): Promise<BounceEvent[]>;
  /** Per edition, for the editions asked (missing ones count zero). */
  bounceCounts(editions: number[]): Promise<Map<number, BounceCounts>>;
  /** By our Message-ID (angle brackets included), or the latest sent delivery to an address. */
  findDelivery(by: { messageId: string } | { email: string }): Promise<DeliveryRef | undefined>;
  /** The delivery row for a VERP id, if it exists. */
  getDeliveryRef(edition: number, subscriberId: number): Promise<DeliveryRef | undefined>;
}

/** What the last fetch of a feed gave: a new document, the same one (304), or a failure. */
export type FeedResult = 'ok' | 'not-modified' | 'error';

export interface FeedRecord {
  url: string;
  /** The feed's own title, from its last document. */
  title: string | null;
  etag: string | null;
  lastModified: string | null;
  fetchedAt: Date;
  result: FeedResult;
  error: string | null;
  /** When a document was last read from it (ok or not-modified): how old the kept items are. */
  okAt: Date | null;
  /** Items kept for it (every item ever seen, as last fetched). */
  itemCount: number;
}

/** One item of a fetched document, before the store gives it its slug. */
export interface FeedItemInput {
  /** Identity within the feed: GUID/id, else the link. Never changes for one item. */
  key: string;
  /** Preferred slug (from the title); the store makes it unique once, on first sight, and keeps it. */
  slugBase: string;
  /** The item as a post, without its slug; `date` null when the feed gives none (first sight is used). */
  post: Omit<Post, 'slug' | 'date'> & { date: Date | null };
}

export interface FeedFetch {
  url: string;
  at: Date;
  result: FeedResult;
  error?: string;
  etag?: string | null;
  lastModified?: string | null;
  title?: string | null;
}

export interface FeedStore {
  listFeeds(): Promise<FeedRecord[]>;
  getFeed(url: string): Promise<FeedRecord | undefined>;
  /**
   * Records one fetch. With `items` (a new document), upserts them by (feed, key) in the same
   * transaction: a new item gets a slug unused by any feed item and not in `reservedSlugs`; a known
   * one keeps its slug and first-seen time whatever changed in it.
   */
  recordFeedFetch(fetch: FeedFetch, items?: FeedItemInput[], reservedSlugs?: ReadonlySet<string>): Promise<void>;
  /** Every item kept for the feed, as last fetched, with its permanent slug. */
  feedItems(url: string): Promise<{ key: string; post: Post; firstSeenAt: Date }[]>;
}

export interface Store extends SubscriberStore, EditionStore, DeliveryStore, WorkerStore, TickStore, FeedStore, BounceStore {
  /** Which engine: for messages and for what only one of them can do. */
  readonly kind: 'sqlite' | 'postgres';
  getMeta(key: string): Promise<string | undefined>;
  setMeta(key: string, value: string): Promise<void>;
  close(): Promise<void>;
}
