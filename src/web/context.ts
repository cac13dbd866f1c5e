import { join } from 'node:path';
import { getConnInfo } from '@hono/node-server/conninfo';
import type { Context } from 'hono';
import type { App } from '../app.js';
import { collectPosts } from '../posts/collect.js';
import type { Cadence } from '../render/view-model.js';
import type { Subscriber } from '../store/store.js';
import type { TokenPurpose } from '../tokens.js';
import { loadPages, type Pages } from './pages.js';
import { clientKey, tokenBucket, type RateLimiter } from './rate-limit.js';

/** What every route module receives: the app's parts plus the web's own small helpers. */
export interface WebContext {
  app: App;
  pages: () => Promise<Pages>;
  /** The categories found in posts/, sorted; re-read at most once a minute. */
  topics: () => Promise<string[]>;
  /** Weekly always; daily and monthly when the operator gave them a schedule. */
  cadences: Cadence[];
  signupLimiter: RateLimiter;
  /** Confirmation mails per address, so nobody can use the form to flood someone's inbox. */
  mailLimiter: RateLimiter;
  /** An absolute link under PUBLIC_URL. */
  link: (path: string) => string;
  /** The client's rate-limit key: its IPv4 address or its IPv6 /64. */
  clientAddress: (c: Context) => string;
  /** The subscriber a signed link names, or undefined for any bad, expired or unknown token. */
  subscriberFor: (purpose: TokenPurpose, token: string) => Promise<Subscriber | undefined>;
  /** Verifies the transport once (creates the outbox folder, logs in to SMTP); retried after a failure. */
  transportReady: () => Promise<void>;
  /** Work that outlives the answer (sending mail); `settle()` waits for all of it. */
  background: (work: Promise<unknown>) => void;
  settle: () => Promise<void>;
}

export interface WebOptions {
  /** Sign-up rate limit per client address: a burst, then one more every `refillMs`. */
  signupBurst?: number;
  signupRefillMs?: number;
}

const TOPICS_TTL_MS = 60_000;

export function createWebContext(app: App, options: WebOptions = {}): WebContext {
  const { config } = app;
  let pages: Promise<Pages> | undefined;
  let topics: { at: number; list: Promise<string[]> } | undefined;
  const pending = new Set<Promise<unknown>>();
  let verified: Promise<void> | undefined;
  return {
    app,
    pages: () => (pages ??= loadPages(join(config.templatesDir, 'web'))),
    topics() {
      const now = Date.now();
      if (!topics || now - topics.at > TOPICS_TTL_MS) topics = { at: now, list: loadTopics(app) };
      return topics.list;
    },
    cadences: ['weekly', ...(config.dailySchedule ? ['daily' as const] : []), ...(config.monthlySchedule ? ['monthly' as const] : [])],
    signupLimiter: tokenBucket({ burst: options.signupBurst ?? 5, refillMs: options.signupRefillMs ?? 120_000, now: () => app.now().getTime() }),
    mailLimiter: tokenBucket({ burst: 3, refillMs: 20 * 60_000, now: () => app.now().getTime() }),
    link: (path) => new URL(path, config.publicUrl).href,
    clientAddress: (c) => clientAddress(c, config.trustProxy),
    async subscriberFor(purpose, token) {
      const id = app.signer.verify(purpose, token, app.now());
      return id === undefined ? undefined : app.store.getSubscriber(id);
    },
    transportReady() {
      verified ??= app.transport.verify().catch((error: unknown) => {
        verified = undefined;
        throw error;
      });
      return verified;
    },
    background(work) {
      const tracked = work.catch((error: unknown) => app.logger.error('web.background_failed', { error: String(error) })).finally(() => pending.delete(tracked));
      pending.add(tracked);
    },
    async settle() {
      while (pending.size > 0) await Promise.all([...pending]);
    },
  };
}

async function loadTopics(app: App): Promise<string[]> {
  const { posts } = await collectPosts(app.config.postsDir, { timezone: app.config.timezone, siteUrl: app.config.siteUrl });
  const byKey = new Map<string, string>();
  for (const post of posts) for (const category of post.categories) if (!byKey.has(category.toLowerCase())) byKey.set(category.toLowerCase(), category);
  return [...byKey.values()].sort((a, b) => a.localeCompare(b));
}

function clientAddress(c: Context, trustProxy: boolean): string {
  if (trustProxy) {
    const forwarded = c.req.header('x-forwarded-for')?.split(',').pop()?.trim();
    if (forwarded) return clientKey(forwarded);
  }
  try {
    return clientKey(getConnInfo(c).remote.address ?? 'unknown');
  } catch {
    return 'unknown';
  }
}
