import type { DeliveryStore, Edition, Subscriber } from '../store/store.js';

/**
 * The edition's remaining recipients as a stream: read from the store a batch at a time and
 * claimed in one transaction per batch (pending → sending), so memory stays flat however long
 * the list is. Whatever was claimed but not handed out when the run stops goes back to pending.
 */
export class RecipientQueue {
  private buffer: Subscriber[] = [];
  private next = 0;
  private after = 0;
  private done = false;
  private filling: Promise<void> | undefined;

  constructor(
    private readonly store: Pick<DeliveryStore, 'nextRecipients' | 'claim' | 'release'>,
    private readonly edition: Edition,
    private readonly now: () => Date,
    private readonly batchSize = 500,
  ) {}

  /** The next claimed recipient, or undefined when there are none left. */
  async take(): Promise<Subscriber | undefined> {
    while (this.next >= this.buffer.length && !this.done) {
      this.filling ??= this.fill().finally(() => (this.filling = undefined));
      await this.filling;
    }
    const subscriber = this.buffer[this.next];
    if (subscriber) this.next += 1;
    return subscriber;
  }

  /** Stops the stream; claimed recipients not yet handed out go back to pending. */
  async stop(): Promise<number> {
    this.done = true;
    await this.filling;
    const rest = this.buffer.slice(this.next).map((s) => s.id);
    this.buffer = [];
    this.next = 0;
    return rest.length > 0 ? this.store.release(this.edition.number, rest, this.now()) : 0;
  }

  private async fill(): Promise<void> {
    const page = await this.store.nextRecipients(this.edition, this.after, this.batchSize, this.now());
    const last = page[page.length - 1];
    if (!last || this.done) {
      this.done = true;
      return;
    }
    this.after = last.id;
    const claimed = new Set(await this.store.claim(this.edition.number, page.map((s) => s.id), this.now()));
    this.buffer = page.filter((s) => claimed.has(s.id));
    this.next = 0;
  }
}
