/**
 * Deterministic record identities, for idempotent output names and for deduplication by readers.
 *
 *   Kafka mode   stream `<topic>/<partition>`, sequence = the offset (19 digits, zero-padded)
 *   direct mode  stream `direct:<source name>`, sequence = `<source position>#<event ordinal, 10 digits>`
 *
 * Within a stream, sequences sort (as strings) in log order. A Kafka offset is unique. In direct mode a source
 * transaction's events share a position and are numbered 1, 2, ... in transaction order (numbering restarts with the
 * transaction on redelivery, so it is stable); snapshot reads are numbered 0 and are told apart by their key.
 */
import { createHash } from 'node:crypto';
import type { Row } from '../../../core/src/types.ts';
import type { SinkRecord } from '../../../core/src/record-sink.ts';

export const OFFSET_DIGITS = 19;

export function kafkaStream(topic: string, partition: number): string {
  return `${topic}/${partition}`;
}

export function directStream(sourceName: string): string {
  return `direct:${sourceName}`;
}

export function padOffset(offset: bigint): string {
  return offset.toString().padStart(OFFSET_DIGITS, '0');
}

/** The record's sequence in its stream: sorts in log order within the stream. */
export function recordSeq(r: SinkRecord): string {
  if (r.offset !== null) return padOffset(r.offset);
  return `${r.position ?? ''}#${String(r.event ?? 0).padStart(10, '0')}`;
}

/** Whether two records of the same stream are the same change (snapshot reads share a sequence and differ by key). */
export function sameChange(a: SinkRecord, b: SinkRecord): boolean {
  if (a.offset !== null) return a.offset === b.offset;
  if (a.position !== b.position || a.event !== b.event) return false;
  return a.event !== 0 || stableKey(a.key) === stableKey(b.key);
}

function jsonValue(_k: string, v: unknown): unknown {
  if (typeof v === 'bigint') return `${v}n`;
  if (v !== null && typeof v === 'object' && (v as { type?: unknown }).type === 'Buffer') return Buffer.from((v as { data: number[] }).data).toString('base64');
  return v;
}

/** A canonical string of a key row (for hashing and comparing). */
export function stableKey(key: Row | null): string {
  return key === null ? 'null' : JSON.stringify(key, jsonValue);
}

/** runName() of a Kafka-mode run: its partition and first and last offsets. */
export function kafkaRunName(partition: number, first: bigint, last: bigint): string {
  return `${partition}-${padOffset(first)}-${padOffset(last)}`;
}

/**
 * A name for a run of records of ONE stream, the same whenever the same run is written again:
 *   Kafka   `<partition>-<first offset>-<last offset>` (offsets zero-padded to 19 digits)
 *   direct  `d-<16 hex digits>`: a hash of the first and last identities and keys and the record count
 */
export function runName(records: readonly SinkRecord[]): string {
  const first = records[0];
  const last = records[records.length - 1];
  if (!first || !last) throw new Error('runName of an empty run');
  if (first.offset !== null && last.offset !== null) return kafkaRunName(first.partition ?? 0, first.offset, last.offset);
  const h = createHash('sha256')
    .update(`${first.stream}\n${recordSeq(first)}\n${stableKey(first.key)}\n${recordSeq(last)}\n${stableKey(last.key)}\n${records.length}`)
    .digest('hex');
  return `d-${h.slice(0, 16)}`;
}
