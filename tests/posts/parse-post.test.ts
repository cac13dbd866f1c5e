import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { collectPosts } from '../../src/posts/collect.js';
import { parsePost } from '../../src/posts/parse-post.js';
import { FIXTURE_POSTS } from '../support/workspace.js';

const context = { file: 'x.md', timezone: 'Europe/Berlin', siteUrl: 'https://blog.example.org/' };
const parse = (text: string, file = 'x.md') => parsePost(text, { ...context, file });

describe('the seed posts', () => {
  it('all ten parse, with author, dates, the blog category and a topical one', async () => {
    const { posts, problems } = await collectPosts(FIXTURE_POSTS, context);
    expect(problems.filter((p) => p.severity === 'error')).toEqual([]);
    expect(posts).toHaveLength(10);
    for (const post of posts) {
      expect(post.author).toBe('Benjamin Katzeff Silberstein');
      expect(post.categories[0]).toBe('International Governments');
      expect(post.categories.length).toBeGreaterThan(1);
      expect(post.url).toBe(`https://blog.example.org/${post.slug}`);
    }
    expect(posts.map((p) => p.date.toISOString().slice(0, 10)).sort()[0]).toBe('2022-09-21'); // midnight Berlin = 22:00 UTC the day before
  });

  it('keeps every quoted passage as a blockquote and every source line', () => {
    const dir = FIXTURE_POSTS;
    const bodies = readdirSync(dir).map((f) => readFileSync(join(dir, f), 'utf8'));
    expect(bodies.filter((b) => /^> /m.test(b))).toHaveLength(8);
    expect(bodies.join('\n').match(/^\*\(Source: /gm)).toHaveLength(6);
  });
});

describe('front matter', () => {
  const valid = '---\ntitle: "Hello"\ndate: 2024-02-29\nauthor: "A. Writer"\n---\n\nFirst paragraph with **bold** text.\n\nSecond.\n';

  it('derives slug from the file name, excerpt from the first paragraph, url from SITE_URL', () => {
    const { post } = parse(valid, '2024-02-29-Leap-Day.md');
    expect(post).toMatchObject({ slug: 'leap-day', excerpt: 'First paragraph with bold text.', url: 'https://blog.example.org/leap-day', draft: false });
    expect(post?.date.toISOString()).toBe('2024-02-28T23:00:00.000Z');
  });

  it('accepts a date-time with offset, a BOM and CRLF line ends', () => {
    const text = `\uFEFF${valid.replace('2024-02-29', '2024-03-01T09:30:00+02:00')}`.replace(/\n/g, '\r\n');
    expect(parse(text).post?.date.toISOString()).toBe('2024-03-01T07:30:00.000Z');
  });

  it.each([
    ['an impossible date', valid.replace('2024-02-29', '2024-13-40'), 3, 'not a real date'],
    ['February 30th', valid.replace('2024-02-29', '2023-02-30'), 3, 'not a real date'],
    ['a missing title', valid.replace('title: "Hello"\n', ''), 1, 'title'],
    ['a date-time without offset', valid.replace('2024-02-29', '2024-02-29T10:00:00'), 3, 'not a real date'],
    ['JavaScript front matter', valid.replace(/^---\n/, '---js\n'), 1, 'must be YAML'],
    ['unclosed front matter', '---\ntitle: "x"\n', 1, 'never closed'],
    ['a list instead of fields', '---\n- a\n- b\n---\n', 2, 'field: value'],
    ['a javascript: url', valid.replace('author', 'url: "javascript:alert(1)"\nauthor'), 4, 'http'],
  ])('reports %s with its line', (_name, text, line, message) => {
    const result = parse(text);
    expect(result.post).toBeUndefined();
    expect(result.problems[0]).toMatchObject({ file: 'x.md', line, severity: 'error' });
    expect(result.problems[0]?.message).toContain(message);
  });

  it('warns about an unknown field but keeps the post', () => {
    const result = parse(valid.replace('author', 'categries: ["Trade"]\nauthor'));
    expect(result.post).toBeDefined();
    expect(result.problems).toEqual([expect.objectContaining({ line: 4, severity: 'warning', message: expect.stringContaining('categries') })]);
  });

  it('keeps code out of a derived excerpt: script and style contents are not text', () => {
    const { post } = parse(valid.replace('First paragraph with **bold** text.', 'Fresh <script>alert(1)</script> body <style>p { color: red }</style>text.'));
    expect(post?.excerpt).toBe('Fresh body text.');
  });

  it('strips markup and line breaks from titles', () => {
    const { post } = parse(valid.replace('"Hello"', '"<b>Bold</b> move\\r\\nBcc: x@example.org"'));
    expect(post?.title).toBe('Bold move Bcc: x@example.org');
  });
});
