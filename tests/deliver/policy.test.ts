import { createLogger } from '../../src/logger.js';
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

/** What a terminal shows for the bytes written: \r returns to the start, ESC[K clears to the end, \n starts a line. */
function screen(bytes: string): string[] {
  const lines = [''];
  let column = 0;
  for (const part of bytes.split(/(\r|\n|\x1b\[K)/)) {
    const row = lines.length - 1;
    if (part === '\r') column = 0;
    else if (part === '\n') {
      lines.push('');
      column = 0;
    } else if (part === '\x1b[K') lines[row] = lines[row]!.slice(0, column);
    else {
      lines[row] = lines[row]!.slice(0, column) + part + lines[row]!.slice(column + part.length);
      column += part.length;
    }
  }
  return lines;
}

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
    expect(written[0]).toMatch(/^\r\x1b\[K\[##\.+\] 100\/1000 · sent 100 · deferred 0 · failed 0 · 1000 msg\/s · ETA 1s/);
    expect(written[1]).toContain('sent 900 · deferred 5 · failed 1 · 900 msg/s · ETA 0s');
    expect(written[2]).toMatch(/done\n$/);
  });

  it('a log line written while the bar shows gets its own line, and the bar is drawn again below it', () => {
    let now = 0;
    const written: string[] = [];
    const tty = { write: (s: string) => written.push(s) } as unknown as NodeJS.WriteStream;
    const logger = createLogger({ level: 'info', pretty: true, stream: tty });
    const progress = createProgress({ total: 10, logger, tty, clock: () => now });
    now = 200;
    progress.update(tally(5));
    logger.warn('delivery.deferred', { edition: 1 });
    now = 400;
    progress.finish(tally(10));
    expect(screen(written.join(''))).toEqual(['! delivery.deferred edition=1', expect.stringMatching(/^\[#+\] 10\/10 · sent 10 .* done$/), '']);
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
