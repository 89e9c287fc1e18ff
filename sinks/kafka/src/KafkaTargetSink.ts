/**
 * The Kafka/MSK target sink: forwards Ferry's change topics to another Kafka cluster, record for record — key,
 * value (Confluent-framed Avro) and headers byte for byte, tombstones included — into topics named by a template
 * or an explicit rename map, over TLS, SASL/SCRAM or AWS MSK IAM.
 *
 * exactly-once (default): one transactional producer per source partition (transactional.id
 * `<idPrefix><topic>-<partition>`). Each batch of a source partition is one transaction that holds its forwarded
 * records and the partition's next source offset, as a transactional consumer-group offset on the target (offsets.ts). When a partition's
 * producer is (re)initialized — at start, after a failure, or when another worker fenced it — it fences every
 * older producer of that partition and reads the stored offset; records below it are already in the target and are
 * skipped. So a crash, a redelivered batch or a zombie worker never makes a record visible twice to read_committed
 * consumers, while the source group's offsets (committed by the runtime after each batch) only decide where
 * reading starts (at most one batch per partition is read again).
 *
 * at-least-once: the idempotent producer without transactions; a crash can repeat the last batch.
 *
 * Object mapping: a table that a DMS object-mapping rule names is written as DMS JSON keyed by the rule's partition
 * key, into its kafka-target-topic if it has one (mapped-records.ts); its tombstones are not forwarded.
 */
import { errorMessage, FerryError } from '../../../core/src/errors.ts';
import { objectMappingFor } from '../../../runtime/src/mapping/object-mapping.ts';
import { MappedValueRejected, ObjectMappings } from '../../../runtime/src/mapping/object-mapping-apply.ts';
import { MAPPED_SOURCE_FIELDS, mappedRecord } from './mapped-records.ts';
import {
  createAdmin, createProducer, createTransactionalProducer, type KafkaAdmin, type KafkaConnectionOptions, type OutgoingRecord, type RecordProducer, type TransactionalProducer,
} from '../../../runtime/src/kafka/kafka-client.ts';
import type { RecordSink, RejectedRecord, SinkRecord, SinkWriteContext, SinkWriteResult } from '../../../core/src/record-sink.ts';
import { kafkaTargetSchema, type KafkaTargetConfig, type KafkaTargetConfigInput } from './config.ts';
import { ensureOffsetsTopic, offsetsGroupId, readStoredOffsets } from './offsets.ts';
import { TopicRouter, isLegalTopic, partsOf } from './routing.ts';
import { connectionOf, describeSecurity, explainTargetError } from './security.ts';
import { warnIfUnverified } from '../../../runtime/src/kafka/kafka-security.ts';

export interface KafkaTargetSinkOptions {
  readonly name: string;
  readonly config: KafkaTargetConfigInput;
  /** The task's table mapping: tables an object-mapping rule names are written as DMS JSON (mapped-records.ts). */
  readonly tableMappings?: unknown;
}

interface PartitionState {
  readonly producer: TransactionalProducer;
  /** The target group that holds this partition's offset, and its coordinator's node id (looked up at init). */
  readonly groupId: string;
  coordinator: number;
  /** The next source offset not yet in the target; -1n = nothing stored; undefined = not read yet. */
  next: bigint | undefined;
}

/** How many source partitions' transactions run at once. */
const PARALLEL_TRANSACTIONS = 8;
/** Bytes a record adds to the request besides key and value (matches the client's size check). */
const RECORD_OVERHEAD = 64;

export class KafkaTargetSink implements RecordSink {
  readonly name: string;
  readonly config: KafkaTargetConfig;
  readonly rawInput = true;
  /** The sink forwards bytes and reads no source-block field, except for object-mapped records (commit time, transaction). */
  readonly sourceFields: readonly string[];
  readonly batchPolicy: { maxRecords: number; maxDelayMs: number };
  readonly idPrefix: string;
  readonly #conn: KafkaConnectionOptions;
  readonly #router: TopicRouter;
  readonly #partitions = new Map<string, PartitionState>();
  readonly #knownTopics = new Set<string>();
  readonly #mappings: ObjectMappings;
  /** Source topics whose records this sink wrote as mapped JSON (their tombstones are not forwarded). */
  readonly #mappedTopics = new Set<string>();
  readonly #tableMappings: Parameters<typeof objectMappingFor>[0] | null;
  #admin: KafkaAdmin | undefined;
  #plain: RecordProducer | undefined;
  #offsetsTopicReady = false;
  #logged = false;

  constructor(options: KafkaTargetSinkOptions) {
    this.name = options.name;
    this.config = kafkaTargetSchema.parse(options.config);
    this.idPrefix = this.config.transactionalIdPrefix ?? `ferry-${options.name}-`;
    this.#conn = connectionOf(this.config);
    this.#router = new TopicRouter(this.config.topic, this.config.topics);
    this.batchPolicy = { maxRecords: this.config.maxBatchRecords, maxDelayMs: this.config.maxBatchDelayMs };
    this.#mappings = ObjectMappings.from(options.tableMappings);
    this.#tableMappings = this.#mappings.any ? this.#mappings.mapping : null;
    this.sourceFields = this.#mappings.any ? MAPPED_SOURCE_FIELDS : [];
  }

  /**
   * A tombstone's table has an object-mapping rule: a topic whose records were mapped, else a rule matching the topic's
   * last two parts (schema, table: the names after renames, which equal the source names unless a rename rule applies).
   */
  #mappedTopic(topic: string): boolean {
    if (!this.#tableMappings) return false;
    if (this.#mappedTopics.has(topic)) return true;
    const p = partsOf(topic);
    return objectMappingFor(this.#tableMappings, { schema: p.schema, table: p.table }) !== undefined;
  }

  /** The target topic of a source topic. */
  targetTopic(topic: string, table?: SinkRecord['table']): string {
    return this.#router.route(topic, table);
  }

  /** Connects and lists topics: a quick check of address, TLS and credentials (tests, tools; not yet called by ferry validate). */
  async check(): Promise<void> {
    try {
      await this.#adminClient().listTopics();
    } catch (e: unknown) {
      throw explainTargetError(e, this.config, 'list topics');
    }
  }

  async write(_records: readonly SinkRecord[], ctx: SinkWriteContext): Promise<SinkWriteResult> {
    const input = ctx.input;
    if (!input) {
      throw new FerryError('FERRY_UNSUPPORTED', `target ${this.name} (kafka) forwards Ferry's Kafka topics as they are, so it runs behind Kafka only: give the task a kafka block and run \`ferry sink\``);
    }
    if (!this.#logged) {
      this.#logged = true;
      ctx.log.info({ brokers: this.config.brokers, security: describeSecurity(this.config), delivery: this.config.delivery }, `kafka target ${this.name}: ${this.config.brokers.join(', ')} (${describeSecurity(this.config)}), ${this.config.delivery}`);
      warnIfUnverified(this.config.tls, `the Kafka target ${this.name} (${this.config.brokers.join(', ')})`, `targets[${this.name}].tls`, ctx.log);
    }
    // Route and check every record first (also those a restarted worker will skip): a rejection is deterministic,
    // so a redelivered record is rejected again and reaches the dead-letter queue at least once.
    const rejected: RejectedRecord[] = [];
    const byStream = new Map<string, { topic: string; partition: number; out: OutgoingRecord[]; offsets: bigint[]; last: bigint }>();
    const targets = new Set<string>();
    for (const { raw, record } of input) {
      // An object-mapped table: DMS JSON keyed by the rule's partition key instead of the forwarded bytes.
      const rule = record && this.#mappings.any ? this.#mappings.forRecord(record) : null; // (forwarded records of other formats: docs/formats.md)
      if (rule) this.#mappedTopics.add(raw.topic);
      let key = raw.key;
      let value = raw.value;
      let reason: string | undefined;
      if (rule && record) {
        try {
          ({ key, value } = mappedRecord(record, rule));
        } catch (e: unknown) {
          if (!(e instanceof MappedValueRejected)) throw e;
          reason = errorMessage(e);
        }
      }
      const target = rule?.rule.kafkaTopic ?? this.#router.route(raw.topic, record?.table);
      const size = (key?.length ?? 0) + (value?.length ?? 0) + RECORD_OVERHEAD;
      if (reason === undefined && !isLegalTopic(target)) reason = `target topic name "${target}" (from ${rule?.rule.kafkaTopic !== undefined ? `kafka-target-topic of object-mapping rule ${rule.rule.ruleId}` : `topic template "${this.config.topic}"`}) is not a legal Kafka topic name ([a-zA-Z0-9._-], at most 249 characters)`;
      else if (reason === undefined && size > this.config.maxMessageBytes) reason = `record of ${size} bytes is over the target's maxMessageBytes (${this.config.maxMessageBytes})`;
      const stream = `${raw.topic}/${raw.partition}`;
      let s = byStream.get(stream);
      if (!s) byStream.set(stream, (s = { topic: raw.topic, partition: raw.partition, out: [], offsets: [], last: raw.offset }));
      s.last = raw.offset;
      // Tombstones of object-mapped tables are not forwarded: their key is the Avro key, and a DMS JSON topic has none.
      if (!record && this.#mappedTopic(raw.topic)) continue;
      if (reason !== undefined) {
        if (record) rejected.push({ record, reason });
        else ctx.log.warn({ topic: raw.topic, partition: raw.partition, offset: String(raw.offset) }, `tombstone not forwarded: ${reason}`);
        continue;
      }
      targets.add(target);
      s.out.push({
        topic: target, key, value, headers: raw.headers, timestampMs: raw.timestampMs,
        ...(this.config.partitioning === 'source' ? { partition: raw.partition } : {}),
      });
      s.offsets.push(raw.offset);
    }
    await this.#ensureTopics([...targets]);

    if (this.config.delivery === 'at-least-once') {
      const all = [...byStream.values()].flatMap((s) => s.out);
      try {
        if (all.length > 0) await this.#plainProducer().send(all);
      } catch (e: unknown) {
        throw explainTargetError(e, this.config, 'produce');
      }
      return { rejected };
    }

    await this.#initPartitions([...byStream.values()]);
    const jobs = [...byStream.entries()].map(([key, s]) => async () => {
      const st = this.#partitions.get(key)!;
      const next = st.next ?? -1n;
      if (s.last < next) return; // all of it is in the target already
      const out = next < 0n ? s.out : s.out.filter((_r, i) => s.offsets[i]! >= next);
      try {
        await st.producer.sendInTransaction(out, { groupId: st.groupId, topic: this.config.offsetsTopic, partition: 0, offset: s.last + 1n, coordinator: st.coordinator });
        st.next = s.last + 1n;
      } catch (e: unknown) {
        // The producer may be fenced or its transaction undecided: drop it; the retry re-initializes and re-reads.
        this.#partitions.delete(key);
        await st.producer.close().catch(() => {});
        throw explainTargetError(e, this.config, `commit a transaction for ${key}`);
      }
    });
    await runLimited(jobs, PARALLEL_TRANSACTIONS);
    return { rejected };
  }

  /** Creates (and fences with) the transactional producers of partitions seen for the first time, then reads their stored offsets. */
  async #initPartitions(streams: readonly { topic: string; partition: number }[]): Promise<void> {
    const fresh: string[] = [];
    for (const s of streams) {
      const key = `${s.topic}/${s.partition}`;
      if (this.#partitions.has(key)) continue;
      const producer = createTransactionalProducer({
        ...this.#conn, clientId: `${this.config.clientId}-${s.partition}`, transactionalId: `${this.idPrefix}${s.topic}-${s.partition}`,
        compression: this.config.compression, maxMessageBytes: this.config.maxMessageBytes,
      });
      this.#partitions.set(key, { producer, groupId: offsetsGroupId(this.idPrefix, s.topic, s.partition), coordinator: -1, next: undefined });
      fresh.push(key);
    }
    const unread = [...this.#partitions.entries()].filter(([, st]) => st.next === undefined);
    if (unread.length === 0) return;
    try {
      if (!this.#offsetsTopicReady) {
        if (this.config.createTopics.enabled) await ensureOffsetsTopic(this.#adminClient(), this.config.offsetsTopic, this.config.createTopics.replicationFactor);
        this.#offsetsTopicReady = true;
      }
      const admin = this.#adminClient();
      await runLimited(unread.map(([, st]) => async () => {
        await st.producer.init();
        st.coordinator = await admin.groupCoordinator(st.groupId);
      }), PARALLEL_TRANSACTIONS);
      const stored = await readStoredOffsets(admin, this.config.offsetsTopic, unread.map(([, st]) => st.groupId));
      for (const [, st] of unread) st.next = stored.get(st.groupId) ?? -1n;
    } catch (e: unknown) {
      for (const [key, st] of unread) {
        this.#partitions.delete(key);
        await st.producer.close().catch(() => {});
      }
      throw explainTargetError(e, this.config, 'initialize the transactional producers and read the stored offsets');
    }
  }

  async #ensureTopics(topics: readonly string[]): Promise<void> {
    const missing = topics.filter((t) => !this.#knownTopics.has(t));
    if (missing.length === 0) return;
    const admin = this.#adminClient();
    try {
      if (this.config.createTopics.enabled) {
        const { partitions, replicationFactor, config } = this.config.createTopics;
        await admin.ensureTopics(missing.map((name) => ({ name, partitions, replicationFactor, config: { 'max.message.bytes': String(this.config.maxMessageBytes), ...config } })));
      } else {
        const existing = new Set(await admin.listTopics());
        const absent = missing.filter((t) => !existing.has(t));
        if (absent.length > 0) {
          throw new FerryError('FERRY_KAFKA_ERROR', `target topic${absent.length === 1 ? '' : 's'} ${absent.join(', ')} do${absent.length === 1 ? 'es' : ''} not exist on the Kafka target and createTopics.enabled is false; create ${absent.length === 1 ? 'it' : 'them'} or enable createTopics`, { disposition: 'fatal' });
        }
      }
    } catch (e: unknown) {
      throw explainTargetError(e, this.config, `create topics ${missing.join(', ')}`);
    }
    for (const t of missing) this.#knownTopics.add(t);
  }

  #adminClient(): KafkaAdmin {
    return (this.#admin ??= createAdmin({ ...this.#conn, clientId: `${this.config.clientId}-admin` }));
  }

  #plainProducer(): RecordProducer {
    return (this.#plain ??= createProducer({ ...this.#conn, clientId: `${this.config.clientId}-p`, compression: this.config.compression, maxMessageBytes: this.config.maxMessageBytes }));
  }

  async close(): Promise<void> {
    const states = [...this.#partitions.values()];
    this.#partitions.clear();
    await Promise.all(states.map((s) => s.producer.close().catch(() => {})));
    await this.#plain?.close().catch(() => {});
    await this.#admin?.close().catch(() => {});
    this.#plain = undefined;
    this.#admin = undefined;
  }
}

async function runLimited(jobs: readonly (() => Promise<void>)[], limit: number): Promise<void> {
  let i = 0;
  let failure: unknown;
  const lane = async () => {
    while (i < jobs.length && failure === undefined) {
      const job = jobs[i++]!;
      try {
        await job();
      } catch (e: unknown) {
        failure ??= e;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, jobs.length) }, lane));
  if (failure !== undefined) throw failure;
}
