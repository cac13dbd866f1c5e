import type { OutgoingMessage } from './built-message.js';

/**
 * SMTP and DKIM both want CRLF line ends (RFC 5321 2.3.8; a bare LF is refused by some servers
 * and breaks "simple" body hashes). A built message already uses CRLF only and passes as it is;
 * this mends a bare LF or CR in any other (a hand-written message, say) without copying a
 * message that has none.
 */
export function normalizeLineEndings(message: OutgoingMessage): OutgoingMessage {
  if (!Buffer.isBuffer(message) || isKnownCrlf(message)) return message;
  if (!hasBareLineEnd(message)) return knownCrlf(message);
  return knownCrlf(Buffer.from(message.toString('latin1').replace(/\r\n|\r|\n/g, '\r\n'), 'latin1'));
}

/**
 * Buffers known to have CRLF line ends only, kept beside the buffer itself: checked once (a built
 * message, built-message.ts, is so by construction). The signing step and the SMTP client each
 * used to scan every message again.
 */
const crlfOnly = new WeakSet<Buffer>();
export const knownCrlf = (message: Buffer): Buffer => (crlfOnly.add(message), message);
export const isKnownCrlf = (message: Buffer): boolean => crlfOnly.has(message);

function hasBareLineEnd(message: Buffer): boolean {
  for (let at = message.indexOf(0x0a); at !== -1; at = message.indexOf(0x0a, at + 1)) {
    if (at === 0 || message[at - 1] !== 0x0d) return true;
  }
  for (let at = message.indexOf(0x0d); at !== -1; at = message.indexOf(0x0d, at + 1)) {
    if (message[at + 1] !== 0x0a) return true;
  }
  return false;
}
