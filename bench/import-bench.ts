import { spawn } from 'node:child_process';
import { closeSync, openSync, readFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import pg from 'pg';
import { startEmbeddedPostgres } from '../tests/support/postgres-server.js';
import { benchWorkspace, REPO } from './workspace.js';

/**
 * `npx tsx bench/import-bench.ts [--rows 1000000] [--postgres]`
 *
 * `digest subscribers import` of a generated CSV file of `rows` readers into a fresh database, run
 * as the real command in a process of its own: wall time (start-up included) and that process's
 * peak RSS, read by a preload (peak-rss.mjs) when it exits. `databaseUrl`: a PostgreSQL database
 * to import into (emptied first) instead of SQLite.
 */
export async function importBench(rows: number, options: { databaseUrl?: string } = {}): Promise<{ rows: number; seconds: number; peakRssMb: number }> {
  const ws = benchWorkspace(options.databaseUrl ? { DATABASE_URL: options.databaseUrl } : {});
  try {
    const csv = join(ws.dir, 'subscribers.csv');
    writeCsv(csv, rows);
    const rssFile = join(ws.dir, 'peak-rss');
    const started = performance.now();
    const { code, output } = await run(['--import', 'tsx', '--import', './bench/peak-rss.mjs', 'src/cli.ts', 'subscribers', 'import', csv], { ...ws.env, PEAK_RSS_FILE: rssFile });
    const seconds = (performance.now() - started) / 1000;
    const imported = Number(/Imported (\d+) rows/.exec(output)?.[1]);
    if (code !== 0 || imported !== rows) throw new Error(`the import ended with code ${code} and ${imported} rows of ${rows}:\n${output}`);
    return { rows, seconds, peakRssMb: Number(readFileSync(rssFile, 'utf8')) };
  } finally {
    ws.cleanup();
  }
}

/** Readers with a name that needs quoting, topics and the optional columns, written a block at a time. */
function writeCsv(file: string, rows: number): void {
  const fd = openSync(file, 'w');
  try {
    writeSync(fd, 'email,name,categories,cadence,status\n');
    const topics = ['Trade;Sanctions', 'Surveillance', '', 'Trade'];
    for (let start = 0; start < rows; start += 10_000) {
      const lines: string[] = [];
      for (let i = start; i < Math.min(rows, start + 10_000); i += 1) lines.push(`reader${i}@example.org,"Reader, ${i}",${topics[i % topics.length]},weekly,active\n`);
      writeSync(fd, lines.join(''));
    }
  } finally {
    closeSync(fd);
  }
}

function run(args: string[], env: Record<string, string>): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, { cwd: REPO, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, output }));
  });
}

/** An empty database on the embedded PostgreSQL server for the bench (TEST_DATABASE_URL, or one started here). */
async function withPostgres<T>(work: (url: string) => Promise<T>): Promise<T> {
  const server = process.env.TEST_DATABASE_URL ? { url: process.env.TEST_DATABASE_URL, stop: async () => undefined } : await startEmbeddedPostgres();
  const admin = async (sql: string) => {
    const client = new pg.Client({ connectionString: server.url });
    await client.connect();
    await client.query(sql).finally(() => client.end());
  };
  try {
    await admin('DROP DATABASE IF EXISTS digest_bench_import WITH (FORCE)');
    await admin('CREATE DATABASE digest_bench_import');
    const url = new URL(server.url);
    url.pathname = '/digest_bench_import';
    return await work(url.toString());
  } finally {
    await admin('DROP DATABASE IF EXISTS digest_bench_import WITH (FORCE)').catch(() => undefined);
    await server.stop();
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const { values } = parseArgs({ options: { rows: { type: 'string', default: '1000000' }, postgres: { type: 'boolean', default: false } } });
  const rows = Number(values.rows);
  const figures = values.postgres ? await withPostgres((databaseUrl) => importBench(rows, { databaseUrl })) : await importBench(rows);
  process.stdout.write(`import of ${figures.rows} rows on ${values.postgres ? 'postgres' : 'sqlite'}: ${figures.seconds.toFixed(1)} s, peak RSS ${figures.peakRssMb} MB\n`);
}
