import { clip } from '../fields.js';
import type { Finding } from '../record.js';

/**
 * Provider events in one shape: what happened, the event's own id (a replay is a no-op), and what
 * names the delivery (VERP envelope sender, our Message-ID, the address). Events that are not
 * bounces or complaints (deliveries, opens, auto-responders) come back empty.
 */
export interface ProviderEvent {
  key: string;
  finding: Finding;
  email: string;
  verp?: string | undefined;
  messageId?: string | undefined;
}

type Json = Record<string, unknown>;
const obj = (v: unknown): Json => (typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Json) : {});
const str = (v: unknown): string | undefined => (typeof v === 'string' && v.length > 0 ? v : undefined);
const list = (v: unknown): Json[] => (Array.isArray(v) ? v.map(obj) : []);
const bracketed = (id: string | undefined) => (id ? `<${id.replace(/^<|>$/g, '')}>` : undefined);

/** Amazon SES notification (the `Message` of an SNS Notification, parsed). */
export function sesEvents(snsMessageId: string, message: Json): ProviderEvent[] {
  const type = str(message['notificationType']) ?? str(message['eventType']);
  const mail = obj(message['mail']);
  const headerId = list(mail['headers']).find((h) => str(h['name'])?.toLowerCase() === 'message-id')?.['value'];
  const names = { verp: str(mail['source']), messageId: bracketed(str(obj(mail['commonHeaders'])['messageId']) ?? str(headerId)) };
  if (type === 'Bounce') {
    const bounce = obj(message['bounce']);
    const bounceType = str(bounce['bounceType']) ?? 'Undetermined';
    return list(bounce['bouncedRecipients']).flatMap((r) => {
      const email = str(r['emailAddress']);
      if (!email) return [];
      const kind = bounceType === 'Permanent' ? 'hard' : 'soft';
      const reason = clip(str(r['diagnosticCode']) ?? `${bounceType} bounce (${str(bounce['bounceSubType']) ?? 'General'})`);
      return [{ key: `ses:${snsMessageId}:${email.toLowerCase()}`, email, ...names, finding: { kind, status: str(r['status']) ?? bounceType, reason } }];
    });
  }
  if (type === 'Complaint') {
    const complaint = obj(message['complaint']);
    const feedback = str(complaint['complaintFeedbackType']) ?? 'abuse';
    if (feedback === 'not-spam') return [];
    return list(complaint['complainedRecipients']).flatMap((r) => {
      const email = str(r['emailAddress']);
      return email ? [{ key: `ses:${snsMessageId}:${email.toLowerCase()}`, email, ...names, finding: { kind: 'complaint' as const, status: feedback, reason: `complaint (SES feedback type ${feedback})` } }] : [];
    });
  }
  return [];
}

const POSTMARK_HARD = new Set(['HardBounce', 'BadEmailAddress', 'ManuallyDeactivated', 'Blocked', 'AddressChange']);
const POSTMARK_SOFT = new Set(['SoftBounce', 'Transient', 'DnsError', 'SMTPApiError', 'Undeliverable', 'ContentRelated', 'SpamNotification']);

/** Postmark bounce and spam-complaint webhooks. */
export function postmarkEvents(body: Json): ProviderEvent[] {
  const email = str(body['Email']);
  const id = str(String(body['ID'] ?? ''));
  if (!email || !id) return [];
  const type = str(body['Type']) ?? '';
  const reason = clip(str(body['Details']) ?? str(body['Description']) ?? type);
  if (body['RecordType'] === 'SpamComplaint' || type === 'SpamComplaint') {
    return [{ key: `postmark:${id}`, email, finding: { kind: 'complaint', status: 'SpamComplaint', reason: `complaint (Postmark SpamComplaint) ${reason}`.trim() } }];
  }
  if (body['RecordType'] !== 'Bounce') return [];
  const kind = POSTMARK_HARD.has(type) ? 'hard' : POSTMARK_SOFT.has(type) ? 'soft' : undefined;
  return kind ? [{ key: `postmark:${id}`, email, finding: { kind, status: type, reason } }] : [];
}

/** Mailgun `failed` and `complained` events (the `event-data` of a webhook). */
export function mailgunEvents(data: Json): ProviderEvent[] {
  const email = str(data['recipient']);
  const id = str(data['id']);
  if (!email || !id) return [];
  const names = { verp: str(obj(data['envelope'])['sender']), messageId: bracketed(str(obj(obj(data['message'])['headers'])['message-id'])) };
  if (data['event'] === 'complained') return [{ key: `mailgun:${id}`, email, ...names, finding: { kind: 'complaint', status: 'complained', reason: 'complaint (Mailgun complained)' } }];
  if (data['event'] !== 'failed') return [];
  const status = obj(data['delivery-status']);
  const kind = data['severity'] === 'permanent' ? 'hard' : 'soft';
  const reason = clip(str(status['description']) || str(status['message']) || str(data['reason']) || 'failed');
  return [{ key: `mailgun:${id}`, email, ...names, finding: { kind, status: str(status['enhanced-code']) ?? String(status['code'] ?? data['severity'] ?? ''), reason } }];
}
