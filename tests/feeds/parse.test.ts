import { describe, expect, it } from 'vitest';
import { toFeedItem } from '../../src/feeds/content.js';
import { parseFeedDocument } from '../../src/feeds/parse.js';

/** Format details read by the library, turned into the one shape the rest uses. */
const source = { url: 'https://blog.example.org/feed/', name: 'Blog', categories: [] };

describe('reading feed formats', () => {
  it('RSS: an image enclosure is the image; several dc:creator take the first; a guid without a link is the link', () => {
    const feed = parseFeedDocument(`<?xml version="1.0"?><rss version="2.0" xmlns:dc="http://purl.org/dc/elements/1.1/"><channel><title>T</title><link>https://blog.example.org/</link>
      <item><title>Enclosed</title><guid isPermaLink="true">https://blog.example.org/enclosed/</guid><dc:creator>Ann</dc:creator><dc:creator>Bo</dc:creator>
      <enclosure url="/uploads/photo.jpg" length="10" type="image/jpeg"/><enclosure url="/a.mp3" length="10" type="audio/mpeg"/><description>&lt;p&gt;Hi &amp;amp; bye&lt;/p&gt;</description></item></channel></rss>`);
    const result = toFeedItem(feed.items[0]!, { source, base: 'https://blog.example.org/', title: feed.title });
    expect('item' in result && result.item).toMatchObject({
      key: 'https://blog.example.org/enclosed/',
      slugBase: 'enclosed',
      post: { url: 'https://blog.example.org/enclosed/', author: 'Ann', excerpt: 'Hi & bye', image: { src: 'https://blog.example.org/uploads/photo.jpg', alt: undefined } },
    });
  });

  it('Atom: xml:base resolves relative links; a title is plain text, as a Markdown title is', () => {
    const feed = parseFeedDocument(`<?xml version="1.0"?><feed xmlns="http://www.w3.org/2005/Atom" xml:base="https://blog.example.org/2026/"><title>T</title><id>urn:t</id><updated>2026-01-01T00:00:00Z</updated>
      <entry><id>tag:blog.example.org,2026:1</id><title type="text">a &lt;b&gt; c</title><link href="post-1/"/><updated>2026-01-02T00:00:00Z</updated>
      <content type="xhtml"><div xmlns="http://www.w3.org/1999/xhtml"><p>See <a href="../about/">about</a>.</p></div></content></entry></feed>`);
    const result = toFeedItem(feed.items[0]!, { source, base: feed.base!, title: feed.title });
    expect('item' in result && result.item).toMatchObject({
      key: 'tag:blog.example.org,2026:1',
      post: { title: 'a c', url: 'https://blog.example.org/2026/post-1/', date: new Date('2026-01-02T00:00:00Z'), excerpt: 'See about.' },
    });
  });

  it('an item with neither link nor web-address id is left out, saying why', () => {
    const feed = parseFeedDocument(JSON.stringify({ version: 'https://jsonfeed.org/version/1.1', title: 'J', items: [{ id: '42', title: 'Lost', content_text: 'x' }] }));
    expect(toFeedItem(feed.items[0]!, { source, base: 'https://blog.example.org/', title: 'J' })).toEqual({ problem: '"Lost" has no http:// or https:// link and is left out' });
  });
});
