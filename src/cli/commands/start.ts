import { createApp } from '../../app.js';
import { runService } from '../../schedule/service.js';
import { portOption, type CommandContext } from '../command.js';

/** `digest start` (the production process): the scheduler and the web server together. */
export async function start({ options, out, loadConfig }: CommandContext): Promise<number> {
  const config = loadConfig();
  const app = await createApp({ ...config, port: portOption(options.port, config.port) });
  return runService(app, { web: true, out });
}

/** `digest schedule`: the scheduler alone, for a setup that runs the web server elsewhere. */
export async function schedule({ out, loadConfig }: CommandContext): Promise<number> {
  const app = await createApp(loadConfig());
  return runService(app, { web: false, out });
}
