import type { Command } from '../command.js';
import { checkCommand } from './check.js';
import { renderCommand } from './render.js';
import { sendCommand } from './send.js';
import { subscribersCommand } from './subscribers.js';

/** Every CLI command, in the order `digest help` lists them. Add a command here. */
export const COMMANDS: Command[] = [sendCommand, renderCommand, checkCommand, subscribersCommand];
