import { createHmac, randomBytes } from 'node:crypto';

/**
 * Message-IDs. A delivery's names its edition and subscriber (`<e12.s345.…@domain>`), so a
 * bounce that quotes it leads straight to the ledger row by its key: the ledger needs no index
 * over Message-IDs, one index fewer to update for every message sent.
 */

/**
 * One edition's message to one subscriber keeps one Message-ID on every attempt, so a resend
 * after an uncertain or deferred attempt is shown once by receivers that collapse duplicates. The
 * edition's creation time keeps it unique if a new database numbers editions afresh. The stamp is
 * a MAC keyed by the secret: a bounce report that quotes a Message-ID proves it names a message
 * we sent, so nobody may work out another reader's ID from their own (and bounce them).
 */
export function deliveryMessageId(secret: string, domain: string, edition: { number: number; createdAt: Date }, subscriberId: number): string {
  const stamp = createHmac('sha256', secret).update(`message-id:${domain}:${edition.number}:${edition.createdAt.getTime()}:${subscriberId}`).digest('hex').slice(0, 16);
  return `<e${edition.number}.s${subscriberId}.${stamp}@${domain}>`;
}

/** `<label.sID.random@domain>`: the label names what it is (`e12` for edition 12, `confirm`, …). */
export function newMessageId(domain: string, label: string, subscriberId: number): string {
  return `<${label}.s${subscriberId}.${randomBytes(6).toString('hex')}@${domain}>`;
}

const DELIVERY_ID = /^<e(\d{1,15})\.s(\d{1,15})\./;

/**
 * The ledger key a delivery's Message-ID names (every version of the product wrote this form);
 * undefined for any other Message-ID. The caller still compares the whole ID with the row's.
 */
export function deliveryKeyOf(messageId: string): { edition: number; subscriberId: number } | undefined {
  const match = DELIVERY_ID.exec(messageId);
  return match ? { edition: Number(match[1]), subscriberId: Number(match[2]) } : undefined;
}
