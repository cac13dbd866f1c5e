import { simpleParser } from 'mailparser';
import { describe, expect, it } from 'vitest';
import { joined } from '../../src/mail/built-message.js';
import { compileMessage, personalize } from '../../src/mail/message.js';
import { personalTokens } from '../../src/render/personal.js';

const tokens = personalTokens();
const rendered = {
  subject: 'Wöchentlich #1: Ünïcode 🎉 subject that is long enough to need folding across lines',
  html: `<p>${tokens.greeting}</p><p>${'Lorem ipsum dolor sit amet. '.repeat(30)}</p><a href="${tokens.unsubscribeUrl}">Unsubscribe</a>\n.\nFrom here`,
  text: `${tokens.greeting}\n\nUnsubscribe: ${tokens.unsubscribeUrl}\nPreferences: ${tokens.preferencesUrl}\n`,
  warnings: [],
};
const sender = { from: { name: 'Digest', address: 'digest@example.org' }, listId: 'Digest <digest.example.org>' };

const build = (name: string, unsubscribeUrl: string, greeting = `Hi ${name},`) => joined(builtFor(name, unsubscribeUrl, greeting));

function builtFor(name: string, unsubscribeUrl: string, greeting: string) {
  return personalize(compileMessage(rendered, sender), {
    mailbox: { name, address: 'reader@example.org' },
    values: { greeting, email: 'reader@example.org', unsubscribeUrl, preferencesUrl: 'https://digest.example.org/preferences/t' },
    messageId: '<m1@example.org>',
    date: new Date('2026-11-30T08:00:00Z'),
  });
}

describe('message personalisation', () => {
  it('fills every token, HTML-escaped in the HTML part, with body lines of at most 76 characters', async () => {
    const url = `https://digest.example.org/unsubscribe/${'x'.repeat(300)}`;
    const raw = build('Zoë "Z" & Co', url, 'Hi <Zoë & "co">,');
    const [head = '', body = ''] = raw.toString('latin1').split('\r\n\r\n', 2);
    // A header holding an unbreakable URL may exceed 78 but never RFC 5322's 998.
    expect(Math.max(...head.split('\r\n').map((l) => l.length))).toBeLessThanOrEqual(998);
    expect(Math.max(...body.split('\r\n').map((l) => l.length))).toBeLessThanOrEqual(76);
    expect(raw.toString('latin1')).not.toMatch(/zzpersonal/);
    const parsed = await simpleParser(raw);
    expect(parsed.text).toContain('Hi <Zoë & "co">,');
    expect(parsed.text).toContain(`Unsubscribe: ${url}`);
    expect(parsed.html).toContain('Hi &#60;Zoë &#38; &#34;co&#34;&#62;,');
    expect(parsed.html).toContain(`href="${url}"`);
    expect(parsed.subject).toBe(rendered.subject);
    expect(parsed.to).toMatchObject({ value: [{ name: 'Zoë "Z" & Co', address: 'reader@example.org' }] });
  });

  it('keeps body lines within 76 for personal values of every length, the soft break around each counted', () => {
    // A value (or the shared text before it) whose last line is 76 long gains the "=" of the soft
    // break after it: 77 before this was counted.
    for (let length = 60; length <= 160; length += 1) {
      const url = `https://digest.example.org/unsubscribe/${'x'.repeat(length - 39)}`;
      const raw = build('Ann', url, `${'G'.repeat(length)},`);
      const body = raw.toString('latin1').split('\r\n\r\n').slice(1).join('\r\n\r\n');
      expect(Math.max(...body.split('\r\n').map((l) => l.length)), `a value of ${length}`).toBeLessThanOrEqual(76);
    }
    const shared = { ...rendered, text: `${'s'.repeat(76)}${tokens.greeting}\n` };
    const raw = joined(personalize(compileMessage(shared, sender), {
      mailbox: { name: 'Ann', address: 'reader@example.org' },
      values: { greeting: 'Hi', email: 'reader@example.org', unsubscribeUrl: 'https://digest.example.org/u', preferencesUrl: 'https://digest.example.org/p' },
      messageId: '<m1@example.org>',
      date: new Date('2026-11-30T08:00:00Z'),
    }));
    const body = raw.toString('latin1').split('\r\n\r\n').slice(1).join('\r\n\r\n');
    expect(Math.max(...body.split('\r\n').map((l) => l.length))).toBeLessThanOrEqual(76);
  });

  it('is a built message, as the SMTP client sends it unstuffed: no line starts with a dot, no bare CR or LF', () => {
    // Dots at line starts in the shared text, in a personal value, and a value that is only a dot.
    const message = builtFor('.Dot', 'https://digest.example.org/unsubscribe/.x', '.\n.Hi,');
    expect(Buffer.isBuffer(message)).toBe(false);
    const raw = joined(message);
    expect(message.length).toBe(raw.length);
    expect(raw.toString('latin1').split('\r\n').filter((line) => line.startsWith('.'))).toEqual([]);
    expect(raw.toString('latin1').replace(/\r\n/g, '')).not.toMatch(/[\r\n]/);
    expect(raw.toString('latin1')).toContain('=2E');
  });

  it('two subscribers get their own values from one compiled template', async () => {
    const a = await simpleParser(build('Ann', 'https://digest.example.org/unsubscribe/aaa'));
    const b = await simpleParser(build('Bob', 'https://digest.example.org/unsubscribe/bbb'));
    expect(a.text).toContain('Hi Ann,');
    expect(a.text).not.toContain('bbb');
    expect(b.text).toContain('Hi Bob,');
    expect(b.text).toContain('/unsubscribe/bbb');
  });
});
