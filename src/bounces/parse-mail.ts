import { createHash } from 'node:crypto';
import { simpleParser, type Attachment, type ParsedMail } from 'mailparser';
import { clip, enhancedStatus, fieldBlocks, headerSection, typedValue, type Fields } from './fields.js';

/**
 * Reads a bounce, complaint or auto-reply with mailparser into plain data: standard DSNs
 * (RFC 3464 message/delivery-status), the text-only bounces some big providers still send
 * (Exchange NDRs, Yahoo's "Failure Notice"), ARF complaints (RFC 5965) and auto-replies (RFC 3834).
 * Nothing here decides who is meant: it only collects what names the original delivery.
 */
export type ReportKind = 'dsn' | 'text-bounce' | 'arf' | 'auto-reply' | 'other';

export interface RecipientResult {
  address: string | undefined;
  action: string | undefined;
  /** Enhanced status, e.g. 5.1.1; a bare SMTP code 554 becomes 5.0.0. */
  status: string | undefined;
  diagnostic: string;
}

export interface MailReport {
  kind: ReportKind;
  /** The report's own Message-ID, or a digest of its bytes: what makes a replay recognisable. */
  reportId: string;
  recipients: RecipientResult[];
  /** ARF Feedback-Type (abuse, fraud, not-spam, …). */
  feedbackType?: string;
  /** All text where a VERP address or our Message-ID may appear (headers, report, original's headers). */
  searchText: string;
  /** Message-IDs of the original message, as the report quotes them. */
  originalMessageIds: string[];
}

export interface ReadLimits {
  maxBytes: number;
  /** Multipart and message/* parts allowed in one report: more is a MIME bomb, not a bounce. */
  maxParts?: number;
}

export class ReportRefused extends Error {}

const MAX_PARTS = 64;
const MAX_TEXT = 200_000;

export async function readReport(raw: Buffer, limits: ReadLimits): Promise<MailReport> {
  if (raw.length > limits.maxBytes) throw new ReportRefused(`larger than ${limits.maxBytes} bytes (${raw.length})`);
  const nested = raw.toString('latin1').match(/^content-type:[ \t\r\n]*(multipart|message)\//gim)?.length ?? 0;
  if (nested > (limits.maxParts ?? MAX_PARTS)) throw new ReportRefused(`${nested} nested multipart/message parts (at most ${limits.maxParts ?? MAX_PARTS})`);
  const mail = await simpleParser(raw, { keepDeliveryStatus: true, skipHtmlToText: true, skipTextToHtml: true, skipTextLinks: true, skipImageLinks: true });
  const part = (...types: string[]) => mail.attachments.find((a) => types.includes(a.contentType.toLowerCase()));
  const dsn = part('message/delivery-status', 'message/global-delivery-status');
  const arf = part('message/feedback-report');
  const original = part('message/rfc822', 'text/rfc822-headers', 'message/global', 'message/global-headers');
  const text = (mail.text ?? '').slice(0, MAX_TEXT);
  const originalText = original ? original.content.subarray(0, MAX_TEXT).toString('utf8') : '';
  const base = {
    reportId: mail.messageId ? `<${mail.messageId.replace(/^<|>$/g, '')}>` : `sha256:${createHash('sha256').update(raw).digest('hex')}`,
    searchText: [headerText(mail), dsn ? attachmentText(dsn) : '', arf ? attachmentText(arf) : '', headerSectionText(originalText), text].join('\n'),
    originalMessageIds: originalIds(mail, originalText, dsn),
  };
  if (arf) {
    const report = fieldBlocks(attachmentText(arf))[0] ?? new Map();
    return { ...base, kind: 'arf', recipients: [], feedbackType: (report.get('feedback-type') ?? 'abuse').toLowerCase() };
  }
  if (dsn) return { ...base, kind: 'dsn', recipients: dsnRecipients(attachmentText(dsn)) };
  if (isAutoReply(mail)) return { ...base, kind: 'auto-reply', recipients: [] };
  const textual = isTextBounce(mail) ? textBounce(text) : undefined;
  return textual ? { ...base, kind: 'text-bounce', recipients: [textual] } : { ...base, kind: 'other', recipients: [] };
}

/** One result per recipient block (the first block is about the message as a whole). */
function dsnRecipients(text: string): RecipientResult[] {
  const blocks = fieldBlocks(text);
  const perRecipient = blocks.filter((b) => b.has('final-recipient') || b.has('original-recipient') || b.has('action'));
  return perRecipient.map((block: Fields) => {
    const diagnostic = clip(typedValue(block.get('diagnostic-code')) ?? block.get('diagnostic-code') ?? '');
    const status = enhancedStatus(block.get('status') ?? '') ?? enhancedStatus(diagnostic) ?? basicCodeStatus(diagnostic);
    return {
      address: typedValue(block.get('final-recipient')) ?? typedValue(block.get('original-recipient')),
      action: block.get('action')?.toLowerCase().split(/[\s(]/)[0],
      status,
      diagnostic: diagnostic || `status ${status ?? 'unknown'}`,
    };
  });
}

/** A bounce written as prose: the first status code in it, and the line that carries it. */
function textBounce(text: string): RecipientResult | undefined {
  const lines = text.split(/\r?\n/).slice(0, 400);
  const line = lines.find((l) => enhancedStatus(l)) ?? lines.find((l) => basicCodeStatus(l));
  if (!line) return undefined;
  const address = /<([^<>\s@]+@[^<>\s@]+)>/.exec(text)?.[1];
  return { address, action: 'failed', status: enhancedStatus(line) ?? basicCodeStatus(line), diagnostic: clip(line) };
}

/** `554: delivery error` or `550-…`: a bare SMTP reply code as the class it stands for. */
function basicCodeStatus(text: string): string | undefined {
  const code = /(?<![\d.])([45])\d\d(?=[ :\-])/.exec(text)?.[1];
  return code ? `${code}.0.0` : undefined;
}

const BOUNCE_SENDER = /^(mailer-daemon|postmaster|mail-daemon|mailerdaemon)@/i;
const BOUNCE_SUBJECT = /undeliver|delivery (status notification|failure|has failed)|failure notice|returned mail|mail delivery (failed|subsystem)|non.?delivery|delivery failed/i;

function isTextBounce(mail: ParsedMail): boolean {
  const from = mail.from?.value[0]?.address ?? '';
  return BOUNCE_SENDER.test(from) || BOUNCE_SUBJECT.test(mail.subject ?? '');
}

/** RFC 3834 and the common vendor markers; a DSN or ARF is recognised before this is asked. */
function isAutoReply(mail: ParsedMail): boolean {
  const header = (name: string) => String(mail.headers.get(name) ?? '').toLowerCase();
  if (/^auto-(replied|generated)/.test(header('auto-submitted'))) return true;
  if (mail.headers.has('x-autoreply') || mail.headers.has('x-autorespond') || mail.headers.has('x-autoresponder')) return true;
  if (/^(auto_reply|auto-reply)$/.test(header('precedence'))) return true;
  return /^(out of office|automatic reply|auto(matic)?[- ]?(reply|response)|abwesenheit)/i.test(mail.subject ?? '');
}

function attachmentText(attachment: Attachment): string {
  return attachment.content.subarray(0, MAX_TEXT).toString('utf8');
}

function headerText(mail: ParsedMail): string {
  return mail.headerLines.map((h) => h.line).join('\n').slice(0, MAX_TEXT);
}

function headerSectionText(message: string): string {
  const end = message.search(/\r?\n\r?\n/);
  return end === -1 ? message : message.slice(0, end);
}

/**
 * The original's Message-ID from its embedded headers, Gmail's X-Original-Message-ID, a copy quoted
 * in the text (Yahoo), In-Reply-To / References.
 */
function originalIds(mail: ParsedMail, originalText: string, dsn: Attachment | undefined): string[] {
  const ids = [
    headerSection(originalText).get('message-id'),
    /^message-id:[ \t]*(<[^<>\s]{1,250}>)/im.exec((mail.text ?? '').slice(0, MAX_TEXT))?.[1],
    dsn ? (fieldBlocks(attachmentText(dsn))[0]?.get('x-original-message-id') ?? undefined) : undefined,
    mail.inReplyTo,
    ...[mail.references ?? []].flat(),
  ];
  return [...new Set(ids.flatMap((id) => (id ? [...id.matchAll(/<[^<>\s]{1,250}>/g)].map((m) => m[0]) : [])))];
}
