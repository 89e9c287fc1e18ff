/**
 * Source offsets stored in the target cluster, for exactly-once across two clusters.
 *
 * A Kafka transaction covers one cluster. The source topics (Ferry's cluster) and the target topics (another
 * cluster) cannot share one, so the source position is written to the *target*, inside the same transaction as the
 * forwarded records: as the committed offset of a consumer group on the target cluster, one group per source
 * partition, named `<idPrefix><source topic>-<partition>` (TxnOffsetCommit, the standalone-group form of
 * sendOffsetsToTransaction). The offset is kept for partition 0 of the anchor topic `offsetsTopic` (a topic the
 * target must have for the broker to accept the commit; it holds no records). The group coordinator makes the offset
 * visible only when the transaction commits and drops it when it aborts, and an OffsetFetch with require_stable waits
 * while a transaction with a pending offset is open — so, after the partition's transactional producer was
 * (re)initialized (which fences older producers and aborts their open transaction), the offset read is final.
 *
 * (A first version kept the offsets as records in a compacted topic read with read_committed; @platformatic/kafka's
 * read_committed filter lets some aborted records through — see docs/sinks/kafka.md — and the crash test caught a
 * skipped batch. Group offsets do not depend on the consumer's filtering.)
 */
import type { KafkaAdmin } from '../../../runtime/src/kafka/kafka-client.ts';

export function offsetsGroupId(idPrefix: string, topic: string, partition: number): string {
  return `${idPrefix}${topic}-${partition}`;
}

export async function ensureOffsetsTopic(admin: KafkaAdmin, topic: string, replicationFactor: number): Promise<void> {
  await admin.ensureTopics([{ name: topic, partitions: 1, replicationFactor, config: { 'retention.ms': '3600000' } }]);
}

/** Each group's stored next offset (-1n = none yet). */
export async function readStoredOffsets(admin: KafkaAdmin, offsetsTopic: string, groupIds: readonly string[]): Promise<Map<string, bigint>> {
  return admin.committedOffsets(groupIds, offsetsTopic, 0);
}
