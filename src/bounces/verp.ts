import { createHmac, timingSafeEqual } from 'node:crypto';

/**
 * VERP: every delivery leaves with its own envelope sender, `bounces+<edition>-<subscriber>-<mac>@domain`,
 * so a bounce names the delivery it is about without guessing from its body. The MAC (HMAC-SHA256
 * with DIGEST_SECRET, 64 bits, lower-case hex because some servers lower-case the name part) makes
 * the address unforgeable: a report naming an address with a wrong MAC is ignored.
 */
export interface DeliveryId {
  edition: number;
  subscriberId: number;
}

export interface Verp {
  /** The bounce mailbox itself, e.g. bounces@example.org. */
  readonly base: string;
  readonly domain: string;
  /** The envelope sender for one delivery. */
  address(id: DeliveryId): string;
  /** The delivery a VERP address names; undefined for any other address or a wrong MAC. */
  parse(address: string): DeliveryId | undefined;
  /** Every correctly signed VERP address found in a text (headers, a report's body), first first. */
  findIn(text: string): DeliveryId[];
}

const MAC_HEX = 16;

export function verpCodec(bounceAddress: string, secret: string): Verp {
  const at = bounceAddress.lastIndexOf('@');
  const local = bounceAddress.slice(0, at).toLowerCase();
  const domain = bounceAddress.slice(at + 1).toLowerCase();
  const mac = (edition: number, subscriberId: number) =>
    createHmac('sha256', secret).update(`verp:${edition}:${subscriberId}`).digest('hex').slice(0, MAC_HEX);
  const shape = new RegExp(`^${escapeRegExp(local)}\\+([0-9a-z]{1,9})-([0-9a-z]{1,9})-([0-9a-f]{${MAC_HEX}})@${escapeRegExp(domain)}$`);
  const anywhere = new RegExp(`${escapeRegExp(local)}\\+[0-9a-z]{1,9}-[0-9a-z]{1,9}-[0-9a-f]{${MAC_HEX}}@${escapeRegExp(domain)}`, 'gi');
  const parse = (address: string): DeliveryId | undefined => {
    const match = shape.exec(address.trim().replace(/^<|>$/g, '').toLowerCase());
    if (!match) return undefined;
    const edition = parseInt(match[1] ?? '', 36);
    const subscriberId = parseInt(match[2] ?? '', 36);
    const expected = Buffer.from(mac(edition, subscriberId));
    const given = Buffer.from(match[3] ?? '');
    return expected.length === given.length && timingSafeEqual(expected, given) ? { edition, subscriberId } : undefined;
  };
  return {
    base: `${local}@${domain}`,
    domain,
    address: ({ edition, subscriberId }) => `${local}+${edition.toString(36)}-${subscriberId.toString(36)}-${mac(edition, subscriberId)}@${domain}`,
    parse,
    findIn(text) {
      const found: DeliveryId[] = [];
      for (const match of text.slice(0, 2_000_000).matchAll(anywhere)) {
        const id = parse(match[0]);
        if (id && !found.some((f) => f.edition === id.edition && f.subscriberId === id.subscriberId)) found.push(id);
      }
      return found;
    },
  };
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
