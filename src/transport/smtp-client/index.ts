import { DeliveryError, messageOf } from '../../errors.js';
import type { Envelope, SendOutcome, Transport } from '../transport.js';
import { defaultClientName, SmtpConnection, SmtpSetupError, type SmtpTarget } from './connection.js';
import { sendOnSession } from './message.js';
import { rateLimiter, SessionPool } from './pool.js';

/**
 * The product's SMTP transport: its own small client over a pool of reused sessions, so that it
 * can tell a message the server cannot have (deferred) from one it may have (uncertain; see
 * message.ts), and sends the pre-built message bytes as they are (no MIME work per message).
 */
export interface SmtpClientOptions {
  maxConnections: number;
  ratePerSecond?: number;
  timeoutMs?: number;
  /** Bound on connect, greeting and TLS handshake (SMTP_CONNECT_TIMEOUT_SECONDS). */
  connectTimeoutMs?: number;
  /** Certificate authorities to trust instead of the system's (tests with a private CA). */
  ca?: string | Buffer;
  sleep?: (ms: number) => Promise<void>;
}

export function smtpClientTransport(url: string, options: SmtpClientOptions): Transport {
  const target = { ...parseSmtpUrl(url, options.timeoutMs ?? 120_000, options.connectTimeoutMs ?? 15_000), ...(options.ca ? { ca: options.ca } : {}) };
  const pool = new SessionPool(target, options.maxConnections);
  const throttle = rateLimiter(options.ratePerSecond, options.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms))));
  const where = redact(url);
  return {
    description: where,
    concurrency: options.maxConnections,
    async verify() {
      try {
        pool.adopt(await SmtpConnection.open(target));
      } catch (error) {
        throw setupError(where, error);
      }
    },
    async send(envelope: Envelope, message: Buffer, beforeCommit): Promise<SendOutcome> {
      await throttle();
      for (;;) {
        let session: SmtpConnection;
        try {
          session = await pool.acquire();
        } catch (error) {
          return { status: 'deferred', code: undefined, response: `could not open an SMTP session: ${(error as Error).message}`, hardBounce: false };
        }
        const opened = pool.firstUse(session);
        let released = false;
        const release = () => {
          if (released) return;
          released = true;
          pool.release(session);
        };
        try {
          const { staleSession, ...outcome } = await sendOnSession(session, envelope, message, beforeCommit, release);
          // A reused session the server had closed meanwhile: nothing was sent, so try another. The
          // next one handed over may have been closed too (a server ending every session after M
          // messages), so again: each stale one is dropped, and only the pool's sessions can be
          // stale, so this ends. One opened for this message and closed unanswered: deferred.
          if (!staleSession || opened) return outcome;
        } catch (error) {
          // In an unknown state (perhaps mid-DATA): never reuse it, or the next message would land in this one.
          session.destroy();
          throw error;
        } finally {
          release();
        }
      }
    },
    close: () => pool.close(),
  };
}

export function parseSmtpUrl(url: string, timeoutMs: number, connectTimeoutMs = 15_000): SmtpTarget {
  const parsed = new URL(url);
  const secure = parsed.protocol === 'smtps:';
  const params = new Map([...parsed.searchParams].map(([key, value]) => [key.toLowerCase(), value.toLowerCase()]));
  const flag = (name: string) => params.get(name);
  const servername = flag('servername');
  return {
    host: parsed.hostname.replace(/^\[|\]$/g, ''),
    port: parsed.port ? Number(parsed.port) : secure ? 465 : 587,
    secure,
    requireTls: flag('requiretls') === 'true',
    rejectUnauthorized: flag('tls.rejectunauthorized') !== 'false',
    allowInsecureAuth: flag('allowinsecureauth') === 'true',
    ...(servername ? { servername } : {}),
    ...(parsed.username ? { user: decodeURIComponent(parsed.username), pass: decodeURIComponent(parsed.password) } : {}),
    clientName: defaultClientName(),
    timeoutMs,
    connectTimeoutMs,
  };
}

function setupError(where: string, error: unknown): DeliveryError {
  const message = messageOf(error);
  const kind = error instanceof SmtpSetupError ? error.kind : 'unreachable';
  if (kind === 'auth') {
    return new DeliveryError('SMTP_AUTH', `The SMTP server ${where} refused the login (${message}). Nothing was sent: check the user and password in SMTP_URL.`, { cause: error });
  }
  if (kind === 'certificate') {
    return new DeliveryError('SMTP_CERTIFICATE', `The SMTP server ${where}: ${message}. Nothing was sent.`, { cause: error });
  }
  if (kind === 'tls') {
    const hint = /password would travel in clear/.test(message) ? '' : ': check the port and smtp:// versus smtps:// in SMTP_URL';
    return new DeliveryError('SMTP_TLS', `The SMTP server ${where}: ${message}. Nothing was sent${hint}.`, { cause: error });
  }
  if (kind === 'timeout') {
    return new DeliveryError('SMTP_TIMEOUT', `The SMTP server ${where} did not answer in time: ${message}. Nothing was sent; the next run will try again.`, { cause: error });
  }
  return new DeliveryError('SMTP_UNREACHABLE', `The SMTP server ${where} could not be used (${message}). Nothing was sent; the next run will try again.`, { cause: error });
}

/** The URL without its password, for messages and logs. */
export function redact(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '***';
    return parsed.toString().replace(/\/$/, '');
  } catch {
    return 'the configured SMTP server';
  }
}
