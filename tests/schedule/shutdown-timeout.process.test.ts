import { spawn } from 'node:child_process';
import { createServer, type Server, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { runSend } from '../../src/pipeline.js';
import { childEnv, createWorkspace, REPO, type Workspace } from '../support/workspace.js';
import { cliArgv } from '../support/cli.js';

/**
 * A scripted SMTP server that accepts everything up to the end of the message and then never
 * answers: the one fault a real server will not produce on demand. The process must still exit
 * within SHUTDOWN_TIMEOUT_SECONDS, and the message that may have arrived is never resent.
 */
function hangingSmtp(): Promise<{ port: number; messages: () => number; close(): void }> {
  let messages = 0;
  const sockets = new Set<Socket>();
  const server: Server = createServer((socket) => {
    sockets.add(socket);
    let inData = false;
    let buffer = '';
    socket.write('220 hang.example ESMTP\r\n');
    socket.on('data', (chunk) => {
      buffer += chunk.toString('latin1');
      if (inData) {
        if (buffer.includes('\r\n.\r\n')) messages += 1; // and no reply, ever
        return;
      }
      let end: number;
      while (!inData && (end = buffer.indexOf('\r\n')) >= 0) {
        const line = buffer.slice(0, end).toUpperCase();
        buffer = buffer.slice(end + 2);
        if (line.startsWith('EHLO')) socket.write('250-hang.example\r\n250 8BITMIME\r\n');
        else if (line.startsWith('DATA')) {
          inData = true;
          socket.write('354 go ahead\r\n');
        } else if (line.startsWith('QUIT')) socket.end('221 bye\r\n');
        else socket.write('250 ok\r\n');
      }
    });
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => undefined);
  });
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () =>
      resolve({
        port: (server.address() as { port: number }).port,
        messages: () => messages,
        close: () => {
          for (const s of sockets) s.destroy();
          server.close();
        },
      }),
    ),
  );
}

let ws: Workspace | undefined;
let cleanup: (() => void)[] = [];
afterEach(() => {
  for (const c of cleanup.splice(0)) c();
  ws?.cleanup();
});

describe('shutdown bound', () => {
  it('a send stuck on a silent SMTP server: SIGTERM still ends the process within SHUTDOWN_TIMEOUT_SECONDS, and nothing is resent', async () => {
    const smtp = await hangingSmtp();
    cleanup.push(smtp.close);
    ws = createWorkspace({ SMTP_URL: `smtp://127.0.0.1:${smtp.port}`, UNCERTAIN_RESEND: 'never' });
    const app = await ws.app();
    await app.store.upsertSubscribers([{ email: 'ada@example.org', status: 'active' }], new Date(Date.now() - 60_000));
    await app.close();
    const env = childEnv({ ...ws.env, DIGEST_SCHEDULE: '* * * * * 0-6', LOG_LEVEL: 'info', SMTP_MAX_CONNECTIONS: '1', SHUTDOWN_TIMEOUT_SECONDS: '1' });
    const child = spawn(process.execPath, cliArgv('schedule'), { cwd: REPO, env, stdio: ['ignore', 'ignore', 'pipe'] });
    cleanup.push(() => child.exitCode === null && child.signalCode === null && child.kill('SIGKILL'));
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    const deadline = Date.now() + 30_000;
    while (smtp.messages() === 0) {
      if (Date.now() > deadline) throw new Error(`no message reached the server; log:\n${stderr}`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    child.kill('SIGTERM');
    const bound = setTimeout(() => child.kill('SIGKILL'), 10_000);
    const code = await exited;
    clearTimeout(bound);
    expect(code).toBe(1);
    const events = stderr.split('\n').filter((l) => l.startsWith('{')).map((l) => (JSON.parse(l) as { event: string }).event);
    expect(events).toContain('shutdown.begin');
    expect(events).toContain('shutdown.timeout');
    expect(events).not.toContain('shutdown.done');

    // The message was handed over but never confirmed: on the next run it is uncertain, not resent (UNCERTAIN_RESEND=never).
    const after = await ws.app();
    try {
      expect((await after.store.countDeliveries(1)).awaiting).toBe(1);
      const report = await runSend(after, { cadence: 'weekly', resumeOnly: true });
      expect(report.recovered.uncertain).toBe(1);
      expect(await after.store.countDeliveries(1)).toMatchObject({ awaiting: 0, uncertain: 1, pending: 0, sent: 0 });
      expect(smtp.messages()).toBe(1);
    } finally {
      await after.close();
    }
  }, 60_000);
});
