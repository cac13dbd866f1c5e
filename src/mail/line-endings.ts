/**
 * SMTP and DKIM both want CRLF line ends (RFC 5321 2.3.8; a bare LF is refused by some servers
 * and breaks "simple" body hashes). Built messages already use CRLF; this mends a bare LF or CR
 * that slipped in (a hand-written template, say) without copying a message that has none.
 */
export function normalizeLineEndings(message: Buffer): Buffer {
  if (isKnownCrlf(message)) return message;
  if (!hasBareLineEnd(message)) return knownCrlf(message);
  return knownCrlf(Buffer.from(message.toString('latin1').replace(/\r\n|\r|\n/g, '\r\n'), 'latin1'));
}

/**
 * What is known of a message without scanning it again, kept beside the buffer itself. `mark`
 * declares it (callers build the message so) and returns the message.
 */
function knownFact() {
  const holders = new WeakSet<Buffer>();
  return {
    mark: (message: Buffer): Buffer => (holders.add(message), message),
    holds: (message: Buffer): boolean => holders.has(message),
  };
}

/**
 * CRLF line ends only: built so (message.ts), or checked once. The signing step and the SMTP
 * client each used to scan every message again.
 */
const crlfOnly = knownFact();
export const knownCrlf = crlfOnly.mark;
export const isKnownCrlf = crlfOnly.holds;

/**
 * No line starts with "." (built so: every body line is quoted-printable, which encodes a leading
 * dot as =2E, and no header line starts with one). The SMTP client then skips the dot-stuffing
 * scan (RFC 5321 4.5.2) of the whole message, once per recipient.
 */
const dotFree = knownFact();
export const knownDotFree = dotFree.mark;
export const isKnownDotFree = dotFree.holds;

function hasBareLineEnd(message: Buffer): boolean {
  for (let at = message.indexOf(0x0a); at !== -1; at = message.indexOf(0x0a, at + 1)) {
    if (at === 0 || message[at - 1] !== 0x0d) return true;
  }
  for (let at = message.indexOf(0x0d); at !== -1; at = message.indexOf(0x0d, at + 1)) {
    if (message[at + 1] !== 0x0a) return true;
  }
  return false;
}
