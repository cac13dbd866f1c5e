import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startSmtpServer, type TestSmtpServer } from '../support/smtp.js';
import { childEnv, createWorkspace, post, REPO, type Workspace } from '../support/workspace.js';

/**
 * The real production process: `node bin/digest.js start` (what deploy/digest.service runs; npm start
 * execs the same), a six-field schedule firing every second, a real SMTP server that takes
 * 150 ms per message so a send can be interrupted midway. Every wait is bounded.
 */
interface Running {
  child: ChildProcess;
  events: Record<string, unknown>[];
  stdout: string[];
  exited: Promise<number | null>;
}

let smtp: TestSmtpServer;
let ws: Workspace;
const children: Running[] = [];

beforeEach(async () => {
  smtp = await startSmtpServer({ delayMs: 150 });
  ws = createWorkspace({ SMTP_URL: smtp.url });
});
afterEach(async () => {
  for (const run of children.splice(0)) {
    if (run.child.exitCode === null && run.child.signalCode === null) {
      run.child.kill('SIGKILL');
      await run.exited;
    }
  }
  await smtp.close();
  ws.cleanup();
});

function start(): Running {
  const env = childEnv({ ...ws.env, DIGEST_SCHEDULE: '* * * * * 0-6', PORT: '0', LOG_LEVEL: 'info', SMTP_MAX_CONNECTIONS: '1', SHUTDOWN_TIMEOUT_SECONDS: '10' });
  const child = spawn(process.execPath, [join(REPO, 'bin', 'digest.js'), 'start'], { cwd: REPO, env, stdio: ['ignore', 'pipe', 'pipe'] });
  const run: Running = { child, events: [], stdout: [], exited: new Promise((resolve) => child.once('exit', (code) => resolve(code))) };
  let buffered = '';
  child.stderr!.on('data', (chunk: Buffer) => {
    buffered += chunk.toString('utf8');
    const lines = buffered.split('\n');
    buffered = lines.pop() ?? '';
    for (const line of lines) run.events.push(line.startsWith('{') ? (JSON.parse(line) as Record<string, unknown>) : { event: 'raw', line });
  });
  child.stdout!.on('data', (chunk: Buffer) => run.stdout.push(chunk.toString('utf8')));
  children.push(run);
  return run;
}

async function waitFor(what: string, condition: () => boolean, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

const named = (run: Running, event: string) => run.events.filter((e) => e.event === event);
// Messages of edition n, by the text part's second line ("Weekly digest #n · <date>"): subjects vary.
const subjects = (n: number) => smtp.received.filter((r) => r.parsed.text?.split('\n')[1]?.startsWith(`Weekly digest #${n} ·`));

async function addSubscribers(count: number, from = 0) {
  const app = await ws.app();
  const rows = Array.from({ length: count }, (_, i) => ({ email: `reader${from + i}@example.org`, status: 'active' as const }));
  await app.store.upsertSubscribers(rows, new Date(Date.now() - 60_000));
  await app.close();
}

describe('digest start as a real process', () => {
  it('sends on schedule, sends nothing when nothing is new, survives SIGTERM mid-send and finishes exactly once after a restart', async () => {
    await addSubscribers(4);
    const first = start();
    await waitFor('edition 1 to 4 readers', () => subjects(1).length === 4);
    await waitFor('two idle ticks', () => named(first, 'schedule.nothing-new').length >= 2);
    expect(smtp.received).toHaveLength(4);

    ws.writePost('fresh.md', post({ title: 'A fresh post', date: new Date(Date.now() - 60_000).toISOString() }));
    await waitFor('edition 2', () => subjects(2).length === 4);
    await waitFor('the tick of edition 2 to finish', () => named(first, 'schedule.sent').some((e) => e.edition === 2));
    expect(subjects(2)[0]?.parsed.subject).toBe('Weekly digest #2: A fresh post');

    const url = String(named(first, 'service.started')[0]?.web);
    const healthz = await fetch(new URL('healthz', url));
    expect(healthz.status).toBe(200);
    const body = await healthz.text();
    expect(JSON.parse(body)).toEqual({ ok: true, checks: { database: 'ok', scheduler: 'ok', editions: 'ok' } });
    expect(body).not.toMatch(/sent|count|subscriber|\d/); // public: no counts of any kind

    // Edition 3 goes to 24 readers at 150 ms each; SIGTERM arrives after the third.
    await addSubscribers(20, 4);
    ws.writePost('third.md', post({ title: 'Third edition post', date: new Date(Date.now() - 60_000).toISOString() }));
    await waitFor('edition 3 under way', () => subjects(3).length >= 3);
    const termAt = performance.now();
    first.child.kill('SIGTERM');
    expect(await first.exited).toBe(0);
    if (process.env.SCHEDULE_TIMINGS) process.stdout.write(`SIGTERM to exit: ${Math.round(performance.now() - termAt)} ms\n`);
    expect(named(first, 'shutdown.done')).toHaveLength(1);
    const delivered = subjects(3).length;
    expect(delivered).toBeLessThan(24);

    const app = await ws.app();
    const counts = await app.store.countDeliveries(3);
    await app.close();
    expect(counts).toMatchObject({ sent: delivered, sending: 0, awaiting: 0, uncertain: 0 });
    expect(counts.pending).toBe(24 - delivered);

    const second = start();
    await waitFor('the rest of edition 3', () => subjects(3).length === 24);
    await waitFor('an idle tick after the restart', () => named(second, 'schedule.nothing-new').length >= 1);
    second.child.kill('SIGTERM');
    expect(await second.exited).toBe(0);
    const perReader = new Map<string, number>();
    for (const r of subjects(3)) for (const to of r.to) perReader.set(to, (perReader.get(to) ?? 0) + 1);
    expect(perReader.size).toBe(24);
    expect([...perReader.values()].every((n) => n === 1)).toBe(true);
    expect(smtp.received).toHaveLength(4 + 4 + 24);
    expect(named(second, 'schedule.resume')[0]).toMatchObject({ edition: 3 });
  }, 90_000);
});
