/**
 * What reached Kafka, measured the same way for every tool: end offsets of the data topics while a run goes on, and
 * afterwards the records themselves (Confluent wire format, schemas from the registry, decoded with avsc by
 * test/helpers/topic-reader.ts, not by Ferry's encoder) for counts and commit → Kafka latency.
 */
import { Consumer, type Message } from '@platformatic/kafka';
import { readTopicToEnd } from '../../runtime/src/kafka/kafka-client.ts';
import { decodeWire } from '../../test/helpers/topic-reader.ts';
import { services } from '../../test/helpers/services.ts';

/** Polls end offsets (records written, tombstones included) of topics that may not exist yet (then 0). */
export class OffsetWatch {
  readonly #consumer = new Consumer({ clientId: 'bench-watch', groupId: `bench-watch-${process.pid}`, bootstrapBrokers: [...services.brokers], timeout: 10000 });
  async total(topics: readonly string[]): Promise<number> {
    let sum = 0;
    for (const topic of topics) {
      try {
        const ends = await this.#consumer.listOffsets({ topics: [topic] });
        for (const e of ends.get(topic) ?? []) sum += Number(e);
      } catch { /* not created yet */ }
    }
    return sum;
  }
  async close(): Promise<void> { await this.#consumer.close(true); }
}

export interface ChangeRecord {
  /** The record's CreateTime (set by the producer of the tool under test). */
  readonly timestampMs: number;
  readonly op: string;
  readonly id: number;
  /** `after.updated_at` (µs since the epoch) for c/u/r, undefined for deletes. */
  readonly updatedAtUs?: number;
}

async function toChange(value: Buffer, timestampMs: number): Promise<ChangeRecord> {
  const env = (await decodeWire(value)).value as { op: string; before: { id: bigint | number } | null; after: { id: bigint | number; updated_at: bigint | number } | null };
  const row = env.after ?? env.before;
  return { timestampMs, op: env.op, id: Number(row?.id ?? -1), ...(env.after ? { updatedAtUs: Number(env.after.updated_at) } : {}) };
}

/** Every record of `topic` from the start: data records decoded, tombstones counted apart. */
export async function readChanges(topic: string): Promise<{ records: ChangeRecord[]; tombstones: number }> {
  const records: ChangeRecord[] = [];
  let tombstones = 0;
  for (const r of await readTopicToEnd({ brokers: services.brokers, clientId: 'bench-reader', topic, timeoutMs: 600000 })) {
    if (!r.value) { tombstones++; continue; }
    records.push(await toChange(r.value, r.timestampMs));
  }
  return { records, tombstones };
}

/** Records on the topic without decoding them. */
export async function countRecords(topic: string): Promise<number> {
  return (await readTopicToEnd({ brokers: services.brokers, clientId: 'bench-reader', topic, timeoutMs: 600000 })).length;
}

/** Commit → Kafka latency in ms of each record with an `updated_at`, optionally only for rows with id ≥ minId. */
export function latenciesMs(records: readonly ChangeRecord[], minId = 0): number[] {
  const out: number[] = [];
  for (const r of records) if (r.updatedAtUs !== undefined && r.id >= minId) out.push(r.timestampMs - r.updatedAtUs / 1000);
  return out.sort((a, b) => a - b);
}

/** A raw record of a topic: key and value bytes (null for a tombstone's value) and the producer's timestamp. */
export interface RawRecord { readonly key: Buffer | null; readonly value: Buffer | null; readonly timestampMs: number }

/**
 * Every record of `topic` up to the end offsets seen at the start, one at a time (none kept), for topics too long to
 * hold in memory (the W10 soak's millions). `onRecord` is awaited.
 */
export async function forEachRecord(topic: string, onRecord: (r: RawRecord) => unknown, timeoutMs = 1800000): Promise<number> {
  const consumer = new Consumer({ clientId: 'bench-reader', groupId: `bench-scan-${process.pid}-${Date.now()}`, bootstrapBrokers: [...services.brokers], timeout: 30000 });
  let n = 0;
  try {
    const remaining = new Map<number, bigint>();
    ((await consumer.listOffsets({ topics: [topic] })).get(topic) ?? []).forEach((end, p) => { if (end > 0n) remaining.set(p, end); });
    if (remaining.size === 0) return n;
    const stream = await consumer.consume({ topics: [topic], mode: 'earliest', autocommit: false, maxWaitTime: 200 });
    const deadline = AbortSignal.timeout(timeoutMs);
    try {
      for await (const m of stream as AsyncIterable<Message>) {
        const end = remaining.get(m.partition);
        if (end !== undefined && m.offset < end) {
          n++;
          await onRecord({ key: m.key && m.key.length > 0 ? m.key : null, value: m.value && m.value.length > 0 ? m.value : null, timestampMs: Number(m.timestamp) });
          if (m.offset + 1n >= end) remaining.delete(m.partition);
        }
        if (remaining.size === 0 || deadline.aborted) break;
      }
    } finally { await stream.close(); }
    if (remaining.size > 0) throw new Error(`timed out reading ${topic} to its end (${n} records read)`);
    return n;
  } finally { await consumer.close(true); }
}

/** forEachRecord with the data records decoded (onChange) and tombstones counted. */
export async function forEachChange(topic: string, onChange: (r: ChangeRecord) => void, timeoutMs = 1800000): Promise<{ records: number; tombstones: number }> {
  let records = 0, tombstones = 0;
  await forEachRecord(topic, async (m) => {
    if (!m.value) { tombstones++; return; }
    records++;
    onChange(await toChange(m.value, m.timestampMs));
  }, timeoutMs);
  return { records, tombstones };
}
