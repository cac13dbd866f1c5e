import { randomBytes } from 'node:crypto';
import { Hono, type Context } from 'hono';
import type { Config } from '../config.js';
import { editionPage, editionsPage } from './editions-page.js';
import type { EventHub } from './events.js';
import { buildModel, parseQuery, previewApp, toPageError, type PageError } from './model.js';
import { layout, previewPage, type PageContext } from './page.js';
import { html } from './html.js';
import { hostGuard, pageHeaders, rawPathGuard, readBody, sameOriginWithToken } from './security.js';
import { sendTest } from './test-send.js';
import { editionBounceStats } from '../bounces/stats.js';

/**
 * The preview's routes, and nothing else: no static files are served, so no path (`..`, `%2e%2e`,
 * `%2f`) can reach the disk. Pages are rendered per request from a fresh dry-run App.
 */
export interface RouteDeps {
  loadConfig: () => Config;
  token: string;
  port: () => number;
  events: EventHub;
}

const MAX_EDITIONS_LISTED = 200;

export function previewRoutes(deps: RouteDeps): Hono {
  const app = new Hono();
  app.use('*', rawPathGuard(), hostGuard(deps.port));
  app.get('/', async (c) => {
    const model = await buildModel(deps.loadConfig, parseQuery(new URL(c.req.url).searchParams));
    return page(c, deps, (ctx) => previewPage(ctx, model));
  });
  app.get('/message.eml', async (c) => {
    const model = await buildModel(deps.loadConfig, parseQuery(new URL(c.req.url).searchParams));
    const message = model.result?.message;
    if (!message) return c.text(model.error?.message ?? 'Nothing to send: there is no message to download.', 404);
    const headers = { 'Content-Type': 'message/rfc822', 'Content-Disposition': `attachment; filename="digest-${message.number}.eml"`, 'Cache-Control': 'no-store', 'X-Content-Type-Options': 'nosniff' };
    return c.body(new Uint8Array(message.eml), 200, headers);
  });
  app.get('/events', () => deps.events.response());
  app.post('/send-test', sameOriginWithToken(deps.port, deps.token), async (c) => {
    const body = await readBody(c);
    const params = new URLSearchParams();
    for (const [key, value] of Object.entries(body)) for (const v of [value].flat()) if (typeof v === 'string') params.append(key, v);
    const result = await sendTestSafely(deps.loadConfig, params);
    return c.json({ ok: result.ok, message: result.message }, result.status);
  });
  app.get('/editions', async (c) => {
    const { editions, error } = await withEditions(deps.loadConfig, async (store) => {
      const list = await store.listEditions(MAX_EDITIONS_LISTED);
      return { list, bounces: await editionBounceStats(store, list.map((e) => e.number)) };
    });
    return page(c, deps, (ctx) => editionsPage(ctx, editions?.list ?? [], error, editions?.bounces));
  });
  app.get('/editions/:number{[0-9]{1,9}}', async (c) => {
    const number = Number(c.req.param('number'));
    const { editions: edition, error, config } = await withEditions(deps.loadConfig, (store) => store.getEdition(number));
    if (!edition || !config) return page(c, deps, (ctx) => editionsPage(ctx, [], error ?? { kind: 'Not found', message: `There is no edition #${number}.`, problems: [] }), 404);
    return page(c, deps, (ctx) => editionPage(ctx, edition, config.publicUrl));
  });
  app.notFound((c) => c.text('Not found: the preview serves only its own pages.', 404, { 'Cache-Control': 'no-store' }));
  app.onError((error, c) => page(c, deps, (ctx) => layout(ctx, 'Preview error', html`<div class="layout"><main><div class="error" role="alert">${toPageError(error).message}</div></main></div>`), 500));
  return app;
}

function page(c: Context, deps: RouteDeps, render: (ctx: PageContext) => string, status: 200 | 404 | 500 = 200): Response {
  const nonce = randomBytes(16).toString('base64');
  return c.html(render({ token: deps.token, nonce }), status, pageHeaders(nonce));
}

async function sendTestSafely(loadConfig: () => Config, params: URLSearchParams) {
  let config: Config;
  try {
    config = loadConfig();
  } catch (error) {
    return { ok: false, status: 400 as const, message: toPageError(error).message };
  }
  return sendTest(config, parseQuery(params), params.get('to') ?? '');
}

async function withEditions<T>(
  loadConfig: () => Config,
  read: (store: Awaited<ReturnType<typeof previewApp>>['store']) => Promise<T>,
): Promise<{ editions?: T; error?: PageError; config?: Config }> {
  try {
    const config = loadConfig();
    const app = await previewApp(config);
    try {
      return { editions: await read(app.store), config };
    } finally {
      await app.close();
    }
  } catch (error) {
    return { error: toPageError(error) };
  }
}
