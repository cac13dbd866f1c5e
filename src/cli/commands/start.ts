import { createApp } from '../../app.js';
import { runService } from '../../schedule/service.js';
import type { Command } from '../command.js';

/** `digest start` (also `npm start`): the production process, scheduler and web server together. */
export const startCommand: Command = {
  name: 'start',
  usage: 'digest start',
  summary: 'run the scheduler (DIGEST_SCHEDULE, plus daily/monthly if set) and the web server until SIGTERM/SIGINT',
  async run({ out, loadConfig }) {
    const app = await createApp(loadConfig());
    return runService(app, { web: true, out });
  },
};

/** `digest schedule`: the scheduler alone, for a setup that runs the web server elsewhere. */
export const scheduleCommand: Command = {
  name: 'schedule',
  usage: 'digest schedule',
  summary: 'run only the scheduler until SIGTERM/SIGINT (no web server)',
  async run({ out, loadConfig }) {
    const app = await createApp(loadConfig());
    return runService(app, { web: false, out });
  },
};
