/** Calendar helpers that respect the configured time zone without a date library. */

/** The offset of `zone` from UTC at `instant`, in minutes (Berlin in winter: +60). */
export function zoneOffsetMinutes(instant: Date, zone: string): number {
  const parts = new Intl.DateTimeFormat('en-US', {
    timeZone: zone,
    hourCycle: 'h23',
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
    hour: '2-digit',
    minute: '2-digit',
    second: '2-digit',
  }).formatToParts(instant);
  const get = (type: string) => Number(parts.find((p) => p.type === type)?.value ?? 0);
  const asUtc = Date.UTC(get('year'), get('month') - 1, get('day'), get('hour'), get('minute'), get('second'));
  return Math.round((asUtc - Math.floor(instant.getTime() / 1000) * 1000) / 60_000);
}

/** Midnight at the start of a calendar day in `zone`. */
export function startOfDayIn(year: number, month: number, day: number, zone: string): Date {
  const guess = Date.UTC(year, month - 1, day);
  const first = guess - zoneOffsetMinutes(new Date(guess), zone) * 60_000;
  // A second pass settles days on which the offset changes.
  return new Date(guess - zoneOffsetMinutes(new Date(first), zone) * 60_000);
}

/** "Monday, 30 November 2026" in the given zone. */
export function formatLongDate(instant: Date, zone: string): string {
  return new Intl.DateTimeFormat('en-GB', { timeZone: zone, weekday: 'long', day: 'numeric', month: 'long', year: 'numeric' }).format(
    instant,
  );
}

/** "24 May 2023" in the given zone. */
export function formatShortDate(instant: Date, zone: string): string {
  return new Intl.DateTimeFormat('en-GB', { timeZone: zone, day: 'numeric', month: 'short', year: 'numeric' }).format(instant);
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
