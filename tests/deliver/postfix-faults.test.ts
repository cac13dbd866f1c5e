import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Logger } from '../../src/logger.js';
import { smtpClientTransport } from '../../src/transport/smtp-client/index.js';
import { startCuttingProxy, type CuttingProxy, type Fault } from '../support/cutting-proxy.js';
import { SASL_PASS, SASL_USER, SMALL_LIMIT, startPostfix, type PostfixInstance } from '../support/postfix.js';
import { createWorkspace, REPO, type Workspace } from '../support/workspace.js';
import { addSubscribers, fakeTime, ledger, send, subscriberStatus } from './helpers.js';

/**
 * docs/delivery-faults.md, row by row, against a real Postfix. Each row sends one edition to one
 * reader and checks the ledger, the reader's Maildir and (for network faults) Postfix's own log.
 * The test also reads the docs table: a row whose "ledger records" cell says something else fails.
 */
let postfix: PostfixInstance;
let clear: CuttingProxy;
let tls: CuttingProxy;
let bodySize = 0;
const workspaces: Workspace[] = [];

const credentials = `${encodeURIComponent(SASL_USER)}:${encodeURIComponent(SASL_PASS)}`;
const viaProxy = () => `smtp://${credentials}@127.0.0.1:${clear.port}?allowInsecureAuth=true`;

/** Postfix starts as root with its own directories (scripts/ensure-postfix.sh installs it). */
const cannotRun = process.getuid?.() !== 0 ? 'Postfix is started as root and this is not root' : !existsSync('/usr/sbin/postfix') ? 'Postfix is missing: run scripts/ensure-postfix.sh' : undefined;

beforeAll(async () => {
  if (cannotRun) return;
  postfix = await startPostfix({ access: { 'busy@example.test': '450 4.2.1 mailbox busy, try later', 'gone@example.test': '550 5.1.1 no such user here' } });
  clear = await startCuttingProxy(postfix.ports.plain);
  tls = await startCuttingProxy(postfix.ports.tls);
  // A clean send measures the body the cuts are placed in.
  const baseline = await run('baseline@example.test', viaProxy());
  expect(baseline.report.tally.sent).toBe(1);
  bodySize = clear.bodies[0]!;
  expect(bodySize).toBeGreaterThan(SMALL_LIMIT);
}, 60_000);

afterAll(async () => {
  await clear?.close();
  await tls?.close();
  await postfix?.stop();
  for (const ws of workspaces) ws.cleanup();
});

interface Outcome {
  ws: Workspace;
  report: Awaited<ReturnType<typeof send>>;
  events: { event: string; fields: Record<string, unknown> }[];
}

async function run(reader: string, url: string, options: { fault?: Fault; timeoutMs?: number; env?: Record<string, string> } = {}): Promise<Outcome> {
  const ws = createWorkspace({ SMTP_URL: url, DIGEST_FROM: 'Digest <digest@example.test>', ...options.env });
  workspaces.push(ws);
  await addSubscribers(ws, [reader]);
  const events: Outcome['events'] = [];
  const record = (event: string, fields: Record<string, unknown> = {}) => void events.push({ event, fields });
  const logger: Logger = { info: record, warn: record, error: record };
  if (options.fault) (url.includes(`:${tls.port}`) ? tls : clear).faults.push(options.fault);
  const transport = smtpClientTransport(url, { maxConnections: 1, ca: postfix.certificates.ca, timeoutMs: options.timeoutMs ?? 10_000, connectTimeoutMs: 5_000 });
  const time = fakeTime();
  const report = await send(ws, { app: { now: time.now, transport, logger }, tuning: time.tuning({ attempts: 2 }) });
  await postfix.settled();
  return { ws, report, events };
}

async function refused(reader: string, url: string, fault?: Fault): Promise<{ code: string; message: string; ws: Workspace }> {
  const error = (await run(reader, url, fault ? { fault } : {}).then(
    () => undefined,
    (e: unknown) => e,
  )) as { code: string; message: string } | undefined;
  expect(error, 'the run should have been refused').toBeDefined();
  const ws = workspaces[workspaces.length - 1]!;
  const db = new Database(join(ws.env.DATA_DIR!, 'digest.sqlite'), { readonly: true });
  expect(db.prepare('SELECT count(*) AS n FROM editions').get()).toEqual({ n: 0 });
  db.close();
  expect(postfix.delivered(reader)).toHaveLength(0);
  return { code: error!.code, message: error!.message, ws };
}

function row(ws: Workspace, reader: string) {
  const db = new Database(join(ws.env.DATA_DIR!, 'digest.sqlite'), { readonly: true });
  try {
    return db.prepare('SELECT state, attempts, resends, first_uncertain, last_error, message_id FROM deliveries WHERE email = ?').get(reader) as {
      state: string;
      attempts: number;
      resends: number;
      first_uncertain: string | null;
      last_error: string | null;
      message_id: string;
    };
  } finally {
    db.close();
  }
}

const messageIdOf = (raw: Buffer) => /^Message-ID: (.*)$/im.exec(raw.toString())?.[1];

async function cutAt(fraction: number, reader: string): Promise<string> {
  const { ws, events } = await run(reader, viaProxy(), { fault: { kind: 'cut', atBodyByte: Math.floor(bodySize * fraction) } });
  const first = events.find((e) => e.event === 'delivery.deferred');
  expect(first?.fields.response).toMatch(/cannot have the whole message: the server reset the connection/);
  expect(row(ws, reader)).toMatchObject({ state: 'sent', attempts: 2, resends: 0 });
  expect(postfix.delivered(reader)).toHaveLength(1);
  expect(postfix.log()).toMatch(/lost connection after DATA \(\d+ bytes\)/);
  return 'deferred, then sent';
}

async function noReply(then: 'close' | 'hang', reader: string): Promise<string> {
  const { ws, events, report } = await run(reader, viaProxy(), { fault: { kind: 'no-reply', then }, timeoutMs: 1_000 });
  expect(events.find((e) => e.event === 'delivery.uncertain')?.fields).toMatchObject({ next: 'resent once in this run', response: expect.stringMatching(/^every byte was sent/) });
  expect(row(ws, reader)).toMatchObject({ state: 'sent', attempts: 2, resends: 1, first_uncertain: expect.stringMatching(/^every byte was sent/) });
  expect(report.tally).toMatchObject({ sent: 1, uncertain: 0 });
  const copies = postfix.delivered(reader);
  expect(copies).toHaveLength(2);
  expect(messageIdOf(copies[0]!)).toBe(messageIdOf(copies[1]!));
  expect(messageIdOf(copies[0]!)).toBe(row(ws, reader).message_id);
  return 'uncertain, resent once, then sent';
}

/** Fault (as in the docs table) → scenario, which returns what the ledger recorded. */
const ROWS: Record<string, () => Promise<string>> = {
  'refused login': async () => {
    const error = await refused('login@example.test', `smtp://${encodeURIComponent(SASL_USER)}:wrong@127.0.0.1:${postfix.ports.tls}`);
    expect(error.message).toMatch(/refused the login \(535 5\.7\.8/);
    return `nothing (${error.code})`;
  },
  'no STARTTLS': async () => {
    const error = await refused('nostarttls@example.test', `smtp://${credentials}@127.0.0.1:${postfix.ports.plain}`);
    expect(error.message).toMatch(/password would travel in clear; it was not sent/);
    return `nothing (${error.code})`;
  },
  'stripped STARTTLS': async () => {
    const error = await refused('stripped@example.test', `smtp://${credentials}@127.0.0.1:${tls.port}`, { kind: 'strip-starttls' });
    expect(error.message).toMatch(/does not offer STARTTLS \(or something on the way removed it\)/);
    return `nothing (${error.code})`;
  },
  'bad certificate': async () => {
    const error = await refused('badcert@example.test', `smtp://${credentials}@127.0.0.1:${postfix.ports.badCert}`);
    expect(error.message).toMatch(/certificate was refused: it is not valid for 127\.0\.0\.1/);
    expect(error.message).not.toMatch(/check the port/);
    return `nothing (${error.code})`;
  },
  'cut at 10 % of the body': () => cutAt(0.1, 'cut10@example.test'),
  'cut at 50 % of the body': () => cutAt(0.5, 'cut50@example.test'),
  'cut at 99 % of the body': () => cutAt(0.99, 'cut99@example.test'),
  'cut after the final dot': () => noReply('close', 'afterdot@example.test'),
  'reply never comes': () => noReply('hang', 'noreply@example.test'),
  '4xx': async () => {
    const { ws, report } = await run('busy@example.test', viaProxy());
    expect(report).toMatchObject({ complete: false, tally: { deferred: 1 } });
    expect(row(ws, 'busy@example.test')).toMatchObject({ attempts: 2, last_error: expect.stringContaining('450 4.2.1') });
    return row(ws, 'busy@example.test').state;
  },
  '5xx': async () => {
    const { ws } = await run('gone@example.test', viaProxy());
    expect(row(ws, 'gone@example.test')).toMatchObject({ attempts: 1, last_error: expect.stringContaining('550 5.1.1') });
    return `${row(ws, 'gone@example.test').state}, reader ${subscriberStatus(ws, 'gone@example.test')}`;
  },
  SIZE: async () => {
    const { ws } = await run('big@example.test', `smtp://${credentials}@127.0.0.1:${postfix.ports.small}?allowInsecureAuth=true`);
    expect(row(ws, 'big@example.test')).toMatchObject({ attempts: 1, last_error: expect.stringContaining(`server accepts at most ${SMALL_LIMIT} (its SIZE limit)`) });
    expect(postfix.log()).not.toMatch(/from=<digest@example\.test> to=<big@example\.test>/);
    return `${row(ws, 'big@example.test').state}, reader ${subscriberStatus(ws, 'big@example.test') === 'active' ? 'not bounced' : 'bounced'}`;
  },
};

function docsTable(): [string, string][] {
  const text = readFileSync(join(REPO, 'docs', 'delivery-faults.md'), 'utf8');
  const lines = text.slice(text.indexOf('| Fault |')).split('\n');
  return lines
    .slice(2, lines.findIndex((line) => !line.startsWith('|')))
    .map((line) => line.split('|').map((cell) => cell.trim()))
    .map((cells) => [cells[1]!, cells[2]!]);
}

describe.skipIf(cannotRun)(`docs/delivery-faults.md against a real Postfix${cannotRun ? ` (skipped: ${cannotRun})` : ''}`, () => {
  it('lists exactly the faults this test runs', () => {
    expect(docsTable().map(([fault]) => fault)).toEqual(Object.keys(ROWS));
  });

  it.each(docsTable())('%s → %s', async (fault, documented) => {
    expect(await ROWS[fault]!()).toBe(documented);
  }, 30_000);
});

describe.skipIf(cannotRun)('the certificate is checked against the host in SMTP_URL, or ?servername=', () => {
  const verify = async (port: number, query = '') => {
    const transport = smtpClientTransport(`smtp://${credentials}@127.0.0.1:${port}${query}`, { maxConnections: 1, ca: postfix.certificates.ca, connectTimeoutMs: 5_000 });
    try {
      await transport.verify();
      return 'accepted';
    } catch (error) {
      return (error as { code: string }).code;
    } finally {
      await transport.close();
    }
  };

  it('an IP address is matched against the IP SANs: a certificate for 127.0.0.1 is accepted there, one for localhost is not', async () => {
    expect(await verify(postfix.ports.tls)).toBe('accepted');
    expect(await verify(postfix.ports.badCert)).toBe('SMTP_CERTIFICATE');
  });

  it('?servername= names the host the certificate must carry', async () => {
    expect(await verify(postfix.ports.tls, '?servername=mx.example.test')).toBe('accepted');
    expect(await verify(postfix.ports.tls, '?servername=other.example.test')).toBe('SMTP_CERTIFICATE');
    expect(await verify(postfix.ports.badCert, '?servername=localhost')).toBe('accepted');
  });
});
