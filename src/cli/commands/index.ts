import type { Command } from '../command.js';
import { bouncesCommand } from './bounces.js';
import { checkCommand } from './check.js';
import { feedsCommand } from './feeds.js';
import { previewCommand } from './preview.js';
import { renderCommand } from './render.js';
import { sendCommand } from './send.js';
import { serveCommand } from './serve.js';
import { scheduleCommand, startCommand } from './start.js';
import { statusCommand } from './status.js';
import { subscribersCommand } from './subscribers.js';

/** Every CLI command, in the order `digest help` lists them. Add a command here. */
export const COMMANDS: Command[] = [sendCommand, renderCommand, previewCommand, checkCommand, feedsCommand, subscribersCommand, serveCommand, startCommand, scheduleCommand, statusCommand, bouncesCommand];
