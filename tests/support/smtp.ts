import { simpleParser, type ParsedMail } from 'mailparser';
import type { Socket } from 'node:net';
import { SMTPServer, type SMTPServerSession } from 'smtp-server';
import { SMTPConnection, type SMTPConnectionOptions } from 'smtp-server/lib/smtp-connection.js';

/**
 * A real SMTP server in the test process. Every accepted message is kept raw and parsed, with
 * its envelope, so tests assert on what actually crossed the wire.
 */
export interface Received {
  from: string;
  to: string[];
  raw: Buffer;
  parsed: ParsedMail;
}

export interface TestSmtpServer {
  url: string;
  port: number;
  received: Received[];
  /** Messages received for one address. */
  to(address: string): Received[];
  close(): Promise<void>;
}

export interface TestSmtpOptions {
  /** Return an error with responseCode to reject a recipient (e.g. 550). */
  onRcpt?: (address: string) => { code: number; message: string } | undefined;
  auth?: { user: string; pass: string };
  /** Wait this long before accepting each message (a slow server, to interrupt a send midway). */
  delayMs?: number;
  /** Listen on this port (default: any free one), e.g. to come back where a stopped server was. */
  port?: number;
}

/**
 * smtp-server holds its greeting 100 ms on every connection, to catch clients that talk before
 * it (a spam-bot tell). No client here is one, and the suite opens hundreds of connections: this
 * server greets at once, which cut the suite's wall time by about a quarter. The rest of each
 * session is smtp-server's own; `connect` is its own too, but for that first wait.
 */
class PromptSmtpServer extends SMTPServer {
  override connect(socket: Socket, socketOptions?: SMTPConnectionOptions | null): void {
    const connection = new SMTPConnection(this, socket, socketOptions);
    this.connections.add(connection);
    connection.on('error', (error: Error) => this._onError(error));
    connection.on('connect', (data) => this._onClientConnect(data));
    connection._setListeners(() => connection.connectionReady());
  }
}

export async function startSmtpServer(options: TestSmtpOptions = {}): Promise<TestSmtpServer> {
  const received: Received[] = [];
  const server = new PromptSmtpServer({
    secure: false,
    disabledCommands: options.auth ? ['STARTTLS'] : ['STARTTLS', 'AUTH'],
    authOptional: !options.auth,
    allowInsecureAuth: true,
    logger: false,
    size: 10 * 1024 * 1024,
    onAuth(auth, _session, callback) {
      if (options.auth && auth.username === options.auth.user && auth.password === options.auth.pass) return callback(null, { user: auth.username });
      const error = Object.assign(new Error('5.7.8 Authentication credentials invalid'), { responseCode: 535 });
      return callback(error);
    },
    onRcptTo(address, _session, callback) {
      const rejection = options.onRcpt?.(address.address);
      if (rejection) return callback(Object.assign(new Error(rejection.message), { responseCode: rejection.code }));
      return callback();
    },
    onData(stream, session: SMTPServerSession, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (chunk: Buffer) => chunks.push(chunk));
      stream.on('end', () => {
        const raw = Buffer.concat(chunks);
        simpleParser(raw).then(
          (parsed) => {
            received.push({
              from: session.envelope.mailFrom ? session.envelope.mailFrom.address : '',
              to: session.envelope.rcptTo.map((r) => r.address),
              raw,
              parsed,
            });
            setTimeout(() => callback(), options.delayMs ?? 0);
          },
          (error: Error) => callback(error),
        );
      });
    },
  });
  await new Promise<void>((resolve) => server.listen(options.port ?? 0, '127.0.0.1', resolve));
  const port = (server.server.address() as { port: number }).port;
  const credentials = options.auth ? `${options.auth.user}:${options.auth.pass}@` : '';
  return {
    // No STARTTLS here: a password may go in clear only to a relay on this machine, when told so.
    url: `smtp://${credentials}127.0.0.1:${port}${options.auth ? '?allowInsecureAuth=true' : ''}`,
    port,
    received,
    to: (address) => received.filter((r) => r.to.includes(address)),
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/** A header's unfolded value straight from the raw lines (mailparser regroups List-* headers). */
export function headerValue(parsed: ParsedMail, name: string): string | undefined {
  const line = parsed.headerLines.find((h) => h.key === name.toLowerCase())?.line;
  return line?.slice(line.indexOf(':') + 1).replace(/\r?\n[ \t]+/g, ' ').trim();
}
