import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { runSend } from '../../src/pipeline.js';
import { previewFixture, type PreviewFixture } from '../preview/fixture.js';
import { arf, autoReply, gmail, rfc3464 } from './fixtures.js';
import { originalTo } from './support.js';

let f: PreviewFixture;

afterEach(async () => {
  await f?.close();
});

const mbox = (...messages: Buffer[]) => Buffer.concat(messages.map((m) => Buffer.concat([Buffer.from('From MAILER-DAEMON Mon Nov 30 09:00:00 2026\n'), m, Buffer.from('\n')])));

describe('digest bounces, status and the preview', () => {
  it('process FILE reads an exported mbox; list, status and the past editions page show counts and rates', async () => {
    f = await previewFixture({ BOUNCE_ADDRESS: 'bounces@example.org' });
    await f.subscribe('alice@example.com', 'bob@example.com', 'carol@example.com', 'dave@example.com');
    const app = await f.ws.app();
    await runSend(app, { cadence: 'weekly' }).finally(() => app.close());
    const [alice, bob, carol, dave] = ['alice@example.com', 'bob@example.com', 'carol@example.com', 'dave@example.com'].map((a) => originalTo(f.smtp, a));
    const hard = gmail(alice!);
    const file = join(f.ws.dir, 'bounces.mbox');
    // A bounce for carol at a VERP address whose signature was tampered with, and no Message-ID of ours.
    const forged = rfc3464({ ...carol!, returnPath: carol!.returnPath.replace(/-([0-9a-f]{16})@/, (_m, mac: string) => `-${[...mac].reverse().join('')}@`), messageId: '<guessed@example.org>' });
    writeFileSync(file, mbox(hard, arf(bob!), autoReply(carol!), hard, rfc3464(dave!, '4.2.2', 'smtp; 452 4.2.2 Mailbox full'), forged));

    const processed = await f.ws.cli('bounces', 'process', file);
    expect(processed.code).toBe(0);
    expect(processed.output).toContain('message 1: recorded hard for alice@example.com (edition #1), marked bounced');
    expect(processed.output).toContain('message 2: recorded complaint for bob@example.com (edition #1), unsubscribed');
    expect(processed.output).toContain('message 3: ignored: auto-reply (not a bounce)');
    expect(processed.output).toContain('message 4: already recorded hard for alice@example.com');
    expect(processed.output).toContain('message 6: ignored: hard report names no delivery of ours');
    expect(processed.output).toContain('Processed 6 messages from');
    expect(processed.output).toContain('3 recorded, 1 already known, 2 ignored.');
    const check = await f.ws.app();
    expect((await check.store.findSubscriber('carol@example.com'))!.status).toBe('active');
    await check.close();

    const list = await f.ws.cli('bounces', 'list');
    expect(list.output.split('\n').filter((l) => /\t/.test(l)).map((l) => l.split('\t').slice(1, 5))).toEqual([
      ['soft', 'dave@example.com', '#1', 'file'],
      ['complaint → unsubscribed', 'bob@example.com', '#1', 'file'],
      ['hard → bounced', 'alice@example.com', '#1', 'file'],
    ]);
    expect(JSON.parse((await f.ws.cli('bounces', 'list', '--json')).output)).toHaveLength(3);

    const status = await f.ws.cli('status');
    expect(status.output).toContain('Bounces #1: hard 1 · soft 1 · complaints 1 (bounce rate 50.0 %, complaint rate 25.0 % of 4 sent)');
    const health = JSON.parse((await f.ws.cli('status', '--json')).output);
    expect(health.bounces).toEqual([{ edition: 1, sent: 4, hard: 1, soft: 1, complaints: 1, bounceRate: 0.5, complaintRate: 0.25 }]);

    const page = (await f.raw('/editions')).body;
    expect(page).toContain('<td data-testid="bounces-1">2 (1/1) · 50.0 %</td>');
    expect(page).toContain('<td data-testid="complaints-1">1 · 25.0 %</td>');
  });

  it('names a missing file; serve with nothing configured says what to set', async () => {
    f = await previewFixture();
    const missing = await f.ws.cli('bounces', 'process', join(f.ws.dir, 'nope.mbox'));
    expect(missing.code).toBe(1);
    const serve = await f.ws.cli('bounces', 'serve');
    expect(serve.code).toBe(1);
    expect((await f.ws.cli('bounces', 'frobnicate')).code).toBe(1);
  });
});
