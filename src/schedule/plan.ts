import type { Schedule } from './occurrences.js';

/**
 * Pure decision of what is due: given the last scheduled time already handled, the time now and
 * the grace window, which one tick (if any) to run and which ticks to log as missed. However many
 * ticks passed, at most one runs — the latest, and only if it is within the grace window — so a
 * long outage, a suspended machine or a clock jumping forward never causes a burst of editions.
 */
export interface Missed {
  first: Date;
  last: Date;
  /** Counted up to MISSED_COUNT_CAP. */
  count: number;
}

export interface DuePlan {
  run: Date | undefined;
  missed: Missed | undefined;
}

export const MISSED_COUNT_CAP = 10_000;

export function planDue(schedule: Schedule, handledUpTo: Date, now: Date, graceMs: number): DuePlan {
  const latest = schedule.previous(now);
  if (!latest || latest.getTime() <= handledUpTo.getTime()) return { run: undefined, missed: undefined };
  const run = now.getTime() - latest.getTime() <= graceMs ? latest : undefined;
  const lastMissed = run ? schedule.previous(new Date(latest.getTime() - 1)) : latest;
  if (!lastMissed || lastMissed.getTime() <= handledUpTo.getTime()) return { run, missed: undefined };
  const first = schedule.next(handledUpTo);
  return { run, missed: { first, last: lastMissed, count: schedule.countBetween(handledUpTo, lastMissed, MISSED_COUNT_CAP) } };
}

/** Waking up at most this often re-checks the clock, so a jump or a very long wait is noticed. */
export const MAX_SLEEP_MS = 60_000;

export function sleepUntil(next: Date, now: Date, maxSleepMs = MAX_SLEEP_MS): number {
  return Math.max(0, Math.min(next.getTime() - now.getTime(), maxSleepMs));
}
