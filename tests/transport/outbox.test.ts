import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { outboxTransport } from '../../src/transport/outbox.js';

const dir = mkdtempSync(join(tmpdir(), 'digest-outbox-'));
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe('the outbox transport', () => {
  it('commits a message by renaming it into place, and leaves nothing when beforeCommit says no', async () => {
    const outbox = outboxTransport(join(dir, 'outbox'));
    await outbox.verify();
    const kept = await outbox.send({ from: 'd@example.org', to: 'a@example.org', messageId: '<e1.s1.x@example.org>' }, Buffer.from('Subject: a\r\n\r\nA\r\n'), async () => true);
    const dropped = await outbox.send({ from: 'd@example.org', to: 'b@example.org', messageId: '<e1.s2.y@example.org>' }, Buffer.from('Subject: b\r\n\r\nB\r\n'), async () => false);
    expect(kept.status).toBe('sent');
    expect(dropped.status).toBe('aborted');
    expect(readdirSync(join(dir, 'outbox'))).toEqual(['e1.s1.x@example.org.eml']);
    expect(readFileSync(join(dir, 'outbox', 'e1.s1.x@example.org.eml'), 'utf8')).toContain('Subject: a');
  });
});
