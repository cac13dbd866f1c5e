import { generateKeyPairSync } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { runSend } from '../src/pipeline.js';
import { defaultTransport } from '../src/app.js';
import { loadConfig } from '../src/config.js';
import type { Transport } from '../src/transport/transport.js';
import { benchWorkspace, seedSubscribers, usage } from './workspace.js';

/**
 * One measured `digest send` of the seed edition to COUNT subscribers, in its own process so CPU
 * and peak RSS are its own. Prints one JSON line. argv: count port connections [dkim]
 */
const [count = 20000, port = 2525, connections = 5] = process.argv.slice(2, 5).map(Number);
const dkim = process.argv[5] === 'dkim';
const ws = benchWorkspace({ SMTP_URL: `smtp://127.0.0.1:${port}`, SMTP_MAX_CONNECTIONS: String(connections) });
if (dkim) {
  const key = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ type: 'pkcs8', format: 'pem' });
  writeFileSync(join(ws.dir, 'dkim.pem'), key);
  Object.assign(ws.env, { DKIM_DOMAIN: 'example.org', DKIM_SELECTOR: 'bench', DKIM_PRIVATE_KEY_FILE: join(ws.dir, 'dkim.pem') });
}
try {
  const seedApp = await ws.app();
  await seedSubscribers(seedApp, count);
  await seedApp.close();
  const before = usage();
  const rssAfterSeedMb = process.memoryUsage().rss / 1048576;
  const started = performance.now();
  let firstSend = 0;
  let bytes = 0;
  const inner = await defaultTransport(loadConfig(ws.env, ws.dir));
  const timed: Transport = {
    ...inner,
    description: inner.description,
    concurrency: inner.concurrency,
    send(envelope, message, beforeCommit) {
      if (firstSend === 0) firstSend = performance.now();
      bytes = message.length;
      return inner.send(envelope, message, beforeCommit);
    },
  };
  const app = await ws.app(timed);
  const report = await runSend(app, { cadence: 'weekly' });
  const ended = performance.now();
  await app.close();
  const after = usage();
  const steadySeconds = (ended - firstSend) / 1000;
  process.stdout.write(
    `${JSON.stringify({
      sent: report.tally.sent,
      failed: report.tally.failed + report.tally.deferred + report.tally.uncertain,
      messageBytes: bytes,
      totalSeconds: (ended - started) / 1000,
      steadySeconds,
      perSecond: report.tally.sent / steadySeconds,
      cpuMsPerMessage: (after.cpuMs - before.cpuMs) / Math.max(1, report.tally.sent),
      peakRssMb: after.peakRssMb,
      rssAfterSeedMb,
      rssAtEndMb: process.memoryUsage().rss / 1048576,
    })}\n`,
  );
} finally {
  ws.cleanup();
}
