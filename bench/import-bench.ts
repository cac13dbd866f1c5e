import { spawn } from 'node:child_process';
import { closeSync, openSync, readFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import pg from 'pg';
import { startEmbeddedPostgres } from '../tests/support/postgres-server.js';
import { CLI } from './end-to-end.js';
import { benchWorkspace, REPO } from './workspace.js';

/** Time and peak RSS of the import, and of the export that follows it. */
export interface ListFigures {
  rows: number;
  seconds: number;
  peakRssMb: number;
  exported: { seconds: number; peakRssMb: number };
}

/**
 * `npx tsx bench/import-bench.ts [--rows 1000000] [--postgres]`
 *
 * `digest subscribers import` of a generated CSV file of `rows` readers into a fresh database,
 * then `digest subscribers export` of them all, each run as the real command in a process of its
 * own: wall time (start-up included) and that process's peak RSS, read by a preload
 * (peak-rss.mjs) when it exits. `databaseUrl`: a PostgreSQL database to use (emptied first)
 * instead of SQLite.
 */
export async function importBench(rows: number, options: { databaseUrl?: string } = {}): Promise<ListFigures> {
  const ws = benchWorkspace(options.databaseUrl ? { DATABASE_URL: options.databaseUrl } : {});
  try {
    const csv = join(ws.dir, 'subscribers.csv');
    writeCsv(csv, rows);
    const rssFile = join(ws.dir, 'peak-rss');
    const env = { ...ws.env, PEAK_RSS_FILE: rssFile };
    const peakRssMb = () => Number(readFileSync(rssFile, 'utf8'));
    const imported = await run(['subscribers', 'import', csv], env);
    const added = Number(/Imported (\d+) rows/.exec(imported.output)?.[1]);
    if (imported.code !== 0 || added !== rows) throw new Error(`the import ended with code ${imported.code} and ${added} rows of ${rows}:\n${imported.output}`);
    const importRss = peakRssMb();
    const exported = await run(['subscribers', 'export'], env);
    // The header and one line per reader (a name holds no line break).
    if (exported.code !== 0 || exported.lines !== rows + 1) throw new Error(`the export ended with code ${exported.code} and ${exported.lines} lines for ${rows} rows:\n${exported.output}`);
    return { rows, seconds: imported.seconds, peakRssMb: importRss, exported: { seconds: exported.seconds, peakRssMb: peakRssMb() } };
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

/** The CLI with the peak-RSS preload: its wall time, exit code, the lines it printed, and its output up to 64 KB. */
function run(args: string[], env: Record<string, string>): Promise<{ code: number | null; seconds: number; lines: number; output: string }> {
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', './bench/peak-rss.mjs', ...CLI, ...args], { cwd: REPO, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    let lines = 0;
    const keep = (chunk: Buffer) => (output = output.length < 65_536 ? output + chunk.toString() : output);
    child.stdout.on('data', (chunk: Buffer) => {
      for (let at = chunk.indexOf(10); at !== -1; at = chunk.indexOf(10, at + 1)) lines += 1;
      keep(chunk);
    });
    child.stderr.on('data', keep);
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, seconds: (performance.now() - started) / 1000, lines, output }));
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
  const on = values.postgres ? 'postgres' : 'sqlite';
  process.stdout.write(`import of ${figures.rows} rows on ${on}: ${figures.seconds.toFixed(1)} s, peak RSS ${figures.peakRssMb} MB\n`);
  process.stdout.write(`export of ${figures.rows} rows on ${on}: ${figures.exported.seconds.toFixed(1)} s, peak RSS ${figures.exported.peakRssMb} MB\n`);
}
