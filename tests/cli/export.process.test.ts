import { spawn } from 'node:child_process';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { cliArgv } from '../support/cli.js';
import { createWorkspace, type Workspace } from '../support/workspace.js';

/**
 * `digest subscribers export` and `list` as shipped, into a pipe. A reader that starts late gets
 * every row once, in order (tests/cli/subscribers.test.ts shows the export writes a chunk only once
 * the one before was taken); a reader that goes away ends the command there, quietly.
 */
const READERS = 20_000;

let ws: Workspace;
beforeEach(async () => {
  ws = createWorkspace();
  const app = await ws.app();
  const rows = Array.from({ length: READERS }, (_, i) => ({ email: `reader${i}@example.org`, name: `Reader ${i}`, categories: ['Trade'] }));
  await app.store.upsertSubscribers(rows, new Date(Date.now() - 60_000));
  await app.close();
});
afterEach(() => ws.cleanup());

it('a reader that starts late still gets every row once, and the export exits 0', async () => {
  const child = spawn(process.execPath, cliArgv('subscribers', 'export'), { env: { PATH: process.env.PATH ?? '', ...ws.env }, stdio: ['ignore', 'pipe', 'pipe'] });
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  // Nothing read for a second: about 1.1 MB waits on a pipe that holds a few hundred KB.
  await new Promise((resolve) => setTimeout(resolve, 1_000));
  const chunks: Buffer[] = [];
  child.stdout.on('data', (chunk: Buffer) => chunks.push(chunk));
  expect(await exited, stderr).toBe(0);
  const lines = Buffer.concat(chunks).toString('utf8').trimEnd().split('\n');
  expect(lines[0]).toBe('email,name,categories,cadence,status');
  expect(lines.slice(1)).toEqual(Array.from({ length: READERS }, (_, i) => `reader${i}@example.org,Reader ${i},Trade,weekly,active`));
}, 60_000);

it.each([['export'], ['list']])('subscribers %s whose reader goes after the first chunk stops there, quietly, with exit 0', async (command) => {
  const child = spawn(process.execPath, cliArgv('subscribers', command), { env: { PATH: process.env.PATH ?? '', ...ws.env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const first = await new Promise<string>((resolve) => child.stdout.once('data', (chunk: Buffer) => resolve(chunk.toString())));
  child.stdout.destroy();
  const code = await new Promise((resolve) => child.on('close', resolve));
  expect(first).toMatch(/^(email,name|reader0@example\.org)/);
  expect(stderr).not.toMatch(/EPIPE|\n\s+at /);
  expect(code).toBe(0);
}, 60_000);
