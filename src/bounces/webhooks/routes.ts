import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import type { Context, Hono } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import type { App } from '../../app.js';
import type { BounceSource, DeliveryRef } from '../../store/store.js';
import { bounceDeps, recordFinding, type BounceDeps, type Outcome } from '../record.js';
import { mailgunEvents, postmarkEvents, sesEvents, type ProviderEvent } from './providers.js';
import { trustedUrl, verifySnsMessage, WebhookRefused } from './sns.js';

/**
 * Provider webhooks on the public web server, each answering 404 unless configured: Amazon SES
 * through SNS (certificate-verified signature, subscription confirmed), Postmark (HTTP Basic
 * credentials in the webhook URL, its scheme) and Mailgun (HMAC-SHA256 signing key). A post that
 * fails its check is refused with 403 and changes nothing.
 */
const MAX_BODY = 1024 * 1024;
const MAILGUN_MAX_SKEW_MS = 15 * 60_000;

export function webhookRoutes(web: Hono, app: App): void {
  const settings = app.config.bounces;
  const limit = bodyLimit({ maxSize: MAX_BODY, onError: (c) => c.text('Too large.', 413) });
  web.post('/webhooks/ses', limit, (c) =>
    settings.sesTopicArn ? handle(c, app, 'ses', async (body) => sesHandler(app, settings.sesTopicArn as string, body)) : c.notFound(),
  );
  web.post('/webhooks/postmark', limit, (c) => {
    if (!settings.postmarkCredentials) return c.notFound();
    if (!sameSecret(basicCredentials(c.req.header('authorization')), settings.postmarkCredentials)) return refuse(c, app, 'postmark', 'wrong or missing Basic credentials');
    return handle(c, app, 'postmark', async (body) => postmarkEvents(asObject(body)));
  });
  web.post('/webhooks/mailgun', limit, (c) =>
    settings.mailgunSigningKey ? handle(c, app, 'mailgun', async (body) => mailgunHandler(app, settings.mailgunSigningKey as string, asObject(body))) : c.notFound(),
  );
}

async function handle(c: Context, app: App, source: BounceSource, events: (body: unknown) => Promise<ProviderEvent[]>): Promise<Response> {
  let body: unknown;
  try {
    body = JSON.parse(await c.req.text());
  } catch {
    return c.text('The body is not JSON.', 400);
  }
  let found: ProviderEvent[];
  try {
    found = await events(body);
  } catch (error) {
    if (error instanceof WebhookRefused) return refuse(c, app, source, error.message);
    throw error;
  }
  const deps = bounceDeps(app);
  const outcomes: Outcome[] = [];
  for (const event of found) outcomes.push(await applyEvent(deps, event, source));
  const count = (result: Outcome['result']) => outcomes.filter((o) => o.result === result).length;
  return c.json({ recorded: count('recorded'), duplicate: count('duplicate'), ignored: count('ignored') });
}

function refuse(c: Context, app: App, source: BounceSource, why: string): Response {
  app.logger.warn('webhook.refused', { source, why });
  return c.text('Refused: the request is not signed by the configured provider.', 403);
}

/** The provider's own authentication makes the address trustworthy here, unlike in a mailed report. */
async function applyEvent(deps: BounceDeps, event: ProviderEvent, source: BounceSource): Promise<Outcome> {
  const id = event.verp ? deps.verp?.parse(event.verp) : undefined;
  let ref: DeliveryRef | undefined = id ? await deps.store.getDeliveryRef(id.edition, id.subscriberId) : undefined;
  if (!ref && event.messageId) ref = await deps.store.findDelivery({ messageId: event.messageId });
  ref ??= await deps.store.findDelivery({ email: event.email });
  if (!ref) {
    deps.logger.info('bounce.ignored', { source, why: 'no delivery to that address' });
    return { result: 'ignored', why: `no delivery to ${event.email}` };
  }
  return recordFinding(deps, ref, event.finding, event.key, source);
}

async function sesHandler(app: App, topicArn: string, body: unknown): Promise<ProviderEvent[]> {
  const message = await verifySnsMessage(body, { topicArn, origins: app.snsCertificateOrigins, now: app.now });
  if (message.Type === 'SubscriptionConfirmation') {
    const url = trustedUrl(message.SubscribeURL ?? '', app.snsCertificateOrigins, 'SubscribeURL');
    const response = await fetch(url, { redirect: 'error', signal: AbortSignal.timeout(10_000) });
    if (!response.ok) throw new Error(`confirming the SNS subscription failed: HTTP ${response.status}`);
    app.logger.info('webhook.sns_subscribed', { topic: message.TopicArn });
    return [];
  }
  if (message.Type !== 'Notification') return [];
  let inner: unknown;
  try {
    inner = JSON.parse(message.Message);
  } catch {
    return [];
  }
  return sesEvents(message.MessageId, asObject(inner));
}

async function mailgunHandler(app: App, key: string, body: Record<string, unknown>): Promise<ProviderEvent[]> {
  const signature = asObject(body['signature']);
  const timestamp = String(signature['timestamp'] ?? '');
  const token = String(signature['token'] ?? '');
  const given = String(signature['signature'] ?? '');
  const expected = createHmac('sha256', key).update(timestamp + token).digest('hex');
  if (!/^[0-9a-f]{64}$/.test(given) || !timingSafeEqual(Buffer.from(given), Buffer.from(expected))) throw new WebhookRefused('the Mailgun signature does not match');
  if (!/^\d{1,12}$/.test(timestamp) || Math.abs(app.now().getTime() - Number(timestamp) * 1000) > MAILGUN_MAX_SKEW_MS) throw new WebhookRefused('the Mailgun timestamp is more than 15 minutes off');
  return mailgunEvents(asObject(body['event-data']));
}

function basicCredentials(header: string | undefined): string {
  const match = /^Basic\s+([A-Za-z0-9+/=]+)$/i.exec(header ?? '');
  return match ? Buffer.from(match[1] ?? '', 'base64').toString('utf8') : '';
}

/** Constant-time comparison of two secrets of any length (their digests are compared). */
function sameSecret(given: string, expected: string): boolean {
  const digest = (v: string) => createHash('sha256').update(v).digest();
  return timingSafeEqual(digest(given), digest(expected)) && given.length > 0;
}

function asObject(value: unknown): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new WebhookRefused('the body is not a JSON object');
  return value as Record<string, unknown>;
}
