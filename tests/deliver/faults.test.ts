import { afterEach, describe, expect, it } from 'vitest';
import { startScriptedServer, type ScriptOptions, type ScriptedServer } from '../support/scripted-smtp.js';
import { createOnePostWorkspace, type Workspace } from '../support/workspace.js';
import { addresses, addSubscribers, fakeTime, ledger, send, states, subscriberStatus } from './helpers.js';

/**
 * The delivery engine against scripted SMTP faults. Each test checks who received how many
 * messages (per the server) and the final ledger state of every delivery.
 */
let server: ScriptedServer;
let ws: Workspace;

afterEach(async () => {
  await server?.close();
  ws?.cleanup();
});

async function setup(script: ScriptOptions, recipients: string[], env: Record<string, string> = {}) {
  server = await startScriptedServer(script);
  ws = createOnePostWorkspace({ SMTP_URL: server.url, SMTP_MAX_CONNECTIONS: '2', ...env });
  await addSubscribers(ws, recipients);
}

const messageId = (data: Buffer) => /^Message-ID: (.*)$/im.exec(data.toString())?.[1];

function expectEachAcceptedOnce(list: string[]) {
  for (const address of list) expect(server.accepted(address), address).toHaveLength(1);
}

describe('delivery engine under SMTP faults', () => {
  it('421 in the middle of a batch: that message is retried in the run; everyone gets exactly one', async () => {
    let mails = 0;
    const list = addresses(20);
    await setup({ mail: () => ((mails += 1) === 8 ? '421 4.7.0 too busy, closing' : undefined) }, list);
    const time = fakeTime();
    const report = await send(ws, { app: { now: time.now }, tuning: time.tuning() });
    expect(report.tally).toMatchObject({ sent: 20, deferred: 0, failed: 0 });
    expect(report.complete).toBe(true);
    expectEachAcceptedOnce(list);
    const rows = [...ledger(ws).values()];
    expect(rows.every((r) => r.state === 'sent')).toBe(true);
    expect(rows.filter((r) => r.attempts === 2)).toHaveLength(1);
  });

  it('450 for one recipient: retried with backoff up to the attempt limit, then left deferred for a later run', async () => {
    const list = addresses(5);
    let busy = true;
    const rcpts: string[] = [];
    await setup({ rcpt: (to) => (rcpts.push(to), busy && to === list[2] ? '450 4.2.1 mailbox busy' : undefined) }, list);
    const time = fakeTime();
    const first = await send(ws, { app: { now: time.now }, tuning: time.tuning({ attempts: 3 }) });
    expect(first.tally).toMatchObject({ sent: 4, deferred: 1 });
    expect(first.complete).toBe(false);
    expect(rcpts.filter((a) => a === list[2])).toHaveLength(3);
    expect(ledger(ws).get(list[2]!)).toMatchObject({ state: 'deferred', attempts: 3, last_error: '450 4.2.1 mailbox busy' });
    // Too early: nothing is retried.
    expect((await send(ws, { app: { now: time.now }, tuning: time.tuning() })).tally.sent).toBe(0);
    busy = false;
    time.advance(60 * 60_000);
    const later = await send(ws, { app: { now: time.now }, tuning: time.tuning() });
    expect(later).toMatchObject({ resumed: true, complete: true, tally: { sent: 1 } });
    expectEachAcceptedOnce(list);
    expect(states(ws)).toEqual({ sent: 5 });
  });

  it('550 is failed and never retried; a 5.1.x hard bounce also marks the subscriber bounced', async () => {
    const list = addresses(4);
    const replies: Record<string, string> = { [list[1]!]: '550 5.1.1 no such user', [list[2]!]: '550 5.7.1 rejected by policy' };
    const rcpts: string[] = [];
    await setup({ rcpt: (to) => (rcpts.push(to), replies[to]) }, list);
    const time = fakeTime();
    const report = await send(ws, { app: { now: time.now }, tuning: time.tuning() });
    expect(report.tally).toMatchObject({ sent: 2, failed: 2, deferred: 0 });
    expect(report.complete).toBe(true);
    expect(rcpts.filter((a) => a === list[1] || a === list[2])).toHaveLength(2);
    expect(ledger(ws).get(list[1]!)).toMatchObject({ state: 'failed', attempts: 1 });
    expect(subscriberStatus(ws, list[1]!)).toBe('bounced');
    expect(subscriberStatus(ws, list[2]!)).toBe('active');
    expect(server.accepted(list[1]!).length + server.accepted(list[2]!).length).toBe(0);
  });

  it('connection reset before the final dot: deferred and retried; after it, with UNCERTAIN_RESEND=never: uncertain, reported, never resent', async () => {
    const list = addresses(6);
    let dataResets = 0;
    await setup(
      {
        data: (to) => (to[0] === list[1] && (dataResets += 1) === 1 ? 'reset' : undefined),
        dot: (m) => (m.to[0] === list[4] ? 'reset' : undefined),
      },
      list,
      { UNCERTAIN_RESEND: 'never' },
    );
    const time = fakeTime();
    const report = await send(ws, { app: { now: time.now }, tuning: time.tuning() });
    expect(report.tally).toMatchObject({ sent: 5, uncertain: 1, deferred: 0 });
    expect(report.uncertain?.map((d) => d.email)).toEqual([list[4]]);
    expect(server.accepted(list[1]!)).toHaveLength(1);
    expect(ledger(ws).get(list[1]!)).toMatchObject({ state: 'sent', attempts: 2 });
    expect(ledger(ws).get(list[4]!)).toMatchObject({ state: 'uncertain', attempts: 1 });
    expect(server.dots(list[4]!)).toHaveLength(1);
    // The next run does not resend it.
    time.advance(3_600_000);
    await send(ws, { app: { now: time.now }, tuning: time.tuning() });
    expect(server.dots(list[4]!)).toHaveLength(1);
    expectEachAcceptedOnce(list.filter((a) => a !== list[4]));
  });

  it('uncertain (every byte sent, no answer): resent once with the same Message-ID in the run; uncertain again stays uncertain and is listed by digest status', async () => {
    const list = addresses(4);
    const closes = new Map<string, number>();
    // list[1]: no answer the first time only; list[2]: never an answer.
    const silent = (to: string) => (to === list[2] ? true : (closes.set(to, (closes.get(to) ?? 0) + 1), to === list[1] && closes.get(to) === 1));
    await setup({ dot: (m) => (silent(m.to[0]!) ? 'reset' : undefined) }, list, { UNCERTAIN_STOP_AFTER: '10' });
    const time = fakeTime();
    const report = await send(ws, { app: { now: time.now }, tuning: time.tuning() });
    expect(report.tally).toMatchObject({ sent: 3, uncertain: 1 });
    expect(report.tally.stopped).toBeUndefined();
    const resent = server.dots(list[1]!);
    expect(resent).toHaveLength(2);
    expect(messageId(resent[0]!.data)).toBe(messageId(resent[1]!.data));
    expect(ledger(ws).get(list[1]!)).toMatchObject({ state: 'sent', attempts: 2 });
    expect(server.dots(list[2]!)).toHaveLength(2);
    expect(ledger(ws).get(list[2]!)).toMatchObject({ state: 'uncertain', attempts: 2, last_error: expect.stringMatching(/^every byte was sent/) });
    // A later run leaves it alone; digest status names it, with both attempts.
    time.advance(3_600_000);
    await send(ws, { app: { now: time.now }, tuning: time.tuning() });
    expect(server.dots(list[2]!)).toHaveLength(2);
    const status = await ws.cli('status');
    expect(status.output).toMatch(new RegExp(`Stayed uncertain[\\s\\S]*${list[2]!.replace(/[.]/g, '\\.')} <e1\\.s\\d+\\.[0-9a-f]{16}@example\\.org> — 2 attempts: first every byte was sent`));
  });

  it('UNCERTAIN_STOP_AFTER uncertain results stop the run as a network fault; the rest is left pending and resent later', async () => {
    const list = addresses(12);
    let down = true;
    await setup({ dot: () => (down ? 'reset' : undefined) }, list, { SMTP_MAX_CONNECTIONS: '1', UNCERTAIN_STOP_AFTER: '3' });
    const time = fakeTime();
    const first = await send(ws, { app: { now: time.now }, tuning: time.tuning({ attempts: 1 }) });
    expect(first.tally.stopped).toMatch(/^3 sends in this run ended uncertain .*network fault, not bad luck; the rest is left for the next run/);
    expect(first.complete).toBe(false);
    const counts = states(ws);
    // The uncertain ones (three, or four with one more already in flight) wait for their one
    // resend (deferred); the others were never tried.
    const tried = server.messages.length;
    expect(tried).toBeGreaterThanOrEqual(3);
    expect(tried).toBeLessThanOrEqual(4);
    expect(counts.deferred).toBe(tried);
    expect(counts.pending).toBe(first.tally.leftPending);
    expect((counts.pending ?? 0) + (counts.deferred ?? 0)).toBe(12);
    down = false;
    time.advance(3_600_000);
    const second = await send(ws, { app: { now: time.now }, tuning: time.tuning() });
    expect(second.complete).toBe(true);
    expect(states(ws)).toEqual({ sent: 12 });
    expect(server.messages.filter((m) => m.reply === '')).toHaveLength(tried);
  });

  it('a server that closes silently after M messages per connection: everyone still gets exactly one', async () => {
    const list = addresses(30);
    await setup({ closeAfter: 3 }, list);
    const time = fakeTime();
    const report = await send(ws, { app: { now: time.now }, tuning: time.tuning() });
    expect(report.tally).toMatchObject({ sent: 30, deferred: 0, uncertain: 0 });
    expectEachAcceptedOnce(list);
    expect(server.connections).toBeGreaterThanOrEqual(10);
    expect(states(ws)).toEqual({ sent: 30 });
  });

  it('535 on AUTH aborts before any RCPT, with a clear error and no delivery recorded', async () => {
    server = await startScriptedServer({ auth: () => '535 5.7.8 authentication failed' });
    ws = createOnePostWorkspace({ SMTP_URL: `smtp://user:wrong@127.0.0.1:${server.port}?allowInsecureAuth=true` });
    await addSubscribers(ws, addresses(3));
    await expect(send(ws)).rejects.toMatchObject({ code: 'SMTP_AUTH', message: expect.stringMatching(/refused the login \(.*535 5\.7\.8.*check the user and password in SMTP_URL/) });
    const run = await ws.cli('send');
    expect(run.code).toBe(1);
    const app = await ws.app();
    expect(await app.store.listEditions(10)).toEqual([]);
    await app.close();
    expect(server.messages).toHaveLength(0);
  });

  it('a refused STARTTLS aborts before any RCPT, with a clear error and no delivery recorded', async () => {
    server = await startScriptedServer({ startTls: '454 4.7.0 TLS not available due to temporary reason' });
    ws = createOnePostWorkspace({ SMTP_URL: server.url });
    await addSubscribers(ws, addresses(3));
    await expect(send(ws)).rejects.toMatchObject({ code: 'SMTP_TLS', message: expect.stringContaining('refused the TLS upgrade: 454 4.7.0') });
    const app = await ws.app();
    expect(await app.store.listEditions(10)).toEqual([]);
    await app.close();
    expect(server.messages).toHaveLength(0);
  });

  it('the circuit breaker stops a run after N consecutive failures and leaves the rest pending for the next run', async () => {
    const list = addresses(40);
    let down = true;
    await setup({ mail: () => (down ? '451 4.3.0 temporary local problem' : undefined) }, list);
    const time = fakeTime();
    const first = await send(ws, { app: { now: time.now }, tuning: time.tuning({ attempts: 1, breakerFailures: 5 }) });
    expect(first.tally.stopped).toMatch(/circuit breaker: \d+ consecutive failures \(last: 451 4\.3\.0/);
    expect(first.tally.sent).toBe(0);
    expect(first.complete).toBe(false);
    const counts = states(ws);
    expect(counts.sent ?? 0).toBe(0);
    expect(counts.deferred).toBeGreaterThanOrEqual(5);
    expect(counts.deferred).toBeLessThan(10);
    // The batch claimed before the breaker tripped went back to pending, untouched.
    expect(counts.pending).toBe(40 - counts.deferred!);
    expect(first.tally.leftPending).toBe(counts.pending);
    expect(server.messages).toHaveLength(0);
    down = false;
    time.advance(3_600_000);
    const second = await send(ws, { app: { now: time.now }, tuning: time.tuning() });
    expect(second.complete).toBe(true);
    expectEachAcceptedOnce(list);
    expect(states(ws)).toEqual({ sent: 40 });
  });

  it('deferred deliveries older than DEFERRED_MAX_AGE_HOURS are given up as failed', async () => {
    const list = addresses(2);
    await setup({ rcpt: (to) => (to === list[0] ? '452 4.2.2 mailbox full' : undefined) }, list, { DEFERRED_MAX_AGE_HOURS: '2' });
    const time = fakeTime();
    await send(ws, { app: { now: time.now }, tuning: time.tuning({ attempts: 1 }) });
    expect(ledger(ws).get(list[0]!)?.state).toBe('deferred');
    time.advance(3 * 3_600_000);
    const late = await send(ws, { app: { now: time.now }, tuning: time.tuning() });
    expect(late.complete).toBe(true);
    expect(ledger(ws).get(list[0]!)).toMatchObject({ state: 'failed', last_error: expect.stringMatching(/gave up.*452 4\.2\.2/) });
  });
});
