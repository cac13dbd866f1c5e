import { messageOf } from '../errors.js';
import { isWebUrl } from './sources.js';

/**
 * One HTTP(S) request for a feed, with the limits a server we do not control needs: a deadline
 * for the whole exchange (redirects and body included), a size limit counted after
 * decompression, at most five redirects, http/https only, and a conditional GET from the
 * validators of the last good fetch.
 */
export interface FetchLimits {
  timeoutMs: number;
  maxBytes: number;
  userAgent: string;
}

export interface Validators {
  etag: string | null;
  lastModified: string | null;
}

export type FetchOutcome =
  | { kind: 'ok'; text: string; url: string; etag: string | null; lastModified: string | null }
  | { kind: 'not-modified' };

export class FeedFetchError extends Error {}

export const MAX_REDIRECTS = 5;
const ACCEPT = 'application/rss+xml, application/atom+xml, application/feed+json, application/rdf+xml, application/xml;q=0.9, text/xml;q=0.9, application/json;q=0.8, */*;q=0.1';

export async function fetchFeed(url: string, validators: Validators | undefined, limits: FetchLimits): Promise<FetchOutcome> {
  const signal = AbortSignal.timeout(limits.timeoutMs);
  try {
    let current = url;
    for (let redirects = 0; ; redirects += 1) {
      const response = await fetch(current, { redirect: 'manual', signal, headers: requestHeaders(validators, limits.userAgent) });
      const location = response.headers.get('location');
      if (response.status >= 300 && response.status < 400 && response.status !== 304 && location) {
        await response.body?.cancel();
        if (redirects >= MAX_REDIRECTS) throw new FeedFetchError(`more than ${MAX_REDIRECTS} redirects (last to ${location.slice(0, 200)})`);
        const next = new URL(location, current).href;
        if (!isWebUrl(next)) throw new FeedFetchError(`redirected to ${next.slice(0, 200)}, which is not an http:// or https:// address`);
        current = next;
        continue;
      }
      if (response.status === 304) {
        await response.body?.cancel();
        return { kind: 'not-modified' };
      }
      if (!response.ok) {
        await response.body?.cancel();
        throw new FeedFetchError(`the server answered ${response.status} ${response.statusText}`.trim());
      }
      const text = decode(await readLimited(response, limits.maxBytes), response.headers.get('content-type'));
      return { kind: 'ok', text, url: current, etag: response.headers.get('etag'), lastModified: response.headers.get('last-modified') };
    }
  } catch (error) {
    if (error instanceof FeedFetchError) throw error;
    if (signal.aborted) throw new FeedFetchError(`no complete answer within ${limits.timeoutMs / 1000} s (FEEDS_TIMEOUT_SECONDS)`);
    throw new FeedFetchError(`cannot be fetched: ${describeNetworkError(error)}`);
  }
}

function requestHeaders(validators: Validators | undefined, userAgent: string): Record<string, string> {
  return {
    'user-agent': userAgent,
    accept: ACCEPT,
    'accept-encoding': 'gzip, deflate, br',
    ...(validators?.etag ? { 'if-none-match': validators.etag } : {}),
    ...(validators?.lastModified ? { 'if-modified-since': validators.lastModified } : {}),
  };
}

/** The body, decompressed, refused as soon as it passes the limit (a decompression bomb included). */
async function readLimited(response: Response, maxBytes: number): Promise<Uint8Array> {
  const declared = Number(response.headers.get('content-length'));
  if (!response.headers.get('content-encoding') && Number.isFinite(declared) && declared > maxBytes) {
    await response.body?.cancel();
    throw tooLarge(maxBytes);
  }
  if (!response.body) return new Uint8Array();
  const chunks: Uint8Array[] = [];
  let total = 0;
  const reader = response.body.getReader();
  for (let chunk = await reader.read(); !chunk.done; chunk = await reader.read()) {
    total += chunk.value.byteLength;
    if (total > maxBytes) {
      await reader.cancel();
      throw tooLarge(maxBytes);
    }
    chunks.push(chunk.value);
  }
  return Buffer.concat(chunks);
}

const tooLarge = (maxBytes: number) => new FeedFetchError(`is larger than ${(maxBytes / 1024 / 1024).toFixed(1)} MB (FEEDS_MAX_MB)`);

/** The charset of the Content-Type, else of the XML declaration, else UTF-8. */
function decode(bytes: Uint8Array, contentType: string | null): string {
  const head = Buffer.from(bytes.subarray(0, 200)).toString('latin1');
  const label = /charset="?([\w.:-]+)/i.exec(contentType ?? '')?.[1] ?? /^<\?xml[^>]*encoding=["']([\w.:-]+)/i.exec(head)?.[1] ?? 'utf-8';
  try {
    return new TextDecoder(label).decode(bytes);
  } catch {
    return new TextDecoder('utf-8').decode(bytes);
  }
}

function describeNetworkError(error: unknown): string {
  const cause = (error as { cause?: { code?: string; message?: string } }).cause;
  return cause?.code ? `${cause.code}${cause.message ? ` (${cause.message})` : ''}` : messageOf(error);
}
