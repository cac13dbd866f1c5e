import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { dkimVerify } from 'mailauth/lib/dkim/verify.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dkimKeys } from '../support/dkim.js';
import { headerValue } from '../support/smtp.js';
import { form, startWebHarness, type WebHarness } from './harness.js';

/**
 * The confirmation mail leaves through the same signing transport as every edition: with DKIM
 * configured (here ed25519-sha256) it is signed, and its To header carries no typed name.
 */
let h: WebHarness;
const keys = dkimKeys('example.org', 'confirm', 'ed25519');
const keyDir = mkdtempSync(join(tmpdir(), 'digest-dkim-'));

beforeAll(async () => {
  writeFileSync(join(keyDir, 'dkim.pem'), keys.privateKeyPem);
  h = await startWebHarness({ DKIM_DOMAIN: 'example.org', DKIM_SELECTOR: 'confirm', DKIM_PRIVATE_KEY_FILE: join(keyDir, 'dkim.pem'), DKIM_ALGORITHM: 'ed25519-sha256' }, { signupBurst: 50 });
});
afterAll(async () => {
  await h?.close();
  rmSync(keyDir, { recursive: true, force: true });
});

describe('the confirmation mail', () => {
  it('is DKIM-signed, and its To header does not carry the name typed into the form', async () => {
    const response = await fetch(`${h.url}subscribe`, { method: 'POST', redirect: 'manual', body: form({ email: 'typed@example.org', name: 'Click Here Now', cadence: 'weekly' }) });
    expect(response.status).toBe(200);
    const mail = await h.mailTo('typed@example.org');
    expect(headerValue(mail.parsed, 'to')).toBe('<typed@example.org>');
    expect(mail.raw.toString()).not.toContain('Click Here Now');
    const result = await dkimVerify(mail.raw, { resolver: keys.resolver });
    expect(result.results[0]).toMatchObject({ signingDomain: 'example.org', status: { result: 'pass' } });
    expect(mail.raw.toString()).toMatch(/^DKIM-Signature: v=1; a=ed25519-sha256;/);
  });
});
