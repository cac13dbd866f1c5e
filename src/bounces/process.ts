import type { App } from '../app.js';
import { messageOf } from '../errors.js';
import type { Logger } from '../logger.js';
import type { BounceKind, BounceRule, BounceSource, DeliveryRef, Store } from '../store/store.js';
import { readReport, ReportRefused, type MailReport } from './parse-mail.js';
import type { Verp } from './verp.js';

/**
 * From a report to a stored event: judge what it says (hard, soft, complaint, or nothing), find
 * the delivery it is about, and record it with the policy's effect on the subscriber. A mailed
 * report counts only when it names a delivery by a correctly signed VERP address or by one of our
 * Message-IDs: an address alone in a message anyone can send proves nothing.
 */
export interface BounceDeps {
  store: Store;
  verp: Verp | undefined;
  now: () => Date;
  logger: Logger;
  softLimit: number;
  softWindowDays: number;
  maxBytes: number;
}

export interface Finding {
  kind: BounceKind;
  status: string | null;
  reason: string;
}

export type Outcome =
  | { result: 'recorded' | 'duplicate'; kind: BounceKind; email: string; edition: number; statusChanged: boolean }
  | { result: 'ignored'; why: string };

export function bounceDeps(app: App): BounceDeps {
  const { bounces } = app.config;
  return { store: app.store, verp: app.verp, now: app.now, logger: app.logger, softLimit: bounces.softLimit, softWindowDays: bounces.softWindowDays, maxBytes: bounces.maxMessageBytes };
}

/** One mailed report (SMTP listener, IMAP mailbox, a file); `envelopeTo` is the listener's RCPT TO. */
export async function processMail(deps: BounceDeps, raw: Buffer, source: BounceSource, envelopeTo?: string): Promise<Outcome> {
  let report: MailReport;
  try {
    report = await readReport(raw, { maxBytes: deps.maxBytes });
  } catch (error) {
    if (!(error instanceof ReportRefused)) deps.logger.warn('bounce.unreadable', { source, error: messageOf(error) });
    return ignored(deps, source, `unreadable report: ${messageOf(error)}`);
  }
  const finding = judge(report);
  if ('ignore' in finding) return ignored(deps, source, finding.ignore);
  const ref = await locate(deps, report, envelopeTo);
  if (!ref) return ignored(deps, source, `${finding.kind} report names no delivery of ours (no signed VERP address, no known Message-ID)`);
  return recordFinding(deps, ref, finding, `mail:${report.reportId}:${ref.edition}:${ref.subscriberId}:${finding.kind}`, source);
}

/** What a report says, by the policy's words. */
export function judge(report: MailReport): Finding | { ignore: string } {
  if (report.kind === 'arf') {
    if (report.feedbackType === 'not-spam') return { ignore: 'feedback report of type not-spam' };
    return { kind: 'complaint', status: report.feedbackType ?? 'abuse', reason: `complaint (ARF feedback-type ${report.feedbackType ?? 'abuse'})` };
  }
  if (report.kind === 'auto-reply') return { ignore: 'auto-reply (not a bounce)' };
  if (report.kind === 'other') return { ignore: 'neither a delivery report, a complaint nor a recognisable bounce' };
  const failed = report.recipients.find((r) => (r.action === undefined || r.action === 'failed') && r.status && /^[45]/.test(r.status));
  if (!failed) {
    const actions = report.recipients.map((r) => r.action ?? 'unknown').join(', ') || 'no recipients';
    return { ignore: `delivery report without a failure (${actions})` };
  }
  return { kind: failed.status?.startsWith('5') ? 'hard' : 'soft', status: failed.status ?? null, reason: failed.diagnostic };
}

async function locate(deps: BounceDeps, report: MailReport, envelopeTo: string | undefined): Promise<DeliveryRef | undefined> {
  const ids = [...(envelopeTo && deps.verp?.parse(envelopeTo) ? [deps.verp.parse(envelopeTo)!] : []), ...(deps.verp?.findIn(report.searchText) ?? [])];
  for (const id of ids) {
    const ref = await deps.store.getDeliveryRef(id.edition, id.subscriberId);
    if (ref) return ref;
  }
  for (const messageId of report.originalMessageIds) {
    const ref = await deps.store.findDelivery({ messageId });
    if (ref) return ref;
  }
  return undefined;
}

/** Stores the event with its policy rule; the store applies the rule only to a new event. */
export async function recordFinding(deps: BounceDeps, ref: DeliveryRef, finding: Finding, key: string, source: BounceSource): Promise<Outcome> {
  const now = deps.now();
  const rule: BounceRule =
    finding.kind === 'complaint'
      ? { markAs: 'unsubscribed' }
      : finding.kind === 'hard'
        ? { markAs: 'bounced' }
        : { markAs: 'bounced', softLimit: { count: deps.softLimit, since: new Date(now.getTime() - deps.softWindowDays * 86_400_000) } };
  const event = { key: key.slice(0, 500), kind: finding.kind, source, edition: ref.edition, subscriberId: ref.subscriberId, email: ref.email, status: finding.status, reason: finding.reason.slice(0, 500), receivedAt: now };
  const { recorded, statusChanged } = await deps.store.recordBounce(event, rule);
  const outcome: Outcome = { result: recorded ? 'recorded' : 'duplicate', kind: finding.kind, email: ref.email, edition: ref.edition, statusChanged };
  deps.logger.info(recorded ? 'bounce.recorded' : 'bounce.duplicate', { source, kind: finding.kind, edition: ref.edition, to: ref.email, status: finding.status, statusChanged });
  return outcome;
}

function ignored(deps: BounceDeps, source: BounceSource, why: string): Outcome {
  deps.logger.info('bounce.ignored', { source, why });
  return { result: 'ignored', why };
}
