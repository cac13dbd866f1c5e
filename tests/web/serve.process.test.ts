import { spawn, type ChildProcess } from 'node:child_process';
import { afterEach, describe, expect, it } from 'vitest';
import { childEnv, createWorkspace, REPO, type Workspace } from '../support/workspace.js';
import { form } from './harness.js';
import { cliArgv } from '../support/cli.js';

/**
 * `digest serve` as a real process: the one-click unsubscribe is on disk when the answer arrives,
 * so killing the server (SIGKILL, no shutdown code runs) the moment it answered loses nothing.
 */
let ws: Workspace;
let child: ChildProcess | undefined;

afterEach(() => {
  if (child && child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  ws?.cleanup();
});

function startServe(env: Record<string, string>, host: string[] = ['--host', '127.0.0.1']): Promise<{ url: string; child: ChildProcess; out: () => string }> {
  const proc = spawn(process.execPath, cliArgv('serve', '--port', '0', ...host), {
    cwd: REPO,
    env: childEnv(env),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child = proc;
  return new Promise((resolve, reject) => {
    let out = '';
    proc.stdout!.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      const url = /Listening on (http:\/\/\S+\/)/.exec(out)?.[1];
      if (url) resolve({ url, child: proc, out: () => out });
    });
    proc.stderr!.on('data', (chunk: Buffer) => (out += chunk.toString()));
    proc.once('exit', (code) => reject(new Error(`digest serve exited with ${code}: ${out}`)));
  });
}

describe('digest serve', () => {
  it('serves pages, and a one-click unsubscribe survives a SIGKILL right after the answer', async () => {
    ws = createWorkspace();
    const setup = await ws.app();
    await setup.store.upsertSubscribers([{ email: 'ada@example.org', status: 'active' }], new Date(Date.now() - 60_000));
    const id = (await setup.store.findSubscriber('ada@example.org'))!.id;
    const token = setup.signer.sign('unsubscribe', id);
    await setup.close();

    const { url, child: proc } = await startServe(ws.env);
    expect((await fetch(url)).status).toBe(200);
    const response = await fetch(`${url}unsubscribe/${token}`, { method: 'POST', body: form({ 'List-Unsubscribe': 'One-Click' }) });
    expect(response.status).toBe(200);
    proc.kill('SIGKILL');
    await new Promise((resolve) => proc.once('exit', resolve));

    const after = await ws.app();
    try {
      expect((await after.store.getSubscriber(id))?.status).toBe('unsubscribed');
    } finally {
      await after.close();
    }
  });

  it('stops cleanly on SIGTERM', async () => {
    ws = createWorkspace();
    const { url, child: proc } = await startServe(ws.env);
    expect((await fetch(`${url}archive`)).status).toBe(200);
    const exited = new Promise<number | null>((resolve) => proc.once('exit', resolve));
    proc.kill('SIGTERM');
    expect(await exited).toBe(0);
  });

  it('bound to every interface, says so (not "localhost"), and names PUBLIC_URL as the email links', async () => {
    ws = createWorkspace({ PUBLIC_URL: 'https://digest.example.org/' });
    const { out } = await startServe(ws.env, []);
    const line = out().split('\n').find((l) => l.startsWith('Listening on')) ?? '';
    const port = /^Listening on http:\/\/(?:0\.0\.0\.0|\[::\]):(\d+)\//.exec(line)?.[1];
    expect(port, line).toBeDefined();
    expect(line).toContain('https://digest.example.org/');
    expect((await fetch(`http://127.0.0.1:${port}/`)).status).toBe(200);
  });

  it('/healthz answers 200 with no counts, and 503 naming the check once an edition is stuck', async () => {
    ws = createWorkspace();
    const { url } = await startServe(ws.env);
    const healthy = await fetch(`${url}healthz`);
    expect(healthy.status).toBe(200);
    expect(await healthy.json()).toEqual({ ok: true, checks: { database: 'ok', scheduler: 'ok', editions: 'ok' } });

    // An edition left unfinished two hours ago, no send running, no retry to wait for.
    const app = await ws.app();
    await app.store.createEdition({ number: 1, cadence: 'weekly', createdAt: new Date(Date.now() - 2 * 3_600_000), tickKey: null, subject: 'S', posts: [], html: '<p>x</p>', text: 'x', baselineSlugs: [] });
    await app.close();
    const stuck = await fetch(`${url}healthz`);
    expect(stuck.status).toBe(503);
    const body = await stuck.text();
    expect(JSON.parse(body)).toEqual({ ok: false, checks: { database: 'ok', scheduler: 'ok', editions: 'stuck' } });
    expect(body).not.toMatch(/\d/);
  });
});
