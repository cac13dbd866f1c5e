import { readFileSync } from 'node:fs';
import { Command, CommanderError } from 'commander';
import { isDigestError } from '../errors.js';
import { terminalSafe } from '../text.js';
import type { CommandContext, CommandSpec, EarlyStart } from './command.js';

/** What the program needs from its caller: where lines go, and how config is loaded (lazily). */
export interface ProgramIo {
  out: (line: string) => void;
  /** See CommandContext.drained; without it, output is taken as written at once. */
  drained?: () => Promise<boolean>;
  /**
   * Resolves to the loader a command calls. Awaited only when a command runs, so `--help` and
   * `--version` never import the config module (zod, node-cron, the template compiler).
   */
  configLoader: () => Promise<CommandContext['loadConfig']>;
}

/**
 * The commander program for `digest`. Every command gets `-h/--help` (exit 0, nothing run), unknown
 * options and commands are refused with commander's closest-match suggestion, and nothing calls
 * process.exit: `run` resolves to the exit code, so tests run it in process.
 */
export function buildProgram(specs: CommandSpec[], io: ProgramIo): { run(argv: string[]): Promise<number> } {
  let exitCode = 0;
  const program = new Command('digest')
    .description('A newsletter digest: collects new posts, renders one email, delivers it to every subscriber.')
    .version(packageVersion(), '-V, --version', 'print the version')
    .helpOption('-h, --help', 'print help for the command')
    .helpCommand('help [command]', 'print help for a command')
    .showSuggestionAfterError(true)
    .exitOverride();
  for (const spec of specs) addCommand(program, spec, [], io, (code) => (exitCode = code));
  configureOutput(program, 'digest', io);
  return {
    async run(argv) {
      if (argv.length === 0) {
        io.out(program.helpInformation().trimEnd());
        return 0;
      }
      try {
        await program.parseAsync(argv, { from: 'user' });
        return exitCode;
      } catch (error) {
        if (error instanceof CommanderError) return error.exitCode; // help, version, or a usage error already printed
        throw error;
      }
    },
  };
}

/** `path` is the words before this command (`subscribers` for `subscribers add`). */
function addCommand(parent: Command, spec: CommandSpec, path: string[], io: ProgramIo, setExit: (code: number) => void): void {
  const command = parent.command(spec.name).description(spec.summary);
  const words = [...path, spec.name];
  const topName = words[0] ?? spec.name;
  spec.configure?.(command);
  configureOutput(command, `digest ${words.join(' ')}`, io);
  for (const sub of spec.subcommands ?? []) addCommand(command, sub, words, io, setExit);
  const action = spec.action?.bind(spec);
  if (!action) return;
  command.action(async (...received: unknown[]) => {
    const self = received.at(-1) as Command;
    let early: EarlyStart | undefined;
    try {
      early = await spec.early?.();
      const context: CommandContext = { args: self.processedArgs.map(String), options: self.opts(), out: io.out, drained: io.drained ?? (async () => true), loadConfig: await io.configLoader(), early };
      setExit(await action(context));
    } catch (error) {
      if (!isDigestError(error)) throw error;
      process.stderr.write(`digest ${topName}: ${terminalSafe(error.describe())}\n`);
      setExit(1);
    } finally {
      // Whatever the action did with it, and however it ended (closing twice is harmless).
      await early?.close();
    }
  });
}

/** Help to stdout through `out`; usage errors on stderr as one line naming the command, with the way to its help. */
function configureOutput(command: Command, prefix: string, io: ProgramIo): void {
  command.configureOutput({
    writeOut: (text) => io.out(text.replace(/\n$/, '')),
    writeErr: (text) => process.stderr.write(text),
    outputError: (text, write) => write(`${prefix}: ${plainCommanderError(text)}\nSee: ${prefix} --help\n`),
  });
}

/** "error: unknown option '--prot'\n(Did you mean --port?)" → "unknown option --prot, did you mean --port?" */
export function plainCommanderError(text: string): string {
  return text
    .trim()
    .replace(/^error: /, '')
    .replace(/'([^'\s]+)'/g, '$1')
    .replace(/\s*\n\(Did you mean (.+)\?\)$/, ', did you mean $1?');
}

function packageVersion(): string {
  const file = new URL('../../package.json', import.meta.url);
  return (JSON.parse(readFileSync(file, 'utf8')) as { version: string }).version;
}
