// The schema-change topic's key and value schemas, as Debezium's SchemaFactory declares them
// (schemaHistoryConnectorKeySchema / ValueSchema, schema.{Change,Table,Column}), printed the AvroData way.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { avroSchemaToString } from '../../src/avro-mapping.ts';
import { schemaChangeSchemas, schemaChangeValue } from '../../src/schema-change-schema.ts';
import { avscType } from '../../src/avro-types.ts';
import { EventEncoder } from '../../src/event-encoder.ts';
import { binlogPosition } from '../../../core/src/position.ts';

test('key: io.debezium.connector.<connector>.SchemaChangeKey v1 { databaseName }', () => {
  assert.equal(avroSchemaToString(schemaChangeSchemas('mariadb').key),
    '{"type":"record","name":"SchemaChangeKey","namespace":"io.debezium.connector.mariadb","fields":[{"name":"databaseName","type":"string"}],"connect.version":1,"connect.name":"io.debezium.connector.mariadb.SchemaChangeKey"}');
});

test('value: SchemaChangeValue v1 with the connector\'s Source, ts_ms, optional names and ddl, and the Change array', () => {
  const v = schemaChangeSchemas('mysql').value as unknown as { name: string; namespace: string; fields: { name: string; type: unknown }[] };
  assert.equal(`${v.namespace}.${v.name}`, 'io.debezium.connector.mysql.SchemaChangeValue');
  assert.deepEqual(v.fields.map((f) => f.name), ['source', 'ts_ms', 'databaseName', 'schemaName', 'ddl', 'tableChanges']);
  const text = avroSchemaToString(schemaChangeSchemas('mysql').value);
  assert.match(text, /"connect.name":"io.debezium.connector.mysql.Source"/);
  assert.match(text, /\{"name":"ts_ms","type":"long"\},\{"name":"databaseName","type":\["null","string"\],"default":null\},\{"name":"schemaName","type":\["null","string"\],"default":null\},\{"name":"ddl","type":\["null","string"\],"default":null\},\{"name":"tableChanges","type":\{"type":"array","items":\{"type":"record","name":"Change","namespace":"io.debezium.connector.schema"/);
  // Column fields in SchemaFactory#schemaHistoryColumnSchema order
  const column = /"name":"Column","fields":\[(.*?)\],"connect.version"/.exec(text)![1]!;
  assert.deepEqual([...column.matchAll(/\{"name":"(\w+)"/g)].map((m) => m[1]), ['name', 'jdbcType', 'nativeType', 'typeName', 'typeExpression', 'charsetName', 'length', 'scale', 'position', 'optional', 'autoIncremented', 'generated', 'comment', 'defaultValueExpression', 'enumValues']);
  assert.match(text, /"connect.name":"io.debezium.connector.schema.Table"\}\],"default":null\}/, 'Change.table is optional');
});

test('a value encodes and decodes with the schema: the DDL, the database, the source block, an empty tableChanges', () => {
  const schemas = schemaChangeSchemas('mariadb');
  const enc = new EventEncoder({ connector: 'mariadb', topicPrefix: 'p' });
  const change = { databaseName: 'shop', ddl: 'ALTER TABLE t ADD c INT', source: { connector: 'mariadb' as const, name: 'p', tsMs: 1700000000000, snapshot: 'false' as const, db: 'shop', table: 't', position: binlogPosition({ file: 'mariadb-bin.000003', pos: 4567 }), extra: { file: 'mariadb-bin.000003', pos: 4567, row: 0, server_id: 1, gtid: '0-1-42' } } };
  const type = avscType(schemas.value);
  const back = type.fromBuffer(type.toBuffer(schemaChangeValue(change, enc.sourceRecord(change.source), 1700000000123))) as Record<string, unknown> & { source: Record<string, unknown> };
  assert.equal(back.ddl, 'ALTER TABLE t ADD c INT');
  assert.equal(back.databaseName, 'shop');
  assert.equal(back.schemaName, null);
  assert.deepEqual(back.tableChanges, []);
  assert.equal(Number(back.ts_ms), 1700000000123);
  assert.deepEqual([back.source.db, back.source.table, back.source.file, Number(back.source.pos), back.source.gtid, Number(back.source.server_id)], ['shop', 't', 'mariadb-bin.000003', 4567, '0-1-42', 1]);
});
