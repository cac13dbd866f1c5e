import { createApp } from '../../app.js';
import { runWorker } from '../../deliver/worker.js';
import { startMetricsExporter } from '../../metrics/exporter.js';
import type { CommandContext } from '../command.js';

/** `digest worker`: delivers the open editions' rows alongside any other workers, until SIGTERM/SIGINT. */
export async function worker({ out, loadConfig }: CommandContext): Promise<number> {
  const config = loadConfig();
  const exporter = await startMetricsExporter(config);
  if (exporter) out(`Metrics at ${exporter.url}`);
  const app = await createApp(config, exporter ? { metrics: exporter.metrics } : {});
  const controller = new AbortController();
  let signals = 0;
  const onSignal = () => {
    signals += 1;
    if (signals > 1) process.exit(130); // a second signal while stopping: stop at once
    controller.abort();
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
  try {
    out(`Worker running on the ${app.store.kind === 'postgres' ? 'PostgreSQL' : 'SQLite'} ledger; delivering to ${app.transport.description}. Stop with Ctrl-C or SIGTERM.`);
    const { tally, editions } = await runWorker(app, controller.signal);
    out(`Stopped: sent ${tally.sent} · failed ${tally.failed} · deferred ${tally.deferred} · skipped ${tally.skipped} · uncertain ${tally.uncertain}${editions.length ? ` (editions ${editions.map((n) => `#${n}`).join(', ')})` : ''}.`);
    return 0;
  } finally {
    process.removeListener('SIGTERM', onSignal);
    process.removeListener('SIGINT', onSignal);
    await app.close();
    await exporter?.close();
  }
}
