/**
 * SMTP and DKIM both want CRLF line ends (RFC 5321 2.3.8; a bare LF is refused by some servers
 * and breaks "simple" body hashes). Built messages already use CRLF; this mends a bare LF or CR
 * that slipped in (a hand-written template, say) without copying a message that has none.
 */
export function normalizeLineEndings(message: Buffer): Buffer {
  if (crlfOnly.has(message)) return message;
  if (!hasBareLineEnd(message)) return knownCrlf(message);
  return knownCrlf(Buffer.from(message.toString('latin1').replace(/\r\n|\r|\n/g, '\r\n'), 'latin1'));
}

/**
 * Messages whose line ends are known to be CRLF only: built so (message.ts), or checked once.
 * The signing step and the SMTP client each used to scan every message again.
 */
const crlfOnly = new WeakSet<Buffer>();

/** Declares that `message` has CRLF line ends only (it must: callers build it so), and returns it. */
export function knownCrlf(message: Buffer): Buffer {
  crlfOnly.add(message);
  return message;
}

export function isKnownCrlf(message: Buffer): boolean {
  return crlfOnly.has(message);
}

/**
 * Messages known to have no line starting with "." (built so: every body line is quoted-printable,
 * which encodes a leading dot as =2E, and no header line starts with one). The SMTP client then
 * skips the dot-stuffing scan (RFC 5321 4.5.2) of the whole message, once per recipient.
 */
const dotFree = new WeakSet<Buffer>();

/** Declares that no line of `message` starts with a dot (callers build it so), and returns it. */
export function knownDotFree(message: Buffer): Buffer {
  dotFree.add(message);
  return message;
}

export function isKnownDotFree(message: Buffer): boolean {
  return dotFree.has(message);
}

function hasBareLineEnd(message: Buffer): boolean {
  for (let at = message.indexOf(0x0a); at !== -1; at = message.indexOf(0x0a, at + 1)) {
    if (at === 0 || message[at - 1] !== 0x0d) return true;
  }
  for (let at = message.indexOf(0x0d); at !== -1; at = message.indexOf(0x0d, at + 1)) {
    if (message[at + 1] !== 0x0a) return true;
  }
  return false;
}
