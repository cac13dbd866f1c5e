import type { App } from '../app.js';
import { editionBounceStats, type EditionBounceStats } from '../bounces/stats.js';
import { isStaleHolder, SEND_LEASE } from '../deliver/lease.js';
import type { DeliveryState, LeaseHolder } from '../store/store.js';
import type { CadenceSchedule } from './scheduler.js';

/**
 * What `digest status` prints and `/healthz` returns: the last edition and its counts, the next
 * scheduled times, deliveries deferred or uncertain, and who holds the send lease.
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
  /** Bounces and complaints of the most recent editions (newest first), with rates over those sent. */
  bounces: EditionBounceStats[];
  /** The lease row, if any. `stale` says why a later send may take it over: the lease expired, or its process on this host is gone (or a zombie); null while the holder is live. */
  lease: { pid: number; host: string; since: string; expiresAt: string; stale: 'expired' | 'process gone' | null } | null;
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
    const counts = await app.store.countDeliveries(edition.number);
    lastCounts ??= counts;
    deferred += counts.deferred;
    uncertain += counts.uncertain;
  }
  const last = editions[0];
  const lease = await app.store.leaseInfo(SEND_LEASE);
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
    bounces: await editionBounceStats(app.store, editions.slice(0, BOUNCE_EDITIONS).map((e) => e.number)),
    unfinishedEditions: editions.filter((e) => e.status !== 'complete').map((e) => e.number),
    feeds: await feedHealth(app),
    lease: lease ? { pid: lease.pid, host: lease.host, since: lease.acquiredAt.toISOString(), expiresAt: lease.expiresAt.toISOString(), stale: leaseStaleness(lease, now) } : null,
  };
}

function leaseStaleness(lease: LeaseHolder & { expiresAt: Date }, now: Date): 'expired' | 'process gone' | null {
  if (lease.expiresAt.getTime() <= now.getTime()) return 'expired';
  return isStaleHolder(lease) ? 'process gone' : null;
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
