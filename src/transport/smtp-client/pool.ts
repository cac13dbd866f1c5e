import { SmtpConnection, type SmtpTarget } from './connection.js';

/**
 * Up to `size` reused sessions. A session goes back to the pool after each message unless it
 * died or the server said 421; a dead one is replaced by a new one on demand.
 */
export class SessionPool {
  private readonly idle: SmtpConnection[] = [];
  private readonly waiting: Array<(session: SmtpConnection | undefined) => void> = [];
  /** Sessions `acquire` opened for its caller, until the caller asks `firstUse`. */
  private readonly opened = new WeakSet<SmtpConnection>();
  private open = 0;
  private closing = false;

  constructor(
    private readonly target: SmtpTarget,
    readonly size: number,
  ) {}

  /** A session ready for MAIL FROM; throws SmtpSetupError when a new one can't be opened. */
  async acquire(): Promise<SmtpConnection> {
    if (this.closing) throw new Error('the SMTP connection pool is closed');
    for (;;) {
      const session = this.idle.pop();
      if (!session) break;
      if (session.usable && !session.closed) return session;
      this.discard(session);
    }
    if (this.open < this.size) return this.create();
    const handed = await new Promise<SmtpConnection | undefined>((resolve) => this.waiting.push(resolve));
    return handed ?? this.acquire();
  }

  release(session: SmtpConnection): void {
    if (this.closing || !session.usable || session.closed) {
      this.discard(session);
      const waiter = this.waiting.shift();
      // A free slot: the waiter opens its own session.
      if (waiter) waiter(undefined);
      return;
    }
    const waiter = this.waiting.shift();
    if (waiter) waiter(session);
    else this.idle.push(session);
  }

  /** Adds an already-open session (the one `verify` opened) to the pool. */
  adopt(session: SmtpConnection): void {
    if (this.open >= this.size || this.closing) {
      void session.quit();
      return;
    }
    this.open += 1;
    this.release(session);
  }

  async close(): Promise<void> {
    this.closing = true;
    for (const waiter of this.waiting.splice(0)) waiter(undefined);
    await Promise.all(this.idle.splice(0).map((session) => session.quit().finally(() => (this.open -= 1))));
  }

  /**
   * True, once, for a session `acquire` has just opened for the caller; false for one reused from
   * the pool (idle, handed over, or the one `verify` opened), which the server may have closed.
   */
  firstUse(session: SmtpConnection): boolean {
    return this.opened.delete(session);
  }

  private async create(): Promise<SmtpConnection> {
    this.open += 1;
    try {
      const session = await SmtpConnection.open(this.target);
      this.opened.add(session);
      return session;
    } catch (error) {
      this.open -= 1;
      const waiter = this.waiting.shift();
      if (waiter) waiter(undefined);
      throw error;
    }
  }

  private discard(session: SmtpConnection): void {
    this.open -= 1;
    if (!session.closed) void session.quit();
  }
}

/** At most `perSecond` messages a second, spread evenly. */
export function rateLimiter(perSecond: number | undefined, sleep: (ms: number) => Promise<void>): () => Promise<void> {
  if (!perSecond) return async () => {};
  const interval = 1000 / perSecond;
  let next = 0;
  return async () => {
    const now = Date.now();
    const at = Math.max(now, next);
    next = at + interval;
    if (at > now) await sleep(at - now);
  };
}
