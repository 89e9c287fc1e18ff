/**
 * One change → one Kinesis user record: its partition key, its ordering key, and its data (JSON in DMS's
 * data + metadata layout, or the Confluent-framed Avro change event).
 */
import { createHash } from 'node:crypto';
import type { Type } from 'avsc';
import { FerryError } from '../../../core/src/errors.ts';
import type { Row, SchemaRegistry } from '../../../core/src/types.ts';
import { recordSeq, stableKey } from '../../../runtime/src/sink-worker/record-identity.ts';
import type { SinkRecord, SinkTable } from '../../../core/src/record-sink.ts';
import { avscType } from '../../../schemas/src/avro-types.ts';
import { valueSubject } from '../../../schemas/src/naming.ts';
import { KINESIS_LIMITS, type KinesisConfig } from './config.ts';
import { columnText, rowToJson } from '../../../runtime/src/mapping/wire-json.ts';
import { mappedKeyText, type MappedAttribute, type TableObjectMapping } from '../../../runtime/src/mapping/object-mapping-apply.ts';
import { forwardedKeyText } from '../../../runtime/src/sink-worker/pass-through.ts';

/** DMS operation names. Snapshot reads are DMS's full-load "load". */
const OPERATION = { r: 'load', c: 'insert', u: 'update', d: 'delete', t: 'truncate-table' } as const;

type PartitionOptions = Pick<KinesisConfig, 'partitionKeyType' | 'partitionKeyAttribute' | 'partitionKeyConstant' | 'ordering'>;

function schemaTable(r: SinkRecord): string {
  return `${r.table.schema}.${r.table.table}`;
}

/** The source transaction of a change: GTID (MySQL/MariaDB), txId (PostgreSQL), else the binlog file:position or LSN. */
export function transactionId(r: SinkRecord): string | null {
  const s = r.envelope.source;
  const v = s.gtid ?? s.txId ?? (s.file !== undefined && s.file !== null && s.pos !== undefined ? `${String(s.file)}:${String(s.pos)}` : null) ?? s.lsn ?? r.position;
  return v === null || v === undefined ? null : String(v);
}

function rowOf(r: SinkRecord): Row | null {
  return r.envelope.after ?? r.envelope.before;
}

/** A valid Kinesis partition key: 1–256 characters; longer ones become their MD5 (hex), an empty one "<empty>". */
function fit(key: string): string {
  if (key.length === 0) return '<empty>';
  return key.length <= KINESIS_LIMITS.partitionKeyChars ? key : createHash('md5').update(key).digest('hex');
}

/** The partition key of a change (DMS partition-key-type). Falls back to <schema>.<table> when the value is missing. */
export function partitionKey(r: SinkRecord, o: PartitionOptions): string {
  switch (o.partitionKeyType) {
    case 'primary-key': {
      const key = r.key;
      const pk = r.table.primaryKey;
      // A record forwarded undecoded (another settings.format, docs/formats.md): its key's text.
      if (key === null || pk.length === 0) return fit(forwardedKeyText(r) ?? schemaTable(r));
      if (pk.length === 1) return fit(columnText(r.table, key, pk[0]!) ?? '<null>');
      return fit(pk.map((c) => columnText(r.table, key, c) ?? '<null>').join('|'));
    }
    case 'schema-table': return fit(schemaTable(r));
    case 'transaction-id': return fit(transactionId(r) ?? schemaTable(r));
    case 'constant': return o.partitionKeyConstant;
    case 'attribute': {
      const row = rowOf(r);
      const v = row === null ? null : columnText(r.table, row, o.partitionKeyAttribute!);
      return fit(v ?? schemaTable(r));
    }
  }
}

/** A change shaped by its table's object-mapping rule: the attributes of its row image (and of its before image). */
export interface MappedRecord {
  readonly mapping: TableObjectMapping;
  /** The after image's attributes (the before image's for a delete); null for a truncate. */
  readonly attrs: readonly MappedAttribute[] | null;
  /** The before image's attributes, for before-image (beforeImage: true; updates and deletes). */
  readonly before: readonly MappedAttribute[] | null;
}

/** Applies the table's object-mapping rule to a change (the mapping is compiled once per table version). */
export function mapRecord(m: TableObjectMapping, r: SinkRecord, o: Pick<KinesisConfig, 'beforeImage'>): MappedRecord {
  const env = r.envelope;
  const row = env.op === 'd' ? env.before : env.after;
  const before = o.beforeImage && env.before !== null && (env.op === 'u' || env.op === 'd') ? m.apply(env.before) : null;
  return { mapping: m, attrs: row === null ? null : m.apply(row), before };
}

/** The partition key of a mapped change, by the rule's partition-key-type (mappedKeyText), fitted to Kinesis's limits. */
export function mappedPartitionKey(r: SinkRecord, mr: MappedRecord): string {
  return fit(mappedKeyText(r, mr.mapping, mr.attrs));
}

/** What must never be reordered: the source row (topic + primary key), or the partition key. */
export function orderingKey(r: SinkRecord, pk: string, o: PartitionOptions): string {
  if (o.ordering === 'partition-key' || r.key === null) return `p\u0000${pk}`;
  return `r\u0000${r.topic}\u0000${stableKey(r.key)}`;
}

function isoMicros(ms: number): string {
  return `${new Date(ms).toISOString().slice(0, 23)}000Z`;
}

/** The DMS-style JSON document of a change. */
export function dmsJson(r: SinkRecord, o: Pick<KinesisConfig, 'partitionKeyType' | 'beforeImage' | 'includeNullAndEmpty'>, mapped?: MappedRecord | null): Record<string, unknown> {
  const env = r.envelope;
  const ts = typeof env.source.ts_ms === 'number' ? env.source.ts_ms : env.ts_ms ?? r.timestampMs;
  const row = env.op === 'd' ? env.before : env.after;
  const m = mapped?.mapping;
  const doc: Record<string, unknown> = {
    data: m ? (mapped!.attrs === null ? {} : m.toJson(mapped!.attrs, o.includeNullAndEmpty)) : row === null ? {} : rowToJson(r.table, row, o.includeNullAndEmpty),
  };
  if (o.beforeImage && env.before !== null && (env.op === 'u' || env.op === 'd')) {
    doc['before-image'] = m ? m.toJson(mapped!.before ?? [], o.includeNullAndEmpty) : rowToJson(r.table, env.before, o.includeNullAndEmpty);
  }
  doc.metadata = {
    timestamp: isoMicros(Number(ts)),
    'record-type': env.op === 't' ? 'control' : 'data',
    operation: OPERATION[env.op],
    'partition-key-type': m ? m.partitionKey.type : o.partitionKeyType,
    'schema-name': r.table.schema,
    // An object-mapping rule's target-table-name names the table in the record.
    'table-name': m?.rule.targetTableName ?? r.table.table,
    'transaction-id': transactionId(r),
    // Not in DMS: the change's identity in Ferry's log, for deduplicating redelivered records.
    'source-stream': r.stream,
    'source-sequence': recordSeq(r),
  };
  return doc;
}

function jsonReplacer(_k: string, v: unknown): unknown {
  return typeof v === 'bigint' ? v.toString() : v;
}

interface AvroTable {
  readonly id: number;
  readonly type: Type;
}

/** Encodes records into Kinesis user-record bytes in the configured format. */
export class PayloadEncoder {
  readonly #o: KinesisConfig;
  readonly #registry: Pick<SchemaRegistry, 'register'> | null;
  readonly #avro = new WeakMap<SinkTable, AvroTable>();

  constructor(o: KinesisConfig, registry: Pick<SchemaRegistry, 'register'> | null) {
    this.#o = o;
    this.#registry = registry;
  }

  /** Registers what encode() needs (direct-mode Avro only). */
  async prepare(records: readonly SinkRecord[]): Promise<void> {
    if (this.#o.format !== 'avro') return;
    for (const r of records) {
      if (r.valueBytes !== undefined || this.#avro.has(r.table)) continue;
      let id = /^\d+$/.test(r.table.version) ? Number(r.table.version) : null;
      if (id === null) {
        if (!this.#registry) {
          throw new FerryError('FERRY_CONFIG_INVALID', 'the kinesis target with format avro needs schemaRegistry in direct mode (no Kafka): the Confluent framing carries a registry schema id', { disposition: 'fatal' });
        }
        id = await this.#registry.register(valueSubject(r.table.topic), r.table.valueSchema);
      }
      this.#avro.set(r.table, { id, type: avscType(r.table.valueSchema) });
    }
  }

  encode(r: SinkRecord, mapped?: MappedRecord | null): Buffer {
    if (this.#o.format === 'json') return Buffer.from(JSON.stringify(dmsJson(r, this.#o, mapped), jsonReplacer));
    if (r.valueBytes !== undefined) return r.valueBytes;
    const a = this.#avro.get(r.table);
    if (!a) throw new FerryError('FERRY_INTERNAL', 'PayloadEncoder.prepare() was not called for this table');
    // Direct mode: the envelope as the worker decoded it (every source field); the transaction block and the
    // ts_us / ts_ns fields are not carried by SinkRecord and are written as null.
    const env = r.envelope;
    const body = a.type.toBuffer({ before: env.before, after: env.after, source: env.source, transaction: null, op: env.op, ts_ms: env.ts_ms, ts_us: null, ts_ns: null });
    const out = Buffer.allocUnsafe(5 + body.length);
    out[0] = 0;
    out.writeUInt32BE(a.id, 1);
    body.copy(out, 5);
    return out;
  }
}
