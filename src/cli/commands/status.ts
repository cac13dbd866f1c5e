import { createApp } from '../../app.js';
import { describeStats } from '../../bounces/stats.js';
import { configuredSchedules } from '../../schedule/cadences.js';
import { collectHealth, type Health } from '../../schedule/health.js';
import type { DeliveryState } from '../../store/store.js';
import { describeAge, formatLocalTime } from '../../time.js';
import type { CommandContext } from '../command.js';

export async function status({ options, out, loadConfig }: CommandContext): Promise<number> {
  const config = loadConfig();
  const app = await createApp(config);
  try {
    const health = await collectHealth(app, configuredSchedules(config));
    const uncertain = await stayedUncertain(app);
    if (options.json === true) out(JSON.stringify({ ...health, uncertainDeliveries: uncertain }, null, 2));
    else {
      printHealth(health, config.timezone, out);
      printUncertain(uncertain, out);
    }
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
  printWorkers(health, out);
  for (const feed of health.feeds) {
    const result = feed.result === 'error' ? `error: ${feed.error ?? ''}${feed.lastRead ? ` (last read ${when(feed.lastRead)})` : ''}` : feed.result;
    out(`Feed ${feed.name} (${feed.url}): ${feed.lastFetch ? `last fetch ${when(feed.lastFetch)}: ${result}` : 'never fetched'}; ${feed.items} item(s)`);
  }
}

/** "sending" only while a live worker holds rows; otherwise what the edition is waiting for. */
function editionState(health: Health, when: (iso: string) => string): string {
  if (health.lastEdition?.status === 'complete') return 'complete';
  if (health.workers.some((w) => w.dead === null && w.claimed > 0)) return 'sending now';
  if (health.nextRetry) return `waiting for a retry at ${when(health.nextRetry)}`;
  return 'unfinished: the next send continues it';
}

/** Claimed (sending) or about to be committed (awaiting): either may already be with the server. */
function inFlight(c: Record<DeliveryState, number>): string {
  if (c.sending + c.awaiting === 0) return '';
  return ` · in flight ${c.sending + c.awaiting} (sending ${c.sending}, awaiting ${c.awaiting}; may have reached the server)`;
}

function printWorkers(health: Health, out: (line: string) => void): void {
  for (const e of health.openEditions) {
    const c = e.counts;
    out(`Open edition #${e.number} (${e.cadence}): pending ${c.pending} · sending ${c.sending} · awaiting ${c.awaiting} · deferred ${c.deferred} · sent ${c.sent} · failed ${c.failed} · uncertain ${c.uncertain} · skipped ${c.skipped}`);
  }
  if (health.workers.length === 0) {
    out('Workers: none running');
    return;
  }
  out(`Workers: ${health.workers.length}`);
  for (const w of health.workers) {
    const dead = w.dead === 'silent' ? ' — silent past WORKER_DEAD_AFTER_SECONDS: the next recovery takes its rows back' : w.dead === 'process gone' ? ' — its process is gone: the next recovery takes its rows back' : '';
    out(`  ${w.host} pid ${w.pid}: heartbeat ${w.heartbeatAgeSeconds}s ago, ${w.claimed} rows claimed, since ${w.startedAt}${dead}`);
  }
}

const LISTED_UNCERTAIN = 20;

/**
 * Deliveries of recent editions that stayed uncertain (every byte sent, no answer, and not resent
 * or uncertain again on the resend): the reader may or may not have the message. Only here, not in
 * /healthz, since it names addresses.
 */
async function stayedUncertain(app: Awaited<ReturnType<typeof createApp>>) {
  const found: { edition: number; email: string; messageId: string | null; attempts: number; reason: string | null; firstAttempt: string | null }[] = [];
  for (const edition of await app.store.listEditions(20)) {
    for (const d of await app.store.listDeliveries(edition.number, ['uncertain'])) {
      found.push({ edition: d.edition, email: d.email, messageId: d.messageId, attempts: d.attempts, reason: d.lastError, firstAttempt: d.firstUncertain ?? null });
    }
  }
  return found;
}

function printUncertain(list: Awaited<ReturnType<typeof stayedUncertain>>, out: (line: string) => void): void {
  if (list.length === 0) return;
  out(`Stayed uncertain (may or may not have arrived; not resent again):`);
  for (const d of list.slice(0, LISTED_UNCERTAIN)) {
    out(`  #${d.edition} ${d.email} ${d.messageId ?? ''} — ${d.attempts} attempt${d.attempts === 1 ? '' : 's'}: ${d.firstAttempt ? `first ${d.firstAttempt}; then ` : ''}${d.reason ?? ''}`);
  }
  if (list.length > LISTED_UNCERTAIN) out(`  … and ${list.length - LISTED_UNCERTAIN} more (digest status --json lists them all).`);
}
