/**
 * Read pacing: while the pipeline gathers a small batch, and while it writes one, it asks the source to leave its
 * replication connection unread. The changes of those milliseconds then wait in the kernel's socket buffer and
 * arrive in one read, instead of waking the process once per transaction.
 *
 * Why: at low and moderate rates (a few hundred to a few thousand transactions a second) a CDC process spends most
 * of its CPU waking up, not decoding. On the 2-core benchmark VM one idle-to-busy wake-up of a Node process costs
 * 40–170 µs of CPU (bench/RESULTS.md, "After: read pacing and the batch delay"), several times the cost of decoding and encoding one change.
 * Debezium gets the same effect from its poll interval (500 ms by default); pacing keeps Ferry's wait within the
 * latency budget (settings.batch.latencyTargetMs, LatencyBudget.ts) or the fixed batch delay (settings.batch.maxDelayMs).
 *
 * It is a hint. A source that ignores it is correct; pacing never delays an event beyond the latency budget (with a
 * fixed delay: the batch delay plus the write of the batch before it), and a hold releases itself after `maxHoldMs` whatever the pipeline does. In
 * throughput mode (full batches) the pipeline never holds the source, so reading overlaps writing.
 */
import type { ReadPacing } from '../../../core/src/types.ts';

export class ReadPacer implements ReadPacing {
  readonly #maxHoldMs: number;
  readonly #listeners = new Set<(held: boolean) => void>();
  #held = false;
  #timer: NodeJS.Timeout | null = null;

  constructor(options: { maxHoldMs?: number } = {}) {
    this.#maxHoldMs = options.maxHoldMs ?? 1000;
  }

  get held(): boolean {
    return this.#held;
  }

  subscribe(listener: (held: boolean) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** Asks the source to stop reading; released by release() or after maxHoldMs. */
  hold(): void {
    if (this.#held) return;
    this.#held = true;
    this.#timer = setTimeout(() => this.release(), this.#maxHoldMs);
    this.#timer.unref();
    this.#notify();
  }

  release(): void {
    if (!this.#held) return;
    this.#held = false;
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = null;
    this.#notify();
  }

  #notify(): void {
    for (const l of this.#listeners) l(this.#held);
  }
}

/**
 * Resolves after the event loop has polled its sockets once more: data a just-released source had waiting in its
 * socket buffer is then read, decoded and queued (decoding and the source's async iteration run in callbacks and
 * microtasks of that poll). Two turns, so a release made inside a poll callback is covered too.
 */
export async function afterNextPoll(): Promise<void> {
  await new Promise<void>((resolve) => setImmediate(resolve));
  await new Promise<void>((resolve) => setImmediate(resolve));
}
