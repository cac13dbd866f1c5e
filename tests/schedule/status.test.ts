import { spawnSync } from 'node:child_process';
import { hostname } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { withSendLease } from '../../src/deliver/lease.js';
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
  it('before anything ran: no edition, the next times of every enabled schedule, a free lease', async () => {
    const { code, output } = await ws.cli('status');
    expect(code).toBe(0);
    expect(output).toContain('Last edition: none yet');
    // Local times in DIGEST_TIMEZONE, with how soon: never UTC ISO strings.
    expect(output).toMatch(/Schedule weekly: "0 8 \* \* 1" in Europe\/Berlin, next Mon, \d{1,2} \w{3} \d{4}, 08:00 (CET|CEST) \(in \d+ (day|hour|minute)s?\); no tick yet/);
    expect(output).not.toMatch(/\d{4}-\d\d-\d\dT/);
    expect(output).toMatch(/Schedule daily: "0 7 \* \* \*" in Europe\/Berlin, next .*; no tick yet/);
    expect(output).not.toContain('Schedule monthly');
    expect(output).toContain('Send lease: free');
  });

  it('after a tick: the edition and its counts, the tick outcome, deferred deliveries and the lease holder', async () => {
    const app = await ws.app();
    await app.store.upsertSubscribers([{ email: 'ada@example.org', status: 'active' }, { email: 'later@example.org', status: 'active' }], new Date(Date.now() - 60_000));
    const tick = new Date(Date.now() - 5 * 60_000);
    expect((await runTick(app, 'weekly', tick, new AbortController().signal)).outcome).toBe('sent');
    let inside = '';
    await withSendLease(app.store, app.now, async () => {
      inside = (await ws.cli('status', '--json')).output;
    });
    await app.close();
    const health = JSON.parse(inside) as Record<string, any>;
    expect(health.lastEdition).toMatchObject({ number: 1, cadence: 'weekly', status: 'sending', tick: tick.toISOString(), counts: { sent: 1, deferred: 1 } });
    expect(health.deferred).toBe(1);
    expect(health.unfinishedEditions).toEqual([1]);
    expect(health.lease).toMatchObject({ pid: process.pid });
    expect(health.schedules.find((s: { cadence: string }) => s.cadence === 'weekly').lastTick).toEqual({ tick: tick.toISOString(), outcome: 'sent', edition: 1 });

    const { output } = await ws.cli('status');
    expect(output).toMatch(/Last edition: #1 \(weekly\), created \w{3}, .* (CET|CEST) \((just now|1 minute ago)\), waiting for a retry at .* \(in \d+ minutes?\), tick /);
    expect(output).not.toContain('sending');
    expect(output).toContain('sent 1 · deferred 1 · failed 0 · uncertain 0');
    expect(output).toMatch(/last tick \w{3}, .* \(5 minutes ago\): sent \(#1\)/);
    expect(output).toContain('Deferred: 1 · Uncertain: 0 · Unfinished editions: #1');
    expect(output).toContain('Send lease: free');
  });

  it('after a send was killed: deliveries in flight are shown as such, and a lease whose process is gone or that expired is called stale', async () => {
    const app = await ws.app();
    await app.store.upsertSubscribers(['a', 'b', 'c', 'd', 'e'].map((n) => ({ email: `${n}@example.org`, status: 'active' as const })), new Date(Date.now() - 60_000));
    expect((await runTick(app, 'weekly', new Date(Date.now() - 60_000), new AbortController().signal)).outcome).toBe('sent');
    // What a process killed mid-send leaves: three claimed, one about to be committed, a lease it never released.
    const db = new Database(join(ws.env.DATA_DIR!, 'digest.sqlite'));
    db.prepare("UPDATE deliveries SET state = 'sending' WHERE email IN ('a@example.org', 'b@example.org', 'c@example.org')").run();
    db.prepare("UPDATE deliveries SET state = 'awaiting' WHERE email = 'd@example.org'").run();
    db.close();
    const gone = spawnSync(process.execPath, ['-e', '']).pid!;
    await app.store.acquireLease('send', { id: 'killed', pid: gone, host: hostname(), processStart: '1' }, 30_000, new Date(), () => false);
    let { output } = await ws.cli('status');
    expect(output).toContain('pending 0 · in flight 4 (sending 3, awaiting 1; may have reached the server)');
    expect(output).toContain(`Send lease: stale (process ${gone} on ${hostname()}`);
    expect(output).toContain('that process is gone or a zombie): the next send takes it over');
    expect(JSON.parse((await ws.cli('status', '--json')).output).lease).toMatchObject({ pid: gone, stale: 'process gone' });
    // A holder elsewhere is judged by its expiry only.
    await app.store.releaseLease('send', 'killed');
    await app.store.acquireLease('send', { id: 'remote', pid: 4242, host: 'elsewhere.example', processStart: '1' }, 1, new Date(Date.now() - 60_000), () => false);
    ({ output } = await ws.cli('status'));
    expect(output).toMatch(/Send lease: stale \(process 4242 on elsewhere\.example, since .* \(\d+ minutes? ago\); expired .* \(\d+ minutes? ago\)\): the next send takes it over/);
    await app.close();
  });
});
