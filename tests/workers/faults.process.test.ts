import net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { startScriptedServer, type ScriptedMessage, type ScriptedServer } from '../support/scripted-smtp.js';
import { addresses, waitFor, workerHarness, type Proc } from './harness.js';
import { INTERRUPTED_AFTER_COMMIT } from '../../src/store/rows.js';

/**
 * One of four workers dies: `kill -9` at three points of its work, or SIGSTOP past
 * WORKER_DEAD_AFTER_SECONDS and then SIGCONT. The others take its rows back and finish the
 * edition. Uncertain sends are not resent (UNCERTAIN_RESEND=never). Nobody gets two copies; the
 * rows recorded sent are exactly messages the receivers got once; uncertain rows are at most the
 * dead worker's connections; nothing is left pending, sending or awaiting; the edition completes
 * once. With the default policy (UNCERTAIN_RESEND=once) its awaiting rows are resent exactly once,
 * with the same Message-ID.
 */
const h = workerHarness();
const LIST = addresses(80);
const LIVENESS = { WORKER_HEARTBEAT_SECONDS: '1', WORKER_DEAD_AFTER_SECONDS: '3', UNCERTAIN_RESEND: 'never' };
let extra: { close(): Promise<void> }[] = [];
afterEach(async () => {
  for (const server of extra.splice(0)) await server.close();
});

/** A server that accepts connections and never says a word: its client's rows stay `sending`. */
async function silentServer(): Promise<{ url: string; close(): Promise<void> }> {
  const sockets = new Set<net.Socket>();
  const server = net.createServer((socket) => {
    sockets.add(socket);
    socket.on('error', () => undefined);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const handle = {
    url: `smtp://127.0.0.1:${(server.address() as net.AddressInfo).port}`,
    close: () => new Promise<void>((resolve) => {
      for (const socket of sockets) socket.destroy();
      server.close(() => resolve());
    }),
  };
  extra.push(handle);
  return handle;
}

/** Answers the first messages, then holds each reply (and so, in order, everything after it on that connection). */
async function victimServer(answerFirst: number): Promise<ScriptedServer> {
  let answered = 0;
  const server = await startScriptedServer({ dot: () => ({ reply: '250 2.0.0 queued', delayMs: (answered += 1) > answerFirst ? 120_000 : 20 }) });
  extra.push(server);
  return server;
}

async function fourWorkers(victimEnv: Record<string, string>, liveness: Record<string, string> = LIVENESS): Promise<{ victim: Proc; others: Proc[] }> {
  const victim = h.spawn('worker', { ...liveness, ...victimEnv });
  const others = [1, 2, 3].map(() => h.spawn('worker', liveness));
  await waitFor('four workers registered', async () => Number((await h.sql<{ n: number }>('SELECT count(*)::int AS n FROM workers'))[0]?.n) === 4);
  return { victim, others };
}

const victimRows = async (victim: Proc) =>
  Object.fromEntries(
    (await h.sql<{ state: string; n: number }>(`SELECT state, count(*)::int AS n FROM deliveries WHERE worker_id LIKE $1 GROUP BY state`, [`%:${victim.child.pid}:%`])).map((r) => [r.state, r.n]),
  ) as Record<string, number>;

async function finishAndCheck(edition: number, survivors: Proc[], receivers: ScriptedServer[]): Promise<void> {
  await waitFor('the edition to complete', async () => (await h.sql<{ status: string }>('SELECT status FROM editions WHERE number = $1', [edition]))[0]?.status === 'complete', 90_000);
  for (const w of survivors) w.child.kill('SIGTERM');
  const ends = await Promise.all(survivors.map((w) => w.exited));
  expect(ends.map((e) => e.code)).toEqual(survivors.map(() => 0));
  const got = (address: string) => receivers.reduce((n, r) => n + r.dots(address).length, 0);
  const rows = await h.sql<{ email: string; state: string }>('SELECT email, state FROM deliveries WHERE edition = $1', [edition]);
  expect(rows).toHaveLength(LIST.length);
  for (const address of LIST) expect(got(address), address).toBeLessThanOrEqual(1);
  const sent = rows.filter((r) => r.state === 'sent').map((r) => r.email);
  const uncertain = rows.filter((r) => r.state === 'uncertain').map((r) => r.email);
  for (const address of sent) expect(got(address), address).toBe(1);
  expect(uncertain.length).toBeLessThanOrEqual(2); // SMTP_MAX_CONNECTIONS of the dead worker
  expect(sent.length + uncertain.length).toBe(LIST.length);
  // Everyone the receivers got once is recorded sent, or uncertain (the reply never reached the ledger).
  for (const address of LIST.filter((a) => got(a) === 1)) expect([...sent, ...uncertain]).toContain(address);
  expect(survivors.flatMap((w) => w.events.filter((e) => e.event === 'edition.completed'))).toHaveLength(1);
}

describe('kill -9 of one of four workers', () => {
  it('right after it claimed a batch, before any message was committed: its rows go back to pending and are sent by the others', async () => {
    await h.prepare({ dot: () => ({ reply: '250 2.0.0 queued', delayMs: 20 }) }, LIST);
    const silent = await silentServer();
    const { victim, others } = await fourWorkers({ SMTP_URL: silent.url });
    const edition = await h.prepareEdition();
    await waitFor('the victim to hold claimed rows', async () => ((await victimRows(victim)).sending ?? 0) > 0);
    expect((await victimRows(victim)).awaiting ?? 0).toBe(0);
    victim.child.kill('SIGKILL');
    await finishAndCheck(edition, others, [h.server]);
    expect(await h.sql(`SELECT 1 FROM deliveries WHERE state <> 'sent'`)).toEqual([]);
  }, 300_000);

  it('while its receiver holds the replies to messages it committed: those become uncertain, and are not resent', async () => {
    await h.prepare({ dot: () => ({ reply: '250 2.0.0 queued', delayMs: 20 }) }, LIST);
    const own = await victimServer(3);
    const { victim, others } = await fourWorkers({ SMTP_URL: own.url });
    const edition = await h.prepareEdition();
    await waitFor('the victim to await replies', async () => ((await victimRows(victim)).awaiting ?? 0) >= 1 && own.messages.length > 3);
    victim.child.kill('SIGKILL');
    await finishAndCheck(edition, others, [h.server, own]);
    const uncertain = await h.sql<{ email: string }>(`SELECT email FROM deliveries WHERE state = 'uncertain'`);
    const copies = (email: string) => own.dots(email).length + h.server.dots(email).length;
    // The held message is uncertain and was received once. Another row may be uncertain with no
    // copy at all: the kill can fall between its mark's commit and the write of its final dot.
    expect(uncertain.filter(({ email }) => copies(email) === 1).length).toBeGreaterThanOrEqual(1);
    for (const { email } of uncertain) expect(copies(email), email).toBeLessThanOrEqual(1);
  }, 300_000);

  it('in the middle of its run, between and during messages', async () => {
    await h.prepare({ dot: () => ({ reply: '250 2.0.0 queued', delayMs: 40 }) }, LIST);
    const { victim, others } = await fourWorkers({});
    const edition = await h.prepareEdition();
    await waitFor('the victim to have sent five', async () => ((await victimRows(victim)).sent ?? 0) >= 5);
    victim.child.kill('SIGKILL');
    await finishAndCheck(edition, others, [h.server]);
  }, 300_000);
});

const messageIdOf = (message: ScriptedMessage) => /^Message-ID:\s*(<[^>\r\n]+>)/im.exec(message.data.toString('utf8'))?.[1];

describe('kill -9 with the default uncertain-send policy (UNCERTAIN_RESEND=once)', () => {
  it('while its receiver holds replies: each awaiting row is resent exactly once by another worker, with the same Message-ID, and ends sent', async () => {
    await h.prepare({ dot: () => ({ reply: '250 2.0.0 queued', delayMs: 20 }) }, LIST);
    const own = await victimServer(3);
    const { victim, others } = await fourWorkers({ SMTP_URL: own.url }, { ...LIVENESS, UNCERTAIN_RESEND: 'once' });
    const edition = await h.prepareEdition();
    await waitFor('the victim to await replies', async () => ((await victimRows(victim)).awaiting ?? 0) >= 1 && own.messages.length > 3);
    victim.child.kill('SIGKILL');
    await waitFor('the edition to complete', async () => (await h.sql<{ status: string }>('SELECT status FROM editions WHERE number = $1', [edition]))[0]?.status === 'complete', 90_000);
    for (const w of others) w.child.kill('SIGTERM');
    expect((await Promise.all(others.map((w) => w.exited))).map((e) => e.code)).toEqual([0, 0, 0]);
    const rows = await h.sql<{ email: string; state: string; resends: number; message_id: string; first_uncertain: string | null }>(
      'SELECT email, state, resends, message_id, first_uncertain FROM deliveries WHERE edition = $1',
      [edition],
    );
    expect(rows.map((r) => r.state).filter((state) => state !== 'sent')).toEqual([]);
    const copies = (address: string) => [...own.dots(address), ...h.server.dots(address)];
    const resent = rows.filter((r) => r.resends > 0);
    expect(resent.length).toBeGreaterThanOrEqual(1);
    expect(resent.length).toBeLessThanOrEqual(2); // SMTP_MAX_CONNECTIONS of the dead worker
    for (const row of resent) {
      expect(row.first_uncertain).toMatch(/interrupted after the message was committed/);
      // The resend went out once, from a live worker; the first copy (if its dot arrived) is the victim's.
      expect(h.server.dots(row.email), row.email).toHaveLength(1);
      expect(own.dots(row.email).length, row.email).toBeLessThanOrEqual(1);
      expect(copies(row.email).map(messageIdOf), row.email).toEqual(copies(row.email).map(() => row.message_id));
    }
    // At least one message the victim committed (its reply held) reached the receiver twice, with one Message-ID.
    expect(resent.some((row) => copies(row.email).length === 2)).toBe(true);
    for (const row of rows.filter((r) => r.resends === 0)) expect(copies(row.email), row.email).toHaveLength(1);
    expect(others.flatMap((w) => w.events.filter((e) => e.event === 'edition.completed'))).toHaveLength(1);
  }, 300_000);
});

describe('SIGSTOP past the dead-after limit, then SIGCONT', () => {
  it('the others take its rows back; woken, it finds its claims gone, its late writes refused, and sends only what it had marked before the stop', async () => {
    await h.prepare({ dot: () => ({ reply: '250 2.0.0 queued', delayMs: 20 }) }, LIST);
    const own = await startScriptedServer({ dot: () => ({ reply: '250 2.0.0 queued', delayMs: 400 }) });
    extra.push(own);
    const { victim, others } = await fourWorkers({ SMTP_URL: own.url });
    const edition = await h.prepareEdition();
    await waitFor('the victim to await replies', async () => ((await victimRows(victim)).awaiting ?? 0) >= 1);
    victim.child.kill('SIGSTOP');
    // Stopped, its rows cannot move until it is declared dead. A message whose mark was committed
    // before the stop may still leave when it wakes (its row is then uncertain, never resent).
    const markedAtStop = (await h.sql<{ email: string }>(`SELECT email FROM deliveries WHERE state = 'awaiting' AND worker_id LIKE $1`, [`%:${victim.child.pid}:%`])).map((r) => r.email);
    // Judged by the database clock: gone from the workers table once silent for 3 s.
    await waitFor('the victim to be declared dead', async () => (await h.sql(`SELECT 1 FROM workers WHERE id LIKE $1`, [`%:${victim.child.pid}:%`])).length === 0, 60_000);
    // Its marks as the recovery found them. The query above can miss a mark whose COMMIT was already
    // on the socket when the signal landed; seconds later the server has applied it.
    const marked = new Set((await h.sql<{ email: string }>(`SELECT email FROM deliveries WHERE state = 'uncertain' AND last_error = $1`, [INTERRUPTED_AFTER_COMMIT])).map((r) => r.email));
    expect([...marked]).toEqual(expect.arrayContaining(markedAtStop));
    // Counted while it is still stopped, seconds after the stop: bytes it had already handed to
    // the kernel have arrived by now, so any later message is one it sent after waking.
    const stoppedAt = own.messages.length;
    await waitFor('the edition to complete', async () => (await h.sql<{ status: string }>('SELECT status FROM editions WHERE number = $1', [edition]))[0]?.status === 'complete', 90_000);
    victim.child.kill('SIGCONT');
    await waitFor('the woken victim to notice', () => victim.events.some((e) => e.event === 'worker.declared-dead'), 30_000);
    await waitFor('a late write of the victim refused', () => victim.events.some((e) => e.event === 'delivery.refused'), 30_000);
    // Stopped and gone: whatever it would still have sent has reached the receiver by now.
    victim.child.kill('SIGTERM');
    expect((await victim.exited).code).toBe(0);
    const afterWaking = own.messages.slice(stoppedAt).flatMap((m) => m.to);
    expect(afterWaking.filter((to) => !marked.has(to))).toEqual([]);
    expect(new Set(afterWaking).size).toBe(afterWaking.length);
    expect(victim.events.filter((e) => e.event === 'delivery.refused').length).toBeGreaterThanOrEqual(1);
    await finishAndCheck(edition, others, [h.server, own]);
  }, 300_000);
});
