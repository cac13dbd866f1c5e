import { describe, expect, it } from 'vitest';
import type { Post } from '../src/posts/post.js';
import { selectNew } from '../src/select.js';

const now = new Date('2026-11-30T08:00:00Z');
const make = (slug: string, iso: string, draft = false): Post => ({
  slug,
  title: slug,
  date: new Date(iso),
  author: 'A',
  categories: [],
  tags: [],
  excerpt: '',
  url: `https://blog.example.org/${slug}`,
  draft,
  file: `${slug}.md`,
});

describe('selectNew', () => {
  const posts = [make('a', '2026-11-01T00:00:00Z'), make('b', '2026-11-20T00:00:00Z'), make('c', '2026-11-29T00:00:00Z'), make('d', '2026-12-24T00:00:00Z'), make('e', '2026-11-25T00:00:00Z', true)];

  it('on the first edition takes the newest N and records the rest as already published', () => {
    const s = selectNew({ posts, ledger: new Map(), now, maxPosts: 2, isFirstEdition: true });
    expect(s.included.map((p) => p.slug)).toEqual(['c', 'b']);
    expect(s.baseline.map((p) => p.slug)).toEqual(['a']);
    expect(Object.fromEntries(s.leftOut.map((l) => [l.post.slug, l.reason.kind]))).toEqual({ a: 'before-first-edition', d: 'future', e: 'draft' });
  });

  it('later, takes every unsent published post whatever its date, and keeps overflow for next time', () => {
    const ledger = new Map([['c', 3]]);
    const s = selectNew({ posts, ledger, now, maxPosts: 1, isFirstEdition: false });
    expect(s.included.map((p) => p.slug)).toEqual(['b']);
    expect(s.baseline).toEqual([]);
    const reasons = Object.fromEntries(s.leftOut.map((l) => [l.post.slug, l.reason]));
    expect(reasons).toMatchObject({ a: { kind: 'over-limit' }, c: { kind: 'sent', edition: 3 }, d: { kind: 'future' } });
  });

  it('a post dated exactly now is published', () => {
    const s = selectNew({ posts: [make('x', now.toISOString())], ledger: new Map(), now, maxPosts: 5, isFirstEdition: false });
    expect(s.included).toHaveLength(1);
  });
});
