import { spawnSync } from 'node:child_process';
import { hostname } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runTick } from '../../src/schedule/tick.js';
import { startSmtpServer, type TestSmtpServer } from '../support/smtp.js';
import { createWorkspace, type Workspace } from '../support/workspace.js';

let smtp: TestSmtpServer;
let ws: Workspace;

beforeEach(async () => {
  smtp = await startSmtpServer({ onRcpt: (address) => (address.startsWith('later') ? { code: 451, message: '4.7.1 Try again later' } : undefined) });
  ws = createWorkspace({ SMTP_URL: smtp.url, SMTP_RETRY_ATTEMPTS: '1', DIGEST_SCHEDULE: '0 8 * * 1', DIGEST_DAILY_SCHEDULE: '0 7 * * *', DIGEST_TIMEZONE: 'Europe/Berlin' });
});
afterEach(async () => {
  await smtp.close();
  ws.cleanup();
});

describe('digest status', () => {
  it('before anything ran: no edition, the next times of every enabled schedule, no worker', async () => {
    const { code, output } = await ws.cli('status');
    expect(code).toBe(0);
    expect(output).toContain('Last edition: none yet');
    // Local times in DIGEST_TIMEZONE, with how soon: never UTC ISO strings.
    expect(output).toMatch(/Schedule weekly: "0 8 \* \* 1" in Europe\/Berlin, next Mon, \d{1,2} \w{3} \d{4}, 08:00 (CET|CEST) \(in \d+ (day|hour|minute)s?\); no tick yet/);
    expect(output).not.toMatch(/\d{4}-\d\d-\d\dT/);
    expect(output).toMatch(/Schedule daily: "0 7 \* \* \*" in Europe\/Berlin, next .*; no tick yet/);
    expect(output).not.toContain('Schedule monthly');
    expect(output).toContain('Workers: none running');
  });

  it('after a tick: the edition and its counts, the tick outcome, deferred deliveries, the rows of the open edition and a running worker', async () => {
    const app = await ws.app();
    await app.store.upsertSubscribers([{ email: 'ada@example.org', status: 'active' }, { email: 'later@example.org', status: 'active' }], new Date(Date.now() - 60_000));
    const tick = new Date(Date.now() - 5 * 60_000);
    expect((await runTick(app, 'weekly', tick, new AbortController().signal)).outcome).toBe('sent');
    await app.store.registerWorker({ id: 'w1', host: 'mail-2.example.org', pid: 4242, processStart: '1' });
    const inside = (await ws.cli('status', '--json')).output;
    const health = JSON.parse(inside) as Record<string, any>;
    expect(health.lastEdition).toMatchObject({ number: 1, cadence: 'weekly', status: 'sending', tick: tick.toISOString(), counts: { sent: 1, deferred: 1 } });
    expect(health.deferred).toBe(1);
    expect(health.unfinishedEditions).toEqual([1]);
    expect(health.workers).toEqual([expect.objectContaining({ host: 'mail-2.example.org', pid: 4242, claimed: 0, dead: null })]);
    expect(health.openEditions).toEqual([{ number: 1, cadence: 'weekly', counts: expect.objectContaining({ sent: 1, deferred: 1, pending: 0 }) }]);
    expect(health.schedules.find((s: { cadence: string }) => s.cadence === 'weekly').lastTick).toEqual({ tick: tick.toISOString(), outcome: 'sent', edition: 1 });

    const { output } = await ws.cli('status');
    expect(output).toMatch(/Last edition: #1 \(weekly\), created \w{3}, .* (CET|CEST) \((just now|1 minute ago)\), waiting for a retry at .* \(in \d+ minutes?\), tick /);
    // The edition line says what it waits for, not "sending" (no worker holds rows of it).
    expect(output.split('\n')[0]).not.toContain('sending');
    expect(output).toContain('sent 1 · deferred 1 · failed 0 · uncertain 0');
    expect(output).toMatch(/last tick \w{3}, .* \(5 minutes ago\): sent \(#1\)/);
    expect(output).toContain('Deferred: 1 · Uncertain: 0 · Unfinished editions: #1');
    expect(output).toContain('Open edition #1 (weekly): pending 0 · sending 0 · awaiting 0 · deferred 1 · sent 1');
    expect(output).toMatch(/Workers: 1\n  mail-2\.example\.org pid 4242: heartbeat \d+(\.\d)?s ago, 0 rows claimed, since /);
    await app.store.deregisterWorker('w1', new Date());
    expect((await ws.cli('status')).output).toContain('Workers: none running');
    await app.close();
  });

  it('after a send was killed: its rows in flight are shown as such, and its worker as dead (process gone) with the rows it holds', async () => {
    const app = await ws.app();
    await app.store.upsertSubscribers(['a', 'b', 'c', 'd', 'e'].map((n) => ({ email: `${n}@example.org`, status: 'active' as const })), new Date(Date.now() - 60_000));
    expect((await runTick(app, 'weekly', new Date(Date.now() - 60_000), new AbortController().signal)).outcome).toBe('sent');
    // What a process killed mid-send leaves: the edition still open, three claimed, one about to be
    // committed, its worker row.
    const gone = spawnSync(process.execPath, ['-e', '']).pid!;
    await app.store.registerWorker({ id: 'killed', host: hostname(), pid: gone, processStart: '1' });
    const db = new Database(join(ws.env.DATA_DIR!, 'digest.sqlite'));
    db.prepare("UPDATE editions SET status = 'sending', completed_at = NULL, final_counts = NULL WHERE number = 1").run();
    db.prepare("UPDATE deliveries SET state = 'sending', worker_id = 'killed' WHERE email IN ('a@example.org', 'b@example.org', 'c@example.org')").run();
    db.prepare("UPDATE deliveries SET state = 'awaiting', worker_id = 'killed' WHERE email = 'd@example.org'").run();
    db.close();
    const { output } = await ws.cli('status');
    expect(output).toContain('pending 0 · in flight 4 (sending 3, awaiting 1; may have reached the server)');
    expect(output).toContain(`${hostname()} pid ${gone}: heartbeat`);
    expect(output).toContain('4 rows claimed');
    expect(output).toContain('its process is gone: the next recovery takes its rows back');
    expect(JSON.parse((await ws.cli('status', '--json')).output).workers).toEqual([expect.objectContaining({ pid: gone, claimed: 4, dead: 'process gone' })]);
    await app.close();
  });
});
