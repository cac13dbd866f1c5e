import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { REPO, benchWorkspace, seedSubscribers } from './workspace.js';

/**
 * `npm run bench -- --workers 1,2,4 --latency-ms 20`: several workers on PostgreSQL (workers-bench.ts).
 *
 * `npm run bench [-- --count 20000 --connections 5 --receiver node|smtp-sink --e2e-receiver …]`
 *
 * Sends N digests of the seed edition to an SMTP receiver on loopback running in its own process,
 * and prints msg/s, CPU ms per message and peak RSS for: the product (without and with DKIM) and
 * the nodemailer `sendMail` baseline in the same run (receiver: our small node sink unless told
 * otherwise); then an end-to-end `digest send` to 10,000 subscribers against Postfix's
 * `smtp-source` sending the same message as often over as many connections (receiver: Postfix's
 * `smtp-sink` where installed, as in the reference measurement).
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
    receiver: { type: 'string', default: 'node' },
    'e2e-receiver': { type: 'string' },
    skip: { type: 'string', default: '' },
  },
});
const count = Number(values.count);
const connections = Number(values.connections);
const skip = new Set(values.skip.split(',').filter(Boolean));
const hasPostfix = (name: string) => spawnSync('sh', ['-c', `command -v ${name}`]).status === 0;
const e2eReceiver = values['e2e-receiver'] ?? (hasPostfix('smtp-sink') ? 'smtp-sink' : 'node');

interface Figures {
  sent: number;
  perSecond: number;
  cpuMsPerMessage?: number;
  peakRssMb?: number;
  totalSeconds: number;
}

const TSX = ['--import', 'tsx'];

function run(args: string[], env: Record<string, string> = {}): Promise<{ stdout: string; code: number | null; seconds: number }> {
  const started = performance.now();
  return new Promise((resolve) => {
    const child = spawn(args[0]!, args.slice(1), { cwd: REPO, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'inherit'] });
    let stdout = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.on('exit', (code) => resolve({ stdout, code, seconds: (performance.now() - started) / 1000 }));
  });
}

async function startReceiver(receiver: string): Promise<{ port: number; stop: () => void }> {
  if (receiver === 'smtp-sink') {
    const port = 20000 + Math.floor(Math.random() * 20000);
    const child = spawn('smtp-sink', ['-u', 'nobody', `127.0.0.1:${port}`, '1000'], { stdio: 'ignore' });
    await new Promise((resolve) => setTimeout(resolve, 500));
    return { port, stop: () => child.kill('SIGTERM') };
  }
  const child = spawn(process.execPath, [...TSX, 'bench/sink.ts'], { cwd: REPO, stdio: ['ignore', 'pipe', 'inherit'] });
  const port = await new Promise<number>((resolve) => child.stdout.on('data', (chunk: Buffer) => resolve(Number(/port (\d+)/.exec(chunk.toString())?.[1]))));
  return { port, stop: () => child.kill('SIGTERM') };
}

async function child(script: string, n: number, port: number, extra: string[] = []): Promise<Figures> {
  const result = await run([process.execPath, ...TSX, script, String(n), String(port), String(connections), ...extra]);
  return JSON.parse(result.stdout.trim().split('\n').pop() ?? '{}') as Figures;
}

/** `digest send` as a user runs it, process start to exit, with `n` subscribers already stored. */
async function endToEnd(n: number, port: number): Promise<{ seconds: number; sent: number; sample: string | undefined }> {
  const ws = benchWorkspace({ SMTP_URL: `smtp://127.0.0.1:${port}`, SMTP_MAX_CONNECTIONS: String(connections) });
  try {
    const app = await ws.app();
    await seedSubscribers(app, n);
    await app.close();
    const result = await run([process.execPath, ...TSX, 'src/cli.ts', 'send'], ws.env);
    const sent = Number(/sent (\d+)/.exec(result.stdout)?.[1] ?? 0);
    return { seconds: result.seconds, sent, sample: await sampleMessage() };
  } finally {
    ws.cleanup();
  }
}

/** One real personalised message (from an outbox run), for smtp-source -F. */
async function sampleMessage(): Promise<string | undefined> {
  const ws = benchWorkspace({});
  try {
    const app = await ws.app();
    await seedSubscribers(app, 1);
    await app.close();
    await run([process.execPath, ...TSX, 'src/cli.ts', 'send'], ws.env);
    const outbox = join(ws.env.DATA_DIR, 'outbox');
    const file = readdirSync(outbox).find((f) => f.endsWith('.eml'));
    if (!file) return undefined;
    const dir = mkdtempSync(join(tmpdir(), 'digest-sample-'));
    const body = readFileSync(join(outbox, file), 'latin1').replace(/\r\n/g, '\n');
    writeFileSync(join(dir, 'message.eml'), body, 'latin1');
    return join(dir, 'message.eml');
  } finally {
    ws.cleanup();
  }
}

async function smtpSource(n: number, port: number, file: string): Promise<{ seconds: number; perSecond: number }> {
  const result = await run(['smtp-source', '-d', '-s', String(connections), '-m', String(n), '-F', file, '-f', 'digest@example.org', '-t', 'reader@example.org', `127.0.0.1:${port}`]);
  return { seconds: result.seconds, perSecond: n / result.seconds };
}

const fmt = (value: number | undefined, digits = 0) => (value === undefined || Number.isNaN(value) ? '–' : value.toFixed(digits));

async function main(): Promise<void> {
  let sink = await startReceiver(values.receiver);
  process.stdout.write(`Receiver: ${values.receiver} sink on 127.0.0.1:${sink.port} (separate process); ${connections} connections.\n`);
  try {
    const rows: [string, Figures | undefined][] = [];
    const product = await child('bench/run-product.ts', count, sink.port);
    rows.push([`product, ${count} messages`, product]);
    const baselineCount = Number(values['baseline-count'] ?? Math.min(count, 5000));
    const baseline = skip.has('baseline') ? undefined : await child('bench/run-baseline.ts', baselineCount, sink.port);
    rows.push([`nodemailer sendMail baseline, ${baselineCount} messages`, baseline]);
    const dkimCount = Number(values['dkim-count'] ?? Math.min(count, 10000));
    const dkim = skip.has('dkim') ? undefined : await child('bench/run-product.ts', dkimCount, sink.port, ['dkim']);
    rows.push([`product with DKIM (RSA-2048), ${dkimCount} messages`, dkim]);
    process.stdout.write(`\n| run | msg/s | CPU ms/msg | peak RSS MB |\n|---|---:|---:|---:|\n`);
    for (const [label, f] of rows) process.stdout.write(`| ${label} | ${fmt(f?.perSecond)} | ${fmt(f?.cpuMsPerMessage, 2)} | ${fmt(f?.peakRssMb)} |\n`);
    if (baseline) process.stdout.write(`\nProduct / sendMail baseline: ${fmt(product.perSecond / baseline.perSecond, 1)}× (target ≥ 3.5×)\n`);
    if (dkim) process.stdout.write(`With DKIM: ${fmt(dkim.perSecond)} msg/s (target ≥ 600)\n`);
    if (skip.has('e2e')) return;
    if (e2eReceiver !== values.receiver) {
      sink.stop();
      sink = await startReceiver(e2eReceiver);
    }
    const e2eCount = Number(values['e2e-count']);
    const e2e = await endToEnd(e2eCount, sink.port);
    process.stdout.write(`\nReceiver: ${e2eReceiver} sink. End to end, \`digest send\` to ${e2eCount} subscribers: ${fmt(e2e.seconds, 2)} s, process start to exit (${e2e.sent} sent)\n`);
    if (hasPostfix('smtp-source') && e2e.sample) {
      const source = await smtpSource(e2eCount, sink.port, e2e.sample);
      rmSync(join(e2e.sample, '..'), { recursive: true, force: true });
      process.stdout.write(`smtp-source, the same message ${e2eCount}×: ${fmt(source.seconds, 2)} s (${fmt(source.perSecond)} msg/s)\n`);
      process.stdout.write(`digest send / smtp-source: ${fmt(e2e.seconds / source.seconds, 2)}× (target ≤ 2.5×)\n`);
    } else {
      process.stdout.write('smtp-source is not installed (Debian package postfix): no reference figure.\n');
    }
  } finally {
    sink.stop();
  }
}

await main();
