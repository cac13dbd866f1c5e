import { encodeWord, encodeWords, foldLines } from 'nodemailer/lib/mime-funcs';
import { plainLine } from '../text.js';
import type { Mailbox } from './address.js';

/**
 * Header values are built only from single-line text: `plainLine` turns every CR, LF and other
 * control character into a space before a value gets here, and non-ASCII text is RFC 2047
 * encoded, so no field from a post, config or subscriber can add a header or a recipient.
 */
export function headerLine(name: string, value: string): string {
  const line = `${name}: ${value}`;
  if (/[\r\n]/.test(line)) throw new Error(`refusing a header with a line break: ${name}`);
  return foldLines(line, 76, false);
}

/** An unstructured text header (Subject): encoded words where the text is not plain ASCII. */
export function encodeText(text: string): string {
  const clean = plainLine(text);
  return isPlainAscii(clean) ? clean : encoded(clean);
}

/** `"Alice Example" <alice@example.org>`, with the name quoted or encoded as needed. */
export function formatMailbox(mailbox: Mailbox): string {
  const name = plainLine(mailbox.name);
  if (!name) return `<${mailbox.address}>`;
  if (isPlainAscii(name)) return `"${name.replace(/["\\]/g, '\\$&')}" <${mailbox.address}>`;
  return `${encoded(name)} <${mailbox.address}>`;
}

/**
 * Printable ASCII that no reader will decode: text that merely looks like an encoded word
 * (`=?utf-8?Q?=0D=0ABcc:…?=` in a post title) is encoded whole (nodemailer leaves well-formed
 * encoded words alone), so readers are shown it as written.
 */
function isPlainAscii(text: string): boolean {
  return /^[\x20-\x7e]*$/.test(text) && !text.includes('=?');
}

function encoded(text: string): string {
  return text.includes('=?') ? encodeWord(text, 'Q', 52) : encodeWords(text, 'Q', 52);
}

/** RFC 5322 date, e.g. "Mon, 30 Nov 2026 08:00:00 +0000". */
export function formatDateHeader(date: Date): string {
  return date.toUTCString().replace(/GMT$/, '+0000');
}
