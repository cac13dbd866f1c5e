import nodemailer from 'nodemailer';
import { planEdition } from '../src/pipeline.js';
import { fillTokens, personalValuesFor } from '../src/render/personal.js';
import { renderDigest } from '../src/render/render-digest.js';
import { buildViewModel } from '../src/render/view-model.js';
import { benchWorkspace, usage } from './workspace.js';

/**
 * The baseline: the same digest, rendered once, sent with nodemailer's `sendMail` over a pool of
 * the same size; nodemailer builds the MIME message for every recipient. Prints one JSON line.
 * argv: count port connections
 */
const [count = 20000, port = 2525, connections = 5] = process.argv.slice(2, 5).map(Number);
const ws = benchWorkspace({});
try {
  const app = await ws.app();
  const { selection } = await planEdition(app, 'weekly');
  const rendered = await renderDigest(await app.templates(), buildViewModel({ number: 1, cadence: 'weekly', date: new Date() }, selection.included, app.publication));
  const pool = nodemailer.createTransport({ host: '127.0.0.1', port, secure: false, ignoreTLS: true, pool: true, maxConnections: connections, maxMessages: Infinity });
  const before = usage();
  const started = performance.now();
  let sent = 0;
  let failed = 0;
  let next = 0;
  const worker = async () => {
    while (next < count) {
      const i = next++;
      const to = `reader${i}@example.org`;
      const values = personalValuesFor(app.signer, app.config.publicUrl, { id: i + 1, name: `Reader ${i}`, email: to });
      try {
        await pool.sendMail({
          from: app.config.from,
          to: { name: `Reader ${i}`, address: to },
          subject: rendered.subject,
          text: fillTokens(rendered.text, values, false),
          html: fillTokens(rendered.html, values, true),
          headers: { 'List-Unsubscribe': `<${values.unsubscribeUrl}>`, 'List-Unsubscribe-Post': 'List-Unsubscribe=One-Click', 'List-Id': app.sender.listId },
        });
        sent += 1;
      } catch {
        failed += 1;
      }
    }
  };
  await Promise.all(Array.from({ length: connections * 4 }, worker));
  const seconds = (performance.now() - started) / 1000;
  pool.close();
  await app.close();
  const after = usage();
  process.stdout.write(`${JSON.stringify({ sent, failed, totalSeconds: seconds, steadySeconds: seconds, perSecond: sent / seconds, cpuMsPerMessage: (after.cpuMs - before.cpuMs) / Math.max(1, sent), peakRssMb: after.peakRssMb })}\n`);
} finally {
  ws.cleanup();
}
