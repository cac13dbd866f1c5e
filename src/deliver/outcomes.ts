import { smtpErrorClass, type Metrics } from '../metrics/metrics.js';
import type { DeliveryOutcome } from '../store/store.js';
import type { SendOutcome } from '../transport/transport.js';
import type { Job, Run } from './deliver.js';
import { backoffMs } from './policy.js';

/** An attempt's outcome, or that the reader's chosen topics had nothing new in this edition. */
export type Recorded = SendOutcome | { status: 'skipped-nothing' };

/**
 * What a delivery run does with each attempt's outcome: the fenced ledger write, the tally, a
 * retry in this run or a later one, the uncertain-send policy, and the circuit breaker.
 */
export async function record(run: Run, job: Job, outcome: Recorded): Promise<void> {
  const { deps, edition, tally } = run;
  const at = deps.now();
  const id = job.subscriber.id;
  switch (outcome.status) {
    case 'sent':
      if (!(await write(run, id, { state: 'sent' }, at))) return;
      tally.sent += 1;
      run.consecutiveFailures = 0;
      return;
    case 'skipped-nothing':
      if (await write(run, id, { state: 'skipped', error: 'nothing new in the chosen topics' }, at)) tally.skipped += 1;
      return;
    case 'aborted':
      if (await write(run, id, { state: 'skipped', error: 'unsubscribed during the run' }, at)) tally.skipped += 1;
      return;
    case 'uncertain':
      await uncertain(run, job, outcome.response, at);
      return failure(run, outcome.response);
    case 'failed':
      if (!(await write(run, id, { state: 'failed', error: outcome.response }, at))) return;
      if (outcome.hardBounce) await deps.store.setStatus(id, 'bounced', at);
      deps.logger.warn('delivery.failed', { edition: edition.number, to: job.subscriber.email, code: outcome.code, response: outcome.response });
      tally.failed += 1;
      // A 5.1.x bounce is about that address, not about the server.
      return outcome.hardBounce ? undefined : failure(run, outcome.response);
    case 'deferred':
      await defer(run, job, outcome.response, at);
      return failure(run, outcome.response);
  }
}

/** A fenced write of this worker's row; false (and counted as refused) when the row is no longer ours. */
async function write(run: Run, subscriberId: number, outcome: DeliveryOutcome, at: Date): Promise<boolean> {
  if (await run.ledger.finish(subscriberId, outcome, at)) return true;
  run.tally.refused = (run.tally.refused ?? 0) + 1;
  run.deps.logger.warn('delivery.refused', { edition: run.edition.number, subscriber: subscriberId, state: outcome.state, reason: 'the row is no longer claimed by this worker (declared dead)' });
  return false;
}

/** When the next try happens: in this run while attempts and the time budget allow; otherwise a later run. */
function retryPlan(run: Run, job: Job, at: Date): { at: Date; inRun: boolean } {
  const { deps, policy } = run;
  const retryAt = at.getTime() + backoffMs(policy, job.attempt + 1, deps.random);
  const inRun = job.attempt < policy.attempts && retryAt - run.startedAt <= policy.budgetMs;
  return { at: new Date(inRun ? retryAt : at.getTime() + policy.laterRetryMs), inRun };
}

function scheduleRetry(run: Run, job: Job, plan: { at: Date; inRun: boolean }): void {
  if (plan.inRun) run.retries.push({ subscriber: job.subscriber, attempt: job.attempt + 1, dueAt: plan.at.getTime() });
  else run.tally.deferred += 1;
}

export function count(metrics: Metrics | undefined, outcome: Recorded): void {
  if (!metrics) return;
  const status = outcome.status === 'skipped-nothing' || outcome.status === 'aborted' ? 'skipped' : outcome.status;
  metrics.messageOutcome(status);
  if (outcome.status === 'uncertain') metrics.smtpError('uncertain');
  if (outcome.status === 'failed' || outcome.status === 'deferred') metrics.smtpError(smtpErrorClass(outcome.code));
}

async function defer(run: Run, job: Job, response: string, at: Date): Promise<void> {
  const plan = retryPlan(run, job, at);
  if (!(await write(run, job.subscriber.id, { state: 'deferred', error: response, retryAt: plan.at }, at))) return;
  run.deps.logger.warn('delivery.deferred', { edition: run.edition.number, to: job.subscriber.email, attempt: job.attempt, response, retry: plan.inRun ? 'this run' : 'next run' });
  scheduleRetry(run, job, plan);
}

/**
 * Every byte went out and no answer came: resent once (UNCERTAIN_RESEND=once), with the same
 * Message-ID, on the deferral schedule; a second uncertain result stays uncertain. Several in one
 * run are a network fault: the run stops like the circuit breaker, leaving the rest pending.
 */
async function uncertain(run: Run, job: Job, response: string, at: Date): Promise<void> {
  const { deps, policy, edition, tally } = run;
  const plan = policy.uncertainResend ? retryPlan(run, job, at) : undefined;
  const recorded = await run.ledger.recordUncertain(job.subscriber.id, response, plan?.at, at);
  if (recorded === undefined) {
    tally.refused = (tally.refused ?? 0) + 1;
    deps.logger.warn('delivery.refused', { edition: edition.number, subscriber: job.subscriber.id, state: 'uncertain', reason: 'the row is no longer claimed by this worker (declared dead)' });
    return;
  }
  const next = recorded === 'uncertain' ? 'not resent' : plan?.inRun ? 'resent once in this run' : 'resent once by a later run';
  deps.logger.warn('delivery.uncertain', { edition: edition.number, to: job.subscriber.email, attempt: job.attempt, response, next });
  if (recorded === 'deferred' && plan) scheduleRetry(run, job, plan);
  else tally.uncertain += 1;
  run.uncertainResults += 1;
  if (run.uncertainResults >= policy.uncertainStopAfter && !tally.stopped) {
    tally.stopped = `${run.uncertainResults} sends in this run ended uncertain (every byte sent, no answer; last: ${response}): that is a network fault, not bad luck; the rest is left for the next run`;
  }
}

function failure(run: Run, response: string): void {
  run.consecutiveFailures += 1;
  if (run.consecutiveFailures >= run.policy.breakerFailures && !run.tally.stopped) {
    run.tally.stopped = `circuit breaker: ${run.consecutiveFailures} consecutive failures (last: ${response}); the rest is left for the next run`;
  }
}
