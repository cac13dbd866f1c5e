import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { dkimVerify } from 'mailauth/lib/dkim/verify.js';
import { describe, expect, it } from 'vitest';
import { builtMessage, joined } from '../../src/mail/built-message.js';
import { dkimSigner, loadDkimSigner } from '../../src/mail/dkim.js';
import { dkimKeys } from '../support/dkim.js';
import { createWorkspace } from '../support/workspace.js';

const MESSAGE = [
  'To: "Ada" <ada@example.org>',
  'Date: Mon, 30 Nov 2026 08:00:00 +0000',
  'Message-ID: <e1.s1.abc@example.org>',
  'List-Unsubscribe: <https://digest.example.org/unsubscribe/abc>',
  'From: "Digest" <digest@example.org>',
  'Subject: Weekly digest #1: a rather long subject line that the header folding will need to wrap',
  ' around',
  'List-Id: Digest <digest.example.org>',
  'List-Unsubscribe-Post: List-Unsubscribe=One-Click',
  'MIME-Version: 1.0',
  'Content-Type: text/plain; charset=utf-8',
  '',
  'Hello,  with   spaces ',
  '.dot line',
  '',
  '',
].join('\r\n');

describe('DKIM signing', () => {
  it('passes an independent verifier (mailauth) and covers the required headers', async () => {
    const keys = dkimKeys();
    const signed = joined(await dkimSigner({ domain: keys.domain, selector: keys.selector, privateKey: keys.privateKey }).sign(Buffer.from(MESSAGE)));
    const result = await dkimVerify(signed, { resolver: keys.resolver });
    expect(result.results[0]?.status.result).toBe('pass');
    const header = signed.toString().split('\r\n\r\n')[0]!.replace(/\r\n[ \t]+/g, ' ');
    const h = /\bh=([^;]+);/.exec(header)?.[1]?.split(':');
    for (const name of ['from', 'to', 'subject', 'date', 'message-id', 'list-unsubscribe', 'list-unsubscribe-post']) expect(h).toContain(name);
  });

  it('signs with ed25519-sha256 (RFC 8463), which an independent verifier accepts', async () => {
    const keys = dkimKeys('example.org', 'ed', 'ed25519');
    const signed = joined(await dkimSigner({ domain: keys.domain, selector: keys.selector, privateKey: keys.privateKey, algorithm: 'ed25519-sha256' }).sign(Buffer.from(MESSAGE)));
    expect(signed.toString()).toContain('a=ed25519-sha256;');
    const result = await dkimVerify(signed, { resolver: keys.resolver });
    expect(result.results[0]?.status.result).toBe('pass');
  });

  it('over-signs From, Subject and List-Unsubscribe: a second one, or one added where there was none, breaks the signature', async () => {
    const keys = dkimKeys();
    const signer = dkimSigner({ domain: keys.domain, selector: keys.selector, privateKey: keys.privateKey });
    const signed = joined(await signer.sign(Buffer.from(MESSAGE))).toString();
    const header = signed.split('\r\n\r\n')[0]!.replace(/\r\n[ \t]+/g, ' ');
    const names = /\bh=([^;]+);/.exec(header)![1]!.split(':');
    for (const name of ['from', 'subject', 'list-unsubscribe']) expect(names.filter((n) => n === name), name).toHaveLength(2);
    const verdict = async (text: string) => (await dkimVerify(Buffer.from(text), { resolver: keys.resolver })).results[0]?.status.result;
    expect(await verdict(signed)).toBe('pass');
    // Added on top, where a verifier that signed only one instance would never look.
    expect(await verdict(`From: Mallory <m@evil.example>\r\n${signed}`)).toBe('fail');
    expect(await verdict(`Subject: Urgent: verify your account\r\n${signed}`)).toBe('fail');
    // A message that had no List-Unsubscribe (a confirmation mail) cannot be given one.
    const plain = joined(await signer.sign(Buffer.from(MESSAGE.replace(/List-Unsubscribe: [^\r]*\r\n/, '')))).toString();
    expect(await verdict(plain)).toBe('pass');
    expect(await verdict(`List-Unsubscribe: <https://evil.example/u>\r\n${plain}`)).toBe('fail');
  });

  it('fails verification when the body or a signed header is changed afterwards', async () => {
    const keys = dkimKeys();
    const signed = joined(await dkimSigner({ domain: keys.domain, selector: keys.selector, privateKey: keys.privateKey }).sign(Buffer.from(MESSAGE))).toString();
    const bodyChanged = Buffer.from(signed.replace('.dot line', '.dot lime'));
    const headerChanged = Buffer.from(signed.replace('unsubscribe/abc', 'unsubscribe/xyz'));
    // mailauth reports a body-hash mismatch as "neutral" (RFC 6376 6.3) and a bad signature as "fail".
    const body = (await dkimVerify(bodyChanged, { resolver: keys.resolver })).results[0]?.status;
    expect(body?.result).toBe('neutral');
    expect(body?.comment).toMatch(/body hash/);
    expect((await dkimVerify(headerChanged, { resolver: keys.resolver })).results[0]?.status.result).toBe('fail');
  });

  it('loads the key from DKIM_PRIVATE_KEY_FILE and names the file when it is not a key', () => {
    const ws = createWorkspace();
    try {
      const file = join(ws.dir, 'key.pem');
      writeFileSync(file, 'not a key');
      expect(() => loadDkimSigner({ domain: 'example.org', selector: 's', privateKeyFile: file })).toThrow(/DKIM_PRIVATE_KEY_FILE .*key\.pem is not a readable PEM private key/);
      writeFileSync(file, dkimKeys().privateKeyPem);
      expect(loadDkimSigner({ domain: 'example.org', selector: 's', privateKeyFile: file })).toHaveProperty('sign');
    } finally {
      ws.cleanup();
    }
  });

  it('signs a built message as it signs the same bytes joined, and keeps it in its chunks', async () => {
    const keys = dkimKeys();
    const signer = dkimSigner({ domain: keys.domain, selector: keys.selector, privateKey: keys.privateKey, now: () => new Date('2026-11-30T08:00:00Z') });
    const bytes = Buffer.from(MESSAGE);
    const at = (text: string) => bytes.indexOf(text);
    // Cut where it is hardest: inside the empty line after the headers, between the CR and LF of a
    // trailing empty line, and into chunks that are only line ends or empty.
    const ends = [at('\r\n\r\n') + 1, at('\r\n\r\n') + 3, at('.dot line'), bytes.length - 3, bytes.length - 3, bytes.length - 1, bytes.length];
    const built = builtMessage([Buffer.alloc(0), ...ends.map((end, i) => bytes.subarray(ends[i - 1] ?? 0, end))]);
    expect(joined(built).equals(bytes)).toBe(true);
    const signedBuilt = await signer.sign(built);
    expect(Buffer.isBuffer(signedBuilt)).toBe(false);
    const signedBytes = joined(await signer.sign(bytes));
    expect(joined(signedBuilt).equals(signedBytes)).toBe(true);
    expect((await dkimVerify(signedBytes, { resolver: keys.resolver })).results[0]?.status.result).toBe('pass');
  });
});
