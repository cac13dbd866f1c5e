import type { Claim, DeliveryStore } from '../store/store.js';

/**
 * The edition's open rows as a stream for one worker: claimed from the ledger a batch at a time
 * (CLAIM_BATCH_SIZE), so memory stays flat however long the list is and other workers claim the
 * rows next to ours at the same time. What was claimed but not handed out when the run stops goes
 * back to pending.
 */
export class ClaimQueue {
  private buffer: Claim[] = [];
  private next = 0;
  private done = false;
  private filling: Promise<void> | undefined;

  constructor(
    private readonly store: Pick<DeliveryStore, 'claimBatch' | 'release'>,
    private readonly worker: string,
    private readonly edition: number,
    private readonly now: () => Date,
    private readonly batchSize = 100,
  ) {}

  /** The next claimed row, or undefined when no open row is left to claim. */
  async take(): Promise<Claim | undefined> {
    while (this.next >= this.buffer.length && !this.done) {
      this.filling ??= this.fill().finally(() => (this.filling = undefined));
      await this.filling;
    }
    const claim = this.buffer[this.next];
    if (claim) this.next += 1;
    return claim;
  }

  /** Stops the stream; claimed rows not yet handed out go back to pending. */
  async stop(): Promise<number> {
    this.done = true;
    await this.filling;
    const rest = this.buffer.slice(this.next).map((c) => c.subscriber.id);
    this.buffer = [];
    this.next = 0;
    return rest.length > 0 ? this.store.release(this.worker, this.edition, rest, this.now()) : 0;
  }

  private async fill(): Promise<void> {
    const batch = await this.store.claimBatch(this.worker, { edition: this.edition, limit: this.batchSize }, this.now());
    if (batch.length === 0 || this.done) {
      this.done = true;
      if (batch.length > 0) await this.store.release(this.worker, this.edition, batch.map((c) => c.subscriber.id), this.now());
      return;
    }
    this.buffer = batch;
    this.next = 0;
  }
}
