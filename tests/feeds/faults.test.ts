import { brotliCompressSync, gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runSend } from '../../src/pipeline.js';
import { createOnePostWorkspace, createWorkspace, type Workspace } from '../support/workspace.js';
import { seedItems, startFeedServer, wordpressRss, type FeedServer } from './support.js';

/**
 * A feed that fails in any way costs a warning naming it, and nothing else: the Markdown posts
 * still make their edition and every subscriber gets it.
 */
let server: FeedServer;
let feedText: string;
const workspaces: Workspace[] = [];

function workspace(env: Record<string, string>, posts: boolean | 'one' = true): Workspace {
  // Long enough for a loaded machine; the tests of a server that never answers set a short one.
  const full = { FEEDS_TIMEOUT_SECONDS: '15', ...env };
  const ws = posts === 'one' ? createOnePostWorkspace(full) : createWorkspace(full, { posts });
  workspaces.push(ws);
  return ws;
}

async function send(ws: Workspace) {
  const app = await ws.app();
  try {
    await app.store.upsertSubscribers([{ email: 'ada@example.org', status: 'active' }], new Date(Date.now() - 60_000));
    return await runSend(app, { cadence: 'weekly' });
  } finally {
    await app.close();
  }
}

beforeAll(async () => {
  server = await startFeedServer();
  const seed = createWorkspace();
  workspaces.push(seed);
  // A different blog: its items must not collide with the Markdown posts they would duplicate.
  feedText = wordpressRss((await seedItems(seed)).items.slice(0, 3).map((item, i) => ({ ...item, guid: `other-${i}`, title: `Other blog: ${item.title}`, link: `https://other.example.org/${i}` })));
  server.route('/500', (_req, res) => void res.writeHead(500, { 'content-type': 'text/plain' }).end('boom'));
  server.route('/hang', () => {}); // never answers
  server.route('/slow-body', (_req, res) => {
    res.writeHead(200, { 'content-type': 'application/rss+xml' });
    res.write('<?xml version="1.0"?><rss version="2.0"><channel>'); // and never finishes
  });
  server.route('/loop', (_req, res) => void res.writeHead(302, { location: '/loop' }).end());
  server.route('/to-file', (_req, res) => void res.writeHead(301, { location: 'file:///etc/passwd' }).end());
  server.route('/huge', (_req, res) => {
    res.on('error', () => {});
    res.writeHead(200, { 'content-type': 'application/rss+xml' });
    const chunk = `<item><title>${'x'.repeat(1000)}</title></item>`.repeat(100);
    let sent = 0;
    const pump = () => {
      while (sent < 20 * 1024 * 1024) {
        sent += chunk.length;
        if (!res.write(chunk)) return void res.once('drain', pump);
      }
      res.end('</channel></rss>');
    };
    res.write('<?xml version="1.0"?><rss version="2.0"><channel><title>Huge</title>');
    pump();
  });
  const bomb = gzipSync(Buffer.alloc(40 * 1024 * 1024, 32));
  server.route('/gzip-bomb', (_req, res) => void res.writeHead(200, { 'content-type': 'application/rss+xml', 'content-encoding': 'gzip' }).end(bomb));
  server.route('/html', (_req, res) => void res.writeHead(200, { 'content-type': 'text/html' }).end('<!doctype html><html><body><h1>Welcome</h1></body></html>'));
  server.route('/binary', (_req, res) => void res.writeHead(200, { 'content-type': 'application/octet-stream' }).end(Buffer.from([0, 1, 2, 255, 254, 0, 7])));
  server.route('/bomb', (_req, res) => {
    const entities = Array.from({ length: 9 }, (_, i) => `<!ENTITY lol${i + 1} "${`&lol${i};`.repeat(10)}">`).join('\n');
    const body = `<?xml version="1.0"?>\n<!DOCTYPE rss [\n<!ENTITY lol0 "lol">\n${entities}\n]>\n<rss version="2.0"><channel><title>&lol9;</title><item><title>&lol9;</title><link>https://x.example/</link><description>&lol9;</description></item></channel></rss>`;
    res.writeHead(200, { 'content-type': 'application/rss+xml' }).end(body);
  });
  server.route('/gzip', (_req, res) => void res.writeHead(200, { 'content-type': 'application/rss+xml', 'content-encoding': 'gzip' }).end(gzipSync(feedText)));
  server.route('/br', (_req, res) => void res.writeHead(200, { 'content-type': 'application/rss+xml', 'content-encoding': 'br' }).end(brotliCompressSync(feedText)));
  for (let i = 0; i < 5; i += 1) server.route(`/hop${i}`, (_req, res) => void res.writeHead(i % 2 ? 301 : 307, { location: i === 4 ? '/gzip' : `/hop${i + 1}` }).end());
});
afterAll(async () => {
  await server.close();
  for (const ws of workspaces) ws.cleanup();
});

const FAULTS: [string, string, RegExp][] = [
  ['answering 500', '/500', /answered 500/],
  ['never answering', '/hang', /no complete answer within 0.5 s/],
  ['never finishing its body', '/slow-body', /no complete answer within 0.5 s/],
  ['redirecting in a loop', '/loop', /more than 5 redirects/],
  ['redirecting to a file: address', '/to-file', /not an http:\/\/ or https:\/\/ address/],
  ['sending 20 MB', '/huge', /larger than 5\.0 MB/],
  ['sending a gzip bomb (40 MB once inflated)', '/gzip-bomb', /larger than 5\.0 MB/],
  ['answering HTML, not a feed', '/html', /is not a feed/],
  ['answering binary data', '/binary', /is not a feed/],
  ['serving an XML entity-expansion bomb', '/bomb', /declares XML entities/],
];

describe('a broken feed costs a warning and nothing else', () => {
  for (const [name, path, problem] of FAULTS) {
    it(`a feed ${name}`, async () => {
      // One Markdown post is enough to show the edition still goes out; the timeout only matters
      // to the two servers that never finish, where waiting it out is the case under test.
      const ws = workspace({ FEEDS: server.url(path), ...(/within/.test(problem.source) ? { FEEDS_TIMEOUT_SECONDS: '0.5' } : {}) }, 'one');
      const report = await send(ws);
      expect(report.feeds).toHaveLength(1);
      expect(report.feeds[0]).toMatchObject({ result: 'error', items: 0 });
      expect(report.feeds[0]!.error).toMatch(problem);
      expect(report.edition?.posts.map((p) => p.title)).toEqual(['The one post']);
      expect(report.tally.sent).toBe(1);
      const status = await ws.cli('status');
      expect(status.output).toMatch(new RegExp(`Feed 127\\.0\\.0\\.1:\\d+ \\(${server.url(path).replace(/[.?/]/g, '\\$&')}\\): last fetch .*: error: `));
    });
  }

  it('the send report, digest check and digest feeds pull name the failing feed', async () => {
    const ws = workspace({ FEEDS: `${server.url('/500')} ${server.url('/gzip')}` });
    const sent = await ws.cli('send');
    expect(sent.code).toBe(0);
    expect(sent.output).toMatch(/^Warning: feed "127\.0\.0\.1:\d+" \(http:\/\/127\.0\.0\.1:\d+\/500\) the server answered 500 Internal Server Error; no items of it have ever been read$/m);
    expect(sent.output).toContain('Edition #1 (weekly): 10 posts'); // the 3 feed items are older than the limit's ten newest
    const check = await ws.cli('check');
    expect(check.code).toBe(0);
    expect(check.output).toMatch(/warning: feed .*\/500\) the server answered 500/);
    expect(check.output).toContain('Feeds: 1 of 2 read, 3 items kept');
    const pull = await ws.cli('feeds', 'pull');
    expect(pull.code).toBe(1);
    expect(pull.output).toMatch(/\/gzip: not modified|\/gzip: read, 3 item/);
    expect(pull.output).toContain('1 of 2 feeds could not be read');
    const checked = await ws.cli('feeds', 'check');
    expect(checked.code).toBe(1);
    expect(checked.output).toMatch(/^  2022-\d\d-\d\d Other blog: .* <https:\/\/other\.example\.org\/\d>$/m);
    expect(checked.output).toContain('Check only: nothing was recorded.');
  });
});

describe('fetching', () => {
  it('reads gzip and brotli bodies, follows up to five redirects, and names the project in its User-Agent', async () => {
    const ws = workspace({ FEEDS: [server.url('/br'), server.url('/hop0')].join(',') }, false);
    const report = await send(ws);
    expect(report.feeds.map((f) => [f.result, f.items])).toEqual([['ok', 3], ['ok', 3]]);
    expect(report.edition?.posts).toHaveLength(3); // both feeds are the same blog: one GUID, one item
    const request = server.requests.find((r) => r.path === '/br')!;
    expect(request.headers['user-agent']).toMatch(/^newsletter-digest\/[\d.]+ .*\+https:\/\/digest\.example\.org\//);
    expect(request.headers['accept-encoding']).toMatch(/gzip.*deflate.*br/);
  });
});
