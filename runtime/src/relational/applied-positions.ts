/**
 * Exactly-once for relational targets: per sink and stream (Kafka partition, or the source in direct mode) the target
 * keeps the last applied record's sequence (recordSeq) in a table, moved in the same transaction as the data. Before
 * applying, a batch drops the records at or before that position, so a redelivered batch (however the runtime cuts it
 * after a crash) changes nothing. Engine-neutral: the sinks own the table and its SQL.
 *
 * Direct mode numbers every snapshot read of one chunk with the same sequence (event 0), so reads at the applied
 * position are kept and applied again: the sinks apply reads as upserts (or copy them with a unique-key fallback).
 */
import type { SinkRecord } from '../../../core/src/record-sink.ts';
import { padOffset, recordSeq } from '../sink-worker/record-identity.ts';

export interface PendingBatch {
  /** The records still to apply, in batch order. */
  readonly records: readonly SinkRecord[];
  /**
   * Streams whose applied position moves forward, with the new position: [stream, seq]. It can be empty while
   * `records` is not (direct-mode snapshot reads at the applied position): apply them all the same.
   */
  readonly advance: readonly (readonly [string, string])[];
}

/** Whether `r` (whose sequence is `seq`) is already applied when its stream's applied position is `done`. */
export function isApplied(r: SinkRecord, done: string | undefined, seq: string = recordSeq(r)): boolean {
  if (done === undefined) return false;
  return seq < done || (seq === done && !(r.offset === null && r.event === 0));
}

/** Drops the records already applied; returns the rest and where each stream's position moves. */
export function pendingRecords(records: readonly SinkRecord[], applied: ReadonlyMap<string, string>): PendingBatch {
  const newest = new Map<string, string>();
  const out: SinkRecord[] = [];
  // Kafka records compare their offsets as numbers: the padded sequence is made once per stream, not per record.
  const kafka = new Map<string, { done: bigint | null; top: bigint }>();
  for (const r of records) {
    if (r.offset !== null) {
      let s = kafka.get(r.stream);
      if (s === undefined) {
        const done = applied.get(r.stream);
        if (done !== undefined && !/^\d{19}$/.test(done)) s = undefined;
        else kafka.set(r.stream, (s = { done: done === undefined ? null : BigInt(done), top: -1n }));
      }
      if (s !== undefined && r.offset >= 0n && r.offset < 10_000_000_000_000_000_000n) {
        if (r.offset > s.top) s.top = r.offset;
        if (s.done === null || r.offset > s.done) out.push(r);
        continue;
      }
    }
    const seq = recordSeq(r);
    const top = newest.get(r.stream);
    if (top === undefined || top < seq) newest.set(r.stream, seq);
    if (!isApplied(r, applied.get(r.stream), seq)) out.push(r);
  }
  for (const [stream, s] of kafka) {
    if (s.top < 0n) continue;
    const seq = padOffset(s.top);
    const top = newest.get(stream);
    if (top === undefined || top < seq) newest.set(stream, seq);
  }
  const advance = [...newest].filter(([stream, seq]) => (applied.get(stream) ?? '') < seq);
  return { records: out, advance };
}

/** The newest sequence per stream among `records` (where a transaction's commit moves the positions). */
export function newestPerStream(records: readonly SinkRecord[]): [string, string][] {
  const newest = new Map<string, string>();
  for (const r of records) {
    const seq = recordSeq(r);
    const top = newest.get(r.stream);
    if (top === undefined || top < seq) newest.set(r.stream, seq);
  }
  return [...newest];
}
