import { spawn } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { StoreError } from '../../src/errors.js';
import { startWebServer } from '../../src/web/server.js';
import { freshDatabase, query, type TestDatabase } from '../support/postgres.js';
import { startSmtpServer, type TestSmtpServer } from '../support/smtp.js';
import { cliArgv } from '../support/cli.js';
import { captureStderr } from '../support/stderr.js';
import { childEnv, createWorkspace, post, REPO, type Workspace } from '../support/workspace.js';

/**
 * The commands on PostgreSQL (DATABASE_URL), as a user runs them: migrate, subscribers, send
 * (twice, a dry run first), status, check, render, preview, and the web server reading the same
 * database. Connection problems are one line naming what to check.
 */
let db: TestDatabase;
let smtp: TestSmtpServer;
let ws: Workspace;
beforeAll(async () => {
  db = await freshDatabase();
});
afterAll(async () => {
  await db.drop();
});
beforeEach(async () => {
  smtp = await startSmtpServer();
  ws = createWorkspace({ SMTP_URL: smtp.url, DATABASE_URL: db.url });
});
afterEach(async () => {
  await smtp.close();
  ws.cleanup();
});

describe('every command on PostgreSQL', () => {
  it('migrate, subscribers, a dry run that records nothing, send, a second send, status, and the archive page', async () => {
    const migrated = await ws.cli('migrate');
    expect(migrated).toMatchObject({ code: 0 });
    expect(migrated.output).toMatch(/Applied 6 migrations to postgres:\/\/postgres:\*\*\*@127\.0\.0\.1:\d+\/digest_test_\w+: 0001_ledger\.sql, 0002_feeds\.sql, 0003_bounces_note_resends\.sql, 0004_no_message_id_index\.sql, 0005_claimable_by_due_time\.sql, 0006_final_counts\.sql/);
    expect((await ws.cli('migrate')).output).toContain('is up to date; nothing to apply');
    expect(migrated.output).not.toContain(':postgres@');

    const csv = join(ws.dir, 'list.csv');
    writeFileSync(csv, 'email,name\nada@example.org,Ada\nbob@example.org,Bob\n');
    expect((await ws.cli('subscribers', 'import', csv)).code).toBe(0);
    expect((await ws.cli('subscribers', 'add', 'cy@example.org', '--name', 'Cy')).code).toBe(0);
    expect((await ws.cli('subscribers', 'list')).output).toMatch(/ada@example\.org[\s\S]*bob@example\.org[\s\S]*cy@example\.org/);

    const dry = await ws.cli('send', '--dry-run');
    expect(dry.code).toBe(0);
    expect(dry.output).toContain('would send 3');
    expect(smtp.received).toHaveLength(0);
    expect(await query(db.url, 'SELECT * FROM editions')).toEqual([]);

    const sent = await ws.cli('send');
    expect(sent.code).toBe(0);
    expect(sent.output).toMatch(/Edition #1 \(weekly\)[\s\S]*sent 3/);
    expect(smtp.received.map((r) => r.to[0]).sort()).toEqual(['ada@example.org', 'bob@example.org', 'cy@example.org']);
    expect((await ws.cli('send')).output).toContain('Nothing new to send');
    expect(smtp.received).toHaveLength(3);

    const status = await ws.cli('status');
    expect(status.output).toContain('Last edition: #1 (weekly)');
    expect(status.output).toContain('sent 3 · deferred 0');
    expect(status.output).toContain('Workers: none running');

    expect((await ws.cli('subscribers', 'remove', 'bob@example.org')).code).toBe(0);
    const app = await ws.app();
    const server = await startWebServer(app, 0, { hostname: '127.0.0.1' });
    try {
      const page = await fetch(new URL('archive/1', server.url));
      expect(page.status).toBe(200);
      expect(await page.text()).toContain('#1');
    } finally {
      await server.close();
      await app.close();
    }
  });

  it('check, render and preview read the database and record nothing in it', async () => {
    const own = await freshDatabase();
    const editor = createWorkspace({ SMTP_URL: smtp.url, DATABASE_URL: own.url }, { posts: false });
    try {
      editor.writePost('first.md', post({ title: 'Treaty talks open in Geneva', date: '2026-11-20' }));
      expect((await editor.cli('subscribers', 'add', 'ada@example.org', '--name', 'Ada')).code).toBe(0);
      expect((await editor.cli('send')).output).toMatch(/Edition #1 \(weekly\)[\s\S]*sent 1/);
      editor.writePost('second.md', post({ title: 'Tariff truce extended to spring', date: '2026-11-27' }));
      const ledger = () => query(own.url, `SELECT (SELECT count(*)::int FROM editions) AS editions, (SELECT count(*)::int FROM deliveries) AS deliveries, (SELECT count(*)::int FROM post_ledger) AS posts, (SELECT count(*)::int FROM segments) AS segments`);
      const before = await ledger();

      const checked = await editor.cli('check');
      expect(checked).toMatchObject({ code: 0 });
      expect(checked.output).toContain('Config: ok');
      expect(checked.output).toContain('Posts: 2 valid, 0 with errors');
      expect(checked.output).toMatch(/Templates: ok \(.*digest\.mjml\.hbs/);
      expect(checked.output).toContain('Everything is ready to send.');

      const out = join(editor.dir, 'out');
      const rendered = await editor.cli('render', '--out', out, '--subscriber', 'ada@example.org');
      expect(rendered.code).toBe(0);
      expect(rendered.output).toMatch(/^Edition #2 as ada@example\.org: 1 post, subject "/);
      expect(rendered.output).not.toContain('not on the list');
      expect(readFileSync(join(out, 'digest.html'), 'utf8')).toContain('Tariff truce extended to spring');
      expect(readFileSync(join(out, 'digest.html'), 'utf8')).not.toContain('Treaty talks open in Geneva');
      expect(readFileSync(join(out, 'digest.eml'), 'utf8')).toMatch(/^To: "?Ada"? <ada@example\.org>/m);
      expect(existsSync(join(out, 'digest.txt'))).toBe(true);

      const preview = await previewProcess(editor);
      try {
        expect(preview.output).toMatch(/Past editions \(newest first; all at http:\/\/127\.0\.0\.1:\d+\/editions\):\n  #1 weekly \d{4}-\d\d-\d\d  /);
        const page = await (await fetch(preview.url)).text();
        expect(page).toContain('Tariff truce extended to spring');
        // The edition ledger in PostgreSQL is what tells the preview the first post went out already.
        expect(page).toMatch(/Treaty talks open in Geneva<\/span>.*already sent in edition #1/);
        expect(page).toContain('ada@example.org'); // the subscriber picker reads the list from PostgreSQL
        expect(await (await fetch(new URL('editions', preview.url))).text()).toContain('#1');
      } finally {
        expect(await preview.stop()).toBe(0);
      }
      expect(preview.output).toContain('Stopped.');
      expect(await ledger()).toEqual(before);
      expect(smtp.received).toHaveLength(1);
    } finally {
      editor.cleanup();
      await own.drop();
    }
  });

  it('a connection the server ends mid-query (a restart): one line naming what to check, and the next query works again', async () => {
    const app = await ws.app();
    const locker = new pg.Client({ connectionString: db.url });
    await locker.connect();
    try {
      await locker.query('BEGIN');
      await locker.query('LOCK TABLE subscribers IN ACCESS EXCLUSIVE MODE');
      const blocked = app.store.countSubscribers().then(() => 'answered', (error: unknown) => error);
      // Until the count is waiting on the lock (it is then mid-query when its connection is ended).
      while ((await locker.query(`SELECT 1 FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'`)).rowCount === 0) await new Promise((resolve) => setTimeout(resolve, 10));
      await query(db.url, `SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid() AND pid <> $1 AND state = 'active'`, [(locker as unknown as { processID: number }).processID]);
      const error = (await blocked) as StoreError;
      expect(error).toBeInstanceOf(StoreError);
      expect(error.message).toMatch(/^The database postgres:\/\/postgres:\*\*\*@127\.0\.0\.1:\d+\/\w+ could not be used \(the connection to the server was lost \(.*\)\)\. .*Check that PostgreSQL is up \(it may have restarted\) and reachable, then run the command again\.$/);
      expect(error.message).not.toContain('\n');
      await locker.query('ROLLBACK');
      expect(Object.keys(await app.store.countSubscribers())).toEqual(['pending', 'active', 'unsubscribed', 'bounced']);
    } finally {
      await locker.end();
      await app.close();
    }
  });

  it('a server that does not answer: one line naming the address (password hidden) and what to check; nothing sent', async () => {
    const closed = 'postgres://digest:s3cret@127.0.0.1:1/digest';
    const bad = createWorkspace({ SMTP_URL: smtp.url, DATABASE_URL: closed });
    try {
      const { result, stderr } = await captureStderr(() => bad.cli('send'));
      expect(result.code).toBe(1);
      expect(stderr.trim().split('\n')).toHaveLength(1);
      expect(stderr).toMatch(/^digest send: The database postgres:\/\/digest:\*\*\*@127\.0\.0\.1:1\/digest cannot be used \(no server answered: .*\)\. Nothing was sent\. Check that PostgreSQL is running and that the host and port in DATABASE_URL are right\./);
      expect(stderr).not.toContain('s3cret');
      expect(smtp.received).toHaveLength(0);
    } finally {
      bad.cleanup();
    }
  });
});

/** `digest preview --port 0` as its own process: its printed lines, its URL, and a stop that returns the exit code. */
async function previewProcess(ws: Workspace): Promise<{ url: string; output: string; stop(): Promise<number | null> }> {
  const child = spawn(process.execPath, cliArgv('preview', '--port', '0'), { cwd: REPO, env: childEnv(ws.env), stdio: ['ignore', 'pipe', 'pipe'] });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const state = { output: '' };
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`digest preview printed no URL in 30 s: ${state.output}`)), 30_000);
    child.stdout.on('data', (chunk: Buffer) => {
      state.output += chunk.toString();
      const match = /Preview of the next digest: (http:\/\/127\.0\.0\.1:\d+\/)[\s\S]*Watching/.exec(state.output);
      if (match) {
        clearTimeout(timer);
        resolve(match[1]!);
      }
    });
    child.stderr.on('data', (chunk: Buffer) => (state.output += chunk.toString()));
    void exited.then((code) => reject(new Error(`digest preview exited ${code}: ${state.output}`)));
  });
  return {
    url,
    get output() {
      return state.output;
    },
    stop() {
      child.kill('SIGTERM');
      return exited;
    },
  };
}
