import { afterEach, describe, expect, it } from 'vitest';
import type { App } from '../../src/app.js';
import { pollMailbox } from '../../src/bounces/mailbox.js';
import { bounceDeps } from '../../src/bounces/process.js';
import { addSubscribers, send } from '../deliver/helpers.js';
import { startDovecot, type TestImapServer } from '../support/dovecot.js';
import { startSmtpServer, type TestSmtpServer } from '../support/smtp.js';
import { createWorkspace, type Workspace } from '../support/workspace.js';
import { arf, autoReply, bomb, exchange, yahoo } from './fixtures.js';
import { originalTo } from './support.js';

let imap: TestImapServer;
let smtp: TestSmtpServer;
let ws: Workspace;
let app: App;

afterEach(async () => {
  await app?.close();
  await imap?.close();
  await smtp?.close();
  ws?.cleanup();
});

describe('the bounce mailbox over IMAP (a real Dovecot)', () => {
  it('reads every message, records bounces and complaints, ignores the rest, and moves all to the processed folder', async () => {
    imap = await startDovecot();
    smtp = await startSmtpServer();
    ws = createWorkspace({ SMTP_URL: smtp.url, BOUNCE_ADDRESS: 'bounces@example.org', BOUNCE_IMAP_URL: imap.url, BOUNCE_MAX_MESSAGE_BYTES: '1000000' });
    await addSubscribers(ws, ['erin@example.com', 'frank@example.com', 'grace@example.com']);
    await send(ws);
    app = await ws.app();
    const [erin, frank, grace] = ['erin@example.com', 'frank@example.com', 'grace@example.com'].map((a) => originalTo(smtp, a));
    await imap.append(exchange(erin!));
    // A feedback loop report arrives at the mailbox, naming the original only by its Message-ID.
    await imap.append(Buffer.from(arf({ ...frank!, returnPath: 'digest@example.org' }).toString()));
    await imap.append(autoReply(grace!));
    await imap.append(bomb(grace!, 3, 2_000_000));
    const settings = { url: imap.url, processedFolder: 'Processed' };
    const first = await pollMailbox(bounceDeps(app), settings);
    expect(first).toEqual({ read: 3, recorded: 2, duplicate: 0, ignored: 1, movedUnread: 1, leftForRetry: 0 });
    expect((await app.store.findSubscriber('erin@example.com'))!.status).toBe('bounced');
    expect((await app.store.findSubscriber('frank@example.com'))!.status).toBe('unsubscribed');
    expect((await app.store.findSubscriber('grace@example.com'))!.status).toBe('active');
    expect(await imap.count('INBOX')).toBe(0);
    expect(await imap.count('Processed')).toBe(4);
    expect((await app.store.listBounces(10)).map((e) => [e.email, e.kind, e.source]).sort()).toEqual([
      ['erin@example.com', 'hard', 'imap'],
      ['frank@example.com', 'complaint', 'imap'],
    ]);
    // The same report delivered to the mailbox twice is one event.
    const again = yahoo(erin!);
    await imap.append(again);
    await imap.append(again);
    const second = await pollMailbox(bounceDeps(app), settings);
    expect(second).toMatchObject({ read: 2, recorded: 1, duplicate: 1 });
    expect((await app.store.listBounces(10)).filter((e) => e.email === 'erin@example.com')).toHaveLength(2);
  });

  it('a report that cannot be stored stays in the inbox for the next poll', async () => {
    imap = await startDovecot();
    smtp = await startSmtpServer();
    ws = createWorkspace({ SMTP_URL: smtp.url, BOUNCE_ADDRESS: 'bounces@example.org', BOUNCE_IMAP_URL: imap.url });
    await addSubscribers(ws, ['erin@example.com']);
    await send(ws);
    app = await ws.app();
    await imap.append(exchange(originalTo(smtp, 'erin@example.com')));
    const failing = { ...app.store, recordBounce: async () => Promise.reject(new Error('disk full')) };
    const result = await pollMailbox({ ...bounceDeps(app), store: failing }, { url: imap.url, processedFolder: 'Processed' });
    expect(result).toMatchObject({ read: 1, recorded: 0, leftForRetry: 1 });
    expect(await imap.count('INBOX')).toBe(1);
    expect(await pollMailbox(bounceDeps(app), { url: imap.url, processedFolder: 'Processed' })).toMatchObject({ recorded: 1 });
    expect(await imap.count('INBOX')).toBe(0);
  });
});
