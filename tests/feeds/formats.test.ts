import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { previewMessage } from '../../src/edition/preview-message.js';
import type { Post } from '../../src/posts/post.js';
import { createWorkspace, type Workspace } from '../support/workspace.js';
import { atomFeed, jsonFeed, plainRss, rdfFeed, seedItems, serveDocument, startFeedServer, wordpressRss, type FeedItem, type FeedServer } from './support.js';

/**
 * The seed posts published as a feed, in each format, make the same digest as the Markdown files:
 * same titles, links, dates, authors, categories, excerpts and images, in the same order.
 */
let server: FeedServer;
let markdown: { posts: Post[]; items: FeedItem[]; text: string; html: string };
const workspaces: Workspace[] = [];

const FORMATS: Record<string, { path: string; make: (items: FeedItem[]) => string; type: string }> = {
  'WordPress RSS 2.0 (content:encoded)': { path: '/wp/feed/', make: (items) => wordpressRss(items), type: 'application/rss+xml; charset=UTF-8' },
  'plain RSS 2.0 (HTML in description)': { path: '/rss.xml', make: (items) => plainRss(items.map((i) => ({ ...i, html: `<p>${i.summary}</p>${i.html}` }))), type: 'application/rss+xml' },
  'Atom 1.0': { path: '/atom.xml', make: atomFeed, type: 'application/atom+xml' },
  'JSON Feed 1.1': { path: '/feed.json', make: jsonFeed, type: 'application/feed+json' },
  'RSS 1.0 (RDF)': { path: '/index.rdf', make: rdfFeed, type: 'application/rdf+xml' },
};

async function digestOf(ws: Workspace) {
  const app = await ws.app();
  try {
    const result = await previewMessage(app, { cadence: 'weekly' });
    return result;
  } finally {
    await app.close();
  }
}

/** Anchors carry the slug, which for a feed item comes from its title rather than a file name. */
const withoutAnchors = (html: string) => html.replace(/post-[a-z0-9-]+/g, 'post-…');

beforeAll(async () => {
  server = await startFeedServer();
  const ws = createWorkspace();
  workspaces.push(ws);
  const { posts, items } = await seedItems(ws);
  const result = await digestOf(ws);
  markdown = { posts, items, text: result.message!.text, html: result.message!.html };
  for (const format of Object.values(FORMATS)) serveDocument(server, format.path, () => format.make(items), format.type);
});
afterAll(async () => {
  await server.close();
  for (const ws of workspaces) ws.cleanup();
});

describe('feed items become the same digest as the Markdown posts', () => {
  for (const [name, format] of Object.entries(FORMATS)) {
    it(name, async () => {
      const ws = createWorkspace({ FEEDS: server.url(format.path) }, { posts: false });
      workspaces.push(ws);
      const result = await digestOf(ws);
      expect(result.feeds).toMatchObject([{ result: 'ok', items: 10 }]);
      const posts = result.message!.posts;
      const fields = (p: Post) => ({ title: p.title, url: p.url, date: p.date.toISOString(), author: p.author, categories: p.categories, excerpt: p.excerpt, image: p.image });
      const expected = [...markdown.posts].sort((a, b) => b.date.getTime() - a.date.getTime());
      expect(posts.map(fields)).toEqual(expected.map(fields));
      expect(posts.every((p) => p.source?.kind === 'feed' && p.file === `feed: 127.0.0.1:${new URL(server.base).port}`)).toBe(true);
      expect(result.message!.text).toBe(markdown.text);
      expect(withoutAnchors(result.message!.html)).toBe(withoutAnchors(markdown.html));
    });
  }

  it('a post both in posts/ and in the feed (same link) goes out once, as the Markdown file', async () => {
    const ws = createWorkspace({ FEEDS: server.url('/wp/feed/') });
    workspaces.push(ws);
    const result = await digestOf(ws);
    expect(result.feeds).toMatchObject([{ result: 'ok', items: 10 }]);
    expect(result.message!.posts.map((p) => p.file)).toEqual([...markdown.posts].sort((a, b) => b.date.getTime() - a.date.getTime()).map((p) => p.file));
  });
});
