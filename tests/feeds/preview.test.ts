import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildModel, parseQuery } from '../../src/preview/model.js';
import { previewPage } from '../../src/preview/page.js';
import { createWorkspace, type Workspace } from '../support/workspace.js';
import { serveDocument, startFeedServer, wordpressRss, type FeedServer } from './support.js';

/** The editor preview shows feed items with their source, left-out ones with their reasons, and a down feed in its preflight. */
let server: FeedServer;
let ws: Workspace;

beforeAll(async () => {
  server = await startFeedServer();
  const date = (days: number) => new Date(Date.now() + days * 86_400_000);
  serveDocument(server, '/feed/', () =>
    wordpressRss([
      { guid: 'a', title: 'A feed item', link: 'https://blog.example.org/a/', date: date(-1), author: 'A', categories: ['Trade'], html: '<p>a</p>' },
      { guid: 'b', title: 'A scheduled feed item', link: 'https://blog.example.org/b/', date: date(3), author: 'A', categories: ['Trade'], html: '<p>b</p>' },
    ]),
  );
  server.route('/down', (_req, res) => void res.writeHead(503).end());
  ws = createWorkspace({ FEEDS: `${server.url('/feed/')} ${server.url('/down')}`, DIGEST_MAX_POSTS: '3' });
});
afterAll(async () => {
  await server.close();
  ws.cleanup();
});

describe('preview with feeds', () => {
  it('lists feed items with their source and reasons, and names the feed that is down', async () => {
    const model = await buildModel(() => ws.config(), parseQuery(new URLSearchParams('cadence=weekly')));
    expect(model.error).toBeUndefined();
    const port = new URL(server.base).port;
    expect(model.result!.message!.posts.map((p) => [p.title, p.file])).toContainEqual(['A feed item', `feed: 127.0.0.1:${port}`]);
    expect(model.leftOut.find((i) => i.title === 'A scheduled feed item')).toMatchObject({ file: `feed: 127.0.0.1:${port}`, kind: 'future' });
    const finding = model.findings.find((f) => f.check === 'feeds');
    expect(finding?.message).toMatch(new RegExp(`^feed "127\\.0\\.0\\.1:${port}" \\(http://127\\.0\\.0\\.1:${port}/down\\) the server answered 503`));
    const page = previewPage({ token: 't', nonce: 'n' }, model);
    expect(page).toContain(`feed: 127.0.0.1:${port}`);
    expect(page).toContain('the server answered 503');
  });
});
