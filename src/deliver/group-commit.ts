import type { DeliveryOutcome, DeliveryStore, LedgerWrite, LedgerWriteResult } from '../store/store.js';

/**
 * The ledger writes of one delivery run, committed together (a group commit). A message's
 * `awaiting` mark is the write-ahead that makes a crash after its final dot `uncertain`, so it
 * must be durable before the dot: the caller waits for it. The marks of the messages that reach
 * their final dot in the same turn of the event loop (one per connection) wait for one shared
 * commit. Outcomes (sent, deferred, failed, uncertain, skipped) ride along in the next commit, or
 * after `outcomeDelayMs` when no mark comes, or at once when `eagerAt` of them are waiting
 * (every lane is then waiting for them). Each caller still gets its own fenced result.
 *
 * What a crash can lose: only outcomes not yet committed. A connection's next message has its
 * mark queued only after the reply to the message before it was read and its outcome queued,
 * so that outcome is in the same commit as the mark or an earlier one: at most one unrecorded
 * outcome per connection, whose row stays `awaiting` and is recovered as `uncertain` (and resent
 * once under UNCERTAIN_RESEND=once). A message is never recorded sent before its reply.
 */
export interface GroupCommitOptions {
  /**
   * Longest wait of an outcome for a mark to share a commit with (default 2 ms). Short: a lane
   * waits for its outcome's commit before its next message, and sessions handed over meanwhile
   * stay idle in the pool when every other lane waits too (20 ms measured slower).
   */
  outcomeDelayMs?: number;
  /** Outcomes waiting at which to commit without waiting (the number of delivery lanes). */
  eagerAt?: number;
}

interface Pending {
  write: LedgerWrite;
  resolve: (result: LedgerWriteResult) => void;
  reject: (error: unknown) => void;
}

export class GroupCommit {
  private queue: Pending[] = [];
  private committing: Promise<void> | undefined;
  private soon = false;
  private timer: NodeJS.Timeout | undefined;
  /** Commits made and writes in them, for the bench and tests. */
  readonly stats = { commits: 0, writes: 0 };

  constructor(
    private readonly store: Pick<DeliveryStore, 'recordBatch'>,
    private readonly worker: string,
    private readonly edition: number,
    private readonly options: GroupCommitOptions = {},
  ) {}

  /** sending → awaiting, durable when this resolves; false: do not send (see DeliveryStore.markAwaiting). */
  markAwaiting(subscriberId: number, messageId: string, at: Date): Promise<boolean> {
    return this.enqueue({ kind: 'awaiting', subscriberId, messageId, at }, true) as Promise<boolean>;
  }

  finish(subscriberId: number, outcome: DeliveryOutcome, at: Date): Promise<boolean> {
    return this.enqueue({ kind: 'finish', subscriberId, outcome, at }, false) as Promise<boolean>;
  }

  recordUncertain(subscriberId: number, reason: string, resendAt: Date | undefined, at: Date): Promise<'deferred' | 'uncertain' | undefined> {
    return this.enqueue({ kind: 'uncertain', subscriberId, reason, resendAt, at }, false) as Promise<'deferred' | 'uncertain' | undefined>;
  }

  /** Commits everything queued (and waits for a commit under way): at the end of a run, on shutdown. */
  async flush(): Promise<void> {
    while (this.queue.length > 0 || this.committing) {
      if (this.committing) await this.committing;
      else this.commitNow();
    }
  }

  private enqueue(write: LedgerWrite, urgent: boolean): Promise<LedgerWriteResult> {
    return new Promise<LedgerWriteResult>((resolve, reject) => {
      this.queue.push({ write, resolve, reject });
      if (urgent || this.queue.length >= (this.options.eagerAt ?? 1)) this.commitSoon();
      else this.timer ??= setTimeout(() => this.commitSoon(), this.options.outcomeDelayMs ?? 2);
    });
  }

  /** After the writes of this turn of the event loop have joined, or after the commit under way. */
  private commitSoon(): void {
    if (this.soon) return;
    this.soon = true;
    if (!this.committing) setImmediate(() => this.commitNow());
  }

  private commitNow(): void {
    if (this.committing || this.queue.length === 0) {
      this.soon = false;
      return;
    }
    clearTimeout(this.timer);
    this.timer = undefined;
    this.soon = false;
    const batch = this.queue;
    this.queue = [];
    this.stats.commits += 1;
    this.stats.writes += batch.length;
    this.committing = this.store
      .recordBatch(
        this.worker,
        this.edition,
        batch.map((p) => p.write),
      )
      .then(
        (results) => batch.forEach((p, i) => p.resolve(results[i])),
        (error: unknown) => batch.forEach((p) => p.reject(error)),
      )
      .finally(() => {
        this.committing = undefined;
        // Writes that came while this commit was under way: the next commit, now if any is urgent.
        if (this.soon) {
          this.soon = false;
          this.commitSoon();
        }
      });
  }
}
