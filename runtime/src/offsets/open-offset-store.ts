/** The offset store a task uses: a compacted Kafka topic, or SQLite in the task's state folder. */
import { join } from 'node:path';
import type { OffsetStore } from '../../../core/src/types.ts';
import { KafkaOffsetStore } from './KafkaOffsetStore.ts';
import { SqliteOffsetStore } from './SqliteOffsetStore.ts';
import type { KafkaSecuritySettings } from '../config/kafka-security-settings.ts';
import { kafkaSecurityOf } from '../kafka/kafka-security.ts';

/** What of a resolved task decides where its offsets live (a ResolvedTask fits it). */
export interface OffsetStoreTask {
  readonly kafka: ({ readonly brokers: readonly string[]; readonly clientId: string; readonly replicationFactor: number } & Partial<KafkaSecuritySettings>) | undefined;
  readonly settings: { readonly offsetStore: 'kafka' | 'sqlite'; readonly offsetsTopic: string; readonly stateDir: string };
}

export function openOffsetStore(task: OffsetStoreTask): OffsetStore {
  return task.settings.offsetStore === 'kafka' && task.kafka
    ? new KafkaOffsetStore({ brokers: task.kafka.brokers, clientId: task.kafka.clientId, ...kafkaSecurityOf({ tls: task.kafka.tls ?? false, sasl: task.kafka.sasl }, 'kafka'), topic: task.settings.offsetsTopic, replicationFactor: task.kafka.replicationFactor, stateDir: task.settings.stateDir })
    : new SqliteOffsetStore({ path: join(task.settings.stateDir, 'offsets.db') });
}

/** Where a task's offset lives, in words. */
export function describeOffsetStore(task: OffsetStoreTask): string {
  return task.settings.offsetStore === 'kafka' && task.kafka
    ? `Kafka topic ${task.settings.offsetsTopic} at ${task.kafka.brokers.join(', ')}`
    : `SQLite ${join(task.settings.stateDir, 'offsets.db')}`;
}
