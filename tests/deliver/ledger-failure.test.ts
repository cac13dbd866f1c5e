import { afterEach, describe, expect, it } from 'vitest';
import { StoreError } from '../../src/errors.js';
import { runSend } from '../../src/pipeline.js';
import { startScriptedServer, type ScriptedServer } from '../support/scripted-smtp.js';
import { createWorkspace, type Workspace } from '../support/workspace.js';
import { addresses, addSubscribers, ledger } from './helpers.js';

/**
 * A ledger write that fails in the middle of a run (the database gone, its disk full) stops the
 * run, but only once no message is on the wire: one in flight on another connection is finished
 * and recorded, not cut off when the command closes up. The failing write is injected: a real
 * database does not fail one chosen write on demand.
 */
let server: ScriptedServer | undefined;
let ws: Workspace | undefined;
afterEach(async () => {
  await server?.close();
  ws?.cleanup();
});

describe('a ledger write that fails during delivery', () => {
  it('stops the run after the messages on the wire are answered and recorded; nothing recorded sent that was not', async () => {
    const list = addresses(8);
    // The first reader's reply is slow: its message is still on the wire when the second's write fails.
    server = await startScriptedServer({ dot: (message) => (message.to[0] === list[0] ? { reply: '250 2.0.0 queued', delayMs: 400 } : '250 2.0.0 queued') });
    ws = createWorkspace({ SMTP_URL: server.url, SMTP_MAX_CONNECTIONS: '2' });
    await addSubscribers(ws, list);
    const app = await ws.app();
    const broken = new StoreError('STORE_FAILED', 'The database could not be used (disk I/O error).');
    try {
      const failing = (await app.store.findSubscriber(list[1]!))!.id;
      const finish = app.store.finish.bind(app.store);
      app.store.finish = async (worker, edition, id, outcome, now) => {
        if (id === failing) throw broken;
        return finish(worker, edition, id, outcome, now);
      };
      await expect(runSend(app, { cadence: 'weekly' })).rejects.toBe(broken);
      const rows = ledger(ws);
      // Read at once: the slow message was answered and recorded before the run gave up.
      expect(rows.get(list[0]!)?.state).toBe('sent');
      // Taken by the server, its outcome never recorded: left awaiting for the uncertain-send policy.
      expect(rows.get(list[1]!)?.state).toBe('awaiting');
      for (const [email, row] of rows) {
        expect(['sent', 'awaiting', 'pending'], email).toContain(row.state);
        expect(server.accepted(email).length, email).toBe(row.state === 'pending' ? 0 : 1);
      }
    } finally {
      await app.close();
    }
  });
});
