/**
 * The metrics port: what the product counts, in its own words. Delivery, the scheduler and the web
 * server call it; only the composition root decides whether it goes to Prometheus (prometheus.ts)
 * or nowhere, so tests and one-off commands pass `noMetrics` and stay free of global state.
 */
export type MessageOutcome = 'sent' | 'deferred' | 'failed' | 'uncertain' | 'skipped';
/** SMTP trouble by kind: a 4xx or 5xx reply, or no reply (connection lost, timeout) — 'uncertain' when it may have arrived. */
export type SmtpErrorClass = '4xx' | '5xx' | 'no-reply' | 'uncertain';

export interface Metrics {
  messageOutcome(outcome: MessageOutcome): void;
  /** Seconds one message took, personalising through the server's answer. */
  sendDuration(seconds: number): void;
  /** Deliveries of the open edition still to do (pending and deferred). */
  queueDepth(deliveries: number): void;
  smtpError(errorClass: SmtpErrorClass): void;
  schedulerTick(cadence: string, outcome: string): void;
  httpRequest(method: string, route: string, status: number, seconds: number): void;
}

export const noMetrics: Metrics = {
  messageOutcome() {},
  sendDuration() {},
  queueDepth() {},
  smtpError() {},
  schedulerTick() {},
  httpRequest() {},
};

/** The class of a failed or deferred SMTP answer, from its reply code. */
export function smtpErrorClass(code: number | undefined): SmtpErrorClass {
  if (code === undefined) return 'no-reply';
  return code >= 500 ? '5xx' : '4xx';
}
