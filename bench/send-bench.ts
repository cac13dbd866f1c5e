import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { generateKeyPairSync } from 'node:crypto';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { importBench } from './import-bench.js';
import { buildFirst, hasCommand, runCli, type CliRun, sampleMessage, seededWorkspace, sentOf, smtpSource } from './end-to-end.js';
import { REPO } from './workspace.js';

/**
 * `npm run bench -- --workers 1,2,4 --latency-ms 20`: several workers on PostgreSQL (workers-bench.ts).
 *
 * `npm run bench [-- --count 20000 --connections 5 --receiver node|smtp-sink --e2e-count 10000 --e2e-runs 2 --rss-count 100000
 *   --import-rows 1000000 --skip baseline,dkim,e2e,first,rss,import]`
 *
 * One run prints every figure of the send path (docs/performance.md explains them):
 *   1. in-process sends (product without and with DKIM RSA-2048, the nodemailer sendMail baseline)
 *      into a small node sink in a process of its own: msg/s, CPU ms per message, peak RSS;
 *   2. end to end, `digest send` to 10,000 subscribers as a user runs it (process start to exit)
 *      against Postfix's `smtp-source` sending the same message as often over as many
 *      connections into the same `smtp-sink`, without and with DKIM;
 *   3. the time from process start to the first message on the wire (the node sink notes it);
 *   4. the peak RSS of a `digest send` to 100,000 subscribers;
 *   5. the time and peak RSS of `subscribers import` of 1,000,000 rows, and of their export (bench/import-bench.ts).
 */
if (process.argv.includes('--workers')) {
  const { workersBench } = await import('./workers-bench.js');
  await workersBench(process.argv.slice(2));
  process.exit(0);
}

const { values } = parseArgs({
  options: {
    count: { type: 'string', default: '20000' },
    connections: { type: 'string', default: '5' },
    'baseline-count': { type: 'string' },
    'dkim-count': { type: 'string' },
    'e2e-count': { type: 'string', default: '10000' },
    'e2e-runs': { type: 'string', default: '2' },
    'rss-count': { type: 'string', default: '100000' },
    'import-rows': { type: 'string', default: '1000000' },
    receiver: { type: 'string', default: 'node' },
    skip: { type: 'string', default: '' },
  },
});
const count = Number(values.count);
const connections = Number(values.connections);
const skip = new Set(values.skip.split(',').filter(Boolean));

interface Figures {
  sent: number;
  perSecond: number;
  cpuMsPerMessage?: number;
  peakRssMb?: number;
  totalSeconds: number;
}

/** Bench scripts of their own (not the CLI) run through tsx. */
const TSX = ['--import', 'tsx'];

interface Receiver {
  port: number;
  /** Epoch ms of the first message's final dot (node sink only). */
  first: Promise<number>;
  stop(): void;
}

async function startReceiver(receiver: string): Promise<Receiver> {
  if (receiver === 'smtp-sink') {
    const port = 20000 + Math.floor(Math.random() * 20000);
    const child = spawn('smtp-sink', ['-u', 'nobody', `127.0.0.1:${port}`, '1000'], { stdio: 'ignore' });
    await new Promise((resolve) => setTimeout(resolve, 500));
    return { port, first: new Promise(() => undefined), stop: () => child.kill('SIGTERM') };
  }
  const child = spawn(process.execPath, [...TSX, 'bench/sink.ts'], { cwd: REPO, stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  let onFirst: (at: number) => void = () => undefined;
  const first = new Promise<number>((resolve) => (onFirst = resolve));
  const port = await new Promise<number>((resolve) =>
    child.stdout.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      const listening = /port (\d+)/.exec(out);
      if (listening) resolve(Number(listening[1]));
      const at = /first (\d+)/.exec(out);
      if (at) onFirst(Number(at[1]));
    }),
  );
  return { port, first, stop: () => child.kill('SIGTERM') };
}

/** A child that prints one JSON line of figures (run-product.ts, run-baseline.ts). */
async function child(script: string, n: number, port: number, extra: string[] = []): Promise<Figures> {
  return new Promise((resolve) => {
    const proc = spawn(process.execPath, [...TSX, script, String(n), String(port), String(connections), ...extra], { cwd: REPO, stdio: ['ignore', 'pipe', 'inherit'] });
    let stdout = '';
    proc.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    proc.on('exit', () => resolve(JSON.parse(stdout.trim().split('\n').pop() ?? '{}') as Figures));
  });
}

const fmt = (value: number | undefined, digits = 0) => (value === undefined || Number.isNaN(value) ? '–' : value.toFixed(digits));
const out = (line = '') => process.stdout.write(`${line}\n`);
const summary: string[] = [];

/** 1. In-process sends into the node sink. */
async function inProcess(): Promise<void> {
  const sink = await startReceiver(values.receiver);
  try {
    const rows: [string, Figures | undefined][] = [];
    rows.push([`product, ${count} messages`, await child('bench/run-product.ts', count, sink.port)]);
    const baselineCount = Number(values['baseline-count'] ?? Math.min(count, 5000));
    const baseline = skip.has('baseline') ? undefined : await child('bench/run-baseline.ts', baselineCount, sink.port);
    rows.push([`nodemailer sendMail baseline, ${baselineCount} messages`, baseline]);
    const dkimCount = Number(values['dkim-count'] ?? Math.min(count, 10000));
    const dkim = skip.has('dkim') ? undefined : await child('bench/run-product.ts', dkimCount, sink.port, ['dkim']);
    rows.push([`product with DKIM (RSA-2048), ${dkimCount} messages`, dkim]);
    out(`In process, into ${values.receiver === 'smtp-sink' ? "Postfix's smtp-sink" : 'a node sink (its own process)'}, ${connections} connections:`);
    out('| run | msg/s | CPU ms/msg | peak RSS MB |\n|---|---:|---:|---:|');
    for (const [label, f] of rows) out(`| ${label} | ${fmt(f?.perSecond)} | ${fmt(f?.cpuMsPerMessage, 2)} | ${fmt(f?.peakRssMb)} |`);
    const product = rows[0]![1]!;
    summary.push(`msg/s, CPU ms/msg without DKIM: ${fmt(product.perSecond)}, ${fmt(product.cpuMsPerMessage, 2)}`);
    if (dkim) summary.push(`msg/s, CPU ms/msg with DKIM RSA-2048: ${fmt(dkim.perSecond)}, ${fmt(dkim.cpuMsPerMessage, 2)}`);
    if (baseline) summary.push(`product / nodemailer sendMail: ${fmt(product.perSecond / baseline.perSecond, 1)}× (target ≥ 3.5×)`);
  } finally {
    sink.stop();
  }
}

/** 2. `digest send` end to end against smtp-source, without and with DKIM, into smtp-sink. */
async function endToEnd(n: number): Promise<void> {
  const postfix = hasCommand('smtp-sink') && hasCommand('smtp-source');
  if (!postfix) {
    out('\nPostfix is not installed, so there is no smtp-source reference and no smtp-sink: install it with');
    out('`sudo bash scripts/ensure-postfix.sh` (or `sudo apt-get install postfix`), then run the bench again.');
  }
  const sink = await startReceiver(postfix ? 'smtp-sink' : 'node');
  const ws = await seededWorkspace(n, { SMTP_URL: `smtp://127.0.0.1:${sink.port}`, SMTP_MAX_CONNECTIONS: String(connections) });
  const sample = postfix ? await sampleMessage() : undefined;
  try {
    // Each side runs --e2e-runs times, interleaved, and keeps its fastest: on a shared machine a
    // single run mostly measures what else was running.
    const runs = Number(values['e2e-runs']);
    const key = dkimEnv(ws.env.DATA_DIR);
    let plain: CliRun | undefined;
    let dkim: CliRun | undefined;
    let source: number | undefined;
    for (let i = 0; i < runs; i += 1) {
      plain = fastest(plain, await runCli(['send'], ws.fresh()));
      if (!skip.has('dkim')) dkim = fastest(dkim, await runCli(['send'], ws.fresh(key)));
      if (sample) source = Math.min(source ?? Infinity, await smtpSource(n, sink.port, connections, sample.file));
    }
    if (!plain) return;
    out(`\nEnd to end into ${postfix ? "Postfix's smtp-sink" : 'the node sink'}, ${connections} connections, ${n} subscribers${sample ? ` (message ${Math.round(sample.bytes / 1024)} KB)` : ''}, fastest of ${runs}:`);
    out('| run | seconds | msg/s | CPU ms/msg | peak RSS MB |\n|---|---:|---:|---:|---:|');
    const row = (label: string, seconds: number, sent: number, cpuMs?: number, rss?: number) =>
      out(`| ${label} | ${fmt(seconds, 2)} | ${fmt(sent / seconds)} | ${fmt(cpuMs === undefined ? undefined : cpuMs / sent, 2)} | ${fmt(rss)} |`);
    row('`digest send`, process start to exit', plain.seconds, sentOf(plain), plain.cpuMs, plain.peakRssMb);
    if (dkim) row('`digest send` with DKIM RSA-2048', dkim.seconds, sentOf(dkim), dkim.cpuMs, dkim.peakRssMb);
    if (source) row('smtp-source, the same message', source, n);
    if (source) {
      summary.push(`e2e \`digest send\` / smtp-source rate: ${fmt(source / plain.seconds, 2)}× (target ≥ 0.7×)`);
      if (dkim) summary.push(`e2e with DKIM RSA-2048 / smtp-source rate: ${fmt(source / dkim.seconds, 2)}× (target ≥ 0.5×)`);
    } else summary.push('e2e ratio to smtp-source: – (Postfix not installed)');
  } finally {
    sample?.cleanup();
    ws.cleanup();
    sink.stop();
  }
}

const fastest = (a: CliRun | undefined, b: CliRun) => (a && a.seconds <= b.seconds ? a : b);

function dkimEnv(dataDir: string): Record<string, string> {
  const key = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ type: 'pkcs8', format: 'pem' });
  const file = join(dataDir, '..', 'dkim.pem');
  writeFileSync(file, key);
  return { DKIM_DOMAIN: 'example.org', DKIM_SELECTOR: 'bench', DKIM_PRIVATE_KEY_FILE: file };
}

/** 3. Process start to the first message's final dot at the sink; the send is then stopped. */
async function firstMessage(n: number): Promise<void> {
  const sink = await startReceiver('node');
  const ws = await seededWorkspace(n, { SMTP_URL: `smtp://127.0.0.1:${sink.port}`, SMTP_MAX_CONNECTIONS: String(connections) });
  try {
    const spawned = Date.now();
    let firstAt = 0;
    await runCli(['send'], ws.fresh(), sink.first.then((at) => (firstAt = at)));
    const seconds = firstAt ? (firstAt - spawned) / 1000 : undefined;
    out(`\nProcess start to the first message on the wire, \`digest send\` to ${n} subscribers: ${fmt(seconds, 2)} s`);
    summary.push(`first message on the wire after start: ${fmt(seconds, 2)} s (target < 1 s)`);
  } finally {
    ws.cleanup();
    sink.stop();
  }
}

/** 4. Peak RSS of a whole `digest send` to many subscribers. */
async function peakRss(n: number): Promise<void> {
  const sink = await startReceiver('node');
  const ws = await seededWorkspace(n, { SMTP_URL: `smtp://127.0.0.1:${sink.port}`, SMTP_MAX_CONNECTIONS: String(connections) });
  try {
    const run = await runCli(['send'], ws.fresh());
    out(`\n\`digest send\` to ${n} subscribers: ${sentOf(run)} sent in ${fmt(run.seconds, 1)} s, peak RSS ${fmt(run.peakRssMb)} MB`);
    summary.push(`peak RSS of a send to ${n} subscribers: ${fmt(run.peakRssMb)} MB`);
  } finally {
    ws.cleanup();
    sink.stop();
  }
}

/** 5. The streaming import (bench/import-bench.ts). */
async function importFigures(rows: number): Promise<void> {
  const figures = await importBench(rows);
  out(`\n\`subscribers import\` of ${figures.rows} rows: ${fmt(figures.seconds, 1)} s, peak RSS ${fmt(figures.peakRssMb)} MB`);
  out(`\`subscribers export\` of the same rows: ${fmt(figures.exported.seconds, 1)} s, peak RSS ${fmt(figures.exported.peakRssMb)} MB`);
  summary.push(`import of ${figures.rows} rows: ${fmt(figures.seconds, 1)} s, peak RSS ${fmt(figures.peakRssMb)} MB (target < 300 MB)`);
  summary.push(`export of ${figures.rows} rows: ${fmt(figures.exported.seconds, 1)} s, peak RSS ${fmt(figures.exported.peakRssMb)} MB`);
}

async function main(): Promise<void> {
  buildFirst();
  out(`Machine: ${cpus().length} × ${cpus()[0]?.model ?? 'unknown CPU'}, Node ${process.version}, load average ${loadavg().map((l) => l.toFixed(1)).join(' ')} at the start.\n`);
  await inProcess();
  if (!skip.has('e2e')) await endToEnd(Number(values['e2e-count']));
  if (!skip.has('first')) await firstMessage(Number(values['e2e-count']));
  if (!skip.has('rss')) await peakRss(Number(values['rss-count']));
  if (!skip.has('import')) await importFigures(Number(values['import-rows']));
  out(`\nSummary (load average ${loadavg().map((l) => l.toFixed(1)).join(' ')} at the end):`);
  for (const line of summary) out(`- ${line}`);
}

await main();
