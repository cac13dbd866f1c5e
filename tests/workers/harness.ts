import { spawn, type ChildProcess } from 'node:child_process';
import pg from 'pg';
import { afterAll, afterEach, beforeAll } from 'vitest';
import { prepareEdition } from '../../src/pipeline.js';
import { freshDatabase, query, type TestDatabase } from '../support/postgres.js';
import { startScriptedServer, type ScriptedServer, type ScriptOptions } from '../support/scripted-smtp.js';
import { childEnv, createWorkspace, REPO, type Workspace } from '../support/workspace.js';
import { cliArgv } from '../support/cli.js';

/**
 * Real `digest worker` (and `digest schedule`) processes sharing one PostgreSQL database and one
 * scripted SMTP receiver: started as node itself so signals reach them, their JSON log lines
 * collected, every wait bounded.
 */
export interface Proc {
  child: ChildProcess;
  events: Record<string, unknown>[];
  stdout: string;
  stderr: string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

export function workerHarness() {
  let db: TestDatabase;
  // The tests poll the ledger every 25 ms while the workers run: on one kept connection, not a new
  // PostgreSQL backend (a process of its own) for every look.
  let pool: pg.Pool;
  const procs: Proc[] = [];
  const state = { server: undefined as ScriptedServer | undefined, ws: undefined as Workspace | undefined };
  beforeAll(async () => {
    db = await freshDatabase();
    pool = new pg.Pool({ connectionString: db.url, max: 1 });
    pool.on('error', () => undefined); // an idle connection ended by the server; the next query opens another
  }, 60_000);
  afterAll(async () => {
    await pool?.end();
    await db?.drop();
  });
  afterEach(async () => {
    for (const p of procs.splice(0)) {
      if (p.child.exitCode === null && p.child.signalCode === null) {
        p.child.kill('SIGCONT');
        p.child.kill('SIGKILL');
        await p.exited;
      }
    }
    await state.server?.close();
    state.ws?.cleanup();
    await query(db.url, 'DROP SCHEMA public CASCADE; CREATE SCHEMA public');
  });
  return {
    url: () => db.url,
    get server() {
      return state.server!;
    },
    get ws() {
      return state.ws!;
    },
    /** The receiver, a workspace on the shared database, and `readers` active subscribers. */
    async prepare(script: ScriptOptions, readers: string[], env: Record<string, string> = {}) {
      state.server = await startScriptedServer(script);
      state.ws = createWorkspace({ SMTP_URL: state.server.url, DATABASE_URL: db.url, SMTP_MAX_CONNECTIONS: '2', CLAIM_BATCH_SIZE: '10', WORKER_POLL_SECONDS: '1', ...env });
      const app = await state.ws.app();
      await app.store.upsertSubscribers(readers.map((email) => ({ email, status: 'active' as const })), new Date(Date.now() - 60_000));
      await app.close();
    },
    spawn(command: string, env: Record<string, string> = {}): Proc {
      const child = spawn(process.execPath, cliArgv(command), { cwd: REPO, env: childEnv({ ...state.ws!.env, LOG_LEVEL: 'info', ...env }), stdio: ['ignore', 'pipe', 'pipe'] });
      const proc: Proc = { child, events: [], stdout: '', stderr: '', exited: new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal }))) };
      let partial = '';
      child.stdout!.on('data', (chunk: Buffer) => (proc.stdout += chunk.toString()));
      child.stderr!.on('data', (chunk: Buffer) => {
        proc.stderr += chunk.toString();
        const lines = (partial + chunk.toString()).split('\n');
        partial = lines.pop() ?? '';
        for (const line of lines) if (line.startsWith('{')) proc.events.push(JSON.parse(line) as Record<string, unknown>);
      });
      procs.push(proc);
      return proc;
    },
    /** The edition prepared in this process (stages 1–6), for the workers to deliver. */
    async prepareEdition(): Promise<number> {
      const app = await state.ws!.app();
      try {
        const prepared = await prepareEdition(app, { cadence: 'weekly' });
        return prepared.edition!.number;
      } finally {
        await app.close();
      }
    },
    sql: async <R = Record<string, unknown>>(text: string, values: unknown[] = []) => (await pool.query(text, values)).rows as R[],
  };
}

export async function waitFor(what: string, condition: () => boolean | Promise<boolean>, timeoutMs = 150_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

export const addresses = (n: number) => Array.from({ length: n }, (_, i) => `r${String(i).padStart(3, '0')}@example.org`);
