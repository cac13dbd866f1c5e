import { describe, expect, it } from 'vitest';
import { clientKey, tokenBucket } from '../../src/web/rate-limit.js';

describe('sign-up rate limit', () => {
  it('allows a burst, then one per refill period, per key', () => {
    let now = 0;
    const bucket = tokenBucket({ burst: 2, refillMs: 1000, now: () => now });
    expect([bucket.take('a').ok, bucket.take('a').ok, bucket.take('a').ok]).toEqual([true, true, false]);
    expect(bucket.take('b').ok).toBe(true);
    now += 500;
    expect(bucket.take('a')).toEqual({ ok: false, retryAfterSeconds: 1 });
    now += 1000;
    expect(bucket.take('a').ok).toBe(true);
    expect(bucket.take('a').ok).toBe(false);
  });

  it('counts IPv6 clients by /64 and IPv4-mapped addresses as IPv4', () => {
    expect(clientKey('2001:db8:1:2:aaaa::1')).toBe('2001:db8:1:2::/64');
    expect(clientKey('2001:0db8:0001:0002:ffff:ffff:ffff:ffff')).toBe('2001:db8:1:2::/64');
    expect(clientKey('2001:db8::1')).toBe('2001:db8:0:0::/64');
    expect(clientKey('::1')).toBe('0:0:0:0::/64');
    expect(clientKey('::ffff:192.0.2.7')).toBe('192.0.2.7');
    expect(clientKey('192.0.2.7')).toBe('192.0.2.7');
  });
});
