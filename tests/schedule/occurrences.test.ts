import { CronExpressionParser } from 'cron-parser';
import { describe, expect, it } from 'vitest';
import { compileSchedule } from '../../src/schedule/occurrences.js';

const iso = (d: Date | undefined) => d?.toISOString();

/** Every occurrence in [from, to), walking forward with next(). */
function forward(expr: string, zone: string, from: string, to: string): string[] {
  const s = compileSchedule(expr, zone);
  const out: string[] = [];
  for (let at = s.next(new Date(new Date(from).getTime() - 1)); at < new Date(to); at = s.next(at)) out.push(at.toISOString());
  return out;
}

/** The same range walking backward with previous(): must give the same list. */
function backward(expr: string, zone: string, from: string, to: string): string[] {
  const s = compileSchedule(expr, zone);
  const out: string[] = [];
  for (let at = s.previous(new Date(new Date(to).getTime() - 1)); at && at >= new Date(from); at = s.previous(new Date(at.getTime() - 1))) out.unshift(at.toISOString());
  return out;
}

describe('schedule occurrences in a time zone', () => {
  it('steps a weekly schedule in the zone, not in UTC', () => {
    const s = compileSchedule('0 8 * * 1', 'Europe/Berlin');
    expect(iso(s.next(new Date('2026-11-25T12:00:00Z')))).toBe('2026-11-30T07:00:00.000Z'); // Monday 08:00 CET
    expect(iso(s.next(new Date('2026-06-25T12:00:00Z')))).toBe('2026-06-29T06:00:00.000Z'); // Monday 08:00 CEST
    expect(iso(s.previous(new Date('2026-11-30T07:00:00Z')))).toBe('2026-11-30T07:00:00.000Z'); // at-or-before includes the instant
    expect(iso(s.next(new Date('2026-11-30T07:00:00Z')))).toBe('2026-12-07T07:00:00.000Z'); // next is strictly after
  });

  it('handles six-field schedules with seconds', () => {
    expect(forward('*/3 * * * * *', 'UTC', '2026-01-01T00:00:00Z', '2026-01-01T00:00:10Z')).toEqual([
      '2026-01-01T00:00:00.000Z',
      '2026-01-01T00:00:03.000Z',
      '2026-01-01T00:00:06.000Z',
      '2026-01-01T00:00:09.000Z',
    ]);
  });

  describe('Europe/Berlin, 02:30 daily', () => {
    it('spring-forward gap (29 March 2026, 02:00→03:00): runs once, at 03:30 CEST', () => {
      const runs = forward('30 2 * * *', 'Europe/Berlin', '2026-03-28T00:00:00Z', '2026-03-31T00:00:00Z');
      expect(runs).toEqual(['2026-03-28T01:30:00.000Z', '2026-03-29T01:30:00.000Z', '2026-03-30T00:30:00.000Z']);
      expect(backward('30 2 * * *', 'Europe/Berlin', '2026-03-28T00:00:00Z', '2026-03-31T00:00:00Z')).toEqual(runs);
    });

    it('autumn repeat (25 October 2026, 03:00→02:00): runs once, at the first 02:30', () => {
      const runs = forward('30 2 * * *', 'Europe/Berlin', '2026-10-24T00:00:00Z', '2026-10-27T00:00:00Z');
      expect(runs).toEqual(['2026-10-24T00:30:00.000Z', '2026-10-25T00:30:00.000Z', '2026-10-26T01:30:00.000Z']);
      expect(backward('30 2 * * *', 'Europe/Berlin', '2026-10-24T00:00:00Z', '2026-10-27T00:00:00Z')).toEqual(runs);
    });

    it('a process (re)starting between the two 02:30s does not run the second one', () => {
      const s = compileSchedule('30 2 * * *', 'Europe/Berlin');
      expect(iso(s.next(new Date('2026-10-25T00:45:00Z')))).toBe('2026-10-26T01:30:00.000Z');
      expect(iso(s.previous(new Date('2026-10-25T01:45:00Z')))).toBe('2026-10-25T00:30:00.000Z');
    });

    it('an hourly schedule follows real time: no run in the missing hour, both runs in the repeated one', () => {
      expect(forward('15 * * * *', 'Europe/Berlin', '2026-03-29T00:00:00Z', '2026-03-29T03:00:00Z')).toEqual([
        '2026-03-29T00:15:00.000Z', // 01:15 CET
        '2026-03-29T01:15:00.000Z', // 03:15 CEST (02:15 does not exist)
        '2026-03-29T02:15:00.000Z',
      ]);
      const autumn = forward('15 * * * *', 'Europe/Berlin', '2026-10-24T23:00:00Z', '2026-10-25T03:00:00Z');
      expect(autumn).toEqual(['2026-10-24T23:15:00.000Z', '2026-10-25T00:15:00.000Z', '2026-10-25T01:15:00.000Z', '2026-10-25T02:15:00.000Z']);
      expect(backward('15 * * * *', 'Europe/Berlin', '2026-10-24T23:00:00Z', '2026-10-25T03:00:00Z')).toEqual(autumn);
    });
  });

  describe('America/New_York', () => {
    it('spring-forward gap (8 March 2026): 02:30 runs once, at 03:30 EDT', () => {
      expect(forward('30 2 * * *', 'America/New_York', '2026-03-07T00:00:00Z', '2026-03-10T00:00:00Z')).toEqual([
        '2026-03-07T07:30:00.000Z',
        '2026-03-08T07:30:00.000Z',
        '2026-03-09T06:30:00.000Z',
      ]);
    });

    it('autumn repeat (1 November 2026): 01:30 runs once, at 01:30 EDT', () => {
      const runs = forward('30 1 * * *', 'America/New_York', '2026-10-31T00:00:00Z', '2026-11-03T00:00:00Z');
      expect(runs).toEqual(['2026-10-31T05:30:00.000Z', '2026-11-01T05:30:00.000Z', '2026-11-02T06:30:00.000Z']);
      expect(backward('30 1 * * *', 'America/New_York', '2026-10-31T00:00:00Z', '2026-11-03T00:00:00Z')).toEqual(runs);
    });
  });

  it('documents why cron-parser is not asked about zones directly: its prev() disagrees with next()', () => {
    const prev = (from: string) => CronExpressionParser.parse('30 2 * * *', { tz: 'Europe/Berlin', currentDate: new Date(from) }).prev().toDate().toISOString();
    // Spring: next() runs on 29 March at 01:30Z, but prev() from later that day skips the day.
    expect(prev('2026-03-29T03:00:00Z')).toBe('2026-03-28T01:30:00.000Z');
    // Autumn: prev() finds the second 02:30 (CET) that next() never runs.
    expect(prev('2026-10-25T03:00:00Z')).toBe('2026-10-25T01:30:00.000Z');
  });
});
