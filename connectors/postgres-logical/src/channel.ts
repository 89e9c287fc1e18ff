/** A bounded queue between producers (snapshot workers) and one consumer, with close and failure. */
export class Channel<T> {
  readonly #capacity: number;
  readonly #items: T[] = [];
  #closed = false;
  #error: unknown = undefined;
  #takers: (() => void)[] = [];
  #putters: (() => void)[] = [];

  constructor(capacity: number) {
    this.#capacity = Math.max(1, capacity);
  }

  /** Resolves false when the channel closed (the producer should stop). */
  async put(item: T): Promise<boolean> {
    while (this.#items.length >= this.#capacity && !this.#closed) await new Promise<void>((r) => this.#putters.push(r));
    if (this.#closed) return false;
    this.#items.push(item);
    this.#takers.shift()?.();
    return true;
  }

  /** The next item; undefined once closed and drained; throws the failure. */
  async take(): Promise<T | undefined> {
    for (;;) {
      if (this.#error !== undefined) throw this.#error;
      if (this.#items.length > 0) {
        const item = this.#items.shift()!;
        this.#putters.shift()?.();
        return item;
      }
      if (this.#closed) return undefined;
      await new Promise<void>((r) => this.#takers.push(r));
    }
  }

  close(): void {
    this.#closed = true;
    for (const r of [...this.#takers, ...this.#putters]) r();
    this.#takers = [];
    this.#putters = [];
  }

  fail(e: unknown): void {
    this.#error ??= e;
    this.close();
  }
}
