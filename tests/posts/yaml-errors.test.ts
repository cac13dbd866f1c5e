import { describe, expect, it } from 'vitest';
import { parsePost } from '../../src/posts/parse-post.js';
import { createWorkspace } from '../support/workspace.js';

/**
 * A post with mistakes: every problem of the file is listed, each at the line to fix, in words an
 * editor uses rather than the YAML parser's ("unexpected end of the stream within a flow collection").
 */
const context = { file: 'post.md', timezone: 'UTC', siteUrl: 'https://blog.example.org/' };
const file = (...lines: string[]) => `---\n${lines.join('\n')}\n---\n\nBody.\n`;
const messages = (source: string) => parsePost(source, context).problems.map((p) => `${p.line}: ${p.message}`);

describe('YAML mistakes, explained at their line', () => {
  it.each([
    ['an unclosed list as the last field', file('title: "T"', 'author: "A"', 'date: 2024-01-01', 'categories: [Trade, Diplomacy'), '5: front matter: the list opened with "[" is never closed'],
    ['an unclosed list before other fields', file('title: "T"', 'categories: [Trade', 'author: "A"'), '3: front matter: the list opened with "[" is never closed'],
    ['an unclosed double quote', file('title: "Half written', 'date: 2024-01-01', 'author: "A"'), '2: front matter: the text in double quotes is never closed'],
    ['an apostrophe in single quotes', file("title: 'It's here'", 'date: 2024-01-01', 'author: "A"'), "2: front matter: the text in single quotes is never closed, or has an apostrophe inside: double it ('it''s')"],
    ['a colon in an unquoted title', file('title: Trade: what next', 'date: 2024-01-01', 'author: "A"'), '2: front matter: the value contains ": ", which YAML reads as another field: put the whole value in quotes, e.g. title: "Trade: what next"'],
    ['an indented field', file('title: "T"', '  author: "A"', 'date: 2024-01-01'), '3: front matter: this line is indented'],
  ])('%s', (_name, source, expected) => {
    const [first] = messages(source);
    expect(first?.startsWith(expected), `${first} should start with ${expected}`).toBe(true);
    expect(first).not.toMatch(/flow collection|deficient indentation|end of the stream/);
  });
});

describe('every problem of a file is listed', () => {
  it('a missing author does not hide an impossible date', () => {
    expect(messages(file('title: "T"', 'date: 2026-02-30'))).toEqual([
      '1: author: is required, e.g. author: "Jane Doe"',
      '3: date: "2026-02-30" is not a real date; write 2023-05-24 or 2023-05-24T09:30:00+02:00',
    ]);
  });
});

describe('digest check', () => {
  it('lists every problem of every file, in file and line order, and counts problems', async () => {
    const ws = createWorkspace();
    try {
      ws.writePost('b-two.md', file('title: "T"', 'date: 2026-02-30'));
      ws.writePost('a-one.md', file('title: "T"', 'date: 2024-01-01', 'categories: [Trade'));
      const { code, output } = await ws.cli('check');
      expect(code).toBe(1);
      const errors = output.split('\n').filter((line) => line.startsWith('error: '));
      expect(errors).toEqual([
        expect.stringMatching(/^error: posts\/a-one\.md:4: front matter: the list opened with "\[" is never closed/),
        'error: posts/b-two.md:1: author: is required, e.g. author: "Jane Doe"',
        'error: posts/b-two.md:3: date: "2026-02-30" is not a real date; write 2023-05-24 or 2023-05-24T09:30:00+02:00',
      ]);
      expect(output).toContain('Posts: 10 valid, 2 with errors (3 problems)');
      expect(output).toContain('3 problems found');
    } finally {
      ws.cleanup();
    }
  });
});
