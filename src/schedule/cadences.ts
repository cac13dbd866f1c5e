import { invalidConfig, type Config } from '../config.js';
import { isDigestError } from '../errors.js';
import { compileSchedule } from './occurrences.js';
import type { CadenceSchedule } from './scheduler.js';

/** DIGEST_SCHEDULE drives the weekly edition; the daily and monthly ones run only when set. */
export function configuredSchedules(config: Config): CadenceSchedule[] {
  const entries: [CadenceSchedule['cadence'], string, string | undefined][] = [
    ['weekly', 'DIGEST_SCHEDULE', config.schedule],
    ['daily', 'DIGEST_DAILY_SCHEDULE', config.dailySchedule],
    ['monthly', 'DIGEST_MONTHLY_SCHEDULE', config.monthlySchedule],
  ];
  return entries.flatMap(([cadence, variable, expression]) => {
    if (!expression) return [];
    try {
      const schedule = compileSchedule(expression, config.timezone);
      schedule.next(new Date()); // an expression that never comes round fails here, not at the first tick
      return [{ cadence, schedule }];
    } catch (error) {
      if (!isDigestError(error)) throw error;
      throw invalidConfig([`${variable} ${error.message.replace(/^The schedule /, '')} (got ${JSON.stringify(expression)})`]);
    }
  });
}

export const graceMsOf = (config: Config) => config.catchUpGraceHours * 3_600_000;
