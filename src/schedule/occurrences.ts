import { CronExpressionParser } from 'cron-parser';
import { ConfigError } from '../errors.js';
import { DST_MARGIN_MS, instantsOf, offsetSteadyAround, wallOf } from './zone.js';

/**
 * The occurrences of a cron expression in a time zone. cron-parser only steps through calendar
 * fields here (in UTC, where there is no daylight-saving time); which instants a local time
 * stands for is decided by zone.ts, the same way forwards and backwards. cron-parser's own zone
 * handling is not used: its prev() skips the spring-forward day and finds both autumn 02:30s.
 *
 * Daylight-saving rule (as classic cron): a schedule with fixed hours runs once per matching local
 * time — in the spring-forward gap it runs shifted forward by the gap (02:30 → 03:30 summer time),
 * in the autumn repeat only the first time. A schedule that matches every hour follows real time:
 * nothing in the gap (those hours do not exist) and both passes of the repeated hour.
 */
export interface Schedule {
  expression: string;
  zone: string;
  /** The first occurrence strictly after `after`. */
  next(after: Date): Date;
  /** The last occurrence at or before `atOrBefore`; undefined if none within the search bound. */
  previous(atOrBefore: Date): Date | undefined;
  /** How many occurrences lie in (from, to], counting at most `cap`. */
  countBetween(from: Date, to: Date, cap: number): number;
}

/** Upper bound on calendar steps per search, so an expression that never matches cannot hang. */
const MAX_STEPS = 200_000;

export function compileSchedule(expression: string, zone: string): Schedule {
  const walls = (fromWall: number) => {
    try {
      return CronExpressionParser.parse(expression, { tz: 'UTC', currentDate: new Date(fromWall) });
    } catch (cause) {
      throw new ConfigError('CONFIG_INVALID', `The schedule "${expression}" is not a cron expression cron-parser understands.`, { cause });
    }
  };
  const everyHour = walls(0).fields.hour.values.length === 24;
  const instantsFor = (wall: number): number[] => {
    const { instants, shifted } = instantsOf(wall, zone);
    if (everyHour) return instants;
    if (shifted !== undefined) return [shifted];
    return instants.slice(0, 1);
  };
  const margin = (instant: number) => (offsetSteadyAround(instant, zone) ? 0 : DST_MARGIN_MS);

  function next(after: Date): Date {
    const t = after.getTime();
    const iterator = walls(wallOf(t, zone) - margin(t) - 1000);
    let best: number | undefined;
    let stopAfterWall = Infinity;
    for (let step = 0; step < MAX_STEPS; step += 1) {
      const wall = iterator.next().getTime();
      if (wall > stopAfterWall) break;
      for (const instant of instantsFor(wall)) {
        if (instant > t && (best === undefined || instant < best)) {
          best = instant;
          stopAfterWall = wallOf(best, zone) + margin(best);
        }
      }
    }
    if (best === undefined) throw new ConfigError('CONFIG_INVALID', `The schedule "${expression}" never comes round (no occurrence found).`);
    return new Date(best);
  }

  function previous(atOrBefore: Date): Date | undefined {
    const t = atOrBefore.getTime();
    const iterator = walls(wallOf(t, zone) + margin(t) + 1000);
    let best: number | undefined;
    let stopBeforeWall = -Infinity;
    for (let step = 0; step < MAX_STEPS; step += 1) {
      let wall: number;
      try {
        wall = iterator.prev().getTime();
      } catch {
        break;
      }
      if (wall < stopBeforeWall) break;
      for (const instant of instantsFor(wall)) {
        if (instant <= t && (best === undefined || instant > best)) {
          best = instant;
          stopBeforeWall = wallOf(best, zone) - margin(best);
        }
      }
    }
    return best === undefined ? undefined : new Date(best);
  }

  function countBetween(from: Date, to: Date, cap: number): number {
    let count = 0;
    for (let at = next(from); at.getTime() <= to.getTime() && count < cap; at = next(at)) count += 1;
    return count;
  }

  return { expression, zone, next, previous, countBetween };
}
