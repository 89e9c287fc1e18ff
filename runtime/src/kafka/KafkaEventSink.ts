/**
 * Writes change events to Ferry's Kafka topics as Debezium-compatible Avro (Confluent wire format):
 * one topic per table (<prefix>.<db>.<table>), keyed by primary key so per-key order holds on any partition count,
 * each delete followed by a tombstone when configured.
 *
 * A table without a primary key has a null key. The producer would spread null-key records over the partitions, and
 * a consumer of several partitions would then apply an UPDATE or DELETE (matched by the whole row) before the INSERT
 * it matches. So every event of a keyless table goes to partition 0 (KEYLESS_PARTITION): one partition holds the
 * table's whole log, in order, whatever the topic's partition count (adding partitions later does not move it). A
 * keyless delete gets no tombstone (a tombstone is a key with a null value; there is no key).
 *
 * Before the first event of a table version is produced, its key and envelope schemas are registered; the
 * registry refuses an incompatible version (HTTP 409 → FERRY_SCHEMA_INCOMPATIBLE), so no event with an
 * unregistered or incompatible schema ever reaches a topic.
 *
 * write() resolves only when every record is acknowledged by all in-sync replicas.
 *
 * writeSchemaChanges() writes Debezium's schema-change records (MySQL/MariaDB `includeSchemaChanges`) to the topic
 * named by the prefix: key {databaseName}, value {source, ts_ms, databaseName, schemaName, ddl, tableChanges}
 * (schemas/src/schema-change-schema.ts), acknowledged the same way before the pipeline commits past them.
 */
import { EventEncoder, encodeWire, type EncodedEvent, type SchemaIds } from '../../../schemas/src/event-encoder.ts';
import { EncodeArena } from '../../../schemas/src/encode-arena.ts';
import { heartbeatSchemas, transactionSchemas } from '../../../schemas/src/envelope-schema.ts';
import { heartbeatTopic, keySubject, schemaChangeTopic, transactionTopic, valueSubject } from '../../../schemas/src/naming.ts';
import { schemaChangeSchemas, schemaChangeValue } from '../../../schemas/src/schema-change-schema.ts';
import { TransactionTracker } from './TransactionTracker.ts';
import type { countProduced, FormattedWriter, KafkaOutputOptions } from './formatted-write.ts';
import { TopicRouter, type TopicRoutingRule } from '../../../schemas/src/topic-routing.ts';
import { avscType } from '../../../schemas/src/avro-types.ts';
import type { ChangeEvent, MetricsRegistry, Position, SchemaChange, SchemaRegistry, Sink, SinkContext, SourceMessage } from '../../../core/src/types.ts';
import type { OutboxRouter } from '../outbox/OutboxRouter.ts';
import type { OutboxSettings } from '../config/outbox-settings.ts';
import type { KafkaAdmin, OutgoingRecord, RecordProducer } from './kafka-client.ts';
import { eventHeaders } from './event-headers.ts';

/** Arenas kept for reuse: one per batch being written, and the pipeline writes one batch at a time. */
const KEPT_ARENAS = 2;

/** The partition every event of a table without a primary key (null key) is produced to: log order on one partition. */
export const KEYLESS_PARTITION = 0;

/** A change event's record: keyless tables' records pinned to KEYLESS_PARTITION, keyed ones left to the key hash. */
function eventRecord(enc: EncodedEvent, e: ChangeEvent): OutgoingRecord {
  // The encoder's result is a fresh { topic, key, value } per event: a keyed record is that object itself.
  const r: OutgoingRecord = enc.key === null ? { topic: enc.topic, key: null, value: enc.value, partition: KEYLESS_PARTITION } : enc;
  const headers = eventHeaders(e);
  return headers ? { ...r, headers } : r;
}

export interface KafkaEventSinkOptions {
  readonly producer: RecordProducer;
  readonly admin: KafkaAdmin;
  readonly registry: SchemaRegistry;
  readonly connector: 'mysql' | 'mariadb' | 'postgresql';
  readonly topicPrefix: string;
  readonly partitions: number;
  readonly replicationFactor: number;
  /** max.message.bytes of the topics this sink creates; default 8 MiB. */
  readonly maxMessageBytes?: number;
  readonly tombstonesOnDelete: boolean;
  /** Debezium's provide.transaction.metadata: BEGIN/END records on <prefix>.transaction and a transaction block per event. */
  readonly transactionMetadata?: boolean;
  readonly metrics: MetricsRegistry;
  /** settings.outbox: outbox tables' events (and PostgreSQL messages) routed by runtime/src/outbox/OutboxRouter.ts (docs/outbox.md). */
  readonly outbox?: OutboxSettings;
  /** settings.topicRouting: tables routed to other topics, with the routing key field (docs/topic-routing.md). */
  readonly topicRouting?: readonly TopicRoutingRule[];
  /** settings.format / settings.flatten when not the default Avro envelope (formatted-write.ts, docs/formats.md). */
  readonly output?: KafkaOutputOptions;
}

export class KafkaEventSink implements Sink {
  readonly #o: KafkaEventSinkOptions;
  readonly #encoder: EventEncoder;
  readonly #topics = new Map<string, Promise<void>>();
  readonly #records;
  readonly #bytes;
  /** Loaded on first use (with protobufjs and the format writers), so a task with the default output never loads them. */
  #formatted: Promise<{ readonly writer: FormattedWriter; readonly countProduced: typeof countProduced }> | null = null;

  constructor(options: KafkaEventSinkOptions) {
    this.#o = options;
    this.#encoder = new EventEncoder({ connector: options.connector, topicPrefix: options.topicPrefix, router: options.topicRouting?.length ? new TopicRouter(options.topicRouting) : undefined });
    this.#records = options.metrics.counter('kafka_records_total', 'Records produced to Ferry topics, by topic', ['topic']);
    this.#bytes = options.metrics.counter('kafka_bytes_total', 'Key + value bytes produced to Ferry topics', []);
  }

  /** settings.outbox's router, loaded on first use (null: no outbox configured). */
  #outbox: Promise<OutboxRouter> | null = null;

  #outboxRouter(): Promise<OutboxRouter> | null {
    const o = this.#o;
    if (!o.outbox?.length) return null;
    this.#outbox ??= import('../outbox/OutboxRouter.ts').then(({ OutboxRouter }) => new OutboxRouter({ entries: o.outbox!, producer: o.producer, registry: o.registry, ensureTopic: (t) => this.#ensureTopic(t), metrics: o.metrics }));
    return this.#outbox;
  }

  #formattedWriter(): Promise<{ readonly writer: FormattedWriter; readonly countProduced: typeof countProduced }> | null {
    const o = this.#o;
    if (!o.output) return null;
    this.#formatted ??= import('./formatted-write.ts').then(({ FormattedWriter, countProduced }) => ({
      writer: new FormattedWriter({ output: o.output!, encoder: this.#encoder, registry: o.registry, tombstonesOnDelete: o.tombstonesOnDelete, transactionMetadata: o.transactionMetadata ?? false, partition: KEYLESS_PARTITION }),
      countProduced,
    }));
    return this.#formatted;
  }

  /** Logical-decoding messages with an outbox prefix, as outbox events (OutboxRouter). */
  async writeMessages(messages: readonly SourceMessage[]): Promise<void> {
    await (await this.#outboxRouter())?.writeMessages(messages);
  }

  /** The topic a table's events go to (for tools and tests). */
  topicOf(event: ChangeEvent): string {
    return this.#encoder.schemas.get(event.table).topic;
  }

  readonly #tx = new TransactionTracker();
  #txIds: Promise<{ key: number; value: number }> | undefined;

  async write(events: readonly ChangeEvent[], ctx: SinkContext): Promise<void> {
    // Outbox tables' events go to their outbox topics (acknowledged first); the others go on as usual.
    const outbox = this.#outboxRouter();
    if (outbox) events = await (await outbox).write(events, ctx);
    const formatted = this.#formattedWriter();
    if (formatted) {
      const { writer, countProduced } = await formatted;
      const records = await writer.records(events, (t) => this.#ensureTopic(t));
      await this.#o.producer.send(records);
      return countProduced(records, this.#records, this.#bytes);
    }
    if (this.#o.transactionMetadata) return this.#writeWithTransactions(events, ctx);
    const ids = await this.#prepare(events);
    const records: OutgoingRecord[] = [];
    let bytes = 0;
    let lastTopic = '';
    let topicCount = 0;
    const arena = this.#arenas.pop() ?? new EncodeArena();
    const options = { arena };
    for (const e of events) {
      const enc = this.#encoder.encode(e, ids.get(e.table)!, options);
      // Record timestamp = produce time (CreateTime), as Debezium's producer sets it; commit-to-Kafka latency is measured on it.
      records.push(eventRecord(enc, e));
      bytes += enc.value.length + (enc.key?.length ?? 0);
      if (enc.topic !== lastTopic) {
        if (topicCount > 0) this.#records.inc({ topic: lastTopic }, topicCount);
        lastTopic = enc.topic;
        topicCount = 0;
      }
      topicCount++;
      if (e.op === 'd' && this.#o.tombstonesOnDelete && enc.key !== null) {
        records.push({ topic: enc.topic, key: enc.key, value: null });
      }
    }
    await this.#o.producer.send(records);
    this.#reuse(arena);
    if (topicCount > 0) this.#records.inc({ topic: lastTopic }, topicCount);
    this.#bytes.inc(undefined, bytes);
  }

  /**
   * Arenas whose records were acknowledged, ready for the next batch (encode-arena.ts). A batch takes one and gives
   * it back only after its send resolved: a failed send's arena is dropped, since the producer may still hold views
   * of it (a request left queued on a broken connection).
   */
  readonly #arenas: EncodeArena[] = [];

  #reuse(arena: EncodeArena): void {
    arena.reset();
    if (this.#arenas.length < KEPT_ARENAS) this.#arenas.push(arena);
  }

  /** As write(), with BEGIN/END records around each source transaction and a transaction block in every event. */
  async #writeWithTransactions(events: readonly ChangeEvent[], ctx: SinkContext): Promise<void> {
    const ids = await this.#prepare(events);
    const txTopic = transactionTopic(this.#o.topicPrefix);
    const schemas = transactionSchemas();
    this.#txIds ??= (async () => {
      await this.#ensureTopic(txTopic);
      const [key, value] = await Promise.all([this.#o.registry.register(keySubject(txTopic), schemas.key), this.#o.registry.register(valueSubject(txTopic), schemas.value)]);
      return { key, value };
    })();
    const txIds = await this.#txIds.catch((e: unknown) => { this.#txIds = undefined; throw e; });
    const keyType = avscType(schemas.key);
    const valueType = avscType(schemas.value);
    const marker = (m: { status: string; id: string; event_count: number | null; data_collections: { data_collection: string; event_count: number }[] | null }) => ({
      topic: txTopic, key: encodeWire(keyType, txIds.key, { id: m.id }), value: encodeWire(valueType, txIds.value, { ...m, ts_ms: Date.now() }),
    });
    const records: OutgoingRecord[] = [];
    const arena = this.#arenas.pop() ?? new EncodeArena();
    for (const e of events) {
      const step = this.#tx.next(e);
      for (const m of step.markers) records.push(marker(m));
      const enc = this.#encoder.encode(e, ids.get(e.table)!, { transaction: step.block, arena });
      records.push(eventRecord(enc, e));
      if (e.op === 'd' && this.#o.tombstonesOnDelete && enc.key !== null) records.push({ topic: enc.topic, key: enc.key, value: null });
    }
    if (ctx.endsAtTransactionBoundary) for (const m of this.#tx.end()) records.push(marker(m));
    await this.#o.producer.send(records);
    this.#reuse(arena);
  }

  /**
   * Topic creation and schema registration, per table version and cached, before any record is produced.
   * Schema ids are resolved here once per table version, so the per-event loops never await.
   */
  async #prepare(events: readonly ChangeEvent[]): Promise<Map<ChangeEvent['table'], SchemaIds>> {
    const ids = new Map<ChangeEvent['table'], SchemaIds>();
    // Indexed, and the previous event's table checked first: this async function is not optimized, and a for-of
    // over a batch of thousands of events would allocate an iterator result per event.
    let last: ChangeEvent['table'] | undefined;
    for (let i = 0; i < events.length; i++) {
      const table = events[i]!.table;
      if (table === last || ids.has(table)) continue;
      last = table;
      await this.#ensureTopic(this.#encoder.schemas.get(table).topic);
      ids.set(table, await this.#encoder.schemaIds(table, this.#o.registry));
    }
    return ids;
  }

  #heartbeatIds: Promise<{ key: number; value: number }> | undefined;

  /** Debezium's heartbeat record on __debezium-heartbeat.<prefix>: key {serverName}, value {ts_ms}. */
  async heartbeat(_position: Position): Promise<void> {
    const topic = heartbeatTopic(this.#o.topicPrefix);
    const schemas = heartbeatSchemas();
    this.#heartbeatIds ??= (async () => {
      await this.#ensureTopic(topic);
      const [key, value] = await Promise.all([this.#o.registry.register(keySubject(topic), schemas.key), this.#o.registry.register(valueSubject(topic), schemas.value)]);
      return { key, value };
    })();
    const ids = await this.#heartbeatIds.catch((e: unknown) => { this.#heartbeatIds = undefined; throw e; });
    await this.#o.producer.send([{
      topic,
      key: encodeWire(avscType(schemas.key), ids.key, { serverName: this.#o.topicPrefix }),
      value: encodeWire(avscType(schemas.value), ids.value, { ts_ms: Date.now() }),
    }]);
  }

  #schemaChangeIds: Promise<{ key: number; value: number }> | undefined;

  /** Debezium's schema-change records on the topic `<prefix>`, keyed by database name, in the order given. */
  async writeSchemaChanges(changes: readonly SchemaChange[]): Promise<void> {
    if (changes.length === 0 || this.#o.connector === 'postgresql') return;
    const topic = schemaChangeTopic(this.#o.topicPrefix);
    const schemas = schemaChangeSchemas(this.#o.connector);
    this.#schemaChangeIds ??= (async () => {
      await this.#ensureTopic(topic);
      const [key, value] = await Promise.all([this.#o.registry.register(keySubject(topic), schemas.key), this.#o.registry.register(valueSubject(topic), schemas.value)]);
      return { key, value };
    })();
    const ids = await this.#schemaChangeIds.catch((e: unknown) => { this.#schemaChangeIds = undefined; throw e; });
    const keyType = avscType(schemas.key);
    const valueType = avscType(schemas.value);
    const records: OutgoingRecord[] = changes.map((c) => ({
      topic,
      key: encodeWire(keyType, ids.key, { databaseName: c.databaseName }, 'schema-change key'),
      value: encodeWire(valueType, ids.value, schemaChangeValue(c, this.#encoder.sourceRecord(c.source), Date.now()), 'schema-change value'),
    }));
    await this.#o.producer.send(records);
    this.#records.inc({ topic }, records.length);
  }

  async flush(): Promise<void> {
    // write() already waits for acks=all; nothing is buffered here.
  }

  async close(): Promise<void> {
    await this.#o.producer.close();
    await this.#o.admin.close();
  }

  #ensureTopic(topic: string): Promise<void> {
    let p = this.#topics.get(topic);
    if (!p) {
      p = this.#o.admin.ensureTopics([{ name: topic, partitions: this.#o.partitions, replicationFactor: this.#o.replicationFactor, config: { 'max.message.bytes': String(this.#o.maxMessageBytes ?? 8388608) } }]);
      p.catch(() => this.#topics.delete(topic));
      this.#topics.set(topic, p);
    }
    return p;
  }
}
