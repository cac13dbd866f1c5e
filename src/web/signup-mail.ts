import type { App } from '../app.js';
import { encodeText, formatDateHeader, formatMailbox, headerLine } from '../mail/headers.js';
import { alternativeHeaders, newBoundary, partStart } from '../mail/message.js';
import { newMessageId } from '../mail/message-id.js';
import { encodeQuotedPrintable } from '../mail/quoted-printable.js';
import { greetingFor } from '../render/personal.js';
import type { Cadence } from '../render/view-model.js';
import type { Subscriber } from '../store/store.js';
import { signedLink } from '../tokens.js';
import type { Pages } from './pages.js';

/**
 * The emails a sign-up can cause: the confirmation (double opt-in) for a new or former
 * subscriber, and a "you are already subscribed" note for an active one, so the web page never
 * tells which happened; once confirmed, a welcome with the latest edition's link. Text and HTML come from templates/web/email/<kind>.txt.hbs / .html.hbs;
 * the text template's first line is `Subject: …`.
 */
export type SignupMailKind = 'confirm' | 'already-subscribed' | 'welcome';

export const CONFIRM_TTL_MS = 48 * 3_600_000;
const CRLF = '\r\n';

/**
 * `cadence` is the one the mail speaks of (a sign-up's own choice, for a confirmation). A
 * confirmation never shows a name, in its text or its To header: the name was typed by whoever
 * filled in the form, not yet confirmed by the address's owner. It leaves through app.transport,
 * which signs it like every other message when DKIM is configured.
 */
export async function sendSignupMail(app: App, pages: Pages, subscriber: Subscriber, kind: SignupMailKind, cadence: Cadence = subscriber.cadence): Promise<void> {
  const now = app.now();
  const name = kind === 'confirm' ? '' : subscriber.name;
  const latest = kind === 'welcome' ? (await app.store.listEditions(50)).find((e) => e.status === 'complete') : undefined;
  const view = {
    publication: { name: app.publication.name, postalAddress: app.publication.sender.postalAddress, senderName: app.publication.sender.name, siteUrl: app.publication.siteUrl },
    name,
    greeting: greetingFor(name),
    latest: latest ? { number: latest.number, subject: latest.subject, url: new URL(`archive/${latest.number}`, app.config.publicUrl).href } : null,
    archiveUrl: new URL('archive', app.config.publicUrl).href,
    cadence,
    email: subscriber.email,
    confirmUrl: signedLink(app.signer, app.config.publicUrl, 'confirm', subscriber.id, new Date(now.getTime() + CONFIRM_TTL_MS)),
    preferencesUrl: signedLink(app.signer, app.config.publicUrl, 'preferences', subscriber.id),
    expiresInHours: CONFIRM_TTL_MS / 3_600_000,
  };
  const [firstLine = '', ...rest] = pages.raw(`email/${kind}.txt`, view).split('\n');
  const subject = /^Subject:\s*(.*)$/i.exec(firstLine)?.[1] ?? `${app.publication.name}`;
  const text = `${rest.join('\n').trim()}\n`;
  const html = pages.raw(`email/${kind}.html`, view);
  const messageId = newMessageId(app.sender.domain, kind, subscriber.id);
  const raw = buildMessage(app, { name, address: subscriber.email }, { subject, text, html, messageId, date: now });
  const outcome = await app.transport.send({ from: app.config.from.address, to: subscriber.email, messageId }, raw, async () => true);
  const event = outcome.status === 'sent' ? 'signup.mail_sent' : 'signup.mail_failed';
  app.logger[outcome.status === 'sent' ? 'info' : 'warn'](event, { kind, subscriber: subscriber.id, status: outcome.status, ...('response' in outcome ? { response: outcome.response } : {}) });
}

function buildMessage(app: App, to: { name: string; address: string }, mail: { subject: string; text: string; html: string; messageId: string; date: Date }): Buffer {
  const boundary = newBoundary('signup');
  const part = (type: string, body: string) => `${partStart(boundary, type)}${encodeQuotedPrintable(body)}${CRLF}`;
  const headers = [
    headerLine('From', formatMailbox(app.sender.from)),
    headerLine('To', formatMailbox(to)),
    headerLine('Subject', encodeText(mail.subject)),
    headerLine('Date', formatDateHeader(mail.date)),
    headerLine('Message-ID', mail.messageId),
    'Auto-Submitted: auto-generated',
    ...alternativeHeaders(boundary),
  ].join(CRLF);
  return Buffer.from(`${headers}${CRLF}${CRLF}${part('text/plain', mail.text)}${part('text/html', mail.html)}--${boundary}--${CRLF}`);
}
