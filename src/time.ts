import { offsetAt } from './schedule/zone.js';

/** Calendar helpers that respect the configured time zone without a date library. */

/** Midnight at the start of a calendar day in `zone`. */
export function startOfDayIn(year: number, month: number, day: number, zone: string): Date {
  const guess = Date.UTC(year, month - 1, day);
  const first = guess - offsetMinutesMs(guess, zone);
  // A second pass settles days on which the offset changes.
  return new Date(guess - offsetMinutesMs(first, zone));
}

/** The zone's offset at the instant, rounded to whole minutes (old local mean times have seconds). */
function offsetMinutesMs(instantMs: number, zone: string): number {
  return Math.round(offsetAt(instantMs, zone) / 60_000) * 60_000;
}

/** "Monday, 30 November 2026" in the given zone. */
export function formatLongDate(instant: Date, zone: string): string {
  return new Intl.DateTimeFormat('en-GB', { timeZone: zone, weekday: 'long', day: 'numeric', month: 'long', year: 'numeric' }).format(
    instant,
  );
}

/** "24 May 2023", "22 September 2022" in the given zone. */
export function formatShortDate(instant: Date, zone: string): string {
  return new Intl.DateTimeFormat('en-GB', { timeZone: zone, day: 'numeric', month: 'long', year: 'numeric' }).format(instant);
}

const DATE_ONLY = /^(\d{4})-(\d{2})-(\d{2})$/;
const DATE_TIME = /^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.\d+)?)?(Z|[+-]\d{2}:?\d{2})$/;

/**
 * Parses `2023-05-24` (midnight in `zone`) or `2023-05-24T09:30:00+02:00`. Impossible dates such as
 * 2024-13-40 or 2023-02-30 are refused rather than rolled over.
 */
export function parsePostDate(value: string, zone: string): Date | undefined {
  const dateOnly = DATE_ONLY.exec(value);
  if (dateOnly) {
    const [y, m, d] = [Number(dateOnly[1]), Number(dateOnly[2]), Number(dateOnly[3])];
    return isCalendarDate(y, m, d) ? startOfDayIn(y, m, d, zone) : undefined;
  }
  const dateTime = DATE_TIME.exec(value);
  if (!dateTime) return undefined;
  const [y, m, d, hh, mm, ss] = [1, 2, 3, 4, 5, 6].map((i) => Number(dateTime[i] ?? 0)) as [number, number, number, number, number, number];
  if (!isCalendarDate(y, m, d) || hh > 23 || mm > 59 || ss > 59) return undefined;
  const parsed = new Date(value.replace(' ', 'T'));
  return Number.isNaN(parsed.getTime()) ? undefined : parsed;
}

function isCalendarDate(year: number, month: number, day: number): boolean {
  if (month < 1 || month > 12 || day < 1) return false;
  return day <= new Date(Date.UTC(year, month, 0)).getUTCDate();
}

/** "Mon 7 Dec 2026, 08:00 CET" in the given zone: how `digest status` shows an instant. */
export function formatLocalTime(instant: Date, zone: string): string {
  return new Intl.DateTimeFormat('en-GB', { timeZone: zone, weekday: 'short', day: 'numeric', month: 'short', year: 'numeric', hour: '2-digit', minute: '2-digit', hourCycle: 'h23', timeZoneName: 'short' }).format(instant);
}

/** "3 hours ago", "in 5 days", "just now": the distance from `now`, in its largest whole unit. */
export function describeAge(instant: Date, now: Date): string {
  const ms = instant.getTime() - now.getTime();
  const units: [string, number][] = [['day', 86_400_000], ['hour', 3_600_000], ['minute', 60_000]];
  for (const [unit, size] of units) {
    const count = Math.floor(Math.abs(ms) / size);
    if (count >= 1) return ms < 0 ? `${count} ${unit}${count === 1 ? '' : 's'} ago` : `in ${count} ${unit}${count === 1 ? '' : 's'}`;
  }
  return ms < 0 ? 'just now' : 'in less than a minute';
}
