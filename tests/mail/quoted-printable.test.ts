import { simpleParser } from 'mailparser';
import { describe, expect, it } from 'vitest';
import { encodeQuotedPrintable } from '../../src/mail/quoted-printable.js';

/** Reads quoted-printable back: soft breaks joined, every =XX the byte it names. */
function decode(encoded: string): string {
  const joined = encoded.replace(/=\r\n/g, '');
  const bytes: number[] = [];
  for (let i = 0; i < joined.length; i += 1) {
    if (joined[i] === '=') {
      bytes.push(parseInt(joined.slice(i + 1, i + 3), 16));
      i += 2;
    } else bytes.push(joined.charCodeAt(i));
  }
  return Buffer.from(bytes).toString('utf8');
}

/** A seeded generator, so a failure names an input that can be run again. */
function randomText(seed: number): string {
  let state = seed;
  const next = (n: number) => ((state = (state * 1103515245 + 12345) % 2 ** 31), state % n);
  const alphabet = ['a', 'Z', '0', ' ', '\t', '=', '.', '-', '/', '?', '&', 'From ', 'é', '€', '🎉', '\n', '~', '"'];
  return Array.from({ length: next(240) }, () => alphabet[next(alphabet.length)]).join('');
}

describe('quoted-printable', () => {
  it('encodes a leading dot and "From " so no line can end the SMTP data or split an mbox', () => {
    const encoded = encodeQuotedPrintable('.\nFrom me\nplain');
    expect(encoded.split('\r\n')).toEqual(['=2E', '=46rom me', 'plain']);
  });

  it('round-trips arbitrary text', async () => {
    const text = `trailing space \n${'é'.repeat(100)}\n= sign\ttab\t`;
    const raw = Buffer.from(`Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n${encodeQuotedPrintable(text)}`);
    const parsed = await simpleParser(raw);
    expect(parsed.text).toBe(text.replace(/\n/g, '\n'));
  });

  it('gives back every text it encodes, in lines of at most 76, none starting with "." or "From "', () => {
    for (let seed = 1; seed <= 3000; seed += 1) {
      const text = randomText(seed);
      for (const softBreakAfter of [false, true]) {
        const encoded = encodeQuotedPrintable(text, { softBreakAfter });
        expect(decode(encoded), `seed ${seed}`).toBe(text.replace(/\n/g, '\r\n'));
        const lines = encoded.split('\r\n');
        expect(Math.max(...lines.map((line) => line.length)), `seed ${seed}`).toBeLessThanOrEqual(76);
        // With a soft break to follow, the last line leaves room for its "=".
        if (softBreakAfter) expect(lines.at(-1)!.length, `seed ${seed}`).toBeLessThanOrEqual(75);
        expect(lines.filter((line) => line.startsWith('.') || line.startsWith('From ')), `seed ${seed}`).toEqual([]);
        expect(lines.filter((line) => / $|\t$/.test(line)), `seed ${seed}`).toEqual([]);
      }
    }
  });

  it('leaves a line that needs nothing as it is, and breaks one of 76 only when a soft break follows', () => {
    const link = `https://digest.example.org/unsubscribe/${'x'.repeat(37)}`;
    expect(link).toHaveLength(76);
    expect(encodeQuotedPrintable(link)).toBe(link);
    expect(encodeQuotedPrintable(link, { softBreakAfter: true })).toBe(`${link.slice(0, 75)}=\r\n${link.slice(75)}`);
    expect(encodeQuotedPrintable('a = b')).toBe('a =3D b');
    expect(encodeQuotedPrintable('trailing ')).toBe('trailing=20');
  });
});
