import Database from 'better-sqlite3';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { post } from '../support/workspace.js';
import { hostile, hoursAgo, type Hostile } from './harness.js';
import { endless, scriptedSmtp, type Script, type ScriptedSmtp } from './scripted-smtp.js';

/**
 * Hostile SMTP servers, through `digest send` with SMTP_URL pointing at a scripted one. Garbage,
 * endless or lying replies must end in a clear error or an honest ledger state: a message is
 * "sent" only after a 2xx to the final dot, one the server may have taken is never sent twice,
 * and nothing the server says reaches the terminal as control characters.
 */
let h: Hostile;
let server: ScriptedSmtp;
afterEach(async () => {
  await server?.close();
  await h?.close();
});

const ESC = '\u001b';

async function against(script: Script, timeoutSeconds = 2) {
  server = await scriptedSmtp(script);
  // UNCERTAIN_RESEND=never: these cases check that such a send is never sent twice by itself (the
  // one resend of the default is tested in tests/deliver/faults.test.ts and postfix-faults.test.ts).
  h = await hostile({ SMTP_URL: server.url, SMTP_TIMEOUT_SECONDS: String(timeoutSeconds), SMTP_RETRY_ATTEMPTS: '1', SMTP_RETRY_BUDGET_SECONDS: '0', UNCERTAIN_RESEND: 'never' });
  await h.subscribe({ email: 'ada@example.org' });
  h.ws.writePost('p.md', post({ title: 'Over hostile SMTP', date: hoursAgo(1) }));
  return h.cli('send');
}

function states(): string[] {
  const db = new Database(join(h.ws.dir, 'data', 'digest.sqlite'), { readonly: true });
  try {
    return (db.prepare('SELECT state FROM deliveries ORDER BY subscriber_id').all() as { state: string }[]).map((r) => r.state);
  } finally {
    db.close();
  }
}

describe('a server that never gets as far as a session: clear error, nothing recorded', () => {
  it.each<[string, Script, RegExp]>([
    ['a greeting that is not SMTP', { greeting: 'HTTP/1.1 400 Bad Request\r\n\r\n' }, /SMTP server .* (could not be reached|refused|did not)/],
    ['a 554 greeting with terminal escapes', { greeting: `554 ${ESC}]0;pwned\u0007${ESC}[2J go away\r\n` }, /SMTP server/],
    ['an endless greeting line (8 MB, no line end)', { greeting: endless(8 * 1024 * 1024) }, /SMTP server/],
    ['silence after connecting', { greeting: () => undefined }, /SMTP server/],
    ['an EHLO answer of 20,000 continuation lines that never ends', { ehlo: `${'250-X\r\n'.repeat(20_000)}` }, /SMTP server/],
  ])('%s', async (_name, script, message) => {
    // Every case here ends in a refusal; those that end by the timeout wait out 1 s, not 2.
    const run = await against(script, 1);
    expect(run.code).toBe(1);
    expect(run.output).toMatch(message);
    expect(run.output).not.toContain(ESC);
    expect(run.output).not.toContain('\u0007');
    expect(run.output.length).toBeLessThan(5_000);
    expect(server.bodies).toHaveLength(0);
    expect(states()).toEqual([]);
  });
});

describe('replies around the message itself', () => {
  it.each([
    ['garbage', 'what is this\r\n'],
    ['a 354 again', '354 more please\r\n'],
    ['a code of 999', '999 what\r\n'],
  ])('%s after the final dot: uncertain (not sent, not retried), never sent twice', async (_name, final) => {
    const run = await against({ final });
    expect(run.code).toBe(2);
    expect(server.bodies).toHaveLength(1);
    expect(states()).toEqual(['uncertain']);
    expect(run.output).toContain('ada@example.org');
    await h.cli('send');
    expect(server.bodies).toHaveLength(1);
  });

  it('the connection dropped after the final dot: uncertain, named, never resent', async () => {
    const run = await against({ final: (socket) => socket.destroy() });
    expect(run.code).toBe(2);
    expect(run.output).toContain('ada@example.org');
    expect(states()).toEqual(['uncertain']);
    await h.cli('send');
    expect(server.bodies).toHaveLength(1);
  });

  it('a multi-line 250 after the dot is a success', async () => {
    const run = await against({ final: '250-2.0.0 queued\r\n250-as id 1\r\n250 ok\r\n' });
    expect(run.code).toBe(0);
    expect(states()).toEqual(['sent']);
  });

  it('unsolicited extra 250 replies never make a message count as sent', async () => {
    const run = await against({ mail: '250 ok\r\n250 ok\r\n250 ok\r\n', rcpt: '550 5.1.1 no such user\r\n' });
    expect(run.output).toContain('sent 0');
    expect(server.bodies).toHaveLength(0);
    expect(states()).toEqual(['deferred']);
  });

  it('a 354 with a huge single-line reply text is handled, and the message sent once', async () => {
    const run = await against({ data: `354 ${'x'.repeat(100_000)}\r\n` });
    expect(run.code).toBe(0);
    expect(server.bodies).toHaveLength(1);
    expect(states()).toEqual(['sent']);
  });

  it('a refusal full of control characters reaches the ledger and the terminal as plain text', async () => {
    const run = await against({ rcpt: `550 5.1.1 ${ESC}[31mno such user${ESC}[0m\u0000\r\n` });
    expect(run.code).toBe(2);
    expect(run.output).not.toContain(ESC);
    const status = await h.cli('status');
    expect(status.output).not.toContain(ESC);
    expect(states()).toEqual(['failed']);
  });
});

describe('credentials', () => {
  it('requireTLS=true and a server that offers no STARTTLS: refused before the password is sent', async () => {
    server = await scriptedSmtp({ ehlo: '250-scripted.test\r\n250 AUTH PLAIN LOGIN\r\n' });
    h = await hostile({ SMTP_URL: `${server.url.replace('smtp://', 'smtp://digest:Sekr1t-pass@')}?requireTLS=true`, SMTP_TIMEOUT_SECONDS: '2' });
    await h.subscribe({ email: 'ada@example.org' });
    h.ws.writePost('p.md', post({ title: 'TLS', date: hoursAgo(1) }));
    const run = await h.cli('send');
    expect(run.code).toBe(1);
    expect(run.output).toMatch(/TLS/);
    expect(run.output).not.toContain('Sekr1t-pass');
    expect(server.commands.filter((c) => /^AUTH/i.test(c))).toEqual([]);
    expect(server.commands.join('\n')).not.toContain(Buffer.from('\0digest\0Sekr1t-pass').toString('base64'));
  });
});
