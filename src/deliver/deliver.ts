import type { Metrics } from '../metrics/metrics.js';
import type { Edition, Subscriber } from '../store/store.js';
import { attemptDelivery, type AttemptDeps } from './attempt.js';
import { ClaimQueue } from './claims.js';
import { GroupCommit } from './group-commit.js';
import { count, record, type Recorded } from './outcomes.js';
import { DEFAULT_POLICY, type RetryPolicy } from './policy.js';

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

export interface Job {
  subscriber: Subscriber;
  attempt: number;
  dueAt: number;
}

export interface Run {
  deps: DeliverDeps;
  edition: Edition;
  policy: RetryPolicy;
  tally: Tally;
  queue: ClaimQueue;
  /** Every ledger write of the run's messages, committed in groups. */
  ledger: GroupCommit;
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
  const lanes = Math.max(1, deps.transport.concurrency * 2);
  const run: Run = {
    deps,
    edition,
    policy: deps.policy ?? DEFAULT_POLICY,
    tally: { sent: 0, deferred: 0, failed: 0, skipped: 0, uncertain: 0 },
    queue: new ClaimQueue(deps.store, deps.worker, edition.number, deps.now, deps.batchSize),
    ledger: new GroupCommit(deps.store, deps.worker, edition.number, { eagerAt: lanes, outcomeDelayMs: 2 }),
    retries: [],
    startedAt: deps.now().getTime(),
    consecutiveFailures: 0,
    uncertainResults: 0,
  };
  // A lane that throws stops the others, and the run ends only when none is still sending: a
  // message on the wire is finished and recorded, not cut off by the caller closing up.
  await Promise.all(Array.from({ length: lanes }, () => work(run).catch((error: unknown) => void (run.failure ??= { error }))));
  // Each lane waited for its own writes' commit; whatever is still queued is committed now.
  await run.ledger.flush().catch((error: unknown) => void (run.failure ??= { error }));
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
    const result = await attemptDelivery(run.deps, run.edition, job.subscriber, run.ledger);
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
