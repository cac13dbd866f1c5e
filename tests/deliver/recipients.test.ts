import { afterEach, describe, expect, it } from 'vitest';
import { RecipientQueue } from '../../src/deliver/recipients.js';
import { createEdition } from '../../src/edition/create-edition.js';
import { planEdition } from '../../src/pipeline.js';
import { createWorkspace, type Workspace } from '../support/workspace.js';
import { addresses, addSubscribers } from './helpers.js';

let ws: Workspace;
afterEach(() => ws?.cleanup());

describe('the recipient stream', () => {
  it('reads and claims one batch at a time, never the whole list, and hands back what it did not use', async () => {
    ws = createWorkspace();
    await addSubscribers(ws, addresses(1200));
    const app = await ws.app();
    try {
      const { selection } = await planEdition(app, 'weekly');
      const edition = (await createEdition(
        { store: app.store, templates: await app.templates(), publication: app.publication },
        { cadence: 'weekly', posts: selection.included, baseline: selection.baseline, now: app.now(), tickKey: null },
      ))!;
      const queue = new RecipientQueue(app.store, edition, app.now, 500);
      const first = await queue.take();
      expect(first?.email).toBe('r000@example.org');
      expect(await app.store.countDeliveries(edition.number)).toMatchObject({ sending: 500, pending: 0 });
      for (let i = 1; i < 501; i += 1) await queue.take();
      expect(await app.store.countDeliveries(edition.number)).toMatchObject({ sending: 1000 });
      expect(await queue.stop()).toBe(499);
      expect(await app.store.countDeliveries(edition.number)).toMatchObject({ sending: 501, pending: 499 });
      expect(await queue.take()).toBeUndefined();
      // The released rows are the next run's first recipients.
      const next = new RecipientQueue(app.store, edition, app.now, 500);
      expect((await next.take())?.email).toBe('r501@example.org');
    } finally {
      await app.close();
    }
  });
});
