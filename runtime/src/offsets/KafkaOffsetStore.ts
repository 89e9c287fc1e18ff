/**
 * Offsets in a compacted Kafka topic (settings.offsetsTopic, default "ferry.offsets"): key = task name,
 * value = the offset as JSON. The latest record per key wins, as in Kafka Connect's offset topic.
 * A commit resolves once the record is acknowledged by all in-sync replicas (acks=all, idempotent producer).
 * With settings.stateEncryption the value is a sealed record (runtime/src/encryption) under the key of the task's
 * state directory, bound to the topic and task ("offsets-topic/<topic>/<task>"): snapshot progress holds key values.
 */
import { FerryError } from '../../../core/src/errors.ts';
import type { OffsetStore, StoredOffset } from '../../../core/src/types.ts';
import { createAdmin, createProducer, readTopicToEnd, type KafkaConnectionOptions, type RecordProducer } from '../kafka/kafka-client.ts';
import { decodeOffset, encodeOffset } from './offset-codec.ts';
import { stateCipherOf } from '../encryption/state-keyring.ts';
import type { RecordCipher } from '../encryption/record-cipher.ts';

export interface KafkaOffsetStoreOptions extends KafkaConnectionOptions {
  readonly topic: string;
  readonly replicationFactor: number;
  /** The task's state directory: with settings.stateEncryption, its key encrypts the values. */
  readonly stateDir?: string;
}

export class KafkaOffsetStore implements OffsetStore {
  readonly #options: KafkaOffsetStoreOptions;
  #producer: RecordProducer | undefined;
  #ready: Promise<void> | undefined;

  constructor(options: KafkaOffsetStoreOptions) {
    this.#options = options;
  }

  /** Creates the compacted topic when it does not exist. */
  async #ensureTopic(): Promise<void> {
    this.#ready ??= (async () => {
      const admin = createAdmin(this.#options);
      try {
        await admin.ensureTopics([{ name: this.#options.topic, partitions: 1, replicationFactor: this.#options.replicationFactor, config: { 'cleanup.policy': 'compact', 'min.compaction.lag.ms': '60000' } }]);
      } finally {
        await admin.close();
      }
    })();
    try {
      await this.#ready;
    } catch (e: unknown) {
      this.#ready = undefined;
      throw e;
    }
  }

  async read(taskName: string): Promise<StoredOffset | null> {
    await this.#ensureTopic();
    const records = await readTopicToEnd({ ...this.#options, topic: this.#options.topic });
    let latest: Buffer | null | undefined;
    for (const r of records) if (r.key?.toString() === taskName) latest = r.value; // a tombstone (null) resets
    if (latest === undefined || latest === null) return null;
    const what = `offset of task ${taskName} in topic ${this.#options.topic}`;
    const c = this.#cipher();
    return decodeOffset(c ? c.openText(latest.toString(), this.#context(taskName), what) : latest.toString(), what);
  }

  /** The state directory's cipher, looked up at the first read or commit (after the keyring is opened) and kept. */
  #cipherOnce: RecordCipher | null | undefined;
  #cipher(): RecordCipher | null {
    if (this.#cipherOnce === undefined) this.#cipherOnce = this.#options.stateDir === undefined ? null : stateCipherOf(this.#options.stateDir);
    return this.#cipherOnce;
  }

  async commit(taskName: string, offset: StoredOffset): Promise<void> {
    await this.#ensureTopic();
    this.#producer ??= createProducer({ ...this.#options, clientId: `${this.#options.clientId}-offsets` });
    const c = this.#cipher();
    const text = encodeOffset(offset);
    try {
      await this.#producer.send([{ topic: this.#options.topic, key: Buffer.from(taskName), value: Buffer.from(c ? c.sealText(text, this.#context(taskName)) : text) }]);
    } catch (e: unknown) {
      throw new FerryError('FERRY_OFFSET_STORE', `cannot commit the offset of task ${taskName} to ${this.#options.topic}: ${(e as Error).message}`, { cause: e });
    }
  }

  /** Writes a tombstone for the task: read() then finds nothing, and compaction drops the key. */
  async reset(taskName: string): Promise<void> {
    await this.#ensureTopic();
    this.#producer ??= createProducer({ ...this.#options, clientId: `${this.#options.clientId}-offsets` });
    await this.#producer.send([{ topic: this.#options.topic, key: Buffer.from(taskName), value: null }]);
  }

  #context(taskName: string): string {
    return `offsets-topic/${this.#options.topic}/${taskName}`;
  }

  async close(): Promise<void> {
    await this.#producer?.close();
    this.#producer = undefined;
  }
}
