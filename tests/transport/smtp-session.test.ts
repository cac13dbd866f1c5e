import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import tls from 'node:tls';
import { afterEach, describe, expect, it } from 'vitest';
import { smtpClientTransport } from '../../src/transport/smtp-client/index.js';
import type { Transport } from '../../src/transport/transport.js';
import { makeCertificates } from '../support/certificates.js';
import { startScriptedServer } from '../support/scripted-smtp.js';

/**
 * Session set-up against servers that misbehave on purpose (what Postfix will not do on demand):
 * replies injected before the TLS handshake, a TLS handshake that never comes, a server that
 * refuses EHLO; and the message bytes themselves (bare LF).
 */
let closers: Array<() => unknown> = [];
afterEach(async () => {
  for (const close of closers.reverse()) await close();
  closers = [];
});

const certDir = mkdtempSync(join(tmpdir(), 'digest-certs-'));
const certs = makeCertificates(certDir);
const chain = readFileSync(certs.server, 'utf8');
closers.push(() => rmSync(certDir, { recursive: true, force: true }));

function listen(onSocket: (socket: net.Socket) => void): Promise<number> {
  const sockets = new Set<net.Socket>();
  const server = net.createServer((socket) => {
    sockets.add(socket);
    socket.on('error', () => undefined);
    onSocket(socket);
  });
  closers.push(() => {
    for (const socket of sockets) socket.destroy();
    return new Promise((resolve) => server.close(resolve));
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve((server.address() as net.AddressInfo).port)));
}

function transport(url: string, options: Parameters<typeof smtpClientTransport>[1] = { maxConnections: 1 }): Transport {
  const made = smtpClientTransport(url, { ca: certs.ca, ...options });
  closers.push(() => made.close());
  return made;
}

/** Answers line by line; `reply` returns the text to send for each command. */
function lines(socket: net.Socket | tls.TLSSocket, reply: (line: string) => string | undefined): void {
  let buffer = '';
  socket.on('data', (chunk: Buffer) => {
    buffer += chunk.toString('latin1');
    for (let eol = buffer.indexOf('\r\n'); eol !== -1; eol = buffer.indexOf('\r\n')) {
      const line = buffer.slice(0, eol);
      buffer = buffer.slice(eol + 2);
      const answer = reply(line);
      if (answer !== undefined) socket.write(answer);
    }
  });
}

describe('STARTTLS', () => {
  it('discards replies queued in clear before the handshake (CVE-2011-0411) and sends EHLO again', async () => {
    const afterTls: string[] = [];
    const port = await listen((socket) => {
      socket.write('220 injected.example ESMTP\r\n');
      const plain = (line: string) => {
        if (/^EHLO/i.test(line)) return '250-injected.example\r\n250-AUTH PLAIN\r\n250 STARTTLS\r\n';
        if (/^STARTTLS/i.test(line)) {
          socket.removeAllListeners('data');
          const secure = new tls.TLSSocket(socket, { isServer: true, key: chain, cert: chain });
          secure.on('error', () => undefined);
          lines(secure, (command) => {
            afterTls.push(command.split(' ')[0]!);
            if (/^EHLO/i.test(command)) return '250-real.example\r\n250 AUTH PLAIN\r\n';
            if (/^AUTH/i.test(command)) return '235 2.7.0 ok\r\n';
            if (/^QUIT/i.test(command)) return '221 bye\r\n';
            return '502 5.5.2 no\r\n';
          });
          // The man in the middle's answers, in clear, in the same packet as the 220.
          return '220 2.0.0 go ahead\r\n535 5.7.8 injected refusal\r\n250 injected ok\r\n';
        }
        return '502 5.5.2 no\r\n';
      };
      lines(socket, plain);
    });
    await transport(`smtp://user:pass@127.0.0.1:${port}`).verify();
    // EHLO again over TLS, and the login answered by the real (TLS) server.
    expect(afterTls.slice(0, 2)).toEqual(['EHLO', 'AUTH']);
  });

  it('bounds a TLS handshake that never comes, after STARTTLS and with smtps://', async () => {
    const starttls = await listen((socket) => {
      socket.write('220 slow.example ESMTP\r\n');
      lines(socket, (line) => (/^EHLO/i.test(line) ? '250-slow.example\r\n250 STARTTLS\r\n' : /^STARTTLS/i.test(line) ? '220 go ahead\r\n' : undefined));
    });
    const silent = await listen(() => undefined);
    await expect(transport(`smtp://127.0.0.1:${starttls}`, { maxConnections: 1, connectTimeoutMs: 300 }).verify()).rejects.toMatchObject({
      code: 'SMTP_TIMEOUT',
      message: expect.stringContaining('no TLS handshake within 0.3 s after STARTTLS (SMTP_CONNECT_TIMEOUT_SECONDS)'),
    });
    await expect(transport(`smtps://127.0.0.1:${silent}`, { maxConnections: 1, connectTimeoutMs: 300 }).verify()).rejects.toMatchObject({
      code: 'SMTP_TIMEOUT',
      message: expect.stringContaining('within 0.3 s (SMTP_CONNECT_TIMEOUT_SECONDS)'),
    });
  });
});

describe('the session', () => {
  it('falls back to HELO when the server refuses EHLO, then sends without extensions', async () => {
    const server = await startScriptedServer({ ehlo: '502 5.5.1 EHLO not understood' });
    closers.push(() => server.close());
    const client = transport(server.url);
    const outcome = await client.send({ from: 'a@example.org', to: 'b@example.org', messageId: '<1@x>' }, Buffer.from('Subject: x\r\n\r\nhello\r\n'), async () => true);
    expect(outcome.status).toBe('sent');
    expect(server.violations).toEqual([]);
    expect(server.messages[0]!.data.toString()).toBe('Subject: x\r\n\r\nhello\r\n');
  });

  it('turns a bare LF or CR into CRLF, so the server gets canonical line ends', async () => {
    const server = await startScriptedServer({});
    closers.push(() => server.close());
    const raw = Buffer.from('Subject: x\r\n\r\nline one\nline two\rline three\r\n.dot\n');
    expect((await transport(server.url).send({ from: 'a@example.org', to: 'b@example.org', messageId: '<1@x>' }, raw, async () => true)).status).toBe('sent');
    expect(server.messages[0]!.data.toString()).toBe('Subject: x\r\n\r\nline one\r\nline two\r\nline three\r\n.dot\r\n');
  });
});
