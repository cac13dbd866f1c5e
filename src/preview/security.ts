import { randomBytes, timingSafeEqual } from 'node:crypto';
import type { Context, MiddlewareHandler } from 'hono';

/**
 * The preview listens on 127.0.0.1 only, and still treats the browser as shared territory:
 * - Host must name this server (a DNS-rebinding page elsewhere can't read it as its own origin);
 * - anything that sends mail needs the per-session token embedded in the page and, when the
 *   browser says where the request comes from, that origin must be this server;
 * - every page carries a strict Content-Security-Policy; the email itself is in a sandboxed iframe.
 */
export function sessionToken(): string {
  return randomBytes(24).toString('base64url');
}

export function tokenMatches(expected: string, given: string | undefined): boolean {
  if (!given) return false;
  const a = Buffer.from(expected);
  const b = Buffer.from(given);
  return a.length === b.length && timingSafeEqual(a, b);
}

/** Host names this server answers to, given its port. */
function allowedHosts(port: () => number): Set<string> {
  const p = port();
  return new Set([`127.0.0.1:${p}`, `localhost:${p}`]);
}

export function hostGuard(port: () => number): MiddlewareHandler {
  return async (c, next) => {
    const host = (c.req.header('host') ?? '').toLowerCase();
    if (!allowedHosts(port).has(host)) return c.text('Unknown host: open the preview at the address `digest preview` printed.', 421);
    await next();
  };
}

/**
 * Refuses dot segments and encoded separators before any routing: `..`, `%2e%2e`, `.%2e`, `%2f`,
 * `%5c`, backslashes and NUL. URL parsers would quietly resolve `/editions/%2e%2e` to `/`; the
 * preview answers such paths with 400 instead, whatever they would have matched.
 */
const SUSPICIOUS_PATH = /(?:^|\/)(?:\.|%2e){1,2}(?:\/|$|\?)|%2f|%5c|\\|%00|\0/i;

export function rawPathGuard(): MiddlewareHandler {
  return async (c, next) => {
    const incoming = (c.env as { incoming?: { url?: string } } | undefined)?.incoming;
    const rawPath = (incoming?.url ?? new URL(c.req.url).pathname).split('?')[0] ?? '';
    if (SUSPICIOUS_PATH.test(rawPath) || rawPath.includes('//')) return c.text('Bad request: the preview serves only its own pages.', 400);
    await next();
  };
}

/** For state-changing requests: same origin (when the browser tells) and the session token. */
export function sameOriginWithToken(port: () => number, token: string): MiddlewareHandler {
  return async (c, next) => {
    const origin = c.req.header('origin');
    const foreignOrigin = origin !== undefined && (!/^http:\/\//i.test(origin) || !allowedHosts(port).has(origin.slice(7).toLowerCase()));
    if (foreignOrigin || c.req.header('sec-fetch-site') === 'cross-site') return c.json({ ok: false, message: 'Refused: request from another site.' }, 403);
    const supplied = c.req.header('x-preview-token') ?? String((await readBody(c)).token ?? '');
    if (!tokenMatches(token, supplied)) return c.json({ ok: false, message: 'Refused: missing or wrong session token; reload the preview page.' }, 403);
    await next();
  };
}

/** The request body as fields, JSON or form-encoded (Hono caches it, so handlers may read it again). */
export async function readBody(c: Context): Promise<Record<string, unknown>> {
  const type = c.req.header('content-type') ?? '';
  try {
    if (type.includes('application/json')) {
      const body: unknown = await c.req.json();
      return body && typeof body === 'object' && !Array.isArray(body) ? (body as Record<string, unknown>) : {};
    }
    if (type.includes('form')) return (await c.req.parseBody({ all: true })) as Record<string, unknown>;
  } catch {
    return {};
  }
  return {};
}

export function pageHeaders(nonce: string): Record<string, string> {
  return {
    'Content-Security-Policy': [
      "default-src 'none'",
      `script-src 'nonce-${nonce}'`,
      "style-src 'unsafe-inline'",
      'img-src https: http: data:',
      'font-src https: data:',
      "connect-src 'self'",
      "form-action 'self'",
      "base-uri 'none'",
      "frame-ancestors 'none'",
    ].join('; '),
    'X-Content-Type-Options': 'nosniff',
    'Referrer-Policy': 'no-referrer',
    'Cache-Control': 'no-store',
  };
}
