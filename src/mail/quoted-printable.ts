/**
 * Quoted-printable (RFC 2045 §6.7) with lines of at most 76 characters, the soft-break "=" counted.
 * A "." or "From " at the start of a line is encoded too, so no relay or mbox file can mistake a
 * line for a terminator.
 */
const MAX_LINE = 76;
const HEX = '0123456789ABCDEF';
// Printable ASCII but "=", not ending in a space: such a line is its own encoding.
const VERBATIM = /^[\x21-\x3c\x3e-\x7e](?:[\x20-\x3c\x3e-\x7e]*[\x21-\x3c\x3e-\x7e])?$/;

export interface EncodeOptions {
  /**
   * The text's last line is followed by a soft break ("=" and CRLF) in the message: a personal
   * value's gap, and the shared text just before one (message.ts). That "=" must fit in its line.
   */
  softBreakAfter?: boolean;
}

export function encodeQuotedPrintable(text: string, { softBreakAfter = false }: EncodeOptions = {}): string {
  const lastMax = softBreakAfter ? MAX_LINE - 1 : MAX_LINE;
  if (!/[\r\n]/.test(text)) return encodeLine(text, lastMax); // one line: a personal value, mostly
  const lines = text.replace(/\r\n?/g, '\n').split('\n');
  const last = lines.length - 1;
  return lines.map((line, index) => encodeLine(line, index === last ? lastMax : MAX_LINE)).join('\r\n');
}

/** One line of text, broken with soft breaks so that no line is longer than MAX_LINE, its own last `lastMax`. */
function encodeLine(line: string, lastMax: number): string {
  if (line.length === 0) return line;
  // Most personal values (links, names) and many lines need no encoding: checked by one regex.
  if (line.length <= lastMax && VERBATIM.test(line) && line[0] !== '.' && !line.startsWith('From ')) return line;
  const bytes = Buffer.from(line, 'utf8');
  const out: string[] = [];
  let current = '';
  for (let i = 0; i < bytes.length; i += 1) {
    const byte = bytes[i] as number;
    const atLineStart = current.length === 0;
    const isLast = i === bytes.length - 1;
    const token = mustEncode(byte, isLast, atLineStart, bytes, i) ? `=${HEX[byte >> 4]}${HEX[byte & 15]}` : String.fromCharCode(byte);
    // Keep an encoded character whole, and leave room for the soft-break "=".
    if (current.length + token.length > MAX_LINE - 1 && !(isLast && current.length + token.length <= lastMax)) {
      out.push(`${current}=`);
      current = '';
      const again = mustEncode(byte, isLast, true, bytes, i) ? `=${HEX[byte >> 4]}${HEX[byte & 15]}` : String.fromCharCode(byte);
      current = again;
      continue;
    }
    current += token;
  }
  out.push(current);
  return out.join('\r\n');
}

function mustEncode(byte: number, isLast: boolean, atLineStart: boolean, bytes: Buffer, index: number): boolean {
  if (byte === 0x3d || byte > 0x7e || (byte < 0x20 && byte !== 0x09)) return true;
  if ((byte === 0x20 || byte === 0x09) && isLast) return true;
  if (atLineStart && byte === 0x2e) return true;
  return atLineStart && byte === 0x46 && bytes.toString('latin1', index, index + 5) === 'From ';
}
