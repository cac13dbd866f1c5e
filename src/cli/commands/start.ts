import { createApp } from '../../app.js';
import type { Config } from '../../config.js';
import { startMetricsExporter } from '../../metrics/exporter.js';
import { runService } from '../../schedule/service.js';
import { portOption, type CommandContext } from '../command.js';

/**
 * `digest start` (the production process): the scheduler and the web server together, with a
 * delivery worker unless `--no-worker` (its ticks then only prepare editions for `digest worker`s).
 */
export async function start({ options, out, loadConfig }: CommandContext): Promise<number> {
  const config = loadConfig();
  return service({ ...config, port: portOption(options.port, config.port) }, true, out, options.worker !== false);
}

/** `digest schedule`: the scheduler alone, for a setup that runs the web server elsewhere. */
export async function schedule({ out, loadConfig }: CommandContext): Promise<number> {
  return service(loadConfig(), false, out);
}

async function service(config: Config, web: boolean, out: (line: string) => void, worker = true): Promise<number> {
  const exporter = await startMetricsExporter(config);
  try {
    if (exporter) out(`Metrics at ${exporter.url}`);
    const app = await createApp(config, exporter ? { metrics: exporter.metrics } : {});
    return await runService(app, { web, out, ...(web ? { worker } : {}) });
  } finally {
    await exporter?.close();
  }
}
