import { createRequire } from 'node:module';
import type { CronExpressionParser as Parser } from 'cron-parser';

// cron-parser (with luxon) takes about 50 ms to import, and every command validates the
// configuration: it is loaded only for an expression that needs describing.
let parser: typeof Parser | undefined;
const cronParser = () => (parser ??= (createRequire(import.meta.url)('cron-parser') as typeof import('cron-parser')).CronExpressionParser);

/**
 * A six-field cron expression is read with seconds first ("0 0 8 * * 1" = Mondays 08:00:00). One
 * that ends in `*` or `?` could as well be five fields plus a trailing year, as some schedulers
 * write them: "0 8 * * 1 *" reads as every hour at :08 in January, not Mondays at 08:00. Such an
 * expression is refused, with both meanings spelled out, instead of guessing.
 */
export function ambiguousSixFields(expression: string): string | undefined {
  const fields = expression.trim().split(/\s+/);
  if (fields.length !== 6 || !['*', '?'].includes(fields[5] ?? '')) return undefined;
  const fiveFields = fields.slice(0, 5).join(' ');
  const asWritten = describeCron(expression);
  const asFive = describeCron(fiveFields);
  if (!asWritten || !asFive) return undefined;
  return `has six fields, so it is read with seconds first and means "${asWritten}"; if you meant "${asFive}", write the five fields "${fiveFields}" instead. (Six fields that end in * or ? are refused: they read both ways.)`;
}

const MONTHS = ['January', 'February', 'March', 'April', 'May', 'June', 'July', 'August', 'September', 'October', 'November', 'December'];
const WEEKDAYS = ['Sunday', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday', 'Sunday'];

/** A plain-words reading of a cron expression ("at 08:00 on Monday"), or undefined if it does not parse. */
export function describeCron(expression: string): string | undefined {
  try {
    const f = cronParser().parse(expression, { tz: 'UTC' }).fields;
    const minutes = f.minute.values.map(Number);
    const hours = f.hour.values.map(Number);
    const seconds = f.second.values.map(Number);
    const time = describeTime(hours, minutes, f.hour.isWildcard, f.minute.isWildcard);
    const second = seconds.length === 1 && seconds[0] === 0 ? '' : ` (second ${seconds.join(', ')})`;
    return `${time}${second}, ${describeDays(f)}${f.month.isWildcard ? '' : ` in ${f.month.values.map((m) => MONTHS[Number(m) - 1]).join(', ')}`}`;
  } catch {
    return undefined;
  }
}

function describeTime(hours: number[], minutes: number[], everyHour: boolean, everyMinute: boolean): string {
  const pad = (n: number) => String(n).padStart(2, '0');
  if (everyHour && everyMinute) return 'every minute';
  if (everyHour) return `every hour at :${minutes.map(pad).join(', :')}`;
  if (hours.length * minutes.length <= 6) return `at ${hours.flatMap((h) => minutes.map((m) => `${pad(h)}:${pad(m)}`)).join(', ')}`;
  return `at minute ${minutes.join(', ')} of hours ${hours.join(', ')}`;
}

function describeDays(f: ReturnType<typeof Parser.parse>['fields']): string {
  const weekdays = [...new Set(f.dayOfWeek.values.map((d) => WEEKDAYS[Number(d)]))].join(', ');
  const days = f.dayOfMonth.values.join(', ');
  if (f.dayOfMonth.isWildcard && f.dayOfWeek.isWildcard) return 'every day';
  if (f.dayOfMonth.isWildcard) return `on ${weekdays}`;
  if (f.dayOfWeek.isWildcard) return `on day ${days} of the month`;
  return `on day ${days} of the month or on ${weekdays}`;
}
