import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { parseArgs } from 'node:util';
import Database from 'better-sqlite3';
import pg from 'pg';
import { prepareEdition } from '../src/pipeline.js';
import { startEmbeddedPostgres } from '../tests/support/postgres-server.js';
import { CLI } from './end-to-end.js';
import { benchWorkspace, REPO } from './workspace.js';

/**
 * `npm run bench -- --workers 1,2,4 --latency-ms 20 [--count 5000] [--connections 5] [--edition-size 1000000]`
 *
 * Several `digest worker` processes sharing one PostgreSQL ledger (TEST_DATABASE_URL, or an
 * embedded server) deliver one edition to a sink that holds each reply `latency` ms, as a provider
 * limiting each connection does; then a control run at 0 ms shows where this machine's CPU caps
 * it. The rate is the steady state: messages recorded sent between 10 % and 90 % of the edition,
 * over that time. Then an edition of `edition-size` subscribers is created on SQLite and on
 * PostgreSQL in a process of its own: time and peak RSS, and how long a claim of 100 rows takes at
 * the start of it and once 90 % of it is done (nine tenths sent, a tenth deferred for an hour),
 * and how long `digest status` then takes.
 */
export async function workersBench(argv: string[]): Promise<void> {
  const { values } = parseArgs({
    args: argv,
    options: {
      workers: { type: 'string', default: '1,2,4' },
      'latency-ms': { type: 'string', default: '20' },
      count: { type: 'string', default: '5000' },
      connections: { type: 'string', default: '5' },
      'edition-size': { type: 'string', default: '1000000' },
    },
  });
  const counts = values.workers.split(',').map(Number).filter((n) => n > 0); // --workers 0: the edition figures alone
  const latency = Number(values['latency-ms']);
  const server = process.env.TEST_DATABASE_URL ? { url: process.env.TEST_DATABASE_URL, stop: async () => undefined } : await startEmbeddedPostgres();
  try {
    for (const latencyMs of latency > 0 ? [latency, 0] : [0]) {
      const rates: number[] = [];
      for (const n of counts) {
        const rate = await deliveryRun(server.url, n, latencyMs, Number(values.count), Number(values.connections));
        rates.push(rate);
        const ratio = rates[0] ? ` (${(rate / rates[0]).toFixed(2)}× one worker)` : '';
        process.stdout.write(`latency ${latencyMs} ms, ${n} worker${n === 1 ? '' : 's'} × ${values.connections} connections: ${Math.round(rate)} msg/s${ratio}\n`);
      }
    }
    const size = Number(values['edition-size']);
    if (size > 0) {
      for (const kind of ['sqlite', 'postgres'] as const) {
        const figures = await editionCreation(kind, server.url, size);
        process.stdout.write(`edition of ${figures.recipients} recipients on ${kind}: created in ${figures.seconds.toFixed(1)} s, peak RSS ${figures.peakRssMb} MB\n`);
        process.stdout.write(`  a claim of 100 rows: ${figures.firstClaimMs.toFixed(1)} ms at the start, ${figures.lateClaimMs.toFixed(1)} ms with 90 % done (a tenth of it deferred); \`digest status\` then ${figures.statusSeconds.toFixed(2)} s\n`);
      }
    }
  } finally {
    await server.stop();
  }
}

async function freshDatabase(serverUrl: string, name: string): Promise<{ url: string; drop(): Promise<void> }> {
  const admin = async (sql: string) => {
    const client = new pg.Client({ connectionString: serverUrl });
    await client.connect();
    await client.query(sql).finally(() => client.end());
  };
  await admin(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
  await admin(`CREATE DATABASE ${name}`);
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  return { url: url.toString(), drop: () => admin(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`) };
}

const SEED_PG = `INSERT INTO subscribers (email, name, cadence, status, created_at, confirmed_at, status_changed_at)
  SELECT 'reader' || g || '@example.org', 'Reader ' || g, 'weekly', 'active', $1, $1, $1 FROM generate_series(1, $2) AS g`;
const SEED_SQLITE = `INSERT INTO subscribers (email, name, cadence, status, created_at, confirmed_at, status_changed_at)
  WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ?)
  SELECT 'reader' || i || '@example.org', 'Reader ' || i, 'weekly', 'active', ?, ?, ? FROM n`;

async function seedPg(url: string, count: number): Promise<void> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  await client.query(SEED_PG, [Date.now() - 3_600_000, count]).finally(() => client.end());
}

async function deliveryRun(serverUrl: string, workers: number, latencyMs: number, count: number, connections: number): Promise<number> {
  const db = await freshDatabase(serverUrl, `digest_bench_w${workers}_l${latencyMs}`);
  const sink = await startSink(latencyMs);
  const ws = benchWorkspace({ DATABASE_URL: db.url, SMTP_URL: `smtp://127.0.0.1:${sink.port}`, SMTP_MAX_CONNECTIONS: String(connections), CLAIM_BATCH_SIZE: '100', WORKER_POLL_SECONDS: '1' });
  const children: ChildProcess[] = [];
  const client = new pg.Client({ connectionString: db.url });
  try {
    const app = await ws.app();
    await app.close(); // migrated
    await seedPg(db.url, count);
    await client.connect();
    const scalar = async (sql: string) => Number((await client.query<{ n: number }>(sql)).rows[0]?.n ?? 0);
    for (let i = 0; i < workers; i += 1) {
      const child = spawn(process.execPath, [...CLI, 'worker'], { cwd: REPO, env: { ...process.env, ...ws.env }, stdio: ['ignore', 'ignore', 'inherit'] });
      child.once('exit', (code, signal) => (code || signal) && process.stderr.write(`a worker exited (${code ?? signal})\n`));
      children.push(child);
    }
    while ((await scalar('SELECT count(*)::int AS n FROM workers')) < workers) await sleep(100);
    const preparer = await ws.app();
    await prepareEdition(preparer, { cadence: 'weekly' });
    await preparer.close();
    const marks: { at: number; sent: number }[] = [];
    for (;;) {
      const sent = await scalar(`SELECT count(*)::int AS n FROM deliveries WHERE state = 'sent'`);
      marks.push({ at: performance.now(), sent });
      if (sent >= count) break;
      if (children.every((child) => child.exitCode !== null || child.signalCode !== null)) throw new Error(`every worker exited with ${sent} of ${count} sent`);
      await sleep(100);
    }
    const from = marks.find((m) => m.sent >= count * 0.1)!;
    const to = marks.find((m) => m.sent >= count * 0.9)!;
    return (to.sent - from.sent) / ((to.at - from.at) / 1000);
  } finally {
    for (const child of children) child.kill('SIGTERM');
    await Promise.all(children.map((child) => new Promise((resolve) => (child.exitCode !== null ? resolve(undefined) : child.once('exit', resolve)))));
    await client.end().catch(() => undefined);
    sink.stop();
    ws.cleanup();
    await db.drop();
  }
}

interface EditionFigures {
  seconds: number;
  recipients: number;
  firstClaimMs: number;
  lateClaimMs: number;
  peakRssMb: number;
  statusSeconds: number;
}

async function editionCreation(kind: 'sqlite' | 'postgres', serverUrl: string, size: number): Promise<EditionFigures> {
  const db = kind === 'postgres' ? await freshDatabase(serverUrl, 'digest_bench_million') : undefined;
  const ws = benchWorkspace(db ? { DATABASE_URL: db.url } : {});
  try {
    const app = await ws.app();
    await app.close();
    const confirmed = Date.now() - 3_600_000;
    if (db) await seedPg(db.url, size);
    else {
      const sqlite = new Database(`${ws.env.DATA_DIR}/digest.sqlite`);
      sqlite.prepare(SEED_SQLITE).run(size, confirmed, confirmed, confirmed);
      sqlite.close();
    }
    const result = await new Promise<string>((resolve) => {
      const child = spawn(process.execPath, ['--import', 'tsx', 'bench/prepare-child.ts'], { cwd: REPO, env: { ...process.env, ...ws.env, DOTENV_FILE: ws.env.DOTENV_FILE }, stdio: ['ignore', 'pipe', 'inherit'] });
      let out = '';
      child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
      child.on('exit', () => resolve(out));
    });
    const figures = JSON.parse(result.trim().split('\n').pop() ?? '{}') as Omit<EditionFigures, 'statusSeconds'>;
    return { ...figures, statusSeconds: timedStatus(ws.env) };
  } finally {
    ws.cleanup();
    await db?.drop();
  }
}

/** `digest status` as an operator runs it, on what the claims left: wall seconds, fastest of three. */
function timedStatus(env: Record<string, string>): number {
  const runs = [0, 1, 2].map(() => {
    const started = performance.now();
    const run = spawnSync(process.execPath, [...CLI, 'status'], { cwd: REPO, env: { ...process.env, ...env }, encoding: 'utf8' });
    if (run.status !== 0) throw new Error(`digest status exited with ${run.status}: ${run.stderr}`);
    return (performance.now() - started) / 1000;
  });
  return Math.min(...runs);
}

async function startSink(latencyMs: number): Promise<{ port: number; stop(): void }> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'bench/sink.ts'], { cwd: REPO, env: { ...process.env, SINK_LATENCY_MS: String(latencyMs) }, stdio: ['ignore', 'pipe', 'inherit'] });
  const port = await new Promise<number>((resolve) => child.stdout!.on('data', (chunk: Buffer) => resolve(Number(/port (\d+)/.exec(chunk.toString())?.[1]))));
  return { port, stop: () => child.kill('SIGTERM') };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
