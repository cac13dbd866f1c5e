import { parseArgs } from 'node:util';
import { createApp } from '../../app.js';
import { startWebServer } from '../../web/server.js';
import { portOption, untilStopSignal, type Command } from '../command.js';

/** `digest serve`: the public web server (sign-up, preferences, unsubscribe, archive) until SIGINT/SIGTERM. */
export const serveCommand: Command = {
  name: 'serve',
  usage: 'digest serve [--port N] [--host ADDRESS]',
  summary: 'run the public web server: sign-up, preferences, one-click unsubscribe and the archive',
  async run({ args, out, loadConfig }) {
    const { values } = parseArgs({ args, options: { port: { type: 'string' }, host: { type: 'string' } } });
    const config = loadConfig();
    const app = await createApp(config);
    const port = portOption(values.port, config.port);
    const server = await startWebServer(app, port, values.host ? { hostname: values.host } : {}).catch(async (error: unknown) => {
      await app.close();
      throw error;
    });
    out(`Listening on ${server.describe(config.publicUrl)}. Stop with Ctrl-C.`);
    await untilStopSignal();
    await server.close();
    await app.close();
    out('Stopped.');
    return 0;
  },
};
