import { join } from 'node:path';
import { getConnInfo } from '@hono/node-server/conninfo';
import type { Context } from 'hono';
import type { App } from '../app.js';
import { enabledCadences } from '../config.js';
import { gatherPosts } from '../feeds/gather.js';
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
  /**
   * The topics offered in the pickers: `topics()` without a category every post carries (the
   * blog's section), which would select nothing.
   */
  pickerTopics: () => Promise<string[]>;
  /** Weekly always; daily and monthly when the operator gave them a schedule. */
  cadences: Cadence[];
  signupLimiter: RateLimiter;
  /** Confirmation mails per address, so nobody can use the form to flood someone's inbox. */
  mailLimiter: RateLimiter;
  /** An absolute link under PUBLIC_URL (emails, the Atom feed). */
  link: (path: string) => string;
  /**
   * A root-relative link for the pages' own forms, assets and navigation: PUBLIC_URL's path (`/`,
   * or `/digest/` behind a proxy that strips it) plus `path`, so pages work on any host and port.
   */
  pageHref: (path: string) => string;
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
  let topics: { at: number; list: Promise<{ all: string[]; picker: string[] }> } | undefined;
  const loaded = () => {
    const now = Date.now();
    if (!topics || now - topics.at > TOPICS_TTL_MS) topics = { at: now, list: loadTopics(app) };
    return topics.list;
  };
  const pending = new Set<Promise<unknown>>();
  let verified: Promise<void> | undefined;
  return {
    app,
    pages: () => (pages ??= loadPages(join(config.templatesDir, 'web'))),
    topics: async () => (await loaded()).all,
    pickerTopics: async () => (await loaded()).picker,
    cadences: enabledCadences(config),
    signupLimiter: tokenBucket({ burst: options.signupBurst ?? 5, refillMs: options.signupRefillMs ?? 120_000, now: () => app.now().getTime() }),
    mailLimiter: tokenBucket({ burst: 3, refillMs: 20 * 60_000, now: () => app.now().getTime() }),
    link: (path) => new URL(path, config.publicUrl).href,
    pageHref: (path) => `${new URL(config.publicUrl).pathname.replace(/\/?$/, '/')}${path}`,
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

async function loadTopics(app: App): Promise<{ all: string[]; picker: string[] }> {
  // Feed items as last fetched (a page view never waits for a feed).
  const { posts } = await gatherPosts(app, { refresh: false });
  const byKey = new Map<string, string>();
  const carriedBy = new Map<string, number>();
  for (const post of posts) {
    for (const category of post.categories) {
      const key = category.toLowerCase();
      if (!byKey.has(key)) byKey.set(key, category);
      carriedBy.set(key, (carriedBy.get(key) ?? 0) + 1);
    }
  }
  const all = [...byKey.values()].sort((a, b) => a.localeCompare(b));
  // With a single topic there is nothing to tell apart, so nothing is hidden.
  const picker = all.length > 1 ? all.filter((c) => carriedBy.get(c.toLowerCase()) !== posts.length) : all;
  return { all, picker };
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
