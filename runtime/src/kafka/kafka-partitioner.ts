/**
 * The producer's partitioner, in 32-bit integer arithmetic. It assigns exactly the partitions of @platformatic/kafka's
 * default partitioner (murmur2 of the key, as an unsigned 32-bit number, modulo the partition count, which the client
 * applies; round-robin per topic for a record without a key), but the client's murmur2 computes in BigInt: about
 * 2.5 % of Ferry's CPU in a snapshot to Kafka (bench/RESULTS.md, "Throughput (issue 24)"). This one uses Math.imul.
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

/**
 * A partitioner for one producer: murmur2(key) >>> 0 for a record with a key; for a record without one, 0, 1, 2, …
 * per topic (the client takes both modulo the topic's partition count). Records with an explicit partition never
 * reach it.
 */
export function createPartitioner(): (message: { topic: string }, key: unknown) => number {
  const roundRobin = new Map<string, number>();
  return (message, key) => {
    if (key) return Buffer.isBuffer(key) ? murmur2(key) >>> 0 : 0;
    const next = roundRobin.get(message.topic) ?? 0;
    roundRobin.set(message.topic, next + 1);
    return next;
  };
}
