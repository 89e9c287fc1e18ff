/**
 * Source offsets stored in the target cluster, for exactly-once across two clusters.
 *
 * A Kafka transaction covers one cluster. The source topics (Ferry's cluster) and the target topics (another
 * cluster) cannot share one, so — as MirrorMaker 2 and Kafka Connect's exactly-once source connectors do — the
 * source position is written to the *target*: every transaction holds the forwarded records of one source partition
 * and one record in the compacted offsets topic, key `[idPrefix, sourceTopic, partition]`, value `{ next }` (the
 * next source offset to forward). Either both are visible to read_committed readers or neither.
 *
 * Reading them back after (re)initializing a partition's transactional producer: append a marker record (a
 * tombstone with a unique key, removed by compaction) and read the topic with read_committed up to the marker.
 * Everything committed before the marker is seen, and the fenced producer's open transaction was completed
 * (aborted) by the initialization, so the value read is the last one that will ever be visible.
 */
import { randomUUID } from 'node:crypto';
import type { KafkaAdmin, KafkaConnectionOptions, OutgoingRecord, RecordProducer } from '../../../runtime/src/kafka/kafka-client.ts';
import { readTopicUntil } from '../../../runtime/src/kafka/kafka-client.ts';

export function offsetKey(idPrefix: string, topic: string, partition: number): Buffer {
  return Buffer.from(JSON.stringify([idPrefix, topic, partition]), 'utf8');
}

export function offsetRecord(offsetsTopic: string, idPrefix: string, topic: string, partition: number, next: bigint): OutgoingRecord {
  return {
    topic: offsetsTopic, partition: 0, key: offsetKey(idPrefix, topic, partition),
    value: Buffer.from(JSON.stringify({ next: next.toString(), at: new Date().toISOString() }), 'utf8'),
  };
}

/** `<topic>/<partition>` → next offset, for the keys of `idPrefix`, from records in log order (last wins). */
export function latestOffsets(records: readonly { key: Buffer | null; value: Buffer | null }[], idPrefix: string): Map<string, bigint> {
  const out = new Map<string, bigint>();
  for (const r of records) {
    if (!r.key || !r.value) continue;
    let k: unknown;
    try {
      k = JSON.parse(r.key.toString('utf8'));
    } catch {
      continue;
    }
    if (!Array.isArray(k) || k.length !== 3 || k[0] !== idPrefix) continue;
    try {
      const v = JSON.parse(r.value.toString('utf8')) as { next?: string };
      if (typeof v.next === 'string') out.set(`${String(k[1])}/${Number(k[2])}`, BigInt(v.next));
    } catch {
      // not ours
    }
  }
  return out;
}

export async function ensureOffsetsTopic(admin: KafkaAdmin, topic: string, replicationFactor: number): Promise<void> {
  await admin.ensureTopics([{ name: topic, partitions: 1, replicationFactor, config: { 'cleanup.policy': 'compact', 'min.compaction.lag.ms': '60000' } }]);
}

/** The stored offsets of `idPrefix` as of now (see the module comment). */
export async function readStoredOffsets(conn: KafkaConnectionOptions, producer: RecordProducer, offsetsTopic: string, idPrefix: string, timeoutMs = 120000): Promise<Map<string, bigint>> {
  const marker = Buffer.from(JSON.stringify(['marker', idPrefix, randomUUID()]), 'utf8');
  await producer.send([{ topic: offsetsTopic, partition: 0, key: marker, value: null }]);
  const records = await readTopicUntil({ ...conn, clientId: `${conn.clientId}-offsets`, topic: offsetsTopic, timeoutMs, until: (r) => r.key !== null && r.key.equals(marker) });
  return latestOffsets(records, idPrefix);
}
