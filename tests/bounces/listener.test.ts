import { afterEach, describe, expect, it } from 'vitest';
import type { App } from '../../src/app.js';
import { startBounceListener, type BounceListener } from '../../src/bounces/listener.js';
import { bounceDeps } from '../../src/bounces/process.js';
import { addSubscribers, send } from '../deliver/helpers.js';
import { startSmtpServer, type TestSmtpServer } from '../support/smtp.js';
import { createOnePostWorkspace, post, type Workspace } from '../support/workspace.js';
import { arf, autoReply, bomb, gmail, rfc3464, yahoo } from './fixtures.js';
import { deliverReport, originalTo } from './support.js';

let smtp: TestSmtpServer;
let ws: Workspace;
let app: App;
let listener: BounceListener;

afterEach(async () => {
  await listener?.close();
  await app?.close();
  await smtp?.close();
  ws?.cleanup();
});

const READERS = ['alice@example.com', 'bob@example.com', 'carol@example.com', 'dave@example.com'];

async function sentEditionAndListener(env: Record<string, string> = {}) {
  smtp = await startSmtpServer();
  ws = createOnePostWorkspace({ SMTP_URL: smtp.url, BOUNCE_ADDRESS: 'bounces@example.org', ...env });
  await addSubscribers(ws, READERS);
  await send(ws);
  app = await ws.app();
  listener = await startBounceListener({ ...bounceDeps(app), verp: app.verp! }, 0, '127.0.0.1');
}

const status = async (email: string) => (await app.store.findSubscriber(email))!.status;

describe('VERP and the inbound SMTP listener', () => {
  it('each delivery leaves with its own signed envelope sender; From is unchanged', async () => {
    await sentEditionAndListener();
    const senders = READERS.map((r) => originalTo(smtp, r));
    for (const s of senders) {
      expect(s.returnPath).toMatch(/^bounces\+1-[0-9a-z]+-[0-9a-f]{16}@example\.org$/);
      expect(app.verp!.parse(s.returnPath)).toEqual({ edition: 1, subscriberId: (await app.store.findSubscriber(s.to))!.id });
      expect(s.received.parsed.from?.value[0]?.address).toBe('digest@example.org');
    }
    expect(new Set(senders.map((s) => s.returnPath)).size).toBe(READERS.length);
  });

  it('without BOUNCE_ADDRESS the envelope sender is the From address, as before', async () => {
    smtp = await startSmtpServer();
    ws = createOnePostWorkspace({ SMTP_URL: smtp.url });
    await addSubscribers(ws, ['alice@example.com']);
    await send(ws);
    expect(smtp.received[0]!.from).toBe('digest@example.org');
  });

  it('a hard bounce and a complaint over SMTP: the next edition reaches neither reader; an auto-reply changes nothing', async () => {
    await sentEditionAndListener();
    const [alice, bob, carol] = READERS.map((r) => originalTo(smtp, r));
    expect(await deliverReport(listener.port, alice!.returnPath, gmail(alice!))).toMatchObject({ status: 'sent' });
    expect(await deliverReport(listener.port, bob!.returnPath, arf(bob!))).toMatchObject({ status: 'sent' });
    expect(await deliverReport(listener.port, carol!.returnPath, autoReply(carol!))).toMatchObject({ status: 'sent' });
    expect(await status('alice@example.com')).toBe('bounced');
    expect(await status('bob@example.com')).toBe('unsubscribed');
    expect(await status('carol@example.com')).toBe('active');
    const events = await app.store.listBounces(10);
    expect(events.map((e) => [e.email, e.kind, e.edition, e.source, e.statusChanged])).toEqual(
      expect.arrayContaining([
        ['alice@example.com', 'hard', 1, 'smtp', true],
        ['bob@example.com', 'complaint', 1, 'smtp', true],
      ]),
    );
    expect(events).toHaveLength(2);
    expect(events.find((e) => e.kind === 'complaint')?.reason).toMatch(/abuse/);

    ws.writePost('zz-next.md', post({ title: 'A later post', date: new Date().toISOString().slice(0, 10) }));
    await send(ws);
    expect(smtp.to('alice@example.com')).toHaveLength(1);
    expect(smtp.to('bob@example.com')).toHaveLength(1);
    expect(smtp.to('carol@example.com')).toHaveLength(2);
    expect(smtp.to('dave@example.com')).toHaveLength(2);
  });

  it('soft bounces count: a replay is one event; the third distinct one within the window marks bounced', async () => {
    await sentEditionAndListener({ BOUNCE_SOFT_LIMIT: '3' });
    const dave = originalTo(smtp, 'dave@example.com');
    const full = rfc3464(dave, '4.2.2', 'smtp; 452 4.2.2 Mailbox full');
    for (let i = 0; i < 3; i += 1) await deliverReport(listener.port, dave.returnPath, full);
    expect((await app.store.listBounces(10)).length).toBe(1);
    expect(await status('dave@example.com')).toBe('active');
    await deliverReport(listener.port, dave.returnPath, rfc3464(dave, '4.2.2', 'smtp; 452 4.2.2 Mailbox full'));
    expect(await status('dave@example.com')).toBe('active');
    await deliverReport(listener.port, dave.returnPath, Buffer.from(yahoo(dave).toString().replace('554: delivery', '452: delivery')));
    expect(await status('dave@example.com')).toBe('bounced');
    expect((await app.store.listBounces(10)).map((e) => e.kind)).toEqual(['soft', 'soft', 'soft']);
  });

  it('the same hard bounce processed again changes nothing, even after the reader was reactivated', async () => {
    await sentEditionAndListener();
    const alice = originalTo(smtp, 'alice@example.com');
    const report = rfc3464(alice);
    await deliverReport(listener.port, alice.returnPath, report);
    const id = (await app.store.findSubscriber('alice@example.com'))!.id;
    await app.store.setStatus(id, 'active', new Date());
    await deliverReport(listener.port, alice.returnPath, report);
    expect(await status('alice@example.com')).toBe('active');
    expect(await app.store.listBounces(10)).toHaveLength(1);
  });

  it('a port already taken is a clear configuration error', async () => {
    await sentEditionAndListener();
    const second = startBounceListener({ ...bounceDeps(app), verp: app.verp! }, listener.port, '127.0.0.1');
    await expect(second).rejects.toThrow(new RegExp(`cannot listen on 127\\.0\\.0\\.1:${listener.port} \\(EADDRINUSE\\): choose another BOUNCE_SMTP_PORT`));
  });

  it('refuses a VERP address with a bad signature, an unknown recipient, and a 20 MB DSN bomb; a deep but small bomb is accepted and ignored', async () => {
    await sentEditionAndListener();
    const alice = originalTo(smtp, 'alice@example.com');
    const forged = alice.returnPath.replace(/-([0-9a-f]{16})@/, (_m, mac: string) => `-${[...mac].reverse().join('')}@`);
    expect(await deliverReport(listener.port, forged, rfc3464(alice))).toMatchObject({ status: 'failed', code: 550 });
    expect(await deliverReport(listener.port, 'postmaster@example.org', rfc3464(alice))).toMatchObject({ status: 'failed', code: 550 });
    const big = await deliverReport(listener.port, alice.returnPath, bomb(alice, 200, 20_000_000));
    // Our client reads the listener's advertised SIZE and refuses before MAIL FROM (the delivery
    // faults work); a client that ignored it would get the listener's 552.
    expect(big).toMatchObject({ status: 'failed', response: expect.stringMatching(/^552 |its SIZE limit/) });
    expect(await deliverReport(listener.port, alice.returnPath, bomb(alice, 2000, 10_000))).toMatchObject({ status: 'sent' });
    expect(await status('alice@example.com')).toBe('active');
    expect(await app.store.listBounces(10)).toHaveLength(0);
  });
});
