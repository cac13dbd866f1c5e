import { createHash, createPrivateKey, sign, type KeyObject } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { ConfigError } from '../errors.js';

/**
 * DKIM (RFC 6376) for the finished per-subscriber message: rsa-sha256, relaxed header and simple
 * body canonicalisation (our bodies are quoted-printable with CRLF line ends, so simple is exact).
 * The body hash is per message, since bodies carry personal links. The RSA signature runs on
 * libuv's thread pool (async `crypto.sign`), so signing uses every core without blocking sends.
 */
export const SIGNED_HEADERS = ['from', 'to', 'subject', 'date', 'message-id', 'list-unsubscribe', 'list-unsubscribe-post', 'list-id', 'mime-version', 'content-type'];

export interface DkimSigner {
  sign(message: Buffer): Promise<Buffer>;
}

export interface DkimOptions {
  domain: string;
  selector: string;
  privateKey: KeyObject;
  now?: () => Date;
}

export function loadDkimSigner(config: { domain: string; selector: string; privateKeyFile: string }, now?: () => Date): DkimSigner {
  let privateKey: KeyObject;
  try {
    privateKey = createPrivateKey(readFileSync(config.privateKeyFile));
  } catch (cause) {
    throw new ConfigError('CONFIG_DKIM_KEY', `DKIM_PRIVATE_KEY_FILE ${config.privateKeyFile} is not a readable PEM private key (${(cause as Error).message}). Make one with: openssl genrsa -out dkim-private.pem 2048`, { cause });
  }
  if (privateKey.asymmetricKeyType !== 'rsa') throw new ConfigError('CONFIG_DKIM_KEY', `DKIM_PRIVATE_KEY_FILE ${config.privateKeyFile} must hold an RSA key (got ${privateKey.asymmetricKeyType})`);
  return dkimSigner({ domain: config.domain, selector: config.selector, privateKey, ...(now ? { now } : {}) });
}

export function dkimSigner(options: DkimOptions): DkimSigner {
  return {
    async sign(message) {
      const split = message.indexOf('\r\n\r\n');
      if (split < 0) throw new Error('DKIM: the message has no header/body separator');
      const headerBlock = message.subarray(0, split + 2).toString('utf8');
      const body = message.subarray(split + 4);
      const headers = pickHeaders(headerBlock);
      const names = SIGNED_HEADERS.filter((name) => headers.has(name));
      const bodyHash = simpleBodyHash(body);
      const time = Math.floor((options.now?.() ?? new Date()).getTime() / 1000);
      const unsigned = `DKIM-Signature: v=1; a=rsa-sha256; c=relaxed/simple; d=${options.domain}; s=${options.selector};\r\n\tt=${time}; h=${names.join(':')};\r\n\tbh=${bodyHash};\r\n\tb=`;
      const signedData = [...names.map((name) => relaxedHeader(headers.get(name) ?? '')), relaxedHeader(unsigned).replace(/\r\n$/, '')].join('');
      const signature = await new Promise<Buffer>((resolve, reject) =>
        sign('sha256', Buffer.from(signedData, 'utf8'), options.privateKey, (error, result) => (error ? reject(error) : resolve(result))),
      );
      const folded = signature.toString('base64').replace(/.{1,72}/g, (chunk, offset: number) => (offset === 0 ? chunk : `\r\n\t${chunk}`));
      return Buffer.concat([Buffer.from(`${unsigned}${folded}\r\n`), message]);
    },
  };
}

/** Lower-cased name → the last (bottom-most) occurrence of that header, with its folding. */
function pickHeaders(block: string): Map<string, string> {
  const found = new Map<string, string>();
  for (const field of block.split(/\r\n(?![ \t])/)) {
    const colon = field.indexOf(':');
    if (colon > 0) found.set(field.slice(0, colon).trim().toLowerCase(), field);
  }
  return found;
}

/** RFC 6376 3.4.2: lower-case name, unfold, collapse whitespace, trim, "name:value\r\n". */
export function relaxedHeader(field: string): string {
  const colon = field.indexOf(':');
  const name = field.slice(0, colon).trim().toLowerCase();
  const value = field
    .slice(colon + 1)
    .replace(/\r\n/g, '')
    .replace(/[ \t]+/g, ' ')
    .trim();
  return `${name}:${value}\r\n`;
}

/** RFC 6376 3.4.3 (simple body): trailing empty lines removed, then one CRLF; hashed in place. */
function simpleBodyHash(body: Buffer): string {
  let end = body.length;
  while (end >= 2 && body[end - 1] === 0x0a && body[end - 2] === 0x0d) end -= 2;
  return createHash('sha256').update(body.subarray(0, end)).update('\r\n').digest('base64');
}
