import { smtpErrorClass, type Metrics } from '../metrics/metrics.js';
import type { DeliveryOutcome, Edition, Subscriber } from '../store/store.js';
import type { SendOutcome } from '../transport/transport.js';
import { attemptDelivery, type AttemptDeps } from './attempt.js';
import { ClaimQueue } from './claims.js';
import { backoffMs, DEFAULT_POLICY, type RetryPolicy } from './policy.js';

/**
 * Stages 7–8: personalise (attempt.ts) and deliver, recording every step in the ledger.
 * Rows are claimed from the ledger a batch at a time and owned by this worker, so any number of
 * workers can deliver one edition and none takes another's row; a write the ledger refuses (the
 * row was taken back from a worker declared dead) is not counted. More lanes than connections
 * keep every connection busy across batches. A deferred message is retried within the run
 * (exponential backoff with jitter, bounded attempts and time budget); a run of consecutive
 * failures trips the circuit breaker, which stops the run and leaves the rest pending. An uncertain
 * send is resent once on the same schedule, with the same Message-ID, and a few of them in one run
 * stop it the same way.
 */
export interface DeliverDeps extends AttemptDeps {
  /** Shutdown: stop taking recipients; those claimed but not yet sent are handed back to pending. */
  signal?: AbortSignal | undefined;
  policy?: RetryPolicy;
  /** Injectable for tests: waiting for a retry, and the jitter. */
  sleep?: (ms: number) => Promise<void>;
  random?: () => number;
  /** Called after every recorded outcome (progress display). */
  onProgress?: (tally: Tally) => void;
  /** Rows claimed at a time (CLAIM_BATCH_SIZE). */
  batchSize?: number;
  metrics?: Metrics;
}

export interface Tally {
  sent: number;
  deferred: number;
  failed: number;
  skipped: number;
  uncertain: number;
  /** Set when the run stopped before the end (circuit breaker, shutdown): why. */
  stopped?: string;
  /** Claimed recipients handed back to pending when the run stopped early. */
  leftPending?: number;
  /** Outcomes the ledger refused: this worker had been declared dead and lost those rows. */
  refused?: number;
  /** Rows this run claimed (fresh claims, not in-run retries). */
  claimed?: number;
}

interface Job {
  subscriber: Subscriber;
  attempt: number;
  dueAt: number;
}

interface Run {
  deps: DeliverDeps;
  edition: Edition;
  policy: RetryPolicy;
  tally: Tally;
  queue: ClaimQueue;
  retries: Job[];
  startedAt: number;
  consecutiveFailures: number;
  /** Uncertain results so far in this run, resent or not. */
  uncertainResults: number;
  /** The first error a lane threw (the ledger could not be written): the other lanes stop. */
  failure?: { error: unknown };
}

const sleepReal = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

export async function deliverEdition(deps: DeliverDeps, edition: Edition): Promise<Tally> {
  const run: Run = {
    deps,
    edition,
    policy: deps.policy ?? DEFAULT_POLICY,
    tally: { sent: 0, deferred: 0, failed: 0, skipped: 0, uncertain: 0 },
    queue: new ClaimQueue(deps.store, deps.worker, edition.number, deps.now, deps.batchSize),
    retries: [],
    startedAt: deps.now().getTime(),
    consecutiveFailures: 0,
    uncertainResults: 0,
  };
  const lanes = Math.max(1, deps.transport.concurrency * 2);
  // A lane that throws stops the others, and the run ends only when none is still sending: a
  // message on the wire is finished and recorded, not cut off by the caller closing up.
  await Promise.all(Array.from({ length: lanes }, () => work(run).catch((error: unknown) => void (run.failure ??= { error }))));
  if (run.failure) {
    await run.queue.stop().catch(() => 0);
    throw run.failure.error;
  }
  const released = await run.queue.stop();
  if (released > 0) run.tally.leftPending = released;
  // Retries still waiting are deferred in the ledger already; later runs take them up.
  run.tally.deferred += run.retries.length;
  if (deps.signal?.aborted && !run.tally.stopped) run.tally.stopped = 'shutting down';
  if (run.tally.stopped) deps.logger.warn('send.stopped', { edition: edition.number, reason: run.tally.stopped, leftPending: released, deferred: run.tally.deferred });
  return run.tally;
}

function stopping(run: Run): boolean {
  return run.tally.stopped !== undefined || run.failure !== undefined || run.deps.signal?.aborted === true;
}

async function work(run: Run): Promise<void> {
  for (;;) {
    if (stopping(run)) return;
    const job = await nextJob(run);
    if (!job) return;
    const started = performance.now();
    const result = await attemptDelivery(run.deps, run.edition, job.subscriber);
    if (result.status !== 'nothing-to-send' && result.status !== 'aborted') run.deps.metrics?.sendDuration((performance.now() - started) / 1000);
    const recorded: Recorded = result.status === 'nothing-to-send' ? { status: 'skipped-nothing' } : result;
    await record(run, job, recorded);
    count(run.deps.metrics, recorded);
    run.deps.onProgress?.(run.tally);
  }
}

/** A retry that is due, else the next fresh recipient, else wait for the earliest retry. */
async function nextJob(run: Run): Promise<Job | undefined> {
  for (;;) {
    if (stopping(run)) return undefined;
    const now = run.deps.now().getTime();
    run.retries.sort((a, b) => a.dueAt - b.dueAt);
    const due = run.retries[0];
    if (due && due.dueAt <= now) {
      run.retries.shift();
      const [claimed] = await run.deps.store.claim(run.deps.worker, run.edition.number, [due.subscriber.id], run.deps.now());
      if (claimed !== undefined) return due;
      continue;
    }
    const claim = await run.queue.take();
    if (claim) {
      run.tally.claimed = (run.tally.claimed ?? 0) + 1;
      return { subscriber: claim.subscriber, attempt: 1, dueAt: now };
    }
    if (!due) return undefined;
    await (run.deps.sleep ?? sleepReal)(Math.max(1, Math.min(due.dueAt - now, 1000)));
  }
}

type Recorded = SendOutcome | { status: 'skipped-nothing' };

async function record(run: Run, job: Job, outcome: Recorded): Promise<void> {
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
  if (await run.deps.store.finish(run.deps.worker, run.edition.number, subscriberId, outcome, at)) return true;
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

function count(metrics: Metrics | undefined, outcome: Recorded): void {
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
  const recorded = await deps.store.recordUncertain(deps.worker, edition.number, job.subscriber.id, response, plan?.at, at);
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
