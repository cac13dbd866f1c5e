import type { segmentCache } from '../edition/segments.js';
import { messageOf } from '../errors.js';
import type { Logger } from '../logger.js';
import { personalize, type SenderInfo } from '../mail/message.js';
import { personalValuesFor } from '../render/personal.js';
import type { Edition, Store, Subscriber } from '../store/store.js';
import type { TokenSigner } from '../tokens.js';
import type { SendOutcome, Transport } from '../transport/transport.js';

/**
 * One attempt at one recipient: choose the segment, fill the personal gaps of the already-built
 * message (no render, no MIME build), and hand it to the transport (which signs it), whose
 * `beforeCommit` moves the ledger row to awaiting only while the subscriber is still active
 * (committed before the final dot, shared with the other connections' marks).
 */
export interface AttemptDeps {
  store: Store;
  /** The worker identity the rows were claimed under: every ledger write is fenced by it. */
  worker: string;
  transport: Transport;
  now: () => Date;
  logger: Logger;
  signer: TokenSigner;
  publicUrl: string;
  sender: SenderInfo;
  segments: ReturnType<typeof segmentCache>;
}

export type AttemptResult = SendOutcome | { status: 'nothing-to-send' };

/** Where the awaiting mark goes: the run's group commit (group-commit.ts). */
export interface AwaitingLedger {
  markAwaiting(subscriberId: number, messageId: string, at: Date): Promise<boolean>;
}

export async function attemptDelivery(deps: AttemptDeps, edition: Edition, subscriber: Subscriber, ledger: AwaitingLedger): Promise<AttemptResult> {
  const choice = deps.segments.choose(subscriber);
  if (!choice) return { status: 'nothing-to-send' };
  // A stored address with a line break, bracket or space (a hand-edited database) fails alone.
  if (/[\u0000-\u0020\u007f<>,;"()\\]/.test(subscriber.email)) {
    return { status: 'failed', code: undefined, response: `the stored address ${JSON.stringify(subscriber.email.slice(0, 120))} is malformed: fix or remove it`, hardBounce: false };
  }
  const template = await deps.segments.get(choice);
  const messageId = deps.sender.messageId(edition, subscriber.id);
  const message = personalize(template, {
    mailbox: { name: subscriber.name, address: subscriber.email },
    values: personalValuesFor(deps.signer, deps.publicUrl, subscriber),
    messageId,
    date: deps.now(),
  });
  let committing = false;
  const beforeCommit = async () => (committing = await ledger.markAwaiting(subscriber.id, messageId, deps.now()));
  try {
    const from = deps.sender.envelopeFrom?.(edition.number, subscriber.id) ?? deps.sender.from.address;
    return await deps.transport.send({ from, to: subscriber.email, messageId }, message, beforeCommit);
  } catch (error) {
    const reason = messageOf(error);
    // A transport that throws: retried later, unless it had already started committing the message.
    if (committing) return { status: 'uncertain', response: reason };
    return { status: 'deferred', code: undefined, response: reason, hardBounce: false };
  }
}
