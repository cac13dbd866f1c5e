import type { Post } from '../posts/post.js';
import type { Cadence } from '../render/view-model.js';
import type { ActiveChoiceCounts, BounceEvent, BounceKind, BounceSource, Claim, Delivery, DeliveryRef, DeliveryState, Edition, PendingChoices, Segment, Subscriber, SubscriberInput, SubscriberStatus } from './store.js';
import type { Tick, TickOutcome } from './ticks.js';

/**
 * Rows as both stores keep them (times as epoch milliseconds, lists as JSON text) and their
 * mapping to the port's types, so SQLite and PostgreSQL read a row the same way.
 */
export interface SubscriberRow {
  id: number;
  email: string;
  name: string;
  categories: string;
  excluded_categories: string;
  pending_choices: string | null;
  cadence: string;
  status: string;
  created_at: number;
  confirmed_at: number | null;
}

export function toSubscriber(row: SubscriberRow): Subscriber {
  return {
    id: row.id,
    email: row.email,
    name: row.name,
    categories: parseCategories(row.categories),
    excludedCategories: parseCategories(row.excluded_categories ?? '[]'),
    cadence: row.cadence as Cadence,
    status: row.status as SubscriberStatus,
    createdAt: new Date(row.created_at),
    confirmedAt: row.confirmed_at === null ? null : new Date(row.confirmed_at),
  };
}

/** A count of active subscribers under one cadence or topic; a null topic: those who chose none. */
export interface ChoiceCount {
  key: string | null;
  n: number;
}

/** ActiveChoiceCounts from the rows of the cadence and topic counts (both stores). */
export function choiceCountsOf(byCadence: ChoiceCount[], byTopic: ChoiceCount[]): ActiveChoiceCounts {
  const pairs = (rows: ChoiceCount[]) => rows.flatMap((row): [string, number][] => (row.key === null ? [] : [[row.key, row.n]]));
  return { byCadence: pairs(byCadence), byTopic: pairs(byTopic), allTopics: byTopic.find((row) => row.key === null)?.n ?? 0 };
}

/** A damaged topics cell (edited by hand, say) means "all topics" rather than stopping a whole send. */
function parseCategories(cell: string): string[] {
  try {
    const parsed: unknown = JSON.parse(cell);
    return Array.isArray(parsed) ? parsed.filter((c): c is string => typeof c === 'string') : [];
  } catch {
    return [];
  }
}

export function parsePending(cell: string | null): PendingChoices | undefined {
  if (!cell) return undefined;
  try {
    const parsed = JSON.parse(cell) as Record<string, unknown>;
    const categories = Array.isArray(parsed['categories']) ? parsed['categories'].filter((c): c is string => typeof c === 'string') : undefined;
    return {
      ...(typeof parsed['name'] === 'string' ? { name: parsed['name'] } : {}),
      ...(categories ? { categories } : {}),
      ...(typeof parsed['cadence'] === 'string' ? { cadence: parsed['cadence'] as Cadence } : {}),
    };
  } catch {
    return undefined;
  }
}

/** An upsert's values; `*Given` says which fields the input set, so an update leaves the others alone. */
export function subscriberParams(row: SubscriberInput, now: number) {
  return {
    email: row.email,
    name: row.name ?? '',
    categories: JSON.stringify(row.categories ?? []),
    excludedCategories: JSON.stringify(row.excludedCategories ?? []),
    cadence: row.cadence ?? 'weekly',
    status: row.status ?? 'active',
    now,
    nameGiven: row.name === undefined ? 0 : 1,
    categoriesGiven: row.categories === undefined ? 0 : 1,
    excludedGiven: row.excludedCategories === undefined ? 0 : 1,
    cadenceGiven: row.cadence === undefined ? 0 : 1,
    statusGiven: row.status === undefined ? 0 : 1,
  };
}

export interface EditionRow {
  number: number;
  cadence: string;
  created_at: number;
  tick_key: string | null;
  status: string;
  subject: string;
  slugs: string;
  posts: string;
  html: string;
  text: string;
  /** JSON {ledgerKey, html, text}, or null when the edition carries no editor's note. */
  note?: string | null;
}

export function toEdition(row: EditionRow): Edition {
  return {
    number: row.number,
    cadence: row.cadence as Cadence,
    createdAt: new Date(row.created_at),
    tickKey: row.tick_key,
    status: row.status as Edition['status'],
    subject: row.subject,
    slugs: JSON.parse(row.slugs) as string[],
    posts: (JSON.parse(row.posts) as (Post & { date: string })[]).map((post) => ({ ...post, date: new Date(post.date) })),
    html: row.html,
    text: row.text,
    note: row.note ? (JSON.parse(row.note) as Edition['note']) : null,
  };
}

export interface DeliveryRow {
  edition: number;
  subscriber_id: number;
  email: string;
  state: DeliveryState;
  attempts: number;
  message_id: string | null;
  last_error: string | null;
  updated_at: number;
  retry_at: number | null;
  worker_id: string | null;
  resends?: number;
  first_uncertain?: string | null;
}

export function toDelivery(row: DeliveryRow): Delivery {
  return {
    edition: row.edition,
    subscriberId: row.subscriber_id,
    email: row.email,
    state: row.state,
    attempts: row.attempts,
    messageId: row.message_id,
    lastError: row.last_error,
    updatedAt: new Date(row.updated_at),
    retryAt: row.retry_at === null ? null : new Date(row.retry_at),
    workerId: row.worker_id,
    resends: Number(row.resends ?? 0),
    firstUncertain: row.first_uncertain ?? null,
  };
}

export interface TickRow {
  cadence: string;
  tick_key: string;
  started_at: number;
  finished_at: number | null;
  outcome: string;
  edition: number | null;
  detail: string | null;
}

export function toTick(row: TickRow): Tick {
  return {
    cadence: row.cadence as Cadence,
    key: row.tick_key,
    startedAt: new Date(row.started_at),
    finishedAt: row.finished_at === null ? null : new Date(row.finished_at),
    outcome: row.outcome as TickOutcome,
    edition: row.edition,
    detail: row.detail,
  };
}

/** Deliveries by state from grouped rows, or from the counts an edition kept when it completed. With `states`, the others read 0. */
export function stateCounts(rows: { state: DeliveryState; n: number }[] | Record<string, number>, states?: readonly DeliveryState[]): Record<DeliveryState, number> {
  const counts = { pending: 0, sending: 0, awaiting: 0, sent: 0, deferred: 0, failed: 0, uncertain: 0, skipped: 0 } as Record<DeliveryState, number>;
  const grouped = Array.isArray(rows) ? rows : Object.entries(rows).map(([state, n]) => ({ state: state as DeliveryState, n }));
  for (const row of grouped) if (!states || states.includes(row.state)) counts[row.state] = Number(row.n);
  return counts;
}

/** The last-error text of rows whose worker died after committing the message. */
export const INTERRUPTED_AFTER_COMMIT = 'interrupted after the message was committed, before the server answered';

/** The note on a row put up for its one resend after an uncertain attempt. */
export const resendNote = (reason: string) => `uncertain (${reason}); resent once with the same Message-ID`;

export interface SegmentRow {
  key: string;
  slugs: string;
  subject: string;
  html: string;
  text: string;
}

export function toSegment(row: SegmentRow): Segment {
  return { key: row.key, slugs: JSON.parse(row.slugs) as string[], subject: row.subject, html: row.html, text: row.text };
}

/** What a claim statement returns for each row it touched (claimed, or skipped at claim time). */
export interface TouchedRow {
  edition: number;
  subscriber_id: number;
  state: string;
  attempts: number;
}

/**
 * A claim as both stores make it: run the claim statement until it claims something or finds
 * nothing left (a batch made only of rows skipped, unsubscribed since, is not the end), then
 * attach each claimed row's subscriber. A subscriber removed between the two statements leaves a
 * claimed row no one would send or release (a send waiting for it would wait forever): `gone`
 * settles those rows as skipped.
 */
export async function claimWith(
  claimOnce: () => Promise<TouchedRow[]>,
  subscribersOf: (ids: number[]) => Promise<SubscriberRow[]>,
  gone: (rows: TouchedRow[]) => Promise<unknown>,
): Promise<Claim[]> {
  let touched: TouchedRow[];
  let claimed: TouchedRow[];
  do {
    touched = await claimOnce();
    claimed = touched.filter((row) => row.state === 'sending').sort((a, b) => a.edition - b.edition || a.subscriber_id - b.subscriber_id);
  } while (claimed.length === 0 && touched.length > 0);
  if (claimed.length === 0) return [];
  const subscribers = new Map((await subscribersOf(claimed.map((row) => row.subscriber_id))).map((row) => [row.id, toSubscriber(row)]));
  const missing = claimed.filter((row) => !subscribers.has(row.subscriber_id));
  if (missing.length > 0) await gone(missing);
  return claimed.flatMap((row): Claim[] => {
    const subscriber = subscribers.get(row.subscriber_id);
    return subscriber ? [{ edition: row.edition, subscriber, attempts: row.attempts }] : [];
  });
}

/** A bounce_events row as both stores keep it. */
export interface EventRow {
  id: number;
  event_key: string;
  kind: BounceKind;
  source: BounceSource;
  edition: number | null;
  subscriber_id: number;
  email: string;
  status: string | null;
  reason: string;
  received_at: number;
  /** 0/1 on SQLite, a boolean on PostgreSQL. */
  status_changed: number | boolean;
}

export interface RefRow {
  edition: number;
  subscriber_id: number;
  email: string;
}

export function toRef(row: RefRow): DeliveryRef {
  return { edition: row.edition, subscriberId: row.subscriber_id, email: row.email };
}

export function toEvent(row: EventRow): BounceEvent {
  return {
    id: row.id,
    key: row.event_key,
    kind: row.kind,
    source: row.source,
    edition: row.edition,
    subscriberId: row.subscriber_id,
    email: row.email,
    status: row.status,
    reason: row.reason,
    receivedAt: new Date(row.received_at),
    statusChanged: row.status_changed === 1 || row.status_changed === true,
  };
}
