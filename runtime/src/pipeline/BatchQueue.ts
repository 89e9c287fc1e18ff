/**
 * A bounded queue between the source reader and the sink writer. The reader pushes source batches and waits
 * when the queue holds `capacityEvents` events or `capacityBytes` (approximate, event-bytes.ts); the writer takes
 * everything queued (up to `maxEvents` and `maxBytes`) as one merged batch. This is where backpressure comes from,
 * and why many small source transactions become one sink write. The byte bounds keep what is held in memory the
 * same for narrow and wide rows (docs/performance.md, "Memory").
 *
 * With a ReadPacer the queue also paces the source's reads (ReadPacer.ts explains why): released while the writer
 * waits for a first change, held while a batch lingers to fill (then read once at the deadline), and held while a
 * small batch with nothing behind it is written. Full batches never hold the source.
 *
 * With a LatencyBudget (adaptive batching, LatencyBudget.ts) the linger is not fixed: a batch is written when its
 * oldest change has used up the budget less the recent write time, at once under a trickle, and a steady stream
 * keeps the source held from one write through the next linger, so each cycle costs one read of the source.
 */
import type { ChangeBatch, ChangeEvent, Position, SchemaChange, SourceMessage } from '../../../core/src/types.ts';
import { afterNextPoll, type ReadPacer } from './ReadPacer.ts';
import type { LatencyBudget } from './LatencyBudget.ts';
import { batchBytes } from './event-bytes.ts';

export interface MergedBatch {
  readonly events: ChangeEvent[];
  /** The merged batches' schema changes, in order. */
  readonly schemaChanges: SchemaChange[];
  /** The merged batches' logical-decoding messages (ChangeBatch.messages), in order. */
  readonly messages: SourceMessage[];
  /** The last checkpoint among the merged batches (null when none had one). */
  readonly checkpoint: Position | null;
  readonly snapshotDone: boolean;
  /** The source state that goes with `checkpoint`. */
  readonly state: Readonly<Record<string, unknown>> | undefined;
  /** The last merged source batch had a checkpoint: the events end at a transaction boundary. */
  readonly endsAtBoundary: boolean;
  /** The last merged source batch asked for its checkpoint to be committed at once (ChangeBatch.commitNow). */
  readonly commitNow: boolean;
}

const EMPTY: MergedBatch = Object.freeze({ events: [], schemaChanges: [], messages: [], checkpoint: null, snapshotDone: false, state: undefined, endsAtBoundary: false, commitNow: false });

/** What a batch counts for in the queue's capacity and a merged batch's size: its events and messages. */
const weight = (b: ChangeBatch): number => b.events.length + (b.messages?.length ?? 0);

export class BatchQueue {
  readonly #capacity: number;
  readonly #capacityBytes: number;
  readonly #items: ChangeBatch[] = [];
  /** Approximate bytes of each queued batch (parallel to #items). */
  readonly #itemBytes: number[] = [];
  #size = 0;
  #bytes = 0;
  #closed = false;
  #waitingReader: (() => void) | null = null;
  #waitingWriter: (() => void) | null = null;
  readonly #pacer: ReadPacer | undefined;
  readonly #budget: LatencyBudget | undefined;
  /** Clock time (the budget's clock) when the oldest queued batch was pushed. */
  #firstPushAt = 0;
  /** Clock time when this queue last held the pacer (valid while the pacer is held). */
  #heldSince = 0;

  /** `latency`: adaptive batching (take() ignores maxDelayMs then). `capacityBytes`: default unbounded. */
  constructor(options: { capacityEvents: number; capacityBytes?: number; pacer?: ReadPacer; latency?: LatencyBudget }) {
    this.#capacity = options.capacityEvents;
    this.#capacityBytes = options.capacityBytes ?? Infinity;
    this.#pacer = options.pacer;
    this.#budget = options.latency;
  }

  /** Events and messages queued. */
  get size(): number {
    return this.#size;
  }

  /** Approximate bytes queued (event-bytes.ts). */
  get bytes(): number {
    return this.#bytes;
  }

  /** Waits while the queue is full (by events or bytes). A batch larger than the capacity is accepted when the queue is empty. */
  async push(batch: ChangeBatch): Promise<void> {
    const w = weight(batch);
    const bytes = batchBytes(batch);
    while (this.#size > 0 && (this.#size + w > this.#capacity || this.#bytes + bytes > this.#capacityBytes) && !this.#closed) {
      await new Promise<void>((resolve) => { this.#waitingReader = resolve; });
    }
    if (this.#items.length === 0 && this.#budget) this.#firstPushAt = this.#budget.clock.now();
    this.#items.push(batch);
    this.#itemBytes.push(bytes);
    this.#size += w;
    this.#bytes += bytes;
    this.#wakeWriter();
  }

  /** No more batches will be pushed. */
  close(): void {
    this.#closed = true;
    this.#pacer?.release();
    this.#wakeWriter();
    this.#wakeReader();
  }

  /** Resolves true as soon as a batch is queued (or the queue is closed), false after `timeoutMs` without one. */
  async waitForItems(timeoutMs: number): Promise<boolean> {
    if (this.#items.length > 0 || this.#closed) return true;
    // Adaptive, steady stream: the source is held through the next linger (take() then reads it, or returns an
    // empty batch when nothing came).
    if (this.#steady()) return true;
    this.#pacer?.release();
    return new Promise<boolean>((resolve) => {
      const t = setTimeout(() => { this.#waitingWriter = null; resolve(false); }, timeoutMs);
      this.#waitingWriter = () => { clearTimeout(t); resolve(true); };
    });
  }

  /**
   * Waits for at least one batch (or until closed), then waits up to `maxDelayMs` more for the merged batch to reach
   * `maxEvents` or `maxBytes`, and returns everything queued up to `maxEvents` and `maxBytes` (never splitting a source
   * batch; the first batch is taken whatever its size). null = closed and empty.
   */
  async take(options: { maxEvents: number; maxDelayMs: number; maxBytes?: number }): Promise<MergedBatch | null> {
    const maxBytes = options.maxBytes ?? Infinity;
    if (this.#budget) return this.#takeWithin(this.#budget, options.maxEvents, maxBytes);
    while (this.#items.length === 0) {
      if (this.#closed) return null;
      this.#pacer?.release();
      await new Promise<void>((resolve) => { this.#waitingWriter = resolve; });
    }
    if (this.#size < options.maxEvents && this.#bytes < maxBytes && options.maxDelayMs > 0 && !this.#closed) {
      // Linger: with a pacer the source is not read until the deadline, then everything it has is read at once.
      this.#pacer?.hold();
      const deadline = Date.now() + options.maxDelayMs;
      while (this.#size < options.maxEvents && this.#bytes < maxBytes && !this.#closed && Date.now() < deadline) {
        await new Promise<void>((resolve) => {
          const t = setTimeout(resolve, deadline - Date.now());
          this.#waitingWriter = () => { clearTimeout(t); resolve(); };
        });
      }
      if (this.#pacer?.held && !this.#closed) {
        this.#pacer.release();
        await afterNextPoll();
      }
    }
    return this.#merge(options.maxEvents, maxBytes);
  }

  /**
   * Adaptive take (LatencyBudget.ts): waits for a first change unless the source is held from the last write, lingers
   * until the budget of the oldest change (held in the kernel or queued) is used up or the batch is full, then reads
   * the source once and returns everything queued up to `maxEvents`. Returns an empty batch when a linger gathered
   * nothing (the stream went quiet), so that the pipeline can commit a deferred offset before it waits again.
   */
  async #takeWithin(budget: LatencyBudget, maxEvents: number, maxBytes: number): Promise<MergedBatch | null> {
    if (this.#items.length === 0 && !this.#steady()) {
      while (this.#items.length === 0) {
        if (this.#closed) return null;
        this.#pacer?.release();
        await new Promise<void>((resolve) => { this.#waitingWriter = resolve; });
      }
      if (budget.trickle) return this.#merge(maxEvents, maxBytes); // a linger would gather nothing: write at once
    }
    if (this.#size < maxEvents && this.#bytes < maxBytes && !this.#closed && !(budget.trickle && this.#items.length > 0)) {
      const clock = budget.clock;
      let oldest = this.#items.length > 0 ? this.#firstPushAt : Infinity;
      if (this.#pacer?.held) oldest = Math.min(oldest, this.#heldSince);
      const deadline = budget.deadline(Number.isFinite(oldest) ? oldest : clock.now());
      this.#hold();
      // Timers have a 1 ms granularity (Node truncates the delay): a deadline less than half a millisecond away counts
      // as reached, and the delay is rounded, so that a linger costs one wake-up and not one more for the remainder.
      for (let now = clock.now(); this.#size < maxEvents && this.#bytes < maxBytes && !this.#closed && deadline - now >= 0.5; now = clock.now()) {
        await new Promise<void>((resolve) => {
          const cancel = clock.timer(resolve, Math.round(deadline - now));
          this.#waitingWriter = () => { cancel(); resolve(); };
        });
      }
      if (this.#pacer?.held && !this.#closed) {
        this.#pacer.release();
        await afterNextPoll();
      }
    }
    if (this.#items.length === 0) return this.#closed ? null : EMPTY;
    return this.#merge(maxEvents, maxBytes);
  }

  /** Adaptive batching with the source held from the last write, and a stream steady enough to linger. */
  #steady(): boolean {
    return this.#budget !== undefined && this.#pacer?.held === true && !this.#budget.trickle;
  }

  #hold(): void {
    if (!this.#pacer || this.#pacer.held) return;
    this.#heldSince = this.#budget?.clock.now() ?? 0;
    this.#pacer.hold();
  }

  /** Everything queued up to `maxEvents` and `maxBytes` (never splitting a source batch), as one batch. */
  #merge(maxEvents: number, maxBytes: number): MergedBatch {
    const events: ChangeEvent[] = [];
    const schemaChanges: SchemaChange[] = [];
    const messages: SourceMessage[] = [];
    let checkpoint: Position | null = null;
    let snapshotDone = false;
    let state: Readonly<Record<string, unknown>> | undefined;
    let endsAtBoundary = false;
    let commitNow = false;
    let bytes = 0;
    while (this.#items.length > 0 && !commitNow) {
      const next = this.#items[0]!;
      const nextBytes = this.#itemBytes[0]!;
      if (events.length + messages.length > 0 && (events.length + messages.length + weight(next) > maxEvents || bytes + nextBytes > maxBytes)) break;
      this.#items.shift();
      this.#itemBytes.shift();
      this.#size -= weight(next);
      this.#bytes -= nextBytes;
      bytes += nextBytes;
      // Indexed: #merge runs a few times a second, too seldom to be optimized, and a for-of allocates per element then.
      const nextEvents = next.events;
      for (let i = 0; i < nextEvents.length; i++) events.push(nextEvents[i]!);
      if (next.schemaChanges) for (const c of next.schemaChanges) schemaChanges.push(c);
      if (next.messages) for (const m of next.messages) messages.push(m);
      if (next.checkpoint !== null) {
        checkpoint = next.checkpoint;
        state = next.state;
      }
      endsAtBoundary = next.checkpoint !== null;
      if (next.snapshotDone) snapshotDone = true;
      if (next.commitNow === true) commitNow = true; // nothing after it joins this batch
    }
    this.#wakeReader();
    // A small batch with nothing behind it: latency mode. Hold the source while it is written, so the changes
    // arriving meanwhile are read together when the writer comes back (a full batch: keep reading, to overlap).
    if (this.#pacer && events.length < maxEvents && bytes < maxBytes && this.#items.length === 0 && !this.#closed) this.#hold();
    this.#budget?.taken(events.length + messages.length);
    return { events, schemaChanges, messages, checkpoint, snapshotDone, state, endsAtBoundary, commitNow };
  }

  #wakeWriter(): void {
    const w = this.#waitingWriter;
    this.#waitingWriter = null;
    w?.();
  }

  #wakeReader(): void {
    const r = this.#waitingReader;
    this.#waitingReader = null;
    r?.();
  }
}
