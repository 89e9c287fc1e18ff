/**
 * The Kafka output seam for tasks that do not write the default (the Avro envelope, unflattened): a change event →
 * (optional flattening, flatten.ts) → key and value in the task's format (docs/formats.md). The default path never
 * comes here: KafkaEventSink keeps EventEncoder's fast path for it.
 *
 * Per table version, once: the Connect schemas, the flattening, the schemas registered (formats with a registry), and
 * the serializers. Then records() is synchronous.
 *
 * Subjects are TopicNameStrategy's <topic>-key / <topic>-value in every registry format, as Debezium's converters use
 * them; a flattened table registers its Value record (not the Envelope) under <topic>-value.
 */
import type { Type } from 'avsc';
import { FerryError } from '../../../core/src/errors.ts';
import type { ChangeEvent, SchemaRegistry, TableId, TableSchema } from '../../../core/src/types.ts';
import { connectToAvro, type ConnectSchema } from '../avro-mapping.ts';
import { avscType } from '../avro-types.ts';
import { tableConnectSchemas, type ConnectorKind, type TableAvroSchemas } from '../envelope-schema.ts';
import { encodeWire, writeWireHeader, WIRE_HEADER_LENGTH, type EventEncoder } from '../event-encoder.ts';
import { flatTable, flattenEvent, type FlatTable, type FlattenOptions } from '../flatten.ts';
import { CloudEventsWriter } from './cloudevents.ts';
import { compileJsonWriter, connectJsonSchema, jsonText } from './connect-json.ts';
import { jsonSchemaDocument } from './json-schema.ts';
import { encodeProtobufWire, protoSchemaOf } from './protobuf.ts';

export type OutputFormat = 'avro' | 'json' | 'json-schemaless' | 'json-schema' | 'protobuf' | 'cloudevents';

/** Formats whose records carry a registry schema id (Confluent framing). */
export const REGISTRY_FORMATS: readonly OutputFormat[] = ['avro', 'json-schema', 'protobuf'];

/** A registry that also takes JSON Schema and Protobuf schemas (ConfluentRegistryClient). */
export interface TypedSchemaRegistry extends SchemaRegistry {
  registerSchema(subject: string, schemaType: 'AVRO' | 'JSON' | 'PROTOBUF', text: string): Promise<number>;
}

export interface FormattedRecord {
  readonly topic: string;
  readonly key: Buffer | null;
  /** null: a tombstone. */
  readonly value: Buffer | null;
}

export interface EventFormatterOptions {
  readonly format: OutputFormat;
  /** The flattening of a table; null: the envelope. */
  readonly flatten: (table: TableId) => FlattenOptions | null;
  /** tombstones.on.delete: a tombstone after each delete (the envelope), or for the flattening to keep or drop. */
  readonly tombstonesOnDelete: boolean;
  readonly registry: SchemaRegistry;
  /** The sink's encoder: its schema cache (topics, Avro key types) and source records. */
  readonly encoder: EventEncoder;
  readonly connector: ConnectorKind;
}

type Serialize = (value: unknown) => Buffer;

interface Plan {
  readonly topic: string;
  readonly flat: FlatTable | null;
  key: Serialize | null;
  value: Serialize | null;
  ready: Promise<void>;
}

const utf8 = (s: string): Buffer => Buffer.from(s, 'utf8');

function framed(id: number, text: string): Buffer {
  const body = utf8(text);
  const out = Buffer.allocUnsafe(WIRE_HEADER_LENGTH + body.length);
  writeWireHeader(out, id);
  body.copy(out, WIRE_HEADER_LENGTH);
  return out;
}

export class EventFormatter {
  readonly #o: EventFormatterOptions;
  readonly #plans = new WeakMap<TableAvroSchemas, Plan>();

  constructor(options: EventFormatterOptions) {
    this.#o = options;
  }

  #plan(table: TableSchema): Plan {
    const avro = this.#o.encoder.schemas.get(table);
    let p = this.#plans.get(avro);
    if (p === undefined) {
      const opts = this.#o.flatten(table.id);
      if (opts !== null && this.#o.format === 'cloudevents') {
        throw new FerryError('FERRY_CONFIG_INVALID', `settings.format cloudevents needs the change-event envelope (its source block makes the CloudEvents attributes), but ${table.id.schema}.${table.id.table} is flattened: turn settings.flatten off for it, or use format json`, { disposition: 'fatal' });
      }
      const c = tableConnectSchemas(table, this.#o.encoder.schemas.options);
      const flat = opts === null ? null : flatTable(c.value, avro.valueFields, this.#o.connector, opts);
      const plan: Plan = { topic: avro.topic, flat, key: null, value: null, ready: Promise.resolve() };
      plan.ready = this.#serializers(plan, avro, c.key, flat === null ? c.envelope : flat.value);
      plan.ready.catch(() => this.#plans.delete(avro));
      this.#plans.set(avro, plan);
      p = plan;
    }
    return p;
  }

  /** Registers (formats with a registry) and builds the serializers of one table version. */
  async #serializers(p: Plan, avro: TableAvroSchemas, key: ConnectSchema | null, value: ConnectSchema): Promise<void> {
    const reg = this.#o.registry as Partial<TypedSchemaRegistry>;
    const typed = (type: 'JSON' | 'PROTOBUF', subject: string, text: string): Promise<number> => {
      if (typeof reg.registerSchema !== 'function') throw new FerryError('FERRY_INTERNAL', `settings.format ${this.#o.format} needs a registry client that registers ${type} schemas`);
      return reg.registerSchema(subject, type, text);
    };
    const f = this.#o.format;
    switch (f) {
      case 'avro': {
        const valueType: Type = avscType(connectToAvro(value));
        const [keyId, valueId] = await Promise.all([
          avro.key ? this.#o.registry.register(avro.keySubject, avro.key) : null,
          this.#o.registry.register(avro.valueSubject, connectToAvro(value) as object),
        ]);
        const keyType = this.#o.encoder.types(avro.table).key;
        p.key = keyType === null ? null : (k) => encodeWire(keyType, keyId!, k, `the key of ${avro.topic}`);
        p.value = (v) => encodeWire(valueType, valueId, v, `the value of ${avro.topic}`);
        return;
      }
      case 'json': case 'cloudevents': {
        const keyHead = key === null ? '' : `{"schema":${jsonText(connectJsonSchema(key))},"payload":`;
        const keyJson = key === null ? null : compileJsonWriter(key);
        p.key = keyJson === null ? null : (k) => utf8(`${keyHead}${keyJson(k)}}`);
        if (f === 'cloudevents') {
          const ce = new CloudEventsWriter(this.#o.connector, tableConnectSchemas(avro.table, this.#o.encoder.schemas.options).value);
          p.value = (v) => utf8(ce.text(v as Record<string, unknown>));
        } else {
          const head = `{"schema":${jsonText(connectJsonSchema(value))},"payload":`;
          const valueJson = compileJsonWriter(value);
          p.value = (v) => utf8(`${head}${valueJson(v)}}`);
        }
        return;
      }
      case 'json-schemaless': {
        const keyJson = key === null ? null : compileJsonWriter(key);
        const valueJson = compileJsonWriter(value);
        p.key = keyJson === null ? null : (k) => utf8(keyJson(k));
        p.value = (v) => utf8(valueJson(v));
        return;
      }
      case 'json-schema': {
        const [keyId, valueId] = await Promise.all([
          key === null ? null : typed('JSON', avro.keySubject, JSON.stringify(jsonSchemaDocument(key))),
          typed('JSON', avro.valueSubject, JSON.stringify(jsonSchemaDocument(value))),
        ]);
        const keyJson = key === null ? null : compileJsonWriter(key);
        const valueJson = compileJsonWriter(value);
        p.key = keyJson === null ? null : (k) => framed(keyId!, keyJson(k));
        p.value = (v) => framed(valueId, valueJson(v));
        return;
      }
      case 'protobuf': {
        const keyProto = key === null ? null : protoSchemaOf(key);
        const valueProto = protoSchemaOf({ ...value, optional: false });
        const [keyId, valueId] = await Promise.all([
          keyProto === null ? null : typed('PROTOBUF', avro.keySubject, keyProto.text),
          typed('PROTOBUF', avro.valueSubject, valueProto.text),
        ]);
        p.key = keyProto === null ? null : (k) => encodeProtobufWire(keyProto, keyId!, k);
        p.value = (v) => encodeProtobufWire(valueProto, valueId, v);
        return;
      }
    }
  }

  /** The topic of a table's events. */
  topicOf(table: TableSchema): string {
    return this.#plan(table).topic;
  }

  /** Registers the table version's schemas (once); call before records(). */
  prepare(table: TableSchema): Promise<void> {
    return this.#plan(table).ready;
  }

  /** Appends the records of one event (none, one, or a value and a tombstone) to `out`. */
  records(event: ChangeEvent, out: FormattedRecord[]): void {
    const p = this.#plan(event.table);
    if (p.value === null) throw new FerryError('FERRY_INTERNAL', `EventFormatter.records before prepare() for ${p.topic}`);
    const enc = this.#o.encoder;
    const keyRow = enc.keyRecord(event);
    const key = keyRow === null || p.key === null ? null : p.key(keyRow);
    if (p.flat === null) {
      out.push({ topic: p.topic, key, value: p.value(enc.envelopeRecord(event)) });
      if (event.op === 'd' && this.#o.tombstonesOnDelete && key !== null) out.push({ topic: p.topic, key, value: null });
      return;
    }
    const rows = flattenEvent(event, p.flat, this.#o.tombstonesOnDelete, () => ({
      source: enc.sourceRecord(event.source), transaction: null, tsUs: event.tsMs * 1000, tsNs: BigInt(event.tsMs) * 1_000_000n,
    }));
    for (const row of rows) {
      // A keyless table's tombstone would have no key: nothing for compaction to drop, so none is written.
      if (row === null && key === null) continue;
      out.push({ topic: p.topic, key, value: row === null ? null : p.value(row) });
    }
  }
}
