import { parseFeed } from 'feedsmith';

/**
 * A fetched document → the items it holds, in one shape for all four formats (RSS 2.0, Atom 1.0,
 * JSON Feed, RSS 1.0/RDF). feedsmith parses XML without expanding DTD entities, so an entity
 * bomb stays the literal text "&lol9;". Nothing here is trusted yet: content.ts cleans it.
 */
export interface RawItem {
  /** GUID / id / rdf:about: the item's identity in the feed. */
  id?: string;
  link?: string;
  title?: string;
  date?: string;
  authors: string[];
  categories: string[];
  /** A short description (RSS description, Atom summary, JSON summary): HTML. */
  summary?: string;
  /** The full content (content:encoded, Atom content, content_html): HTML. */
  content?: string;
  image?: { url: string; alt?: string };
  /** xml:base of the entry, when the feed sets one. */
  base?: string;
}

export interface RawFeed {
  format: 'rss' | 'atom' | 'json' | 'rdf';
  title?: string;
  /** Base for relative links: xml:base, else the site link. */
  base?: string;
  items: RawItem[];
}

type Text = string | undefined;
type Media = { url?: string; medium?: string; type?: string; title?: { value?: string }; description?: { value?: string } };
interface RssItem {
  title?: string; link?: string; description?: string; pubDate?: string; authors?: { name?: string; email?: string }[];
  guid?: { value?: string }; categories?: { name?: string }[]; enclosures?: { url?: string; type?: string }[];
  dc?: { creators?: string[]; dates?: string[]; subjects?: string[] }; content?: { encoded?: string };
  media?: { contents?: Media[]; thumbnails?: { url?: string }[]; group?: { contents?: Media[] } }; rdf?: { about?: string };
}
interface AtomText { value?: string; type?: string }
interface AtomEntry {
  id?: string; title?: AtomText; summary?: AtomText; content?: AtomText & { src?: string }; published?: string; updated?: string;
  links?: { href?: string; rel?: string; type?: string }[]; authors?: { name?: string }[]; categories?: { term?: string; label?: string }[];
  xml?: { base?: string }; media?: RssItem['media'];
}
interface JsonItem {
  id?: string; url?: string; external_url?: string; title?: string; content_html?: string; content_text?: string; summary?: string;
  image?: string; banner_image?: string; date_published?: string; date_modified?: string; tags?: string[]; authors?: { name?: string }[];
}

export function parseFeedDocument(text: string): RawFeed {
  const parsed = parseFeed(text) as { format: RawFeed['format']; feed: Record<string, unknown> };
  const feed = parsed.feed;
  switch (parsed.format) {
    case 'rss':
    case 'rdf':
      return { format: parsed.format, title: str(feed.title), base: str(feed.link), items: ((feed.items ?? []) as RssItem[]).map(rssItem) };
    case 'atom': {
      const links = (feed.links ?? []) as AtomEntry['links'];
      const xml = feed.xml as { base?: string } | undefined;
      return { format: 'atom', title: atomText((feed.title as AtomText | undefined) ?? {}), base: xml?.base ?? alternate(links), items: ((feed.entries ?? []) as AtomEntry[]).map(atomEntry) };
    }
    case 'json':
      return { format: 'json', title: str(feed.title), base: str(feed.home_page_url) ?? str(feed.feed_url), items: ((feed.items ?? []) as JsonItem[]).map(jsonItem) };
  }
}

function rssItem(item: RssItem): RawItem {
  const media = [...(item.media?.contents ?? []), ...(item.media?.group?.contents ?? [])].find(isImage);
  const enclosure = item.enclosures?.find((e) => e.url && e.type?.startsWith('image/'));
  const thumbnail = item.media?.thumbnails?.find((t) => t.url);
  const imageUrl = media?.url ?? enclosure?.url ?? thumbnail?.url;
  const alt = media?.description?.value ?? media?.title?.value;
  return {
    id: item.guid?.value ?? item.rdf?.about,
    link: item.link,
    title: item.title,
    date: item.pubDate ?? item.dc?.dates?.[0],
    authors: [...(item.dc?.creators ?? []), ...(item.authors ?? []).map((a) => a.name ?? a.email ?? '')],
    categories: [...(item.categories ?? []).map((c) => c.name ?? ''), ...(item.dc?.subjects ?? [])],
    summary: item.description,
    content: item.content?.encoded,
    ...(imageUrl ? { image: { url: imageUrl, ...(alt ? { alt } : {}) } } : {}),
  };
}

function atomEntry(entry: AtomEntry): RawItem {
  const media = entry.media?.contents?.find(isImage);
  const enclosure = entry.links?.find((l) => l.rel === 'enclosure' && l.type?.startsWith('image/'));
  const imageUrl = media?.url ?? enclosure?.href;
  return {
    id: entry.id,
    link: alternate(entry.links),
    title: entry.title && atomText(entry.title),
    date: entry.published ?? entry.updated,
    authors: (entry.authors ?? []).map((a) => a.name ?? ''),
    categories: (entry.categories ?? []).map((c) => c.label ?? c.term ?? ''),
    summary: entry.summary && atomHtml(entry.summary),
    content: entry.content && !entry.content.src ? atomHtml(entry.content) : undefined,
    base: entry.xml?.base,
    ...(imageUrl ? { image: { url: imageUrl, ...(media?.description?.value ? { alt: media.description.value } : {}) } } : {}),
  };
}

function jsonItem(item: JsonItem): RawItem {
  const image = item.image ?? item.banner_image;
  return {
    id: item.id,
    link: item.url ?? item.external_url,
    title: item.title && escapeText(item.title),
    date: item.date_published ?? item.date_modified,
    authors: (item.authors ?? []).map((a) => a.name ?? ''),
    categories: item.tags ?? [],
    summary: item.summary && escapeText(item.summary),
    content: item.content_html ?? (item.content_text ? `<p>${escapeText(item.content_text)}</p>` : undefined),
    ...(image ? { image: { url: image } } : {}),
  };
}

function isImage(media: Media): boolean {
  return Boolean(media.url) && (media.medium === 'image' || Boolean(media.type?.startsWith('image/')) || (!media.medium && !media.type));
}

/** The rel="alternate" link (or the first link without a rel). */
function alternate(links: AtomEntry['links']): Text {
  return (links ?? []).find((l) => (l.rel ?? 'alternate') === 'alternate' && l.href)?.href;
}

/** Atom text constructs: "text" is plain (escaped here so it reads as HTML like the others), "html"/"xhtml" are markup. */
function atomHtml(text: AtomText): Text {
  if (text.value === undefined) return undefined;
  return text.type === 'html' || text.type === 'xhtml' || text.type?.includes('html') ? text.value : escapeText(text.value);
}

/** A title as text: an html title keeps its markup for plainLine to strip; a text title is escaped first. */
function atomText(text: AtomText): Text {
  return atomHtml(text);
}

function escapeText(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

function str(value: unknown): Text {
  return typeof value === 'string' ? value : undefined;
}
