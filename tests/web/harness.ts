import type { App } from '../../src/app.js';
import { startWebServer, type RunningWebServer, type WebServerOptions } from '../../src/web/server.js';
import { startSmtpServer, type Received, type TestSmtpServer } from '../support/smtp.js';
import { createWorkspace, type Workspace } from '../support/workspace.js';
import { freePort } from '../support/ports.js';

/**
 * One real web server on 127.0.0.1 with PUBLIC_URL set to its own address, a real in-process SMTP
 * server behind SMTP_URL, and a real SQLite file in a throw-away workspace. The clock is a
 * variable the test may move (for expiring links); everything else is the production code path.
 */
export interface WebHarness {
  url: string;
  ws: Workspace;
  smtp: TestSmtpServer;
  app: App;
  server: RunningWebServer;
  clock: { now: number };
  /** Every event the server's app logged, in order. */
  logs: { level: string; event: string; fields: Record<string, unknown> | undefined }[];
  /** Waits until a message to `address` matching `filter` has arrived. */
  mailTo(address: string, filter?: (r: Received) => boolean): Promise<Received>;
  /** A second, independent connection to the same database (what another process would see). */
  otherApp(): Promise<App>;
  close(): Promise<void>;
}

export async function startWebHarness(env: Record<string, string> = {}, options: WebServerOptions = {}): Promise<WebHarness> {
  const smtp = await startSmtpServer();
  const port = await freePort();
  const url = `http://127.0.0.1:${port}/`;
  const ws = createWorkspace({ SMTP_URL: smtp.url, PUBLIC_URL: url, ...env });
  const clock = { now: Date.now() };
  const logs: WebHarness['logs'] = [];
  const record = (level: string) => (event: string, fields?: Record<string, unknown>) => void logs.push({ level, event, fields });
  const app = await ws.app({ now: () => new Date(clock.now), logger: { info: record('info'), warn: record('warn'), error: record('error') } });
  const server = await startWebServer(app, port, { hostname: '127.0.0.1', ...options });
  const opened: App[] = [];
  return {
    url,
    ws,
    smtp,
    app,
    server,
    clock,
    logs,
    async mailTo(address, filter = () => true) {
      for (let i = 0; i < 200; i += 1) {
        const found = smtp.to(address).filter(filter).at(-1);
        if (found) return found;
        await new Promise((r) => setTimeout(r, 25));
      }
      throw new Error(`no message to ${address} arrived`);
    },
    async otherApp() {
      const other = await ws.app();
      opened.push(other);
      return other;
    },
    async close() {
      await server.close();
      await app.close();
      for (const other of opened) await other.close();
      await smtp.close();
      ws.cleanup();
    },
  };
}


/** The first link in a text body that starts with `prefix`. */
export function linkIn(text: string | undefined, prefix: string): string {
  const match = new RegExp(`${prefix.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}[^\\s<>"]+`).exec(text ?? '');
  if (!match) throw new Error(`no link starting with ${prefix} in:\n${text}`);
  return match[0];
}

export function form(fields: Record<string, string | string[]>): URLSearchParams {
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(fields)) for (const v of Array.isArray(value) ? value : [value]) params.append(key, v);
  return params;
}

/** Ada, an active subscriber since a minute ago: the reader most web tests start from. Her id. */
export async function addActiveAda(h: WebHarness): Promise<number> {
  await h.app.store.upsertSubscribers([{ email: 'ada@example.org', name: 'Ada', status: 'active' }], new Date(h.clock.now - 60_000));
  return (await h.app.store.findSubscriber('ada@example.org'))!.id;
}

/** The signed link of that purpose for a subscriber, on the harness's server. */
export function signedLinkFor(h: WebHarness, purpose: 'unsubscribe' | 'preferences', id: number): string {
  return `${h.url}${purpose}/${h.app.signer.sign(purpose, id)}`;
}
