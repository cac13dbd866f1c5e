import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { runSend, type SendReport } from '../../src/pipeline.js';
import { createWorkspace, post, type Workspace } from '../support/workspace.js';
import { serveDocument, startFeedServer, wordpressRss, type FeedItem, type FeedServer } from './support.js';

/**
 * An item is its GUID: edited, re-dated, moved or gone for a while, it is sent once per cadence.
 * A feed added later brings at most DIGEST_MAX_POSTS of its newest items, never its history.
 */
let server: FeedServer;
let ws: Workspace;
let items: FeedItem[];
let clock: Date;

const day = 86_400_000;
const item = (n: number, daysAgo: number, extra: Partial<FeedItem> = {}): FeedItem => ({
  guid: `https://blog.example.org/?p=${n}`,
  title: `Item number ${n}`,
  link: `https://blog.example.org/item-${n}/`,
  date: new Date(clock.getTime() - daysAgo * day),
  author: 'Feed Author',
  categories: ['International Governments'],
  html: `<p>Body of item ${n}.</p>`,
  ...extra,
});

async function send(): Promise<SendReport> {
  const app = await ws.app({ now: () => clock });
  try {
    return await runSend(app, { cadence: 'weekly' });
  } finally {
    await app.close();
  }
}
const titles = (report: SendReport) => report.edition?.posts.map((p) => p.title) ?? [];

beforeAll(async () => {
  server = await startFeedServer();
  serveDocument(server, '/feed/', () => wordpressRss(items));
});
afterAll(() => server.close());
beforeEach(async () => {
  clock = new Date('2026-03-02T08:00:00Z');
  items = [item(1, 3), item(2, 2)];
  ws = createWorkspace({ FEEDS: server.url('/feed/'), DIGEST_MAX_POSTS: '3' }, { posts: false });
  const app = await ws.app();
  await app.store.upsertSubscribers([{ email: 'ada@example.org', status: 'active' }], new Date(clock.getTime() - day));
  await app.close();
});
afterEach(() => ws.cleanup());

describe('identity of feed items', () => {
  it('an item edited, re-dated and moved in the feed is not sent again', async () => {
    expect(titles(await send())).toEqual(['Item number 2', 'Item number 1']);
    clock = new Date(clock.getTime() + 7 * day);
    items = [item(2, 0, { title: 'Item number 2 (corrected)', link: 'https://blog.example.org/moved/item-2/', html: '<p>Edited.</p>' }), item(1, 9)];
    const second = await send();
    expect(second.edition).toBeUndefined();
    expect(second.selection?.leftOut.map((l) => [l.post.title, l.reason.kind]).sort()).toEqual([
      ['Item number 1', 'sent'],
      ['Item number 2 (corrected)', 'sent'],
    ]);
    expect(second.feeds[0]).toMatchObject({ result: 'ok', items: 2 });
  });

  it('an item that drops out of the feed and comes back is not new', async () => {
    await send();
    clock = new Date(clock.getTime() + 7 * day);
    items = [item(3, 1)];
    expect(titles(await send())).toEqual(['Item number 3']);
    clock = new Date(clock.getTime() + 7 * day);
    items = [item(1, 17), item(3, 8), item(4, 1)];
    expect(titles(await send())).toEqual(['Item number 4']);
  });

  it('a second fetch of an unchanged feed is a conditional GET answered 304, and its items stay', async () => {
    await send();
    const before = server.requests.filter((r) => r.path === '/feed/').length;
    const pulled = await ws.cli('feeds', 'pull');
    expect(pulled.code).toBe(0);
    expect(pulled.output).toContain('not modified since the last fetch (304), 2 item(s) kept');
    const request = server.requests.filter((r) => r.path === '/feed/')[before]!;
    expect(request.headers['if-none-match']).toMatch(/^"\d+-[0-9a-f]+"$/);
    // A server that gives only Last-Modified gets If-Modified-Since back.
    server.route('/dated/', (req, res) => {
      const stamp = 'Mon, 02 Mar 2026 07:00:00 GMT';
      if (req.headers['if-modified-since'] === stamp) return void res.writeHead(304).end();
      res.writeHead(200, { 'content-type': 'application/rss+xml', 'last-modified': stamp }).end(wordpressRss(items));
    });
    ws.env.FEEDS = server.url('/dated/');
    expect((await ws.cli('feeds', 'pull')).output).toContain('read, 2 item(s) kept');
    expect((await ws.cli('feeds', 'pull')).output).toContain('not modified since the last fetch (304), 2 item(s) kept');
    ws.env.FEEDS = server.url('/feed/');
    const list = await ws.cli('feeds', 'list');
    expect(list.output).toMatch(/last fetch .*: ok \(not modified\); 2 item\(s\)/);
  });

  it('the first edition after a feed is added takes its newest DIGEST_MAX_POSTS; older items count as published', async () => {
    ws.writePost('2026-02-20-markdown.md', post({ title: 'A Markdown post', date: '2026-02-20' }));
    // The cadence already has editions (Markdown only) when the feed is added.
    delete ws.env.FEEDS;
    expect(titles(await send())).toEqual(['A Markdown post']);
    ws.env.FEEDS = server.url('/feed/');
    clock = new Date(clock.getTime() + 7 * day);
    items = [1, 2, 3, 4, 5, 6].map((n) => item(n, 20 - n));
    const first = await send();
    expect(titles(first)).toEqual(['Item number 6', 'Item number 5', 'Item number 4']);
    expect(first.selection?.leftOut.filter((l) => l.reason.kind === 'before-first-edition').map((l) => l.post.title)).toEqual(['Item number 3', 'Item number 2', 'Item number 1']);
    clock = new Date(clock.getTime() + 7 * day);
    items = [...items, item(7, 1)];
    expect(titles(await send())).toEqual(['Item number 7']);
  });

  it('slugs stay unique across both sources', async () => {
    ws.writePost('2026-02-27-item-number-2.md', post({ title: 'A post', date: '2026-02-27' }));
    const report = await send();
    // The feed item was seen while the post held "item-number-2": it got another slug, and both go out.
    expect(titles(report)).toEqual(['Item number 2', 'Item number 1', 'A post']);
    const slugs = report.edition!.posts.map((p) => p.slug);
    expect(new Set(slugs).size).toBe(3);
    expect(slugs).toContain('item-number-2-2');
    // A post written later with a slug a feed item already holds is held back, with a message.
    ws.writePost('2026-03-05-item-number-1.md', post({ title: 'Another post', date: '2026-03-05' }));
    clock = new Date(clock.getTime() + 7 * day);
    const later = await send();
    expect(later.edition).toBeUndefined();
    expect(later.problems.map((p) => p.message)).toContain('slug "item-number-1" is already used by the feed item "Item number 1" (feed: 127.0.0.1:' + new URL(server.base).port + '): give this post a different "slug:"');
  });
});
