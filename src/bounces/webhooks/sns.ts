import { verify, X509Certificate } from 'node:crypto';

/**
 * Amazon SNS message signatures: the message's own fields, in a fixed order, signed with RSA
 * (SHA1 for SignatureVersion 1, SHA256 for 2) by a certificate fetched from SigningCertURL. That
 * URL, and a subscription's SubscribeURL, must be https on the provider's own hosts (`origins`),
 * or anyone could sign with a certificate of their own; the topic must be the configured one.
 */
export interface SnsMessage {
  Type: 'Notification' | 'SubscriptionConfirmation' | 'UnsubscribeConfirmation';
  MessageId: string;
  TopicArn: string;
  Message: string;
  Timestamp: string;
  SubscribeURL?: string;
}

export interface SnsCheck {
  topicArn: string;
  origins: RegExp;
  now: () => Date;
  /** Reads a certificate (PEM text); injectable only so a test can count fetches. */
  fetchText?: (url: string) => Promise<string>;
}

export class WebhookRefused extends Error {}

const FIELDS = {
  Notification: ['Message', 'MessageId', 'Subject', 'Timestamp', 'TopicArn', 'Type'],
  SubscriptionConfirmation: ['Message', 'MessageId', 'SubscribeURL', 'Timestamp', 'Token', 'TopicArn', 'Type'],
  UnsubscribeConfirmation: ['Message', 'MessageId', 'SubscribeURL', 'Timestamp', 'Token', 'TopicArn', 'Type'],
} as const;

const certificates = new Map<string, Promise<X509Certificate>>();

export async function verifySnsMessage(body: unknown, check: SnsCheck): Promise<SnsMessage> {
  const message = asRecord(body);
  const type = message['Type'];
  if (type !== 'Notification' && type !== 'SubscriptionConfirmation' && type !== 'UnsubscribeConfirmation') throw new WebhookRefused(`unknown SNS message type ${JSON.stringify(type)}`);
  for (const field of ['MessageId', 'TopicArn', 'Message', 'Timestamp', 'Signature', 'SigningCertURL']) {
    if (typeof message[field] !== 'string') throw new WebhookRefused(`SNS message without ${field}`);
  }
  if (message['TopicArn'] !== check.topicArn) throw new WebhookRefused(`SNS topic ${String(message['TopicArn']).slice(0, 200)} is not BOUNCE_SES_TOPIC_ARN`);
  const algorithm = message['SignatureVersion'] === '2' ? 'sha256' : message['SignatureVersion'] === '1' ? 'sha1' : undefined;
  if (!algorithm) throw new WebhookRefused(`unsupported SNS SignatureVersion ${JSON.stringify(message['SignatureVersion'])}`);
  const certUrl = trustedUrl(String(message['SigningCertURL']), check.origins, 'SigningCertURL');
  if (!certUrl.pathname.endsWith('.pem')) throw new WebhookRefused('SigningCertURL does not name a .pem certificate');
  const certificate = await certificateAt(certUrl.href, check);
  const now = check.now();
  if (now < new Date(certificate.validFrom) || now > new Date(certificate.validTo)) throw new WebhookRefused('the SNS signing certificate is not valid now');
  const signed = FIELDS[type]
    .filter((field) => typeof message[field] === 'string')
    .map((field) => `${field}\n${String(message[field])}\n`)
    .join('');
  const ok = verify(algorithm, Buffer.from(signed, 'utf8'), certificate.publicKey, Buffer.from(String(message['Signature']), 'base64'));
  if (!ok) throw new WebhookRefused('the SNS signature does not match');
  if (type !== 'Notification') trustedUrl(String(message['SubscribeURL'] ?? ''), check.origins, 'SubscribeURL');
  return message as unknown as SnsMessage;
}

/** A URL on one of the provider's origins (scheme, host and port compared as a whole). */
export function trustedUrl(value: string, origins: RegExp, field: string): URL {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new WebhookRefused(`${field} is not a URL`);
  }
  if (!origins.test(url.origin) || url.username || url.password) throw new WebhookRefused(`${field} ${url.origin} is not one of the provider's hosts`);
  return url;
}

async function certificateAt(url: string, check: SnsCheck): Promise<X509Certificate> {
  let pending = certificates.get(url);
  if (!pending) {
    pending = (check.fetchText ?? fetchPem)(url).then((pem) => new X509Certificate(pem));
    pending.catch(() => certificates.delete(url));
    if (certificates.size > 50) certificates.clear();
    certificates.set(url, pending);
  }
  try {
    return await pending;
  } catch (error) {
    throw new WebhookRefused(`the SNS signing certificate could not be read: ${(error as Error).message}`);
  }
}

async function fetchPem(url: string): Promise<string> {
  const response = await fetch(url, { redirect: 'error', signal: AbortSignal.timeout(10_000) });
  if (!response.ok) throw new Error(`HTTP ${response.status}`);
  const text = await response.text();
  if (text.length > 64 * 1024) throw new Error('certificate larger than 64 KB');
  return text;
}

function asRecord(value: unknown): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new WebhookRefused('the body is not a JSON object');
  return value as Record<string, unknown>;
}
