import { describe, expect, it } from 'vitest';
import { readReport, ReportRefused } from '../../src/bounces/parse-mail.js';
import { judge } from '../../src/bounces/process.js';
import { verpCodec } from '../../src/bounces/verp.js';
import { splitMailFile } from '../../src/bounces/mbox.js';
import { arf, autoReply, bomb, delayed, exchange, gmail, rfc3464, yahoo, type Original } from './fixtures.js';

const verp = verpCodec('bounces@example.org', 'test-secret-0123456789abcdef0123456789abcdef');
const original: Original = { returnPath: verp.address({ edition: 12, subscriberId: 34 }), to: 'gone@example.com', messageId: '<e12.s34.abcdef012345@example.org>' };
const limits = { maxBytes: 10_000_000 };

describe('reading reports in the shapes providers send', () => {
  it.each([
    ['RFC 3464 (Postfix)', rfc3464(original), '5.1.1', /User unknown/],
    ['Gmail (folded diagnostic, X-Original-Message-ID, Auto-Submitted on a DSN)', gmail(original), '5.1.1', /550-5\.1\.1 The email account .* 550 5\.1\.1/],
    ['Exchange text-only NDR', exchange(original), '5.1.10', /RESOLVER\.ADR\.RecipientNotFound/],
    ['Yahoo Failure Notice (bare 554)', yahoo(original), '5.0.0', /doesn't have a yahoo\.com account/],
  ])('%s is a hard bounce naming delivery 12/34', async (_name, raw, status, reason) => {
    const report = await readReport(raw, limits);
    const finding = judge(report);
    expect(finding).toMatchObject({ kind: 'hard', status });
    expect('reason' in finding && finding.reason).toMatch(reason);
    expect(verp.findIn(report.searchText)).toEqual([{ edition: 12, subscriberId: 34 }]);
    expect(report.originalMessageIds).toContain(original.messageId);
  });

  it('a 4.x.x failure is soft; a "delayed" DSN is not a bounce', async () => {
    expect(judge(await readReport(rfc3464(original, '4.2.2', 'smtp; 452 4.2.2 Mailbox full'), limits))).toMatchObject({ kind: 'soft', status: '4.2.2' });
    expect(judge(await readReport(delayed(original), limits))).toEqual({ ignore: expect.stringContaining('delayed') });
  });

  it('an ARF abuse report is a complaint, found through Original-Mail-From; not-spam is ignored', async () => {
    const report = await readReport(arf(original), limits);
    expect(report.kind).toBe('arf');
    expect(judge(report)).toMatchObject({ kind: 'complaint', status: 'abuse' });
    expect(verp.findIn(report.searchText)).toEqual([{ edition: 12, subscriberId: 34 }]);
    expect(judge(await readReport(arf(original, 'not-spam'), limits))).toHaveProperty('ignore');
  });

  it('an auto-reply is not a bounce, even with a status code in its text', async () => {
    const report = await readReport(autoReply(original), limits);
    expect(report.kind).toBe('auto-reply');
    expect(judge(report)).toEqual({ ignore: 'auto-reply (not a bounce)' });
  });

  it('a DSN bomb is refused before parsing: too deep, or too large', async () => {
    await expect(readReport(bomb(original, 500, 1000), limits)).rejects.toThrow(ReportRefused);
    await expect(readReport(bomb(original, 500, 1000), limits)).rejects.toThrow(/nested/);
    await expect(readReport(bomb(original, 3, 20_000_000), limits)).rejects.toThrow(/larger than 10000000 bytes/);
  });

  it('VERP: a changed id or MAC does not verify; case does not matter', () => {
    const address = verp.address({ edition: 7, subscriberId: 99 });
    expect(address).toMatch(/^bounces\+7-2r-[0-9a-f]{16}@example\.org$/);
    expect(verp.parse(address.toUpperCase())).toEqual({ edition: 7, subscriberId: 99 });
    expect(verp.parse(address.replace('+7-', '+8-'))).toBeUndefined();
    expect(verp.parse(address.replace(/-([0-9a-f])([0-9a-f]{15})@/, (_m, c: string, rest: string) => `-${c === '0' ? '1' : '0'}${rest}@`))).toBeUndefined();
    expect(verpCodec('bounces@example.org', 'another-secret-0123456789abcdef0123456789').parse(address)).toBeUndefined();
  });

  it('an mbox splits into its messages, mboxrd quoting undone; a .eml is one message', () => {
    const mbox = Buffer.from('From MAILER-DAEMON Mon Nov 30 09:00:00 2026\nSubject: one\n\n>From the top\n\nFrom x@y Mon Nov 30 09:00:01 2026\nSubject: two\n\nbody\n');
    const parts = splitMailFile(mbox).map((b) => b.toString());
    expect(parts).toEqual(['Subject: one\n\nFrom the top\n', 'Subject: two\n\nbody']);
    expect(splitMailFile(Buffer.from('Subject: x\r\n\r\nbody'))).toHaveLength(1);
  });
});
