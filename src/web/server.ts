import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import { serve } from '@hono/node-server';
import { Hono } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import type { App } from '../app.js';
import { isDigestError } from '../errors.js';
import { webhookRoutes } from '../bounces/webhooks/routes.js';
import { archiveRoutes } from './archive.js';
import { createWebContext, type WebContext, type WebOptions } from './context.js';
import { preferencesRoutes } from './preferences.js';
import { badRequest, sendPage } from './respond.js';
import { signupRoutes } from './signup.js';
import { unsubscribeRoutes } from './unsubscribe.js';

/**
 * The public web server: sign-up, confirmation, one-click unsubscribe, preferences and the
 * archive, server-rendered from templates/web/. `createWebApp` builds the Hono app (mount it
 * anywhere); `startWebServer` listens and returns its URL and a `close()` that drains.
 */
export interface WebServerOptions extends WebOptions {
  /** Extra routes registered before the web's own (e.g. a health check). */
  routes?: ((web: Hono) => void)[];
}

export interface RunningWebServer {
  /** A URL that reaches the server from this machine (localhost when bound to every interface). */
  url: string;
  /** The address actually bound, e.g. `http://0.0.0.0:8080/` or `http://[::]:8080/` (every interface). */
  bound: string;
  /** Says where the server listens, and that email links use PUBLIC_URL instead. */
  describe(publicUrl: string): string;
  port: number;
  /** Resolves once the work queued after answers (recording sign-ups, sending their mail) is done. */
  idle(): Promise<void>;
  /** Stops listening, ends idle connections and waits for queued sign-up mail. */
  close(): Promise<void>;
}

const PAGE_CSP = "default-src 'none'; style-src 'self'; img-src 'self' data:; form-action 'self'; base-uri 'none'; frame-ancestors 'none'";

export function createWebApp(app: App, options: WebServerOptions = {}): Hono {
  return buildWeb(app, options).web;
}

/** Every route, in one place: add a line here (or pass `routes`) to mount more. */
export function registerRoutes(web: Hono, ctx: WebContext): void {
  web.get('/assets/site.css', async (c) => {
    c.header('Content-Type', 'text/css; charset=utf-8');
    c.header('Cache-Control', 'public, max-age=3600');
    return c.body((await ctx.pages()).css);
  });
  web.get('/favicon.ico', (c) => c.body(null, 204));
  signupRoutes(web, ctx);
  unsubscribeRoutes(web, ctx);
  preferencesRoutes(web, ctx);
  archiveRoutes(web, ctx);
  webhookRoutes(web, ctx.app);
}

function buildWeb(app: App, options: WebServerOptions): { web: Hono; ctx: WebContext } {
  const ctx = createWebContext(app, options);
  const web = new Hono();
  web.use('*', async (c, next) => {
    const started = performance.now();
    await next();
    // The route pattern (/unsubscribe/:token), never the path: tokens must not become labels.
    app.metrics.httpRequest(c.req.method, c.req.routePath, c.res.status, (performance.now() - started) / 1000);
    // Tokens are in URLs: never leak them in a Referer, never let a shared cache keep a page.
    c.header('Referrer-Policy', 'no-referrer');
    c.header('X-Content-Type-Options', 'nosniff');
    c.header('X-Frame-Options', 'DENY');
    if (!c.res.headers.has('Content-Security-Policy')) c.header('Content-Security-Policy', PAGE_CSP);
    if (!c.res.headers.has('Cache-Control')) c.header('Cache-Control', 'no-store');
  });
  const formLimit = bodyLimit({ maxSize: 32 * 1024, onError: (c) => c.text('The form was too large.', 413) });
  // Provider webhooks carry reports larger than a form; their routes set their own limit.
  web.use('*', (c, next) => (c.req.path.startsWith('/webhooks/') ? next() : formLimit(c, next)));
  // A form body that cannot be parsed (multipart without a boundary, or cut short) is the sender's
  // fault: 400 before any handler runs, so nothing changes. Hono keeps the parsed form for them.
  // (Webhooks read their own bodies under their own limit.)
  web.use('*', async (c, next) => {
    const form = /^\s*(multipart\/form-data|application\/x-www-form-urlencoded)/i.test(c.req.header('content-type') ?? '');
    if (c.req.method === 'POST' && form && !c.req.path.startsWith('/webhooks/')) {
      const parsed = await c.req.parseBody().then(
        () => true,
        () => false,
      );
      if (!parsed) return badRequest(ctx, c, 'The form could not be read (a multipart body without its boundary, or cut short). Please send it again.');
    }
    await next();
  });
  for (const add of options.routes ?? []) add(web);
  registerRoutes(web, ctx);
  web.notFound((c) => sendPage(ctx, c, 'message', 'Not found', { heading: 'Page not found', message: 'There is nothing at this address.' }, 404));
  web.onError((error, c) => {
    app.logger.error('web.error', { path: c.req.path, error: isDigestError(error) ? error.describe() : String(error) });
    return c.text('Something went wrong on our side. Please try again later.', 500);
  });
  return { web, ctx };
}

export async function startWebServer(app: App, port = app.config.port, options: WebServerOptions & { hostname?: string } = {}): Promise<RunningWebServer> {
  const { web, ctx } = buildWeb(app, options);
  await ctx.pages(); // a broken template fails at start, not on the first visitor
  const server = await new Promise<Server>((resolve, reject) => {
    const s = serve({ fetch: web.fetch, port, ...(options.hostname ? { hostname: options.hostname } : {}) }, () => resolve(s as Server)) as Server;
    s.once('error', reject);
  });
  const address = server.address() as AddressInfo;
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  const everywhere = host === '0.0.0.0' || host === '[::]';
  const url = `http://${everywhere ? 'localhost' : host}:${address.port}/`;
  const bound = `http://${host}:${address.port}/`;
  return {
    url,
    bound,
    describe: (publicUrl) =>
      `${bound}${everywhere ? ` (every interface; from this machine ${url})` : ''}; pages use relative links, links in emails use PUBLIC_URL ${publicUrl}`,
    port: address.port,
    idle: () => ctx.settle(),
    async close() {
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeIdleConnections();
      });
      await ctx.settle();
    },
  };
}
