import { randomBytes } from 'node:crypto';

/**
 * Bounce, complaint and auto-reply messages in the shapes the big providers send, built here so
 * every byte is known. `Original` is what our own message carried: its envelope sender (a VERP
 * address when BOUNCE_ADDRESS is set), recipient and Message-ID.
 */
export interface Original {
  returnPath: string;
  to: string;
  messageId: string;
  subject?: string;
}

const CRLF = '\r\n';
const lines = (...parts: string[]) => parts.join(CRLF);
const id = (domain: string) => `<${randomBytes(8).toString('hex')}@${domain}>`;
const date = 'Mon, 30 Nov 2026 09:00:00 +0000';

function originalHeaders(o: Original): string {
  return lines(
    `Return-Path: <${o.returnPath}>`,
    `From: International Governments Digest <digest@example.org>`,
    `To: ${o.to}`,
    `Subject: ${o.subject ?? 'This week in International Governments'}`,
    `Message-ID: ${o.messageId}`,
    `Date: ${date}`,
    'MIME-Version: 1.0',
    'Content-Type: text/plain; charset=utf-8',
  );
}

/** The original message as the last part of a multipart report, and the closing boundary. */
function attached(boundary: string, o: Original): string {
  return lines(`--${boundary}`, 'Content-Type: message/rfc822', '', originalHeaders(o), '', 'The body of the digest.', `--${boundary}--`, '');
}

/** RFC 3464 as Postfix writes it; `status` 5.1.1 (no such user) or 4.2.2 (mailbox full). */
export function rfc3464(o: Original, status = '5.1.1', diagnostic = 'smtp; 550 5.1.1 <x>: Recipient address rejected: User unknown in virtual mailbox table'): Buffer {
  const b = 'postfix-report-boundary';
  return Buffer.from(lines(
    'From: MAILER-DAEMON@mx.example.net (Mail Delivery System)',
    `To: ${o.returnPath}`,
    'Subject: Undelivered Mail Returned to Sender',
    `Message-ID: ${id('mx.example.net')}`,
    `Date: ${date}`,
    'Auto-Submitted: auto-replied',
    'MIME-Version: 1.0',
    `Content-Type: multipart/report; report-type=delivery-status; boundary="${b}"`,
    '',
    `--${b}`,
    'Content-Type: text/plain; charset=us-ascii',
    '',
    'This is the mail system at host mx.example.net.',
    "I'm sorry to have to inform you that your message could not be delivered.",
    '',
    `--${b}`,
    'Content-Type: message/delivery-status',
    '',
    'Reporting-MTA: dns; mx.example.net',
    `Arrival-Date: ${date}`,
    '',
    `Final-Recipient: rfc822; ${o.to}`,
    `Original-Recipient: rfc822;${o.to}`,
    `Action: ${status.startsWith('4') ? 'failed' : 'failed'}`,
    `Status: ${status}`,
    'Remote-MTA: dns; inbound.example.com',
    `Diagnostic-Code: ${diagnostic}`,
    '',
    `--${b}`,
    'Content-Type: text/rfc822-headers',
    '',
    originalHeaders(o),
    '',
    `--${b}--`,
    '',
  ));
}

/** A DSN that only says "delayed": not a bounce. */
export function delayed(o: Original): Buffer {
  return Buffer.from(rfc3464(o, '4.4.7', 'smtp; 421 4.4.7 still trying').toString().replace('Action: failed', 'Action: delayed'));
}

/**
 * Gmail: a DSN whose top says Auto-Submitted (like an auto-reply), a multi-line folded
 * Diagnostic-Code, and the non-standard X-Original-Message-ID; the original attached whole.
 */
export function gmail(o: Original): Buffer {
  const b = '000000000000gmail';
  return Buffer.from(lines(
    'From: Mail Delivery Subsystem <mailer-daemon@googlemail.com>',
    `To: ${o.returnPath}`,
    'Auto-Submitted: auto-replied',
    'Subject: Delivery Status Notification (Failure)',
    `Message-ID: ${id('mx.google.com')}`,
    `Date: ${date}`,
    `References: ${o.messageId}`,
    `In-Reply-To: ${o.messageId}`,
    'MIME-Version: 1.0',
    `Content-Type: multipart/report; boundary="${b}"; report-type=delivery-status`,
    '',
    `--${b}`,
    'Content-Type: multipart/related; boundary="inner-related"',
    '',
    '--inner-related',
    'Content-Type: multipart/alternative; boundary="inner-alt"',
    '',
    '--inner-alt',
    'Content-Type: text/plain; charset="UTF-8"',
    '',
    "** Address not found **",
    '',
    `Your message wasn't delivered to ${o.to} because the address couldn't be found, or is unable to receive mail.`,
    '',
    '--inner-alt',
    'Content-Type: text/html; charset="UTF-8"',
    '',
    '<html><body><h1>Address not found</h1></body></html>',
    '--inner-alt--',
    '--inner-related--',
    `--${b}`,
    'Content-Type: message/delivery-status',
    '',
    'Reporting-MTA: dns; googlemail.com',
    'Received-From-MTA: dns; mail-sor-f41.google.com',
    `Arrival-Date: ${date}`,
    `X-Original-Message-ID: ${o.messageId}`,
    '',
    `Final-Recipient: rfc822; ${o.to}`,
    'Action: failed',
    'Status: 5.1.1',
    'Remote-MTA: dns; gmail-smtp-in.l.google.com. (2a00:1450:400c:c0b::1b, the server for the domain gmail.com.)',
    'Diagnostic-Code: smtp; 550-5.1.1 The email account that you tried to reach does not exist. Please try',
    " 550-5.1.1 double-checking the recipient's email address for typos or",
    ' 550-5.1.1 unnecessary spaces. https://support.google.com/mail/?p=NoSuchUser',
    ' 550 5.1.1 a640c23a62f3a-abc123.1 - gsmtp',
    `Last-Attempt-Date: ${date}`,
    '',
    attached(b, o),
  ));
}

/**
 * Exchange / Microsoft 365 NDR in its older text-only form: no delivery-status part, the status
 * only in prose ("Remote Server returned '550 5.1.10 RESOLVER…'"), the original attached.
 */
export function exchange(o: Original): Buffer {
  const b = '_000_NDR_boundary_';
  return Buffer.from(lines(
    'From: postmaster@contoso.onmicrosoft.com',
    `To: ${o.returnPath}`,
    'Subject: Undeliverable: This week in International Governments',
    `Message-ID: ${id('contoso.onmicrosoft.com')}`,
    `Date: ${date}`,
    'X-MS-Exchange-Message-Is-Ndr: ',
    'MIME-Version: 1.0',
    `Content-Type: multipart/mixed; boundary="${b}"`,
    '',
    `--${b}`,
    'Content-Type: text/plain; charset="us-ascii"',
    '',
    'Delivery has failed to these recipients or groups:',
    '',
    `${o.to}`,
    "The e-mail address you entered couldn't be found. Please check the recipient's e-mail address and try to resend the message.",
    '',
    'Diagnostic information for administrators:',
    '',
    'Generating server: DB6PR0101MB2345.eurprd01.prod.exchangelabs.com',
    '',
    `${o.to}`,
    "Remote Server returned '550 5.1.10 RESOLVER.ADR.RecipientNotFound; Recipient not found by SMTP address lookup'",
    '',
    attached(b, o),
  ));
}

/** Yahoo's "Failure Notice": plain text, a bare SMTP code (554), the original's headers quoted inline. */
export function yahoo(o: Original): Buffer {
  return Buffer.from(lines(
    'From: MAILER-DAEMON@yahoo.com',
    `To: ${o.returnPath}`,
    'Subject: Failure Notice',
    `Message-ID: ${id('yahoo.com')}`,
    `Date: ${date}`,
    'Content-Type: text/plain; charset=us-ascii',
    '',
    'Sorry, we were unable to deliver your message to the following address.',
    '',
    `<${o.to}>:`,
    `554: delivery error: dd This user doesn't have a yahoo.com account (${o.to}) [0] - mta1234.mail.ne1.yahoo.com`,
    '',
    '--- Below this line is a copy of the message.',
    '',
    originalHeaders(o),
    '',
    'The body of the digest.',
    '',
  ));
}

/** An RFC 5965 ARF complaint as a feedback loop sends it: to the FBL address, recipient redacted. */
export function arf(o: Original, feedbackType = 'abuse'): Buffer {
  const b = 'arf-boundary';
  return Buffer.from(lines(
    'From: Yahoo! Mail AntiSpam Feedback <feedback@arf.mail.yahoo.com>',
    'To: fbl@example.org',
    'Subject: FW: This week in International Governments',
    `Message-ID: ${id('arf.mail.yahoo.com')}`,
    `Date: ${date}`,
    'MIME-Version: 1.0',
    `Content-Type: multipart/report; report-type=feedback-report; boundary="${b}"`,
    '',
    `--${b}`,
    'Content-Type: text/plain; charset="US-ASCII"',
    '',
    'This is an email abuse report for an email message received from IP 192.0.2.1.',
    '',
    `--${b}`,
    'Content-Type: message/feedback-report',
    '',
    `Feedback-Type: ${feedbackType}`,
    'User-Agent: Yahoo!-Mail-Feedback/2.0',
    'Version: 1',
    `Original-Mail-From: <${o.returnPath}>`,
    'Original-Rcpt-To: <redacted@yahoo.com>',
    `Arrival-Date: ${date}`,
    'Reported-Domain: example.org',
    'Source-IP: 192.0.2.1',
    '',
    attached(b, { ...o, to: 'redacted@yahoo.com' }),
  ));
}

/** An out-of-office reply (RFC 3834), sent (wrongly) to the envelope sender. */
export function autoReply(o: Original): Buffer {
  return Buffer.from(lines(
    `From: ${o.to}`,
    `To: ${o.returnPath}`,
    'Subject: Automatic reply: This week in International Governments',
    `Message-ID: ${id('example.com')}`,
    `In-Reply-To: ${o.messageId}`,
    `Date: ${date}`,
    'Auto-Submitted: auto-replied',
    'X-Autoreply: yes',
    'Content-Type: text/plain; charset=utf-8',
    '',
    'I am out of the office until Monday, with no access to email. I will not return any 550 5.1.1 codes.',
    '',
  ));
}

/**
 * A "DSN bomb": a multipart/report nested `depth` levels deep, padded to about `bytes`, with a
 * real-looking failure buried at the bottom.
 */
export function bomb(o: Original, depth: number, bytes: number): Buffer {
  const open: string[] = [];
  const close: string[] = [];
  for (let level = 0; level < depth; level += 1) {
    open.push(`--b${level}`, `Content-Type: multipart/mixed; boundary="b${level + 1}"`, '');
    close.unshift(`--b${level + 1}--`);
  }
  const pad = 'X'.repeat(76);
  const padLines = Math.max(0, Math.floor(bytes / 78));
  const padding = Array.from({ length: padLines }, () => pad).join(CRLF);
  const head = lines(
    'From: MAILER-DAEMON@bomb.example.net',
    `To: ${o.returnPath}`,
    'Subject: Undelivered Mail Returned to Sender',
    `Message-ID: ${id('bomb.example.net')}`,
    'MIME-Version: 1.0',
    'Content-Type: multipart/report; report-type=delivery-status; boundary="b0"',
    '',
  );
  const inner = lines(`--b${depth}`, 'Content-Type: text/plain', '', padding, `--b${depth}`, 'Content-Type: message/delivery-status', '', `Final-Recipient: rfc822; ${o.to}`, 'Action: failed', 'Status: 5.1.1', '');
  return Buffer.from([head, ...open, inner, ...close, '--b0--', ''].join(CRLF));
}
