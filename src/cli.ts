#!/usr/bin/env node
import { pathToFileURL } from 'node:url';
import { COMMANDS } from './cli/commands/index.js';
import { buildProgram } from './cli/program.js';
import type { Config } from './config.js';
import { terminalSafe } from './text.js';

/** Set once the reader of stdout has gone (`digest status | head -1`): further output is dropped. */
let stdoutClosed = false;

/**
 * `digest <command> …`: prints a short message and exits 1 on any error it can explain. `print`
 * and `drained` default to stdout (tests print elsewhere).
 */
export async function main(argv: string[], print: (line: string) => void = printLine, drained?: () => Promise<boolean>): Promise<number> {
  watchStdout();
  const out = (line: string) => print(terminalSafe(line));
  return buildProgram(COMMANDS, { out, configLoader: importConfigLoader, drained: drained ?? (print === printLine ? stdoutDrained : undefined) }).run(argv);
}

/** The config module (zod, node-cron, the subject compiler) is imported only once a command runs. */
async function importConfigLoader(): Promise<() => Config> {
  const { loadConfig } = await import('./config.js');
  return () => loadConfig();
}

function printLine(line: string): void {
  if (!stdoutClosed) process.stdout.write(`${line}\n`);
}

/** Once stdout has taken what was written: true, or false when its reader has gone (nothing waits for it). */
function stdoutDrained(): Promise<boolean> {
  if (stdoutClosed || !process.stdout.writableNeedDrain) return Promise.resolve(!stdoutClosed);
  return new Promise((resolve) => {
    const done = () => {
      for (const event of ['drain', 'error', 'close']) process.stdout.off(event, done);
      resolve(!stdoutClosed);
    };
    for (const event of ['drain', 'error', 'close']) process.stdout.on(event, done);
  });
}

/**
 * A closed pipe (EPIPE) ends the output quietly: the command still finishes its work (a send is
 * not cut short halfway), it just stops writing. Other stdout errors are reported as before.
 */
function watchStdout(): void {
  if (process.stdout.listeners('error').includes(onStdoutError)) return;
  process.stdout.on('error', onStdoutError);
}

function onStdoutError(error: NodeJS.ErrnoException): void {
  if (error.code === 'EPIPE' || stdoutClosed) {
    stdoutClosed = true;
    return;
  }
  process.stderr.write(`digest: cannot write the output (${error.code ?? error.message})\n`);
  process.exitCode = 1;
  stdoutClosed = true;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  main(process.argv.slice(2)).then(
    (code) => {
      process.exitCode = code;
    },
    (error: unknown) => {
      process.stderr.write(`digest: unexpected error: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
      process.exitCode = 1;
    },
  );
}
