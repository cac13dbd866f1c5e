import { randomBytes } from 'node:crypto';
import type { RenderedDigest } from '../render/render-digest.js';
import { fieldOfToken, TOKEN_PATTERN, type PersonalField, type PersonalValues } from '../render/personal.js';
import { escapeHtml } from '../text.js';
import type { Mailbox } from './address.js';
import { builtMessage, type BuiltMessage } from './built-message.js';
import { encodeText, formatDateHeader, formatMailbox, headerLine } from './headers.js';
import { encodeQuotedPrintable } from './quoted-printable.js';

/**
 * Stage 7: the MIME message, built once per segment with personal tokens left as gaps, then
 * completed per subscriber by joining pre-encoded byte chunks. Each gap is bounded by
 * quoted-printable soft line breaks, so a value of any length keeps every line within limits.
 */
type BodyPiece = Buffer | { field: PersonalField; html: boolean };

export interface MessageTemplate {
  subject: string;
  /** Headers shared by every recipient, CRLF-terminated. */
  sharedHeaders: string;
  body: BodyPiece[];
}

export interface SenderInfo {
  from: Mailbox;
  /** `Name <label.domain>`, RFC 2919. */
  listId: string;
  /** The From address's domain, under which every Message-ID is made. */
  domain: string;
  /** With BOUNCE_ADDRESS: the delivery's own signed envelope sender (VERP); otherwise From is used. */
  envelopeFrom?: (edition: number, subscriberId: number) => string;
  /** The delivery's Message-ID, the same on every attempt (message-id.ts). */
  messageId: (edition: { number: number; createdAt: Date }, subscriberId: number) => string;
}

export interface Recipient {
  mailbox: Mailbox;
  values: PersonalValues;
  messageId: string;
  date: Date;
}

const CRLF = '\r\n';
const SOFT_BREAK = Buffer.from(`=${CRLF}`);

export function compileMessage(rendered: RenderedDigest, sender: Pick<SenderInfo, 'from' | 'listId'>): MessageTemplate {
  const boundary = newBoundary('digest');
  const sharedHeaders = [
    headerLine('From', formatMailbox(sender.from)),
    headerLine('Subject', encodeText(rendered.subject)),
    headerLine('List-Id', sender.listId),
    'List-Unsubscribe-Post: List-Unsubscribe=One-Click',
    ...alternativeHeaders(boundary),
  ].join(CRLF);
  const body: BodyPiece[] = [
    Buffer.from(`${CRLF}${partStart(boundary, 'text/plain')}`),
    ...encodePart(rendered.text, false),
    Buffer.from(`${CRLF}${partStart(boundary, 'text/html')}`),
    ...encodePart(rendered.html, true),
    Buffer.from(`${CRLF}--${boundary}--${CRLF}`),
  ];
  return { subject: rendered.subject, sharedHeaders: `${sharedHeaders}${CRLF}`, body };
}

/** The complete RFC 5322 message for one subscriber, as the template's chunks and the subscriber's own. */
export function personalize(template: MessageTemplate, recipient: Recipient): BuiltMessage {
  const headers = [
    headerLine('To', formatMailbox(recipient.mailbox)),
    headerLine('Date', formatDateHeader(recipient.date)),
    headerLine('Message-ID', recipient.messageId),
    headerLine('List-Unsubscribe', `<${recipient.values.unsubscribeUrl}>`),
  ].join(CRLF);
  const chunks: Buffer[] = [Buffer.from(`${headers}${CRLF}${template.sharedHeaders}`)];
  for (const piece of template.body) {
    if (Buffer.isBuffer(piece)) chunks.push(piece);
    else chunks.push(SOFT_BREAK, encodeQp(piece.html ? escapeHtml(recipient.values[piece.field]) : recipient.values[piece.field], true), SOFT_BREAK);
  }
  // Headers are folded with CRLF and refuse line breaks; every body piece is quoted-printable:
  // CRLF only, and no line starts with ".", as a built message must be.
  return builtMessage(chunks);
}

export function newBoundary(prefix: string): string {
  return `${prefix}-${randomBytes(8).toString('hex')}`;
}

/** The last two headers of a multipart/alternative message with this boundary. */
export function alternativeHeaders(boundary: string): string[] {
  return ['MIME-Version: 1.0', `Content-Type: multipart/alternative; boundary="${boundary}"`];
}

/** The delimiter and headers of one quoted-printable UTF-8 body part, ending in the blank line. */
export function partStart(boundary: string, type: string): string {
  return `--${boundary}${CRLF}Content-Type: ${type}; charset=utf-8${CRLF}Content-Transfer-Encoding: quoted-printable${CRLF}${CRLF}`;
}

/** Splits a part at its tokens and encodes the literal runs once, now. */
function encodePart(content: string, html: boolean): BodyPiece[] {
  const pieces: BodyPiece[] = [];
  let last = 0;
  for (const match of content.matchAll(TOKEN_PATTERN)) {
    pieces.push(encodeQp(content.slice(last, match.index), true), { field: fieldOfToken(match[0]), html });
    last = match.index + match[0].length;
  }
  pieces.push(encodeQp(content.slice(last), false));
  return pieces;
}

/** `gapFollows`: a soft break comes right after (around each personal value), so its "=" needs room. */
function encodeQp(text: string, gapFollows: boolean): Buffer {
  return Buffer.from(encodeQuotedPrintable(text, { softBreakAfter: gapFollows }), 'ascii');
}
