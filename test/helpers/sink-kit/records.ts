/** SinkRecords without a broker: events encoded exactly as the Kafka sink encodes them, then decoded by the worker's decoder. */
import { createHash } from 'node:crypto';
import type { ChangeEvent } from '../../../core/src/types.ts';
import type { IncomingRecord } from '../../../runtime/src/kafka/kafka-client.ts';
import { EventEncoder } from '../../../schemas/src/event-encoder.ts';
import { RecordDecoder } from '../../../runtime/src/sink-worker/record-decoder.ts';
import { kafkaStream } from '../../../runtime/src/sink-worker/record-identity.ts';
import { DEFAULT_SOURCE_FIELDS, type SinkRecord } from '../../../core/src/record-sink.ts';
import { FakeRegistry } from './fake-registry.ts';

export interface KafkaLike {
  readonly registry: FakeRegistry;
  readonly raws: IncomingRecord[];
  readonly records: SinkRecord[];
}

/** Encodes events into wire-format records on `partitions` partitions (by key hash), then decodes them. */
export async function kafkaRecords(events: readonly ChangeEvent[], o: { prefix: string; partitions?: number; sourceFields?: readonly string[] | 'all'; registry?: FakeRegistry }): Promise<KafkaLike> {
  const registry = o.registry ?? new FakeRegistry();
  const encoder = new EventEncoder({ connector: events[0]?.source.connector ?? 'mariadb', topicPrefix: o.prefix });
  const next = new Map<string, bigint>();
  const raws: IncomingRecord[] = [];
  for (const e of events) {
    const enc = await encoder.encodeRegistered(e, registry);
    const n = o.partitions ?? 1;
    const partition = enc.key ? createHash('md5').update(enc.key).digest().readUInt32BE(0) % n : 0;
    const k = `${enc.topic}/${partition}`;
    const offset = next.get(k) ?? 0n;
    next.set(k, offset + 1n);
    raws.push({ topic: enc.topic, partition, offset, key: enc.key, value: enc.value, timestampMs: e.tsMs, headers: new Map() });
  }
  const decoder = new RecordDecoder({ registry, sourceFields: o.sourceFields ?? DEFAULT_SOURCE_FIELDS });
  const records: SinkRecord[] = [];
  for (const raw of raws) {
    let out = decoder.decode(raw, kafkaStream(raw.topic, raw.partition));
    if (out.kind === 'missing') {
      await decoder.prefetch(out.ids);
      out = decoder.decode(raw, kafkaStream(raw.topic, raw.partition));
    }
    if (out.kind !== 'record') throw new Error(`unexpected ${out.kind}`);
    records.push(out.record);
  }
  return { registry, raws, records };
}
