/**
 * The load bounds of a validation run: a semaphore on concurrent range queries (each range runs one query on the
 * source and one on the target at a time) and a rate limit on the rows validated per second.
 */
import { FerryError } from '../../../core/src/errors.ts';

export class Semaphore {
  #free: number;
  readonly #waiting: (() => void)[] = [];

  constructor(slots: number) {
    this.#free = Math.max(1, slots);
  }

  async run<T>(fn: () => Promise<T>): Promise<T> {
    if (this.#free > 0) this.#free--;
    else await new Promise<void>((resolve) => this.#waiting.push(resolve));
    try {
      return await fn();
    } finally {
      const next = this.#waiting.shift();
      if (next) next();
      else this.#free++;
    }
  }
}

/**
 * At most `rowsPerSecond` rows validated per second, averaged over time: each range is charged after it ran, and the
 * next one waits until the rows charged so far are due (a burst of one second is allowed).
 */
export class RowRate {
  readonly #rate: number | undefined;
  #due = 0;

  constructor(rowsPerSecond?: number) {
    this.#rate = rowsPerSecond !== undefined && rowsPerSecond > 0 ? rowsPerSecond : undefined;
  }

  charge(rows: number): void {
    if (this.#rate === undefined) return;
    this.#due = Math.max(this.#due, Date.now() - 1000) + (rows * 1000) / this.#rate;
  }

  async wait(signal?: AbortSignal): Promise<void> {
    if (this.#rate === undefined) return;
    for (;;) {
      throwIfAborted(signal);
      const ms = this.#due - Date.now();
      if (ms <= 0) return;
      await new Promise((r) => setTimeout(r, Math.min(ms, 250)));
    }
  }
}

export function throwIfAborted(signal?: AbortSignal): void {
  if (signal?.aborted) throw new FerryError('FERRY_ABORTED', 'validation was cancelled');
}

/** Runs fn over items with at most `concurrency` at a time, in order of start; results in input order. */
export async function mapConcurrent<T, R>(items: readonly T[], concurrency: number, fn: (item: T, index: number) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array<R>(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const i = next++;
      results[i] = await fn(items[i]!, i);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(concurrency, items.length)) }, worker));
  return results;
}
