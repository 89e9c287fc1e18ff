/**
 * The producer's partitioner, in 32-bit integer arithmetic (the client's murmur2 computes in BigInt: about 2.5 % of
 * Ferry's CPU in a snapshot to Kafka, bench/RESULTS.md "Throughput (issue 24)"). Two ways to turn the hash into a
 * partition (`kafka.partitioner`; the client applies the modulo):
 *
 * - `murmur2` (default): Kafka's Java clients' choice, `(murmur2(key) & 0x7fffffff) % partitions`
 *   (BuiltInPartitioner.partitionForKey). Kafka Connect, and so Debezium, and every Java producer put a key on the
 *   same partition, so a topic shared with them, or taken over from Debezium, keeps each key's partition.
 * - `murmur2-unsigned`: `(murmur2(key) >>> 0) % partitions`, @platformatic/kafka's default, which Ferry used before
 *   (0.1). It differs from the Java choice only for partition counts that are not a power of two.
 *
 * A record without a key goes round-robin per topic.
 */

const SEED = 0x9747b28c;
const M = 0x5bd1e995;

/** Kafka's murmur2 (org.apache.kafka.common.utils.Utils.murmur2) of `data`, as a signed 32-bit integer. */
export function murmur2(data: Uint8Array): number {
  const length = data.length;
  let h = SEED ^ length;
  const full = length & ~3;
  let i = 0;
  for (; i < full; i += 4) {
    let k = data[i]! | (data[i + 1]! << 8) | (data[i + 2]! << 16) | (data[i + 3]! << 24);
    k = Math.imul(k, M);
    k ^= k >>> 24;
    k = Math.imul(k, M);
    h = Math.imul(h, M) ^ k;
  }
  const rest = length & 3;
  if (rest > 0) {
    if (rest === 3) h ^= data[i + 2]! << 16;
    if (rest >= 2) h ^= data[i + 1]! << 8;
    h ^= data[i]!;
    h = Math.imul(h, M);
  }
  h ^= h >>> 13;
  h = Math.imul(h, M);
  h ^= h >>> 15;
  return h | 0;
}

export const KAFKA_PARTITIONERS = ['murmur2', 'murmur2-unsigned'] as const;
export type KafkaPartitioner = (typeof KAFKA_PARTITIONERS)[number];

/**
 * A partitioner for one producer: for a record with a key, its murmur2 made non-negative as `kind` says; for a record
 * without one, 0, 1, 2, … per topic (the client takes both modulo the topic's partition count). Records with an
 * explicit partition never reach it.
 */
export function createPartitioner(kind: KafkaPartitioner = 'murmur2'): (message: { topic: string }, key: unknown) => number {
  const roundRobin = new Map<string, number>();
  const unsigned = kind === 'murmur2-unsigned';
  return (message, key) => {
    if (key) return Buffer.isBuffer(key) ? (unsigned ? murmur2(key) >>> 0 : murmur2(key) & 0x7fffffff) : 0;
    const next = roundRobin.get(message.topic) ?? 0;
    roundRobin.set(message.topic, next + 1);
    return next;
  };
}
