/**
 * Approximate memory of change events, for the byte budgets of the batch queue (settings.batch.maxBytes and
 * queueBytes): what a batch costs to hold, not its encoded size. The figures (row-bytes.ts, the MEMORY profile)
 * follow V8 on 64-bit Node and need only be right within a factor that stays the same from batch to batch, since
 * the budgets are defaults to bound memory, not exact limits. A batch is estimated from three of its events (first,
 * middle, last) times its length (row-bytes.ts: sampleEvents).
 */
import type { ChangeBatch, ChangeEvent } from '../../../core/src/types.ts';
import { MEMORY, eventBytes as profileEventBytes, eventsBytes as profileEventsBytes } from './row-bytes.ts';

/** Approximate bytes held by one event: the event object, its row images and its key (whose values the row shares). */
export function eventBytes(e: ChangeEvent): number {
  return profileEventBytes(e, MEMORY);
}

/** A logical-decoding message: its object and content. */
const MESSAGE_BYTES = 256;

/** Approximate bytes held by events of one source batch or snapshot chunk: estimated from three of them. */
export function eventsBytes(ev: readonly ChangeEvent[]): number {
  return profileEventsBytes(ev, MEMORY);
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
