import { afterEach, describe, expect, it } from 'vitest';
import { runSend } from '../../src/pipeline.js';
import { startSmtpServer, type TestSmtpServer } from '../support/smtp.js';
import { createWorkspace, post, type Workspace } from '../support/workspace.js';

/**
 * No CR or LF from a post, the configuration or a subscriber can reach a header. Proven at the
 * wire: what the SMTP server receives has one Subject, one To, no Bcc, and one recipient.
 */
let smtp: TestSmtpServer;
let ws: Workspace;

afterEach(async () => {
  await smtp?.close();
  ws?.cleanup();
});

const INJECTION = '\r\nBcc: victim@attacker.example\r\nX-Injected: yes';

function headerNames(raw: Buffer): string[] {
  const block = raw.toString('utf8').split('\r\n\r\n')[0]!;
  return block.split(/\r\n(?![ \t])/).map((line) => line.slice(0, line.indexOf(':')).toLowerCase());
}

async function sendTo(subscribers: { email: string; name?: string }[]) {
  const app = await ws.app();
  await app.store.upsertSubscribers(subscribers.map((s) => ({ ...s, status: 'active' as const })), new Date(Date.now() - 60_000));
  try {
    return await runSend(app, { cadence: 'weekly' });
  } finally {
    await app.close();
  }
}

function expectClean(raw: Buffer) {
  const names = headerNames(raw);
  expect(names).not.toContain('bcc');
  expect(names).not.toContain('x-injected');
  expect(names.filter((n) => n === 'subject')).toHaveLength(1);
  expect(names.filter((n) => n === 'to')).toHaveLength(1);
  expect(raw.toString('utf8').split('\r\n\r\n')[0]).not.toMatch(/^Bcc:/im);
}

describe('header injection at the wire', () => {
  it('a post title with CR/LF + Bcc ends up inside one Subject, with one recipient', async () => {
    smtp = await startSmtpServer();
    ws = createWorkspace({ SMTP_URL: smtp.url }, { posts: false });
    ws.writePost('evil.md', post({ title: `Breaking news${INJECTION}`, date: new Date(Date.now() - 3_600_000).toISOString() }));
    await sendTo([{ email: 'reader@example.org' }]);
    expect(smtp.received).toHaveLength(1);
    const [message] = smtp.received;
    expect(message!.to).toEqual(['reader@example.org']);
    expectClean(message!.raw);
    expect(message!.parsed.subject).toContain('Breaking news');
    expect(message!.parsed.subject).toContain('Bcc: victim@attacker.example');
    expect(message!.parsed.bcc).toBeUndefined();
  });

  it('a subscriber name with CR/LF + Bcc ends up inside one To display name', async () => {
    smtp = await startSmtpServer();
    ws = createWorkspace({ SMTP_URL: smtp.url });
    await sendTo([{ email: 'ada@example.org', name: `Ada${INJECTION}` }]);
    expect(smtp.received).toHaveLength(1);
    const [message] = smtp.received;
    expect(message!.to).toEqual(['ada@example.org']);
    expectClean(message!.raw);
    // The greeting in the body (by first name) stays on one line too.
    expect(message!.parsed.text).toContain('Hi Ada,');
    expect(message!.parsed.text).not.toMatch(/^(Bcc|X-Injected):/m);
    expect(message!.parsed.to).toMatchObject({ value: [{ address: 'ada@example.org', name: expect.stringContaining('Bcc: victim@attacker.example') }] });
  });

  it('PUBLICATION_NAME and DIGEST_FROM with CR/LF are refused at start-up, naming the variable', () => {
    ws = createWorkspace({ PUBLICATION_NAME: `Digest${INJECTION}`, DIGEST_FROM: `Digest <digest@example.org>${INJECTION}` });
    let problems: string[] = [];
    try {
      ws.config();
    } catch (error) {
      problems = (error as { problems: string[] }).problems;
    }
    expect(problems.some((p) => p.startsWith('PUBLICATION_NAME'))).toBe(true);
    expect(problems.some((p) => p.startsWith('DIGEST_FROM'))).toBe(true);
  });

  it('an envelope address with CR/LF never reaches the SMTP conversation', async () => {
    smtp = await startSmtpServer();
    ws = createWorkspace({ SMTP_URL: smtp.url });
    const run = await ws.cli('subscribers', 'add', `evil@example.org${INJECTION}`);
    expect(run.code).not.toBe(0);
    const app = await ws.app();
    expect((await app.store.countSubscribers()).active).toBe(0);
    await app.close();
  });
});
