import { describe, expect, it } from 'vitest';
import { compileSchedule } from '../../src/schedule/occurrences.js';
import { MAX_SLEEP_MS, planDue, sleepUntil } from '../../src/schedule/plan.js';

const H = 3_600_000;
const daily = compileSchedule('0 8 * * *', 'Europe/Berlin'); // 07:00Z in winter
const at = (s: string) => new Date(s);

describe('planDue', () => {
  it('nothing is due before the next occurrence', () => {
    expect(planDue(daily, at('2026-12-01T07:00:00Z'), at('2026-12-02T06:59:59Z'), 12 * H)).toEqual({ run: undefined, missed: undefined });
  });

  it('the occurrence itself is due at its instant, keyed by the scheduled time even when woken late', () => {
    const plan = planDue(daily, at('2026-12-01T07:00:00Z'), at('2026-12-02T07:00:04.321Z'), 12 * H);
    expect(plan.run?.toISOString()).toBe('2026-12-02T07:00:00.000Z');
    expect(plan.missed).toBeUndefined();
  });

  it('after an outage, only the latest tick runs (within grace); earlier ones are reported missed, no burst', () => {
    const plan = planDue(daily, at('2026-12-01T07:00:00Z'), at('2026-12-05T09:00:00Z'), 12 * H);
    expect(plan.run?.toISOString()).toBe('2026-12-05T07:00:00.000Z');
    expect(plan.missed).toEqual({ first: at('2026-12-02T07:00:00Z'), last: at('2026-12-04T07:00:00Z'), count: 3 });
  });

  it('a latest tick older than the grace window is not run, only reported', () => {
    const plan = planDue(daily, at('2026-12-01T07:00:00Z'), at('2026-12-02T20:00:00Z'), 12 * H);
    expect(plan.run).toBeUndefined();
    expect(plan.missed).toEqual({ first: at('2026-12-02T07:00:00Z'), last: at('2026-12-02T07:00:00Z'), count: 1 });
    expect(planDue(daily, at('2026-12-01T07:00:00Z'), at('2026-12-02T19:00:00Z'), 12 * H).run?.toISOString()).toBe('2026-12-02T07:00:00.000Z');
  });

  it('a grace of 0 never catches up', () => {
    expect(planDue(daily, at('2026-12-01T07:00:00Z'), at('2026-12-02T07:00:01Z'), 0).run).toBeUndefined();
  });

  it('a clock jumping back finds nothing due again', () => {
    expect(planDue(daily, at('2026-12-02T07:00:00Z'), at('2026-12-02T06:00:00Z'), 12 * H)).toEqual({ run: undefined, missed: undefined });
  });

  it('counts missed ticks of a fast schedule up to a cap, without listing them', () => {
    const fast = compileSchedule('*/3 * * * * *', 'UTC');
    const plan = planDue(fast, at('2026-01-01T00:00:00Z'), at('2026-01-01T00:01:00Z'), 12 * H);
    expect(plan.run?.toISOString()).toBe('2026-01-01T00:01:00.000Z');
    expect(plan.missed?.count).toBe(19);
  });
});

describe('sleepUntil', () => {
  it('sleeps until the next occurrence, but never longer than a minute (a monthly wait exceeds setTimeout)', () => {
    expect(sleepUntil(at('2026-01-01T00:00:05Z'), at('2026-01-01T00:00:00Z'))).toBe(5000);
    expect(sleepUntil(at('2026-02-01T00:00:00Z'), at('2026-01-01T00:00:00Z'))).toBe(MAX_SLEEP_MS);
    expect(sleepUntil(at('2025-12-31T00:00:00Z'), at('2026-01-01T00:00:00Z'))).toBe(0);
  });
});
