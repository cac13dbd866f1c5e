import type { Hono } from 'hono';
import type { App } from '../app.js';
import { messageOf } from '../errors.js';
import { collectHealth, type Health } from '../schedule/health.js';
import type { CadenceSchedule } from '../schedule/scheduler.js';

/**
 * GET /healthz for a load balancer or supervisor: 200 when healthy, 503 when the database does not
 * answer, a scheduled tick was missed, or an edition is stuck. It names the failing check but
 * reveals no counts (subscribers, deliveries): anyone can reach it. `digest status` has the details.
 */
export interface HealthzOptions {
  /** Ticks due after this instant must be on record (the scheduler runs in this process since then). */
  ticksExpectedSince?: Date;
}

export type CheckResult = 'ok' | 'missed a tick' | 'stuck' | 'did not answer';

export interface HealthVerdict {
  ok: boolean;
  checks: { database: CheckResult; scheduler: CheckResult; editions: CheckResult };
}

/** The scheduler wakes at least once a minute; a tick is late only past this. */
export const TICK_SLACK_MS = 3 * 60_000;
/** An unfinished edition with no send running and no retry to wait for is stuck after this. */
export const STUCK_AFTER_MS = 60 * 60_000;

export function healthzRoute(app: App, schedules: CadenceSchedule[], options: HealthzOptions = {}): (web: Hono) => void {
  return (web) => {
    web.get('/healthz', async (c) => {
      c.header('Cache-Control', 'no-store');
      try {
        const verdict = judgeHealth(await collectHealth(app, schedules), schedules, options);
        return c.json(verdict, verdict.ok ? 200 : 503);
      } catch (error) {
        app.logger.error('healthz.failed', { error: messageOf(error) });
        return c.json({ ok: false, checks: { database: 'did not answer', scheduler: 'ok', editions: 'ok' } } satisfies HealthVerdict, 503);
      }
    });
  };
}

export function judgeHealth(health: Health, schedules: CadenceSchedule[], options: HealthzOptions): HealthVerdict {
  const now = new Date(health.now);
  const scheduler = schedules.some((s) => missedTick(s, health, now, options.ticksExpectedSince)) ? 'missed a tick' : 'ok';
  const editions = stuck(health, now) ? 'stuck' : 'ok';
  return { ok: scheduler === 'ok' && editions === 'ok', checks: { database: 'ok', scheduler, editions } };
}

/** The last occurrence due (allowing for the slack) has no tick on record, though the scheduler was running then. */
function missedTick({ cadence, schedule }: CadenceSchedule, health: Health, now: Date, since: Date | undefined): boolean {
  if (!since) return false;
  const due = schedule.previous(new Date(now.getTime() - TICK_SLACK_MS));
  if (!due || due.getTime() <= since.getTime()) return false;
  const last = health.schedules.find((s) => s.cadence === cadence)?.lastTick;
  return !last || new Date(last.tick).getTime() < due.getTime() || last.outcome === 'missed';
}

/** Unfinished, old, nobody sending it, and no deferred retry still to come. */
function stuck(health: Health, now: Date): boolean {
  const last = health.lastEdition;
  if (!last || health.unfinishedEditions.length === 0) return false;
  // A live worker holding claims is sending it.
  if (health.workers.some((w) => w.dead === null && w.claimed > 0)) return false;
  const waitingForRetry = health.nextRetry !== null && new Date(health.nextRetry).getTime() > now.getTime() - STUCK_AFTER_MS;
  return !waitingForRetry && now.getTime() - new Date(last.createdAt).getTime() > STUCK_AFTER_MS;
}
