/**
 * Kafka record (Confluent wire format) → SinkRecord, through the schema registry.
 *
 * Decoding is synchronous once a schema id is known; an unknown id is reported as `missing` and fetched with
 * `prefetch()` (one registry call per id, cached). Outcomes:
 *   record     a change event
 *   tombstone  a null value (the tombstone after a delete): nothing to write
 *   poison     bytes that can never be decoded (no wire header, unknown or non-Envelope schema, corrupt Avro)
 *   missing    schema ids to fetch first
 * Registry outages are not poison: prefetch() throws a retryable FerryError and the worker retries.
 *
 * Lazy mode (sinks with `lazyDecode`): the Avro payload is not decoded when read. The record's `envelope` and `key`
 * decode on first access (and throw if the bytes are corrupt); a sink that decodes `valueBytes` itself (the lake's
 * columnar path) never builds row objects, and notes each record's op and source time with `noteDecoded()` for the
 * worker's metrics.
 *
 * Lazy mode 'snapshot-reads': each payload is scanned when read (envelope-scan.ts: op, the after-image's offset,
 * source.ts_ms; corrupt bytes are poison as in eager mode); snapshot reads with an after-image stay undecoded
 * (afterImageAt() gives the offset, their op and source time are noted), every other record is decoded when read;
 * decoded inserts and updates keep their after-image's offset too (afterBytesAt()), for sinks that copy it as bytes.
 */
import type { Resolver, Type } from 'avsc';
import { FerryError, errorMessage } from '../../../core/src/errors.ts';
import type { Op, Row, SchemaRegistry, TableId } from '../../../core/src/types.ts';
import type { IncomingRecord } from '../kafka/kafka-client.ts';
import { avscType } from '../../../schemas/src/avro-types.ts';
import type { AvroRecordSchema } from '../../../schemas/src/avro-mapping.ts';
import { envelopeReaderSchema, sinkTableFromAvro } from './avro-table.ts';
import { AvroReader, EnvelopeScan, envelopeScanner } from './envelope-scan.ts';
import { routingKeyFields, SourceNamesReader, withoutRoutingKey } from './merged-topics.ts';
import type { Envelope, SinkRecord, SinkTable } from '../../../core/src/record-sink.ts';

export type DecodeOutcome =
  | { readonly kind: 'record'; readonly record: SinkRecord }
  | { readonly kind: 'tombstone' }
  | { readonly kind: 'poison'; readonly reason: string }
  | { readonly kind: 'missing'; readonly ids: readonly number[] };

interface ValueSchema {
  readonly schema: AvroRecordSchema;
  /** The full writer type: decodes the whole source block once per table, for its names. */
  readonly writer: Type;
  readonly reader: Type;
  readonly resolver: Resolver;
  /** SinkTable per key schema id (-1: no key). */
  readonly tables: Map<number, SinkTable>;
  /** Merged topics (topic routing, merged-topics.ts): SinkTable per key schema id and source table; the names reader. */
  merged?: { readonly names: SourceNamesReader; readonly tables: Map<string, SinkTable> };
  /** The last answer of #merged (a value schema id is mostly read on one topic with one key schema id). */
  mergedOn?: { readonly topic: string; readonly keyId: number; readonly strip: readonly string[] | null };
}

interface KeySchema {
  readonly schema: AvroRecordSchema;
  readonly type: Type;
}

type Entry<T> = { readonly ok: T } | { readonly error: string };

const TOMBSTONE: DecodeOutcome = { kind: 'tombstone' };

export interface RecordDecoderOptions {
  readonly registry: Pick<SchemaRegistry, 'getById'>;
  readonly sourceFields: readonly string[] | 'all';
  /** Decode the Avro payload on first access of `envelope` / `key` instead of when reading (RecordSink.lazyDecode). */
  readonly lazy?: boolean | 'snapshot-reads';
  /**
   * The target name of a source table (the task's table-mapping renames), as direct mode names it; default: the
   * source block's names. The events' source block keeps the source names, whatever the topic is called.
   */
  readonly tableId?: (source: TableId) => TableId;
  /**
   * Topics that may hold several tables' events (settings.topicRouting): each record is given the table its source
   * block names. Topics whose key has a field that is no column (a routing key field) are taken as merged anyway.
   */
  readonly mergedTopic?: (topic: string) => boolean;
}

/** A SinkRecord (Kafka mode, lazy decoding) whose envelope and key are decoded on first access. */
export class LazySinkRecord implements SinkRecord {
  readonly topic: string;
  readonly stream: string;
  readonly partition: number;
  readonly offset: bigint;
  readonly position = null;
  readonly event = null;
  readonly table: SinkTable;
  readonly timestampMs: number;
  readonly sizeBytes: number;
  readonly valueBytes: Buffer;
  /** Set by a sink that decoded the payload itself (noteDecoded), so metrics need not decode it again. */
  decodedOp: Op | undefined = undefined;
  decodedSourceMs: number | null = null;
  /** Lazy mode 'snapshot-reads': the offset in valueBytes of the after-image record (-1: not scanned). */
  afterAt = -1;
  #keyBytes: Buffer | null;
  #schema: ValueSchema;
  #keyType: Type | null;
  #env: Envelope | undefined = undefined;
  #key: Row | null | undefined = undefined;

  constructor(rec: IncomingRecord, stream: string, table: SinkTable, schema: ValueSchema, key: Buffer | null, keyType: Type | null) {
    this.topic = rec.topic;
    this.stream = stream;
    this.partition = rec.partition;
    this.offset = rec.offset;
    this.table = table;
    this.timestampMs = rec.timestampMs;
    this.valueBytes = rec.value!;
    this.sizeBytes = this.valueBytes.length + (key?.length ?? 0);
    this.#keyBytes = key;
    this.#schema = schema;
    this.#keyType = keyType;
  }

  get envelope(): Envelope {
    this.#env ??= this.#schema.reader.fromBuffer(this.valueBytes.subarray(5), this.#schema.resolver) as Envelope;
    return this.#env;
  }

  get key(): Row | null {
    if (this.#key === undefined) this.#key = this.#keyBytes === null || this.#keyType === null ? null : (this.#keyType.fromBuffer(this.#keyBytes.subarray(5)) as Row);
    return this.#key;
  }
}

/** A sink that decoded a lazy record's payload itself records its op and source time (ms) for the worker's metrics. */
export function noteDecoded(r: SinkRecord, op: Op, sourceMs: number | null): void {
  if (r instanceof LazySinkRecord) {
    r.decodedOp = op;
    r.decodedSourceMs = sourceMs;
  }
}

/** The offset in `valueBytes` of a snapshot read's after-image (Avro record), or -1 when the decoder did not scan it. */
export function afterImageAt(r: SinkRecord): number {
  return r instanceof LazySinkRecord ? r.afterAt : -1;
}

/**
 * The offset in `valueBytes` of a record's after-image (Avro record) when the decoder scanned it (lazy mode
 * 'snapshot-reads'), whether or not the record is also decoded: an undecoded snapshot read (afterImageAt), or a
 * decoded insert or update, which keeps its `afterAt` for sinks that copy after-images as bytes. -1 otherwise.
 */
export function afterBytesAt(r: SinkRecord): number {
  const at = (r as { afterAt?: unknown }).afterAt;
  return typeof at === 'number' ? at : -1;
}

/** A record's op, without decoding a lazy record a sink already decoded. */
export function opOf(r: SinkRecord): Op {
  return r instanceof LazySinkRecord && r.decodedOp !== undefined ? r.decodedOp : r.envelope.op;
}

/** A record's source time (source.ts_ms), without decoding a lazy record a sink already decoded. */
export function sourceMsOf(r: SinkRecord): number | null {
  if (r instanceof LazySinkRecord && r.decodedOp !== undefined) return r.decodedSourceMs;
  const ts = r.envelope.source.ts_ms;
  return typeof ts === 'number' ? ts : null;
}

export class RecordDecoder {
  readonly #registry: Pick<SchemaRegistry, 'getById'>;
  readonly #sourceFields: readonly string[] | 'all';
  readonly #values = new Map<number, Entry<ValueSchema>>();
  readonly #keys = new Map<number, Entry<KeySchema>>();
  readonly #raw = new Map<number, Promise<object>>();
  readonly #lazy: boolean;
  readonly #readsOnly: boolean;
  readonly #tableId: ((source: TableId) => TableId) | undefined;
  readonly #mergedTopic: ((topic: string) => boolean) | undefined;
  readonly #mergedTopics = new Map<string, boolean>();
  readonly #reader = new AvroReader();
  readonly #scan = new EnvelopeScan();

  constructor(options: RecordDecoderOptions) {
    this.#registry = options.registry;
    this.#sourceFields = options.sourceFields;
    this.#lazy = options.lazy === true || options.lazy === 'snapshot-reads';
    this.#readsOnly = options.lazy === 'snapshot-reads';
    this.#tableId = options.tableId;
    this.#mergedTopic = options.mergedTopic;
  }

  /** The routing key fields of a value and key schema pair, when the record's topic is merged; null otherwise. */
  #merged(topic: string, ve: ValueSchema, keyId: number, key: KeySchema | undefined): readonly string[] | null {
    const last = ve.mergedOn;
    if (last !== undefined && last.topic === topic && last.keyId === keyId) return last.strip;
    let strip: readonly string[] | null = routingKeyFields(ve.schema, key?.schema ?? null);
    if (strip.length === 0) {
      let byOption = this.#mergedTopics.get(topic);
      if (byOption === undefined) this.#mergedTopics.set(topic, (byOption = this.#mergedTopic?.(topic) ?? false));
      if (!byOption) strip = null;
    }
    if (strip !== null) ve.merged ??= { names: new SourceNamesReader(ve.schema, ve.writer), tables: new Map() };
    ve.mergedOn = { topic, keyId, strip };
    return strip;
  }

  /** A record of a merged topic: decoded at once, named after its own source table, without the routing key fields. */
  #decodeMerged(rec: IncomingRecord, stream: string, ve: ValueSchema, valueId: number, key: Buffer | null, keyId: number, ke: KeySchema | undefined, strip: readonly string[]): DecodeOutcome {
    const value = rec.value!;
    let env: Envelope;
    let keyRow: Record<string, unknown> | null = null;
    let src: { readonly schema: string; readonly table: string | null };
    try {
      env = ve.reader.fromBuffer(value.subarray(5), ve.resolver) as Envelope;
      if (ke !== undefined) keyRow = ke.type.fromBuffer(key!.subarray(5)) as Record<string, unknown>;
      src = ve.merged!.names.read(value.subarray(5));
    } catch (e: unknown) {
      return { kind: 'poison', reason: `cannot decode the Avro payload (value schema id ${valueId}${keyId >= 0 ? `, key schema id ${keyId}` : ''}): ${errorMessage(e)}` };
    }
    if (keyRow !== null) for (const f of strip) delete keyRow[f];
    const sourceId = { schema: src.schema, table: src.table ?? rec.topic.split('.').pop()! };
    const cacheKey = `${keyId}\u0000${sourceId.schema}\u0000${sourceId.table}`;
    let table = ve.merged!.tables.get(cacheKey);
    if (table === undefined) {
      const id = this.#tableId ? this.#tableId(sourceId) : sourceId;
      table = withoutRoutingKey(sinkTableFromAvro(ve.schema, ke?.schema ?? null, { topic: rec.topic, schema: id.schema, table: id.table, version: String(valueId) }), strip);
      ve.merged!.tables.set(cacheKey, table);
    }
    const record: SinkRecord = {
      topic: rec.topic, stream, partition: rec.partition, offset: rec.offset, position: null, event: null,
      key: keyRow, envelope: env, table, timestampMs: rec.timestampMs, sizeBytes: value.length + (key?.length ?? 0), valueBytes: value,
    };
    return { kind: 'record', record };
  }

  decode(rec: IncomingRecord, stream: string): DecodeOutcome {
    const value = rec.value;
    if (value === null || value.length === 0) return TOMBSTONE;
    if (value.length < 5 || value[0] !== 0) return { kind: 'poison', reason: `the value is not in Confluent wire format (${value.length} bytes, first byte ${value[0]}; expected magic byte 0 and a 4-byte schema id)` };
    const valueId = value.readUInt32BE(1);
    const key = rec.key !== null && rec.key.length > 0 ? rec.key : null;
    let keyId = -1;
    if (key !== null) {
      if (key.length < 5 || key[0] !== 0) return { kind: 'poison', reason: `the key is not in Confluent wire format (${key.length} bytes, first byte ${key[0]})` };
      keyId = key.readUInt32BE(1);
    }
    const ve = this.#values.get(valueId);
    const ke = keyId < 0 ? undefined : this.#keys.get(keyId);
    if (ve === undefined || (keyId >= 0 && ke === undefined)) {
      return { kind: 'missing', ids: [...(ve === undefined ? [valueId] : []), ...(keyId >= 0 && ke === undefined ? [keyId] : [])] };
    }
    if ('error' in ve) return { kind: 'poison', reason: `value schema id ${valueId}: ${ve.error}` };
    if (ke !== undefined && 'error' in ke) return { kind: 'poison', reason: `key schema id ${keyId}: ${ke.error}` };

    const strip = this.#merged(rec.topic, ve.ok, keyId, ke?.ok);
    if (strip !== null) return this.#decodeMerged(rec, stream, ve.ok, valueId, key, keyId, ke?.ok, strip);
    let table = ve.ok.tables.get(keyId);
    let afterAt = -1;
    if (this.#lazy && table !== undefined) {
      const scanner = this.#readsOnly ? envelopeScanner(table) : null;
      if (scanner === null && !this.#readsOnly) return { kind: 'record', record: new LazySinkRecord(rec, stream, table, ve.ok, key, ke?.ok.type ?? null) };
      if (scanner !== null) {
        const s = this.#scan;
        if (!scanner.scan(value, this.#reader, s)) {
          return { kind: 'poison', reason: `cannot decode the Avro payload (value schema id ${valueId}${keyId >= 0 ? `, key schema id ${keyId}` : ''}): truncated or corrupt bytes` };
        }
        if (s.op === 0x72 /* r */ && s.afterAt >= 0) {
          const lazy = new LazySinkRecord(rec, stream, table, ve.ok, key, ke?.ok.type ?? null);
          lazy.afterAt = s.afterAt;
          lazy.decodedOp = 'r';
          lazy.decodedSourceMs = s.tsMs;
          return { kind: 'record', record: lazy };
        }
        if ((s.op === 0x63 /* c */ || s.op === 0x75 /* u */) && s.afterAt >= 0) afterAt = s.afterAt;
      }
    }
    let env: Envelope;
    let keyRow: Record<string, unknown> | null = null;
    try {
      env = ve.ok.reader.fromBuffer(value.subarray(5), ve.ok.resolver) as Envelope;
      if (ke !== undefined) keyRow = ke.ok.type.fromBuffer(key!.subarray(5)) as Record<string, unknown>;
    } catch (e: unknown) {
      return { kind: 'poison', reason: `cannot decode the Avro payload (value schema id ${valueId}${keyId >= 0 ? `, key schema id ${keyId}` : ''}): ${errorMessage(e)}` };
    }
    if (table === undefined) {
      // The table's names come from the source block; decode it whole once (the sink may not read those fields).
      const src = (ve.ok.writer.fromBuffer(value.subarray(5)) as Envelope).source as { db?: string; schema?: string; table?: string };
      const sourceId = { schema: src.schema ?? src.db ?? '', table: src.table ?? rec.topic.split('.').pop()! };
      const id = this.#tableId ? this.#tableId(sourceId) : sourceId;
      table = sinkTableFromAvro(ve.ok.schema, ke?.ok.schema ?? null, { topic: rec.topic, schema: id.schema, table: id.table, version: String(valueId) });
      ve.ok.tables.set(keyId, table);
    }
    const record: SinkRecord & { readonly afterAt: number } = {
      topic: rec.topic, stream, partition: rec.partition, offset: rec.offset, position: null, event: null,
      key: keyRow, envelope: env, table, timestampMs: rec.timestampMs, sizeBytes: value.length + (key?.length ?? 0), valueBytes: value,
      afterAt, // afterBytesAt()
    };
    return { kind: 'record', record };
  }

  /** Fetches and compiles schemas. Throws a retryable FerryError when the registry cannot be reached; a schema the registry refuses makes later records poison. */
  async prefetch(ids: readonly number[]): Promise<void> {
    for (const id of ids) {
      if (this.#values.has(id) || this.#keys.has(id)) continue;
      let schema: object;
      try {
        schema = await this.#fetch(id);
      } catch (e: unknown) {
        if (e instanceof FerryError && e.disposition === 'retry') throw e;
        this.#values.set(id, { error: `the registry does not return it (${errorMessage(e)})` });
        this.#keys.set(id, { error: `the registry does not return it (${errorMessage(e)})` });
        continue;
      }
      const s = (typeof schema === 'string' ? JSON.parse(schema) : schema) as AvroRecordSchema;
      const isEnvelope = s.type === 'record' && Array.isArray(s.fields) && s.fields.some((f) => f.name === 'op') && s.fields.some((f) => f.name === 'after');
      try {
        if (isEnvelope) {
          const writer = avscType(s);
          const readerSchema = envelopeReaderSchema(s, this.#sourceFields);
          const reader = avscType(readerSchema);
          this.#values.set(id, { ok: { schema: s, writer, reader, resolver: reader.createResolver(writer), tables: new Map() } });
          this.#keys.set(id, { error: 'an Envelope schema used as a key' });
        } else {
          this.#keys.set(id, { ok: { schema: s, type: avscType(s) } });
          this.#values.set(id, { error: `schema ${String((s as { name?: unknown }).name)} is not a Debezium change-event Envelope` });
        }
      } catch (e: unknown) {
        this.#values.set(id, { error: errorMessage(e) });
        this.#keys.set(id, { error: errorMessage(e) });
      }
    }
  }

  #fetch(id: number): Promise<object> {
    let p = this.#raw.get(id);
    if (p === undefined) {
      p = this.#registry.getById(id);
      p.catch(() => this.#raw.delete(id));
      this.#raw.set(id, p);
    }
    return p;
  }
}
