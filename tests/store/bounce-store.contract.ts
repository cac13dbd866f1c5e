import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { deliveryMessageId } from '../../src/mail/message-id.js';
import type { NewBounceEvent, Store } from '../../src/store/store.js';

/**
 * What every BounceStore must do, through the store port only, so a PostgreSQL store can run the
 * same cases: `describeBounceStore('PostgreSQL', () => openPgStore(...))`.
 */
export function describeBounceStore(name: string, open: () => Promise<{ store: Store; cleanup(): Promise<void> }>): void {
  describe(`BounceStore (${name})`, () => {
    let store: Store;
    let cleanup: () => Promise<void>;
    let ada: number;
    let bea: number;
    const t0 = new Date('2026-11-30T09:00:00Z');
    const at = (days: number) => new Date(t0.getTime() + days * 86_400_000);

    beforeEach(async () => {
      ({ store, cleanup } = await open());
      await store.upsertSubscribers([{ email: 'ada@example.org', status: 'active' }, { email: 'bea@example.org', status: 'active' }], at(-1));
      ada = (await store.findSubscriber('ada@example.org'))!.id;
      bea = (await store.findSubscriber('bea@example.org'))!.id;
      const edition = await store.createEdition({ number: 1, cadence: 'weekly', createdAt: t0, tickKey: null, subject: 'S', posts: [], html: '', text: '', baselineSlugs: [] });
      // The edition froze both as pending rows; a worker claims and sends them.
      await store.registerWorker({ id: 'w', host: 'test', pid: 1, processStart: '1' });
      await store.claimBatch('w', { edition: 1, limit: 10 }, t0);
      await store.markAwaiting('w', 1, ada, deliveryMessageId('secret', 'example.org', { number: 1, createdAt: t0 }, ada), t0);
      await store.markAwaiting('w', 1, bea, deliveryMessageId('secret', 'example.org', { number: 1, createdAt: t0 }, bea), t0);
      await store.finish('w', 1, ada, { state: 'sent' }, t0);
      await store.finish('w', 1, bea, { state: 'sent' }, t0);
      expect(edition?.number).toBe(1);
    });
    afterEach(async () => cleanup());

    const event = (over: Partial<NewBounceEvent>): NewBounceEvent => ({ key: 'k', kind: 'hard', source: 'smtp', edition: 1, subscriberId: ada, email: 'ada@example.org', status: '5.1.1', reason: 'user unknown', receivedAt: t0, ...over });

    it('finds a delivery by Message-ID, by address and by its ids', async () => {
      const beasId = deliveryMessageId('secret', 'example.org', { number: 1, createdAt: t0 }, bea);
      expect(await store.findDelivery({ messageId: beasId })).toEqual({ edition: 1, subscriberId: bea, email: 'bea@example.org' });
      // The ID names the row; the whole ID must still be the one sent to it.
      expect(await store.findDelivery({ messageId: beasId.replace(/\.\w+@/, '.000000000000@') })).toBeUndefined();
      expect(await store.findDelivery({ messageId: beasId.replace(`.s${bea}.`, `.s${ada}.`) })).toBeUndefined();
      expect(await store.findDelivery({ email: 'ADA@example.org' })).toEqual({ edition: 1, subscriberId: ada, email: 'ada@example.org' });
      expect(await store.getDeliveryRef(1, ada)).toEqual({ edition: 1, subscriberId: ada, email: 'ada@example.org' });
      expect(await store.findDelivery({ messageId: '<nope@x>' })).toBeUndefined();
      expect(await store.getDeliveryRef(2, ada)).toBeUndefined();
    });

    it('a new event applies its rule once; the same key again changes nothing, even after reactivation', async () => {
      expect(await store.recordBounce(event({ key: 'h1' }), { markAs: 'bounced' })).toEqual({ recorded: true, statusChanged: true });
      expect((await store.getSubscriber(ada))!.status).toBe('bounced');
      await store.setStatus(ada, 'active', at(1));
      expect(await store.recordBounce(event({ key: 'h1', receivedAt: at(2) }), { markAs: 'bounced' })).toEqual({ recorded: false, statusChanged: false });
      expect((await store.getSubscriber(ada))!.status).toBe('active');
      expect(await store.listBounces(10)).toMatchObject([{ key: 'h1', kind: 'hard', statusChanged: true, edition: 1, email: 'ada@example.org' }]);
    });

    it('soft events mark bounced only at the limit within the window', async () => {
      const soft = (key: string, days: number) => store.recordBounce(event({ key, kind: 'soft', status: '4.2.2', receivedAt: at(days) }), { markAs: 'bounced', softLimit: { count: 2, since: at(days - 30) } });
      expect(await soft('s1', 0)).toEqual({ recorded: true, statusChanged: false });
      expect(await soft('s2', 40)).toEqual({ recorded: true, statusChanged: false });
      expect((await store.getSubscriber(ada))!.status).toBe('active');
      expect(await soft('s3', 41)).toEqual({ recorded: true, statusChanged: true });
      expect((await store.getSubscriber(ada))!.status).toBe('bounced');
    });

    it('a complaint unsubscribes an active reader but leaves a bounced one bounced; counts per edition', async () => {
      await store.setStatus(bea, 'bounced', t0);
      expect(await store.recordBounce(event({ key: 'c1', kind: 'complaint', subscriberId: bea, email: 'bea@example.org' }), { markAs: 'unsubscribed' })).toEqual({ recorded: true, statusChanged: false });
      expect(await store.recordBounce(event({ key: 'c2', kind: 'complaint' }), { markAs: 'unsubscribed' })).toEqual({ recorded: true, statusChanged: true });
      expect((await store.getSubscriber(ada))!.status).toBe('unsubscribed');
      await store.recordBounce(event({ key: 's9', kind: 'soft' }), { markAs: 'bounced', softLimit: { count: 5, since: t0 } });
      expect(await store.bounceCounts([1, 2])).toEqual(new Map([[1, { hard: 0, soft: 1, complaints: 2 }], [2, { hard: 0, soft: 0, complaints: 0 }]]));
    });
  });
}
