import { createHmac, timingSafeEqual } from 'node:crypto';

/**
 * Signed link tokens: HMAC-SHA256 over purpose, subscriber and expiry with DIGEST_SECRET. The
 * purpose is inside the MAC, so an unsubscribe token can't be used as a preferences token.
 * Any malformed, foreign, truncated or tampered token verifies to `undefined`, the same answer
 * as an unknown one, and the comparison takes constant time.
 */
/** 'form': the short-lived anti-forgery field in the web preference forms. */
export type TokenPurpose = 'unsubscribe' | 'preferences' | 'confirm' | 'form';

const MAC_BYTES = 18;

export interface TokenSigner {
  sign(purpose: TokenPurpose, subscriberId: number, expiresAt?: Date): string;
  verify(purpose: TokenPurpose, token: string, now: Date): number | undefined;
}

export function tokenSigner(secret: string): TokenSigner {
  const mac = (purpose: TokenPurpose, payload: string) =>
    createHmac('sha256', secret).update(`${purpose}:${payload}`).digest().subarray(0, MAC_BYTES).toString('base64url');
  return {
    sign(purpose, subscriberId, expiresAt) {
      const payload = `${subscriberId.toString(36)}.${expiresAt ? Math.floor(expiresAt.getTime() / 1000).toString(36) : '0'}`;
      return `${payload}.${mac(purpose, payload)}`;
    },
    verify(purpose, token, now) {
      const match = /^([0-9a-z]{1,12})\.([0-9a-z]{1,12})\.([A-Za-z0-9_-]{24})$/.exec(token);
      if (!match) return undefined;
      const [, id, expiry, given] = match as unknown as [string, string, string, string];
      const expected = Buffer.from(mac(purpose, `${id}.${expiry}`));
      const actual = Buffer.from(given);
      if (actual.length !== expected.length || !timingSafeEqual(actual, expected)) return undefined;
      const expiresAt = parseInt(expiry, 36) * 1000;
      if (expiresAt !== 0 && expiresAt < now.getTime()) return undefined;
      return parseInt(id, 36);
    },
  };
}

/** PUBLIC_URL/<purpose>/<token>: the web page that takes this purpose's token. */
export function signedLink(signer: TokenSigner, publicUrl: string, purpose: Exclude<TokenPurpose, 'form'>, subscriberId: number, expiresAt?: Date): string {
  return `${linkBase(publicUrl, purpose)}${signer.sign(purpose, subscriberId, expiresAt)}`;
}

/**
 * `new URL('<purpose>/', PUBLIC_URL).href`, resolved once per base instead of once per message: a
 * token is only letters, digits, "-", "_" and ".", which URL resolution leaves as they are.
 */
const linkBases = new Map<string, string>();
function linkBase(publicUrl: string, purpose: string): string {
  const key = `${purpose} ${publicUrl}`;
  let base = linkBases.get(key);
  if (base === undefined) {
    base = new URL(`${purpose}/`, publicUrl).href;
    if (linkBases.size > 100) linkBases.clear();
    linkBases.set(key, base);
  }
  return base;
}

/** The personal links in every email, built from PUBLIC_URL. */
export function personalLinks(signer: TokenSigner, publicUrl: string, subscriberId: number) {
  return {
    unsubscribeUrl: signedLink(signer, publicUrl, 'unsubscribe', subscriberId),
    preferencesUrl: signedLink(signer, publicUrl, 'preferences', subscriberId),
  };
}
