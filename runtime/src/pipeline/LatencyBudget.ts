/**
 * Adaptive batching: how long the pipeline lets changes gather before it writes them, from a latency budget
 * (settings.batch.latencyTargetMs) instead of a fixed delay.
 *
 * A change waits for three things between its read and its write: the write of the batch before it (the source is
 * held meanwhile, ReadPacer.ts), the linger of its own batch, and the work of taking it. So a batch is written at
 *
 *     (the earliest moment its oldest change can have arrived) + target − (the recent write time)
 *
 * and the cycle of a steady stream is one write plus one linger, about `target` long: at 1k changes/s and a 20 ms
 * target, batches of ~20 changes, ~50 writes a second. What lingering costs is set by the target, not by the rate.
 *
 * - A trickle (so few changes that a linger would gather nothing: fewer than one expected in the window) is written
 *   at once: lingering would only add latency.
 * - A burst or a backlog fills batches to `maxEvents` before the deadline; a full batch never lingers, and while a
 *   full batch is written the source keeps being read, so the next batch is ready when the write ends.
 * - A slow sink shrinks the linger (the write time comes out of the budget), down to none: then batches grow with
 *   whatever arrives during each write.
 *
 * The clock is injectable so that tests can drive it (runtime/test/unit/adaptive-batching.test.ts).
 */

/** Time for the batching: a monotonic millisecond clock and a cancellable timer. */
export interface BatchClock {
  now(): number;
  /** Calls `fn` after `ms`; the returned function cancels it. */
  timer(fn: () => void, ms: number): () => void;
}

export const systemClock: BatchClock = {
  now: () => performance.now(),
  timer: (fn, ms) => {
    const t = setTimeout(fn, ms);
    return () => clearTimeout(t);
  },
};

/** Weight of the newest sample in the moving averages of the write time and the arrival rate. */
const ALPHA = 0.3;

export class LatencyBudget {
  readonly targetMs: number;
  readonly clock: BatchClock;
  #writeMs = 0;
  #ratePerMs = 0;
  #lastTakeAt: number | null = null;

  constructor(options: { targetMs: number; clock?: BatchClock }) {
    this.targetMs = Math.max(0, options.targetMs);
    this.clock = options.clock ?? systemClock;
  }

  /** Moving average of the time a batch takes to become durable in the sinks (ms). */
  get writeMs(): number {
    return this.#writeMs;
  }

  /** Moving average of the arrival rate (changes per ms), measured from one take to the next. */
  get ratePerMs(): number {
    return this.#ratePerMs;
  }

  /** How long a batch may gather: the target less the recent write time (never negative). */
  get lingerMs(): number {
    return Math.max(0, this.targetMs - this.#writeMs);
  }

  /** A trickle: fewer than one change is expected during a linger, so the first one is written at once. */
  get trickle(): boolean {
    return this.#ratePerMs * this.lingerMs < 1;
  }

  /** When a batch whose oldest change may have arrived at `oldestAt` (clock time) is to be written. */
  deadline(oldestAt: number): number {
    return oldestAt + this.lingerMs;
  }

  /** A batch of `weight` changes was taken now. */
  taken(weight: number): void {
    const now = this.clock.now();
    if (this.#lastTakeAt !== null) {
      const rate = weight / Math.max(1, now - this.#lastTakeAt);
      this.#ratePerMs = this.#ratePerMs === 0 ? rate : this.#ratePerMs + ALPHA * (rate - this.#ratePerMs);
    }
    this.#lastTakeAt = now;
  }

  /** A batch took `ms` to become durable in every sink. */
  written(ms: number): void {
    this.#writeMs = this.#writeMs === 0 ? ms : this.#writeMs + ALPHA * (ms - this.#writeMs);
  }
}
