import type { App } from '../app.js';
import { messageOf } from '../errors.js';
import type { Cadence } from '../render/view-model.js';
import { systemClock, type Clock } from './clock.js';
import type { Schedule } from './occurrences.js';
import { planDue, sleepUntil, type Missed } from './plan.js';
import { resumeUnfinished, runTick } from './tick.js';

/**
 * The scheduler: a timer set to the next computed occurrence (re-checked at least every minute),
 * and on each wake one pass that handles what is due. The tick key is always the computed
 * scheduled time, never "now". Passes never overlap; ticks of a cadence that come due while that
 * cadence's send is still running are skipped with a log line (the next tick covers them).
 */
/** How often an unfinished edition is resumed between ticks (deferred deliveries come due). */
export const RESUME_EVERY_MS = 15 * 60_000;

export interface CadenceSchedule {
  cadence: Cadence;
  schedule: Schedule;
}

export interface SchedulerOptions {
  schedules: CadenceSchedule[];
  graceMs: number;
  clock?: Clock;
  /** Longest sleep between checks of the clock (default one minute). */
  maxSleepMs?: number;
  /** False: a tick only prepares its edition; `digest worker`s deliver it (`digest start --no-worker`). */
  deliver?: boolean;
}

export interface Scheduler {
  /** Resumes unfinished editions, catches up (or logs) missed ticks, then arms the timer. */
  start(): Promise<void>;
  /** No new ticks; the running send stops taking recipients. Resolves once nothing runs. */
  stop(): Promise<void>;
  /** Resolves when no pass is running (for tests driving a fake clock). */
  settled(): Promise<void>;
  /** Wakes the scheduler now, as its timer would. */
  wake(): void;
}

/** A failed tick (e.g. the SMTP server unreachable) is tried again this much later, within the grace window. */
export const RETRY_FAILED_MS = 5 * 60_000;

/** A tick run later than this after its scheduled time is logged as caught up (schedule.caught-up, with lateSeconds). */
export const FIRING_SLACK_MS = 5_000;

interface CadenceState {
  /** The latest scheduled time already handled. */
  cursor: Date;
  /** After a failed tick: not before this time. */
  retryAt?: number;
  lastResume?: number;
}

export function createScheduler(app: App, options: SchedulerOptions): Scheduler {
  const clock = options.clock ?? systemClock;
  const states = new Map<Cadence, CadenceState>();
  const controller = new AbortController();
  let running: Promise<void> | undefined;
  let cancelTimer: (() => void) | undefined;

  const pass = async () => {
    for (const entry of options.schedules) {
      const state = states.get(entry.cadence);
      if (controller.signal.aborted || !state) return;
      try {
        // An unfinished edition (crash, shutdown, deferred deliveries) is taken up again on start
        // and then every RESUME_EVERY_MS, not only on the cadence's next tick.
        const now = app.now().getTime();
        if (options.deliver !== false && now - (state.lastResume ?? -Infinity) >= RESUME_EVERY_MS) {
          state.lastResume = now;
          await resumeUnfinished(app, entry.cadence, controller.signal);
        }
        await handleCadence(app, entry, state, options, controller.signal);
      } catch (error) {
        app.logger.error('schedule.error', { cadence: entry.cadence, error: messageOf(error) });
      }
    }
  };

  const arm = () => {
    cancelTimer?.();
    if (controller.signal.aborted || options.schedules.length === 0) return;
    const now = clock.now();
    const wakeAt = options.schedules.map(({ cadence, schedule }) => {
      const state = states.get(cadence);
      if (state?.retryAt !== undefined && state.retryAt > now.getTime()) return state.retryAt;
      return schedule.next(state?.cursor ?? now).getTime();
    });
    cancelTimer = clock.setTimer(wake, sleepUntil(new Date(Math.min(...wakeAt)), now, options.maxSleepMs));
  };

  const wake = () => {
    if (running || controller.signal.aborted) return;
    running = pass().finally(() => {
      running = undefined;
      arm();
    });
  };

  return {
    async start() {
      for (const { cadence, schedule } of options.schedules) {
        states.set(cadence, { cursor: await startingCursor(app, cadence) });
        app.logger.info('schedule.armed', { cadence, expression: schedule.expression, timezone: schedule.zone, next: schedule.next(clock.now()).toISOString() });
      }
      wake();
      await running;
    },
    async stop() {
      controller.abort();
      cancelTimer?.();
      await running;
    },
    async settled() {
      while (running) await running;
    },
    wake,
  };
}

/** Where the ticks already handled end: the last recorded tick, or when scheduling first began. */
async function startingCursor(app: App, cadence: Cadence): Promise<Date> {
  const metaKey = `schedule.since.${cadence}`;
  let since = await app.store.getMeta(metaKey);
  if (!since) {
    since = app.now().toISOString();
    await app.store.setMeta(metaKey, since);
  }
  const last = await app.store.lastTick(cadence);
  // A tick cut short by a shutdown, or failed, is not handled yet: due again within the grace window.
  const again = last?.outcome === 'interrupted' || last?.outcome === 'failed';
  const handled = last ? Date.parse(last.key) - (again ? 1 : 0) : 0;
  return new Date(Math.max(Date.parse(since), handled));
}

async function handleCadence(app: App, { cadence, schedule }: CadenceSchedule, state: CadenceState, options: SchedulerOptions, signal: AbortSignal) {
  const { graceMs } = options;
  if (state.retryAt !== undefined && app.now().getTime() < state.retryAt) return;
  const plan = planDue(schedule, state.cursor, app.now(), graceMs);
  const missed = plan.missed && (await withoutResumedTick(app, cadence, schedule, plan.missed));
  if (missed) {
    const { first, last, count } = missed;
    app.logger.warn('schedule.missed', { cadence, from: first.toISOString(), to: last.toISOString(), count, graceHours: graceMs / 3_600_000 });
  }
  if (plan.missed) {
    await app.store.claimTick(cadence, plan.missed.last.toISOString(), 'missed', app.now());
    state.cursor = plan.missed.last;
  }
  const retrying = state.retryAt !== undefined;
  state.retryAt = undefined;
  if (!plan.run) return;
  const lateMs = app.now().getTime() - plan.run.getTime();
  // Late beyond the timer's normal slack, and not a planned retry: the process was down or the machine asleep.
  if (!retrying && lateMs > FIRING_SLACK_MS) {
    app.logger.info('schedule.caught-up', { cadence, tick: plan.run.toISOString(), lateSeconds: Math.round(lateMs / 1000), reason: 'not running (down or asleep) at the scheduled time' });
  }
  const result = await runTick(app, cadence, plan.run, signal, { deliver: options.deliver !== false });
  if (result.outcome === 'failed') {
    // Left just before the tick, so the tick is due again at retryAt (while within the grace window).
    state.cursor = new Date(plan.run.getTime() - 1);
    state.retryAt = app.now().getTime() + RETRY_FAILED_MS;
    app.logger.warn('schedule.retry-later', { cadence, tick: plan.run.toISOString(), at: new Date(state.retryAt).toISOString() });
    return;
  }
  state.cursor = plan.run;
  await skipBusyTicks(app, { cadence, schedule }, state, plan.run);
}

/**
 * A tick interrupted (or failed) after it made its edition is not missed: that edition is resumed
 * (resumeUnfinished, earlier in the same pass). Its record says so, and the missed range starts after it.
 */
async function withoutResumedTick(app: App, cadence: Cadence, schedule: Schedule, missed: Missed): Promise<Missed | undefined> {
  const key = missed.first.toISOString();
  const edition = await app.store.findEditionByTick(cadence, key);
  if (!edition) return missed;
  if (await app.store.claimTick(cadence, key, 'sent', app.now())) {
    await app.store.finishTick(cadence, key, { outcome: 'sent', edition: edition.number, detail: 'interrupted; its edition was resumed after a restart' }, app.now());
  }
  if (missed.count <= 1) return undefined;
  return { first: schedule.next(missed.first), last: missed.last, count: missed.count - 1 };
}

/** Ticks of this cadence that came due while its send ran: one log line, recorded, not run. */
async function skipBusyTicks(app: App, { cadence, schedule }: CadenceSchedule, state: CadenceState, ran: Date): Promise<void> {
  const busy = schedule.previous(app.now());
  if (!busy || busy.getTime() <= ran.getTime()) return;
  const count = schedule.countBetween(ran, busy, 10_000);
  app.logger.warn('schedule.skipped-busy', { cadence, count, last: busy.toISOString(), reason: 'the send for an earlier tick was still running' });
  await app.store.claimTick(cadence, busy.toISOString(), 'skipped-busy', app.now());
  state.cursor = busy;
}
