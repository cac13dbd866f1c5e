import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runSend } from '../../src/pipeline.js';
import { startWebHarness, type WebHarness } from './harness.js';

let h: WebHarness;

beforeEach(async () => {
  h = await startWebHarness();
  await h.app.store.upsertSubscribers(
    [
      { email: 'ada@example.org', name: 'Ada', status: 'active' },
      { email: 'bob@example.org', status: 'active' },
    ],
    new Date(h.clock.now - 60_000),
  );
});
afterEach(() => h.close());

describe('archive', () => {
  it('drops characters XML 1.0 forbids (U+FFFE, U+FFFF, C0 controls) from the Atom feed, so it stays readable', async () => {
    // YAML escapes: the title really holds U+FFFE, U+FFFF and U+0001.
    h.ws.writePost('odd.md', `---\ntitle: "Odd\\uFFFE title\\uFFFF with\\x01 controls"\ndate: ${new Date(h.clock.now - 86_400_000).toISOString().slice(0, 10)}\nauthor: "Test Author"\ncategories: ["Trade"]\n---\n\nBody.\n`);
    const report = await runSend(h.app, { cadence: 'weekly' });
    // (Post parsing already drops the C0 control; U+FFFE and U+FFFF reach the edition.)
    expect(report.edition!.posts.map((p) => p.title)).toContain('Odd\uFFFE title\uFFFF with controls');
    const feed = await (await fetch(`${h.url}archive/feed.atom`)).text();
    expect(feed).toContain('Odd title with controls');
    expect(feed).not.toMatch(/[\uFFFE\uFFFF\x00-\x08\x0B\x0C\x0E-\x1F]/);
  });

  it('shows a sent edition without any personal value, lists it and feeds it', async () => {
    const report = await runSend(h.app, { cadence: 'weekly' });
    const n = report.edition!.number;
    const response = await fetch(`${h.url}archive/${n}`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-security-policy')).toContain("default-src 'none'");
    const html = await response.text();
    expect(html).toContain('North Korea denies weapons sales to Russia');
    expect(html).toContain('Hello,');
    expect(html).not.toMatch(/zzpersonal|ada@example\.org|bob@example\.org|Hi Ada/);
    const ids = [(await h.app.store.findSubscriber('ada@example.org'))!.id, (await h.app.store.findSubscriber('bob@example.org'))!.id];
    for (const id of ids) {
      for (const purpose of ['unsubscribe', 'preferences'] as const) expect(html).not.toContain(h.app.signer.sign(purpose, id));
    }
    // A web page around the email: navigation, a sign-up prompt, og: tags, indexable by default;
    // no reader's footer ("You are receiving … at your address") for a public visitor.
    expect(html).not.toMatch(/You are receiving|your address|\/unsubscribe/);
    expect(html).toContain('<form method="post" action="/subscribe">');
    expect(html).toContain('<a href="/archive">All editions</a>');
    expect(html).toContain(`<meta property="og:url" content="${h.url}archive/${n}">`);
    expect(html).toContain(`<meta property="og:title" content="${report.edition!.subject}">`);
    expect(html).toContain('<meta name="robots" content="index, follow">');
    expect(html.match(/<main\b|role="main"/g)).toHaveLength(1);
    expect(html).toContain('id="post-north-korea-denies-weapons-sales-russia"'); // the contents' links land here
    // The digest's own "view in browser" link is this page.
    const digest = h.smtp.to('ada@example.org')[0]!;
    expect(digest.parsed.text).toContain(`${h.url}archive/${n}`);

    const index = await (await fetch(`${h.url}archive`)).text();
    // Root-relative on the page (it works on any host and port); the feed keeps PUBLIC_URL links.
    expect(index).toContain(`href="/archive/${n}"`);
    expect(index).toContain(report.edition!.subject.replace(/’/g, '’'));

    const feed = await fetch(`${h.url}archive/feed.atom`);
    expect(feed.headers.get('content-type')).toContain('application/atom+xml');
    const xml = await feed.text();
    expect(xml).toMatch(/^<\?xml version="1.0" encoding="utf-8"\?>\n<feed xmlns="http:\/\/www.w3.org\/2005\/Atom">/);
    expect(xml.match(/<entry>/g)).toHaveLength(1);
    expect(xml).toContain(`<id>${h.url}archive/${n}</id>`);
  });

  it('an edition still being sent, or none at all, is not public', async () => {
    const created = await h.app.store.createEdition({
      number: await h.app.store.nextEditionNumber(),
      cadence: 'weekly',
      createdAt: new Date(h.clock.now),
      tickKey: null,
      subject: 'Unfinished',
      posts: [],
      html: '<html><body>zzpersonalemailzz</body></html>',
      text: '',
      baselineSlugs: [],
    });
    expect((await fetch(`${h.url}archive/${created!.number}`)).status).toBe(404);
    expect((await fetch(`${h.url}archive/999`)).status).toBe(404);
    expect((await fetch(`${h.url}archive/-1`)).status).toBe(404);
    expect(await (await fetch(`${h.url}archive`)).text()).not.toContain('Unfinished');
    expect(await (await fetch(`${h.url}archive/feed.atom`)).text()).not.toContain('<entry>');
  });
});
