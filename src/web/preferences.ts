import type { Context, Hono } from 'hono';
import type { Cadence } from '../render/view-model.js';
import type { Subscriber } from '../store/store.js';
import { plainLine } from '../text.js';
import type { WebContext } from './context.js';
import { formToken, formTokenValid } from './form-token.js';
import { badRequest, cadenceOptions, field, pickTopics, sendPage, topicOptions, withSignedLink } from './respond.js';

/**
 * Preferences from the signed link in every email: name, topics, cadence, unsubscribe and
 * resubscribe. The link itself proves the reader owns the address, so resubscribing after
 * leaving needs no second confirmation. Every POST is idempotent: repeating it changes nothing more.
 */
export function preferencesRoutes(web: Hono, ctx: WebContext): void {
  web.get('/preferences', (c) => sendPage(ctx, c, 'link-help', 'Preferences', { heading: 'Your preferences', action: 'preferences' }));
  web.get('/preferences/:token', withSignedLink(ctx, 'preferences', (c, subscriber) => preferencesPage(ctx, c, subscriber)));
  web.post('/preferences/:token', withSignedLink(ctx, 'preferences', (c, subscriber) => submit(ctx, c, subscriber)));
}

async function submit(ctx: WebContext, c: Context, subscriber: Subscriber): Promise<Response> {
  const body = await c.req.parseBody({ all: true });
  if (!formTokenValid(ctx, field(body, 'form'), subscriber.id)) return badRequest(ctx, c, 'This form is too old. Open the preferences link again.');
  const action = field(body, 'action');
  if (action === 'save') return save(ctx, c, subscriber, body);
  if (action === 'unsubscribe' || action === 'resubscribe') return changeStatus(ctx, c, subscriber, action);
  return badRequest(ctx, c, 'Use one of the buttons on the preferences page.');
}

async function preferencesPage(ctx: WebContext, c: Context, subscriber: Subscriber, extra: { notice?: string; error?: string } = {}, status: 200 | 400 = 200): Promise<Response> {
  return sendPage(
    ctx,
    c,
    'preferences',
    'Your preferences',
    {
      subscriber: { email: subscriber.email, name: subscriber.name },
      receiving: subscriber.status === 'active',
      pending: subscriber.status === 'pending',
      topics: topicOptions(await offeredTopics(ctx, subscriber), subscriber.categories),
      stopped: subscriber.excludedCategories.map((value, index) => ({ value, id: `stopped-${index}` })),
      cadences: cadenceOptions(ctx, subscriber.cadence),
      showCadences: ctx.cadences.length > 1 || !ctx.cadences.includes(subscriber.cadence),
      form: formToken(ctx, subscriber.id),
      ...extra,
    },
    status,
  );
}

async function save(ctx: WebContext, c: Context, subscriber: Subscriber, body: Record<string, unknown>): Promise<Response> {
  const name = plainLine(field(body, 'name'));
  const cadence = (field(body, 'cadence') || subscriber.cadence) as Cadence;
  if (name.length > 100) return preferencesPage(ctx, c, subscriber, { error: 'Please shorten the name to at most 100 characters.' }, 400);
  if (!ctx.cadences.includes(cadence) && cadence !== subscriber.cadence) return preferencesPage(ctx, c, subscriber, { error: 'Choose one of the offered cadences.' }, 400);
  const categories = pickTopics(body['topics'], await ctx.topics(), subscriber.categories);
  // A stopped topic stays stopped unless its "resume" box is ticked (or it is chosen again).
  const resumed = new Set([...pickTopics(body['resume'], [], subscriber.excludedCategories), ...categories].map((t) => t.toLowerCase()));
  const excludedCategories = subscriber.excludedCategories.filter((t) => !resumed.has(t.toLowerCase()));
  await ctx.app.store.updatePreferences(subscriber.id, { name, categories, excludedCategories, cadence });
  ctx.app.logger.info('subscriber.preferences_saved', { subscriber: subscriber.id });
  const updated = (await ctx.app.store.getSubscriber(subscriber.id)) ?? subscriber;
  return preferencesPage(ctx, c, updated, { notice: 'Your preferences are saved.' });
}

async function changeStatus(ctx: WebContext, c: Context, subscriber: Subscriber, action: 'unsubscribe' | 'resubscribe'): Promise<Response> {
  const status = action === 'unsubscribe' ? 'unsubscribed' : 'active';
  if (await ctx.app.store.setStatus(subscriber.id, status, ctx.app.now())) {
    ctx.app.logger.info(action === 'unsubscribe' ? 'subscriber.unsubscribed' : 'subscriber.resubscribed', { subscriber: subscriber.id, via: 'preferences' });
  }
  const updated = (await ctx.app.store.getSubscriber(subscriber.id)) ?? subscriber;
  const notice = action === 'unsubscribe' ? 'You are unsubscribed: no more digests will be sent to you.' : 'Welcome back: you will receive the next digest.';
  return preferencesPage(ctx, c, updated, { notice });
}

/** The topic checkboxes: the offered topics less the stopped ones (those are listed apart, to resume). */
async function offeredTopics(ctx: WebContext, subscriber: Subscriber): Promise<string[]> {
  const stopped = new Set(subscriber.excludedCategories.map((t) => t.toLowerCase()));
  return (await ctx.pickerTopics()).filter((t) => !stopped.has(t.toLowerCase()));
}
