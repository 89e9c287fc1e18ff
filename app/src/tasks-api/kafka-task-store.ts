/**
 * Task definitions and status in a compacted Kafka topic (the Kafka-backed task store: one server per topic, no failover; distributed workers are issue #23): key = task name, value = the record
 * as JSON (task-store.ts), a tombstone for a deleted task. The latest record per key wins. The topic is read to its
 * end when the store opens; writes go to the topic (acks=all, idempotent producer) and to the in-memory view.
 * One `ferry serve` owns a topic at a time; run several servers with different topics.
 */
import { FerryError, errorMessage } from '../../../core/src/errors.ts';
import { createAdmin, createProducer, readTopicToEnd, type KafkaConnectionOptions, type RecordProducer } from '../../../runtime/src/kafka/kafka-client.ts';
import { decodeTask, encodeTask, type StoredTask, type TaskStore } from './task-store.ts';

export interface KafkaTaskStoreOptions extends KafkaConnectionOptions {
  readonly topic: string;
  readonly replicationFactor: number;
}

export class KafkaTaskStore implements TaskStore {
  readonly #o: KafkaTaskStoreOptions;
  readonly #tasks = new Map<string, StoredTask>();
  #producer: RecordProducer | undefined;
  readonly description: string;

  private constructor(options: KafkaTaskStoreOptions) {
    this.#o = options;
    this.description = `Kafka topic ${options.topic} at ${options.brokers.join(', ')}`;
  }

  /** Creates the compacted topic when missing and reads it to its end. */
  static async open(options: KafkaTaskStoreOptions): Promise<KafkaTaskStore> {
    const store = new KafkaTaskStore(options);
    const admin = createAdmin(options);
    try {
      await admin.ensureTopics([{ name: options.topic, partitions: 1, replicationFactor: options.replicationFactor, config: { 'cleanup.policy': 'compact', 'min.compaction.lag.ms': '60000' } }]);
    } finally {
      await admin.close();
    }
    for (const r of await readTopicToEnd({ ...options, topic: options.topic })) {
      const name = r.key?.toString();
      if (!name) continue;
      if (r.value === null) store.#tasks.delete(name);
      else store.#tasks.set(name, decodeTask(r.value.toString(), `task ${name} in topic ${options.topic}`));
    }
    return store;
  }

  async list(): Promise<StoredTask[]> {
    return [...this.#tasks.values()].sort((a, b) => a.name.localeCompare(b.name));
  }

  async #send(name: string, value: Buffer | null): Promise<void> {
    this.#producer ??= createProducer({ ...this.#o, clientId: `${this.#o.clientId}-tasks` });
    try {
      await this.#producer.send([{ topic: this.#o.topic, key: Buffer.from(name), value }]);
    } catch (e: unknown) {
      throw new FerryError('FERRY_KAFKA_ERROR', `cannot write task ${name} to ${this.#o.topic}: ${errorMessage(e)}`, { cause: e });
    }
  }

  async put(task: StoredTask): Promise<void> {
    await this.#send(task.name, Buffer.from(encodeTask(task)));
    this.#tasks.set(task.name, task);
  }

  async delete(name: string): Promise<void> {
    await this.#send(name, null);
    this.#tasks.delete(name);
  }

  async close(): Promise<void> {
    await this.#producer?.close();
    this.#producer = undefined;
  }
}
