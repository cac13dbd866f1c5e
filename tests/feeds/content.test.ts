import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { previewMessage } from '../../src/edition/preview-message.js';
import { createWorkspace, type Workspace } from '../support/workspace.js';
import { serveDocument, startFeedServer, wordpressRss, type FeedItem, type FeedServer } from './support.js';

/**
 * Feed content is someone else's HTML: only plain text and absolute http(s) links reach the
 * email; relative links are resolved against the feed; images keep their alt text.
 */
let server: FeedServer;
let items: FeedItem[] = [];
let ws: Workspace;

const base: FeedItem = { guid: 'g1', title: 'Hostile', link: '/2026/03/hostile/', date: new Date('2026-02-01T00:00:00Z'), author: 'A', categories: ['International Governments'], html: '' };

async function preview(feedItems: FeedItem[]) {
  items = feedItems;
  ws = createWorkspace({ FEEDS: server.url('/blog/feed/') }, { posts: false });
  const app = await ws.app();
  try {
    return (await previewMessage(app, { cadence: 'weekly' })).message!;
  } finally {
    await app.close();
  }
}

beforeAll(async () => {
  server = await startFeedServer();
  serveDocument(server, '/blog/feed/', () => wordpressRss(items, { title: 'Hostile blog', link: `${server.base}/blog/` }));
});
afterAll(() => server.close());
afterEach(() => ws.cleanup());

describe('feed content', () => {
  it('a script or javascript: link in the content, title or link never reaches the email', async () => {
    const message = await preview([
      {
        ...base,
        title: 'Trade <script>alert("t")</script>figures <img src=x onerror=alert(2)>',
        author: '<b>Eve</b><script>alert(3)</script>',
        categories: ['<i>Trade</i>', 'Sanctions <script>alert(4)</script>'],
        html: '<p><script>alert("xss")</script>Figures <a href="javascript:alert(1)">rose</a> <a href="JaVaScRiPt&#58;alert(5)">again</a> <iframe src="https://evil.example/"></iframe><svg onload="alert(6)"></svg>.</p>',
      },
      { ...base, guid: 'g2', title: 'Bad link', link: 'javascript:alert(7)', html: '<p>x</p>' },
    ]);
    for (const part of [message.html, message.text, message.eml.toString('utf8')]) {
      expect(part).not.toMatch(/<script|javascript:|onerror|onload|alert\(/i);
      expect(part).not.toContain('evil.example');
    }
    expect(message.posts.map((p) => p.title)).toEqual(['Trade figures']);
    expect(message.posts[0]).toMatchObject({ author: 'Eve', categories: ['Trade', 'Sanctions'], excerpt: 'Figures rose again .' });
  });

  it('relative links are resolved against the feed, and an image keeps its alt text', async () => {
    const message = await preview([
      { ...base, html: '<p>Text with <a href="../about/">a link</a>.</p><p><img src="images/harbour.jpg" alt="A harbour at dawn"></p>' },
      { ...base, guid: 'g2', link: 'https://blog.example.org/two/', title: 'Two', date: new Date('2026-01-01T00:00:00Z'), html: '<p>Two.</p>', image: { url: '/media/two.png', alt: 'A chart of exports' } },
    ]);
    const [first, second] = message.posts;
    expect(first).toMatchObject({ url: `${server.base}/2026/03/hostile/`, excerpt: 'Text with a link.', image: { src: `${server.base}/blog/images/harbour.jpg`, alt: 'A harbour at dawn' } });
    expect(second).toMatchObject({ url: 'https://blog.example.org/two/', image: { src: `${server.base}/media/two.png`, alt: 'A chart of exports' } });
    expect(message.html).toContain(`src="${server.base}/blog/images/harbour.jpg"`);
    expect(message.html).toContain('alt="A harbour at dawn"');
  });
});
