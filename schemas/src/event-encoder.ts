/**
 * ChangeEvent → Debezium Avro key/value records → Confluent wire format (magic 0, 4-byte big-endian
 * schema id, Avro binary), and back.
 *
 * Column values arrive in their wire representation (see docs/event-format.md): the encoder never
 * re-interprets them (a MicroTimestamp is a number/bigint of micros, a Decimal a Buffer of the unscaled
 * two's-complement value, a Json a string, a Geometry a { wkb, srid } object).
 *
 * Fast path: avsc Types are built once per table schema version and reused; the envelope and source
 * records are scratch objects refilled per event; encoding goes into one growing scratch buffer and the
 * only per-message allocation is the returned Buffer, or with an EncodeArena (encode-arena.ts, the Kafka event
 * sink's batches) a view of the arena's reused memory. Events that share one SourceInfo object (a snapshot chunk's)
 * share its source block's Avro bytes too: encoded once, then copied (AvroBytes).
 */
import type { Type } from 'avsc';
import type { ChangeEvent, Row, SchemaRegistry, SourceInfo, TableSchema } from '../../core/src/types.ts';
import { FerryError, errorMessage } from '../../core/src/errors.ts';
import { parseBinlogPosition, parseLsnPosition } from '../../core/src/position.ts';
import { AvroBytes, avscType, normalizeInt64 } from './avro-types.ts';
import type { Int64 } from './avro-types.ts';
import { TableSchemaCache } from './envelope-schema.ts';
import type { ConnectorKind, FieldMapping, TableAvroSchemas } from './envelope-schema.ts';
import type { TopicRouter } from './topic-routing.ts';
import type { EncodeArena } from './encode-arena.ts';

export const MAGIC_BYTE = 0;
export const WIRE_HEADER_LENGTH = 5;

/** Writes the 5-byte Confluent header (magic 0, schema id big-endian) at `offset`. */
export function writeWireHeader(buf: Buffer, schemaId: number, offset = 0): void {
  if (!Number.isInteger(schemaId) || schemaId < 0 || schemaId > 0x7fffffff) {
    throw new FerryError('FERRY_INTERNAL', `schema id ${schemaId} does not fit the 4-byte wire-format header`);
  }
  buf[offset] = MAGIC_BYTE;
  buf.writeUInt32BE(schemaId, offset + 1);
}

/** Reads the Confluent header: the schema id; the Avro payload starts at WIRE_HEADER_LENGTH. */
export function readWireHeader(buf: Buffer): number {
  if (buf.length < WIRE_HEADER_LENGTH || buf[0] !== MAGIC_BYTE) {
    throw new FerryError('FERRY_INTERNAL',
      `not a Confluent wire-format message (${buf.length} bytes, first byte ${buf[0] ?? 'none'}; expected magic byte 0 and a 4-byte schema id)`);
  }
  return buf.readUInt32BE(1);
}

let scratch = Buffer.allocUnsafe(64 * 1024);

/**
 * Encodes `value` with `type` behind a wire header: one allocation, the returned Buffer; with `arena`, a view of the
 * arena's memory (encode-arena.ts), unless the record is larger than the arena's chunks.
 */
export function encodeWire(type: Type, schemaId: number, value: unknown, what = 'record', arena?: EncodeArena): Buffer {
  if (arena !== undefined) {
    try {
      const out = arena.encodeWire(type, schemaId, value);
      if (out !== null) return out;
    } catch (e: unknown) {
      throw encodeError(type, value, what, e);
    }
  }
  writeWireHeader(scratch, schemaId);
  let end: number;
  try {
    end = type.encode(value, scratch, WIRE_HEADER_LENGTH);
    while (end < 0) {
      const grown = Buffer.allocUnsafe(Math.max(scratch.length * 2, scratch.length - end + 1024));
      grown[0] = MAGIC_BYTE;
      grown.writeUInt32BE(schemaId, 1);
      scratch = grown;
      end = type.encode(value, scratch, WIRE_HEADER_LENGTH);
    }
  } catch (e: unknown) {
    throw encodeError(type, value, what, e);
  }
  const out = Buffer.allocUnsafe(end);
  scratch.copy(out, 0, 0, end);
  return out;
}

/** Decodes a wire-format message with a known writer type. */
export function decodeWire(type: Type, buf: Buffer): { readonly schemaId: number; readonly value: unknown } {
  const schemaId = readWireHeader(buf);
  try {
    return { schemaId, value: type.fromBuffer(buf.subarray(WIRE_HEADER_LENGTH)) };
  } catch (e: unknown) {
    throw new FerryError('FERRY_INTERNAL', `cannot decode Avro payload of schema id ${schemaId}: ${errorMessage(e)}`, { cause: e });
  }
}

function encodeError(type: Type, value: unknown, what: string, cause: unknown): FerryError {
  const problems: string[] = [];
  type.isValid(value, {
    errorHook: (path: string[], val: unknown, t: Type) => {
      if (problems.length < 5) {
        const shown = typeof val === 'bigint' ? `${val}n` : Buffer.isBuffer(val) ? `<Buffer ${val.length} bytes>` : JSON.stringify(val) ?? String(val);
        problems.push(`${path.join('.') || '(root)'}: ${shown} is not a valid ${t.typeName}`);
      }
    },
  });
  const detail = problems.length > 0 ? problems.join('; ') : errorMessage(cause);
  return new FerryError('FERRY_INTERNAL', `cannot encode ${what} as Avro: ${detail}`, { cause });
}

/** The transaction block of an envelope (Debezium `provide.transaction.metadata=true`). */
export interface TransactionBlock {
  readonly id: string;
  readonly totalOrder: Int64;
  readonly dataCollectionOrder: Int64;
}

export interface EncodedEvent {
  readonly topic: string;
  /** null when the table has no primary key. */
  readonly key: Buffer | null;
  readonly value: Buffer;
}

/** How encode(), encodeKey() and encodeValue() encode an event. */
export interface EncodeOptions {
  /** The envelope's transaction block (Debezium `provide.transaction.metadata`). */
  readonly transaction?: TransactionBlock;
  /** Encode into this arena (views of its memory) instead of one Buffer per record (encode-arena.ts). */
  readonly arena?: EncodeArena;
}

export interface SchemaIds {
  readonly key: number | null;
  readonly value: number;
}

export interface EventEncoderOptions {
  readonly connector: ConnectorKind;
  readonly topicPrefix: string;
  /** `source.version`; defaults to FERRY_SOURCE_VERSION. */
  readonly version?: string;
  /** Share a schema cache with other components; one is created otherwise. */
  readonly schemas?: TableSchemaCache;
  /** settings.topicRouting (topic-routing.ts), for the cache this encoder creates. */
  readonly router?: TopicRouter | undefined;
}

/** What Ferry writes in `source.version` unless told otherwise. */
export const FERRY_SOURCE_VERSION = '0.1.0-ferry';

interface Compiled {
  readonly schemas: TableAvroSchemas;
  readonly keyType: Type | null;
  readonly envelopeType: Type;
  /** The envelope's source record type, to encode a shared source block once; null if it has none. */
  readonly sourceType: Type | null;
  readonly keyRenamed: boolean;
  readonly valueRenamed: boolean;
  ids?: Promise<SchemaIds>;
}

function renamed(fields: readonly FieldMapping[]): boolean {
  return fields.some((f) => f.column !== f.field);
}

function mapRow(row: Row, fields: readonly FieldMapping[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const f of fields) out[f.field] = row[f.column];
  return out;
}

/** ms → ns as a bigint; consecutive events mostly share their millisecond, so the last result is kept. */
class NsClock {
  #ms = -1;
  #ns = 0n;
  ns(ms: number): bigint {
    if (ms !== this.#ms) {
      this.#ns = BigInt(ms) * 1_000_000n;
      this.#ms = ms;
    }
    return this.#ns;
  }
}

function asInt64(v: unknown): Int64 | null {
  if (v === undefined || v === null) return null;
  if (typeof v === 'number' || typeof v === 'bigint') return v;
  if (typeof v === 'string' && /^-?\d+$/.test(v)) return normalizeInt64(BigInt(v));
  throw new FerryError('FERRY_INTERNAL', `expected an int64 in the source block, got ${JSON.stringify(v)}`);
}

/**
 * Turns ChangeEvents of one task into Debezium Avro records and wire-format buffers.
 * Not re-entrant: one encoder per pipeline (it reuses scratch objects between calls).
 */
export class EventEncoder {
  readonly schemas: TableSchemaCache;
  readonly #connector: ConnectorKind;
  readonly #version: string;
  readonly #compiled = new WeakMap<TableAvroSchemas, Compiled>();
  readonly #source: Record<string, unknown> = {};
  readonly #envelope: Record<string, unknown> = {};
  readonly #eventNs = new NsClock();
  readonly #sourceNs = new NsClock();
  // The source block of the previous event, and its bytes once a second event shared its SourceInfo object.
  #lastSourceInfo: SourceInfo | undefined;
  #lastSourceCompiled: Compiled | undefined;
  #lastSourceBytes: AvroBytes | undefined;
  #lastPosition = '';
  #lastCoords: ReturnType<typeof parseBinlogPosition> | undefined;

  constructor(options: EventEncoderOptions) {
    this.#connector = options.connector;
    this.#version = options.version ?? FERRY_SOURCE_VERSION;
    this.schemas = options.schemas ?? new TableSchemaCache({ connector: options.connector, topicPrefix: options.topicPrefix, router: options.router });
    if (this.schemas.options.connector !== options.connector || this.schemas.options.topicPrefix !== options.topicPrefix) {
      throw new FerryError('FERRY_INTERNAL', 'EventEncoder: the shared schema cache belongs to another connector or topic prefix');
    }
  }

  #compile(table: TableSchema): Compiled {
    const schemas = this.schemas.get(table);
    let c = this.#compiled.get(schemas);
    if (c === undefined) {
      const envelopeType = avscType(schemas.envelope, { preEncodedField: 'source' });
      const source = (envelopeType as unknown as { field?(name: string): { type: Type } | undefined }).field?.('source')?.type;
      c = {
        schemas,
        keyType: schemas.key ? avscType(schemas.key) : null,
        envelopeType,
        sourceType: source !== undefined && source.typeName === 'record' ? source : null,
        keyRenamed: renamed(schemas.keyFields),
        valueRenamed: renamed(schemas.valueFields),
      };
      this.#compiled.set(schemas, c);
    }
    return c;
  }

  /** The avsc types of a table version (key null without a primary key). */
  types(table: TableSchema): { readonly key: Type | null; readonly envelope: Type } {
    const c = this.#compile(table);
    return { key: c.keyType, envelope: c.envelopeType };
  }

  /** The Avro key record: event.key, else the key columns of after/before; null without a primary key and for truncates. */
  keyRecord(event: ChangeEvent): Record<string, unknown> | null {
    return this.#key(this.#compile(event.table), event);
  }

  #key(c: Compiled, event: ChangeEvent): Record<string, unknown> | null {
    // Debezium's truncate events have no key.
    if (c.keyType === null || event.op === 't') return null;
    const row = event.key ?? event.after ?? event.before;
    if (row === null) {
      throw new FerryError('FERRY_INTERNAL', `event on ${c.schemas.topic} (op ${event.op}) has neither a key nor a row to take one from`);
    }
    const routing = c.schemas.routed?.keyField;
    if (routing) {
      // Topic routing: the physical table's identifier after the key columns (ByLogicalTableRouter).
      const key = mapRow(row, c.schemas.keyFields);
      key[routing.name] = routing.value;
      return key;
    }
    return c.keyRenamed ? mapRow(row, c.schemas.keyFields) : row;
  }

  /** A fresh Avro envelope record for an event (for tests and inspection; encodeValue reuses scratch objects). */
  envelopeRecord(event: ChangeEvent, transaction?: TransactionBlock): Record<string, unknown> {
    const c = this.#compile(event.table);
    return this.#fillEnvelope({}, {}, c, event, transaction ?? null);
  }

  /** The Avro `source` record for a SourceInfo. */
  sourceRecord(source: SourceInfo): Record<string, unknown> {
    return this.#fillSource({}, source);
  }

  #fillEnvelope(env: Record<string, unknown>, src: Record<string, unknown>, c: Compiled, event: ChangeEvent, tx: TransactionBlock | null, shareSource = false): Record<string, unknown> {
    const fields = c.schemas.valueFields;
    env.before = event.before === null ? null : c.valueRenamed ? mapRow(event.before, fields) : event.before;
    env.after = event.after === null ? null : c.valueRenamed ? mapRow(event.after, fields) : event.after;
    env.source = shareSource ? this.#sharedSource(src, c, event.source) : this.#fillSource(src, event.source);
    env.transaction = tx === null ? null : { id: tx.id, total_order: tx.totalOrder, data_collection_order: tx.dataCollectionOrder };
    env.op = event.op;
    env.ts_ms = event.tsMs;
    env.ts_us = event.tsMs * 1000;
    env.ts_ns = this.#eventNs.ns(event.tsMs);
    return env;
  }

  /**
   * The source block for encodeValue: the record, or, from the second consecutive event with the same SourceInfo
   * object (and table version), its bytes, encoded once. A SourceInfo is not changed after it is made (the stages
   * that change a source block make a new object), and the block depends on nothing else.
   */
  #sharedSource(s: Record<string, unknown>, c: Compiled, src: SourceInfo): Record<string, unknown> | AvroBytes {
    if (src === this.#lastSourceInfo && c === this.#lastSourceCompiled && c.sourceType !== null) {
      this.#lastSourceBytes ??= new AvroBytes(c.sourceType.toBuffer(this.#fillSource(s, src)));
      return this.#lastSourceBytes;
    }
    this.#lastSourceInfo = src;
    this.#lastSourceCompiled = c;
    this.#lastSourceBytes = undefined;
    return this.#fillSource(s, src);
  }

  #fillSource(s: Record<string, unknown>, src: SourceInfo): Record<string, unknown> {
    const x = src.extra ?? {};
    s.version = this.#version;
    s.connector = src.connector;
    s.name = src.name;
    s.ts_ms = src.tsMs;
    s.snapshot = src.snapshot;
    s.db = src.db;
    s.sequence = x.sequence ?? null;
    s.ts_us = asInt64(x.ts_us) ?? src.tsMs * 1000;
    s.ts_ns = asInt64(x.ts_ns) ?? this.#sourceNs.ns(src.tsMs);
    if (this.#connector === 'postgresql') {
      const streaming = src.snapshot !== 'incremental';
      s.schema = src.schema ?? '';
      s.table = src.table;
      s.txId = streaming ? asInt64(src.txId ?? x.txId) : null;
      s.lsn = streaming ? (asInt64(x.lsn) ?? (src.position.startsWith('pg:') ? normalizeInt64(parseLsnPosition(src.position)) : null)) : null;
      s.xmin = streaming ? asInt64(x.xmin) : null;
      s.origin = x.origin ?? null;
      s.origin_lsn = asInt64(x.origin_lsn);
    } else {
      // file/pos default to the event's position; gtid does not (a position carries the last *completed* GTID).
      let file = x.file;
      let pos = x.pos;
      if ((file === undefined || pos === undefined) && src.position.startsWith('mysql:')) {
        // Consecutive events mostly share a position (one transaction, one snapshot chunk): parse once.
        if (src.position !== this.#lastPosition) {
          this.#lastPosition = src.position;
          this.#lastCoords = parseBinlogPosition(src.position);
        }
        const coords = this.#lastCoords!;
        file ??= coords.file;
        pos ??= coords.pos;
      }
      s.table = src.table ?? null;
      s.server_id = asInt64(x.server_id) ?? 0;
      s.gtid = x.gtid ?? null;
      s.file = file ?? '';
      s.pos = asInt64(pos) ?? 0;
      s.row = x.row ?? 0;
      s.thread = asInt64(x.thread);
      s.query = x.query ?? null;
    }
    return s;
  }

  /** The key in wire format; null when the table has no primary key and for truncates (op 't'). */
  encodeKey(event: ChangeEvent, keySchemaId: number, options: EncodeOptions = {}): Buffer | null {
    const c = this.#compile(event.table);
    const key = this.#key(c, event);
    return key === null ? null : encodeWire(c.keyType!, keySchemaId, key, `the key of ${c.schemas.topic}`, options.arena);
  }

  /** The envelope in wire format. */
  encodeValue(event: ChangeEvent, valueSchemaId: number, options: EncodeOptions = {}): Buffer {
    const c = this.#compile(event.table);
    const what = `the value of ${c.schemas.topic}`;
    const transaction = options.transaction ?? null;
    try {
      return encodeWire(c.envelopeType, valueSchemaId, this.#fillEnvelope(this.#envelope, this.#source, c, event, transaction, true), what, options.arena);
    } catch {
      // Again with a plain source record, so that the error names the field that does not fit.
      this.#lastSourceInfo = undefined;
      return encodeWire(c.envelopeType, valueSchemaId, this.#fillEnvelope(this.#envelope, this.#source, c, event, transaction), what, options.arena);
    }
  }

  /** Topic, key and value of an event, with schema ids already known. */
  encode(event: ChangeEvent, ids: SchemaIds, options: EncodeOptions = {}): EncodedEvent {
    const c = this.#compile(event.table);
    const key = c.keyType === null ? null : this.encodeKey(event, ids.key ?? missingKeyId(c), options);
    return { topic: c.schemas.topic, key, value: this.encodeValue(event, ids.value, options) };
  }

  /** Registers (once per table version) the key and envelope schemas and returns their ids. */
  schemaIds(table: TableSchema, registry: SchemaRegistry): Promise<SchemaIds> {
    const c = this.#compile(table);
    if (c.ids === undefined) {
      const s = c.schemas;
      c.ids = Promise.all([
        s.key ? registry.register(s.keySubject, s.key) : Promise.resolve(null),
        registry.register(s.valueSubject, s.envelope),
      ]).then(([key, value]) => ({ key, value }), (e: unknown) => { throw this.#routedRefusal(s, e); });
      c.ids.catch(() => { c.ids = undefined; });
    }
    return c.ids;
  }

  /** A registry refusal of a routed table's schema names the table and the others on its topic (docs/topic-routing.md). */
  #routedRefusal(s: TableAvroSchemas, e: unknown): unknown {
    if (!s.routed || !(e instanceof FerryError) || e.code !== 'FERRY_SCHEMA_INCOMPATIBLE') return e;
    const name = `${s.table.id.schema}.${s.table.id.table}`;
    const others = this.schemas.tablesRoutedTo(s.topic).filter((t) => t !== name);
    return new FerryError('FERRY_SCHEMA_INCOMPATIBLE',
      `table ${JSON.stringify(name)} is routed by settings.topicRouting[${s.routed.rule}] to topic ${JSON.stringify(s.topic)}${others.length > 0 ? ` with ${others.slice(0, 3).map((t) => JSON.stringify(t)).join(', ')}${others.length > 3 ? ` and ${others.length - 3} more` : ''}` : ''}, and the registry refused its schema: ${e.message}. Fix: give the routed tables compatible schemas, or route this one to another topic`,
      { cause: e, details: { ...e.details, topic: s.topic, table: name, others } });
  }

  /** Registers if needed, then encodes. */
  async encodeRegistered(event: ChangeEvent, registry: SchemaRegistry, transaction?: TransactionBlock): Promise<EncodedEvent> {
    const ids = await this.schemaIds(event.table, registry);
    return this.encode(event, ids, transaction ? { transaction } : {});
  }
}

function missingKeyId(c: Compiled): never {
  throw new FerryError('FERRY_INTERNAL', `no key schema id given for ${c.schemas.keySubject}`);
}

/** Decodes wire-format messages, fetching writer schemas by id (cached per id). For tests and sinks. */
export class WireDecoder {
  readonly #registry: Pick<SchemaRegistry, 'getById'>;
  readonly #types = new Map<number, Promise<Type>>();

  constructor(registry: Pick<SchemaRegistry, 'getById'>) {
    this.#registry = registry;
  }

  /** The avsc type of a schema id. */
  type(schemaId: number): Promise<Type> {
    let t = this.#types.get(schemaId);
    if (t === undefined) {
      t = this.#registry.getById(schemaId).then((schema) => avscType(schema));
      t.catch(() => this.#types.delete(schemaId));
      this.#types.set(schemaId, t);
    }
    return t;
  }

  async decode(buf: Buffer): Promise<{ readonly schemaId: number; readonly value: unknown }> {
    const type = await this.type(readWireHeader(buf));
    return decodeWire(type, buf);
  }
}
