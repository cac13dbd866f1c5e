import { createApp } from '../../app.js';
import { runSend, type SendReport } from '../../pipeline.js';
import { feedWarnings } from '../../feeds/gather.js';
import { formatProblem } from '../../posts/post.js';
import { CADENCES, type Cadence } from '../../render/view-model.js';
import { describeReason } from '../../select.js';
import { importSamplesIfEmbedded } from '../../subscribers/sample.js';
import { UsageError } from '../../errors.js';
import { unscheduledCadence } from '../../subscribers/choices.js';
import { stringOption, type CommandContext } from '../command.js';

/** `digest send`: refuses a cadence that is not enabled (it would make an edition nobody receives). */
export async function send({ options, out, loadConfig, early }: CommandContext): Promise<number> {
  const cadence = parseCadence(stringOption(options, 'cadence'));
  const dryRun = options.dryRun === true;
  const config = loadConfig();
  const disabled = unscheduledCadence(config, cadence);
  if (disabled) throw new UsageError('CADENCE_DISABLED', `--cadence ${cadence} is refused: ${disabled}. Nothing was sent.`);
  // The MJML worker `early` started (render/mjml-thread.ts); the program closes it in any case.
  const app = await createApp(config, { dryRun, mjml: early?.mjml });
  try {
    await importSamplesIfEmbedded(app, out);
    const report = await runSend(app, { cadence, progress: true });
    printReport(report, out, { dryRun, destination: app.transport.description });
    return report.tally.failed + report.tally.uncertain + report.recovered.uncertain > 0 || report.problems.some((p) => p.severity === 'error') ? 2 : 0;
  } finally {
    await app.close();
  }
}

export function parseCadence(value: string | undefined): Cadence {
  if (value && (CADENCES as readonly string[]).includes(value)) return value as Cadence;
  throw new UsageError('BAD_CADENCE', `--cadence must be one of ${CADENCES.join(', ')} (got "${value}")`);
}

function printReport(report: SendReport, out: (line: string) => void, options: { dryRun: boolean; destination: string }): void {
  for (const warning of feedWarnings(report.feeds)) out(`Warning: ${warning}`);
  for (const problem of report.problems.filter((p) => p.severity === 'error')) out(`Skipped post: ${formatProblem(problem)}`);
  const { edition, tally } = report;
  if (!edition) {
    out('Nothing new to send: no post has been published since the last edition.');
    for (const { post, reason } of report.selection?.leftOut.filter((l) => l.reason.kind === 'future') ?? []) out(`  waiting: ${post.title} (${describeReason(reason)})`);
    return;
  }
  const verb = options.dryRun ? 'Dry run of edition' : report.resumed ? 'Resumed edition' : 'Edition';
  out(`${verb} #${edition.number} (${edition.cadence}): ${edition.posts.length} post${edition.posts.length === 1 ? '' : 's'}`);
  for (const post of edition.posts) out(`  - ${post.title}`);
  const recipients = tally.sent + tally.deferred + tally.failed + tally.skipped + tally.uncertain;
  out(`Recipients: ${recipients} · ${options.dryRun ? 'would send' : 'sent'} ${tally.sent} · failed ${tally.failed} · deferred ${tally.deferred} · skipped ${tally.skipped} · uncertain ${tally.uncertain + report.recovered.uncertain}`);
  const totals = report.totals;
  if (totals && totals.sent + totals.failed + totals.uncertain !== tally.sent + tally.failed + tally.uncertain) {
    out(`Edition #${edition.number} so far, every run and worker together: sent ${totals.sent} · failed ${totals.failed} · deferred ${totals.deferred} · skipped ${totals.skipped} · uncertain ${totals.uncertain}`);
  }
  if (options.dryRun) out('Dry run: nothing was sent and nothing was recorded.');
  else out(`Delivered to ${options.destination}.`);
  if (tally.stopped) out(`Stopped early (${tally.stopped}).${tally.leftPending ? ` ${tally.leftPending} recipients were left pending for the next run.` : ''}`);
  printUncertain(report, out);
  if (!report.complete) out(unfinishedLine(report));
}

/** What is left for a later run: how many deliveries are deferred, and the earliest time one is retried. */
function unfinishedLine(report: SendReport): string {
  const deferred = report.deferred;
  if (!deferred || deferred.count === 0) return 'Some deliveries are pending: the next `digest send` continues with them.';
  const one = deferred.count === 1;
  const when = deferred.earliestRetry ? ` after ${formatUtc(deferred.earliestRetry)}` : '';
  return `${deferred.count} ${one ? 'delivery is' : 'deliveries are'} deferred; the next \`digest send\`${when} retries ${one ? 'it' : 'them'}.`;
}

const formatUtc = (date: Date) => `${date.toISOString().slice(0, 19).replace('T', ' ')} UTC`;

/** Possibly received, never resent automatically: each is named so someone can decide. */
function printUncertain(report: SendReport, out: (line: string) => void): void {
  const uncertain = report.uncertain ?? [];
  if (uncertain.length === 0) return;
  out(`Uncertain (the connection ended after the message was handed over, before the server confirmed; not resent):`);
  for (const delivery of uncertain.slice(0, 20)) out(`  ${delivery.email} ${delivery.messageId ?? ''} — ${delivery.lastError ?? ''}`);
  if (uncertain.length > 20) out(`  … and ${uncertain.length - 20} more (see the deliveries table, state 'uncertain').`);
}
