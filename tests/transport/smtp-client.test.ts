import net from 'node:net';
import { SMTPServer } from 'smtp-server';
import { afterEach, describe, expect, it } from 'vitest';
import { DeliveryError } from '../../src/errors.js';
import { dotStuff } from '../../src/transport/smtp-client/message.js';
import { smtpClientTransport } from '../../src/transport/smtp-client/index.js';
import { rateLimiter } from '../../src/transport/smtp-client/pool.js';
import type { Transport } from '../../src/transport/transport.js';
import { startScriptedServer, type ScriptOptions, type ScriptedServer } from '../support/scripted-smtp.js';
import { startSmtpServer, type TestSmtpServer } from '../support/smtp.js';

const message = (to: string, body = 'Hello.\r\n.leading dot\r\n..two dots\r\n') =>
  Buffer.from(`From: a@example.org\r\nTo: ${to}\r\nSubject: test\r\nMessage-ID: <${to}@example.org>\r\n\r\n${body}`);
const yes = async () => true;

let closers: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const close of closers.reverse()) await close();
  closers = [];
});

async function scripted(script: ScriptOptions, connections = 1): Promise<{ server: ScriptedServer; transport: Transport }> {
  const server = await startScriptedServer(script);
  const transport = smtpClientTransport(server.url, { maxConnections: connections });
  closers.push(() => server.close(), () => transport.close());
  return { server, transport };
}

async function real(options: Parameters<typeof startSmtpServer>[0] = {}, url?: (s: TestSmtpServer) => string): Promise<{ server: TestSmtpServer; transport: Transport }> {
  const server = await startSmtpServer(options);
  const transport = smtpClientTransport(url ? url(server) : server.url, { maxConnections: 3 });
  closers.push(() => server.close(), () => transport.close());
  return { server, transport };
}

const send = (transport: Transport, to: string, commit = yes) => transport.send({ from: 'digest@example.org', to, messageId: `<${to}>` }, message(to), commit);

describe('SMTP client against a real server', () => {
  it('delivers byte-exact bodies (dot-stuffing undone by the server) over at most N reused sessions', async () => {
    const { server, transport } = await real();
    await transport.verify();
    const outcomes = await Promise.all(Array.from({ length: 20 }, (_, i) => send(transport, `r${i}@example.org`)));
    expect(outcomes.every((o) => o.status === 'sent')).toBe(true);
    expect(server.received).toHaveLength(20);
    const one = server.to('r7@example.org')[0]!;
    expect(one.raw.toString()).toContain('\r\n.leading dot\r\n..two dots\r\n');
    expect(one.raw.toString()).not.toContain('...two dots');
  });

  it('sends to an internationalised address with SMTPUTF8', async () => {
    const { server, transport } = await real();
    expect((await send(transport, 'zoë@example.org')).status).toBe('sent');
    expect(server.to('zoë@example.org')).toHaveLength(1);
  });

  it('refuses a wrong login at verify with SMTP_AUTH, and logs in with the right one', async () => {
    const { transport } = await real({ auth: { user: 'u', pass: 'right' } }, (s) => `smtp://u:wrong@127.0.0.1:${s.port}?allowInsecureAuth=true`);
    const error = await transport.verify().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DeliveryError);
    expect((error as DeliveryError).code).toBe('SMTP_AUTH');
    expect((error as Error).message).toMatch(/refused the login \(.*535/);
    const good = await real({ auth: { user: 'u', pass: 'right' } });
    await good.transport.verify();
    expect((await send(good.transport, 'a@example.org')).status).toBe('sent');
  });

  it('does not run beforeCommit work for a refused recipient, and aborts cleanly when it says no', async () => {
    const { server, transport } = await real({ onRcpt: (a) => (a.startsWith('bad') ? { code: 550, message: '5.1.1 No such user' } : undefined) });
    let asked = 0;
    const bad = await send(transport, 'bad@example.org', async () => (asked += 1) > 0);
    expect(bad).toMatchObject({ status: 'failed', code: 550, hardBounce: true });
    expect(asked).toBe(0);
    expect(await send(transport, 'gone@example.org', async () => false)).toEqual({ status: 'aborted' });
    expect((await send(transport, 'ok@example.org')).status).toBe('sent');
    expect(server.received.map((r) => r.to)).toEqual([['ok@example.org']]);
  });
});

describe('STARTTLS and AUTH against a real server', () => {
  it('upgrades with STARTTLS when offered, then logs in over TLS', async () => {
    const seen: { secure: boolean; user: string | undefined; to: string }[] = [];
    const server = new SMTPServer({
      logger: false,
      onAuth: (auth, _session, callback) => callback(null, { user: auth.username }),
      onData(stream, session, callback) {
        stream.resume();
        stream.on('end', () => {
          seen.push({ secure: session.secure, user: session.user as string | undefined, to: session.envelope.rcptTo[0]!.address });
          callback();
        });
      },
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.server.address() as { port: number }).port;
    closers.push(() => new Promise<void>((resolve) => server.close(() => resolve())));
    // The test server's certificate is self-signed: verification is switched off here only.
    const transport = smtpClientTransport(`smtp://me:secret@127.0.0.1:${port}?tls.rejectUnauthorized=false`, { maxConnections: 1 });
    closers.push(() => transport.close());
    await transport.verify();
    expect((await send(transport, 'a@example.org')).status).toBe('sent');
    expect(seen).toEqual([{ secure: true, user: 'me', to: 'a@example.org' }]);
  });

  it('speaks TLS from the first byte with smtps://', async () => {
    const seen: boolean[] = [];
    const server = new SMTPServer({
      secure: true,
      logger: false,
      authOptional: true,
      onData(stream, session, callback) {
        stream.resume();
        stream.on('end', () => (seen.push(session.secure), callback()));
      },
    });
    server.on('error', () => undefined); // the refused certificate below, seen from the server
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.server.address() as { port: number }).port;
    closers.push(() => new Promise<void>((resolve) => server.close(() => resolve())));
    const transport = smtpClientTransport(`smtps://127.0.0.1:${port}?tls.rejectUnauthorized=false`, { maxConnections: 1 });
    closers.push(() => transport.close());
    expect((await send(transport, 'a@example.org')).status).toBe('sent');
    expect(seen).toEqual([true]);
    const strict = smtpClientTransport(`smtps://127.0.0.1:${port}`, { maxConnections: 1 });
    closers.push(() => strict.close());
    await expect(strict.verify()).rejects.toMatchObject({ code: 'SMTP_CERTIFICATE', message: expect.stringMatching(/certificate was refused: it (has expired|is self-signed)/) });
  });

  it('refuses to go on in plain text when requireTLS=true and the server offers no STARTTLS', async () => {
    const server = await startScriptedServer({});
    closers.push(() => server.close());
    const transport = smtpClientTransport(`${server.url}?requireTLS=true`, { maxConnections: 1 });
    closers.push(() => transport.close());
    await expect(transport.verify()).rejects.toMatchObject({ code: 'SMTP_TLS', message: expect.stringContaining('does not offer STARTTLS') });
  });
});

describe('rate limit', () => {
  it('spaces messages 1/rate apart', async () => {
    const waits: number[] = [];
    const take = rateLimiter(20, async (ms) => void waits.push(ms));
    for (let i = 0; i < 10; i += 1) await take();
    // Nine waits that grow by 50 ms each: the tenth message goes no sooner than 450 ms after the first.
    expect(waits).toHaveLength(9);
    expect(Math.max(...waits)).toBeGreaterThanOrEqual(440);
    expect(rateLimiter(undefined, async () => void waits.push(-1))).toBeTypeOf('function');
  });
});

describe('SMTP client against scripted faults', () => {
  it('never writes an envelope address carrying CR/LF into the conversation', async () => {
    const { server, transport } = await scripted({});
    expect(await send(transport, 'a@x.org>\r\nRCPT TO:<b@x.org')).toMatchObject({ status: 'failed', response: expect.stringContaining('refusing an envelope address') });
    expect(server.messages).toHaveLength(0);
  });

  it('a beforeCommit that throws (database trouble) drops the session mid-DATA: nothing leaks into the next message', async () => {
    const { server, transport } = await scripted({});
    await expect(send(transport, 'first@x.org', async () => Promise.reject(new Error('database is locked')))).rejects.toThrow('database is locked');
    expect((await send(transport, 'second@x.org')).status).toBe('sent');
    expect(server.messages.map((m) => m.to)).toEqual([['second@x.org']]);
    expect(server.messages[0]!.data.toString()).not.toContain('MAIL FROM');
    expect(server.connections).toBe(2);
  });

  it('judges 450 and 550 by the first digit; 5.1.x is a hard bounce, 5.7.x is not', async () => {
    const replies: Record<string, string> = { 'busy@x.org': '450 4.2.1 mailbox busy', 'nouser@x.org': '550 5.1.1 no such user', 'policy@x.org': '550 5.7.1 policy' };
    const { server, transport } = await scripted({ rcpt: (to) => replies[to] });
    expect(await send(transport, 'busy@x.org')).toMatchObject({ status: 'deferred', code: 450, hardBounce: false });
    expect(await send(transport, 'nouser@x.org')).toMatchObject({ status: 'failed', code: 550, hardBounce: true });
    expect(await send(transport, 'policy@x.org')).toMatchObject({ status: 'failed', code: 550, hardBounce: false });
    expect(await send(transport, 'fine@x.org')).toMatchObject({ status: 'sent' });
    expect(server.messages.map((m) => m.to)).toEqual([['fine@x.org']]);
    expect(server.connections).toBe(1);
  });

  it('a reset before the final dot is deferred; after it, uncertain', async () => {
    const { server, transport } = await scripted({
      afterData: (to) => (to[0] === 'before@x.org' ? 'reset' : undefined),
      dot: (m) => (m.to[0] === 'after@x.org' ? 'reset' : undefined),
    });
    const slowCommit = () => new Promise<boolean>((resolve) => setTimeout(() => resolve(true), 60));
    expect(await send(transport, 'before@x.org', slowCommit)).toMatchObject({ status: 'deferred', response: expect.stringContaining('cannot have the whole message') });
    expect(await send(transport, 'after@x.org')).toMatchObject({ status: 'uncertain', response: expect.stringContaining('every byte was sent, then the connection ended') });
    expect(await send(transport, 'next@x.org')).toMatchObject({ status: 'sent' });
    expect(server.messages.map((m) => [m.to[0], m.reply])).toEqual([
      ['after@x.org', ''],
      ['next@x.org', '250 2.0.0 queued'],
    ]);
  });

  it('421 mid-batch defers that message and the next one gets a new session', async () => {
    let n = 0;
    const { server, transport } = await scripted({ mail: () => ((n += 1) === 3 ? '421 4.7.0 try again later' : undefined) });
    const outcomes = [];
    for (let i = 0; i < 5; i += 1) outcomes.push((await send(transport, `r${i}@x.org`)).status);
    expect(outcomes).toEqual(['sent', 'sent', 'deferred', 'sent', 'sent']);
    expect(server.connections).toBe(2);
    expect(server.accepted('r2@x.org')).toHaveLength(0);
  });

  it('without PIPELINING, one command at a time, and the next MAIL only after the reply to the dot', async () => {
    const { server, transport } = await scripted({ capabilities: ['8BITMIME'], dot: () => ({ reply: '250 2.0.0 queued', delayMs: 20 }) });
    const outcomes = await Promise.all(Array.from({ length: 4 }, (_, i) => send(transport, `r${i}@x.org`)));
    expect(outcomes.map((o) => o.status)).toEqual(['sent', 'sent', 'sent', 'sent']);
    expect(server.messages.map((m) => m.reply)).toEqual(Array(4).fill('250 2.0.0 queued'));
    expect(server.violations).toEqual([]);
  });

  it.each([1, 2])('a server that closes silently after %i messages costs nothing: stale sessions are replaced', async (closeAfter) => {
    const { server, transport } = await scripted({ closeAfter }, 2);
    const outcomes = await Promise.all(Array.from({ length: 9 }, (_, i) => send(transport, `r${i}@x.org`)));
    expect(outcomes.map((o) => o.status)).toEqual(Array(9).fill('sent'));
    for (let i = 0; i < 9; i += 1) expect(server.accepted(`r${i}@x.org`)).toHaveLength(1);
    expect(server.connections).toBeGreaterThanOrEqual(5);
  });

  it('the session verify opened, dropped by the server before any message, is replaced; a server that drops every new session defers at once', async () => {
    const idleDropped = await scripted({ mail: (_from, session) => (session.connection === 1 ? 'reset' : undefined) });
    await idleDropped.transport.verify();
    expect(await send(idleDropped.transport, 'first@x.org')).toMatchObject({ status: 'sent' });
    expect(idleDropped.server.accepted('first@x.org')).toHaveLength(1);
    expect(idleDropped.server.connections).toBe(2);
    const dropsAll = await scripted({ mail: () => 'reset' });
    expect(await send(dropsAll.transport, 'r@x.org')).toMatchObject({ status: 'deferred', response: expect.stringContaining('connection lost before the message was sent') });
    // Opened for this message and dropped unanswered: no second session for it.
    expect(dropsAll.server.connections).toBe(1);
  });

  it('535 on AUTH and a refused STARTTLS stop verify with a clear error, before any MAIL', async () => {
    const auth = await startScriptedServer({ auth: () => '535 5.7.8 bad credentials' });
    const tls = await startScriptedServer({ startTls: '454 4.7.0 TLS not available' });
    closers.push(() => auth.close(), () => tls.close());
    const a = smtpClientTransport(`smtp://u:p@127.0.0.1:${auth.port}?allowInsecureAuth=true`, { maxConnections: 1 });
    const t = smtpClientTransport(tls.url, { maxConnections: 1 });
    closers.push(() => a.close(), () => t.close());
    await expect(a.verify()).rejects.toMatchObject({ code: 'SMTP_AUTH', message: expect.stringContaining('535 5.7.8') });
    await expect(t.verify()).rejects.toMatchObject({ code: 'SMTP_TLS', message: expect.stringContaining('refused the TLS upgrade: 454') });
    expect(auth.messages.length + tls.messages.length).toBe(0);
  });

  it('cuts over-long reply lines (memory stays bounded) and gives up on replies that never end', async () => {
    const long = await startScriptedServer({ greeting: `220 ${'x'.repeat(50_000)}`, rcpt: () => `550 5.1.1 ${'y'.repeat(50_000)}` });
    const many = await startScriptedServer({ capabilities: Array.from({ length: 5_000 }, (_, i) => `X${i}`) });
    closers.push(() => long.close(), () => many.close());
    const a = smtpClientTransport(long.url, { maxConnections: 1 });
    const b = smtpClientTransport(many.url, { maxConnections: 1 });
    closers.push(() => a.close(), () => b.close());
    await a.verify();
    const refused = await send(a, 'r@x.org');
    expect(refused).toMatchObject({ status: 'failed', code: 550, hardBounce: true });
    expect((refused as { response: string }).response.length).toBeLessThanOrEqual(8192);
    await expect(b.verify()).rejects.toMatchObject({ code: 'SMTP_UNREACHABLE', message: expect.stringContaining('more than 1000 lines') });
  });

  it('gives up on a server that trickles a reply a byte at a time and so is never silent', async () => {
    const trickle = net.createServer((socket) => {
      socket.write('220');
      const drip = setInterval(() => socket.write('-'), 50);
      socket.on('close', () => clearInterval(drip));
      socket.on('error', () => clearInterval(drip));
    });
    await new Promise<void>((resolve) => trickle.listen(0, '127.0.0.1', resolve));
    const { port } = trickle.address() as net.AddressInfo;
    const transport = smtpClientTransport(`smtp://127.0.0.1:${port}`, { maxConnections: 1, timeoutMs: 400, connectTimeoutMs: 400 });
    closers.push(() => new Promise<void>((resolve) => trickle.close(() => resolve())), () => transport.close());
    await expect(transport.verify()).rejects.toMatchObject({ code: 'SMTP_TIMEOUT', message: expect.stringContaining('no greeting within 0.4 s (SMTP_CONNECT_TIMEOUT_SECONDS)') });
  });

  it('an unreachable server is reported at verify', async () => {
    const transport = smtpClientTransport('smtp://127.0.0.1:1', { maxConnections: 1 });
    await expect(transport.verify()).rejects.toMatchObject({ code: 'SMTP_UNREACHABLE' });
  });
});

describe('dotStuff', () => {
  it('doubles a dot at the start of any line, including the first', () => {
    expect(dotStuff(Buffer.from('.a\r\nb\r\n.c\r\n..d\r\n')).toString()).toBe('..a\r\nb\r\n..c\r\n...d\r\n');
    const plain = Buffer.from('no dots\r\nhere.\r\n');
    expect(dotStuff(plain)).toBe(plain);
  });
});
