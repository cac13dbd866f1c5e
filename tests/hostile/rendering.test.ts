import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { headerValue } from '../support/smtp.js';
import { assertWellFormed, hostile, hoursAgo, PASSWD_MARK, readAll, SUBSCRIBERS, type Hostile } from './harness.js';

/**
 * Markup and template syntax smuggled into a post's title, author, topics, summary, links and body.
 * The post is valid, so it is sent: what reaches the reader (subject, text part, HTML part) must
 * show it as text or drop it, never run it, and never pull a file from disk into the message.
 */
let h: Hostile;
beforeEach(async () => {
  h = await hostile();
  await h.subscribe(...SUBSCRIBERS.map((email) => ({ email })));
});
afterEach(() => h.close());

interface Rendered {
  name: string;
  fields?: Record<string, string | string[]>;
  body?: string;
  /** Never in the HTML part (checked case-insensitively on the decoded HTML). */
  notInHtml: string[];
  /** Never in the subject or text part either. */
  notInText?: string[];
  /** Shown to the reader somewhere in the text part. */
  textShows?: string;
  subjectShows?: string;
}

const XSS = ['<script', '<iframe', 'onerror=', 'javascript:', '<mj-', 'srcdoc'];

const cases: Rendered[] = [
  { name: '<script> in a title', fields: { title: 'Hello <script>alert(1)</script> world' }, notInHtml: XSS, notInText: ['<script', 'alert(1)'], subjectShows: 'Hello world' },
  { name: 'onerror= in a title', fields: { title: 'Pic <img src=x onerror=alert(1)> here' }, notInHtml: XSS, notInText: ['<img', 'onerror'] },
  { name: '<iframe> in a title', fields: { title: 'Frame <iframe src="https://evil.example/"></iframe>' }, notInHtml: [...XSS, 'evil.example'], notInText: ['<iframe'] },
  { name: 'entity-encoded <script> in a title', fields: { title: '&lt;script&gt;alert(1)&lt;/script&gt; Encoded' }, notInHtml: XSS, notInText: ['<script'] },
  { name: 'nested <scr<script>ipt> in a title', fields: { title: '<scr<script>ipt>alert(1)</script> Nested' }, notInHtml: XSS, notInText: ['<script'] },
  { name: 'unclosed <script in a title', fields: { title: 'Broken <script src=//evil.example/x.js' }, notInHtml: ['<script'] },
  { name: '<script> in author and topics', fields: { author: '<script>alert(1)</script>Mallory', categories: ['<iframe src=x></iframe>Trade', '<b onmouseover=alert(1)>Bold</b>'] }, notInHtml: [...XSS, 'onmouseover'], notInText: ['<script', '<iframe'] },
  { name: '<iframe> and javascript: link in the body', body: 'See <iframe src="javascript:alert(1)"></iframe> and [click me](javascript:alert(1)) now.', notInHtml: XSS, textShows: 'click me' },
  { name: 'raw HTML event handler in the body', body: '<p onclick="alert(1)">Click</p> <a href="JaVaScRiPt:alert(1)">x</a>', notInHtml: [...XSS, 'onclick'] },
  { name: 'summary with an SVG onload', fields: { summary: 'Sum <svg onload=alert(1)> mary' }, notInHtml: [...XSS, '<svg', 'onload'], textShows: 'Sum mary' },
  { name: 'url that breaks out of its attribute', fields: { url: 'https://example.org/a"><script>alert(1)</script>' }, notInHtml: ['"><script', '<script'] },
  { name: 'image src and alt that break out of their attributes', fields: { image: 'https://example.org/a.png" onerror="alert(1)', imageAlt: 'alt" onload="alert(2)' }, notInHtml: ['" onerror=', '" onload=', 'onerror="alert', 'onload="alert'] },
  { name: '<mj-include> of /etc/passwd in a title and body', fields: { title: 'Inc <mj-include path="/etc/passwd" /> end' }, body: '<mj-include path="/etc/passwd" />\n\nAfter <mj-include path="../../../../etc/passwd"/> text.', notInHtml: [PASSWD_MARK, '<mj-include'], notInText: [PASSWD_MARK] },
  { name: 'unclosed <mj-include in a summary', fields: { summary: 'Sum <mj-include path="/etc/passwd"' }, notInHtml: [PASSWD_MARK, '<mj-include'], notInText: [PASSWD_MARK] },
  { name: '<mj-raw> in a title and body', fields: { title: 'Raw <mj-raw><script>alert(1)</script></mj-raw>' }, body: '<mj-raw><iframe src=x></iframe></mj-raw> Body.', notInHtml: XSS },
  { name: 'Handlebars {{constructor}} in a title is shown literally', fields: { title: 'Curly {{constructor}} and {{{lookup this "constructor"}}}' }, notInHtml: ['function Object', '[native code]'], notInText: ['function Object', '[native code]'], subjectShows: 'Curly {{constructor}} and {{{lookup this "constructor"}}}' },
  { name: 'Handlebars block helpers and partials in a body', body: '{{#each this}}{{@key}}{{/each}} {{> footer}} {{links.unsubscribe}}', notInHtml: ['function Object'], textShows: '{{#each this}}{{@key}}{{/each}} {{> footer}} {{links.unsubscribe}}' },
  { name: 'a personal token in a title never reveals another reader', fields: { title: 'Token zzpersonalemailzz here' }, notInHtml: [] },
  { name: 'an RFC 2047 encoded word in a title stays literal', fields: { title: 'Word =?utf-8?Q?=0D=0ABcc:_x@evil.example?= end' }, notInHtml: [], subjectShows: 'Word =?utf-8?Q?=0D=0ABcc:_x@evil.example?= end' },
];

function postFile(fields: Record<string, string | string[]> = {}, body = 'A plain first paragraph.'): string {
  const all: Record<string, string | string[]> = { title: 'Plain title', date: hoursAgo(1), author: 'A. Author', ...fields };
  const lines = Object.entries(all).map(([key, value]) => `${key}: ${JSON.stringify(value)}`);
  return `---\n${lines.join('\n')}\n---\n\n${body}\n`;
}

describe('markup and template syntax in posts reach readers as text or not at all', () => {
  it.each(cases)('$name', async ({ fields, body, notInHtml, notInText = [], textShows, subjectShows }) => {
    h.ws.writePost('hostile.md', postFile(fields, body));
    const send = await h.cli('send');
    expect(send.code).toBe(0);
    expect(h.smtp.received).toHaveLength(SUBSCRIBERS.length);
    for (const address of SUBSCRIBERS) {
      const messages = h.smtp.to(address);
      expect(messages).toHaveLength(1);
      const message = messages[0]!;
      assertWellFormed(message, expect);
      const html = String(message.parsed.html || '').toLowerCase();
      const subject = message.parsed.subject ?? '';
      const text = message.parsed.text ?? '';
      expect(html).toContain('</html>');
      for (const bad of notInHtml) expect(html).not.toContain(bad.toLowerCase());
      for (const bad of notInText) {
        expect(subject).not.toContain(bad);
        expect(text).not.toContain(bad);
      }
      if (textShows) expect(text).toContain(textShows);
      if (subjectShows) expect(subject).toBe(`Weekly digest #1: ${subjectShows}`);
      const others = SUBSCRIBERS.filter((a) => a !== address);
      for (const other of others) expect(message.raw.toString('utf8')).not.toMatch(wholeAddress(other));
    }
  });
});

/**
 * An address standing alone, not the end of a longer word: a Message-ID's random hex can end in
 * "…81ada" before "@example.org", and that is not Ada's address.
 */
function wholeAddress(address: string): RegExp {
  return new RegExp(`(?<![\\w.%+-])${address.replace(/[.+]/g, '\\$&')}`);
}

describe('a post cannot borrow a reader’s personal values', () => {
  it('personal placeholders in a post’s link, title and body stay inert: no address or token reaches another site', async () => {
    const link = 'https://evil.example/track?e=zzpersonalemailzz&u=zzpersonalunsubscribeurlzz&p=zzpersonalpreferencesurlzz';
    h.ws.writePost('hostile.md', postFile({ title: 'Hi zzpersonalgreetingzz zzpersonalemailzz', url: link, summary: 'Your link: zzpersonalunsubscribeurlzz', image: 'https://evil.example/pixel.png?e=zzpersonalemailzz', imageAlt: 'zzpersonalemailzz' }));
    expect((await h.cli('send')).code).toBe(0);
    for (const address of SUBSCRIBERS) {
      const message = h.smtp.to(address)[0]!;
      const text = message.parsed.text ?? '';
      const html = String(message.parsed.html || '');
      const evil = [...`${text}\n${html}`.matchAll(/https:\/\/evil\.example\/[^\s"<>]*/g)].map((m) => m[0]);
      expect(evil.length).toBeGreaterThan(0);
      for (const href of evil) {
        expect(href).not.toContain(address.split('@')[0]);
        expect(href).not.toContain('unsubscribe/');
        expect(href).not.toContain('preferences/');
      }
      const unsubscribe = /^<(.+)>$/.exec(headerValue(message.parsed, 'List-Unsubscribe') ?? '')?.[1];
      expect(unsubscribe).toBeTruthy();
      // The reader's own link appears where the templates put it (the footer), not in post text.
      expect(text.split(unsubscribe!).length - 1).toBe(1);
    }
  });

  it('a subscriber named like a placeholder is greeted by that text, not by anyone’s link', async () => {
    await h.subscribe({ email: 'mallory@example.org', name: 'zzpersonalunsubscribeurlzz zzpersonalemailzz' });
    h.ws.writePost('hostile.md', postFile({ title: 'Names' }));
    expect((await h.cli('send')).code).toBe(0);
    const text = h.smtp.to('mallory@example.org')[0]!.parsed.text ?? '';
    expect(text).toContain('Hi zzpersonalunsubscribeurlzz,'); // by first name
    expect(text.match(/\/unsubscribe\//g)).toHaveLength(1);
  });

  it('topics named like Object.prototype keys are ordinary topics', async () => {
    await h.subscribe({ email: 'proto@example.org', categories: ['__proto__'] }, { email: 'ctor@example.org', categories: ['constructor'] });
    h.ws.writePost('hostile.md', postFile({ title: 'Prototype topics', categories: ['__proto__', 'constructor', 'toString', 'hasOwnProperty'] }));
    expect((await h.cli('send')).code).toBe(0);
    expect(h.smtp.received.map((r) => r.to[0]).sort()).toEqual(['ada@example.org', 'bob@example.org', 'ctor@example.org', 'proto@example.org']);
    expect(h.smtp.to('proto@example.org')[0]!.parsed.text).toContain('\n__PROTO__\n'); // the topic heading
    expect(({} as Record<string, unknown>).toString).toBe(Object.prototype.toString);
  });
});

describe('digest render writes the same safe output to disk', () => {
  it('<mj-include>, <script> and placeholders in a post: none of it in digest.html, .txt or .eml', async () => {
    h.ws.writePost('hostile.md', postFile({ title: 'Render <script>alert(1)</script>', url: 'https://evil.example/?e=zzpersonalemailzz' }, '<mj-include path="/etc/passwd" />\n\nText <iframe src=x></iframe>.'));
    const out = join(h.ws.dir, 'out');
    const run = await h.cli('render', '--out', out, '--subscriber', 'ada@example.org');
    expect(run.code).toBe(0);
    const written = readAll(out);
    // The title keeps its words; the script goes with its contents.
    expect(written).toContain('Weekly digest #1: Render');
    expect(written).not.toMatch(/<script|alert\(1\)|<iframe|<mj-include|root:x:0:0|evil\.example\/\?e=ada/);
  });
});
