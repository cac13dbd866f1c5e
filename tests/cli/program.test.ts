import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { COMMANDS } from '../../src/cli/commands/index.js';
import type { CommandSpec } from '../../src/cli/command.js';
import { plainCommanderError } from '../../src/cli/program.js';
import { cliWithStderr } from '../hostile/harness.js';
import { createWorkspace, REPO, type Workspace } from '../support/workspace.js';

/**
 * The command line as a new user meets it: help on every command prints and runs nothing, the
 * version is printed, a mistyped option or command is refused with the closest real one.
 */
let ws: Workspace;
beforeEach(() => {
  ws = createWorkspace();
});
afterEach(() => ws.cleanup());

const run = (...args: string[]) => cliWithStderr(ws, args);

/** Every command path in the table, sub-commands included: a new command is covered without a new test. */
function commandPaths(specs: CommandSpec[], path: string[] = []): string[][] {
  return specs.flatMap((spec) => [[...path, spec.name], ...commandPaths(spec.subcommands ?? [], [...path, spec.name])]);
}

describe('help on every command', () => {
  const paths = commandPaths(COMMANDS);

  it('the table has the commands and sub-commands a user knows', () => {
    expect(paths.map((p) => p.join(' '))).toEqual(expect.arrayContaining(['send', 'start', 'schedule', 'serve', 'status', 'backup', 'subscribers add', 'subscribers import']));
  });

  it.each(paths.flatMap((path) => [[...path, '--help'], [...path, '-h']]))('digest %s %s … prints usage, exits 0 and touches nothing', async (...args) => {
    const result = await run(...args);
    expect(result.code).toBe(0);
    expect(result.output).toContain(`Usage: digest ${args.slice(0, -1).join(' ')}`);
    expect(existsSync(join(ws.dir, 'data'))).toBe(false); // no database opened, no server started, no mail written
  });

  it('digest help send is the same help', async () => {
    const result = await run('help', 'send');
    expect(result.code).toBe(0);
    expect(result.output).toContain('Usage: digest send [options]');
    expect(result.output).toContain('--dry-run');
  });

  it('digest with no command lists every command and exits 0', async () => {
    const result = await run();
    expect(result.code).toBe(0);
    for (const spec of COMMANDS) expect(result.output).toContain(`  ${spec.name}`);
  });
});

describe('--version', () => {
  it.each([['--version'], ['-V']])('%s prints the package version', async (flag) => {
    const { version } = JSON.parse(readFileSync(join(REPO, 'package.json'), 'utf8')) as { version: string };
    const result = await run(flag);
    expect(result.code).toBe(0);
    expect(result.output.trim()).toBe(version);
  });
});

describe('mistakes are refused with the closest real name', () => {
  it('start --prot 3001 does not start; it suggests --port', async () => {
    const result = await run('start', '--prot', '3001');
    expect(result.code).toBe(1);
    expect(result.output).toContain('digest start: unknown option --prot, did you mean --port?');
    expect(existsSync(join(ws.dir, 'data'))).toBe(false);
  });

  it('an unknown command suggests the real one', async () => {
    const result = await run('sned');
    expect(result.code).toBe(1);
    expect(result.output).toContain('unknown command sned, did you mean send?');
  });

  it('a stray argument is refused rather than ignored', async () => {
    const result = await run('status', 'now');
    expect(result.code).toBe(1);
    expect(result.output).toMatch(/digest status: too many arguments/);
  });

  it('commander wording is made plain', () => {
    expect(plainCommanderError("error: unknown option '--prot'\n(Did you mean --port?)\n")).toBe('unknown option --prot, did you mean --port?');
  });
});

describe('send --cadence for a disabled cadence', () => {
  it('is refused with the variable that enables it, and makes no edition', async () => {
    const result = await run('send', '--cadence', 'daily');
    expect(result.code).toBe(1);
    expect(result.output).toContain('digest send: --cadence daily is refused');
    expect(result.output).toContain('DIGEST_DAILY_SCHEDULE');
    expect(result.output).toContain('Nothing was sent.');
    const status = await run('status', '--json');
    expect(JSON.parse(status.output).lastEdition).toBeNull();
  });

  it('is accepted once the cadence has a schedule', async () => {
    ws.cleanup();
    ws = createWorkspace({ DIGEST_DAILY_SCHEDULE: '0 7 * * *' });
    const result = await run('send', '--cadence', 'daily', '--dry-run');
    expect(result.code).toBe(0);
    expect(result.output).toMatch(/Dry run of edition #1 \(daily\)/);
  });
});
