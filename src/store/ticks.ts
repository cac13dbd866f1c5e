import type { Cadence } from '../render/view-model.js';

/**
 * The tick ledger: one row per (cadence, scheduled time), written before anything else happens
 * for that tick. A restart, a clock jump back or a second instance on the same database finds
 * the row and does not handle the tick again, whether or not it produced an edition.
 */
export type TickOutcome =
  | 'running'
  | 'sent'
  /** The edition was made; `digest worker`s deliver it (`digest start --no-worker`). */
  | 'prepared'
  | 'nothing-new'
  /** Recorded by versions that had a global send lease. */
  | 'skipped-lease'
  | 'skipped-busy'
  | 'missed'
  | 'interrupted'
  | 'failed';

export interface Tick {
  cadence: Cadence;
  /** The scheduled instant as an ISO UTC string. */
  key: string;
  startedAt: Date;
  finishedAt: Date | null;
  outcome: TickOutcome;
  edition: number | null;
  detail: string | null;
}

export interface TickStore {
  /** Records the tick with its first outcome; false when it is already recorded (unless interrupted or failed). */
  claimTick(cadence: Cadence, key: string, outcome: TickOutcome, now: Date): Promise<boolean>;
  finishTick(cadence: Cadence, key: string, result: { outcome: TickOutcome; edition?: number; detail?: string }, now: Date): Promise<void>;
  /** The tick with the latest scheduled time. */
  lastTick(cadence: Cadence): Promise<Tick | undefined>;
  recentTicks(limit: number): Promise<Tick[]>;
}
