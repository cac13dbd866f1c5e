/**
 * How hard one run tries: retries of deferred messages with exponential backoff and jitter,
 * bounded by attempts and by a time budget; a circuit breaker after N consecutive failures;
 * and how long later runs keep retrying (from the edition's start) before giving up.
 */
export interface RetryPolicy {
  /** Attempts per message within one run, the first included. */
  attempts: number;
  /** No retry is scheduled past this many ms after the run started. */
  budgetMs: number;
  /** First retry delay; doubles each attempt, with ±50 % jitter, capped at maxDelayMs. */
  baseDelayMs: number;
  maxDelayMs: number;
  /** Deferred at the end of a run: later runs retry it no sooner than this. */
  laterRetryMs: number;
  /** Stop the run after this many consecutive failed or deferred messages. */
  breakerFailures: number;
  /** Deferred deliveries of an edition older than this are given up (failed). */
  maxAgeMs: number;
  /** Resend an uncertain send once, with the same Message-ID (UNCERTAIN_RESEND=once). */
  uncertainResend: boolean;
  /** Stop the run after this many uncertain results (UNCERTAIN_STOP_AFTER). */
  uncertainStopAfter: number;
}

export const DEFAULT_POLICY: RetryPolicy = {
  attempts: 4,
  budgetMs: 300_000,
  baseDelayMs: 2_000,
  maxDelayMs: 60_000,
  laterRetryMs: 5 * 60_000,
  breakerFailures: 25,
  maxAgeMs: 72 * 3_600_000,
  uncertainResend: true,
  uncertainStopAfter: 3,
};

/** Delay before attempt `next` (2, 3, …): base·2^(next−2), times a jitter factor in [0.5, 1.5). */
export function backoffMs(policy: RetryPolicy, next: number, random: () => number = Math.random): number {
  const exponential = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** Math.max(0, next - 2));
  return Math.round(exponential * (0.5 + random()));
}

export function policyFromConfig(config: {
  smtpRetryAttempts: number;
  smtpRetryBudgetSeconds: number;
  deferredMaxAgeHours: number;
  circuitBreakerFailures: number;
  uncertainResend: 'once' | 'never';
  uncertainStopAfter: number;
}): RetryPolicy {
  return {
    ...DEFAULT_POLICY,
    attempts: config.smtpRetryAttempts,
    budgetMs: config.smtpRetryBudgetSeconds * 1000,
    maxAgeMs: config.deferredMaxAgeHours * 3_600_000,
    breakerFailures: config.circuitBreakerFailures,
    uncertainResend: config.uncertainResend === 'once',
    uncertainStopAfter: config.uncertainStopAfter,
  };
}
