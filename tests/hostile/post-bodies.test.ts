import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { post } from '../support/workspace.js';
import { assertWellFormed, fm, hostile, hoursAgo, SUBSCRIBERS, type Hostile } from './harness.js';

/**
 * Post bodies built to hurt the Markdown reader (deep nesting, quadratic emphasis runs) and names
 * built to hurt the editor's terminal. The post is still read in bounded time and sent; what
 * `digest check` and `digest send` print never carries control sequences.
 */
let h: Hostile;
beforeEach(async () => {
  h = await hostile();
  await h.subscribe(...SUBSCRIBERS.map((email) => ({ email })));
});
afterEach(() => h.close());


const bombs: { name: string; body: string }[] = [
  { name: '100,000 nested > quotes (recursion)', body: `${'>'.repeat(100_000)} deep` },
  { name: '100,000 _a emphasis openers (quadratic)', body: '_a'.repeat(100_000) },
  { name: '50,000 mixed *a _ runs (quadratic)', body: '*a _'.repeat(50_000) },
  { name: '900-deep nested list', body: Array.from({ length: 900 }, (_, i) => `${' '.repeat(i * 2)}- item`).join('\n') },
  { name: '25,000 ** pairs around one word', body: `${'**'.repeat(25_000)}x${'**'.repeat(25_000)}` },
];

describe('Markdown bombs in a body: the post is read in bounded time and sent', () => {
  it.each(bombs)('$name', async ({ body }) => {
    h.ws.writePost('bomb.md', fm(['title: "Bomb"', `date: ${hoursAgo(1)}`, 'author: "A"'], body));
    const check = await h.cli('check');
    expect(check.output).toContain('Posts: 1 valid, 0 with errors');
    expect((await h.cli('send')).code).toBe(0);
    expect(h.smtp.received).toHaveLength(SUBSCRIBERS.length);
    for (const message of h.smtp.received) {
      assertWellFormed(message, expect);
      expect(message.parsed.subject).toBe('Weekly digest #1: Bomb');
      expect(message.raw.length).toBeLessThan(200_000);
    }
  });
});

describe('what the editor sees in the terminal', () => {
  it('terminal escapes in a file name and a title are shown as text, never sent to the terminal', async () => {
    const file = '\u001b[2J\u001b]0;pwned\u0007evil.md';
    h.ws.writePost(file, '---\ntitle: "x"\n');
    h.ws.writePost('good.md', post({ title: 'Good \u001b[31mred\u001b[0m sibling \u202Eevil', date: hoursAgo(1) }));
    for (const command of ['check', 'send']) {
      const run = await h.cli(command);
      expect(run.output).not.toMatch(/[\u001b\u0007\u202e]/);
      expect(run.output).toContain('\\u{1b}[2J');
    }
    expect(h.smtp.received).toHaveLength(SUBSCRIBERS.length);
  });
});
