import { createApp } from '../../app.js';
import { startMetricsExporter } from '../../metrics/exporter.js';
import { configuredSchedules } from '../../schedule/cadences.js';
import { healthzRoute } from '../../web/healthz.js';
import { startWebServer } from '../../web/server.js';
import { portOption, stringOption, untilStopSignal, type CommandContext } from '../command.js';

/** `digest serve`: the public web server (sign-up, preferences, unsubscribe, archive) until SIGINT/SIGTERM. */
export async function serve({ options, out, loadConfig }: CommandContext): Promise<number> {
  const config = loadConfig();
  const port = portOption(options.port, config.port);
  const host = stringOption(options, 'host');
  const exporter = await startMetricsExporter(config);
  try {
    const app = await createApp(config, exporter ? { metrics: exporter.metrics } : {});
    const health = healthzRoute(app, configuredSchedules(config));
    const server = await startWebServer(app, port, { routes: [health], ...(host ? { hostname: host } : {}) }).catch(async (error: unknown) => {
      await app.close();
      throw error;
    });
    out(`Listening on ${server.describe(config.publicUrl)}.${exporter ? ` Metrics at ${exporter.url}.` : ''} Stop with Ctrl-C.`);
    await untilStopSignal();
    await server.close();
    await app.close();
    out('Stopped.');
    return 0;
  } finally {
    await exporter?.close();
  }
}
