/**
 * Debezium's schema-change topic (`<prefix>`, the MySQL/MariaDB connectors' `include.schema.changes`): key and value
 * schemas as Connect schemas and as the Avro JSON Debezium's Avro converter registers.
 *
 * Source (debezium/debezium main, 2026): SchemaFactory#schemaHistoryConnectorKeySchema / ValueSchema and the
 * io.debezium.connector.schema.{Change,Table,Column} schemas they refer to.
 *
 *   key    io.debezium.connector.<connector>.SchemaChangeKey   v1 { databaseName: string }
 *   value  io.debezium.connector.<connector>.SchemaChangeValue v1 { source: <connector>.Source, ts_ms: int64,
 *          databaseName: optional string, schemaName: optional string, ddl: optional string,
 *          tableChanges: array<io.debezium.connector.schema.Change> }
 *
 * Ferry writes `tableChanges` empty (docs/event-format.md §1): the tables' structure is in their data topics'
 * registered schemas. The Change schema is declared all the same, so the value schema is Debezium's field for field.
 */
import type { SchemaChange } from '../../core/src/types.ts';
import { connectToAvro } from './avro-mapping.ts';
import type { AvroRecordSchema, ConnectField, ConnectSchema } from './avro-mapping.ts';
import { sourceConnectSchema, type ConnectorKind } from './envelope-schema.ts';

const str: ConnectSchema = { type: 'string', optional: false };
const optStr: ConnectSchema = { type: 'string', optional: true };
const i32: ConnectSchema = { type: 'int32', optional: false };
const optI32: ConnectSchema = { type: 'int32', optional: true };
const i64: ConnectSchema = { type: 'int64', optional: false };
const optBool: ConnectSchema = { type: 'boolean', optional: true };
const f = (name: string, schema: ConnectSchema): ConnectField => ({ name, schema });

/** SchemaFactory#schemaHistoryColumnSchema. */
const COLUMN_SCHEMA: ConnectSchema = {
  type: 'struct', optional: false, name: 'io.debezium.connector.schema.Column', version: 1,
  fields: [
    f('name', str), f('jdbcType', i32), f('nativeType', optI32), f('typeName', str), f('typeExpression', optStr),
    f('charsetName', optStr), f('length', optI32), f('scale', optI32), f('position', i32), f('optional', optBool),
    f('autoIncremented', optBool), f('generated', optBool), f('comment', optStr), f('defaultValueExpression', optStr),
    f('enumValues', { type: 'array', optional: true, valueSchema: str }),
  ],
};

/** SchemaFactory#schemaHistoryTableSchema (optional). */
const TABLE_SCHEMA: ConnectSchema = {
  type: 'struct', optional: true, name: 'io.debezium.connector.schema.Table', version: 1,
  fields: [
    f('defaultCharsetName', optStr), f('primaryKeyColumnNames', { type: 'array', optional: true, valueSchema: str }),
    f('columns', { type: 'array', optional: false, valueSchema: COLUMN_SCHEMA }), f('comment', optStr),
  ],
};

/** SchemaFactory#schemaHistoryChangeSchema. */
const CHANGE_SCHEMA: ConnectSchema = {
  type: 'struct', optional: false, name: 'io.debezium.connector.schema.Change', version: 1,
  fields: [f('type', str), f('id', str), f('table', TABLE_SCHEMA)],
};

export function schemaChangeKeyConnectSchema(connector: ConnectorKind): ConnectSchema {
  return { type: 'struct', optional: false, name: `io.debezium.connector.${connector}.SchemaChangeKey`, version: 1, fields: [f('databaseName', str)] };
}

export function schemaChangeValueConnectSchema(connector: ConnectorKind): ConnectSchema {
  return {
    type: 'struct', optional: false, name: `io.debezium.connector.${connector}.SchemaChangeValue`, version: 1,
    fields: [
      f('source', sourceConnectSchema(connector)), f('ts_ms', i64), f('databaseName', optStr), f('schemaName', optStr),
      f('ddl', optStr), f('tableChanges', { type: 'array', optional: false, valueSchema: CHANGE_SCHEMA }),
    ],
  };
}

/** The schema-change topic's key and value schemas (Avro) for a MySQL or MariaDB connector. */
export function schemaChangeSchemas(connector: ConnectorKind): { readonly key: AvroRecordSchema; readonly value: AvroRecordSchema } {
  return {
    key: connectToAvro(schemaChangeKeyConnectSchema(connector)) as AvroRecordSchema,
    value: connectToAvro(schemaChangeValueConnectSchema(connector)) as AvroRecordSchema,
  };
}

/** The value record of a schema change, with the `source` record already built (EventEncoder.sourceRecord). */
export function schemaChangeValue(change: SchemaChange, source: Record<string, unknown>, tsMs: number): Record<string, unknown> {
  return { source, ts_ms: tsMs, databaseName: change.databaseName, schemaName: null, ddl: change.ddl, tableChanges: [] };
}
