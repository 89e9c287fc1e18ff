import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { SinkRecord, SinkTable } from '../../../../core/src/record-sink.ts';
import type { TableSchema } from '../../../../core/src/types.ts';
import { buildTableSchemas } from '../../../../schemas/src/envelope-schema.ts';
import { sinkTableFromAvro } from '../../../src/sink-worker/avro-table.ts';
import { sourceColumnName, sourceNamedTable, withSourceColumnNames } from '../../../src/relational/source-column-names.ts';

const ODD: TableSchema = {
  id: { schema: 'shop', table: 'odd "table"' }, version: 1, primaryKey: ['select', 'naïve ☃'],
  columns: [
    { name: 'select', type: { type: 'int32' }, nullable: false, sourceType: 'int' },
    { name: 'naïve ☃', type: { type: 'string' }, nullable: false, sourceType: 'varchar(10)' },
    { name: 'back`tick', type: { type: 'int32' }, nullable: true, sourceType: 'int' },
    { name: 'price €', type: { type: 'bytes', logical: 'org.apache.kafka.connect.data.Decimal', params: { scale: '2', 'connect.decimal.precision': '10' } }, nullable: true, sourceType: 'decimal(10,2)' },
  ],
};

function sinkTable(t: TableSchema): SinkTable {
  const s = buildTableSchemas(t, { connector: 'mariadb', topicPrefix: 'p' });
  return sinkTableFromAvro(s.envelope, s.key, { topic: s.topic, schema: t.id.schema, table: t.id.table, version: 'v1' });
}

const record = (table: SinkTable, op: 'c' | 'u' | 'd', key: Record<string, unknown> | null, before: Record<string, unknown> | null, after: Record<string, unknown> | null): SinkRecord => ({
  topic: table.topic, stream: 'direct', partition: null, offset: null, position: 'p', event: 1, key, table, timestampMs: 0, sizeBytes: 0,
  envelope: { before, after, source: {}, op, ts_ms: 0 },
});

test('a field whose Avro name differs from its column carries the column name as __debezium.source.column.name, in the Key and the Value', () => {
  const s = buildTableSchemas(ODD, { connector: 'mariadb', topicPrefix: 'p' });
  const value = s.value.fields.map((f) => [f.name, JSON.stringify(f.type)]);
  assert.deepEqual(value.map(([n]) => n), ['select', 'na_ve__', 'back_tick', 'price__']);
  assert.equal(value[0]![1], '"int"', 'a valid name gets no parameter: the schema stays byte-identical to Debezium\'s');
  assert.equal(value[1]![1], '{"type":"string","connect.parameters":{"__debezium.source.column.name":"naïve ☃"}}');
  assert.equal(value[2]![1], '["null",{"type":"int","connect.parameters":{"__debezium.source.column.name":"back`tick"}}]');
  assert.equal(value[3]![1], '["null",{"type":"bytes","scale":2,"precision":10,"connect.version":1,"connect.parameters":{"scale":"2","connect.decimal.precision":"10","__debezium.source.column.name":"price €"},"connect.name":"org.apache.kafka.connect.data.Decimal","logicalType":"decimal"}]');
  assert.deepEqual(s.key!.fields.map((f) => JSON.stringify(f.type)), ['"int"', '{"type":"string","connect.parameters":{"__debezium.source.column.name":"naïve ☃"}}']);
  assert.deepEqual(s.valueFields, [{ column: 'select', field: 'select' }, { column: 'naïve ☃', field: 'na_ve__' }, { column: 'back`tick', field: 'back_tick' }, { column: 'price €', field: 'price__' }]);
});

test('withSourceColumnNames: columns, key and rows under the source names, read from the registered schema; one view object per version', () => {
  const t = sinkTable(ODD);
  assert.deepEqual(t.columns.map(sourceColumnName), ['select', 'naïve ☃', 'back`tick', 'price €']);
  const ins = record(t, 'c', { select: 1, na_ve__: 'a' }, null, { select: 1, na_ve__: 'a', back_tick: 7, price__: null });
  const del = record(t, 'd', { select: 2, na_ve__: 'b' }, { select: 2, na_ve__: 'b', back_tick: null, price__: null }, null);
  const out = withSourceColumnNames([ins, del]);
  const view = out[0]!.table;
  assert.deepEqual(view.columns.map((c) => c.name), ['select', 'naïve ☃', 'back`tick', 'price €']);
  assert.deepEqual(view.primaryKey, ['select', 'naïve ☃']);
  assert.equal(view.version, 'v1', 'the same version: caches and version order see one version');
  assert.equal(view.columns[3]!.type.params?.scale, '2', 'types unchanged');
  assert.equal(out[1]!.table, view);
  assert.equal(sourceNamedTable(t), view);
  assert.deepEqual(out[0]!.key, { select: 1, 'naïve ☃': 'a' });
  assert.deepEqual(out[0]!.envelope.after, { select: 1, 'naïve ☃': 'a', 'back`tick': 7, 'price €': null });
  assert.equal(out[0]!.envelope.before, null);
  assert.deepEqual(out[1]!.envelope.before, { select: 2, 'naïve ☃': 'b', 'back`tick': null, 'price €': null });
  assert.equal(out[1]!.envelope.op, 'd');
});

test('withSourceColumnNames: tables without the parameter (valid names, or real Debezium without column.propagate.source.type) pass through as the same array', () => {
  const plain = sinkTable({ ...ODD, id: { schema: 'shop', table: 'plain' }, primaryKey: ['id'], columns: [{ name: 'id', type: { type: 'int32' }, nullable: false, sourceType: 'int' }] });
  const records = [record(plain, 'c', { id: 1 }, null, { id: 1 })];
  assert.equal(withSourceColumnNames(records), records);
  // A Debezium topic without the parameter: the field name is the column name.
  const debezium: SinkTable = { ...plain, columns: [{ name: 'na_ve__', type: { connect: 'string' }, optional: true }] };
  assert.equal(sourceColumnName(debezium.columns[0]!), 'na_ve__');
  const mixed = [records[0]!, record(sinkTable(ODD), 'c', { select: 3, na_ve__: 'c' }, null, { select: 3, na_ve__: 'c', back_tick: null, price__: null })];
  const out = withSourceColumnNames(mixed);
  assert.notEqual(out, mixed);
  assert.equal(out[0], mixed[0], 'records of tables without renames stay the same objects');
  assert.deepEqual(out[1]!.key, { select: 3, 'naïve ☃': 'c' });
});

test('withSourceColumnNames: two fields naming one column stop the table with the column named', () => {
  const t: SinkTable = { ...sinkTable(ODD), columns: [{ name: 'a_b', type: { connect: 'string' }, optional: true }, { name: 'x', type: { connect: 'string', params: { '__debezium.source.column.name': 'a_b' } }, optional: true }] };
  assert.throws(() => withSourceColumnNames([record(t, 'c', null, null, { a_b: '1', x: '2' })]), (e: Error & { code?: string }) => e.code === 'FERRY_SCHEMA_INCOMPATIBLE' && e.message.includes("'a_b'"));
});

test('a column renamed from an odd name: the view names its earlier source names (the Avro aliases only hold adjusted ones)', () => {
  const renamed: TableSchema = { ...ODD, version: 2, columns: [ODD.columns[0]!, { ...ODD.columns[1]!, name: 'b c', renamedFrom: ['naïve ☃', 'old'] }, { ...ODD.columns[2]!, name: 'plain', renamedFrom: ['back`tick'] }, { ...ODD.columns[3]!, name: 'fine', renamedFrom: ['was_fine'] }], primaryKey: ['select'] };
  const s = buildTableSchemas(renamed, { connector: 'mariadb', topicPrefix: 'p' });
  assert.equal(JSON.stringify(s.value.fields[1]), '{"name":"b_c","type":{"type":"string","connect.parameters":{"__debezium.source.column.name":"b c","__ferry.source.column.renamed_from":"[\\"naïve ☃\\",\\"old\\"]"}},"aliases":["na_ve__","old"]}');
  assert.equal(JSON.stringify(s.value.fields[3]!.aliases), '["was_fine"]');
  assert.ok(!JSON.stringify(s.value.fields[3]).includes('renamed_from'), 'valid earlier names: the aliases say it all, no parameter');
  const t = sinkTable(renamed);
  const view = sourceNamedTable(t);
  assert.deepEqual(view.columns.map((c) => [c.name, c.renamedFrom]), [['select', undefined], ['b c', ['naïve ☃', 'old']], ['plain', ['back`tick']], ['fine', ['was_fine']]]);
});
