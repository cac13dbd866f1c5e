import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { previewMessage } from '../../src/edition/preview-message.js';
import { isDigestError } from '../../src/errors.js';
import { createWorkspace, type Workspace } from '../support/workspace.js';
import { serveDocument, startFeedServer, wordpressRss, type FeedItem, type FeedServer } from './support.js';

/** FEEDS and feeds.yaml: validated with every other variable, each problem naming its place. */
let ws: Workspace;
let server: FeedServer;
afterEach(() => ws.cleanup());

function problemsOf(action: () => unknown): string[] {
  try {
    action();
  } catch (error) {
    if (isDigestError(error)) return error.problems;
    throw error;
  }
  return [];
}

const item = (n: number, categories: string[]): FeedItem => ({
  guid: `g${n}`, title: `Item ${n}`, link: `https://blog.example.org/${n}/`, date: new Date(Date.UTC(2026, 0, n)), author: 'A', categories, html: `<p>${n}</p>`,
});

beforeAll(async () => {
  server = await startFeedServer();
  serveDocument(server, '/all/', () => wordpressRss([item(1, ['International Governments']), item(2, ['Sports']), item(3, ['sanctions', 'Other'])]));
});
afterAll(() => server.close());

describe('feed configuration', () => {
  it('FEEDS takes URLs separated by spaces or commas and names every bad one', () => {
    ws = createWorkspace({ FEEDS: 'https://a.example/feed/, https://b.example/atom.xml\n\thttps://a.example/feed/' });
    expect(ws.config().feeds.map((f) => [f.url, f.name])).toEqual([
      ['https://a.example/feed/', 'a.example'],
      ['https://b.example/atom.xml', 'b.example'],
    ]);
    ws.env.FEEDS = 'https://ok.example/ ftp://x.example/feed javascript:alert(1)';
    expect(problemsOf(() => ws.config())).toEqual([
      'FEEDS has "ftp://x.example/feed", which is not an http:// or https:// address: separate feed URLs with spaces or commas',
      'FEEDS has "javascript:alert(1)", which is not an http:// or https:// address: separate feed URLs with spaces or commas',
    ]);
  });

  it('feeds.yaml beside the posts folder gives names and category filters; its problems carry file:line', () => {
    ws = createWorkspace({ FEEDS: 'https://b.example/feed/' });
    writeFileSync(join(ws.dir, 'feeds.yaml'), 'feeds:\n  - url: https://a.example/feed/\n    name: "Blog A"\n    categories: ["Trade", "Sanctions"]\n');
    expect(ws.config().feeds).toEqual([
      { url: 'https://a.example/feed/', name: 'Blog A', categories: ['Trade', 'Sanctions'] },
      { url: 'https://b.example/feed/', name: 'b.example', categories: [] },
    ]);
    writeFileSync(join(ws.dir, 'feeds.yaml'), 'feeds:\n  - url: https://a.example/feed/\n    name: "Blog A"\n  - name: "No address"\n    categories: Trade\n  - url: file:///etc/passwd\n    colour: red\n');
    expect(problemsOf(() => ws.config())).toEqual([
      'feeds.yaml:4: feeds[2].url must be the feed address, e.g. url: https://blog.example.org/feed/',
      'feeds.yaml:5: feeds[2].categories must be a list, e.g. categories: ["Trade"]',
      'feeds.yaml:6: feeds[3].url must be an absolute http:// or https:// address, e.g. https://blog.example.org/feed/',
      'feeds.yaml:7: feeds[3] has unknown field(s) colour (known: url, name, categories)',
    ]);
    writeFileSync(join(ws.dir, 'feeds.yaml'), 'feeds:\n  - url: [unclosed\n');
    expect(problemsOf(() => ws.config())[0]).toMatch(/^feeds\.yaml:\d+: invalid YAML: /);
  });

  it('FEEDS_FILE must exist when set', () => {
    ws = createWorkspace({ FEEDS_FILE: 'nowhere/feeds.yaml' });
    expect(problemsOf(() => ws.config())).toEqual([`FEEDS_FILE names ${join(ws.dir, 'nowhere/feeds.yaml')}, which does not exist: create it or unset FEEDS_FILE`]);
  });

  it('a category filter keeps only the items in one of its categories (any case)', async () => {
    ws = createWorkspace({}, { posts: false });
    writeFileSync(join(ws.dir, 'feeds.yaml'), `feeds:\n  - url: ${server.url('/all/')}\n    name: Governments\n    categories: [International Governments, Sanctions]\n`);
    const app = await ws.app();
    try {
      const { message } = await previewMessage(app, { cadence: 'weekly' });
      expect(message!.posts.map((p) => [p.title, p.file])).toEqual([
        ['Item 3', 'feed: Governments'],
        ['Item 1', 'feed: Governments'],
      ]);
    } finally {
      await app.close();
    }
  });

  it('digest feeds without feeds says how to add one; a wrong subcommand is a usage error', async () => {
    ws = createWorkspace();
    const list = await ws.cli('feeds', 'list');
    expect(list).toEqual({ code: 0, output: `No feeds configured: set FEEDS (URLs separated by spaces or commas) or write ${join(ws.dir, 'feeds.yaml')} (see docs/feeds.md).` });
    expect((await ws.cli('feeds', 'fetch')).code).toBe(1);
    const help = (await ws.cli('feeds', '--help')).output;
    for (const sub of ['list', 'pull', 'check']) expect(help).toContain(`  ${sub} `);
    const status = await ws.cli('status');
    expect(status.output).not.toContain('Feed ');
  });
});
