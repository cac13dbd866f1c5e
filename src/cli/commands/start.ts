import { createApp } from '../../app.js';
import type { Config } from '../../config.js';
import { startMetricsExporter } from '../../metrics/exporter.js';
import { runService } from '../../schedule/service.js';
import { portOption, type CommandContext } from '../command.js';

/** `digest start` (the production process): the scheduler and the web server together. */
export async function start({ options, out, loadConfig }: CommandContext): Promise<number> {
  const config = loadConfig();
  return service({ ...config, port: portOption(options.port, config.port) }, true, out);
}

/** `digest schedule`: the scheduler alone, for a setup that runs the web server elsewhere. */
export async function schedule({ out, loadConfig }: CommandContext): Promise<number> {
  return service(loadConfig(), false, out);
}

async function service(config: Config, web: boolean, out: (line: string) => void): Promise<number> {
  const exporter = await startMetricsExporter(config);
  try {
    if (exporter) out(`Metrics at ${exporter.url}`);
    const app = await createApp(config, exporter ? { metrics: exporter.metrics } : {});
    return await runService(app, { web, out });
  } finally {
    await exporter?.close();
  }
}
