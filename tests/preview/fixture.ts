import { request } from 'node:http';
import { join } from 'node:path';
import { startPreviewServer, type PreviewServer } from '../../src/preview/server.js';
import { startSmtpServer, type TestSmtpServer } from '../support/smtp.js';
import { createWorkspace, type Workspace } from '../support/workspace.js';

/** A workspace with an in-process SMTP server and a preview server on a free port. */
export interface PreviewFixture {
  ws: Workspace;
  smtp: TestSmtpServer;
  preview: PreviewServer;
  /** A raw HTTP request: the path goes on the wire exactly as written (no URL normalisation). */
  raw(path: string, options?: RawOptions): Promise<RawResponse>;
  sendTest(headers: Record<string, string>, to?: string): Promise<RawResponse>;
  subscribe(...emails: string[]): Promise<void>;
  close(): Promise<void>;
}
interface RawOptions {
  method?: string;
  headers?: Record<string, string>;
  body?: string;
}
export interface RawResponse {
  status: number;
  body: string;
  headers: Record<string, string | string[] | undefined>;
}

export async function previewFixture(env: Record<string, string> = {}): Promise<PreviewFixture> {
  const smtp = await startSmtpServer();
  const ws = createWorkspace({ SMTP_URL: smtp.url, ...env });
  const preview = await startPreviewServer({ loadConfig: () => ws.config(), envFile: join(ws.dir, '.env'), port: 0 });
  const raw = (path: string, options: RawOptions = {}) =>
    new Promise<RawResponse>((resolve, reject) => {
      const req = request({ host: '127.0.0.1', port: preview.port, path, method: options.method ?? 'GET', headers: { host: `127.0.0.1:${preview.port}`, ...options.headers } }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8'), headers: res.headers }));
      });
      req.on('error', reject);
      req.end(options.body);
    });
  return {
    ws,
    smtp,
    preview,
    raw,
    sendTest: (headers, to = 'editor@example.org') =>
      raw('/send-test', { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers }, body: new URLSearchParams({ to, cadence: 'weekly' }).toString() }),
    async subscribe(...emails) {
      const app = await ws.app();
      await app.store.upsertSubscribers(emails.map((email) => ({ email, status: 'active' as const })), new Date(Date.now() - 60_000));
      await app.close();
    },
    async close() {
      await preview.close();
      await smtp.close();
      ws.cleanup();
    },
  };
}
