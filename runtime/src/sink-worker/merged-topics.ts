/**
 * Topics that hold the events of several tables: those settings.topicRouting merges (Debezium's topic routing SMT,
 * docs/topic-routing.md), and topics written by Debezium with that SMT. The sink worker writes each record to its own
 * table, as without routing (and as direct mode does): the table is named from each record's source block, and the
 * key field the routing added (Debezium's __dbz__physicalTableIdentifier, a key field that is no column of the row)
 * is left out of the record's key and of the table's primary key, so a shard's target table keeps its own key.
 */
import type { Resolver, Type } from 'avsc';
import { avscType } from '../../../schemas/src/avro-types.ts';
import type { AvroField, AvroRecordSchema } from '../../../schemas/src/avro-mapping.ts';
import type { SinkTable } from '../../../core/src/record-sink.ts';
import { envelopeValueRecord } from './avro-table.ts';

/** The key fields that are no column of the Value record: the routing field(s). Empty for an ordinary topic. */
export function routingKeyFields(envelope: AvroRecordSchema, key: AvroRecordSchema | null): string[] {
  if (key === null) return [];
  const columns = new Set(envelopeValueRecord(envelope).fields.map((f) => f.name));
  return key.fields.map((f) => f.name).filter((n) => !columns.has(n));
}

/** A SinkTable without the routing key fields (primary key and key schema). */
export function withoutRoutingKey(table: SinkTable, fields: readonly string[]): SinkTable {
  if (fields.length === 0) return table;
  const drop = new Set(fields);
  const keySchema = table.keySchema ? { ...table.keySchema, fields: table.keySchema.fields.filter((f: AvroField) => !drop.has(f.name)) } : null;
  return { ...table, primaryKey: table.primaryKey.filter((k) => !drop.has(k)), keySchema };
}

/** Reads only the table names of the source block of an Envelope (each record of a merged topic names its table). */
export class SourceNamesReader {
  readonly #reader: Type;
  readonly #resolver: Resolver;

  constructor(envelope: AvroRecordSchema, writer: Type) {
    const source = envelope.fields.find((f) => f.name === 'source')!;
    const src = source.type as AvroRecordSchema;
    const keep = new Set(['db', 'schema', 'table']);
    const reader = { ...envelope, fields: [{ ...source, type: { ...src, fields: src.fields.filter((f) => keep.has(f.name)) } }] } as AvroRecordSchema;
    this.#reader = avscType(reader);
    this.#resolver = this.#reader.createResolver(writer);
  }

  /** The record's source table ('schema' for PostgreSQL, else 'db'). */
  read(payload: Buffer): { readonly schema: string; readonly table: string | null } {
    const s = (this.#reader.fromBuffer(payload, this.#resolver) as { source: { db?: string; schema?: string | null; table?: string | null } }).source;
    return { schema: s.schema ?? s.db ?? '', table: s.table ?? null };
  }
}
