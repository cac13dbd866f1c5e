import type { Duplex } from 'node:stream';

/**
 * Reads SMTP replies from a socket: lines are gathered until the last line of a reply
 * ("250 ok", not "250-…"), and each complete reply goes to the oldest waiting reader. With
 * PIPELINING several replies may arrive at once; they queue in order.
 */
export interface SmtpReply {
  code: number;
  /** The reply text, lines joined by a space, without the codes. */
  text: string;
  /** Every line as sent, for EHLO capabilities. */
  lines: string[];
}

/** The connection ended (reset, closed, timed out) while a reply was awaited. */
export class ConnectionLost extends Error {
  readonly kind = 'ConnectionLost';

  constructor(
    message: string,
    /** The socket error's code (ECONNRESET, EPIPE, …); none for an orderly close or a timeout. */
    readonly code?: string,
  ) {
    super(message);
  }

  /** The peer reset the connection: its side closed with bytes of ours it had not read. */
  get reset(): boolean {
    return this.code === 'ECONNRESET' || this.code === 'EPIPE';
  }
}

/** RFC 5321 allows 512 octets a reply line: longer ones are cut here, kept to this length. */
const MAX_LINE = 8192;
const MAX_LINES = 1000;

type Waiter = { resolve: (reply: SmtpReply) => void; reject: (error: Error) => void };

export class ReplyReader {
  private partial = '';
  private skipping = false;
  private lines: string[] = [];
  private readonly queued: SmtpReply[] = [];
  private readonly waiters: Waiter[] = [];
  private lost: ConnectionLost | undefined;
  private readonly onData = (chunk: Buffer) => this.push(chunk.toString('utf8'));

  constructor(private stream: Duplex) {
    stream.on('data', this.onData);
  }

  get closed(): boolean {
    return this.lost !== undefined;
  }

  /**
   * For STARTTLS: stop reading the plain socket and forget everything it delivered that was not
   * yet asked for (RFC 3207 §6), so no reply queued before the handshake answers a later command.
   */
  detach(): void {
    this.stream.off('data', this.onData);
    this.queued.length = 0;
    this.lines = [];
    this.partial = '';
    this.skipping = false;
  }

  /** Read the TLS socket from now on. */
  switchTo(stream: Duplex): void {
    this.detach();
    this.stream = stream;
    stream.on('data', this.onData);
  }

  read(): Promise<SmtpReply> {
    const ready = this.queued.shift();
    if (ready) return Promise.resolve(ready);
    if (this.lost) return Promise.reject(this.lost);
    return new Promise((resolve, reject) => this.waiters.push({ resolve, reject }));
  }

  /** Every reader still waiting, and every later one, gets ConnectionLost. */
  fail(reason: string, code?: string): void {
    if (this.lost) return;
    this.lost = new ConnectionLost(reason, code);
    for (const waiter of this.waiters.splice(0)) waiter.reject(this.lost);
  }

  private push(chunk: string): void {
    if (this.lost) return;
    let text = chunk;
    if (this.skipping) {
      // The rest of an over-long line is dropped up to its line end: memory stays bounded.
      const eol = text.indexOf('\n');
      if (eol === -1) return;
      text = text.slice(eol);
      this.skipping = false;
    }
    const parts = (this.partial + text).split('\n');
    this.partial = parts.pop() ?? '';
    if (this.partial.length > MAX_LINE) {
      this.partial = this.partial.slice(0, MAX_LINE);
      this.skipping = true;
    }
    for (const raw of parts) this.line((raw.endsWith('\r') ? raw.slice(0, -1) : raw).slice(0, MAX_LINE));
  }

  private line(line: string): void {
    if (this.lost) return;
    if (this.lines.length >= MAX_LINES) return this.fail(`the server sent a reply of more than ${MAX_LINES} lines`);
    this.lines.push(line);
    if (line.length > 3 && line[3] === '-') return;
    const lines = this.lines;
    this.lines = [];
    const code = Number.parseInt(line.slice(0, 3), 10);
    const reply: SmtpReply = { code: Number.isNaN(code) ? 0 : code, text: lines.map((l) => l.slice(4)).join(' ').trim(), lines };
    const waiter = this.waiters.shift();
    if (waiter) waiter.resolve(reply);
    else this.queued.push(reply);
  }
}

/** "550 5.1.1 No such user" as one line for logs and the ledger. */
export function describeReply(reply: SmtpReply): string {
  return `${reply.code} ${reply.text}`.trim();
}
