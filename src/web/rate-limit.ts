/**
 * A token bucket per client address, in memory: right for one instance. Several instances behind
 * a load balancer each keep their own buckets, so the effective limit multiplies by their number.
 */
export interface RateLimiter {
  /** Takes one token; false (and the seconds until the next token) when the bucket is empty. */
  take(key: string): { ok: true } | { ok: false; retryAfterSeconds: number };
}

const MAX_KEYS = 10_000;

export function tokenBucket(options: { burst: number; refillMs: number; now: () => number }): RateLimiter {
  const buckets = new Map<string, { tokens: number; at: number }>();
  return {
    take(key) {
      const now = options.now();
      const bucket = buckets.get(key) ?? { tokens: options.burst, at: now };
      const refilled = Math.min(options.burst, bucket.tokens + Math.max(0, now - bucket.at) / options.refillMs);
      if (buckets.size >= MAX_KEYS && !buckets.has(key)) prune(buckets, now, options);
      if (refilled < 1) {
        buckets.set(key, { tokens: refilled, at: now });
        return { ok: false, retryAfterSeconds: Math.ceil(((1 - refilled) * options.refillMs) / 1000) };
      }
      buckets.set(key, { tokens: refilled - 1, at: now });
      return { ok: true };
    },
  };
}

/** Forgets buckets that have filled up again (they behave exactly like new ones). */
function prune(buckets: Map<string, { tokens: number; at: number }>, now: number, options: { burst: number; refillMs: number }): void {
  for (const [key, bucket] of buckets) {
    if (bucket.tokens + (now - bucket.at) / options.refillMs >= options.burst) buckets.delete(key);
  }
  if (buckets.size >= MAX_KEYS) buckets.clear();
}

/**
 * The rate-limit key of a client address: IPv4 as is, IPv6 by its /64 network (one household or
 * server usually holds a whole /64, so counting single addresses would be no limit at all).
 */
export function clientKey(address: string): string {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  if (mapped) return mapped[1] as string;
  if (!address.includes(':')) return address;
  const [head = '', tail] = address.toLowerCase().split('%')[0]!.split('::');
  const left = head ? head.split(':') : [];
  const right = tail ? tail.split(':') : [];
  const groups = tail === undefined ? left : [...left, ...Array<string>(Math.max(0, 8 - left.length - right.length)).fill('0'), ...right];
  return `${groups.slice(0, 4).map((g) => parseInt(g || '0', 16).toString(16)).join(':')}::/64`;
}
