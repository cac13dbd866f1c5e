import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { startSmtpServer, type Received, type TestSmtpServer } from '../support/smtp.js';
import { createWorkspace, type Workspace } from '../support/workspace.js';

/**
 * Shared pieces of the hostile-input catalogue: a workspace with no seed posts, a real SMTP server
 * behind SMTP_URL, subscribers added through the store, and helpers that look at what actually left
 * (raw bytes on the wire, parsed parts) for the marks of an attack that got through.
 */
export interface Hostile {
  ws: Workspace;
  smtp: TestSmtpServer;
  /** `digest <args>` in process with this workspace's environment; stderr is captured too. */
  cli(...args: string[]): Promise<{ code: number; output: string }>;
  subscribe(...rows: { email: string; name?: string; categories?: string[] }[]): Promise<void>;
  close(): Promise<void>;
}

export const SUBSCRIBERS = ['ada@example.org', 'bob@example.org'];
/** The first line of /etc/passwd on every Linux machine: must never appear in any output. */
export const PASSWD_MARK = 'root:x:0:0';

export async function hostile(env: Record<string, string> = {}, options: { smtp?: Parameters<typeof startSmtpServer>[0] } = {}): Promise<Hostile> {
  const smtp = await startSmtpServer(options.smtp);
  const ws = createWorkspace({ SMTP_URL: smtp.url, ...env }, { posts: false });
  return {
    ws,
    smtp,
    cli: (...args) => cliWithStderr(ws, args),
    async subscribe(...rows) {
      const app = await ws.app();
      try {
        await app.store.upsertSubscribers(rows.map((r) => ({ status: 'active' as const, ...r })), new Date(Date.now() - 60_000));
      } finally {
        await app.close();
      }
    },
    async close() {
      await smtp.close();
      ws.cleanup();
    },
  };
}

/** Runs the CLI and folds what it wrote to stderr (error messages) into the output. */
export async function cliWithStderr(ws: Workspace, args: string[]): Promise<{ code: number; output: string }> {
  const written: string[] = [];
  const original = process.stderr.write.bind(process.stderr);
  process.stderr.write = ((chunk: string | Uint8Array) => {
    written.push(typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8'));
    return true;
  }) as typeof process.stderr.write;
  try {
    const result = await ws.cli(...args);
    return { code: result.code, output: `${result.output}\n${written.join('')}` };
  } finally {
    process.stderr.write = original;
  }
}

/** A post file from raw front-matter lines, for cases the tidy `post()` builder can't express. */
export const fm = (lines: string[], body = 'Body text.') => `---\n${lines.join('\n')}\n---\n\n${body}\n`;

export const hoursAgo = (h: number) => new Date(Date.now() - h * 3_600_000).toISOString();

/** Every header line of a raw message (unfolded lines are kept as they were on the wire). */
export function rawHeaderLines(raw: Buffer): string[] {
  const text = raw.toString('latin1');
  const end = text.indexOf('\r\n\r\n');
  return text.slice(0, end).split('\r\n');
}

/** Top-level header names, in order; continuation lines are not headers. */
export function headerNames(raw: Buffer): string[] {
  return rawHeaderLines(raw)
    .filter((line) => !/^[ \t]/.test(line))
    .map((line) => line.slice(0, line.indexOf(':')).toLowerCase());
}

/** The checks every received message must pass whatever the input was. */
export function assertWellFormed(message: Received, expect: (value: unknown) => any): void {
  const names = headerNames(message.raw);
  for (const single of ['subject', 'from', 'to', 'date', 'message-id']) expect(names.filter((n) => n === single)).toHaveLength(1);
  expect(names).not.toContain('bcc');
  expect(names).not.toContain('cc');
  for (const line of message.raw.toString('latin1').split('\r\n')) expect(Buffer.byteLength(line, 'latin1')).toBeLessThanOrEqual(998);
  for (const line of rawHeaderLines(message.raw)) expect(line).toMatch(/^[\x20-\x7e\t]*$/);
  expect(message.to).toHaveLength(1);
}

/** Everything a reader could see, in one string: subject, text, HTML, and the raw bytes. */
export function everything(message: Received): string {
  return [message.parsed.subject ?? '', message.parsed.text ?? '', String(message.parsed.html || ''), message.raw.toString('utf8')].join('\n');
}

/** Every file under a folder, concatenated (outbox, render output), for leak checks. */
export function readAll(dir: string): string {
  let all = '';
  for (const entry of readdirSync(dir, { withFileTypes: true, recursive: true })) {
    if (entry.isFile()) all += readFileSync(join(entry.parentPath, entry.name), 'utf8');
  }
  return all;
}
