import type { OutgoingMessage } from '../mail/built-message.js';

/**
 * The transport port: how a finished message leaves. SMTP, the local outbox, the dry run and the
 * tests all implement these few methods, so every caller runs the same delivery code.
 */
export interface Envelope {
  from: string;
  to: string;
  /** The message's Message-ID, used by the outbox to name its file. */
  messageId: string;
}

export type SendOutcome =
  | { status: 'sent'; response: string }
  | { status: 'deferred' | 'failed'; code: number | undefined; response: string; hardBounce: boolean }
  /** Every byte was sent and no answer came: it may or may not have been accepted (delivery resends it once, UNCERTAIN_RESEND). */
  | { status: 'uncertain'; response: string }
  /** `beforeCommit` said no (the subscriber left meanwhile): nothing was committed. */
  | { status: 'aborted' };

export interface Transport {
  /** For messages: "the outbox at data/outbox", "smtp://mail.example.org:587". */
  readonly description: string;
  /** How many messages may be in flight at once (the connection pool size). */
  readonly concurrency: number;
  /** Connects and authenticates once; throws DeliveryError on a refused login or TLS upgrade. */
  verify(): Promise<void>;
  /**
   * Sends one message. `beforeCommit` runs at the last moment before the message is committed
   * (the final dot, the outbox rename); it returns false to abandon this message.
   */
  send(envelope: Envelope, message: OutgoingMessage, beforeCommit: () => Promise<boolean>): Promise<SendOutcome>;
  close(): Promise<void>;
}

/** SMTP reply judged by its first digit; 5.1.x enhanced codes (no such user/domain) are hard bounces. */
export function classifyReply(code: number | undefined, response: string): SendOutcome {
  if (code !== undefined && code >= 200 && code < 400) return { status: 'sent', response };
  const hardBounce = code !== undefined && code >= 500 && /\b5\.1\.\d{1,3}\b/.test(response);
  return { status: code !== undefined && code >= 500 ? 'failed' : 'deferred', code, response, hardBounce };
}
