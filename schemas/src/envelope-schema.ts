/**
 * Debezium's Key / Value / Envelope schemas for a captured table, its `source` block per connector, and
 * the transaction-metadata and heartbeat schemas, as Connect schemas and as the Avro JSON that Debezium's
 * Avro converter registers.
 *
 * Sources (debezium/debezium main, 2026): TableSchemaBuilder#create, SchemaFactory (sourceInfoSchemaBuilder,
 * snapshotRecordSchema, transactionBlockSchema, transactionKeySchema/ValueSchema, heartbeatKey/ValueSchema,
 * datatypeEnvelopeSchema), Envelope (SCHEMA_VERSION = 2), BinlogSourceInfoStructMaker,
 * PostgresSourceInfoStructMaker.
 *
 * Envelope field order: before, after, source, transaction, op, ts_ms, ts_us, ts_ns.
 */
import type { Column, SourceInfo, TableSchema } from '../../core/src/types.ts';
import { FerryError } from '../../core/src/errors.ts';
import { adjustFieldName, adjustSchemaName, dataTopic, keySubject, recordName, SOURCE_COLUMN_NAME_PARAM, SOURCE_COLUMN_RENAMED_FROM_PARAM, valueSubject } from './naming.ts';
import { connectToAvro, fieldTypeToConnect } from './avro-mapping.ts';
import type { AvroRecordSchema, ConnectField, ConnectSchema } from './avro-mapping.ts';
import { routedSchemaDifference, type RoutedTopic, type TopicRouter } from './topic-routing.ts';

export type ConnectorKind = SourceInfo['connector'];

/** Envelope.SCHEMA_VERSION on Debezium main (1 in releases before 2025). */
export const ENVELOPE_SCHEMA_VERSION = 2;
/** SnapshotRecord values, lower case, in declaration order: the `allowed` list of source.snapshot. */
export const SNAPSHOT_VALUES = ['true', 'first', 'first_in_data_collection', 'last_in_data_collection', 'last', 'false', 'incremental'] as const;

const str: ConnectSchema = { type: 'string', optional: false };
const optStr: ConnectSchema = { type: 'string', optional: true };
const i32: ConnectSchema = { type: 'int32', optional: false };
const i64: ConnectSchema = { type: 'int64', optional: false };
const optI64: ConnectSchema = { type: 'int64', optional: true };
const f = (name: string, schema: ConnectSchema): ConnectField => ({ name, schema });

/** SchemaFactory#snapshotRecordSchema. */
export const SNAPSHOT_SCHEMA: ConnectSchema = {
  type: 'string', optional: true, name: 'io.debezium.data.Enum', version: 1,
  params: { allowed: SNAPSHOT_VALUES.join(',') }, defaultValue: 'false',
};

const COMMON_SOURCE_FIELDS: readonly ConnectField[] = [
  f('version', str), f('connector', str), f('name', str), f('ts_ms', i64), f('snapshot', SNAPSHOT_SCHEMA),
  f('db', str), f('sequence', optStr), f('ts_us', optI64), f('ts_ns', optI64),
];

const BINLOG_SOURCE_FIELDS: readonly ConnectField[] = [
  f('table', optStr), f('server_id', i64), f('gtid', optStr), f('file', str), f('pos', i64),
  f('row', i32), f('thread', optI64), f('query', optStr),
];

const POSTGRES_SOURCE_FIELDS: readonly ConnectField[] = [
  f('schema', str), f('table', str), f('txId', optI64), f('lsn', optI64), f('xmin', optI64),
  f('origin', optStr), f('origin_lsn', optI64),
];

/** The `source` struct: io.debezium.connector.{mysql,mariadb,postgresql}.Source, version 1. */
export function sourceConnectSchema(connector: ConnectorKind): ConnectSchema {
  const extra = connector === 'postgresql' ? POSTGRES_SOURCE_FIELDS : BINLOG_SOURCE_FIELDS;
  return {
    type: 'struct', optional: false, name: `io.debezium.connector.${connector}.Source`, version: 1,
    fields: [...COMMON_SOURCE_FIELDS, ...extra],
  };
}

/** SchemaFactory#transactionBlockSchema: optional struct `event.block` v1. */
export const TRANSACTION_BLOCK_SCHEMA: ConnectSchema = {
  type: 'struct', optional: true, name: 'event.block', version: 1,
  fields: [f('id', str), f('total_order', i64), f('data_collection_order', i64)],
};

/** Transaction topic key: io.debezium.connector.common.TransactionMetadataKey v1. */
export const TRANSACTION_KEY_SCHEMA: ConnectSchema = {
  type: 'struct', optional: false, name: 'io.debezium.connector.common.TransactionMetadataKey', version: 1,
  fields: [f('id', str)],
};

/** Transaction topic value: io.debezium.connector.common.TransactionMetadataValue v1. */
export const TRANSACTION_VALUE_SCHEMA: ConnectSchema = {
  type: 'struct', optional: false, name: 'io.debezium.connector.common.TransactionMetadataValue', version: 1,
  fields: [
    f('status', str), f('id', str), f('event_count', optI64),
    f('data_collections', {
      type: 'array', optional: true,
      valueSchema: { type: 'struct', optional: true, name: 'event.collection', version: 1,
        fields: [f('data_collection', str), f('event_count', i64)] },
    }),
    f('ts_ms', i64),
  ],
};

/** Heartbeat key: io.debezium.connector.common.ServerNameKey v1. */
export const HEARTBEAT_KEY_SCHEMA: ConnectSchema = {
  type: 'struct', optional: false, name: 'io.debezium.connector.common.ServerNameKey', version: 1,
  fields: [f('serverName', str)],
};

/** Heartbeat value: io.debezium.connector.common.Heartbeat v1. */
export const HEARTBEAT_VALUE_SCHEMA: ConnectSchema = {
  type: 'struct', optional: false, name: 'io.debezium.connector.common.Heartbeat', version: 1,
  fields: [f('ts_ms', i64)],
};

/** Column name → Avro field name, in schema order. */
export interface FieldMapping {
  readonly column: string;
  readonly field: string;
}

export interface TableConnectSchemas {
  /** null when the table has no primary key. */
  readonly key: ConnectSchema | null;
  /** The optional `.Value` struct used for before/after. */
  readonly value: ConnectSchema;
  readonly envelope: ConnectSchema;
  readonly keyFields: readonly FieldMapping[];
  readonly valueFields: readonly FieldMapping[];
}

export interface TableSchemaOptions {
  readonly connector: ConnectorKind;
  /** The task's topic prefix (Debezium `topic.prefix`, the source's logical server name). */
  readonly topicPrefix: string;
  /** settings.topicRouting (topic-routing.ts): a routed table's topic and schema names are the new topic's, its key gets the routing field. */
  readonly router?: TopicRouter | undefined;
}

/** A table's topic: its own, or where settings.topicRouting routes it. */
export function tableTopic(id: TableSchema['id'], options: TableSchemaOptions): { readonly topic: string; readonly routed: RoutedTopic | null } {
  const own = dataTopic(options.topicPrefix, id);
  const routed = options.router?.route(own) ?? null;
  return { topic: routed?.topic ?? own, routed };
}

/**
 * A column's Key/Value field: its Avro-adjusted name, and when that differs from the column name, the column name as
 * the SOURCE_COLUMN_NAME_PARAM parameter (what Debezium's column.propagate.source.type writes), so a relational sink
 * creates and writes the column under its source name; likewise a renamed column's earlier names
 * (SOURCE_COLUMN_RENAMED_FROM_PARAM) when one of them is not a valid field name.
 */
function columnField(c: Column): ConnectField {
  const name = adjustFieldName(c.name);
  const aliases = [...new Set((c.renamedFrom ?? []).map(adjustFieldName))].filter((a) => a !== name);
  let schema = fieldTypeToConnect(c.type, { optional: c.nullable, defaultValue: c.defaultValue });
  const params: Record<string, string> = {};
  if (name !== c.name) params[SOURCE_COLUMN_NAME_PARAM] = c.name;
  if ((c.renamedFrom ?? []).some((n) => adjustFieldName(n) !== n)) params[SOURCE_COLUMN_RENAMED_FROM_PARAM] = JSON.stringify(c.renamedFrom);
  if (Object.keys(params).length > 0) schema = { ...schema, params: { ...schema.params, ...params } };
  return { name, schema, ...(aliases.length > 0 ? { aliases } : {}) };
}

function checkUnique(fields: readonly ConnectField[], structName: string, table: TableSchema): void {
  const seen = new Set<string>();
  for (const fl of fields) {
    if (seen.has(fl.name)) {
      throw new FerryError('FERRY_SCHEMA_INCOMPATIBLE',
        `table ${table.id.schema}.${table.id.table}: two columns map to the Avro field name '${fl.name}' in ${structName} after name adjustment; rename one of them or exclude it`);
    }
    seen.add(fl.name);
  }
}

/** TableSchemaBuilder#create: the Connect Key, Value and Envelope schemas of a table. */
export function tableConnectSchemas(table: TableSchema, options: TableSchemaOptions): TableConnectSchemas {
  const { topic, routed } = tableTopic(table.id, options);
  const byName = new Map(table.columns.map((c) => [c.name, c] as const));
  const keyColumns = table.primaryKey.map((n) => {
    const c = byName.get(n);
    if (!c) throw new FerryError('FERRY_INTERNAL', `table ${table.id.schema}.${table.id.table}: primary-key column ${n} is not among its columns`);
    return c;
  });
  const keyFieldList = keyColumns.map(columnField);
  // ByLogicalTableRouter: the physical table's identifier, a required string appended to the key (keyless tables keep a null key).
  if (routed?.keyField && keyFieldList.length > 0) {
    if (keyFieldList.some((k) => k.name === routed.keyField!.name)) {
      throw new FerryError('FERRY_CONFIG_INVALID', `table ${table.id.schema}.${table.id.table}: its key already has a field ${routed.keyField.name}, the key field settings.topicRouting[${routed.rule}] adds; set the rule's keyFieldName to another name`);
    }
    keyFieldList.push(f(routed.keyField.name, str));
  }
  const valueFieldList = table.columns.map(columnField);
  const keyName = recordName(topic, 'Key');
  const valueName = recordName(topic, 'Value');
  checkUnique(keyFieldList, keyName, table);
  checkUnique(valueFieldList, valueName, table);
  const key: ConnectSchema | null = keyFieldList.length === 0 ? null
    : { type: 'struct', optional: false, name: keyName, fields: keyFieldList };
  const value: ConnectSchema = { type: 'struct', optional: true, name: valueName, fields: valueFieldList };
  const envelope: ConnectSchema = {
    type: 'struct', optional: false, name: adjustSchemaName(`${topic}.Envelope`), version: ENVELOPE_SCHEMA_VERSION,
    fields: [
      f('before', value), f('after', value), f('source', sourceConnectSchema(options.connector)),
      f('transaction', TRANSACTION_BLOCK_SCHEMA), f('op', str), f('ts_ms', optI64), f('ts_us', optI64), f('ts_ns', optI64),
    ],
  };
  return {
    key, value, envelope,
    keyFields: keyColumns.map((c, i) => ({ column: c.name, field: keyFieldList[i]!.name })),
    valueFields: table.columns.map((c, i) => ({ column: c.name, field: valueFieldList[i]!.name })),
  };
}

/** Everything a producer needs for one version of one table. */
export interface TableAvroSchemas {
  readonly table: TableSchema;
  readonly connector: ConnectorKind;
  readonly topic: string;
  readonly keySubject: string;
  readonly valueSubject: string;
  /** The Key record (registered under keySubject); null when the table has no primary key. */
  readonly key: AvroRecordSchema | null;
  /** The Value record on its own (not registered; for sinks and tests). */
  readonly value: AvroRecordSchema;
  /** The Envelope record (registered under valueSubject). */
  readonly envelope: AvroRecordSchema;
  readonly keyFields: readonly FieldMapping[];
  readonly valueFields: readonly FieldMapping[];
  /** Set when settings.topicRouting routes the table: its own topic, the rule, and the key field it adds (after keyFields). */
  readonly routed: RoutedTopic | null;
}

/** Builds the Avro schemas of one table version (uncached; see TableSchemaCache). */
export function buildTableSchemas(table: TableSchema, options: TableSchemaOptions): TableAvroSchemas {
  const c = tableConnectSchemas(table, options);
  const { topic, routed } = tableTopic(table.id, options);
  return {
    table, connector: options.connector, topic, keySubject: keySubject(topic), valueSubject: valueSubject(topic), routed,
    key: c.key ? (connectToAvro(c.key) as AvroRecordSchema) : null,
    value: connectToAvro({ ...c.value, optional: false }) as AvroRecordSchema,
    envelope: connectToAvro(c.envelope) as AvroRecordSchema,
    keyFields: c.keyFields, valueFields: c.valueFields,
  };
}

/**
 * Caches table schemas per (table id, version) for one task (one connector and topic prefix).
 * A TableSchema whose version was seen before is assumed unchanged: a DDL change must bump `version`.
 */
export class TableSchemaCache {
  readonly #options: TableSchemaOptions;
  readonly #entries = new Map<string, TableAvroSchemas>();
  /** Fast path: events of one table version share their TableSchema object. */
  readonly #byObject = new WeakMap<TableSchema, TableAvroSchemas>();
  readonly #evicted = new WeakSet<TableAvroSchemas>();

  constructor(options: TableSchemaOptions) {
    this.#options = options;
  }

  get options(): TableSchemaOptions {
    return this.#options;
  }

  get(table: TableSchema): TableAvroSchemas {
    const hit = this.#byObject.get(table);
    if (hit !== undefined && !this.#evicted.has(hit)) return hit;
    const k = `${table.id.schema}\u0000${table.id.table}\u0000${table.version}`;
    let e = this.#entries.get(k);
    if (e === undefined) {
      e = buildTableSchemas(table, this.#options);
      if (e.routed) this.#checkShared(e);
      this.#entries.set(k, e);
    }
    this.#byObject.set(table, e);
    return e;
  }

  /** Per routed topic: the latest schemas of each table routed to it (topic-routing.ts). */
  readonly #shared = new Map<string, Map<string, TableAvroSchemas>>();

  /**
   * Tables routed to one topic share its subjects: a table version whose key or columns cannot be read with another
   * table's schema on that topic stops the task before any of its events is written (FERRY_SCHEMA_INCOMPATIBLE).
   */
  #checkShared(e: TableAvroSchemas): void {
    const name = `${e.table.id.schema}.${e.table.id.table}`;
    let tables = this.#shared.get(e.topic);
    if (tables === undefined) this.#shared.set(e.topic, (tables = new Map()));
    for (const [other, o] of tables) {
      if (other === name) continue;
      const diff = routedSchemaDifference(o, e);
      if (diff !== null) {
        throw new FerryError('FERRY_SCHEMA_INCOMPATIBLE',
          `settings.topicRouting[${e.routed!.rule}] routes tables ${JSON.stringify(other)} and ${JSON.stringify(name)} to topic ${JSON.stringify(e.topic)}, but their schemas differ: ${diff}. The events of one topic share its key and value subjects, so the shards must have the same key and compatible columns. Fix: give the tables the same columns (an ALTER TABLE may add a nullable column to some shards first), or route them to different topics (a narrower topicRegex)`,
          { details: { topic: e.topic, tables: [other, name] } });
      }
    }
    tables.set(name, e);
  }

  /** The tables routed to a topic so far ('<schema>.<table>'), for messages. */
  tablesRoutedTo(topic: string): string[] {
    return [...(this.#shared.get(topic)?.keys() ?? [])];
  }

  /** Drops the versions of a table older than `keepFrom`. */
  evictOlder(id: TableSchema['id'], keepFrom: number): void {
    for (const [k, e] of this.#entries) {
      if (e.table.id.schema === id.schema && e.table.id.table === id.table && e.table.version < keepFrom) {
        this.#entries.delete(k);
        this.#evicted.add(e);
      }
    }
  }
}

/** Transaction-topic key and value schemas (Avro). */
export function transactionSchemas(): { readonly key: AvroRecordSchema; readonly value: AvroRecordSchema } {
  return { key: connectToAvro(TRANSACTION_KEY_SCHEMA) as AvroRecordSchema, value: connectToAvro(TRANSACTION_VALUE_SCHEMA) as AvroRecordSchema };
}

/** Heartbeat-topic key and value schemas (Avro). */
export function heartbeatSchemas(): { readonly key: AvroRecordSchema; readonly value: AvroRecordSchema } {
  return { key: connectToAvro(HEARTBEAT_KEY_SCHEMA) as AvroRecordSchema, value: connectToAvro(HEARTBEAT_VALUE_SCHEMA) as AvroRecordSchema };
}
