import { parseArgs } from 'node:util';
import { createApp } from '../../app.js';
import { runService } from '../../schedule/service.js';
import type { Command } from '../command.js';

/**
 * A long-running command: the scheduler, with or without the public web server. `start` also runs
 * a delivery worker unless `--no-worker` (its ticks then only prepare editions for `digest worker`s).
 */
function serviceCommand(name: string, web: boolean, summary: string): Command {
  return {
    name,
    usage: web ? `digest ${name} [--no-worker]` : `digest ${name}`,
    summary,
    async run({ args, out, loadConfig }) {
      const { values } = parseArgs({ args, options: web ? { 'no-worker': { type: 'boolean' } } : {} });
      const app = await createApp(loadConfig());
      return runService(app, { web, out, ...(web ? { worker: values['no-worker'] !== true } : {}) });
    },
  };
}

/** `digest start` (also `npm start`): the production process, scheduler and web server together. */
export const startCommand = serviceCommand('start', true, 'run the scheduler (DIGEST_SCHEDULE, plus daily/monthly if set), a delivery worker (unless --no-worker) and the web server until SIGTERM/SIGINT');

/** `digest schedule`: the scheduler alone, for a setup that runs the web server elsewhere. */
export const scheduleCommand = serviceCommand('schedule', false, 'run only the scheduler until SIGTERM/SIGINT (no web server)');
