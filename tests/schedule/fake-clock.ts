import type { Clock } from '../../src/schedule/clock.js';

/**
 * A clock tests move by hand. Timers fire only when the test advances time past them; `runUntil`
 * jumps from timer to timer (as a real process would wake) and waits for the scheduler to settle
 * after each, so the work a tick starts is finished before time moves on.
 */
export interface FakeClock extends Clock {
  set(at: Date | string): void;
  runUntil(end: Date | string, settled: () => Promise<void>): Promise<number>;
  pendingTimers(): number;
}

export function fakeClock(start: Date | string): FakeClock {
  let now = new Date(start).getTime();
  let timers: { at: number; fn: () => void; id: number }[] = [];
  let ids = 0;
  return {
    now: () => new Date(now),
    setTimer(fn, ms) {
      const id = (ids += 1);
      timers.push({ at: now + ms, fn, id });
      return () => {
        timers = timers.filter((t) => t.id !== id);
      };
    },
    set(at) {
      now = new Date(at).getTime();
    },
    async runUntil(end, settled) {
      const stop = new Date(end).getTime();
      let fired = 0;
      for (;;) {
        timers.sort((a, b) => a.at - b.at);
        const due = timers[0];
        if (!due || due.at > stop) break;
        now = Math.max(now, due.at);
        // Everything due at this instant fires before any of it settles, as in two real processes.
        const batch = timers.filter((t) => t.at <= now);
        timers = timers.filter((t) => t.at > now);
        for (const timer of batch) timer.fn();
        fired += batch.length;
        await settled();
      }
      now = Math.max(now, stop);
      return fired;
    },
    pendingTimers: () => timers.length,
  };
}
