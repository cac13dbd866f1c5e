import type net from 'node:net';
import { hostname } from 'node:os';
import { ConnectionLost, describeReply, ReplyReader, type SmtpReply } from './replies.js';
import { connectSocket, SmtpSetupError, upgrade } from './tls.js';

export { SmtpSetupError } from './tls.js';

/**
 * One SMTP session: greeting, EHLO, STARTTLS (a `tls.connect` upgrade of the same socket), AUTH
 * PLAIN or LOGIN. Sending a message is done by message.ts on top of `command`/`read`/`write`.
 */
export interface SmtpTarget {
  host: string;
  port: number;
  /** smtps://: TLS from the first byte. */
  secure: boolean;
  /** Refuse to continue in plain text when the server offers no STARTTLS. */
  requireTls: boolean;
  rejectUnauthorized: boolean;
  /** The name the certificate must carry when it differs from `host` (`?servername=`). */
  servername?: string;
  /** Trusted certificate authorities instead of the system's (tests). */
  ca?: string | Buffer;
  /** `?allowInsecureAuth=true`: send the password without TLS (a loopback relay). */
  allowInsecureAuth: boolean;
  user?: string;
  pass?: string;
  /** Name sent in EHLO. */
  clientName: string;
  /** Socket inactivity limit, ms. */
  timeoutMs: number;
  /** Bound on the TCP connect, the greeting and each TLS handshake, ms. */
  connectTimeoutMs: number;
}

export class SmtpConnection {
  readonly capabilities = new Set<string>();
  private authMechanisms = new Set<string>();
  /** The server's SIZE limit in bytes (RFC 1870), when it advertises one. */
  maxSize: number | undefined;
  /** Messages completed on this session; a reused session may have been closed by the server. */
  messages = 0;
  /** False once the server said 421, the socket closed, or the session was abandoned. */
  usable = true;
  /** Counts every write, so a message can tell whether anything was written after its final dot. */
  writes = 0;
  private awaitedReplies = 0;
  private replyDeadline: NodeJS.Timeout | undefined;

  private constructor(
    private socket: net.Socket,
    private readonly reader: ReplyReader,
    private readonly timeoutMs: number,
  ) {}

  static async open(target: SmtpTarget): Promise<SmtpConnection> {
    const socket = await connectSocket(target);
    const connection = new SmtpConnection(socket, new ReplyReader(socket), target.timeoutMs);
    connection.watch(socket, target.timeoutMs);
    try {
      await connection.handshake(target);
      return connection;
    } catch (error) {
      connection.destroy();
      if (error instanceof ConnectionLost) throw new SmtpSetupError('unreachable', `the connection closed during the greeting (${error.message})`);
      throw error;
    }
  }

  get closed(): boolean {
    return this.reader.closed;
  }

  get secure(): boolean {
    return 'encrypted' in this.socket;
  }

  /** Bytes handed to the socket that it has not yet passed to the operating system. */
  get unflushed(): number {
    return this.socket.writableLength;
  }

  /**
   * The next reply. The socket's idle timeout catches a silent server; this deadline also catches
   * one that trickles a byte at a time and so never falls silent. One timer per connection,
   * restarted as replies come, serves every read at the usual limit.
   */
  read(timeoutMs = this.timeoutMs): Promise<SmtpReply> {
    if (timeoutMs !== this.timeoutMs) {
      const deadline = setTimeout(() => this.socket.destroy(noReplyWithin(timeoutMs)), timeoutMs);
      return this.reader.read().finally(() => clearTimeout(deadline));
    }
    this.awaitedReplies += 1;
    if (this.replyDeadline) this.replyDeadline.refresh();
    else this.replyDeadline = setTimeout(() => this.awaitedReplies > 0 && this.socket.destroy(noReplyWithin(this.timeoutMs)), this.timeoutMs).unref();
    return this.reader.read().then(this.replied, this.notReplied);
  }

  private readonly replied = (reply: SmtpReply): SmtpReply => {
    this.awaitedReplies -= 1;
    if (this.awaitedReplies > 0) this.replyDeadline?.refresh();
    return reply;
  };

  private readonly notReplied = (error: unknown): never => {
    this.awaitedReplies -= 1;
    throw error;
  };

  write(data: string | Buffer, done?: (error: Error | null | undefined) => void): void {
    if (this.socket.destroyed) {
      done?.(new Error('the connection is closed'));
      return;
    }
    this.writes += 1;
    this.socket.write(data, done);
  }

  /**
   * Several chunks in one system call; `done` runs after the last one was handed to the network.
   * The socket stays corked until the microtasks of this turn have run, so the commands of the
   * next message (written by whoever takes the session over at once) leave in the same call.
   */
  writeAll(chunks: Buffer[], done: (error: Error | null | undefined) => void): void {
    if (this.socket.destroyed) return done(new Error('the connection is closed'));
    this.writes += 1;
    const socket = this.socket;
    socket.cork();
    for (let index = 0; index < chunks.length; index += 1) socket.write(chunks[index]!, index === chunks.length - 1 ? done : undefined);
    process.nextTick(() => socket.uncork());
  }

  async command(line: string, timeoutMs?: number): Promise<SmtpReply> {
    this.write(`${line}\r\n`);
    const reply = await this.read(timeoutMs);
    if (reply.code === 421) this.usable = false;
    return reply;
  }

  /** Polite end: QUIT, then close whatever the answer. */
  async quit(): Promise<void> {
    if (this.closed) return;
    this.usable = false;
    this.write('QUIT\r\n');
    await Promise.race([this.read().catch(() => undefined), new Promise((resolve) => setTimeout(resolve, 200).unref())]);
    this.destroy();
  }

  destroy(): void {
    this.usable = false;
    clearTimeout(this.replyDeadline);
    this.reader.fail('closed by the client');
    this.socket.destroy();
  }

  private watch(socket: net.Socket, timeoutMs: number): void {
    socket.setTimeout(timeoutMs);
    socket.on('timeout', () => socket.destroy(new Error(`no answer from the server for ${timeoutMs / 1000} s`)));
    socket.on('error', (error: Error & { code?: string }) => this.lost(error.message, error.code));
    socket.on('close', () => this.lost('the server closed the connection'));
  }

  private lost(reason: string, code?: string): void {
    this.usable = false;
    this.reader.fail(reason, code);
  }

  private async handshake(target: SmtpTarget): Promise<void> {
    const greeting = await this.read(target.connectTimeoutMs).catch((error: unknown) => {
      throw error instanceof ConnectionLost && /within/.test(error.message) ? new SmtpSetupError('timeout', `no greeting within ${target.connectTimeoutMs / 1000} s (SMTP_CONNECT_TIMEOUT_SECONDS)`) : error;
    });
    if (greeting.code !== 220) throw new SmtpSetupError('refused', `the server refused the connection: ${describeReply(greeting)}`, greeting);
    await this.hello(target.clientName);
    if (!target.secure && this.capabilities.has('STARTTLS')) await this.startTls(target);
    else if (!target.secure && target.requireTls) throw new SmtpSetupError('tls', 'the server does not offer STARTTLS, and TLS is required');
    if (target.user === undefined) return;
    if (!this.secure && !target.allowInsecureAuth) {
      throw new SmtpSetupError('tls', 'the server does not offer STARTTLS (or something on the way removed it), so the password would travel in clear; it was not sent. Use smtps://, or add ?allowInsecureAuth=true for a relay on this machine');
    }
    await this.authenticate(target.user, target.pass ?? '');
  }

  /** EHLO, or HELO when the server refuses EHLO (RFC 5321 4.1.4): then no extensions at all. */
  private async hello(name: string): Promise<void> {
    this.capabilities.clear();
    this.authMechanisms.clear();
    this.maxSize = undefined;
    const reply = await this.command(`EHLO ${name}`);
    if (reply.code >= 500 && reply.code < 600) {
      const helo = await this.command(`HELO ${name}`);
      if (helo.code !== 250) throw new SmtpSetupError('refused', `the server refused EHLO and HELO: ${describeReply(helo)}`, helo);
      return;
    }
    if (reply.code !== 250) throw new SmtpSetupError('refused', `the server refused EHLO: ${describeReply(reply)}`, reply);
    for (const line of reply.lines.slice(1)) {
      const [keyword = '', ...params] = line.slice(4).trim().split(/\s+/);
      const name = keyword.toUpperCase();
      this.capabilities.add(name);
      if (name === 'AUTH') this.authMechanisms = new Set(params.map((p) => p.toUpperCase()));
      if (name === 'SIZE' && Number(params[0]) > 0) this.maxSize = Number(params[0]);
    }
  }

  /**
   * RFC 3207 §6: whatever arrived before the handshake is discarded (a man in the middle may have
   * queued replies there, CVE-2011-0411), the capabilities are forgotten, and EHLO is sent again.
   */
  private async startTls(target: SmtpTarget): Promise<void> {
    const reply = await this.command('STARTTLS');
    if (reply.code !== 220) throw new SmtpSetupError('tls', `the server refused the TLS upgrade: ${describeReply(reply)}`, reply);
    this.reader.detach();
    this.socket.removeAllListeners('close');
    this.socket.removeAllListeners('timeout');
    this.socket.removeAllListeners('error');
    const plain = this.socket;
    plain.on('error', () => undefined);
    const secured = await upgrade(plain, target);
    this.socket = secured;
    this.reader.switchTo(secured);
    this.watch(secured, target.timeoutMs);
    await this.hello(target.clientName);
  }

  private async authenticate(user: string, pass: string): Promise<void> {
    let reply: SmtpReply;
    if (this.authMechanisms.has('PLAIN')) {
      reply = await this.command(`AUTH PLAIN ${Buffer.from(`\0${user}\0${pass}`).toString('base64')}`);
    } else if (this.authMechanisms.has('LOGIN')) {
      reply = await this.command('AUTH LOGIN');
      if (reply.code === 334) reply = await this.command(Buffer.from(user).toString('base64'));
      if (reply.code === 334) reply = await this.command(Buffer.from(pass).toString('base64'));
    } else {
      throw new SmtpSetupError('auth', 'the server offers no AUTH PLAIN or LOGIN');
    }
    // A 5xx is the credentials (the caller says "refused the login"); a 4xx is the server's trouble.
    if (reply.code >= 500) throw new SmtpSetupError('auth', describeReply(reply), reply);
    if (reply.code !== 235) throw new SmtpSetupError('refused', `the server refused the login for now: ${describeReply(reply)}`, reply);
  }
}

function noReplyWithin(timeoutMs: number): Error {
  return new Error(`no complete reply from the server within ${timeoutMs / 1000} s`);
}

export function defaultClientName(): string {
  const name = hostname();
  return /^[A-Za-z0-9.-]+$/.test(name) && name.includes('.') ? name : '[127.0.0.1]';
}
