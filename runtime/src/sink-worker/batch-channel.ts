/**
 * The sink worker's bounded FIFO of batches between the Kafka reader and the writer (SinkWorker.ts): the reader waits
 * for room (or only for room, to stop reading ahead), the writer takes one batch at a time and marks it done; idle()
 * is how a rebalance or shutdown waits for the batch in flight, clear() how it drops the ones not yet taken.
 */
export class BatchChannel<T> {
  readonly #capacity: number;
  readonly #items: T[] = [];
  #closed = false;
  #inFlight = false;
  #waiters: (() => void)[] = [];

  constructor(capacity: number) {
    this.#capacity = Math.max(1, capacity);
  }

  #wake(): void {
    const w = this.#waiters;
    this.#waiters = [];
    for (const f of w) f();
  }

  #wait(): Promise<void> {
    return new Promise((resolve) => this.#waiters.push(resolve));
  }

  /** Waits for room; false when the channel was closed (or `stop()` says so) meanwhile. */
  async push(b: T, stop: () => boolean): Promise<boolean> {
    while (this.#items.length >= this.#capacity && !this.#closed && !stop()) await this.#wait();
    if (this.#closed || stop()) return false;
    this.#items.push(b);
    this.#wake();
    return true;
  }

  /** Waits until a batch could be pushed without waiting (or the channel closes, or `stop()` says so). */
  async room(stop: () => boolean): Promise<void> {
    while (this.#items.length >= this.#capacity && !this.#closed && !stop()) await this.#wait();
  }

  /** The next batch, or null when closed and empty. Marks it in flight until done(). */
  async take(): Promise<T | null> {
    while (this.#items.length === 0 && !this.#closed) await this.#wait();
    const b = this.#items.shift() ?? null;
    this.#inFlight = b !== null;
    this.#wake();
    return b;
  }

  done(): void {
    this.#inFlight = false;
    this.#wake();
  }

  /** Drops the batches not yet taken; returns them. */
  clear(): T[] {
    const dropped = this.#items.splice(0);
    this.#wake();
    return dropped;
  }

  /** Resolves when nothing is queued or in flight (or `stop()` says so). */
  async idle(stop: () => boolean): Promise<void> {
    while ((this.#items.length > 0 || this.#inFlight) && !stop()) await this.#wait();
  }

  close(): void {
    this.#closed = true;
    this.#wake();
  }

  /** Wakes waiters so they re-check their stop condition. */
  poke(): void {
    this.#wake();
  }
}
