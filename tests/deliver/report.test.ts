import Database from 'better-sqlite3';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { Logger } from '../../src/logger.js';
import { runSend } from '../../src/pipeline.js';
import { startScriptedServer, type ScriptedServer } from '../support/scripted-smtp.js';
import { createWorkspace, type Workspace } from '../support/workspace.js';
import { addresses, addSubscribers } from './helpers.js';

/** What `digest send` says and logs: a dry run never reads like a real send; deferred work says when it is retried. */
let server: ScriptedServer | undefined;
let ws: Workspace;

afterEach(async () => {
  await server?.close();
  server = undefined;
  ws?.cleanup();
});

function recordingLogger(): Logger & { events: { event: string; fields: Record<string, unknown> }[] } {
  const events: { event: string; fields: Record<string, unknown> }[] = [];
  const at = (event: string, fields: Record<string, unknown> = {}) => void events.push({ event, fields });
  return { events, info: at, warn: at, error: at };
}

describe('dry run', () => {
  it('says "would send", not "sent", and marks every edition.* and send.* log line dryRun: true', async () => {
    ws = createWorkspace();
    await addSubscribers(ws, addresses(4));
    const dry = await ws.cli('send', '--dry-run');
    expect(dry.output).toContain('would send 4');
    expect(dry.output).not.toMatch(/\bsent 4\b/);

    const logger = recordingLogger();
    const app = await ws.app({ dryRun: true, logger });
    try {
      await runSend(app, { cadence: 'weekly' });
    } finally {
      await app.close();
    }
    const events = logger.events.filter((e) => /^(edition|send)\./.test(e.event));
    expect(events.map((e) => e.event)).toEqual(expect.arrayContaining(['edition.created', 'edition.delivered']));
    for (const e of events) expect(e.fields, e.event).toMatchObject({ dryRun: true });
    // A real send is not marked.
    const realLogger = recordingLogger();
    const real = await ws.app({ logger: realLogger });
    try {
      await runSend(real, { cadence: 'weekly' });
    } finally {
      await real.close();
    }
    const created = realLogger.events.find((e) => e.event === 'edition.created');
    expect(created?.fields).not.toHaveProperty('dryRun');
  });
});

describe('deferred deliveries in the send summary', () => {
  it('a later send says how many are deferred and the retry time stored in the ledger', async () => {
    const list = addresses(3);
    server = await startScriptedServer({ rcpt: (to) => (to === list[1] ? '451 4.3.0 try again later' : undefined) });
    ws = createWorkspace({ SMTP_URL: server.url, SMTP_MAX_CONNECTIONS: '1', SMTP_RETRY_ATTEMPTS: '1' });
    await addSubscribers(ws, list);
    const first = await ws.cli('send');
    expect(first.output).toContain('deferred 1');
    const db = new Database(join(ws.env.DATA_DIR!, 'digest.sqlite'), { readonly: true });
    const { retry_at } = db.prepare("SELECT retry_at FROM deliveries WHERE state = 'deferred'").get() as { retry_at: number };
    db.close();
    const when = `${new Date(retry_at).toISOString().slice(0, 19).replace('T', ' ')} UTC`;
    expect(first.output).toContain(`1 delivery is deferred; the next \`digest send\` after ${when} retries it.`);
    // Within the retry delay: nothing to do this time, but the summary still says what is waiting and until when.
    const second = await ws.cli('send');
    expect(second.output).toContain('deferred 0');
    expect(second.output).toContain(`1 delivery is deferred; the next \`digest send\` after ${when} retries it.`);
  });
});
