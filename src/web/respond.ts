import type { Context } from 'hono';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import { CADENCE_LABEL, type Cadence } from '../render/view-model.js';
import type { Subscriber } from '../store/store.js';
import type { TokenPurpose } from '../tokens.js';
import type { IndexablePage } from '../config.js';
import type { WebContext } from './context.js';

/** Shared answers: a page in the layout, and the one answer every bad link gets. */
export async function sendPage(ctx: WebContext, c: Context, name: string, title: string, view: Record<string, unknown> = {}, status: ContentfulStatusCode = 200): Promise<Response> {
  const pages = await ctx.pages();
  return c.html(pages.page(name, pageView(ctx, title, view)), status);
}

/**
 * What every page's template sees. `robots` is noindex unless the page is one of the kinds
 * PUBLIC_INDEXING lets search engines index (pass `indexAs`); an error page never is.
 */
export function pageView(ctx: WebContext, title: string, view: Record<string, unknown> & { indexAs?: IndexablePage }): Record<string, unknown> {
  const { publication, config } = ctx.app;
  return {
    lang: 'en',
    title,
    // Root-relative: the page works on whatever host and port serves it (PUBLIC_URL is for emails).
    base: ctx.pageHref(''),
    publication: { name: publication.name, siteUrl: publication.siteUrl, senderName: publication.sender.name, postalAddress: publication.sender.postalAddress },
    robots: view.indexAs && config.publicIndexing.includes(view.indexAs) ? 'index, follow' : 'noindex',
    ...view,
  };
}

/**
 * Tampered, truncated, expired, foreign, garbage and unknown tokens all get exactly this answer,
 * so the server is no oracle for which part of a token was wrong.
 */
export function invalidLink(ctx: WebContext, c: Context): Promise<Response> {
  return sendPage(ctx, c, 'invalid-link', 'This link does not work', {}, 404);
}

/** A route behind a signed link: runs with the subscriber its `:token` names, else answers `invalidLink`. */
export function withSignedLink(ctx: WebContext, purpose: TokenPurpose, handler: (c: Context, subscriber: Subscriber) => Promise<Response>) {
  return async (c: Context): Promise<Response> => {
    const subscriber = await ctx.subscriberFor(purpose, c.req.param('token') ?? '');
    return subscriber ? handler(c, subscriber) : invalidLink(ctx, c);
  };
}

/** A root-relative link to a signed page, for links inside web pages (they work on any host and port). */
export function pageLink(ctx: WebContext, purpose: 'preferences' | 'unsubscribe', subscriberId: number): string {
  return ctx.pageHref(`${purpose}/${ctx.app.signer.sign(purpose, subscriberId)}`);
}

/** The topics a subscriber receives now: the chosen ones (or every offered one), less the stopped ones. */
export function receivedTopics(offered: string[], subscriber: Pick<Subscriber, 'categories' | 'excludedCategories'>): string[] {
  const stopped = new Set(subscriber.excludedCategories.map((t) => t.toLowerCase()));
  return (subscriber.categories.length > 0 ? subscriber.categories : offered).filter((t) => !stopped.has(t.toLowerCase()));
}

export function badRequest(ctx: WebContext, c: Context, message: string): Promise<Response> {
  return sendPage(ctx, c, 'message', 'That did not work', { heading: 'That did not work', message }, 400);
}

const CADENCE_HINT: Record<Cadence, string> = {
  weekly: 'one email a week',
  daily: 'one email a day, when there is something new',
  monthly: 'one email a month',
};

/** The cadence radio buttons: the enabled ones, plus the subscriber's own if it was disabled since. */
export function cadenceOptions(ctx: WebContext, selected: Cadence): { value: Cadence; label: string; hint: string; checked: boolean }[] {
  const offered = ctx.cadences.includes(selected) ? ctx.cadences : [...ctx.cadences, selected];
  return offered.map((value) => ({ value, label: CADENCE_LABEL[value], hint: CADENCE_HINT[value], checked: value === selected }));
}

/** Topic checkboxes: every known topic plus any the subscriber has that posts no longer use. */
export function topicOptions(known: string[], chosen: string[]): { value: string; checked: boolean; id: string }[] {
  const lower = new Set(chosen.map((t) => t.toLowerCase()));
  const extra = chosen.filter((t) => !known.some((k) => k.toLowerCase() === t.toLowerCase()));
  return [...known, ...extra].map((value, index) => ({ value, checked: lower.has(value.toLowerCase()), id: `topic-${index}` }));
}

/** Submitted topics kept only if they are known (or already the subscriber's), in canonical spelling. */
export function pickTopics(submitted: unknown, known: string[], current: string[] = []): string[] {
  const values = (Array.isArray(submitted) ? submitted : submitted === undefined ? [] : [submitted]).filter((v): v is string => typeof v === 'string');
  const allowed = [...known, ...current];
  const picked = new Map<string, string>();
  for (const value of values) {
    const match = allowed.find((a) => a.toLowerCase() === value.trim().toLowerCase());
    if (match) picked.set(match.toLowerCase(), match);
  }
  return [...picked.values()];
}

export function field(body: Record<string, unknown>, name: string): string {
  const value = body[name];
  const first = Array.isArray(value) ? value[0] : value;
  return typeof first === 'string' ? first : '';
}
