import type { Context, Hono } from 'hono';
import { checkAddress } from '../mail/address.js';
import type { Cadence } from '../render/view-model.js';
import type { Subscriber } from '../store/store.js';
import { plainLine } from '../text.js';
import type { WebContext } from './context.js';
import { badRequest, cadenceOptions, field, pageLink, pickTopics, sendPage, topicOptions, withSignedLink } from './respond.js';
import { sendSignupMail, type SignupMailKind } from './signup-mail.js';

/**
 * Sign-up with double opt-in. The answer to a submitted address is always the same "check your
 * inbox" page: a new or former subscriber is mailed a confirmation link, an active one a note
 * with their preferences link, so the page never reveals who is subscribed. Nothing is sent to a
 * pending subscriber until they confirm.
 */
export function signupRoutes(web: Hono, ctx: WebContext): void {
  web.get('/', (c) => signupForm(ctx, c, { email: '', name: '', topics: [], cadence: 'weekly' }));
  web.post('/subscribe', (c) => subscribe(ctx, c));
  web.get('/confirm/:token', withSignedLink(ctx, 'confirm', (c, subscriber) => sendPage(ctx, c, 'confirm', 'Confirm your subscription', { email: subscriber.email, cadence: subscriber.cadence })));
  // Confirming takes a POST: a mail scanner that opens the link must not subscribe anyone.
  web.post('/confirm/:token', withSignedLink(ctx, 'confirm', (c, subscriber) => confirm(ctx, c, subscriber)));
}

/**
 * Applies the sign-up's pending choices and activates, in one transaction, then sends the welcome
 * (after the answer); a repeat changes, logs and sends nothing.
 */
async function confirm(ctx: WebContext, c: Context, subscriber: Subscriber): Promise<Response> {
  if (await ctx.app.store.confirmSubscriber(subscriber.id, ctx.app.now())) {
    ctx.app.logger.info('signup.confirmed', { subscriber: subscriber.id });
    ctx.background(welcome(ctx, subscriber.id));
  }
  return sendPage(ctx, c, 'confirmed', 'You are subscribed', { email: subscriber.email, preferencesUrl: pageLink(ctx, 'preferences', subscriber.id) });
}

interface SignupValues {
  email: string;
  name: string;
  topics: string[];
  cadence: Cadence;
}

async function signupForm(ctx: WebContext, c: Context, values: SignupValues, error?: string, status: 400 | 200 = 200): Promise<Response> {
  return sendPage(
    ctx,
    c,
    'signup',
    'Subscribe',
    {
      values,
      error,
      topics: topicOptions(await ctx.pickerTopics(), values.topics),
      cadences: cadenceOptions(ctx, values.cadence),
      showCadences: ctx.cadences.length > 1,
      // The empty form is the page to find; a form sent back with an error is not.
      ...(error ? {} : { indexAs: 'signup' as const, description: `New posts from ${ctx.app.publication.name}, collected into one email.` }),
    },
    status,
  );
}

async function subscribe(ctx: WebContext, c: Context): Promise<Response> {
  const limit = ctx.signupLimiter.take(ctx.clientAddress(c));
  if (!limit.ok) {
    c.header('Retry-After', String(limit.retryAfterSeconds));
    return sendPage(ctx, c, 'message', 'Too many sign-ups', { heading: 'Please wait a moment', message: `Too many sign-ups from your network. Try again in ${Math.ceil(limit.retryAfterSeconds / 60)} minutes.` }, 429);
  }
  const body = await c.req.parseBody({ all: true });
  const cadence = (field(body, 'cadence') || 'weekly') as Cadence;
  const values: SignupValues = { email: field(body, 'email').trim().slice(0, 300), name: plainLine(field(body, 'name')), topics: pickTopics(body['topics'], await ctx.topics()), cadence };
  if (!ctx.cadences.includes(cadence)) return badRequest(ctx, c, 'Choose one of the offered cadences.');
  const address = checkAddress(values.email);
  if (!address.ok) return signupForm(ctx, c, values, `Please check the email address: it ${address.reason}.`, 400);
  if (values.name.length > 100) return signupForm(ctx, c, values, 'Please shorten the name to at most 100 characters.', 400);
  // Recorded after the answer, so an existing address can't be told apart by how long the answer takes.
  ctx.background(register(ctx, { ...values, email: address.address }));
  return sendPage(ctx, c, 'check-inbox', 'Check your inbox', { email: address.address });
}

/** Records the sign-up and sends the right email; runs after the answer, in the background. */
async function register(ctx: WebContext, values: SignupValues): Promise<void> {
  const { store } = ctx.app;
  const existing = await store.findSubscriber(values.email);
  // Anyone not receiving the digest may sign up again with new choices; they are kept aside and
  // apply only once the confirmation is POSTed, so nobody can change a former subscriber's name
  // or topics by typing their address. An active subscriber's choices never change from here.
  const choices = { name: values.name, categories: values.topics, cadence: values.cadence };
  if (!existing) await store.upsertSubscribers([{ email: values.email, ...choices, status: 'pending' }], ctx.app.now());
  else if (existing.status !== 'active') await store.setPendingChoices(existing.id, choices);
  const subscriber = await store.findSubscriber(values.email);
  if (!subscriber) return;
  const kind: SignupMailKind = subscriber.status === 'active' ? 'already-subscribed' : 'confirm';
  if (!ctx.mailLimiter.take(subscriber.email).ok) {
    ctx.app.logger.warn('signup.mail_throttled', { subscriber: subscriber.id, kind });
    return;
  }
  ctx.app.logger.info('signup.received', { subscriber: subscriber.id, kind });
  await mailWhenReady(ctx, subscriber, kind, kind === 'confirm' ? values.cadence : subscriber.cadence);
}

async function welcome(ctx: WebContext, id: number): Promise<void> {
  const confirmed = await ctx.app.store.getSubscriber(id); // with the choices the confirmation applied
  if (confirmed?.status === 'active') await mailWhenReady(ctx, confirmed, 'welcome', confirmed.cadence);
}

async function mailWhenReady(ctx: WebContext, subscriber: Subscriber, kind: SignupMailKind, cadence: Cadence): Promise<void> {
  await ctx.transportReady();
  await sendSignupMail(ctx.app, await ctx.pages(), subscriber, kind, cadence);
}
