import { describe, expect, it } from 'vitest';
import { claimWith, type SubscriberRow, type TouchedRow } from '../../src/store/rows.js';

/** The claim logic both stores share, over plain rows. */
const subscriber = (id: number): SubscriberRow => ({
  id,
  email: `r${id}@example.org`,
  name: '',
  categories: '[]',
  excluded_categories: '[]',
  pending_choices: null,
  cadence: 'weekly',
  status: 'active',
  created_at: 0,
  confirmed_at: 0,
});

describe('claimWith', () => {
  it('hands out claimed rows with their subscribers; a row whose subscriber is gone is settled, not returned', async () => {
    const touched: TouchedRow[] = [
      { edition: 1, subscriber_id: 3, state: 'sending', attempts: 1 },
      { edition: 1, subscriber_id: 1, state: 'sending', attempts: 1 },
      { edition: 1, subscriber_id: 2, state: 'skipped', attempts: 0 },
      { edition: 1, subscriber_id: 4, state: 'sending', attempts: 2 },
    ];
    const settled: TouchedRow[][] = [];
    const claims = await claimWith(
      async () => touched,
      async (ids) => ids.filter((id) => id !== 3).map(subscriber),
      async (rows) => settled.push(rows),
    );
    expect(claims.map((c) => [c.subscriber.email, c.attempts])).toEqual([
      ['r1@example.org', 1],
      ['r4@example.org', 2],
    ]);
    expect(settled).toEqual([[{ edition: 1, subscriber_id: 3, state: 'sending', attempts: 1 }]]);
  });

  it('runs the claim again while a batch held only rows skipped at claim time', async () => {
    const batches: TouchedRow[][] = [[{ edition: 1, subscriber_id: 1, state: 'skipped', attempts: 0 }], [{ edition: 1, subscriber_id: 2, state: 'sending', attempts: 1 }]];
    const claims = await claimWith(async () => batches.shift() ?? [], async (ids) => ids.map(subscriber), async () => undefined);
    expect(claims.map((c) => c.subscriber.id)).toEqual([2]);
  });
});
