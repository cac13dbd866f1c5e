import type { Config } from '../config.js';
import { UsageError } from '../errors.js';

/** What every CLI command receives: its arguments, where to print, and the validated config. */
export interface CommandContext {
  args: string[];
  out: (line: string) => void;
  loadConfig: () => Config;
}

export interface Command {
  name: string;
  usage: string;
  summary: string;
  /** Resolves to the process exit code. */
  run(context: CommandContext): Promise<number>;
}

/** Resolves at the first SIGINT or SIGTERM: how a serving command (`serve`, `preview`) waits to stop. */
export function untilStopSignal(): Promise<void> {
  return new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
}

/** `--port N` for a serving command: a whole number from 0 (any free port) to 65535. */
export function portOption(value: string | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  const port = Number(value);
  if (!/^\d+$/.test(value) || port > 65535) throw new UsageError('BAD_PORT', `--port must be a number from 0 to 65535 (got "${value}")`);
  return port;
}
