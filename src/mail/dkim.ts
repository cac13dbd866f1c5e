import { createHash, createPrivateKey, sign, type KeyObject } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { ConfigError } from '../errors.js';
import { builtMessage, chunksOf, type OutgoingMessage } from './built-message.js';
import { isKnownCrlf, knownCrlf } from './line-endings.js';

/**
 * DKIM (RFC 6376) for every finished message: rsa-sha256 or ed25519-sha256 (RFC 8463), relaxed
 * header and simple body canonicalisation (our bodies are quoted-printable with CRLF line ends, so
 * simple is exact). The body hash is per message, since bodies carry personal links. The signature
 * runs on libuv's thread pool (async `crypto.sign`), so signing uses every core without blocking sends.
 */
export const SIGNED_HEADERS = ['from', 'to', 'subject', 'date', 'message-id', 'list-unsubscribe', 'list-unsubscribe-post', 'list-id', 'mime-version', 'content-type', 'auto-submitted'];

/**
 * Named once more in h= than they occur (RFC 6376 5.4.2): a second From, Subject or
 * List-Unsubscribe added on the way, or one added where there was none, breaks the signature.
 */
export const OVERSIGNED_HEADERS = ['from', 'subject', 'list-unsubscribe'];

export type DkimAlgorithm = 'rsa-sha256' | 'ed25519-sha256';

export interface DkimSettings {
  domain: string;
  selector: string;
  privateKeyFile: string;
  algorithm?: DkimAlgorithm;
}

export interface DkimSigner {
  /** The message with its DKIM-Signature header on top: a built message stays one (its chunks are not copied). */
  sign(message: OutgoingMessage): Promise<OutgoingMessage>;
}

export interface DkimOptions {
  domain: string;
  selector: string;
  privateKey: KeyObject;
  algorithm?: DkimAlgorithm;
  now?: () => Date;
}

export function loadDkimSigner(config: DkimSettings, now?: () => Date): DkimSigner {
  let privateKey: KeyObject;
  try {
    privateKey = createPrivateKey(readFileSync(config.privateKeyFile));
  } catch (cause) {
    throw new ConfigError('CONFIG_DKIM_KEY', `DKIM_PRIVATE_KEY_FILE ${config.privateKeyFile} is not a readable PEM private key (${(cause as Error).message}). Make one with: openssl genrsa -out dkim-private.pem 2048`, { cause });
  }
  const algorithm = config.algorithm ?? 'rsa-sha256';
  const wanted = algorithm === 'rsa-sha256' ? 'rsa' : 'ed25519';
  if (privateKey.asymmetricKeyType !== wanted) {
    const make = wanted === 'rsa' ? 'openssl genrsa -out dkim-private.pem 2048' : 'openssl genpkey -algorithm ed25519 -out dkim-private.pem';
    throw new ConfigError('CONFIG_DKIM_KEY', `DKIM_PRIVATE_KEY_FILE ${config.privateKeyFile} must hold an ${wanted === 'rsa' ? 'RSA' : 'Ed25519'} key for DKIM_ALGORITHM=${algorithm} (got ${privateKey.asymmetricKeyType}). Make one with: ${make}`);
  }
  return dkimSigner({ domain: config.domain, selector: config.selector, privateKey, algorithm, ...(now ? { now } : {}) });
}

export function dkimSigner(options: DkimOptions): DkimSigner {
  return {
    async sign(message) {
      const split = splitAtBody(chunksOf(message));
      if (!split) throw new Error('DKIM: the message has no header/body separator');
      const { headerBlock, body } = split;
      const headers = pickHeaders(headerBlock);
      const names = SIGNED_HEADERS.filter((name) => headers.has(name));
      const bodyHash = simpleBodyHash(body);
      const time = Math.floor((options.now?.() ?? new Date()).getTime() / 1000);
      const algorithm = options.algorithm ?? 'rsa-sha256';
      const listed = [...names, ...OVERSIGNED_HEADERS].join(':');
      const unsigned = `DKIM-Signature: v=1; a=${algorithm}; c=relaxed/simple; d=${options.domain}; s=${options.selector};\r\n\tt=${time}; h=${listed};\r\n\tbh=${bodyHash};\r\n\tb=`;
      // The extra names stand for headers that are not there: they add nothing to the signed data.
      const signedData = Buffer.from([...names.map((name) => relaxedHeader(headers.get(name) ?? '')), relaxedHeader(unsigned).replace(/\r\n$/, '')].join(''), 'utf8');
      const signature = await signData(algorithm, signedData, options.privateKey);
      const folded = signature.toString('base64').replace(/.{1,72}/g, (chunk, offset: number) => (offset === 0 ? chunk : `\r\n\t${chunk}`));
      const header = Buffer.from(`${unsigned}${folded}\r\n`);
      // The signature's lines end in CRLF and start with "DKIM-Signature:" or a tab: a built message
      // stays one, and what was known of any other message holds.
      if (!Buffer.isBuffer(message)) return builtMessage([header, ...message.chunks]);
      const signed = Buffer.concat([header, message]);
      return isKnownCrlf(message) ? knownCrlf(signed) : signed;
    },
  };
}

/** RSA signs the data with SHA-256; Ed25519 (RFC 8463 3) signs the SHA-256 hash of it. */
function signData(algorithm: DkimAlgorithm, data: Buffer, key: KeyObject): Promise<Buffer> {
  const [digest, input] = algorithm === 'rsa-sha256' ? ['sha256', data] : [null, createHash('sha256').update(data).digest()];
  return new Promise((resolve, reject) => sign(digest, input, key, (error, result) => (error ? reject(error) : resolve(result))));
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

/**
 * The header block (up to and with the CRLF of its last field) and the body's chunks after the
 * empty line. Only the chunks up to the separator are joined: a built message's first chunk or two.
 */
function splitAtBody(chunks: readonly Buffer[]): { headerBlock: string; body: Buffer[] } | undefined {
  let head: Buffer = Buffer.alloc(0);
  for (let i = 0; i < chunks.length; i += 1) {
    const searchFrom = Math.max(0, head.length - 3);
    head = i === 0 ? (chunks[0] as Buffer) : Buffer.concat([head, chunks[i] as Buffer]);
    const split = head.indexOf('\r\n\r\n', searchFrom);
    if (split >= 0) return { headerBlock: head.subarray(0, split + 2).toString('utf8'), body: [head.subarray(split + 4), ...chunks.slice(i + 1)] };
  }
  return undefined;
}

/** RFC 6376 3.4.3 (simple body): trailing empty lines removed, then one CRLF; hashed chunk by chunk. */
function simpleBodyHash(body: readonly Buffer[]): string {
  // The empty lines at the end lie in the last chunk that has other bytes and the chunks after it.
  let last = body.length - 1;
  while (last > 0 && onlyLineEnds(body[last] as Buffer)) last -= 1;
  const tail: Buffer = last === body.length - 1 ? (body[last] ?? Buffer.alloc(0)) : Buffer.concat(body.slice(last));
  let end = tail.length;
  while (end >= 2 && tail[end - 1] === 0x0a && tail[end - 2] === 0x0d) end -= 2;
  const hash = createHash('sha256');
  for (let i = 0; i < last; i += 1) hash.update(body[i] as Buffer);
  return hash.update(tail.subarray(0, end)).update('\r\n').digest('base64');
}

/** True when every byte is CR or LF (an empty chunk too); stops at the first other byte. */
function onlyLineEnds(chunk: Buffer): boolean {
  for (const byte of chunk) if (byte !== 0x0d && byte !== 0x0a) return false;
  return true;
}
