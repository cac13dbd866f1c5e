import net from 'node:net';
import { hostname } from 'node:os';
import tls from 'node:tls';
import { ConnectionLost, describeReply, ReplyReader, type SmtpReply } from './replies.js';

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
  user?: string;
  pass?: string;
  /** Name sent in EHLO. */
  clientName: string;
  /** Socket inactivity limit, ms. */
  timeoutMs: number;
}

export type SetupFailure = 'auth' | 'tls' | 'unreachable' | 'refused';

/** Opening a session failed; `kind` says which step. */
export class SmtpSetupError extends Error {
  constructor(
    readonly kind: SetupFailure,
    message: string,
    readonly reply?: SmtpReply,
  ) {
    super(message);
  }
}

export class SmtpConnection {
  readonly capabilities = new Set<string>();
  private authMechanisms = new Set<string>();
  /** Messages completed on this session; a reused session may have been closed by the server. */
  messages = 0;
  /** False once the server said 421, the socket closed, or the session was abandoned. */
  usable = true;

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

  /**
   * The next reply. The socket's idle timeout catches a silent server; this deadline also catches
   * one that trickles a byte at a time and so never falls silent.
   */
  read(): Promise<SmtpReply> {
    const reply = this.reader.read();
    const deadline = setTimeout(() => this.socket.destroy(new Error(`no complete reply from the server within ${this.timeoutMs / 1000} s`)), this.timeoutMs);
    return reply.finally(() => clearTimeout(deadline));
  }

  write(data: string | Buffer, done?: (error: Error | null | undefined) => void): void {
    if (this.socket.destroyed) {
      done?.(new Error('the connection is closed'));
      return;
    }
    this.socket.write(data, done);
  }

  /** Several chunks in one system call; `done` runs after the last one was handed to the network. */
  writeAll(chunks: Buffer[], done: (error: Error | null | undefined) => void): void {
    if (this.socket.destroyed) return done(new Error('the connection is closed'));
    this.socket.cork();
    chunks.forEach((chunk, index) => this.socket.write(chunk, index === chunks.length - 1 ? done : undefined));
    this.socket.uncork();
  }

  async command(line: string): Promise<SmtpReply> {
    this.write(`${line}\r\n`);
    const reply = await this.read();
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
    this.reader.fail('closed by the client');
    this.socket.destroy();
  }

  private watch(socket: net.Socket, timeoutMs: number): void {
    socket.setTimeout(timeoutMs);
    socket.on('timeout', () => socket.destroy(new Error(`no answer from the server for ${timeoutMs / 1000} s`)));
    socket.on('error', (error) => this.lost(error.message));
    socket.on('close', () => this.lost('the server closed the connection'));
  }

  private lost(reason: string): void {
    this.usable = false;
    this.reader.fail(reason);
  }

  private async handshake(target: SmtpTarget): Promise<void> {
    const greeting = await this.read();
    if (greeting.code !== 220) throw new SmtpSetupError('refused', `the server refused the connection: ${describeReply(greeting)}`, greeting);
    await this.ehlo(target.clientName);
    if (!target.secure && this.capabilities.has('STARTTLS')) await this.startTls(target);
    else if (!target.secure && target.requireTls) throw new SmtpSetupError('tls', 'the server does not offer STARTTLS, and TLS is required');
    if (target.user !== undefined) await this.authenticate(target.user, target.pass ?? '');
  }

  private async ehlo(name: string): Promise<void> {
    const reply = await this.command(`EHLO ${name}`);
    if (reply.code !== 250) throw new SmtpSetupError('refused', `the server refused EHLO: ${describeReply(reply)}`, reply);
    this.capabilities.clear();
    for (const line of reply.lines.slice(1)) {
      const [keyword = '', ...params] = line.slice(4).trim().split(/\s+/);
      this.capabilities.add(keyword.toUpperCase());
      if (keyword.toUpperCase() === 'AUTH') this.authMechanisms = new Set(params.map((p) => p.toUpperCase()));
    }
  }

  private async startTls(target: SmtpTarget): Promise<void> {
    const reply = await this.command('STARTTLS');
    if (reply.code !== 220) throw new SmtpSetupError('tls', `the server refused the TLS upgrade: ${describeReply(reply)}`, reply);
    const secured = await upgrade(this.socket, target);
    this.socket.removeAllListeners('close');
    this.socket.removeAllListeners('timeout');
    this.socket = secured;
    this.reader.switchTo(secured);
    this.watch(secured, target.timeoutMs);
    await this.ehlo(target.clientName);
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
      throw new SmtpSetupError('auth', 'the server offers no AUTH PLAIN or LOGIN (does it require STARTTLS first?)');
    }
    // A 5xx is the credentials (the caller says "refused the login"); a 4xx is the server's trouble.
    if (reply.code >= 500) throw new SmtpSetupError('auth', describeReply(reply), reply);
    if (reply.code !== 235) throw new SmtpSetupError('refused', `the server refused the login for now: ${describeReply(reply)}`, reply);
  }
}

function connectSocket(target: SmtpTarget): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const onError = (error: Error & { code?: string }) => {
      const network = /^(ECONN|EHOST|ENET|ENOTFOUND|ETIMEDOUT|EAI_)/.test(error.code ?? '');
      reject(new SmtpSetupError(target.secure && !network ? 'tls' : 'unreachable', target.secure && !network ? `the TLS handshake failed: ${error.message}` : error.message));
    };
    const socket = target.secure
      ? tls.connect({ host: target.host, port: target.port, servername: servername(target.host), rejectUnauthorized: target.rejectUnauthorized }, () => done())
      : net.connect({ host: target.host, port: target.port }, () => done());
    const done = () => {
      socket.off('error', onError);
      socket.setNoDelay(true);
      resolve(socket);
    };
    socket.once('error', onError);
  });
}

function upgrade(socket: net.Socket, target: SmtpTarget): Promise<tls.TLSSocket> {
  return new Promise((resolve, reject) => {
    const secured = tls.connect({ socket, servername: servername(target.host), rejectUnauthorized: target.rejectUnauthorized }, () => {
      secured.off('error', onError);
      resolve(secured);
    });
    const onError = (error: Error) => reject(new SmtpSetupError('tls', `the TLS upgrade failed: ${error.message}`));
    secured.once('error', onError);
  });
}

function servername(host: string): string | undefined {
  return net.isIP(host) ? undefined : host;
}

export function defaultClientName(): string {
  const name = hostname();
  return /^[A-Za-z0-9.-]+$/.test(name) && name.includes('.') ? name : '[127.0.0.1]';
}
