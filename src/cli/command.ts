import type { Config } from '../config.js';
import type { MjmlCompiler } from '../render/mjml.js';
import { UsageError } from '../errors.js';

/**
 * What a command's action receives: its positional arguments, its parsed options (camelCase, as
 * commander names them: `--dry-run` is `options.dryRun`), where to print, and the validated config.
 */
export interface CommandContext {
  args: string[];
  options: Readonly<Record<string, unknown>>;
  out: (line: string) => void;
  /**
   * Resolves once what was printed has left the process (stdout drained). A command that prints
   * a lot waits on it between chunks, so a slow reader of a pipe holds the output back instead of
   * the process buffering all of it. False once the reader has gone (`| head`): a command that
   * only prints may stop there.
   */
  drained: () => Promise<boolean>;
  loadConfig: () => Config;
  /** What the command's `early` started; the program closes it once the action has ended. */
  early?: EarlyStart;
}

/** Work started before a command's modules and the configuration are loaded, to overlap that loading. */
export interface EarlyStart {
  /** `send` and `render`: the MJML worker (render/mjml-thread.ts), importing mjml on the other core meanwhile. */
  mjml?: MjmlCompiler;
  close(): Promise<void>;
}

/**
 * One entry of the command table (src/cli/commands/index.ts). The entry is cheap to load: `configure`
 * declares arguments and options on the commander command, and `action` imports the module that does
 * the work only when the command runs, so `--help` and `--version` load nothing heavy.
 */
export interface CommandSpec {
  /** The command word, e.g. `send`. */
  name: string;
  summary: string;
  /** Arguments and options, e.g. `(c) => c.argument('<email>').option('--name <name>', 'display name')`. */
  configure?: (command: import('commander').Command) => void;
  /** Resolves to the exit code. Absent on a group whose work is in its `subcommands`. */
  action?(context: CommandContext): Promise<number>;
  /** Started before the configuration and `action`'s modules are imported; handed to it as `context.early`. */
  early?(): Promise<EarlyStart>;
  subcommands?: CommandSpec[];
}

/** Resolves at the first SIGINT or SIGTERM: how a serving command (`serve`, `preview`) waits to stop. */
export function untilStopSignal(): Promise<void> {
  return new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
}

/** `--port N` for a serving command: a whole number from 0 (any free port) to 65535. */
export function portOption(value: unknown, fallback: number): number {
  if (value === undefined) return fallback;
  const port = Number(value);
  if (typeof value !== 'string' || !/^\d+$/.test(value) || port > 65535) throw new UsageError('BAD_PORT', `--port must be a number from 0 to 65535 (got "${String(value)}")`);
  return port;
}

/** A string option as declared (commander leaves an option that was not given undefined). */
export function stringOption(options: CommandContext['options'], name: string): string | undefined {
  const value = options[name];
  return typeof value === 'string' ? value : undefined;
}
