import { hostname } from 'node:os';
import { afterEach, describe, expect, it } from 'vitest';
import { SEND_LEASE, withSendLease } from '../../src/deliver/lease.js';
import type { App } from '../../src/app.js';
import { createWorkspace, type Workspace } from '../support/workspace.js';

/** The send lease lives in the database: another machine's run blocks us until its lease expires. */
let ws: Workspace;
afterEach(() => ws?.cleanup());

const never = () => false;

/** A fresh workspace's app for one test, closed afterwards whatever happens. */
async function withApp(test: (app: App) => Promise<void>): Promise<void> {
  ws = createWorkspace();
  const app = await ws.app();
  try {
    await test(app);
  } finally {
    await app.close();
  }
}

describe('the send lease', () => {
  it('refuses while another machine holds it, names the holder, and takes over once it expires', async () => {
    await withApp(async (app) => {
      const t0 = new Date('2026-11-30T08:00:00Z');
      await app.store.acquireLease(SEND_LEASE, { id: 'other-run', pid: 4242, host: 'mail-2.example.org', processStart: '1' }, 30_000, t0, never);
      let ran = false;
      const refused = await withSendLease(app.store, () => new Date(t0.getTime() + 10_000), async () => (ran = true)).catch((e: unknown) => e);
      expect(ran).toBe(false);
      expect(refused).toMatchObject({ code: 'SEND_IN_PROGRESS', message: expect.stringMatching(/^A send is already running \(process 4242 on mail-2\.example\.org, since 2026-11-30T08:00:00\.000Z\)/) });
      await withSendLease(app.store, () => new Date(t0.getTime() + 31_000), async () => (ran = true));
      expect(ran).toBe(true);
      expect(await app.store.leaseInfo(SEND_LEASE)).toBeUndefined();
    });
  });

  it('takes over at once from a crashed run on this machine (its process is gone)', async () => {
    await withApp(async (app) => {
      const now = new Date();
      await app.store.acquireLease(SEND_LEASE, { id: 'crashed', pid: 2 ** 22 + 17, host: hostname(), processStart: '1' }, 30_000, now, never);
      let ran = false;
      await withSendLease(app.store, () => now, async () => (ran = true));
      expect(ran).toBe(true);
    });
  });

  it("takes over a lease this very process left behind, but never one it still holds", async () => {
    await withApp(async (app) => {
      const now = new Date();
      // A release that failed (full disk) leaves this process's own lease in the table.
      let inner: unknown;
      await withSendLease(app.store, () => now, async () => {
        inner = await withSendLease(app.store, () => now, async () => 'ran twice').catch((e: unknown) => e);
        const mine = await app.store.leaseInfo(SEND_LEASE);
        await app.store.releaseLease(SEND_LEASE, '(nobody)');
        return mine;
      }).then(async (mine) => {
        // Put the finished run's row back as if its release had failed.
        await app.store.acquireLease(SEND_LEASE, { id: 'left-behind', pid: process.pid, host: hostname(), processStart: mine!.processStart }, 30_000, now, never);
      });
      expect(inner).toMatchObject({ code: 'SEND_IN_PROGRESS' });
      let ran = false;
      await withSendLease(app.store, () => now, async () => (ran = true));
      expect(ran).toBe(true);
    });
  });
});
