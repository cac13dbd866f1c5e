import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { post } from '../support/workspace.js';
import { hostile, hoursAgo, type Hostile } from './harness.js';

/**
 * Hostile addresses through every door an address comes in by: `digest subscribers add`, a CSV
 * import, and DIGEST_FROM in the configuration. Each must be refused with a reason and leave the
 * list as it was; the long ones must be refused by their length, before any parsing.
 */
let h: Hostile;
beforeEach(async () => {
  h = await hostile();
});
afterEach(() => h.close());

const colons = `${'g:'.repeat(10_000)}a@example.org;`;

const refused: { name: string; address: string; reason: string }[] = [
  { name: 'quoted local part hiding a second address', address: '"a@b.com x"@internal.example', reason: 'quote' },
  { name: 'two @ signs', address: 'a@b@c', reason: 'exactly one @' },
  { name: 'group syntax with 10,000 colons', address: colons, reason: 'longer than 254 characters' },
  { name: '10,000 spaces then an address', address: `${' x'.repeat(5_000)}a@example.org`, reason: 'longer than 254 characters' },
  { name: 'two addresses separated by a comma', address: 'a@example.org,b@evil.example', reason: 'comma' },
  { name: 'CR LF and a Bcc line', address: 'a@example.org\r\nBcc: x@evil.example', reason: 'control character' },
  { name: 'angle brackets', address: '<a@example.org>', reason: 'bracket' },
  { name: 'comment hiding another domain', address: 'a@example.org(x)evil.example', reason: 'bracket' },
  { name: 'quoted local part followed by a comment', address: '"user"@example.com(x)evil.com', reason: 'quote' },
  { name: 'domain literal', address: 'a@[127.0.0.1]', reason: 'bracket' },
  { name: 'single-label domain', address: 'root@localhost', reason: 'malformed domain' },
  { name: 'leading dot in the local part', address: '.a@example.org', reason: 'malformed name part' },
  { name: 'double dot in the domain', address: 'a@example..org', reason: 'malformed domain' },
  { name: 'hyphen-led domain label', address: 'a@-example.org', reason: 'malformed domain' },
  { name: 'NUL byte', address: 'a@example.org\u0000.evil.example', reason: 'control character' },
  { name: 'empty', address: '', reason: 'is empty' },
];

async function listed(): Promise<string> {
  return (await h.cli('subscribers', 'list')).output;
}

describe('hostile addresses are refused at every door', () => {
  it.each(refused)('$name', async ({ address, reason }) => {
    await h.subscribe({ email: 'keep@example.org' });
    const add = await h.cli('subscribers', 'add', address, '--name', 'Mallory');
    expect(add.code).toBe(1);
    expect(add.output).toContain(reason);

    const csv = join(h.ws.dir, 'import.csv');
    writeFileSync(csv, `email,name\n"${address.replace(/"/g, '""')}",Mallory\nfine@example.org,Fine\n`);
    const imported = await h.cli('subscribers', 'import', csv);
    expect(imported.code).toBe(1);
    expect(imported.output).toMatch(/import\.csv:2: email ".*" /s);
    expect(imported.output).toContain(reason);
    expect(imported.output).toContain('1 added, 0 updated, 1 rejected');
    const list = await listed();
    expect(list).toContain('2 subscribers');
    expect(list).not.toContain('Mallory');

    const render = await h.cli('render', '--subscriber', address, '--out', join(h.ws.dir, 'out'));
    expect(render.code).toBe(1);
    expect(render.output).toContain(reason);

    h.ws.env.DIGEST_FROM = `Digest <${address}>`;
    const check = await h.cli('check');
    expect(check.code).toBe(1);
    expect(check.output).toContain('DIGEST_FROM');
    // A wrong address is named by its variable; a 20,000-character value is not printed back whole.
    expect(check.output.length).toBeLessThan(25_000);
  });
});

describe('addresses that are fine but need normalising', () => {
  it('case variants are one subscriber and get one message', async () => {
    const csv = join(h.ws.dir, 'import.csv');
    writeFileSync(csv, 'email,name\nAda@Example.ORG,Ada\nada@example.org,Ada Again\nADA@EXAMPLE.ORG,Ada Third\n');
    expect((await h.cli('subscribers', 'import', csv)).output).toContain('1 added');
    expect((await h.cli('subscribers', 'add', 'ADA@example.org')).output).toContain('Updated ada@example.org');
    h.ws.writePost('p.md', post({ title: 'Once', date: hoursAgo(1) }));
    await h.cli('send');
    expect(h.smtp.received.map((r) => r.to)).toEqual([['ada@example.org']]);
  });

  it('an IDN domain is stored and sent as punycode, with ASCII-only headers', async () => {
    expect((await h.cli('subscribers', 'add', 'leser@bücher.example')).output).toContain('Added leser@xn--bcher-kva.example');
    h.ws.writePost('p.md', post({ title: 'IDN', date: hoursAgo(1) }));
    await h.cli('send');
    // smtp-server reports envelope domains decoded to Unicode; the header bytes show what was written.
    expect(h.smtp.received.map((r) => r.to)).toEqual([['leser@bücher.example']]);
    expect(h.smtp.received[0]!.raw.toString('latin1')).toMatch(/^To: <leser@xn--bcher-kva\.example>\r$/m);
  });

  it('full-width and zero-width characters in a domain map as browsers map them (UTS 46)', async () => {
    expect((await h.cli('subscribers', 'add', 'a@ｅｘａｍｐｌｅ.org')).output).toContain('Added a@example.org');
    expect((await h.cli('subscribers', 'add', 'b@exa\u200Bmple.org')).output).toContain('Added b@example.org');
    expect(await listed()).toContain('2 subscribers');
  });
});
