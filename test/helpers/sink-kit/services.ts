/** Helpers for integration tests against the local Kafka, registry and moto (infra/services.sh). */
import { S3Client, CreateBucketCommand } from '@aws-sdk/client-s3';
import { Writable } from 'node:stream';
import type { ChangeEvent } from '../../../core/src/types.ts';
import { createAdmin, createProducer, readTopicToEnd, type OutgoingRecord } from '../../../runtime/src/kafka/kafka-client.ts';
import { KafkaEventSink } from '../../../runtime/src/kafka/KafkaEventSink.ts';
import { ConfluentRegistryClient } from '../../../schemas/src/ConfluentRegistryClient.ts';
import { createLogger } from '../../../runtime/src/log/logger.ts';
import { PromMetrics } from '../../../runtime/src/metrics/metrics.ts';
import { services } from '../services.ts';

export { services, uniqueName } from '../services.ts';

export const S3 = { endpoint: services.motoUrl, accessKeyId: 'test', secretAccessKey: 'test', region: 'us-east-1' } as const;

export const quietLog = () => createLogger({ destination: new Writable({ write(_c, _e, cb) { cb(); } }) });

export function registry(): ConfluentRegistryClient {
  return new ConfluentRegistryClient({ url: services.registryUrl });
}

export async function createBucket(name: string): Promise<void> {
  const s3 = new S3Client({ region: S3.region, endpoint: S3.endpoint, forcePathStyle: true, credentials: { accessKeyId: 'test', secretAccessKey: 'test' }, requestChecksumCalculation: 'WHEN_REQUIRED', responseChecksumValidation: 'WHEN_REQUIRED' });
  try {
    await s3.send(new CreateBucketCommand({ Bucket: name }));
  } finally {
    s3.destroy();
  }
}

/**
 * Produces events as Ferry's Kafka sink does (Avro through the registry, keyed, tombstones after deletes), lz4
 * compressed unless `compression` says otherwise (the tests read compressed batches; Ferry's own default is none).
 */
export async function produceEvents(events: readonly ChangeEvent[], o: { prefix: string; partitions: number; chunk?: number; compression?: 'none' | 'lz4' | 'zstd' }): Promise<void> {
  const clientId = `ferry-test-${o.prefix}`;
  const sink = new KafkaEventSink({
    producer: createProducer({ brokers: services.brokers, clientId, compression: o.compression ?? 'lz4' }), admin: createAdmin({ brokers: services.brokers, clientId }),
    registry: registry(), connector: 'mariadb', topicPrefix: o.prefix, partitions: o.partitions, replicationFactor: 1, tombstonesOnDelete: true,
    metrics: new PromMetrics({ collectProcessMetrics: false }),
  });
  try {
    const chunk = o.chunk ?? 2000;
    for (let i = 0; i < events.length; i += chunk) await sink.write(events.slice(i, i + chunk), { signal: new AbortController().signal, log: quietLog(), metrics: new PromMetrics({ collectProcessMetrics: false }) });
  } finally {
    await sink.close();
  }
}

export async function produceRaw(records: readonly OutgoingRecord[]): Promise<void> {
  const p = createProducer({ brokers: services.brokers, clientId: 'ferry-test-raw' });
  try {
    await p.send(records);
  } finally {
    await p.close();
  }
}

/** End offset per partition ("topic/partition" → next offset) of a topic. */
export async function endOffsets(topic: string): Promise<Map<string, bigint>> {
  const out = new Map<string, bigint>();
  for (const r of await readTopicToEnd({ brokers: services.brokers, clientId: 'ferry-test-ends', topic, timeoutMs: 120000 })) {
    const k = `${r.topic}/${r.partition}`;
    if ((out.get(k) ?? -1n) < r.offset + 1n) out.set(k, r.offset + 1n);
  }
  return out;
}

/**
 * Adds the group's committed offsets, as Kafka holds them, to `committed` (which workers fill from their stdout commit
 * lines). A worker killed right after a commit may die before its line is written; without this, a final worker
 * that finds nothing left to read never prints a line either, and the test waits for a commit that already happened.
 */
export async function addGroupCommits(groupId: string, committed: Map<string, bigint>, ends: ReadonlyMap<string, bigint>): Promise<void> {
  const admin = createAdmin({ brokers: services.brokers, clientId: 'ferry-test-commits' });
  try {
    for (const key of ends.keys()) {
      const slash = key.lastIndexOf('/');
      const offset = (await admin.committedOffsets([groupId], key.slice(0, slash), Number(key.slice(slash + 1)))).get(groupId) ?? -1n;
      if (offset > (committed.get(key) ?? -1n)) committed.set(key, offset);
    }
  } finally {
    await admin.close();
  }
}

/** Whether `committed` has reached every end offset. */
export function caughtUp(committed: ReadonlyMap<string, bigint>, ends: ReadonlyMap<string, bigint>): boolean {
  for (const [k, end] of ends) if ((committed.get(k) ?? 0n) < end) return false;
  return true;
}
