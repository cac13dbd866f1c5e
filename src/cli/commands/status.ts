import { createApp } from '../../app.js';
import { describeStats } from '../../bounces/stats.js';
import { configuredSchedules } from '../../schedule/cadences.js';
import { collectHealth, type Health } from '../../schedule/health.js';
import type { DeliveryState } from '../../store/store.js';
import { describeAge, formatLocalTime } from '../../time.js';
import type { CommandContext } from '../command.js';

export async function status({ options, out, loadConfig }: CommandContext): Promise<number> {
  const values = { json: options.json === true };
  const config = loadConfig();
  const app = await createApp(config);
  try {
    const health = await collectHealth(app, configuredSchedules(config));
    if (values.json) out(JSON.stringify(health, null, 2));
    else printHealth(health, config.timezone, out);
    return 0;
  } finally {
    await app.close();
  }
}

/** Every time in the configured zone (DIGEST_TIMEZONE), with how long ago or how soon it is. */
function printHealth(health: Health, zone: string, out: (line: string) => void): void {
  const now = new Date(health.now);
  const when = (iso: string) => `${formatLocalTime(new Date(iso), zone)} (${describeAge(new Date(iso), now)})`;
  const last = health.lastEdition;
  if (last) {
    const c = last.counts;
    out(`Last edition: #${last.number} (${last.cadence}), created ${when(last.createdAt)}, ${editionState(health, when)}${last.tick ? `, tick ${when(last.tick)}` : ', manual send'}`);
    out(`  sent ${c.sent} · deferred ${c.deferred} · failed ${c.failed} · uncertain ${c.uncertain} · skipped ${c.skipped} · pending ${c.pending}${inFlight(c)}`);
  } else out('Last edition: none yet');
  for (const s of health.schedules) {
    const tick = s.lastTick ? `; last tick ${when(s.lastTick.tick)}: ${s.lastTick.outcome}${s.lastTick.edition ? ` (#${s.lastTick.edition})` : ''}` : '; no tick yet';
    out(`Schedule ${s.cadence}: "${s.expression}" in ${s.timezone}, next ${when(s.next)}${tick}`);
  }
  for (const b of health.bounces) out(`Bounces #${b.edition}: ${describeStats(b)}`);
  out(`Deferred: ${health.deferred} · Uncertain: ${health.uncertain} · Unfinished editions: ${health.unfinishedEditions.length ? health.unfinishedEditions.map((n) => `#${n}`).join(', ') : 'none'}`);
  out(describeLease(health.lease, when));
  for (const feed of health.feeds) {
    const result = feed.result === 'error' ? `error: ${feed.error ?? ''}${feed.lastRead ? ` (last read ${when(feed.lastRead)})` : ''}` : feed.result;
    out(`Feed ${feed.name} (${feed.url}): ${feed.lastFetch ? `last fetch ${when(feed.lastFetch)}: ${result}` : 'never fetched'}; ${feed.items} item(s)`);
  }
}

/** "sending" only while a send holds the lease; otherwise what the edition is waiting for. */
function editionState(health: Health, when: (iso: string) => string): string {
  if (health.lastEdition?.status === 'complete') return 'complete';
  if (health.lease && health.lease.stale === null) return 'sending now';
  if (health.nextRetry) return `waiting for a retry at ${when(health.nextRetry)}`;
  return 'unfinished: the next send continues it';
}

/** Claimed (sending) or about to be committed (awaiting): either may already be with the server. */
function inFlight(c: Record<DeliveryState, number>): string {
  if (c.sending + c.awaiting === 0) return '';
  return ` · in flight ${c.sending + c.awaiting} (sending ${c.sending}, awaiting ${c.awaiting}; may have reached the server)`;
}

function describeLease(lease: Health['lease'], when: (iso: string) => string): string {
  if (!lease) return 'Send lease: free (no send running)';
  const holder = `process ${lease.pid} on ${lease.host}, since ${when(lease.since)}`;
  if (lease.stale === 'expired') return `Send lease: stale (${holder}; expired ${when(lease.expiresAt)}): the next send takes it over`;
  if (lease.stale === 'process gone') return `Send lease: stale (${holder}; that process is gone or a zombie): the next send takes it over`;
  return `Send lease: held by ${holder} (renewed while it runs; expires ${when(lease.expiresAt)} unless renewed)`;
}
