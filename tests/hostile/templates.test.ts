import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { post, REPO } from '../support/workspace.js';
import { everything, hostile, hoursAgo, PASSWD_MARK, SUBSCRIBERS, type Hostile } from './harness.js';

/**
 * Broken and hostile templates. A mistake is a `digest check` error naming templates/<file>:<line>,
 * and `digest send` refuses before anything is recorded or sent, so fixing the template and sending
 * again reaches everyone once. Prototype access from a template stays denied.
 */
let h: Hostile;
beforeEach(async () => {
  h = await hostile();
  await h.subscribe(...SUBSCRIBERS.map((email) => ({ email })));
  h.ws.writePost('p.md', post({ title: 'Template victim', date: hoursAgo(1) }));
});
afterEach(() => {
  delete (globalThis as Record<string, unknown>).__hbsPwned;
  return h.close();
});

function edit(file: string, change: (source: string) => string): () => void {
  const path = join(h.ws.dir, 'templates', file);
  const original = readFileSync(path, 'utf8');
  writeFileSync(path, change(original));
  return () => writeFileSync(path, original);
}

/** The line of the shipped template where `text` first appears (errors must name that line). */
function lineOf(file: string, text: string): number {
  return readFileSync(join(REPO, 'templates', file), 'utf8').split('\n').findIndex((l) => l.includes(text)) + 1;
}
const INTRO = `digest.mjml.hbs:${lineOf('digest.mjml.hbs', '{{edition.intro}}')}`;

/** Replaces `{{edition.intro}}` in the layout. */
const atLine28 = (snippet: string) => (s: string) => s.replace('{{edition.intro}}', snippet);

const RCE = [
  '{{#with "s" as |string|}}{{#with "e"}}{{#with split as |conslist|}}{{this.pop}}',
  '{{this.push (lookup string.sub "constructor")}}{{this.pop}}{{#with string.split as |codelist|}}{{this.pop}}',
  '{{this.push "return globalThis.__hbsPwned = 1;"}}{{this.pop}}{{#each conslist}}{{#with (string.sub.apply 0 codelist)}}{{this}}{{/with}}{{/each}}',
  '{{/with}}{{/with}}{{/with}}{{/with}}',
].join('');

const broken: { name: string; file: string; change: (s: string) => string; where: string; error: string }[] = [
  { name: 'a missing variable', file: 'digest.mjml.hbs', change: atLine28('{{edition.nosuch}}'), where: INTRO, error: '"nosuch" not defined' },
  { name: 'an unknown helper', file: 'digest.mjml.hbs', change: atLine28('{{shout edition.intro}}'), where: INTRO, error: 'shout' },
  { name: 'a missing partial', file: 'digest.mjml.hbs', change: atLine28('{{> nosuch}}'), where: 'digest.mjml.hbs:', error: 'nosuch' },
  { name: 'an unclosed block', file: 'digest.mjml.hbs', change: atLine28('{{#each posts}}'), where: 'digest.mjml.hbs:', error: 'Parse error' },
  { name: 'a missing variable in a partial', file: 'partials/post-card.mjml.hbs', change: (s) => s.replace('{{dateLabel}}', '{{dateLable}}'), where: `partials/post-card.mjml.hbs:${lineOf('partials/post-card.mjml.hbs', '{{dateLabel}}')}`, error: '"dateLable" not defined' },
  { name: 'a missing variable in the text part', file: 'digest.txt.hbs', change: (s) => s.replace('{{edition.intro}}', '{{edition.outro}}'), where: `digest.txt.hbs:${lineOf('digest.txt.hbs', '{{edition.intro}}')}`, error: '"outro" not defined' },
  { name: 'constructor access', file: 'digest.mjml.hbs', change: atLine28('{{edition.constructor.name}}'), where: INTRO, error: '"name" not defined' },
  { name: '__proto__ access', file: 'digest.mjml.hbs', change: atLine28('{{posts.__proto__.length}}'), where: INTRO, error: '"length" not defined' },
  { name: 'the prototype-pollution RCE payload', file: 'digest.mjml.hbs', change: atLine28(RCE), where: INTRO, error: 'unknown helper push' },
];

describe('broken templates stop the send before anything happens', () => {
  it.each(broken)('$name', async ({ file, change, where, error }) => {
    const restore = edit(file, change);
    const check = await h.cli('check');
    expect(check.code).toBe(1);
    const line = check.output.split('\n').find((l) => l.startsWith('error: templates/'));
    expect(line).toContain(`templates/${where}`);
    expect(line).toContain(error);
    expect(line).not.toMatch(/in undefined|\[object Object\]/);
    const send = await h.cli('send');
    expect(send.code).toBe(1);
    expect(send.output).toContain(`templates/${where}`);
    expect(h.smtp.received).toHaveLength(0);
    expect((globalThis as Record<string, unknown>).__hbsPwned).toBeUndefined();
    restore();
    expect((await h.cli('send')).code).toBe(0);
    expect(h.smtp.received.map((r) => r.to[0]).sort()).toEqual(SUBSCRIBERS);
    expect(h.smtp.received.every((r) => r.parsed.subject === 'Weekly digest #1: Template victim')).toBe(true);
  });

  it('a missing layout file is named', async () => {
    rmSync(join(h.ws.dir, 'templates', 'digest.txt.hbs'));
    const check = await h.cli('check');
    expect(check.code).toBe(1);
    expect(check.output).toContain('digest.txt.hbs is missing');
    expect((await h.cli('send')).code).toBe(1);
    expect(h.smtp.received).toHaveLength(0);
  });
});

describe('hostile but valid templates', () => {
  it('<mj-include path="/etc/passwd"> in a template is ignored', async () => {
    edit('digest.mjml.hbs', atLine28('{{edition.intro}}</mj-text></mj-column></mj-section><mj-include path="/etc/passwd" /><mj-include path="../../../../../../etc/passwd" type="html" /><mj-section><mj-column><mj-text>'));
    await h.cli('send');
    expect(h.smtp.received).toHaveLength(2);
    for (const message of h.smtp.received) expect(everything(message)).not.toContain(PASSWD_MARK);
  });

  it('triple braces do not let post markup through: titles are plain text before templates see them', async () => {
    edit('partials/post-card.mjml.hbs', (s) => s.replace('<a href="{{url}}">{{title}}</a>', '<a href="{{url}}">{{{title}}}</a>'));
    h.ws.writePost('p.md', post({ title: 'Triple <script>alert(1)</script><img src=x onerror=alert(2)>', date: hoursAgo(1) }));
    await h.cli('send');
    const html = String(h.smtp.received[0]!.parsed.html);
    expect(html).not.toContain('<script');
    expect(html).not.toContain('onerror');
  });
});
