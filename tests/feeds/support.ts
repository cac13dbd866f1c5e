import { readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { marked } from 'marked';
import { collectPosts } from '../../src/posts/collect.js';
import { splitFrontMatter } from '../../src/posts/front-matter.js';
import type { Post } from '../../src/posts/post.js';
import type { Workspace } from '../support/workspace.js';

/** A feed server on 127.0.0.1 (ephemeral port) whose routes a test sets and whose requests it reads. */
export interface FeedServer {
  base: string;
  url(path: string): string;
  route(path: string, handler: (req: IncomingMessage, res: ServerResponse) => void): void;
  requests: { path: string; headers: IncomingMessage['headers'] }[];
  close(): Promise<void>;
}

export async function startFeedServer(): Promise<FeedServer> {
  const routes = new Map<string, (req: IncomingMessage, res: ServerResponse) => void>();
  const requests: FeedServer['requests'] = [];
  const server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0] ?? '/';
    requests.push({ path, headers: req.headers });
    const handler = routes.get(path);
    if (handler) handler(req, res);
    else res.writeHead(404).end('not found');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    base,
    url: (path) => `${base}${path}`,
    route: (path, handler) => routes.set(path, handler),
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** Serves a fixed document with an ETag, answering 304 to a matching If-None-Match. */
export function serveDocument(server: FeedServer, path: string, body: () => string, type = 'application/rss+xml; charset=utf-8'): void {
  server.route(path, (req, res) => {
    const text = body();
    const etag = `"${Buffer.from(text).length}-${hash(text)}"`;
    if (req.headers['if-none-match'] === etag) return void res.writeHead(304, { etag }).end();
    res.writeHead(200, { 'content-type': type, etag }).end(text);
  });
}

function hash(text: string): string {
  let h = 0;
  for (let i = 0; i < text.length; i += 1) h = (h * 31 + text.charCodeAt(i)) | 0;
  return (h >>> 0).toString(16);
}

/** One item of a generated feed. */
export interface FeedItem {
  guid: string;
  title: string;
  link: string;
  date: Date;
  author: string;
  categories: string[];
  summary?: string;
  html: string;
  image?: { url: string; alt: string };
}

/** The workspace's seed posts (a copy, never the live folder) as feed items: summary and Markdown body as HTML. */
export async function seedItems(ws: Workspace): Promise<{ posts: Post[]; items: FeedItem[] }> {
  const config = ws.config();
  const { posts } = await collectPosts(config.postsDir, { timezone: config.timezone, siteUrl: config.siteUrl });
  const items = posts.map((post, index) => {
    const split = splitFrontMatter(readFileSync(join(config.postsDir, post.file), 'utf8'));
    const body = split.ok ? split.body : '';
    return {
      guid: `https://blog.example.org/?p=${1000 + index}`,
      title: post.title,
      link: post.url,
      date: post.date,
      author: post.author,
      categories: post.categories,
      summary: post.excerpt,
      html: String(marked.parse(body)),
      ...(post.image ? { image: { url: post.image.src, alt: post.image.alt ?? '' } } : {}),
    };
  });
  return { posts, items };
}

const xml = (text: string) => text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
const cdata = (text: string) => `<![CDATA[${text.replace(/]]>/g, ']]]]><![CDATA[>')}]]>`;

/** RSS 2.0 as WordPress writes it: content:encoded, dc:creator, a category element each, guid isPermaLink="false", media:content. */
export function wordpressRss(items: FeedItem[], channel = { title: 'North Korean Economy Watch', link: 'https://blog.example.org/' }): string {
  const entries = items.map((item) => `
	<item>
		<title>${xml(item.title)}</title>
		<link>${xml(item.link)}</link>
		<dc:creator>${cdata(item.author)}</dc:creator>
		<pubDate>${item.date.toUTCString().replace('GMT', '+0000')}</pubDate>
${item.categories.map((c) => `		<category>${cdata(c)}</category>`).join('\n')}
		<guid isPermaLink="false">${xml(item.guid)}</guid>
		${item.summary ? `<description>${cdata(item.summary)}</description>` : ''}
		<content:encoded>${cdata(item.html)}</content:encoded>
		${item.image ? `<media:content url="${xml(item.image.url)}" medium="image"><media:description>${xml(item.image.alt)}</media:description></media:content>` : ''}
	</item>`);
  return `<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"
	xmlns:content="http://purl.org/rss/1.0/modules/content/"
	xmlns:wfw="http://wellformedweb.org/CommentAPI/"
	xmlns:dc="http://purl.org/dc/elements/1.1/"
	xmlns:atom="http://www.w3.org/2005/Atom"
	xmlns:sy="http://purl.org/rss/1.0/modules/syndication/"
	xmlns:slash="http://purl.org/rss/1.0/modules/slash/"
	xmlns:media="http://search.yahoo.com/mrss/">
<channel>
	<title>${xml(channel.title)}</title>
	<atom:link href="${xml(channel.link)}feed/" rel="self" type="application/rss+xml" />
	<link>${xml(channel.link)}</link>
	<description>A blog</description>
	<generator>https://wordpress.org/?v=6.5</generator>${entries.join('')}
</channel>
</rss>`;
}

/** Plain RSS 2.0: description holds the HTML, author in <author>, guid a permalink. */
export function plainRss(items: FeedItem[]): string {
  const entries = items.map((item) => `<item><title>${xml(item.title)}</title><link>${xml(item.link)}</link><guid>${xml(item.guid)}</guid>
<pubDate>${item.date.toUTCString()}</pubDate><author>${xml(item.author)}</author>${item.categories.map((c) => `<category>${xml(c)}</category>`).join('')}
<description>${xml(item.html)}</description></item>`);
  return `<?xml version="1.0"?><rss version="2.0"><channel><title>Blog</title><link>https://blog.example.org/</link><description>d</description>${entries.join('\n')}</channel></rss>`;
}

export function atomFeed(items: FeedItem[]): string {
  const entries = items.map((item) => `<entry><title type="text">${xml(item.title)}</title><id>${xml(item.guid)}</id>
<link rel="alternate" type="text/html" href="${xml(item.link)}"/><published>${item.date.toISOString()}</published><updated>${item.date.toISOString()}</updated>
<author><name>${xml(item.author)}</name></author>${item.categories.map((c) => `<category term="${xml(c)}"/>`).join('')}
${item.summary ? `<summary type="text">${xml(item.summary)}</summary>` : ''}<content type="html">${xml(item.html)}</content></entry>`);
  return `<?xml version="1.0" encoding="utf-8"?><feed xmlns="http://www.w3.org/2005/Atom"><title>Blog</title><id>urn:uuid:60a76c80-d399-11d9-b93C-0003939e0af6</id>
<updated>2023-05-24T00:00:00Z</updated><link href="https://blog.example.org/"/>${entries.join('\n')}</feed>`;
}

export function jsonFeed(items: FeedItem[]): string {
  return JSON.stringify({
    version: 'https://jsonfeed.org/version/1.1',
    title: 'Blog',
    home_page_url: 'https://blog.example.org/',
    items: items.map((item) => ({
      id: item.guid,
      url: item.link,
      title: item.title,
      content_html: item.html,
      ...(item.summary ? { summary: item.summary } : {}),
      date_published: item.date.toISOString(),
      authors: [{ name: item.author }],
      tags: item.categories,
      ...(item.image ? { image: item.image.url } : {}),
    })),
  });
}

/** RSS 1.0 (RDF): identity in rdf:about, Dublin Core for author, date and subjects. */
export function rdfFeed(items: FeedItem[]): string {
  const entries = items.map((item) => `<item rdf:about="${xml(item.link)}"><title>${xml(item.title)}</title><link>${xml(item.link)}</link>
${item.summary ? `<description>${xml(item.summary)}</description>` : ''}<dc:creator>${xml(item.author)}</dc:creator><dc:date>${item.date.toISOString()}</dc:date>
${item.categories.map((c) => `<dc:subject>${xml(c)}</dc:subject>`).join('')}<content:encoded>${cdata(item.html)}</content:encoded></item>`);
  return `<?xml version="1.0" encoding="utf-8"?><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" xmlns="http://purl.org/rss/1.0/"
 xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:content="http://purl.org/rss/1.0/modules/content/">
<channel rdf:about="https://blog.example.org/"><title>Blog</title><link>https://blog.example.org/</link><description>d</description>
<items><rdf:Seq>${items.map((i) => `<rdf:li resource="${xml(i.link)}"/>`).join('')}</rdf:Seq></items></channel>${entries.join('\n')}</rdf:RDF>`;
}
