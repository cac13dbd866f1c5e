import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { headerValue } from '../support/smtp.js';
import { assertWellFormed, headerNames, hostile, hoursAgo, rawHeaderLines, type Hostile } from './harness.js';

/**
 * CR/LF, encoded words and non-ASCII text in every field that ends up in a header: post titles,
 * subscriber names (CLI, CSV, the database), the sender and the publication name. Whatever comes
 * in, each message has one Subject, no extra header, only its own recipient in the envelope, and
 * header lines of printable ASCII no longer than 998 octets.
 */
let h: Hostile;
afterEach(() => h?.close());

const titled = (title: string) => `---\ntitle: ${JSON.stringify(title)}\ndate: ${hoursAgo(1)}\nauthor: "A"\n---\n\nBody.\n`;

async function sendTo(rows: { email: string; name?: string }[], title = 'Plain', env: Record<string, string> = {}) {
  h = await hostile(env);
  await h.subscribe(...rows);
  h.ws.writePost('p.md', titled(title));
  const send = await h.cli('send');
  expect(send.code).toBe(0);
  expect(h.smtp.received.map((r) => r.to[0]).sort()).toEqual(rows.map((r) => r.email).sort());
  for (const message of h.smtp.received) assertWellFormed(message, expect);
  return h.smtp.received;
}

const injections: { name: string; title?: string; subscriberName?: string; subject?: string; toName?: string }[] = [
  { name: 'CR LF + Bcc in a title', title: 'Hello\r\nBcc: victim@evil.example', subject: 'Hello Bcc: victim@evil.example' },
  { name: 'bare LF + Subject in a title', title: 'Hello\nSubject: second', subject: 'Hello Subject: second' },
  { name: 'bare CR + To in a title', title: 'Hello\rTo: x@evil.example', subject: 'Hello To: x@evil.example' },
  { name: 'Unicode line and paragraph separators in a title', title: 'One\u2028Bcc: a@evil.example\u2029Two', subject: 'One Bcc: a@evil.example Two' },
  { name: 'CR LF + Bcc in a subscriber name', subscriberName: 'Ada\r\nBcc: victim@evil.example', toName: 'Ada Bcc: victim@evil.example' },
  { name: 'a name that closes its quotes and adds an address', subscriberName: 'Ada" <evil@evil.example>, "x', toName: 'Ada" , "x' },
  { name: 'a name with a backslash and a quote', subscriberName: 'Back\\slash "quoted"', toName: 'Back\\slash "quoted"' },
  { name: 'an encoded word in a name stays literal', subscriberName: '=?utf-8?Q?Admin=0D=0ABcc:_x@evil.example?=', toName: '=?utf-8?Q?Admin=0D=0ABcc:_x@evil.example?=' },
  { name: 'a bidi override in a title (exe shown as png)', title: 'Invoice \u202Egnp.exe', subject: 'Invoice gnp.exe' },
  { name: 'NEL and other C1 controls in a title', title: 'One\u0085Two\u009bThree', subject: 'One Two Three' },
  { name: 'a bidi override in a name', subscriberName: 'Ada \u202Enimda', toName: 'Ada nimda' },
  { name: 'non-ASCII and emoji in a title', title: 'Zürich 📰 — 北朝鮮の貿易 ✓', subject: 'Zürich 📰 — 北朝鮮の貿易 ✓' },
  { name: 'non-ASCII and emoji in a name', subscriberName: 'Zoë Ünal 🌍 Łukasz', toName: 'Zoë Ünal 🌍 Łukasz' },
  { name: '300 emoji in a title (a short subject instead, never a cut title)', title: '📰'.repeat(300) },
  { name: 'a 100-character non-ASCII name', subscriberName: 'Ü'.repeat(100), toName: 'Ü'.repeat(100) },
];

describe('header injection and encoding', () => {
  it.each(injections)('$name', async ({ title, subscriberName, subject, toName }) => {
    const received = await sendTo([{ email: 'ada@example.org', ...(subscriberName === undefined ? {} : { name: subscriberName }) }, { email: 'bob@example.org' }], title);
    const ada = received.find((r) => r.to[0] === 'ada@example.org')!;
    if (subject) expect(ada.parsed.subject).toBe(`Weekly digest #1: ${subject}`);
    if (title && !subject) expect([...(ada.parsed.subject ?? '')].length).toBeLessThanOrEqual(100);
    if (toName) expect(ada.parsed.to).toMatchObject({ value: [{ name: toName, address: 'ada@example.org' }] });
    expect(ada.parsed.to && 'value' in ada.parsed.to ? ada.parsed.to.value : []).toHaveLength(1);
    expect(ada.parsed.bcc).toBeUndefined();
    expect(ada.parsed.cc).toBeUndefined();
    for (const line of rawHeaderLines(ada.raw)) expect(line.length).toBeLessThanOrEqual(78);
  });

  it('CR LF + Bcc in a CSV name (quoted, over two lines) stays in one To header', async () => {
    h = await hostile();
    const csv = join(h.ws.dir, 'in.csv');
    writeFileSync(csv, 'email,name\nada@example.org,"Ada\r\nBcc: victim@evil.example"\n');
    expect((await h.cli('subscribers', 'import', csv)).output).toContain('1 added');
    h.ws.writePost('p.md', titled('CSV'));
    await h.cli('send');
    expect(h.smtp.received.map((r) => r.to)).toEqual([['ada@example.org']]);
    expect(headerNames(h.smtp.received[0]!.raw)).not.toContain('bcc');
    expect(headerValue(h.smtp.received[0]!.parsed, 'To')).toBe('"Ada Bcc: victim@evil.example" <ada@example.org>');
  });

  it('CR LF in `subscribers add --name` is flattened', async () => {
    h = await hostile();
    await h.cli('subscribers', 'add', 'ada@example.org', '--name', 'Ada\r\nBcc: victim@evil.example');
    expect((await h.cli('subscribers', 'list')).output).toContain('ada@example.org\tAda Bcc: victim@evil.example\t');
  });

  it('a non-ASCII sender and publication name are encoded in From and List-Id', async () => {
    const received = await sendTo([{ email: 'ada@example.org' }], 'Plain', { DIGEST_FROM: 'Zürcher Blätter 📰 <digest@example.org>', PUBLICATION_NAME: 'Zürcher Blätter 📰' });
    const message = received[0]!;
    expect(message.parsed.from?.value[0]).toEqual({ name: 'Zürcher Blätter 📰', address: 'digest@example.org' });
    expect(headerValue(message.parsed, 'List-Id')).toMatch(/<digest\.example\.org>$/);
  });

  it.each([
    ['PUBLICATION_NAME', 'Digest\r\nBcc: victim@evil.example', 'must be a single line'],
    ['DIGEST_FROM', 'Digest\r\nBcc: victim@evil.example <digest@example.org>', 'contains a line break'],
    ['SENDER_POSTAL_ADDRESS', '1 Street\nBcc: victim@evil.example', 'must be a single line'],
  ])('CR LF in %s is refused at start-up', async (name, value, reason) => {
    h = await hostile();
    await h.subscribe({ email: 'ada@example.org' });
    h.ws.writePost('p.md', titled('Config'));
    h.ws.env[name] = value;
    for (const command of ['check', 'send']) {
      const run = await h.cli(command);
      expect(run.code).toBe(1);
      expect(run.output).toContain(`${name} ${reason}`);
    }
    expect(h.smtp.received).toHaveLength(0);
  });
});
