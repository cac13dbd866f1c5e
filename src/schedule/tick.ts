import type { App } from '../app.js';
import { messageOf } from '../errors.js';
import { prepareEdition, runSend, type SendReport } from '../pipeline.js';
import type { Cadence } from '../render/view-model.js';
import type { TickOutcome } from '../store/ticks.js';

/**
 * One scheduled tick: the same code as `digest send`, keyed by the scheduled time. The tick is
 * recorded before anything else, so whoever records it first (this process before a restart,
 * another instance on the same database) is the only one to handle it.
 */
export interface TickResult {
  outcome: TickOutcome | 'taken';
  edition?: number;
  detail?: string;
}

export async function runTick(app: App, cadence: Cadence, scheduledAt: Date, signal: AbortSignal, options: { deliver?: boolean } = {}): Promise<TickResult> {
  const tick = scheduledAt.toISOString();
  if (!(await app.store.claimTick(cadence, tick, 'running', app.now()))) {
    app.logger.info('schedule.tick-taken', { cadence, tick });
    return { outcome: 'taken' };
  }
  app.logger.info('schedule.tick', { cadence, tick });
  const result = options.deliver === false ? await prepareForTick(app, cadence, tick, signal) : await sendForTick(app, cadence, tick, signal);
  await app.store.finishTick(cadence, tick, result as TickResult & { outcome: TickOutcome }, app.now());
  app.metrics.schedulerTick(cadence, result.outcome);
  const log = result.outcome === 'failed' ? app.logger.error : ['sent', 'prepared', 'nothing-new'].includes(result.outcome) ? app.logger.info : app.logger.warn;
  log(`schedule.${result.outcome}`, { cadence, tick, ...(result.edition ? { edition: result.edition } : {}), ...(result.detail ? { detail: result.detail } : {}) });
  return result;
}

async function sendForTick(app: App, cadence: Cadence, tick: string, signal: AbortSignal): Promise<TickResult & { outcome: TickOutcome }> {
  try {
    let report = await runSend(app, { cadence, tickKey: tick, signal });
    // An unfinished edition is finished first; then this tick still gets its own edition.
    if (report.resumed && report.complete && !signal.aborted) report = await runSend(app, { cadence, tickKey: tick, signal });
    if (!report.edition && signal.aborted) return { outcome: 'interrupted', detail: 'shut down before the send began' };
    if (!report.edition) {
      // Run again after an interruption: the edition it made was finished on start.
      const made = await app.store.findEditionByTick(cadence, tick);
      if (made) return { outcome: 'sent', edition: made.number, detail: 'edition finished after a restart' };
    }
    return outcomeOf(report, signal);
  } catch (error) {
    return { outcome: 'failed', detail: messageOf(error) };
  }
}

/** `digest start --no-worker`: the tick makes its edition (stages 1–6) and leaves delivery to the workers. */
async function prepareForTick(app: App, cadence: Cadence, tick: string, signal: AbortSignal): Promise<TickResult & { outcome: TickOutcome }> {
  try {
    const prepared = await prepareEdition(app, { cadence, tickKey: tick, signal });
    if (!prepared.edition) return { outcome: signal.aborted ? 'interrupted' : 'nothing-new' };
    const detail = prepared.resumed ? 'an unfinished edition is still open; the workers deliver it' : 'prepared; the workers deliver it';
    return { outcome: 'prepared', edition: prepared.edition.number, detail };
  } catch (error) {
    return { outcome: 'failed', detail: messageOf(error) };
  }
}

function outcomeOf(report: SendReport, signal: AbortSignal): TickResult & { outcome: TickOutcome } {
  if (!report.edition) return { outcome: 'nothing-new' };
  const { number } = report.edition;
  if (!report.complete && signal.aborted) return { outcome: 'interrupted', edition: number, detail: 'shut down mid-send; the rest goes out on restart' };
  const { sent, deferred, failed, skipped, uncertain } = report.tally;
  return { outcome: 'sent', edition: number, detail: `sent ${sent}, deferred ${deferred}, failed ${failed}, skipped ${skipped}, uncertain ${uncertain}` };
}

/** On start: finish an edition a crash or shutdown left unfinished, without starting a new one. */
export async function resumeUnfinished(app: App, cadence: Cadence, signal: AbortSignal): Promise<void> {
  const open = await app.store.openEdition(cadence);
  if (!open) return;
  app.logger.info('schedule.resume', { cadence, edition: open.number });
  try {
    const report = await runSend(app, { cadence, resumeOnly: true, signal });
    app.logger.info('schedule.resumed', { cadence, edition: open.number, ...report.tally, complete: report.complete });
  } catch (error) {
    app.logger.warn('schedule.failed', { cadence, edition: open.number, detail: messageOf(error) });
  }
}
