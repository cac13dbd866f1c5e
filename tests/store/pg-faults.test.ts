import { execFileSync } from 'node:child_process';
import { mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import pg from 'pg';
import { StoreError } from '../../src/errors.js';
import { prepareEdition } from '../../src/pipeline.js';
import { openPostgresStore } from '../../src/store/pg/index.js';
import { fillUntilFull } from '../support/fill-disk.js';
import { query } from '../support/postgres.js';
import { startEmbeddedPostgres, type EmbeddedServer } from '../support/postgres-server.js';
import { startScriptedServer, type ScriptedServer, type ScriptOptions } from '../support/scripted-smtp.js';
import { captureStderr } from '../support/stderr.js';
import { createWorkspace, post, type Workspace } from '../support/workspace.js';

/**
 * A PostgreSQL server that restarts in the middle of a send, and one whose disk is full: the
 * command stops with one line naming the database and what to check, nothing is recorded sent
 * that the receiver did not get, and once the server is back every reader ends up with the
 * message (a message the server took but the ledger could not record is resent once, with the
 * same Message-ID). A server of their own, since these tests stop it and fill its disk.
 */
let server: EmbeddedServer;
let smtp: ScriptedServer | undefined;
let ws: Workspace | undefined;
beforeAll(async () => {
  server = await startEmbeddedPostgres();
}, 60_000);
afterAll(async () => {
  await server?.stop();
});
afterEach(async () => {
  await smtp?.close();
  ws?.cleanup();
});

const READERS = Array.from({ length: 12 }, (_, i) => `r${String(i).padStart(2, '0')}@example.org`);
const ONE_LINE = /^digest send: The database postgres:\/\/postgres:\*\*\*@127\.0\.0\.1:\d+\/\w+ could not be used \([^\n]+\)\. [^\n]+\n$/;

async function newDatabase(): Promise<string> {
  const name = `faults_${Math.random().toString(36).slice(2, 10)}`;
  await query(server.url, `CREATE DATABASE ${name}`);
  const url = new URL(server.url);
  url.pathname = `/${name}`;
  return url.toString();
}

async function workspace(script: ScriptOptions, readers: string[], env: Record<string, string> = {}): Promise<{ url: string; ws: Workspace; smtp: ScriptedServer }> {
  const url = await newDatabase();
  smtp = await startScriptedServer(script);
  // A failed run could not deregister its worker: the next one declares it dead after 2 s.
  ws = createWorkspace({ SMTP_URL: smtp.url, DATABASE_URL: url, SMTP_MAX_CONNECTIONS: '1', WORKER_HEARTBEAT_SECONDS: '1', WORKER_DEAD_AFTER_SECONDS: '2', ...env }, { posts: false });
  ws.writePost('news.md', post({ title: 'Ceasefire talks resume', date: new Date(Date.now() - 3_600_000).toISOString() }));
  const app = await ws.app();
  await app.store.upsertSubscribers(readers.map((email) => ({ email, status: 'active' as const })), new Date(Date.now() - 86_400_000));
  await app.close();
  return { url, ws, smtp };
}

const messageIdOf = (data: Buffer) => /^Message-ID:\s*(<[^>\r\n]+>)/im.exec(data.toString('utf8'))?.[1];

/** After the fault: the rows recorded sent are messages the receiver got; then a clean run finishes the edition. */
async function recoversCompletely(url: string, readers: string[]): Promise<void> {
  const copies = (email: string) => smtp!.accepted(email);
  for (const row of await query<{ email: string }>(url, `SELECT email FROM deliveries WHERE state = 'sent'`)) expect(copies(row.email), row.email).toHaveLength(1);
  const again = await captureStderr(() => ws!.cli('send'));
  expect(again.result.code, again.stderr).toBe(0);
  const rows = await query<{ email: string; state: string; resends: number; message_id: string }>(url, 'SELECT email, state, resends, message_id FROM deliveries');
  expect(rows.map((r) => r.email).sort()).toEqual(readers);
  for (const row of rows) {
    expect(row.state, row.email).toBe('sent');
    // Taken by the server but not recorded: resent once, the same Message-ID on both copies.
    expect(copies(row.email).length, row.email).toBe(row.resends > 0 ? 2 : 1);
    for (const message of copies(row.email)) expect(messageIdOf(message.data)).toBe(row.message_id);
  }
}

describe('the PostgreSQL server restarts in the middle of a send', () => {
  it('stops with one line naming the database and what to check; nothing is recorded sent that was not; the next send finishes', async () => {
    let received = 0;
    let halted: Promise<void> | undefined;
    // The third message: the server restarts while its reply is on the way.
    const { url } = await workspace(
      {
        dot: () => {
          received += 1;
          if (received !== 3) return { reply: '250 2.0.0 queued', delayMs: 5 };
          halted = server.halt();
          return { reply: '250 2.0.0 queued', delayMs: 1_500 };
        },
      },
      READERS,
    );
    const first = await captureStderr(() => ws!.cli('send'));
    await halted;
    await server.resume();
    expect(first.result.code).toBe(1);
    expect(first.stderr).toMatch(ONE_LINE);
    expect(first.stderr).toMatch(/Check that PostgreSQL is (running|up)/);
    const states = await query<{ email: string; state: string }>(url, `SELECT email, state FROM deliveries WHERE state NOT IN ('pending')`);
    // The message taken while the server went down is not recorded sent.
    expect(states.filter((r) => r.state === 'sent')).toHaveLength(2);
    await recoversCompletely(url, READERS);
  }, 120_000);
});

describe('a connection ended while it waits for another preparer', () => {
  it('the prepare lock: one line naming what to check, not a raw driver error; nothing prepared', async () => {
    const url = await newDatabase();
    const store = await openPostgresStore(url, { poolSize: 2 });
    const holder = new pg.Client({ connectionString: url });
    await holder.connect();
    try {
      await holder.query('SELECT pg_advisory_lock(7310002)');
      let prepared = false;
      const waiting = store.withPrepareLock(async () => (prepared = true)).catch((error: unknown) => error);
      let waiter: number | undefined;
      while (waiter === undefined) {
        // Asked on the holder's own connection: a new backend for every look costs a process start.
        const { rows } = await holder.query<{ pid: number }>(`SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock' AND wait_event = 'advisory'`);
        waiter = rows[0]?.pid;
      }
      await query(url, 'SELECT pg_terminate_backend($1)', [waiter]);
      const error = (await waiting) as StoreError;
      expect(error).toBeInstanceOf(StoreError);
      expect(error.message).toMatch(/^The database postgres:\/\/postgres:\*\*\*@127\.0\.0\.1:\d+\/\w+ could not be used \(the connection to the server was lost \(.*\)\)\. .*Check that PostgreSQL is up \(it may have restarted\) and reachable, then run the command again\.$/);
      expect(error.message).not.toContain('\n');
      expect(prepared).toBe(false);
    } finally {
      await holder.end();
      await store.close();
    }
  });
});

const MOUNT = `/tmp/digest-pg-full-disk-${process.pid}`;

/** A 1 MB tmpfs for a tablespace; the reason it cannot be made (not root, no mount permission). */
const cannotMount = (() => {
  try {
    mkdirSync(MOUNT, { recursive: true });
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=1m', 'tmpfs', MOUNT], { stdio: 'ignore' });
    execFileSync('umount', [MOUNT]);
    return undefined;
  } catch (error) {
    return `mounting a small tmpfs is not allowed here (${(error as Error).message.split('\n')[0]})`;
  } finally {
    rmSync(MOUNT, { recursive: true, force: true });
  }
})();

/** Fills the tablespace's disk to the last byte; returns the filler to delete for space back. */
function fillDisk(): string {
  return fillUntilFull(join(MOUNT, 'filler'), 1024);
}

describe.skipIf(cannotMount)(`the PostgreSQL server's disk is full${cannotMount ? ` (skipped: ${cannotMount})` : ''}`, () => {
  const tablespace = `small_${process.pid}`;
  beforeAll(() => {
    mkdirSync(MOUNT, { recursive: true });
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=1m', 'tmpfs', MOUNT]);
    mkdirSync(join(MOUNT, 'ts'));
    if (server.osUser) execFileSync('chown', [server.osUser, join(MOUNT, 'ts')]);
  });
  afterAll(async () => {
    await query(server.url, `DROP TABLESPACE IF EXISTS ${tablespace}`).catch(() => undefined);
    execFileSync('umount', [MOUNT]);
    rmSync(MOUNT, { recursive: true, force: true });
  });

  it('at edition time and in the middle of delivering: one line naming the disk; nothing recorded sent that was not; with space back the next send finishes', async () => {
    const readers = Array.from({ length: 150 }, (_, i) => `r${String(i).padStart(3, '0')}@example.org`);
    const { url } = await workspace({ dot: () => '250 2.0.0 queued' }, readers, { CLAIM_BATCH_SIZE: '1' });
    await query(server.url, `CREATE TABLESPACE ${tablespace} LOCATION '${join(MOUNT, 'ts')}'`);
    await query(url, `ALTER TABLE deliveries SET TABLESPACE ${tablespace}`);

    // No room for the edition's delivery rows: nothing is made, nothing sent.
    const filler = fillDisk();
    const atEdition = await captureStderr(() => ws!.cli('send'));
    expect(atEdition.result.code).toBe(1);
    expect(atEdition.stderr).toMatch(ONE_LINE);
    expect(atEdition.stderr).toContain("the database server's disk is full");
    expect(atEdition.stderr).toContain("Free space on the PostgreSQL server's disk");
    expect(await query(url, 'SELECT number FROM editions')).toEqual([]);
    expect(smtp!.messages).toHaveLength(0);

    // Room for the edition, then the disk fills while the rows move on: it stops part-way.
    rmSync(filler);
    const app = await ws!.app();
    await prepareEdition(app, { cadence: 'weekly' }).finally(() => app.close());
    fillDisk();
    const midway = await captureStderr(() => ws!.cli('send'));
    expect(midway.result.code).toBe(1);
    expect(midway.stderr).toMatch(ONE_LINE);
    expect(midway.stderr).toContain("the database server's disk is full");
    expect(smtp!.messages.length).toBeLessThan(readers.length);

    rmSync(filler);
    await recoversCompletely(url, readers);
  }, 120_000);
});
