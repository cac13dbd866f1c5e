import { execFileSync } from 'node:child_process';
import { createHmac, sign } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { App } from '../../src/app.js';
import { startWebServer, type RunningWebServer } from '../../src/web/server.js';
import { addSubscribers, send } from '../deliver/helpers.js';
import { startSmtpServer, type TestSmtpServer } from '../support/smtp.js';
import { createWorkspace, type Workspace } from '../support/workspace.js';
import { originalTo } from './support.js';

/**
 * Provider webhooks posted to the real web server. For SES the test is its own SNS: it makes a
 * certificate, serves it from a loopback origin the app is told to trust (production trusts only
 * the provider's https hosts), and signs every message with it.
 */
const TOPIC = 'arn:aws:sns:eu-west-1:123456789012:ses-bounces';
const POSTMARK = 'postmark:a-long-random-password-123';
const MAILGUN_KEY = 'mailgun-signing-key-0123456789';

let certDir: string;
let keyPem: string;
let certServer: Server;
let certOrigin: string;
const subscribeHits: string[] = [];

beforeAll(async () => {
  certDir = mkdtempSync(join(tmpdir(), 'digest-sns-'));
  execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-subj', '/CN=sns.amazonaws.com', '-days', '2', '-keyout', join(certDir, 'key.pem'), '-out', join(certDir, 'cert.pem')], { stdio: 'ignore' });
  keyPem = readFileSync(join(certDir, 'key.pem'), 'utf8');
  const certPem = readFileSync(join(certDir, 'cert.pem'), 'utf8');
  certServer = createServer((req, res) => {
    if (req.url?.startsWith('/SimpleNotificationService-test.pem')) return void res.end(certPem);
    if (req.url?.startsWith('/?Action=ConfirmSubscription')) {
      subscribeHits.push(req.url);
      return void res.end('<ConfirmSubscriptionResponse/>');
    }
    res.statusCode = 404;
    res.end();
  });
  await new Promise<void>((resolve) => certServer.listen(0, '127.0.0.1', resolve));
  certOrigin = `http://127.0.0.1:${(certServer.address() as { port: number }).port}`;
});

afterAll(async () => {
  await new Promise((resolve) => certServer.close(resolve));
  rmSync(certDir, { recursive: true, force: true });
});

let smtp: TestSmtpServer;
let ws: Workspace;
let app: App;
let web: RunningWebServer;

afterEach(async () => {
  await web?.close();
  await app?.close();
  await smtp?.close();
  ws?.cleanup();
});

async function setUp(env: Record<string, string> = { BOUNCE_SES_TOPIC_ARN: TOPIC, BOUNCE_POSTMARK_CREDENTIALS: POSTMARK, BOUNCE_MAILGUN_SIGNING_KEY: MAILGUN_KEY }) {
  smtp = await startSmtpServer();
  ws = createWorkspace({ SMTP_URL: smtp.url, BOUNCE_ADDRESS: 'bounces@example.org', ...env });
  await addSubscribers(ws, ['alice@example.com', 'bob@example.com', 'carol@example.com']);
  await send(ws);
  const origin = new RegExp(`^${certOrigin.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`);
  app = await ws.app({ snsCertificateOrigins: origin });
  web = await startWebServer(app, 0, { hostname: '127.0.0.1' });
}

const status = async (email: string) => (await app.store.findSubscriber(email))!.status;
const post = (path: string, body: unknown, headers: Record<string, string> = {}) =>
  fetch(new URL(path, web.url), { method: 'POST', headers: { 'content-type': 'text/plain; charset=UTF-8', ...headers }, body: typeof body === 'string' ? body : JSON.stringify(body) });

/** The test's own SNS: the fields in the documented order, signed with the test certificate's key. */
function snsSigned(fields: Record<string, string>, version: '1' | '2' = '2', certUrl = `${certOrigin}/SimpleNotificationService-test.pem`): Record<string, string> {
  const order = fields['Type'] === 'Notification' ? ['Message', 'MessageId', 'Subject', 'Timestamp', 'TopicArn', 'Type'] : ['Message', 'MessageId', 'SubscribeURL', 'Timestamp', 'Token', 'TopicArn', 'Type'];
  const text = order.filter((k) => fields[k] !== undefined).map((k) => `${k}\n${fields[k]}\n`).join('');
  const signature = sign(version === '2' ? 'sha256' : 'sha1', Buffer.from(text), keyPem).toString('base64');
  return { ...fields, SignatureVersion: version, Signature: signature, SigningCertURL: certUrl };
}

function sesNotification(id: string, message: unknown, topic = TOPIC) {
  return { Type: 'Notification', MessageId: id, TopicArn: topic, Message: JSON.stringify(message), Timestamp: new Date().toISOString() };
}

function sesBounce(to: string, source: string, messageId: string, type = 'Permanent') {
  return {
    notificationType: 'Bounce',
    bounce: { bounceType: type, bounceSubType: 'General', bouncedRecipients: [{ emailAddress: to, action: 'failed', status: '5.1.1', diagnosticCode: 'smtp; 550 5.1.1 user unknown' }] },
    mail: { source, messageId: '0102018f-ses-id', commonHeaders: { messageId } },
  };
}

describe('Amazon SES through SNS', () => {
  it('confirms the subscription, then records a signed bounce and complaint; a replay is a no-op', async () => {
    await setUp();
    const confirm = snsSigned({ Type: 'SubscriptionConfirmation', MessageId: 'c-1', Token: 'tok', TopicArn: TOPIC, Message: 'You have chosen to subscribe', SubscribeURL: `${certOrigin}/?Action=ConfirmSubscription&Token=tok`, Timestamp: new Date().toISOString() });
    expect((await post('/webhooks/ses', confirm)).status).toBe(200);
    expect(subscribeHits).toContain('/?Action=ConfirmSubscription&Token=tok');

    const alice = originalTo(smtp, 'alice@example.com');
    const bounce = snsSigned(sesNotification('n-1', sesBounce('alice@example.com', alice.returnPath, alice.messageId)));
    expect(await (await post('/webhooks/ses', bounce)).json()).toEqual({ recorded: 1, duplicate: 0, ignored: 0 });
    const bob = originalTo(smtp, 'bob@example.com');
    const complaint = snsSigned(
      sesNotification('n-2', { notificationType: 'Complaint', complaint: { complainedRecipients: [{ emailAddress: 'bob@example.com' }], complaintFeedbackType: 'abuse' }, mail: { source: 'digest@example.org', commonHeaders: { messageId: bob.messageId } } }),
      '1',
    );
    expect(await (await post('/webhooks/ses', complaint)).json()).toEqual({ recorded: 1, duplicate: 0, ignored: 0 });
    expect(await status('alice@example.com')).toBe('bounced');
    expect(await status('bob@example.com')).toBe('unsubscribed');
    expect(await (await post('/webhooks/ses', bounce)).json()).toEqual({ recorded: 0, duplicate: 1, ignored: 0 });
    expect(await app.store.listBounces(10)).toHaveLength(2);
  });

  it('refuses a forged or altered message, a certificate from another host, and another topic', async () => {
    await setUp();
    const carol = originalTo(smtp, 'carol@example.com');
    const genuine = snsSigned(sesNotification('n-3', sesBounce('alice@example.com', 'digest@example.org', '<x@y>')));
    const altered = { ...genuine, Message: JSON.stringify(sesBounce('carol@example.com', carol.returnPath, carol.messageId)) };
    const foreignCert = snsSigned(sesNotification('n-4', sesBounce('carol@example.com', carol.returnPath, carol.messageId)), '2', 'https://sns.attacker.example/SimpleNotificationService-x.pem');
    const otherTopic = snsSigned(sesNotification('n-5', sesBounce('carol@example.com', carol.returnPath, carol.messageId), 'arn:aws:sns:eu-west-1:999999999999:theirs'));
    const unsigned = sesNotification('n-6', sesBounce('carol@example.com', carol.returnPath, carol.messageId));
    const statuses = [];
    for (const body of [altered, foreignCert, otherTopic, unsigned, 'not json']) statuses.push((await post('/webhooks/ses', body)).status);
    expect(statuses).toEqual([403, 403, 403, 403, 400]);
    expect((await post('/webhooks/ses', 'x'.repeat(2 * 1024 * 1024))).status).toBe(413);
    expect(await status('carol@example.com')).toBe('active');
    expect(await app.store.listBounces(10)).toHaveLength(0);
    expect((await post('/webhooks/ses', genuine)).status).toBe(200);
  });

  it('in production only the provider\'s https hosts may serve certificates', async () => {
    ws = createWorkspace();
    app = await ws.app();
    expect(app.snsCertificateOrigins.test('https://sns.eu-west-1.amazonaws.com')).toBe(true);
    for (const origin of [certOrigin, 'http://sns.eu-west-1.amazonaws.com', 'https://sns.eu-west-1.amazonaws.com.evil.example', 'https://evil.example']) {
      expect(app.snsCertificateOrigins.test(origin)).toBe(false);
    }
  });

  it('a webhook that is not configured is not there', async () => {
    await setUp({});
    expect((await post('/webhooks/ses', {})).status).toBe(404);
    expect((await post('/webhooks/postmark', {})).status).toBe(404);
    expect((await post('/webhooks/mailgun', {})).status).toBe(404);
  });
});

describe('Postmark and Mailgun', () => {
  it('Postmark: Basic credentials from the webhook URL are required; a hard bounce and a spam complaint are recorded', async () => {
    await setUp();
    const bounce = { RecordType: 'Bounce', ID: 4323372036854775807, Type: 'HardBounce', TypeCode: 1, Email: 'alice@example.com', Details: 'smtp;550 5.1.1 The email account that you tried to reach does not exist', BouncedAt: new Date().toISOString() };
    const auth = (cred: string) => ({ authorization: `Basic ${Buffer.from(cred).toString('base64')}`, 'content-type': 'application/json' });
    expect((await post('/webhooks/postmark', bounce)).status).toBe(403);
    expect((await post('/webhooks/postmark', bounce, auth('postmark:wrong-password-wrong'))).status).toBe(403);
    expect(await status('alice@example.com')).toBe('active');
    expect(await (await post('/webhooks/postmark', bounce, auth(POSTMARK))).json()).toMatchObject({ recorded: 1 });
    const complaint = { RecordType: 'SpamComplaint', ID: 42, Type: 'SpamComplaint', Email: 'bob@example.com', Details: 'Test spam complaint details' };
    expect(await (await post('/webhooks/postmark', complaint, auth(POSTMARK))).json()).toMatchObject({ recorded: 1 });
    expect(await status('alice@example.com')).toBe('bounced');
    expect(await status('bob@example.com')).toBe('unsubscribed');
    const autoResponder = { ...bounce, ID: 43, Type: 'AutoResponder', Email: 'carol@example.com' };
    expect(await (await post('/webhooks/postmark', autoResponder, auth(POSTMARK))).json()).toEqual({ recorded: 0, duplicate: 0, ignored: 0 });
    expect(await status('carol@example.com')).toBe('active');
  });

  it('Mailgun: the HMAC signature and a fresh timestamp are required', async () => {
    await setUp();
    const alice = originalTo(smtp, 'alice@example.com');
    const signed = (timestamp: number, key = MAILGUN_KEY) => {
      const token = `token-${timestamp}-${key.length}`;
      return { timestamp: String(timestamp), token, signature: createHmac('sha256', key).update(`${timestamp}${token}`).digest('hex') };
    };
    const eventData = { id: 'mg-1', event: 'failed', severity: 'permanent', recipient: 'alice@example.com', envelope: { sender: alice.returnPath }, message: { headers: { 'message-id': alice.messageId.slice(1, -1) } }, 'delivery-status': { code: 550, 'enhanced-code': '5.1.1', message: '5.1.1 No such user' } };
    const now = Math.floor(Date.now() / 1000);
    expect((await post('/webhooks/mailgun', { signature: signed(now, 'another-key-entirely-000'), 'event-data': eventData })).status).toBe(403);
    expect((await post('/webhooks/mailgun', { signature: signed(now - 3600), 'event-data': eventData })).status).toBe(403);
    expect((await post('/webhooks/mailgun', { signature: { ...signed(now), signature: 'ab' }, 'event-data': eventData })).status).toBe(403);
    expect(await status('alice@example.com')).toBe('active');
    expect(await (await post('/webhooks/mailgun', { signature: signed(now), 'event-data': eventData })).json()).toMatchObject({ recorded: 1 });
    expect(await status('alice@example.com')).toBe('bounced');
    const complained = { id: 'mg-2', event: 'complained', recipient: 'bob@example.com' };
    expect(await (await post('/webhooks/mailgun', { signature: signed(now), 'event-data': complained })).json()).toMatchObject({ recorded: 1 });
    expect(await status('bob@example.com')).toBe('unsubscribed');
    expect((await app.store.listBounces(10)).map((e) => [e.source, e.kind, e.edition])).toEqual([
      ['mailgun', 'complaint', 1],
      ['mailgun', 'hard', 1],
    ]);
  });
});
