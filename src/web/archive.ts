import type { Hono } from 'hono';
import type { Edition } from '../store/store.js';
import { escapeXml } from '../text.js';
import { formatLongDate } from '../time.js';
import type { WebContext } from './context.js';
import { publicEdition } from './edition-page.js';
import { pageView, sendPage } from './respond.js';

/**
 * The public archive: every completed edition at /archive/<n> (the "view in browser" target),
 * an index, and an Atom feed. Stored editions still hold the personal tokens; here they are
 * filled with neutral values, never any subscriber's address or link.
 */
const INDEX_LIMIT = 500;
const FEED_LIMIT = 20;
/** MJML's output uses inline styles; it never needs scripts. The page's own stylesheet and sign-up form are same-origin. */
const ARCHIVE_CSP = "default-src 'none'; style-src 'self' 'unsafe-inline'; img-src https: http: data:; font-src https:; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

export function archiveRoutes(web: Hono, ctx: WebContext): void {
  web.get('/archive', async (c) => {
    const editions = (await publicEditions(ctx, INDEX_LIMIT)).map((e) => ({
      number: e.number,
      subject: e.subject,
      url: ctx.pageHref(`archive/${e.number}`), // root-relative, like every page's own navigation
      date: formatLongDate(e.createdAt, ctx.app.config.timezone),
      dateIso: e.createdAt.toISOString(),
    }));
    return sendPage(ctx, c, 'archive', 'Archive', { editions, feedUrl: ctx.pageHref('archive/feed.atom'), indexAs: 'archive', description: `Every edition of ${ctx.app.publication.name}.` });
  });
  web.get('/archive/feed.atom', async (c) => {
    c.header('Content-Type', 'application/atom+xml; charset=utf-8');
    return c.body(atomFeed(ctx, await publicEditions(ctx, FEED_LIMIT)));
  });
  web.get('/archive/:number{[0-9]{1,9}}', async (c) => {
    const edition = await ctx.app.store.getEdition(Number(c.req.param('number')));
    if (!edition || edition.status !== 'complete') return sendPage(ctx, c, 'message', 'Not found', { heading: 'No such edition', message: 'This edition does not exist or has not been sent yet.', archiveLink: true }, 404);
    c.header('Content-Security-Policy', ARCHIVE_CSP);
    return c.html(await editionPage(ctx, edition));
  });
}

/** The edition wrapped in a web page: site navigation, previous/next, a sign-up prompt, og: tags. */
async function editionPage(ctx: WebContext, edition: Edition): Promise<string> {
  const { timezone, publicUrl } = ctx.app.config;
  const content = publicEdition(edition, publicUrl);
  const neighbour = async (number: number) => {
    const found = number > 0 ? await ctx.app.store.getEdition(number) : undefined;
    return found?.status === 'complete' ? { number, url: ctx.pageHref(`archive/${number}`) } : undefined;
  };
  const view = pageView(ctx, edition.subject, {
    indexAs: 'archive',
    subject: edition.subject,
    number: edition.number,
    url: ctx.link(`archive/${edition.number}`),
    date: formatLongDate(edition.createdAt, timezone),
    dateIso: edition.createdAt.toISOString(),
    description: content.description,
    edition: content,
    previous: await neighbour(edition.number - 1),
    next: await neighbour(edition.number + 1),
  });
  return (await ctx.pages()).raw('edition', view);
}

async function publicEditions(ctx: WebContext, limit: number): Promise<Edition[]> {
  return (await ctx.app.store.listEditions(limit)).filter((e) => e.status === 'complete');
}

function atomFeed(ctx: WebContext, editions: Edition[]): string {
  const x = escapeXml;
  const updated = (editions[0]?.createdAt ?? new Date(0)).toISOString();
  const entries = editions.map((e) => {
    const url = ctx.link(`archive/${e.number}`);
    const summary = e.posts.map((p) => p.title).join(' · ');
    return `  <entry>\n    <id>${x(url)}</id>\n    <title>${x(e.subject)}</title>\n    <link rel="alternate" type="text/html" href="${x(url)}"/>\n    <updated>${e.createdAt.toISOString()}</updated>\n    <summary>${x(summary)}</summary>\n  </entry>`;
  });
  return [
    '<?xml version="1.0" encoding="utf-8"?>',
    '<feed xmlns="http://www.w3.org/2005/Atom">',
    `  <id>${x(ctx.link('archive'))}</id>`,
    `  <title>${x(ctx.app.publication.name)}</title>`,
    `  <link rel="self" href="${x(ctx.link('archive/feed.atom'))}"/>`,
    `  <link rel="alternate" type="text/html" href="${x(ctx.link('archive'))}"/>`,
    `  <updated>${updated}</updated>`,
    `  <author><name>${x(ctx.app.publication.sender.name)}</name></author>`,
    ...entries,
    '</feed>',
    '',
  ].join('\n');
}
