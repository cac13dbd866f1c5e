import { spawn, type ChildProcess } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, rmSync, statSync, symlinkSync, truncateSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { prepareEdition } from '../../src/pipeline.js';
import { post, REPO } from '../support/workspace.js';
import { hostile, hoursAgo, PASSWD_MARK, SUBSCRIBERS, type Hostile } from './harness.js';

/**
 * A damaged, locked or full database. `digest send` must refuse with a message naming the file
 * and the cause, send nothing, mark nothing sent, and never take a broken file for an empty list
 * (which would import sample subscribers or begin again at edition #1).
 */
let h: Hostile;
let child: ChildProcess | undefined;
beforeEach(async () => {
  h = await hostile({ SAMPLE_SUBSCRIBERS: join(REPO, 'samples', 'subscribers.csv') });
  await h.subscribe(...SUBSCRIBERS.map((email) => ({ email })));
  h.ws.writePost('p.md', post({ title: 'Store victim', date: hoursAgo(1) }));
});
afterEach(async () => {
  if (child?.pid && child.exitCode === null && child.signalCode === null) {
    process.kill(child.pid, 'SIGKILL');
    await new Promise((resolve) => child!.once('exit', resolve));
  }
  child = undefined;
  await h.close();
});

const dbFile = () => join(h.ws.dir, 'data', 'digest.sqlite');
const digest = (file: string) => createHash('sha256').update(readFileSync(file)).digest('hex');

async function refusedSend(cause: RegExp) {
  const before = digest(dbFile());
  const run = await h.cli('send');
  expect(run.code).toBe(1);
  expect(run.output).toContain(`The database ${dbFile()} cannot be used`);
  expect(run.output).toMatch(cause);
  expect(run.output).toContain('Nothing was sent');
  expect(run.output).not.toMatch(/sample subscribers|Edition #1/);
  expect(h.smtp.received).toHaveLength(0);
  expect(digest(dbFile())).toBe(before);
}

describe('a damaged database is refused, never taken for an empty one', () => {
  it('random bytes in digest.sqlite', async () => {
    writeFileSync(dbFile(), randomBytes(64 * 1024));
    rmSync(`${dbFile()}-wal`, { force: true });
    await refusedSend(/damaged or not a database/);
  });

  it('a real database cut in half', async () => {
    const app = await h.ws.app();
    await app.store.upsertSubscribers(Array.from({ length: 2_000 }, (_, i) => ({ email: `reader${i}@example.org`, name: 'x'.repeat(200) })), new Date(Date.now() - 60_000));
    await app.close();
    truncateSync(dbFile(), Math.floor(statSync(dbFile()).size / 2));
    await refusedSend(/damaged|malformed/);
  });

  it('an empty (0-byte) database file', async () => {
    writeFileSync(dbFile(), '');
    await refusedSend(/is empty/);
  });

  it('a database written by a newer version', async () => {
    const db = new Database(dbFile());
    db.pragma('user_version = 999');
    db.close();
    await refusedSend(/newer version/);
  });

  it('digest.sqlite as a symlink to /etc/passwd: refused, and no line of it is shown', async () => {
    rmSync(dbFile());
    rmSync(`${dbFile()}-wal`, { force: true });
    rmSync(`${dbFile()}-shm`, { force: true });
    symlinkSync('/etc/passwd', dbFile());
    const run = await h.cli('send');
    expect(run.code).toBe(1);
    expect(run.output).toContain('damaged or not a database');
    expect(run.output).not.toContain(PASSWD_MARK);
    expect(h.smtp.received).toHaveLength(0);
  });

  it('a folder where the database file should be', async () => {
    rmSync(join(h.ws.dir, 'data'), { recursive: true });
    mkdirSync(dbFile(), { recursive: true });
    const run = await h.cli('send');
    expect(run.code).toBe(1);
    expect(run.output).toContain(`The database ${dbFile()} cannot be used`);
    expect(h.smtp.received).toHaveLength(0);
  });
});

describe('hand-edited rows', () => {
  it('a CR LF address and a broken topics cell: that row fails alone, everyone else gets one message', async () => {
    const db = new Database(dbFile());
    db.prepare("UPDATE subscribers SET email = ? WHERE email = 'ada@example.org'").run('ada@example.org>\r\nRCPT TO:<evil@evil.example');
    db.prepare("INSERT INTO subscribers (email, name, categories, cadence, status, created_at, confirmed_at, status_changed_at) VALUES (?, ?, ?, 'weekly', 'active', 0, 0, 0)").run(
      'carol@example.org',
      'Carol\r\nBcc: x@evil.example',
      '{not json',
    );
    db.close();
    const run = await h.cli('send');
    expect(run.code).toBe(2);
    expect(run.output).toMatch(/failed 1/);
    expect(h.smtp.received.map((r) => r.to)).toEqual(expect.arrayContaining([['bob@example.org'], ['carol@example.org']]));
    expect(h.smtp.received).toHaveLength(2);
    for (const message of h.smtp.received) expect(message.raw.toString('latin1')).not.toMatch(/evil\.example>?\r\n|^Bcc:/m);
    const again = await h.cli('send');
    expect(again.output).not.toContain('Edition #2');
    expect(h.smtp.received).toHaveLength(2);
  });
});

describe('a database another process holds', () => {
  it('a write lock held by another process: the send waits, then refuses clearly', async () => {
    const script = `const D = require('better-sqlite3'); const db = new D(${JSON.stringify(dbFile())}); db.exec('BEGIN IMMEDIATE'); console.log('locked'); setInterval(() => {}, 1000);`;
    child = spawn(process.execPath, ['-e', script], { cwd: REPO, stdio: ['ignore', 'pipe', 'inherit'] });
    await new Promise<void>((resolve) => child!.stdout!.on('data', (d: Buffer) => d.toString().includes('locked') && resolve()));
    const run = await h.cli('send');
    expect(run.code).toBe(1);
    expect(run.output).toContain(dbFile());
    expect(run.output).toContain('another process holds a write lock');
    expect(h.smtp.received).toHaveLength(0);
    process.kill(child.pid!, 'SIGKILL');
    await new Promise((resolve) => child!.once('exit', resolve));
    expect((await h.cli('send')).code).toBe(0);
    expect(h.smtp.received.map((r) => r.to[0]).sort()).toEqual(SUBSCRIBERS);
  });

  it('rows claimed by a worker whose process is gone: taken back at once, each reader gets one message', async () => {
    child = spawn(process.execPath, ['-e', ''], { stdio: 'ignore' });
    const gone = child.pid!;
    await new Promise((resolve) => child!.once('exit', resolve));
    const app = await h.ws.app();
    const { edition } = await prepareEdition(app, { cadence: 'weekly' });
    await app.store.registerWorker({ id: 'crashed', host: hostname(), pid: gone, processStart: '1' });
    expect(await app.store.claimBatch('crashed', { edition: edition!.number, limit: 1 }, new Date())).toHaveLength(1);
    await app.close();
    const run = await h.cli('send');
    expect(run.code).toBe(0);
    expect(run.output).toContain(`Resumed edition #${edition!.number}`);
    expect(h.smtp.received.map((r) => r.to[0]).sort()).toEqual(SUBSCRIBERS);
  });
});
