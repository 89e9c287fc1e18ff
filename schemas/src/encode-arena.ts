/**
 * Where one batch's records are encoded: a few large Buffers, reused from one batch to the next.
 *
 * Encoded one by one into their own Buffers, a bulk load's records come from Node's 8 KiB pool slabs. The records
 * live until the broker acknowledges the batch, which at 100k+ records/s is long enough for V8 to promote them, so
 * their slabs stay resident until the next full collection: tens of MB of a drain's peak (docs/performance.md,
 * "Memory"). Encoded into an arena, a record is a view of one of its chunks; the owner resets the arena once the
 * batch is acknowledged and encodes the next batch into the same, already resident, memory.
 *
 * The owner must not reset an arena while anything may still read its views: KafkaEventSink resets one only after
 * the producer's send resolved, and drops it (leaving it to the GC) when the send failed.
 */
import type { Type } from 'avsc';
import { WIRE_HEADER_LENGTH, writeWireHeader } from './event-encoder.ts';

/** Bytes per chunk: a record larger than a chunk is not encoded here (the caller allocates it alone). */
export const ARENA_CHUNK_BYTES = 128 * 1024;
/** Chunks an arena keeps across reset(); what a larger batch needed beyond them is left to the GC. */
export const ARENA_KEPT_CHUNKS = 16;

export class EncodeArena {
  readonly #chunks: Buffer[] = [];
  #index = 0;
  #pos = 0;

  /**
   * Encodes `value` with `type` behind a wire header into the arena; the record's bytes, a view of a chunk. Null
   * when the record is larger than a chunk. Throws what `type.encode` throws (nothing is taken then).
   */
  encodeWire(type: Type, schemaId: number, value: unknown): Buffer | null {
    for (;;) {
      const chunk = this.#chunks[this.#index] ?? this.#grow();
      const start = this.#pos;
      if (chunk.length - start > WIRE_HEADER_LENGTH) {
        writeWireHeader(chunk, schemaId, start);
        const end = type.encode(value, chunk, start + WIRE_HEADER_LENGTH);
        if (end >= 0) {
          this.#pos = end;
          return chunk.subarray(start, end);
        }
        // avsc returns the bytes missing, negated: a record that would not fit a whole chunk is not tried again
        // (the next record goes where this one would have).
        if (chunk.length - end - start > ARENA_CHUNK_BYTES) return null;
      }
      this.#index++;
      this.#pos = 0;
    }
  }

  /** Bytes taken since the last reset (for tests). */
  get used(): number {
    return this.#index * ARENA_CHUNK_BYTES + this.#pos;
  }

  /** Makes the whole arena free again: every view handed out before may be overwritten from now on. */
  reset(): void {
    if (this.#chunks.length > ARENA_KEPT_CHUNKS) this.#chunks.length = ARENA_KEPT_CHUNKS;
    this.#index = 0;
    this.#pos = 0;
  }

  #grow(): Buffer {
    // Its own allocation (not Node's shared pool), so the chunk is freed with the arena.
    const chunk = Buffer.allocUnsafeSlow(ARENA_CHUNK_BYTES);
    this.#chunks.push(chunk);
    return chunk;
  }
}
