import { createApp } from '../../app.js';
import { configuredSchedules } from '../../schedule/cadences.js';
import { healthzRoute } from '../../web/healthz.js';
import { startWebServer } from '../../web/server.js';
import { portOption, stringOption, untilStopSignal, type CommandContext } from '../command.js';

/** `digest serve`: the public web server (sign-up, preferences, unsubscribe, archive) until SIGINT/SIGTERM. */
export async function serve({ options, out, loadConfig }: CommandContext): Promise<number> {
  const values = { port: options.port, host: stringOption(options, 'host') };
  const config = loadConfig();
  const app = await createApp(config);
  const port = portOption(values.port, config.port);
  const health = healthzRoute(app, configuredSchedules(config));
  const server = await startWebServer(app, port, { routes: [health], ...(values.host ? { hostname: values.host } : {}) }).catch(async (error: unknown) => {
    await app.close();
    throw error;
  });
  out(`Listening on ${server.describe(config.publicUrl)}. Stop with Ctrl-C.`);
  await untilStopSignal();
  await server.close();
  await app.close();
  out('Stopped.');
  return 0;
}
