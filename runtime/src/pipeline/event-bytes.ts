/**
 * Approximate memory of change events, for the byte budgets of the batch queue (settings.batch.maxBytes and
 * queueBytes): what a batch costs to hold, not its encoded size. The figures follow V8 on 64-bit Node (8-byte
 * fields, 16-byte string and number headers) and count Buffers by their length; they need only be right within a
 * factor that stays the same from batch to batch, since the budgets are defaults to bound memory, not exact limits.
 *
 * A batch is estimated from three of its events (first, middle, last) times its length, so the cost per batch stays
 * constant however large the batch: the events of one source batch come from the same transaction or snapshot chunk
 * and are alike in size.
 */
import type { ChangeBatch, ChangeEvent, Row } from '../../../core/src/types.ts';

/** Nesting deeper than this (JSON documents) counts a flat amount per value. */
const MAX_DEPTH = 4;

function valueBytes(v: unknown, depth: number): number {
  switch (typeof v) {
    case 'string': return 16 + v.length;
    case 'number': return 8;
    case 'bigint': return 24;
    case 'object': {
      if (v === null) return 0;
      if (ArrayBuffer.isView(v)) return 96 + v.byteLength;
      if (v instanceof Date) return 40;
      if (depth >= MAX_DEPTH) return 64;
      if (Array.isArray(v)) {
        let n = 16 + 8 * v.length;
        for (const x of v) n += valueBytes(x, depth + 1);
        return n;
      }
      return rowBytes(v as Row, depth + 1);
    }
    default: return 0;
  }
}

function rowBytes(row: Row | null | undefined, depth = 0): number {
  if (row === null || row === undefined) return 0;
  let n = 32;
  for (const k in row) n += 8 + valueBytes(row[k], depth);
  return n;
}

/** Approximate bytes held by one event: the event object, its row images and its key (whose values the row shares). */
export function eventBytes(e: ChangeEvent): number {
  let key = 0;
  if (e.key !== null) for (const _ in e.key) key += 8;
  return 96 + rowBytes(e.after) + rowBytes(e.before) + 32 + key;
}

/** A logical-decoding message: its object and content. */
const MESSAGE_BYTES = 256;

/** Approximate bytes held by events of one source batch or snapshot chunk: estimated from three of them. */
export function eventsBytes(ev: readonly ChangeEvent[]): number {
  const n = ev.length;
  if (n <= 3) {
    let bytes = 0;
    for (const e of ev) bytes += eventBytes(e);
    return bytes;
  }
  const sample = eventBytes(ev[0]!) + eventBytes(ev[n >> 1]!) + eventBytes(ev[n - 1]!);
  return Math.round((sample / 3) * n);
}

/** Approximate bytes held by a source batch: `batch.bytes` when the source gave it, else estimated from three events. */
export function batchBytes(batch: ChangeBatch): number {
  if (batch.bytes !== undefined) return batch.bytes;
  return (batch.messages?.length ?? 0) * MESSAGE_BYTES + eventsBytes(batch.events);
}

/**
 * settings.batch.maxBytes when the task does not set it: 512 bytes per event of maxEvents, at least 1 MiB. A 10-column
 * row is estimated at ~530 bytes, so the default batch of 2,000 such rows fits in 1 MiB, and a task that raises
 * maxEvents (a direct lake or warehouse target) still gets batches of that many narrow rows; wide rows fill it sooner.
 */
export function defaultBatchMaxBytes(maxEvents: number): number {
  return Math.max(1048576, 512 * maxEvents);
}
