import { messageOf } from '../errors.js';
import type { BounceSource, DeliveryRef } from '../store/store.js';
import { readReport, ReportRefused, type MailReport } from './parse-mail.js';
import { recordFinding, type BounceDeps, type Finding, type Outcome } from './record.js';

export { bounceDeps, type BounceDeps, type Outcome } from './record.js';

/**
 * From a report to a stored event: judge what it says (hard, soft, complaint, or nothing), find
 * the delivery it is about, and record it with the policy's effect on the subscriber. A mailed
 * report counts only when it names a delivery by a correctly signed VERP address or by one of our
 * Message-IDs: an address alone in a message anyone can send proves nothing.
 *
 * One mailed report (SMTP listener, IMAP mailbox, a file); `envelopeTo` is the listener's RCPT TO. */
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

function ignored(deps: BounceDeps, source: BounceSource, why: string): Outcome {
  deps.logger.info('bounce.ignored', { source, why });
  return { result: 'ignored', why };
}
