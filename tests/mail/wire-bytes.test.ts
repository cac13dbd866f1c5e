import { createHash } from 'node:crypto';
import { simpleParser } from 'mailparser';
import { afterEach, describe, expect, it } from 'vitest';
import { chooseSegment } from '../../src/edition/segments.js';
import { joined } from '../../src/mail/built-message.js';
import { compileMessage, personalize } from '../../src/mail/message.js';
import { deliveryKeyOf, deliveryMessageId } from '../../src/mail/message-id.js';
import { personalTokens, personalValuesFor } from '../../src/render/personal.js';
import { tokenSigner } from '../../src/tokens.js';
import { dotStuff } from '../../src/transport/smtp-client/message.js';
import { smtpClientTransport } from '../../src/transport/smtp-client/index.js';
import { startSmtpServer } from '../support/smtp.js';

/**
 * The bytes of a delivery, pinned: the speed work on building messages (cached link bases,
 * chosen segments, pre-encoded chunks) must leave every message byte-identical. The values below
 * were taken from the code before that work.
 */
const SECRET = 'pin-secret-0123456789abcdef0123456789abcdef';
const signer = tokenSigner(SECRET);
const ada = { id: 42, name: 'Dr. Ada Lovelace', email: 'ada@example.org' };
const tokens = personalTokens();
const rendered = {
  subject: 'Weekly #7: trade, ports and a long enough subject to be folded',
  // A shared line that starts with a dot, and a personal value at the start of a line.
  text: `${tokens.greeting}\n\n.shared line with a leading dot\n${tokens.email}\nUnsubscribe: ${tokens.unsubscribeUrl}\n`,
  html: `<p>${tokens.greeting}</p>\n.<p>${'Ports reopened. '.repeat(20)}</p><a href="${tokens.unsubscribeUrl}">Unsubscribe</a> <a href="${tokens.preferencesUrl}">Preferences</a>`,
  warnings: [],
};
const sender = { from: { name: 'Digest', address: 'digest@example.org' }, listId: 'Digest <digest.example.org>' };
const edition = { number: 7, createdAt: new Date('2026-11-30T08:00:00Z') };

function message(reader: { id: number; name: string; email: string }, messageId = deliveryMessageId(SECRET, 'example.org', edition, reader.id)) {
  return personalize(compileMessage(rendered, sender), {
    mailbox: { name: reader.name, address: reader.email },
    values: personalValuesFor(signer, 'https://digest.example.org/', reader),
    messageId,
    date: new Date('2026-11-30T08:00:00Z'),
  });
}

let close: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const done of close.splice(0)) await done();
});

describe('the bytes of a delivery', () => {
  it('personal links and Message-ID are what they were, whatever the shape of PUBLIC_URL', () => {
    const token = { unsubscribe: '16.0.XM10s8JfE3XewzvA_ATKW90z', preferences: '16.0.5TQPV0f0DhKDXIHLBAvmDB3D' };
    const links = (base: string) => ({ greeting: 'Hi Ada,', email: 'ada@example.org', unsubscribeUrl: `${base}unsubscribe/${token.unsubscribe}`, preferencesUrl: `${base}preferences/${token.preferences}` });
    expect(personalValuesFor(signer, 'https://digest.example.org/', ada)).toEqual(links('https://digest.example.org/'));
    expect(personalValuesFor(signer, 'https://example.org/news/digest/', ada)).toEqual(links('https://example.org/news/digest/'));
    // A base without a trailing slash, a query and a fragment: resolved as a URL resolves them.
    expect(personalValuesFor(signer, 'https://example.org/base?x=1#f', ada)).toEqual(links('https://example.org/'));
  });

  it("a delivery's Message-ID names its edition and subscriber, under a stamp only the secret can make", () => {
    const id = deliveryMessageId(SECRET, 'example.org', edition, 42);
    expect(id).toBe('<e7.s42.0e0222c6cbefa473@example.org>');
    expect(deliveryKeyOf(id)).toEqual({ edition: 7, subscriberId: 42 });
    expect(deliveryMessageId(SECRET, 'example.org', edition, 42)).toBe(id);
    // Another secret, reader, edition or creation time: another stamp.
    const others = [
      deliveryMessageId('another-secret-0123456789abcdef0123456789', 'example.org', edition, 42),
      deliveryMessageId(SECRET, 'example.org', edition, 43),
      deliveryMessageId(SECRET, 'example.org', { ...edition, number: 8 }, 42),
      deliveryMessageId(SECRET, 'example.org', { ...edition, createdAt: new Date(edition.createdAt.getTime() + 1) }, 42),
    ].map((other) => other.split('.')[2]);
    expect(new Set([id.split('.')[2], ...others]).size).toBe(5);
    expect(deliveryKeyOf('<confirm.s42.0123456789ab@example.org>')).toBeUndefined();
  });

  it('a whole personalised message is byte-identical to the one built before the speed work', () => {
    // The Message-ID as it was then (it is keyed by the secret since); every other byte the same.
    const raw = joined(message(ada, '<e7.s42.40ddeca7f1b1@example.org>')).toString('latin1');
    const boundary = /boundary="([^"]+)"/.exec(raw)![1]!;
    const normalised = raw.split(boundary).join('BOUNDARY');
    expect(createHash('sha256').update(normalised, 'latin1').digest('hex')).toBe('4a1a6232a63d1bf0dbb7e5ada75bdd00a8de20cee1ae6bd5fa12c466594cc73b');
  });

  it('a segment chosen again for the same topics is the same segment', () => {
    const posts = [
      { slug: 'a', categories: ['Trade'] },
      { slug: 'b', categories: ['Ports', 'trade'] },
      { slug: 'c', categories: ['War'] },
    ] as never;
    const one = chooseSegment({ posts }, { categories: ['trade'], excludedCategories: ['war'] });
    const two = chooseSegment({ posts }, { categories: ['TRADE'], excludedCategories: ['War'] });
    expect(one).toEqual(two);
    expect(one?.posts.map((p) => p.slug)).toEqual(['a', 'b']);
    expect(chooseSegment({ posts }, { categories: ['Sport'] })).toBeUndefined();
  });

  it('dot lines, shared or personal, are encoded when the template is built: nothing is left to stuff, and they arrive intact', async () => {
    const reader = { id: 9, name: 'Bea', email: '.bea.@example.org' };
    const built = message(reader);
    const bytes = joined(built);
    expect(bytes.toString('latin1')).not.toMatch(/\r\n\./);
    expect(dotStuff(bytes)).toBe(bytes);
    const server = await startSmtpServer();
    const transport = smtpClientTransport(server.url, { maxConnections: 1 });
    close.push(() => transport.close(), () => server.close());
    const outcome = await transport.send({ from: 'digest@example.org', to: 'bea@example.org', messageId: '<m@x>' }, built, async () => true);
    expect(outcome.status).toBe('sent');
    // Sent as its chunks, unjoined and unstuffed: the server has every byte, in order.
    expect(server.received[0]!.raw.equals(bytes)).toBe(true);
    const parsed = await simpleParser(server.received[0]!.raw);
    expect(parsed.text).toContain('\n.shared line with a leading dot\n.bea.@example.org\n');
    expect(parsed.html).toContain('\n.<p>Ports reopened.');
  });
});
