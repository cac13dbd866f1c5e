import type { App } from '../app.js';
import type { Logger } from '../logger.js';
import type { BounceKind, BounceRule, BounceSource, DeliveryRef, Store } from '../store/store.js';
import type { Verp } from './verp.js';

/**
 * The policy, applied where every way in (listener, mailbox, file, webhooks) ends: a hard bounce
 * marks the subscriber bounced, soft bounces do once BOUNCE_SOFT_LIMIT arrived within
 * BOUNCE_SOFT_WINDOW_DAYS, a complaint unsubscribes. The store applies it only to a new event key.
 * Kept apart from mail parsing so the web server does not load mailparser.
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
