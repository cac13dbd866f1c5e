import { spawn, type ChildProcess } from 'node:child_process';
import { afterEach, describe, expect, it } from 'vitest';
import { addSubscribers, send } from '../deliver/helpers.js';
import { startDovecot, type TestImapServer } from '../support/dovecot.js';
import { startSmtpServer, type TestSmtpServer } from '../support/smtp.js';
import { childEnv, createWorkspace, REPO, type Workspace } from '../support/workspace.js';
import { arf, rfc3464 } from './fixtures.js';
import { deliverReport, originalTo } from './support.js';
import { cliArgv } from '../support/cli.js';

/** `digest bounces serve` as a real process: the SMTP listener and the mailbox reader together. */
let ws: Workspace;
let smtp: TestSmtpServer;
let imap: TestImapServer;
let child: ChildProcess | undefined;

afterEach(async () => {
  if (child && child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  await imap?.close();
  await smtp?.close();
  ws?.cleanup();
});

async function until(check: () => Promise<boolean>, what: string): Promise<void> {
  for (let i = 0; i < 300; i += 1) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`timed out waiting for ${what}`);
}

describe('digest bounces serve', () => {
  // A child process and a Dovecot on a shared, loaded machine: more time than the default.
  it('takes a DSN over SMTP and an ARF report from the mailbox, then stops cleanly on SIGTERM', { timeout: 90_000 }, async () => {
    smtp = await startSmtpServer();
    imap = await startDovecot();
    ws = createWorkspace({ SMTP_URL: smtp.url, BOUNCE_ADDRESS: 'bounces@example.org', BOUNCE_IMAP_URL: imap.url, BOUNCE_IMAP_POLL_SECONDS: '5' });
    await addSubscribers(ws, ['alice@example.com', 'bob@example.com']);
    await send(ws);
    const [alice, bob] = ['alice@example.com', 'bob@example.com'].map((a) => originalTo(smtp, a));
    await imap.append(arf(bob!));

    const proc = spawn(process.execPath, cliArgv('bounces', 'serve', '--port', '0', '--host', '127.0.0.1'), { cwd: REPO, env: childEnv(ws.env), stdio: ['ignore', 'pipe', 'pipe'] });
    child = proc;
    let out = '';
    proc.stderr!.on('data', (chunk: Buffer) => (out += chunk.toString()));
    const port = await new Promise<number>((resolve, reject) => {
      proc.stdout!.on('data', (chunk: Buffer) => {
        out += chunk.toString();
        const found = /Bounce listener on 127\.0\.0\.1:(\d+)/.exec(out)?.[1];
        if (found && out.includes('Stop with Ctrl-C.')) resolve(Number(found));
      });
      proc.once('exit', (code) => reject(new Error(`digest bounces serve exited with ${code}: ${out}`)));
    });
    expect(out).toContain('Reading the bounce mailbox every 5 s');
    expect(await deliverReport(port, alice!.returnPath, rfc3464(alice!))).toMatchObject({ status: 'sent' });

    const app = await ws.app();
    try {
      await until(async () => (await app.store.findSubscriber('alice@example.com'))!.status === 'bounced', 'the hard bounce');
      await until(async () => (await app.store.findSubscriber('bob@example.com'))!.status === 'unsubscribed', 'the complaint from the mailbox');
    } finally {
      await app.close();
    }
    expect(await imap.count('Processed')).toBe(1);
    const exited = new Promise<number | null>((resolve) => proc.once('exit', resolve));
    proc.kill('SIGTERM');
    expect(await exited).toBe(0);
    expect(out).toContain('Stopped.');
  });
});
