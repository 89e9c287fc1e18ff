/** The offset store a task uses: a compacted Kafka topic, or SQLite in the task's state folder. */
import { join } from 'node:path';
import type { ResolvedTask } from '../../../app/src/task-file/load-task.ts';
import type { OffsetStore } from '../../../core/src/types.ts';
import { KafkaOffsetStore } from './KafkaOffsetStore.ts';
import { SqliteOffsetStore } from './SqliteOffsetStore.ts';

export function openOffsetStore(task: ResolvedTask): OffsetStore {
  return task.settings.offsetStore === 'kafka' && task.kafka
    ? new KafkaOffsetStore({ brokers: task.kafka.brokers, clientId: task.kafka.clientId, topic: task.settings.offsetsTopic, replicationFactor: task.kafka.replicationFactor })
    : new SqliteOffsetStore({ path: join(task.settings.stateDir, 'offsets.db') });
}

/** Where a task's offset lives, in words. */
export function describeOffsetStore(task: ResolvedTask): string {
  return task.settings.offsetStore === 'kafka' && task.kafka
    ? `Kafka topic ${task.settings.offsetsTopic} at ${task.kafka.brokers.join(', ')}`
    : `SQLite ${join(task.settings.stateDir, 'offsets.db')}`;
}
