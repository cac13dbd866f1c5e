/**
 * Quoted-printable (RFC 2045 §6.7) with lines of at most 76 characters. A "." or "From " at the
 * start of a line is encoded too, so no relay or mbox file can mistake a line for a terminator.
 */
const MAX_LINE = 76;
const HEX = '0123456789ABCDEF';

export function encodeQuotedPrintable(text: string): string {
  return text
    .replace(/\r\n?/g, '\n')
    .split('\n')
    .map(encodeLine)
    .join('\r\n');
}

function encodeLine(line: string): string {
  const bytes = Buffer.from(line, 'utf8');
  const out: string[] = [];
  let current = '';
  for (let i = 0; i < bytes.length; i += 1) {
    const byte = bytes[i] as number;
    const atLineStart = current.length === 0;
    const isLast = i === bytes.length - 1;
    const token = mustEncode(byte, isLast, atLineStart, bytes, i) ? `=${HEX[byte >> 4]}${HEX[byte & 15]}` : String.fromCharCode(byte);
    // Keep an encoded character whole, and leave room for the soft-break "=".
    if (current.length + token.length > MAX_LINE - 1 && !(isLast && current.length + token.length <= MAX_LINE)) {
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
