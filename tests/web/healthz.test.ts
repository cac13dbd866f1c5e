import { describe, expect, it } from 'vitest';
import { compileSchedule } from '../../src/schedule/occurrences.js';
import type { Health } from '../../src/schedule/health.js';
import { judgeHealth } from '../../src/web/healthz.js';

/** The /healthz verdict over plain data: the clock is the `now` in the data, never the wall clock. */
const weekly = [{ cadence: 'weekly' as const, schedule: compileSchedule('0 8 * * 1', 'UTC') }];
const MONDAY_8 = '2026-11-30T08:00:00.000Z';

function health(now: string, overrides: Partial<Health> = {}): Health {
  return {
    ok: true,
    now,
    lastEdition: null,
    schedules: [{ cadence: 'weekly', expression: '0 8 * * 1', timezone: 'UTC', next: '2026-12-07T08:00:00.000Z', lastTick: { tick: MONDAY_8, outcome: 'sent', edition: 1 } }],
    deferred: 0,
    uncertain: 0,
    unfinishedEditions: [],
    nextRetry: null,
    workers: [],
    openEditions: [],
    feeds: [],
    bounces: [],
    ...overrides,
  };
}
const noTick = (h: Health): Health => ({ ...h, schedules: h.schedules.map((s) => ({ ...s, lastTick: null })) });
const since = { ticksExpectedSince: new Date('2026-11-29T00:00:00Z') };

describe('the scheduler check', () => {
  it('healthy when the due tick is on record', () => {
    expect(judgeHealth(health('2026-11-30T09:00:00Z'), weekly, since)).toEqual({ ok: true, checks: { database: 'ok', scheduler: 'ok', editions: 'ok' } });
  });

  it('a tick due while the scheduler ran, and not on record, is a missed tick', () => {
    expect(judgeHealth(noTick(health('2026-11-30T09:00:00Z')), weekly, since)).toMatchObject({ ok: false, checks: { scheduler: 'missed a tick' } });
  });

  it('a tick still within its slack is not missed yet', () => {
    expect(judgeHealth(noTick(health('2026-11-30T08:01:00Z')), weekly, since).ok).toBe(true);
  });

  it('a tick due before this process started is not judged (the start-up catch-up handles it)', () => {
    expect(judgeHealth(noTick(health('2026-11-30T09:00:00Z')), weekly, { ticksExpectedSince: new Date('2026-11-30T08:30:00Z') }).ok).toBe(true);
  });

  it('without a scheduler in the process (digest serve) ticks are not judged', () => {
    expect(judgeHealth(noTick(health('2026-11-30T09:00:00Z')), weekly, {}).ok).toBe(true);
  });
});

describe('the editions check', () => {
  const unfinished = (now: string, extra: Partial<Health> = {}) =>
    health(now, { lastEdition: { number: 1, cadence: 'weekly', createdAt: MONDAY_8, status: 'sending', tick: MONDAY_8, counts: {} as never }, unfinishedEditions: [1], ...extra });

  it('an unfinished edition nobody is sending, with no retry to come, is stuck after an hour', () => {
    expect(judgeHealth(unfinished('2026-11-30T08:30:00Z'), weekly, {}).ok).toBe(true);
    expect(judgeHealth(unfinished('2026-11-30T09:30:00Z'), weekly, {})).toMatchObject({ ok: false, checks: { editions: 'stuck' } });
  });

  it('waiting for a deferred retry is not stuck', () => {
    expect(judgeHealth(unfinished('2026-11-30T12:00:00Z', { nextRetry: '2026-11-30T12:30:00Z' }), weekly, {}).ok).toBe(true);
  });

  it('a live worker holding rows is sending it (not stuck); a dead worker holding rows is not', () => {
    const worker = { id: 'w1', host: 'h', pid: 1, startedAt: MONDAY_8, heartbeatAgeSeconds: 1, claimed: 3 };
    expect(judgeHealth(unfinished('2026-11-30T12:00:00Z', { workers: [{ ...worker, dead: null }] }), weekly, {}).ok).toBe(true);
    expect(judgeHealth(unfinished('2026-11-30T12:00:00Z', { workers: [{ ...worker, dead: 'process gone' }] }), weekly, {}).ok).toBe(false);
    expect(judgeHealth(unfinished('2026-11-30T12:00:00Z', { workers: [{ ...worker, claimed: 0, dead: null }] }), weekly, {}).ok).toBe(false);
  });
});
