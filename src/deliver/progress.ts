import type { Logger } from '../logger.js';
import { drawLiveLine, finishLiveLine } from '../terminal-line.js';
import type { Tally } from './deliver.js';

/**
 * Progress of a send. On a terminal: one line on stderr, redrawn at most ten times a second
 * (sent / deferred / failed, rate, ETA). Otherwise: a structured `send.progress` log line every
 * few seconds. The summary at the end is the CLI's job.
 */
export interface Progress {
  update(tally: Tally): void;
  finish(tally: Tally): void;
}

export interface ProgressOptions {
  total: number;
  logger: Logger;
  tty?: NodeJS.WriteStream | undefined;
  clock?: () => number;
  logEveryMs?: number;
}

export function createProgress(options: ProgressOptions): Progress {
  const clock = options.clock ?? (() => Date.now());
  const started = clock();
  const interval = options.tty ? 100 : (options.logEveryMs ?? 5000);
  let last = options.tty ? 0 : started;
  const figures = (tally: Tally) => {
    const done = tally.sent + tally.failed + tally.skipped + tally.uncertain + tally.deferred;
    const seconds = Math.max(0.001, (clock() - started) / 1000);
    const rate = tally.sent / seconds;
    const left = Math.max(0, options.total - done);
    return { done, rate, etaSeconds: rate > 0 ? Math.round(left / rate) : undefined };
  };
  const draw = (tally: Tally, final: boolean) => {
    const { done, rate, etaSeconds } = figures(tally);
    if (options.tty) {
      const width = 24;
      const filled = options.total > 0 ? Math.min(width, Math.round((done / options.total) * width)) : width;
      const eta = final ? 'done' : etaSeconds === undefined ? 'ETA –' : `ETA ${formatDuration(etaSeconds)}`;
      const bar = `[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${done}/${options.total} · sent ${tally.sent} · deferred ${tally.deferred} · failed ${tally.failed} · ${Math.round(rate)} msg/s · ${eta}`;
      (final ? finishLiveLine : drawLiveLine)(options.tty, bar);
    } else {
      options.logger.info('send.progress', { total: options.total, done, ...countsOf(tally), perSecond: Math.round(rate), etaSeconds });
    }
  };
  return {
    update(tally) {
      const now = clock();
      if (now - last < interval) return;
      last = now;
      draw(tally, false);
    },
    finish(tally) {
      if (options.tty || last > started) draw(tally, true);
    },
  };
}

function countsOf(tally: Tally) {
  return { sent: tally.sent, deferred: tally.deferred, failed: tally.failed, skipped: tally.skipped, uncertain: tally.uncertain };
}

export function formatDuration(seconds: number): string {
  if (seconds < 60) return `${seconds}s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) return `${minutes}m${String(seconds % 60).padStart(2, '0')}s`;
  return `${Math.floor(minutes / 60)}h${String(minutes % 60).padStart(2, '0')}m`;
}
