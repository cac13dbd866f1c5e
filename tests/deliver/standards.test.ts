import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { dkimVerify } from 'mailauth/lib/dkim/verify.js';
import { afterEach, describe, expect, it } from 'vitest';
import { tokenSigner } from '../../src/tokens.js';
import { dkimKeys } from '../support/dkim.js';
import { headerValue, startSmtpServer, type TestSmtpServer } from '../support/smtp.js';
import { createWorkspace, type Workspace } from '../support/workspace.js';
import { addresses, addSubscribers, ledger, send } from './helpers.js';

let smtp: TestSmtpServer;
let ws: Workspace;

afterEach(async () => {
  await smtp?.close();
  ws?.cleanup();
});

describe('what every delivered message carries', () => {
  it('one HTTPS List-Unsubscribe with a signed token, one-click POST, List-Id, and a per-delivery Message-ID stored in the ledger', async () => {
    smtp = await startSmtpServer();
    ws = createWorkspace({ SMTP_URL: smtp.url });
    const list = addresses(3);
    await addSubscribers(ws, list);
    await send(ws);
    const rows = ledger(ws);
    const app = await ws.app();
    const ids = new Map<string, number>();
    for (const address of list) ids.set(address, (await app.store.findSubscriber(address))!.id);
    await app.close();
    const signer = tokenSigner(ws.env.DIGEST_SECRET!);
    for (const address of list) {
      const [received] = smtp.to(address);
      const { parsed } = received!;
      const unsubscribe = headerValue(parsed, 'List-Unsubscribe')!;
      const uris = unsubscribe.split(',').map((u) => u.trim());
      expect(uris.filter((u) => u.startsWith('<https://'))).toHaveLength(1);
      const url = /^<(https:\/\/digest\.example\.org\/unsubscribe\/([^>]+))>$/.exec(uris[0]!);
      expect(signer.verify('unsubscribe', url![2]!, new Date())).toBe(ids.get(address));
      expect(parsed.text).toContain(url![1]);
      expect(parsed.html).toContain(url![1]);
      expect(headerValue(parsed, 'List-Unsubscribe-Post')).toBe('List-Unsubscribe=One-Click');
      expect(headerValue(parsed, 'List-Id')).toMatch(/<digest\.example\.org>$/);
      expect(rows.get(address)?.message_id).toBe(`<${parsed.messageId!.replace(/^<|>$/g, '')}>`);
    }
    expect(new Set([...rows.values()].map((r) => r.message_id)).size).toBe(3);
  });

  it('signs with DKIM when configured; an independent verifier passes every message', async () => {
    smtp = await startSmtpServer();
    const keys = dkimKeys('example.org', 'digest');
    ws = createWorkspace({ SMTP_URL: smtp.url, DKIM_DOMAIN: 'example.org', DKIM_SELECTOR: 'digest' });
    const keyFile = join(ws.dir, 'dkim.pem');
    writeFileSync(keyFile, keys.privateKeyPem);
    ws.env.DKIM_PRIVATE_KEY_FILE = keyFile;
    await addSubscribers(ws, [...addresses(3), { email: 'zoë@example.org', name: 'Zoë Ünal' }]);
    await send(ws);
    expect(smtp.received).toHaveLength(4);
    for (const { raw } of smtp.received) {
      const result = await dkimVerify(raw, { resolver: keys.resolver });
      expect(result.results[0]?.status.result).toBe('pass');
      expect(result.results[0]?.signingDomain).toBe('example.org');
      const signedHeaders = /\bh=([^;]+);/.exec(raw.toString().split('\r\n\r\n')[0]!.replace(/\r\n[ \t]+/g, ' '))![1]!.split(':');
      expect(signedHeaders).toEqual(expect.arrayContaining(['from', 'to', 'subject', 'date', 'message-id', 'list-unsubscribe', 'list-unsubscribe-post']));
    }
  });

  it('refuses half a DKIM configuration, naming what is missing', async () => {
    ws = createWorkspace({ DKIM_DOMAIN: 'example.org' });
    expect(() => ws.config()).toThrow(expect.objectContaining({ problems: [expect.stringMatching(/DKIM_DOMAIN, DKIM_SELECTOR and DKIM_PRIVATE_KEY_FILE together \(only DKIM_DOMAIN set\)/)] }));
  });
});

describe('unsubscribing while a run is in progress', () => {
  it('is honoured for anyone not yet committed: no message after the unsubscribe is committed', async () => {
    const list = addresses(10);
    let rcpts = 0;
    let db: Database.Database | undefined;
    const unsubscribe = (email: string) => db!.prepare(`UPDATE subscribers SET status = 'unsubscribed' WHERE email = ?`).run(email);
    smtp = await startSmtpServer({
      onRcpt(address) {
        rcpts += 1;
        // While r002's own message is in flight (before DATA), and for r009 further down the list.
        if (address === list[2]) unsubscribe(list[2]);
        if (rcpts === 3) unsubscribe(list[9]!);
        return undefined;
      },
    });
    ws = createWorkspace({ SMTP_URL: smtp.url, SMTP_MAX_CONNECTIONS: '1' });
    await addSubscribers(ws, list);
    db = new Database(join(ws.env.DATA_DIR!, 'digest.sqlite'));
    try {
      const report = await send(ws);
      expect(report.tally).toMatchObject({ sent: 8, skipped: 2 });
    } finally {
      db.close();
    }
    expect(smtp.to(list[2]!)).toHaveLength(0);
    expect(smtp.to(list[9]!)).toHaveLength(0);
    for (const address of list.filter((a) => a !== list[2] && a !== list[9])) expect(smtp.to(address)).toHaveLength(1);
    const rows = ledger(ws);
    expect(rows.get(list[2]!)).toMatchObject({ state: 'skipped', last_error: 'unsubscribed during the run' });
    expect(rows.get(list[9]!)).toMatchObject({ state: 'skipped' });
  });
});
