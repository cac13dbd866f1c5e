import { newMessageId, personalize, type SenderInfo } from '../mail/message.js';
import type { Logger } from '../logger.js';
import { greetingFor } from '../render/personal.js';
import { chooseSegment, type segmentCache } from '../edition/segments.js';
import type { Edition, Store, Subscriber } from '../store/store.js';
import { personalLinks, type TokenSigner } from '../tokens.js';
import type { SendOutcome, Transport } from '../transport/transport.js';

/**
 * Stage 8: personalise and deliver, recording every step in the ledger. Recipients are read page
 * by page and claimed before sending, so two runs can never both take the same subscriber.
 */
export interface DeliverDeps {
  store: Store;
  transport: Transport;
  now: () => Date;
  logger: Logger;
  signer: TokenSigner;
  publicUrl: string;
  sender: SenderInfo;
  segments: ReturnType<typeof segmentCache>;
}

export interface Tally {
  sent: number;
  deferred: number;
  failed: number;
  skipped: number;
  uncertain: number;
}

const PAGE_SIZE = 200;
const RETRY_AFTER_MS = 15 * 60_000;

export async function deliverEdition(deps: DeliverDeps, edition: Edition): Promise<Tally> {
  const tally: Tally = { sent: 0, deferred: 0, failed: 0, skipped: 0, uncertain: 0 };
  let after = 0;
  for (;;) {
    const page = await deps.store.nextRecipients(edition, after, PAGE_SIZE, deps.now());
    const last = page[page.length - 1];
    if (!last) return tally;
    after = last.id;
    const claimed = new Set(await deps.store.claim(edition.number, page.map((s) => s.id), deps.now()));
    await inParallel(
      page.filter((s) => claimed.has(s.id)),
      deps.transport.concurrency,
      (subscriber) => deliverOne(deps, edition, subscriber, tally),
    );
  }
}

async function deliverOne(deps: DeliverDeps, edition: Edition, subscriber: Subscriber, tally: Tally): Promise<void> {
  const { store, now } = deps;
  const choice = chooseSegment(edition, subscriber);
  if (!choice) {
    await store.finish(edition.number, subscriber.id, { state: 'skipped', error: 'nothing new in the chosen topics' }, now());
    tally.skipped += 1;
    return;
  }
  const template = await deps.segments.get(choice);
  const messageId = newMessageId(deps.sender.from.address.split('@')[1] ?? 'localhost', edition.number, subscriber.id);
  const message = personalize(template, {
    mailbox: { name: subscriber.name, address: subscriber.email },
    values: { greeting: greetingFor(subscriber.name), email: subscriber.email, ...personalLinks(deps.signer, deps.publicUrl, subscriber.id) },
    messageId,
    date: now(),
  });
  const outcome = await sendSafely(deps.transport, { from: deps.sender.from.address, to: subscriber.email, messageId }, message, () =>
    store.markAwaiting(edition.number, subscriber.id, messageId, now()),
  );
  await record(deps, edition, subscriber, outcome, tally);
}

async function record(deps: DeliverDeps, edition: Edition, subscriber: Subscriber, outcome: SendOutcome, tally: Tally): Promise<void> {
  const at = deps.now();
  switch (outcome.status) {
    case 'sent':
      await deps.store.finish(edition.number, subscriber.id, { state: 'sent' }, at);
      tally.sent += 1;
      return;
    case 'aborted':
      await deps.store.finish(edition.number, subscriber.id, { state: 'skipped', error: 'unsubscribed during the run' }, at);
      tally.skipped += 1;
      return;
    case 'uncertain':
      await deps.store.finish(edition.number, subscriber.id, { state: 'uncertain', error: outcome.response }, at);
      deps.logger.warn('delivery.uncertain', { edition: edition.number, to: subscriber.email, response: outcome.response });
      tally.uncertain += 1;
      return;
    case 'deferred':
    case 'failed': {
      const retryAt = outcome.status === 'deferred' ? new Date(at.getTime() + RETRY_AFTER_MS) : undefined;
      await deps.store.finish(edition.number, subscriber.id, { state: outcome.status, error: outcome.response, ...(retryAt ? { retryAt } : {}) }, at);
      if (outcome.hardBounce) await deps.store.setStatus(subscriber.id, 'bounced', at);
      deps.logger.warn(`delivery.${outcome.status}`, { edition: edition.number, to: subscriber.email, code: outcome.code, response: outcome.response });
      tally[outcome.status] += 1;
    }
  }
}

/** A transport that throws is treated as a temporary failure: the delivery is retried later. */
async function sendSafely(transport: Transport, envelope: Parameters<Transport['send']>[0], message: Buffer, beforeCommit: () => Promise<boolean>): Promise<SendOutcome> {
  try {
    return await transport.send(envelope, message, beforeCommit);
  } catch (error) {
    return { status: 'deferred', code: undefined, response: error instanceof Error ? error.message : String(error), hardBounce: false };
  }
}

async function inParallel<T>(items: T[], limit: number, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const item = items[next];
      next += 1;
      if (item !== undefined) await work(item);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, worker));
}
