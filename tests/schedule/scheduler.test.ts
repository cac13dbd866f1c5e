import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { App } from '../../src/app.js';
import type { Logger } from '../../src/logger.js';
import { configuredSchedules } from '../../src/schedule/cadences.js';
import { createScheduler, type Scheduler } from '../../src/schedule/scheduler.js';
import { runTick } from '../../src/schedule/tick.js';
import { runWorker } from '../../src/deliver/worker.js';
import { startSmtpServer, type TestSmtpServer } from '../support/smtp.js';
import { createWorkspace, post, type Workspace } from '../support/workspace.js';
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
  ws = createWorkspace({ SMTP_URL: smtp.url, SMTP_MAX_CONNECTIONS: '1', ...env });
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
