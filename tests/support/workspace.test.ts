import { spawnSync } from 'node:child_process';
import { afterEach, describe, expect, it } from 'vitest';
import { cliArgv } from './cli.js';
import { childEnv, createWorkspace, REPO, type Workspace } from './workspace.js';

/**
 * The product's variables in the shell that started the suite (a developer's DATABASE_URL, say)
 * must not reach a test's runs: every run sees its workspace's environment, in process or not.
 */
let ws: Workspace | undefined;
const shell = process.env.DATABASE_URL;
afterEach(() => {
  if (shell === undefined) delete process.env.DATABASE_URL;
  else process.env.DATABASE_URL = shell;
  ws?.cleanup();
});

describe('a workspace run', () => {
  it('ignores a DATABASE_URL in the environment of the suite, in process and in a child process', async () => {
    ws = createWorkspace();
    // Nothing listens on port 9 here: a run that used this would fail to connect.
    process.env.DATABASE_URL = 'postgres://digest@127.0.0.1:9/nowhere';
    const inProcess = await ws.cli('status');
    expect(inProcess.code, inProcess.output).toBe(0);
    const child = spawnSync(process.execPath, cliArgv('status'), { cwd: REPO, env: childEnv(ws.env), encoding: 'utf8' });
    expect(child.status, child.stderr).toBe(0);
    expect(child.stdout).toContain('Last edition');
  });
});
