import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { App } from '../../src/app.js';
import type { Logger } from '../../src/logger.js';
import { configuredSchedules } from '../../src/schedule/cadences.js';
import { createScheduler, type Scheduler } from '../../src/schedule/scheduler.js';
import { runTick } from '../../src/schedule/tick.js';
import { runWorker } from '../../src/deliver/worker.js';
import { startSmtpServer, type TestSmtpServer } from '../support/smtp.js';
import { createOnePostWorkspace, post, type Workspace } from '../support/workspace.js';
import { fakeClock, type FakeClock } from './fake-clock.js';

const H = 3_600_000;

interface Recorded {
  level: string;
  event: string;
  fields: Record<string, unknown>;
}

function recordingLogger(): Logger & { events: Recorded[]; named(event: string): Recorded[] } {
  const events: Recorded[] = [];
  const at = (level: string) => (event: string, fields: Record<string, unknown> = {}) => void events.push({ level, event, fields });
  return { events, info: at('info'), warn: at('warn'), error: at('error'), named: (event) => events.filter((e) => e.event === event) };
}

let smtp: TestSmtpServer;
let ws: Workspace;
let clock: FakeClock;
const open: { app: App; scheduler: Scheduler }[] = [];

beforeEach(async () => {
  smtp = await startSmtpServer();
});
afterEach(async () => {
  for (const { app, scheduler } of open.splice(0)) {
    await scheduler.stop();
    await app.close();
  }
  await smtp.close();
  ws.cleanup();
});

function workspace(env: Record<string, string>) {
  ws = createOnePostWorkspace({ SMTP_URL: smtp.url, SMTP_MAX_CONNECTIONS: '1', ...env });
}

async function instance(graceHours = 12, maxSleepMs = 10 * 60_000) {
  const logger = recordingLogger();
  const app = await ws.app({ now: clock.now, logger });
  const scheduler = createScheduler(app, { schedules: configuredSchedules(app.config), graceMs: graceHours * H, clock, maxSleepMs });
  open.push({ app, scheduler });
  return { app, scheduler, logger };
}

async function stopInstance(target: { app: App; scheduler: Scheduler }) {
  await target.scheduler.stop();
  await target.app.close();
  open.splice(open.findIndex((o) => o.app === target.app), 1);
}

async function addSubscribers(app: App, ...emails: string[]) {
  await app.store.upsertSubscribers(emails.map((email) => ({ email, status: 'active' as const })), new Date('2020-01-01T00:00:00Z'));
}

const settle = (...schedulers: Scheduler[]) => async () => void (await Promise.all(schedulers.map((s) => s.settled())));

/**
 * Three readers and a scheduler that is told to stop by the SMTP server at the first recipient of
 * the 08:00 tick: a shutdown in the middle of a send. Resolves once that stop has finished.
 */
async function shutDownDuringTheEightOClockTick(schedule: string, startAt: string) {
  await smtp.close();
  let stopping: Promise<void> | undefined;
  let a: Awaited<ReturnType<typeof instance>> | undefined;
  smtp = await startSmtpServer({ onRcpt: () => void (stopping ??= a?.scheduler.stop()) });
  workspace({ DIGEST_SCHEDULE: schedule, DIGEST_TIMEZONE: 'UTC' });
  clock = fakeClock(startAt);
  a = await instance();
  await addSubscribers(a.app, 'a@example.org', 'b@example.org', 'c@example.org');
  await a.scheduler.start();
  await clock.runUntil('2026-12-01T08:00:00Z', settle(a.scheduler));
  await stopping;
  return a;
}

describe('scheduler on a fake clock (real SQLite, real SMTP)', () => {
  it('sends at the scheduled time, keyed by it; ticks with nothing new send nothing; a new post goes out next tick', async () => {
    workspace({ DIGEST_SCHEDULE: '0 8 * * *', DIGEST_TIMEZONE: 'Europe/Berlin' });
    clock = fakeClock('2026-12-01T06:00:00Z');
    const a = await instance();
    await addSubscribers(a.app, 'ada@example.org');
    await a.scheduler.start();
    await clock.runUntil('2026-12-03T12:00:00Z', settle(a.scheduler));
    expect(smtp.received).toHaveLength(1);
    const editions = await a.app.store.listEditions(10);
    expect(editions.map((e) => [e.number, e.tickKey])).toEqual([[1, '2026-12-01T07:00:00.000Z']]);
    const ticks = await a.app.store.recentTicks(10);
    expect(ticks.map((t) => [t.key, t.outcome])).toEqual([
      ['2026-12-03T07:00:00.000Z', 'nothing-new'],
      ['2026-12-02T07:00:00.000Z', 'nothing-new'],
      ['2026-12-01T07:00:00.000Z', 'sent'],
    ]);
    ws.writePost('fresh.md', post({ title: 'A fresh post', date: '2026-12-03T15:00:00Z' }));
    await clock.runUntil('2026-12-04T12:00:00Z', settle(a.scheduler));
    expect(smtp.received).toHaveLength(2);
    expect(smtp.received[1]?.parsed.subject).toBe('Weekly digest #2: A fresh post');
    expect((await a.app.store.getEdition(2))?.tickKey).toBe('2026-12-04T07:00:00.000Z');
    expect(a.logger.named('schedule.tick').map((e) => e.fields.tick)).toHaveLength(4);
  });

  it('two instances on one database and a restart never produce a second edition for a tick', async () => {
    workspace({ DIGEST_SCHEDULE: '0 8 * * *', DIGEST_TIMEZONE: 'Europe/Berlin' });
    clock = fakeClock('2026-12-01T06:00:00Z');
    const a = await instance();
    const b = await instance();
    await addSubscribers(a.app, 'ada@example.org', 'bob@example.org');
    await Promise.all([a.scheduler.start(), b.scheduler.start()]);
    await clock.runUntil('2026-12-01T07:30:00Z', settle(a.scheduler, b.scheduler));
    expect(smtp.received).toHaveLength(2);
    expect(a.logger.named('schedule.tick').length + b.logger.named('schedule.tick').length).toBe(1);
    expect(a.logger.named('schedule.tick-taken').length + b.logger.named('schedule.tick-taken').length).toBe(1);
    await stopInstance(a);
    await stopInstance(b);
    // A new post, then a restart with the clock set back an hour: the 07:00 tick is not run again.
    ws.writePost('fresh.md', post({ title: 'A fresh post', date: '2026-12-01T05:00:00Z' }));
    clock.set('2026-12-01T06:30:00Z');
    const c = await instance();
    await c.scheduler.start();
    await clock.runUntil('2026-12-01T12:00:00Z', settle(c.scheduler));
    expect(c.logger.named('schedule.tick')).toHaveLength(0);
    expect(await runTick(c.app, 'weekly', new Date('2026-12-01T07:00:00Z'), new AbortController().signal)).toEqual({ outcome: 'taken' });
    expect(smtp.received).toHaveLength(2);
    expect(await c.app.store.listEditions(10)).toHaveLength(1);
  });

  it('catches up a missed tick once on start within the grace window; older misses are logged, not sent', async () => {
    workspace({ DIGEST_SCHEDULE: '0 8 * * *', DIGEST_TIMEZONE: 'Europe/Berlin' });
    clock = fakeClock('2026-12-01T06:00:00Z');
    const a = await instance();
    await addSubscribers(a.app, 'ada@example.org');
    await a.scheduler.start();
    await clock.runUntil('2026-12-01T08:00:00Z', settle(a.scheduler));
    expect(smtp.received).toHaveLength(1);
    await stopInstance(a);

    // Down from 1 to 4 December, 15:00 UTC: three ticks passed; the latest (07:00Z) is 8 h old.
    ws.writePost('while-down.md', post({ title: 'Written while down', date: '2026-12-01T10:00:00Z' }));
    clock.set('2026-12-04T15:00:00Z');
    const b = await instance();
    await b.scheduler.start();
    expect(smtp.received).toHaveLength(2);
    expect(smtp.received[1]?.parsed.subject).toBe('Weekly digest #2: Written while down');
    expect((await b.app.store.getEdition(2))?.tickKey).toBe('2026-12-04T07:00:00.000Z');
    expect(b.logger.named('schedule.missed')[0]?.fields).toMatchObject({ from: '2026-12-02T07:00:00.000Z', to: '2026-12-03T07:00:00.000Z', count: 2 });
    expect(b.logger.named('schedule.caught-up')).toHaveLength(1);
    await stopInstance(b);

    // Down again until 20:00 UTC on the 6th: the latest tick is 13 h old, beyond the 12 h grace.
    ws.writePost('too-late.md', post({ title: 'Waits for the next tick', date: '2026-12-04T16:00:00Z' }));
    clock.set('2026-12-06T20:00:00Z');
    const c = await instance();
    await c.scheduler.start();
    expect(smtp.received).toHaveLength(2);
    expect(c.logger.named('schedule.missed')[0]?.fields).toMatchObject({ from: '2026-12-05T07:00:00.000Z', to: '2026-12-06T07:00:00.000Z', count: 2 });
    expect((await c.app.store.lastTick('weekly'))?.outcome).toBe('missed');
    await clock.runUntil('2026-12-07T08:00:00Z', settle(c.scheduler));
    expect(smtp.received).toHaveLength(3);
    expect(smtp.received[2]?.parsed.subject).toBe('Weekly digest #3: Waits for the next tick');
  });

  it('a clock jumping forward by days runs one tick, not a burst', async () => {
    workspace({ DIGEST_SCHEDULE: '0 * * * *' });
    clock = fakeClock('2026-12-01T06:30:00Z');
    const a = await instance();
    await addSubscribers(a.app, 'ada@example.org');
    await a.scheduler.start();
    clock.set('2026-12-04T06:30:00Z');
    a.scheduler.wake();
    await a.scheduler.settled();
    expect(a.logger.named('schedule.tick').map((e) => e.fields.tick)).toEqual(['2026-12-04T06:00:00.000Z']);
    expect(a.logger.named('schedule.missed')[0]?.fields.count).toBe(71);
    expect(smtp.received).toHaveLength(1);
  });

  it('with delivery left to workers (digest start --no-worker), a tick only prepares its edition; a worker then delivers it', async () => {
    workspace({ DIGEST_SCHEDULE: '0 8 * * *', DIGEST_TIMEZONE: 'UTC' });
    clock = fakeClock('2026-12-01T07:59:50Z');
    const logger = recordingLogger();
    const app = await ws.app({ now: clock.now, logger });
    const scheduler = createScheduler(app, { schedules: configuredSchedules(app.config), graceMs: 12 * H, clock, deliver: false });
    open.push({ app, scheduler });
    await addSubscribers(app, 'ada@example.org', 'bob@example.org');
    await scheduler.start();
    await clock.runUntil('2026-12-01T08:00:10Z', settle(scheduler));
    expect(await app.store.lastTick('weekly')).toMatchObject({ key: '2026-12-01T08:00:00.000Z', outcome: 'prepared', edition: 1 });
    expect(await app.store.countDeliveries(1)).toMatchObject({ pending: 2, sent: 0 });
    expect(smtp.received).toHaveLength(0);
    const stop = new AbortController();
    const worker = runWorker(app, stop.signal);
    for (let i = 0; i < 200 && (await app.store.getEdition(1))?.status !== 'complete'; i += 1) await new Promise((resolve) => setTimeout(resolve, 50));
    stop.abort();
    await worker;
    expect(smtp.received.map((r) => r.to[0]).sort()).toEqual(['ada@example.org', 'bob@example.org']);
    expect(await app.store.listWorkers()).toEqual([]);
  });
});

describe('several cadences', () => {
  it('weekly and daily due at the same minute: each gets its own edition, one after the other, to its own readers', async () => {
    workspace({ DIGEST_SCHEDULE: '0 8 * * 1', DIGEST_DAILY_SCHEDULE: '0 8 * * *', DIGEST_TIMEZONE: 'UTC' });
    clock = fakeClock('2026-11-30T07:59:00Z'); // a Monday
    const a = await instance();
    await a.app.store.upsertSubscribers(
      [
        { email: 'weekly@example.org', status: 'active', cadence: 'weekly' },
        { email: 'daily@example.org', status: 'active', cadence: 'daily' },
      ],
      new Date('2020-01-01T00:00:00Z'),
    );
    await a.scheduler.start();
    await clock.runUntil('2026-12-01T09:00:00Z', settle(a.scheduler));
    // The text part's second line names cadence and edition ("Weekly digest #1 · <date>").
    const editionLine = (r: { parsed: { text?: string | undefined } }) => r.parsed.text?.split('\n')[1]?.split(' · ')[0];
    expect(smtp.to('weekly@example.org').map(editionLine)).toEqual(['Weekly digest #1']);
    expect(smtp.to('daily@example.org').map(editionLine)).toEqual(['Daily digest #2']);
    const ticks = (await a.app.store.recentTicks(10)).map((t) => [t.cadence, t.key, t.outcome]);
    expect(ticks).toEqual(
      expect.arrayContaining([
        ['weekly', '2026-11-30T08:00:00.000Z', 'sent'],
        ['daily', '2026-11-30T08:00:00.000Z', 'sent'],
        ['daily', '2026-12-01T08:00:00.000Z', 'nothing-new'],
      ]),
    );
    expect(ticks).toHaveLength(3);
  });
});

describe('ticks that come due while their own send runs', () => {
  it('are skipped with one log line, not queued up', async () => {
    await smtp.close();
    // Each recipient takes two (fake) minutes, so a three-recipient send spans six ticks.
    smtp = await startSmtpServer({ onRcpt: () => void clock.set(new Date(clock.now().getTime() + 120_000)) });
    workspace({ DIGEST_SCHEDULE: '* * * * *', DIGEST_TIMEZONE: 'UTC' });
    clock = fakeClock('2026-12-01T08:00:30Z');
    const a = await instance();
    await addSubscribers(a.app, 'a@example.org', 'b@example.org', 'c@example.org');
    await a.scheduler.start();
    await clock.runUntil('2026-12-01T08:01:00Z', settle(a.scheduler));
    expect(clock.now().toISOString()).toBe('2026-12-01T08:07:00.000Z');
    expect(a.logger.named('schedule.skipped-busy').map((e) => e.fields)).toEqual([
      { cadence: 'weekly', count: 6, last: '2026-12-01T08:07:00.000Z', reason: 'the send for an earlier tick was still running' },
    ]);
    await clock.runUntil('2026-12-01T08:09:30Z', settle(a.scheduler));
    const ticks = (await a.app.store.recentTicks(10)).map((t) => [t.key.slice(11, 16), t.outcome]);
    expect(ticks).toEqual([
      ['08:09', 'nothing-new'],
      ['08:08', 'nothing-new'],
      ['08:07', 'skipped-busy'],
      ['08:01', 'sent'],
    ]);
    expect(smtp.received).toHaveLength(3);
  });
});

describe('shutdown in the middle of a tick', () => {
  it('stops after the message on the wire; a restart finishes the edition and the tick, each reader once', async () => {
    const a = await shutDownDuringTheEightOClockTick('0 8 * * *', '2026-12-01T07:59:00Z');
    // Messages already started finish (the delivery runs two workers per connection); no new ones start.
    const first = smtp.received.length;
    expect(first).toBeGreaterThanOrEqual(1);
    expect(first).toBeLessThan(3);
    expect(await a.app.store.lastTick('weekly')).toMatchObject({ key: '2026-12-01T08:00:00.000Z', outcome: 'interrupted', edition: 1 });
    expect(await a.app.store.countDeliveries(1)).toMatchObject({ sent: first, pending: 3 - first, sending: 0, awaiting: 0 });
    await stopInstance(a);

    clock.set('2026-12-01T08:05:00Z');
    const b = await instance();
    await b.scheduler.start();
    expect(smtp.received.map((r) => r.to[0]).sort()).toEqual(['a@example.org', 'b@example.org', 'c@example.org']);
    expect(await b.app.store.lastTick('weekly')).toMatchObject({ key: '2026-12-01T08:00:00.000Z', outcome: 'sent', edition: 1 });
    expect(await b.app.store.listEditions(10)).toHaveLength(1);
  });
});

describe('missed and caught-up ticks after a restart', () => {
  it('an interrupted tick whose edition is resumed is not counted missed; only the ticks after it are', async () => {
    const a = await shutDownDuringTheEightOClockTick('* * * * *', '2026-12-01T07:59:30Z');
    expect(await a.app.store.lastTick('weekly')).toMatchObject({ key: '2026-12-01T08:00:00.000Z', outcome: 'interrupted', edition: 1 });
    await stopInstance(a);

    clock.set('2026-12-01T08:03:30Z');
    const b = await instance();
    await b.scheduler.start();
    expect(smtp.received.map((r) => r.to[0]).sort()).toEqual(['a@example.org', 'b@example.org', 'c@example.org']);
    expect(b.logger.named('schedule.missed').map((e) => e.fields)).toEqual([
      { cadence: 'weekly', from: '2026-12-01T08:01:00.000Z', to: '2026-12-01T08:02:00.000Z', count: 2, graceHours: 12 },
    ]);
    const ticks = (await b.app.store.recentTicks(10)).map((t) => [t.key.slice(11, 16), t.outcome, t.edition]);
    expect(ticks).toContainEqual(['08:00', 'sent', 1]);
    expect(b.logger.named('schedule.caught-up').map((e) => e.fields)).toMatchObject([{ tick: '2026-12-01T08:03:00.000Z', lateSeconds: 30 }]);
  });

  it('schedule.caught-up is logged when a tick runs more than 5 s late, with how late; not within the slack', async () => {
    workspace({ DIGEST_SCHEDULE: '0 8 * * *', DIGEST_TIMEZONE: 'UTC' });
    clock = fakeClock('2026-12-01T07:59:00Z');
    const a = await instance();
    await a.scheduler.start();
    await stopInstance(a);
    clock.set('2026-12-01T08:00:03Z');
    const b = await instance();
    await b.scheduler.start();
    expect(b.logger.named('schedule.tick').map((e) => e.fields.tick)).toEqual(['2026-12-01T08:00:00.000Z']);
    expect(b.logger.named('schedule.caught-up')).toHaveLength(0);
    await stopInstance(b);
    clock.set('2026-12-02T08:00:10Z');
    const c = await instance();
    await c.scheduler.start();
    expect(c.logger.named('schedule.caught-up').map((e) => e.fields)).toMatchObject([{ cadence: 'weekly', tick: '2026-12-02T08:00:00.000Z', lateSeconds: 10 }]);
  });
});

describe('a tick that fails', () => {

  it('with the SMTP server down, is retried every few minutes within the grace window and sends once it is back', async () => {
    const port = smtp.port;
    await smtp.close(); // down at tick time
    workspace({ DIGEST_SCHEDULE: '0 8 * * *', DIGEST_TIMEZONE: 'UTC' });
    clock = fakeClock('2026-12-01T07:59:00Z');
    const a = await instance();
    await addSubscribers(a.app, 'ada@example.org');
    await a.scheduler.start();
    await clock.runUntil('2026-12-01T08:07:00Z', settle(a.scheduler));
    expect(a.logger.named('schedule.failed').map((e) => String(e.fields.detail))).toEqual([
      expect.stringContaining('ECONNREFUSED'),
      expect.stringContaining('ECONNREFUSED'),
    ]);
    expect(a.logger.named('schedule.retry-later')[0]?.fields).toMatchObject({ tick: '2026-12-01T08:00:00.000Z', at: '2026-12-01T08:05:00.000Z' });
    expect(await a.app.store.lastTick('weekly')).toMatchObject({ key: '2026-12-01T08:00:00.000Z', outcome: 'failed' });
    smtp = await startSmtpServer({ port }); // back
    await clock.runUntil('2026-12-01T08:30:00Z', settle(a.scheduler));
    expect(smtp.received).toHaveLength(1);
    expect(await a.app.store.lastTick('weekly')).toMatchObject({ key: '2026-12-01T08:00:00.000Z', outcome: 'sent', edition: 1 });
  });
});

describe('unfinished editions between ticks', () => {
  it('a deferred delivery is retried by the running scheduler before the next tick, without a new edition', async () => {
    await smtp.close();
    let refusals = 0;
    smtp = await startSmtpServer({ onRcpt: (to) => (to === 'later@example.org' && refusals++ === 0 ? { code: 451, message: '4.7.1 Greylisted, try again later' } : undefined) });
    workspace({ DIGEST_SCHEDULE: '0 8 * * 1', DIGEST_TIMEZONE: 'UTC', SMTP_RETRY_ATTEMPTS: '1' });
    clock = fakeClock('2026-11-30T07:59:00Z'); // a Monday
    const a = await instance();
    await addSubscribers(a.app, 'ada@example.org', 'later@example.org');
    await a.scheduler.start();
    await clock.runUntil('2026-11-30T08:01:00Z', settle(a.scheduler));
    expect(smtp.to('ada@example.org')).toHaveLength(1);
    expect(smtp.to('later@example.org')).toHaveLength(0);
    expect((await a.app.store.getEdition(1))?.status).toBe('sending');
    await clock.runUntil('2026-11-30T09:00:00Z', settle(a.scheduler));
    expect(smtp.to('later@example.org')).toHaveLength(1);
    expect(smtp.to('ada@example.org')).toHaveLength(1);
    expect((await a.app.store.getEdition(1))?.status).toBe('complete');
    expect(await a.app.store.listEditions(10)).toHaveLength(1);
    expect(a.logger.named('schedule.tick')).toHaveLength(1);
    expect(a.logger.named('schedule.resume').length).toBeGreaterThanOrEqual(1);
  });
});

describe('daylight-saving time on a fake clock: exactly one run per local day', () => {
  const localDay = (iso: string, zone: string) => new Intl.DateTimeFormat('en-CA', { timeZone: zone, dateStyle: 'short' }).format(new Date(iso));

  // The day of the change runs once: in the spring gap shifted forward by the gap (03:30 summer
  // time), in the autumn repeat at the first pass (summer time).
  for (const [zone, expr, from, to, onChangeDay] of [
    ['Europe/Berlin', '30 2 * * *', '2026-03-27T12:00:00Z', '2026-03-31T12:00:00Z', '2026-03-29T01:30:00.000Z'],
    ['Europe/Berlin', '30 2 * * *', '2026-10-23T12:00:00Z', '2026-10-27T12:00:00Z', '2026-10-25T00:30:00.000Z'],
    ['America/New_York', '30 2 * * *', '2026-03-06T12:00:00Z', '2026-03-10T12:00:00Z', '2026-03-08T07:30:00.000Z'],
    ['America/New_York', '30 1 * * *', '2026-10-30T12:00:00Z', '2026-11-03T12:00:00Z', '2026-11-01T05:30:00.000Z'],
  ] as const) {
    it(`${zone} "${expr}" from ${from.slice(0, 10)}`, async () => {
      workspace({ DIGEST_SCHEDULE: expr, DIGEST_TIMEZONE: zone });
      clock = fakeClock(from);
      // Waking every 10 minutes instead of every minute keeps four fake days fast.
      const a = await instance(12, 10 * 60_000);
      await a.scheduler.start();
      await clock.runUntil(to, settle(a.scheduler));
      const ticks = (await a.app.store.recentTicks(100)).map((t) => t.key).reverse();
      const days = ticks.map((t) => localDay(t, zone));
      expect(days).toHaveLength(4);
      expect(new Set(days).size).toBe(4);
      expect(ticks[1]).toBe(onChangeDay);
      expect(a.logger.named('schedule.missed')).toHaveLength(0);
    });
  }
});
