import { spawn, spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { benchWorkspace, REPO, seedSubscribers } from './workspace.js';

/**
 * The product as a user runs it: `digest send` in a process of its own, timed from spawn to exit,
 * with its peak RSS (written at exit by the peak-rss.mjs preload) and its CPU (read from /proc
 * while it runs: Linux; elsewhere it is missing).
 */

/**
 * How the CLI is started: as installed, bin/digest.js running the compiled dist/ (the one line to
 * change to measure another entry, e.g. `['--import', 'tsx', 'src/cli.ts']`).
 */
export const CLI = ['bin/digest.js'];

/** Builds dist/ now if src/ changed since (bin/digest.js would, inside the first measured run). */
export function buildFirst(): void {
  const built = spawnSync(process.execPath, [...CLI, '--help'], { cwd: REPO, stdio: ['ignore', 'ignore', 'inherit'] });
  if (built.status !== 0) throw new Error(`the CLI does not start (${CLI.join(' ')} --help exited with ${built.status})`);
}

export interface CliRun {
  seconds: number;
  code: number | null;
  stdout: string;
  /** Peak resident set (VmHWM) and CPU (user + system) of the CLI process. */
  peakRssMb?: number;
  cpuMs?: number;
}

export const hasCommand = (name: string) => spawnSync('sh', ['-c', `command -v ${name}`]).status === 0;

/** Runs the CLI; `stop` (when given) resolves to end it early with SIGTERM. */
export function runCli(args: string[], env: Record<string, string>, stop?: Promise<unknown>): Promise<CliRun> {
  const started = performance.now();
  const rssFile = join(mkdtempSync(join(tmpdir(), 'digest-rss-')), 'peak-rss');
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import', './bench/peak-rss.mjs', ...CLI, ...args], { cwd: REPO, env: { ...process.env, ...env, PEAK_RSS_FILE: rssFile }, stdio: ['ignore', 'pipe', 'inherit'] });
    let stdout = '';
    let cpuMs: number | undefined;
    const poll = setInterval(() => (cpuMs = cpuOf(child.pid) ?? cpuMs), 50);
    void stop?.then(() => child.kill('SIGTERM'));
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.on('exit', (code) => {
      clearInterval(poll);
      const peakRssMb = existsSync(rssFile) ? Number(readFileSync(rssFile, 'utf8')) : undefined;
      rmSync(join(rssFile, '..'), { recursive: true, force: true });
      resolve({ seconds: (performance.now() - started) / 1000, code, stdout, ...(peakRssMb ? { peakRssMb } : {}), ...(cpuMs ? { cpuMs } : {}) });
    });
  });
}

const CLOCK_TICKS = Number(spawnSync('getconf', ['CLK_TCK']).stdout?.toString().trim()) || 100;

/** utime + stime of a live process, from /proc. */
function cpuOf(pid: number | undefined): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / CLOCK_TICKS;
  } catch {
    return undefined;
  }
}

/**
 * A workspace with `n` subscribers, seeded once; `fresh()` gives each run its own copy of the
 * database so every send starts from the same state.
 */
export async function seededWorkspace(n: number, env: Record<string, string>) {
  const ws = benchWorkspace(env);
  const app = await ws.app();
  await seedSubscribers(app, n);
  await app.close();
  const seed = join(ws.dir, 'seed');
  cpSync(ws.env.DATA_DIR, seed, { recursive: true });
  return {
    env: ws.env,
    fresh(extra: Record<string, string> = {}): Record<string, string> {
      rmSync(ws.env.DATA_DIR, { recursive: true, force: true });
      cpSync(seed, ws.env.DATA_DIR, { recursive: true });
      return { ...ws.env, ...extra };
    },
    cleanup: ws.cleanup,
  };
}

/** One real personalised message (from an outbox run), with LF line ends, for smtp-source -F. */
export async function sampleMessage(): Promise<{ file: string; bytes: number; cleanup(): void } | undefined> {
  const ws = benchWorkspace({});
  try {
    const app = await ws.app();
    await seedSubscribers(app, 1);
    await app.close();
    await runCli(['send'], ws.env);
    const outbox = join(ws.env.DATA_DIR, 'outbox');
    const name = existsSync(outbox) ? readdirSync(outbox).find((f) => f.endsWith('.eml')) : undefined;
    if (!name) return undefined;
    const raw = readFileSync(join(outbox, name), 'latin1');
    const dir = mkdtempSync(join(tmpdir(), 'digest-sample-'));
    writeFileSync(join(dir, 'message.eml'), raw.replace(/\r\n/g, '\n'), 'latin1');
    return { file: join(dir, 'message.eml'), bytes: raw.length, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
  } finally {
    ws.cleanup();
  }
}

/** Postfix's smtp-source: `n` copies of the file over `connections` sessions kept open (-d). */
export function smtpSource(n: number, port: number, connections: number, file: string): Promise<number> {
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const args = ['-d', '-s', String(connections), '-m', String(n), '-F', file, '-f', 'digest@example.org', '-t', 'reader@example.org', `127.0.0.1:${port}`];
    const child = spawn('smtp-source', args, { stdio: ['ignore', 'ignore', 'inherit'] });
    child.on('error', reject);
    child.on('exit', (code) => (code === 0 ? resolve((performance.now() - started) / 1000) : reject(new Error(`smtp-source exited with ${code}`))));
  });
}

/** Sent count from the CLI's summary line. */
export const sentOf = (run: CliRun) => Number(/sent (\d+)/.exec(run.stdout)?.[1] ?? 0);
