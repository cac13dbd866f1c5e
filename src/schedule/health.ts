import type { App } from '../app.js';
import { isGoneHere } from '../deliver/liveness.js';
import type { DeliveryState } from '../store/store.js';
import { editionBounceStats, type EditionBounceStats } from '../bounces/stats.js';
import type { CadenceSchedule } from './scheduler.js';

/**
 * What `digest status` prints and `/healthz` returns: the last edition and its counts, the next
 * scheduled times, deliveries deferred or uncertain, the workers and each open edition's rows.
 */
export interface Health {
  ok: boolean;
  now: string;
  lastEdition: { number: number; cadence: string; createdAt: string; status: string; tick: string | null; counts: Record<DeliveryState, number> } | null;
  schedules: { cadence: string; expression: string; timezone: string; next: string; lastTick: { tick: string; outcome: string; edition: number | null } | null }[];
  deferred: number;
  uncertain: number;
  /** Editions not yet complete (a crash, a shutdown or deferred deliveries). */
  unfinishedEditions: number[];
  /**
   * Registered workers. `dead` says why the next recovery declares it dead: its heartbeat is older
   * than WORKER_DEAD_AFTER_SECONDS (by the database clock), or its process on this host is gone.
   */
  workers: { id: string; host: string; pid: number; startedAt: string; heartbeatAgeSeconds: number; claimed: number; dead: 'silent' | 'process gone' | null }[];
  /** Every edition still sending, with its rows by state. */
  openEditions: { number: number; cadence: string; counts: Record<DeliveryState, number> }[];
  /** Bounces and complaints of the most recent editions (newest first), with rates over those sent. */
  bounces: EditionBounceStats[];
  /** The earliest time a deferred delivery of an unfinished edition may be retried (ISO), if any. */
  nextRetry: string | null;
  /** One per configured feed: its last fetch and result, and how many items are kept. */
  feeds: { name: string; url: string; lastFetch: string | null; result: string; error: string | null; lastRead: string | null; items: number }[];
}

/** How many recent editions are summed for the deferred and uncertain counts. */
const RECENT_EDITIONS = 20;
/** How many recent editions `bounces` reports on. */
const BOUNCE_EDITIONS = 5;

export async function collectHealth(app: App, schedules: CadenceSchedule[]): Promise<Health> {
  const now = app.now();
  const editions = await app.store.listEditions(RECENT_EDITIONS);
  let deferred = 0;
  let uncertain = 0;
  let lastCounts: Record<DeliveryState, number> | undefined;
  for (const edition of editions) {
    // Every state for the last edition; for the others only the two summed, not their sent rows.
    const counts = await app.store.countDeliveries(edition.number, lastCounts ? ['deferred', 'uncertain'] : undefined);
    lastCounts ??= counts;
    deferred += counts.deferred;
    uncertain += counts.uncertain;
  }
  const last = editions[0];
  const open = await app.store.listOpenEditions();
  const unfinished = editions.filter((e) => e.status !== 'complete').map((e) => e.number);
  return {
    ok: true,
    now: now.toISOString(),
    lastEdition: last && lastCounts ? { number: last.number, cadence: last.cadence, createdAt: last.createdAt.toISOString(), status: last.status, tick: last.tickKey, counts: lastCounts } : null,
    schedules: await Promise.all(
      schedules.map(async ({ cadence, schedule }) => {
        const tick = await app.store.lastTick(cadence);
        return {
          cadence,
          expression: schedule.expression,
          timezone: schedule.zone,
          next: schedule.next(now).toISOString(),
          lastTick: tick ? { tick: tick.key, outcome: tick.outcome, edition: tick.edition } : null,
        };
      }),
    ),
    deferred,
    uncertain,
    unfinishedEditions: unfinished,
    bounces: await editionBounceStats(app.store, editions.slice(0, BOUNCE_EDITIONS).map((e) => e.number), new Map(last && lastCounts ? [[last.number, lastCounts.sent]] : [])),
    nextRetry: await earliestRetry(app, unfinished),
    workers: (await app.store.listWorkers()).map((w) => ({
      id: w.id,
      host: w.host,
      pid: w.pid,
      startedAt: w.startedAt.toISOString(),
      heartbeatAgeSeconds: Math.round(w.heartbeatAgeSeconds * 10) / 10,
      claimed: w.claimed,
      dead: w.heartbeatAgeSeconds > app.config.workerDeadAfterSeconds ? 'silent' : isGoneHere(w) ? 'process gone' : null,
    })),
    feeds: await feedHealth(app),
    openEditions: await Promise.all(
      open.map(async (e) => ({ number: e.number, cadence: e.cadence, counts: e.number === last?.number && lastCounts ? lastCounts : await app.store.countDeliveries(e.number) })),
    ),
  };
}

async function earliestRetry(app: App, editions: number[]): Promise<string | null> {
  let earliest: number | undefined;
  for (const edition of editions) {
    const [soonest] = await app.store.listDeliveries(edition, ['deferred'], { limit: 1, soonestRetry: true });
    const at = soonest?.retryAt?.getTime();
    if (at !== undefined && (earliest === undefined || at < earliest)) earliest = at;
  }
  return earliest === undefined ? null : new Date(earliest).toISOString();
}

async function feedHealth(app: App): Promise<Health['feeds']> {
  return Promise.all(
    app.config.feeds.map(async ({ name, url }) => {
      const record = await app.store.getFeed(url);
      return {
        name,
        url,
        lastFetch: record?.fetchedAt.toISOString() ?? null,
        result: record?.result ?? 'never fetched',
        error: record?.error ?? null,
        lastRead: record?.okAt?.toISOString() ?? null,
        items: record?.itemCount ?? 0,
      };
    }),
  );
}
