import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { cliWithStderr } from '../hostile/harness.js';
import { createWorkspace, REPO, type Workspace } from '../support/workspace.js';

/**
 * Wrong paths and closed pipes end in one line naming the path and what to do, exit 1 — never a
 * stack trace, never a spin. (QA findings: ENOENT/EISDIR on import, EEXIST and /proc on render
 * --out, EPIPE on `| head -1`.)
 */
let ws: Workspace;
beforeEach(() => {
  ws = createWorkspace();
});
afterEach(() => ws.cleanup());

const run = (...args: string[]) => cliWithStderr(ws, args);

function oneLineError(result: { code: number; output: string }, command: string, ...texts: string[]) {
  expect(result.code).toBe(1);
  expect(result.output).toMatch(new RegExp(`^digest ${command}: `, 'm'));
  for (const text of texts) expect(result.output).toContain(text);
  expect(result.output).not.toMatch(/\n\s+at |ENOENT|EISDIR|EEXIST/);
}

describe('digest subscribers import with a wrong path', () => {
  it('a missing file is named', async () => {
    const file = join(ws.dir, 'nonexist.csv');
    oneLineError(await run('subscribers', 'import', file), 'subscribers', `${file} does not exist: check the path`);
  });

  it('a folder is named, with what to write instead', async () => {
    oneLineError(await run('subscribers', 'import', ws.dir), 'subscribers', `${ws.dir} is a folder: name the CSV file inside it`);
  });
});

describe('digest render --out with a wrong folder', () => {
  it('a file where the folder should be', async () => {
    const file = join(ws.dir, 'afile');
    writeFileSync(file, 'x');
    oneLineError(await run('render', '--out', file), 'render', `--out ${file} is a file, not a folder`);
  });

  it('a folder whose parent does not exist is not created recursively', async () => {
    const out = join(ws.dir, 'missing', 'deeper', 'out');
    oneLineError(await run('render', '--out', out), 'render', `the folder ${join(ws.dir, 'missing', 'deeper')} does not exist`);
  });

  it('a folder under /proc ends at once (recursive mkdir used to spin there forever)', async () => {
    oneLineError(await run('render', '--out', '/proc/nope'), 'render', '--out /proc/nope cannot be created');
  }, 10_000);

  it('a new folder in an existing one is created and written', async () => {
    const result = await run('render', '--out', join(ws.dir, 'fresh'));
    expect(result.code).toBe(0);
    expect(result.output).toContain(`Wrote ${join(ws.dir, 'fresh', 'digest.html')}`);
  });
});

describe('a closed stdout (digest … | head -1)', () => {
  it.each([['status'], ['subscribers', 'stats']])('digest %s stops writing and exits quietly', async (...args) => {
    const child = spawn(process.execPath, [join(REPO, 'bin', 'digest.js'), ...args], { cwd: ws.dir, env: { PATH: process.env.PATH ?? '', ...ws.env } });
    child.stdout.destroy(); // the reader goes away before the first line is written
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const code = await new Promise((resolve) => child.on('close', resolve));
    expect(stderr).not.toMatch(/EPIPE|\n\s+at /);
    expect(code).toBe(0);
  });
});

