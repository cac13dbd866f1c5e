import { spawn } from 'node:child_process';
import { connect } from 'node:net';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { childEnv, createWorkspace, REPO, type Workspace } from '../support/workspace.js';

/**
 * The documented production commands, exactly as a supervisor runs them: `node bin/digest.js start`
 * (the systemd unit) and `npm start` (whose script execs the same, so npm's signal reaches node).
 * A stop signal must end in a logged, clean shutdown: exit 0, no process left, the port free.
 */
let ws: Workspace;
const spawned: number[] = [];
beforeEach(() => {
  ws = createWorkspace();
});
afterEach(() => {
  for (const pid of spawned.splice(0)) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // already gone, as it should be
    }
  }
  ws.cleanup();
});

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};
const portOpen = (port: number) =>
  new Promise<boolean>((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => (socket.destroy(), resolve(true)));
    socket.once('error', () => resolve(false));
  });

async function runAndStop(command: string, args: string[], signal: NodeJS.Signals) {
  const child = spawn(command, args, { cwd: REPO, env: childEnv({ ...ws.env, PORT: '0', LOG_LEVEL: 'info' }), stdio: ['ignore', 'pipe', 'pipe'] });
  spawned.push(child.pid!);
  let stderr = '';
  let stdout = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const deadline = Date.now() + 60_000;
  while (!/"event":"schedule.armed"/.test(stderr)) {
    if (Date.now() > deadline) throw new Error(`never started:\n${stdout}\n${stderr}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  const started = JSON.parse(stderr.split('\n').find((line) => line.includes('"service.started"'))!) as { pid: number; web: string };
  spawned.push(started.pid);
  const port = Number(new URL(started.web).port);
  expect(await portOpen(port)).toBe(true);
  child.kill(signal);
  const code = await exited;
  return { code, stderr, nodePid: started.pid, port };
}

describe('the production command stops cleanly', () => {
  it.each([
    ['node bin/digest.js start', 'SIGTERM'],
    ['node bin/digest.js start', 'SIGINT'],
  ] as const)('%s on %s: shutdown logged, exit 0, port released', async (_name, signal) => {
    const result = await runAndStop(process.execPath, [join(REPO, 'bin', 'digest.js'), 'start'], signal);
    expect(result.code).toBe(0);
    expect(result.stderr).toContain(`"event":"shutdown.done","signal":"${signal}"`);
    expect(await portOpen(result.port)).toBe(false);
  }, 90_000);

  it('npm start on SIGTERM (what a supervisor sends to npm): node shuts down too, nothing is left running', async () => {
    const result = await runAndStop('npm', ['start', '--silent'], 'SIGTERM');
    const deadline = Date.now() + 15_000;
    while (alive(result.nodePid) && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 100));
    expect(alive(result.nodePid)).toBe(false);
    expect(result.stderr).toContain('"event":"shutdown.done","signal":"SIGTERM"');
    expect(await portOpen(result.port)).toBe(false);
  }, 90_000);
});
