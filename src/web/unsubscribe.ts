import type { Context, Hono } from 'hono';
import type { Subscriber } from '../store/store.js';
import type { WebContext } from './context.js';
import { formToken, formTokenValid } from './form-token.js';
import { badRequest, field, pageLink, receivedTopics, sendPage, withSignedLink } from './respond.js';

/**
 * RFC 8058 one-click unsubscribe at the List-Unsubscribe URL. A POST with the body
 * `List-Unsubscribe=One-Click` (url-encoded or multipart) unsubscribes at once and answers 200:
 * no redirect, no cookie, no login, and the change is committed before the answer is written.
 * A GET (a scanner, a click in the footer) only shows a page with the same one-button form and
 * the offer to stop a single topic; it changes nothing.
 */
export function unsubscribeRoutes(web: Hono, ctx: WebContext): void {
  web.get('/unsubscribe', (c) => sendPage(ctx, c, 'link-help', 'Unsubscribe', { heading: 'Unsubscribe', action: 'unsubscribe' }));
  web.get('/unsubscribe/:token', withSignedLink(ctx, 'unsubscribe', (c, subscriber) => unsubscribePage(ctx, c, subscriber)));
  web.post('/unsubscribe/:token', withSignedLink(ctx, 'unsubscribe', (c, subscriber) => oneClick(ctx, c, subscriber)));
  web.post('/unsubscribe/:token/topic', withSignedLink(ctx, 'unsubscribe', (c, subscriber) => stopTopic(ctx, c, subscriber)));
}

/** RFC 8058: the body `List-Unsubscribe=One-Click` unsubscribes at once, committed before the answer. */
async function oneClick(ctx: WebContext, c: Context, subscriber: Subscriber): Promise<Response> {
  const body = await c.req.parseBody();
  if (field(body, 'List-Unsubscribe') !== 'One-Click') return badRequest(ctx, c, 'To unsubscribe, use the button on the unsubscribe page.');
  if (await ctx.app.store.setStatus(subscriber.id, 'unsubscribed', ctx.app.now())) ctx.app.logger.info('subscriber.unsubscribed', { subscriber: subscriber.id, via: 'one-click' });
  return sendPage(ctx, c, 'unsubscribed', 'You are unsubscribed', { email: subscriber.email, preferencesUrl: pageLink(ctx, 'preferences', subscriber.id) });
}

async function unsubscribePage(ctx: WebContext, c: Context, subscriber: Subscriber): Promise<Response> {
  const active = subscriber.status === 'active' || subscriber.status === 'pending';
  const topics = receivedTopics(await ctx.pickerTopics(), subscriber);
  return sendPage(ctx, c, 'unsubscribe', 'Unsubscribe', {
    email: subscriber.email,
    token: c.req.param('token'),
    active,
    topics: topics.length > 1 ? topics : [],
    form: formToken(ctx, subscriber.id),
    preferencesUrl: pageLink(ctx, 'preferences', subscriber.id),
  });
}

/**
 * Stops one topic: it joins the subscriber's stopped topics (a post carrying it is never sent,
 * whatever else it carries) and leaves the chosen ones, so an all-topics reader stays all-topics
 * less that one. Stopping the last one left means no digest at all, so that unsubscribes.
 * Repeating the POST changes nothing more.
 */
async function stopTopic(ctx: WebContext, c: Context, subscriber: Subscriber): Promise<Response> {
  const body = await c.req.parseBody();
  if (!formTokenValid(ctx, field(body, 'form'), subscriber.id)) return badRequest(ctx, c, 'This form is too old. Open the unsubscribe link again.');
  const wanted = field(body, 'topic').trim().toLowerCase();
  const offered = receivedTopics(await ctx.pickerTopics(), subscriber);
  const preferencesUrl = pageLink(ctx, 'preferences', subscriber.id);
  const already = subscriber.excludedCategories.find((t) => t.toLowerCase() === wanted);
  if (already) return sendPage(ctx, c, 'topic-stopped', 'Topic stopped', { topic: already, remaining: offered, preferencesUrl });
  const topic = offered.find((t) => t.toLowerCase() === wanted);
  if (!topic) return badRequest(ctx, c, 'Choose one of your topics.');
  const remaining = offered.filter((t) => t !== topic);
  const now = ctx.app.now();
  if (remaining.length === 0) {
    if (await ctx.app.store.setStatus(subscriber.id, 'unsubscribed', now)) ctx.app.logger.info('subscriber.unsubscribed', { subscriber: subscriber.id, via: 'last-topic' });
    return sendPage(ctx, c, 'unsubscribed', 'You are unsubscribed', { email: subscriber.email, preferencesUrl, lastTopic: topic });
  }
  await ctx.app.store.updatePreferences(subscriber.id, {
    categories: subscriber.categories.filter((t) => t.toLowerCase() !== wanted),
    excludedCategories: [...subscriber.excludedCategories, topic],
  });
  ctx.app.logger.info('subscriber.topic_stopped', { subscriber: subscriber.id });
  return sendPage(ctx, c, 'topic-stopped', 'Topic stopped', { topic, remaining, allOthers: subscriber.categories.length === 0, preferencesUrl });
}
