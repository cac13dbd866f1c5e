/**
 * Wall-clock arithmetic for one IANA zone. A "wall" time is the local date and time written as if it
 * were UTC (milliseconds), so calendar stepping never meets daylight-saving time; turning a wall
 * time back into instants is where DST is decided, in one place.
 */
const HOUR = 3_600_000;
/** Further than any DST shift is long: the mapping between wall and instant is plain outside it. */
export const DST_MARGIN_MS = 3 * HOUR;

const formatters = new Map<string, Intl.DateTimeFormat>();

function formatter(zone: string): Intl.DateTimeFormat {
  let found = formatters.get(zone);
  if (!found) {
    found = new Intl.DateTimeFormat('en-US', {
      timeZone: zone,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
    });
    formatters.set(zone, found);
  }
  return found;
}

/** The local wall time of `instantMs` in `zone`, as fake-UTC milliseconds. */
export function wallOf(instantMs: number, zone: string): number {
  const parts = formatter(zone).formatToParts(new Date(instantMs));
  const get = (type: string) => Number(parts.find((p) => p.type === type)?.value ?? 0);
  const wholeSeconds = Date.UTC(get('year'), get('month') - 1, get('day'), get('hour'), get('minute'), get('second'));
  return wholeSeconds + (((instantMs % 1000) + 1000) % 1000);
}

/** Offset of `zone` from UTC at `instantMs`, in milliseconds (Berlin in winter: +3 600 000). */
export function offsetAt(instantMs: number, zone: string): number {
  return wallOf(instantMs, zone) - instantMs;
}

/** True when no offset change lies within DST_MARGIN_MS of the instant. */
export function offsetSteadyAround(instantMs: number, zone: string): boolean {
  const here = offsetAt(instantMs, zone);
  return offsetAt(instantMs - DST_MARGIN_MS, zone) === here && offsetAt(instantMs + DST_MARGIN_MS, zone) === here;
}

export interface WallInstants {
  /** Every instant at which the clock shows this wall time: none (gap), one, or two (repeat). */
  instants: number[];
  /** For a wall time in a spring-forward gap: the same time shifted forward by the gap's length. */
  shifted?: number;
}

/** The instants at which the local clock in `zone` reads `wallMs`. */
export function instantsOf(wallMs: number, zone: string): WallInstants {
  const offsets = new Set([offsetAt(wallMs - DST_MARGIN_MS, zone), offsetAt(wallMs + DST_MARGIN_MS, zone)]);
  const instants = [...offsets]
    .map((offset) => wallMs - offset)
    .filter((instant) => offsetAt(instant, zone) === wallMs - instant)
    .sort((a, b) => a - b);
  if (instants.length > 0) return { instants };
  // In the gap: read with the offset from before the change, the instant lands after it, which is
  // the wall time moved forward by the length of the gap (02:30 in Berlin's gap → 03:30 CEST).
  const before = offsetAt(wallMs - DST_MARGIN_MS, zone);
  return { instants: [], shifted: wallMs - before };
}
