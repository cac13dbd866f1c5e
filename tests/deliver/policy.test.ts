import { describe, expect, it } from 'vitest';
import { backoffMs, DEFAULT_POLICY } from '../../src/deliver/policy.js';
import { createProgress, formatDuration } from '../../src/deliver/progress.js';
import type { Tally } from '../../src/deliver/deliver.js';

const policy = { ...DEFAULT_POLICY, baseDelayMs: 1000, maxDelayMs: 8000 };

describe('backoff', () => {
  it('doubles per attempt around the base, with ±50 % jitter, capped', () => {
    expect([2, 3, 4, 5, 6].map((n) => backoffMs(policy, n, () => 0.5))).toEqual([1000, 2000, 4000, 8000, 8000]);
    expect(backoffMs(policy, 3, () => 0)).toBe(1000);
    expect(backoffMs(policy, 3, () => 0.999)).toBe(2998);
  });

  it('spreads retries: different random draws give different delays', () => {
    const delays = new Set(Array.from({ length: 20 }, (_, i) => backoffMs(policy, 2, () => i / 20)));
    expect(delays.size).toBe(20);
  });
});

describe('progress', () => {
  const tally = (sent: number, deferred = 0, failed = 0): Tally => ({ sent, deferred, failed, skipped: 0, uncertain: 0 });

  it('on a terminal: one redrawn line with counts, rate and ETA, at most ten times a second', () => {
    let now = 0;
    const written: string[] = [];
    const tty = { write: (s: string) => written.push(s) } as unknown as NodeJS.WriteStream;
    const progress = createProgress({ total: 1000, logger: { info() {}, warn() {}, error() {} }, tty, clock: () => now });
    now = 50;
    progress.update(tally(50));
    now = 100;
    progress.update(tally(100));
    now = 150;
    progress.update(tally(150));
    now = 1000;
    progress.update(tally(900, 5, 1));
    progress.finish(tally(994, 5, 1));
    expect(written).toHaveLength(3);
    expect(written[0]).toMatch(/^\r\[##\.+\] 100\/1000 · sent 100 · deferred 0 · failed 0 · 1000 msg\/s · ETA 1s/);
    expect(written[1]).toContain('sent 900 · deferred 5 · failed 1 · 900 msg/s · ETA 0s');
    expect(written[2]).toMatch(/done\x1b\[K\n$/);
  });

  it('elsewhere: structured log lines every few seconds', () => {
    let now = 0;
    const lines: [string, Record<string, unknown> | undefined][] = [];
    const logger = { info: (event: string, fields?: Record<string, unknown>) => lines.push([event, fields]), warn() {}, error() {} };
    const progress = createProgress({ total: 100, logger, clock: () => now, logEveryMs: 5000 });
    now = 1000;
    progress.update(tally(10));
    now = 6000;
    progress.update(tally(60));
    progress.finish(tally(100));
    expect(lines.map(([event]) => event)).toEqual(['send.progress', 'send.progress']);
    expect(lines[0]![1]).toMatchObject({ total: 100, done: 60, sent: 60, perSecond: 10, etaSeconds: 4 });
  });

  it('formats durations', () => {
    expect([5, 65, 3725].map(formatDuration)).toEqual(['5s', '1m05s', '1h02m']);
  });
});
