import type { Config } from '../config.js';

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
