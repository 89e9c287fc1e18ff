/**
 * A small bounded async channel: producers wait while it holds `capacity` items (or, with `weigh`, items that weigh
 * `capacityWeight` together: an item that would pass it waits unless the channel is empty), the consumer waits while
 * it is empty; a failure wakes everyone and is thrown to the consumer after the items before it.
 */
export class Channel<T> {
  readonly #capacity: number;
  readonly #weigh: ((item: T) => number) | undefined;
  readonly #capacityWeight: number;
  readonly #items: T[] = [];
  readonly #weights: number[] = [];
  #weight = 0;
  #closed = false;
  #error: unknown = undefined;
  #failed = false;
  #takers: Array<() => void> = [];
  #putters: Array<() => void> = [];

  constructor(capacity: number, options: { weigh?: (item: T) => number; capacityWeight?: number } = {}) {
    this.#capacity = Math.max(1, capacity);
    this.#weigh = options.weigh;
    this.#capacityWeight = options.capacityWeight ?? Infinity;
  }

  get size(): number {
    return this.#items.length;
  }

  /** Waits for room; returns false when the channel was closed or failed meanwhile (the item is dropped). */
  async put(item: T): Promise<boolean> {
    const w = this.#weigh?.(item) ?? 0;
    while ((this.#items.length >= this.#capacity || (this.#items.length > 0 && this.#weight + w > this.#capacityWeight)) && !this.#closed && !this.#failed) {
      await new Promise<void>((resolve) => this.#putters.push(resolve));
    }
    if (this.#closed || this.#failed) return false;
    this.#items.push(item);
    this.#weights.push(w);
    this.#weight += w;
    this.#wake(this.#takers);
    return true;
  }

  /** The next item; undefined once closed and drained. Throws the failure once the items before it are taken. */
  async take(): Promise<T | undefined> {
    for (;;) {
      if (this.#items.length > 0) {
        const item = this.#items.shift()!;
        this.#weight -= this.#weights.shift()!;
        this.#wake(this.#putters);
        return item;
      }
      if (this.#failed) throw this.#error;
      if (this.#closed) return undefined;
      await new Promise<void>((resolve) => this.#takers.push(resolve));
    }
  }

  close(): void {
    this.#closed = true;
    this.#wake(this.#takers);
    this.#wake(this.#putters);
  }

  fail(error: unknown): void {
    if (this.#failed) return;
    this.#failed = true;
    this.#error = error;
    this.#wake(this.#takers);
    this.#wake(this.#putters);
  }

  #wake(list: Array<() => void>): void {
    const waiting = list.splice(0);
    for (const w of waiting) w();
  }
}
