/**
 * A bounded queue between the source reader and the sink writer. The reader pushes source batches and waits
 * when the queue holds `maxEvents`; the writer takes everything queued (up to a limit) as one merged batch.
 * This is where backpressure comes from, and why many small source transactions become one sink write.
 *
 * With a ReadPacer the queue also paces the source's reads (ReadPacer.ts explains why): released while the writer
 * waits for a first change, held while a batch lingers to fill (then read once at the deadline), and held while a
 * small batch with nothing behind it is written. Full batches never hold the source.
 */
import type { ChangeBatch, ChangeEvent, Position, SchemaChange, SourceMessage } from '../../../core/src/types.ts';
import { afterNextPoll, type ReadPacer } from './ReadPacer.ts';

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

/** What a batch counts for in the queue's capacity and a merged batch's size: its events and messages. */
const weight = (b: ChangeBatch): number => b.events.length + (b.messages?.length ?? 0);

export class BatchQueue {
  readonly #capacity: number;
  readonly #items: ChangeBatch[] = [];
  #size = 0;
  #closed = false;
  #waitingReader: (() => void) | null = null;
  #waitingWriter: (() => void) | null = null;
  readonly #pacer: ReadPacer | undefined;

  constructor(options: { capacityEvents: number; pacer?: ReadPacer }) {
    this.#capacity = options.capacityEvents;
    this.#pacer = options.pacer;
  }

  get size(): number {
    return this.#size;
  }

  /** Waits while the queue is full. A batch larger than the capacity is accepted when the queue is empty. */
  async push(batch: ChangeBatch): Promise<void> {
    while (this.#size > 0 && this.#size + weight(batch) > this.#capacity && !this.#closed) {
      await new Promise<void>((resolve) => { this.#waitingReader = resolve; });
    }
    this.#items.push(batch);
    this.#size += weight(batch);
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
    this.#pacer?.release();
    return new Promise<boolean>((resolve) => {
      const t = setTimeout(() => { this.#waitingWriter = null; resolve(false); }, timeoutMs);
      this.#waitingWriter = () => { clearTimeout(t); resolve(true); };
    });
  }

  /**
   * Waits for at least one batch (or until closed), then waits up to `maxDelayMs` more for the merged batch to reach
   * `maxEvents`, and returns everything queued up to `maxEvents` (never splitting a source batch). null = closed and empty.
   */
  async take(options: { maxEvents: number; maxDelayMs: number }): Promise<MergedBatch | null> {
    while (this.#items.length === 0) {
      if (this.#closed) return null;
      this.#pacer?.release();
      await new Promise<void>((resolve) => { this.#waitingWriter = resolve; });
    }
    if (this.#size < options.maxEvents && options.maxDelayMs > 0 && !this.#closed) {
      // Linger: with a pacer the source is not read until the deadline, then everything it has is read at once.
      this.#pacer?.hold();
      const deadline = Date.now() + options.maxDelayMs;
      while (this.#size < options.maxEvents && !this.#closed && Date.now() < deadline) {
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
    const events: ChangeEvent[] = [];
    const schemaChanges: SchemaChange[] = [];
    const messages: SourceMessage[] = [];
    let checkpoint: Position | null = null;
    let snapshotDone = false;
    let state: Readonly<Record<string, unknown>> | undefined;
    let endsAtBoundary = false;
    let commitNow = false;
    while (this.#items.length > 0 && !commitNow) {
      const next = this.#items[0]!;
      if (events.length + messages.length > 0 && events.length + messages.length + weight(next) > options.maxEvents) break;
      this.#items.shift();
      this.#size -= weight(next);
      for (const e of next.events) events.push(e);
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
    if (this.#pacer && events.length < options.maxEvents && this.#items.length === 0 && !this.#closed) this.#pacer.hold();
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
