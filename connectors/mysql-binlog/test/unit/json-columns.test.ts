/**
 * `source.mariadbJsonAs`: a MariaDB JSON column (LONGTEXT + json_valid check) is io.debezium.data.Json by default and a
 * plain string with `string`, as Debezium's MariaDB connector writes it; MySQL's native JSON keeps Json. Checked on the
 * TableSchema, on the Avro text registered for it, and through the batch wrapper the source applies.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { ChangeBatch, ChangeEvent, TableSchema } from '../../../../core/src/types.ts';
import { binlogPosition } from '../../../../core/src/position.ts';
import { buildTableSchemas } from '../../../../schemas/src/envelope-schema.ts';
import { toTableSchema } from '../../src/mysql-schema.ts';
import { mariaDbJsonAsString, withMariaDbJsonAsString } from '../../src/json-columns.ts';
import type { MySqlTableDef } from '../../src/type-mapping.ts';
import { mysqlSource } from '../../src/descriptor.ts';

const def: MySqlTableDef = {
  schema: 'shop', table: 'docs', charset: 'utf8mb4', primaryKey: ['id'],
  columns: [
    { name: 'id', columnType: 'int(11)', nullable: false, charset: null },
    { name: 'doc', columnType: 'longtext', nullable: true, charset: 'utf8mb4', json: true }, // MariaDB JSON
    { name: 'native', columnType: 'json', nullable: true, charset: null }, // MySQL native JSON
    { name: 'note', columnType: 'longtext', nullable: true, charset: 'utf8mb4' },
  ],
};

const valueFields = (t: TableSchema) => {
  const s = buildTableSchemas(t, { connector: 'mariadb', topicPrefix: 'p' });
  return JSON.stringify((s.value as unknown as { fields: unknown[] }).fields);
};

test('default: MariaDB JSON is io.debezium.data.Json; string: a plain string, the other columns unchanged', () => {
  const t = toTableSchema(def, 3);
  assert.deepEqual(t.columns.map((c) => c.type), [
    { type: 'int32' },
    { type: 'string', logical: 'io.debezium.data.Json', version: 1 },
    { type: 'string', logical: 'io.debezium.data.Json', version: 1 },
    { type: 'string' },
  ]);
  const s = mariaDbJsonAsString(t);
  assert.deepEqual(s.columns.map((c) => c.type), [
    { type: 'int32' },
    { type: 'string' },
    { type: 'string', logical: 'io.debezium.data.Json', version: 1 },
    { type: 'string' },
  ]);
  assert.equal(s.columns[1]!.sourceType, 'longtext');
  assert.equal(s.version, 3);
  assert.deepEqual(s.id, t.id);
  // the registered Avro text: Debezium's MariaDB connector's plain optional string for `doc`
  assert.equal(valueFields(s),
    '[{"name":"id","type":"int"},{"name":"doc","type":["null","string"],"default":null},' +
    '{"name":"native","type":["null",{"type":"string","connect.version":1,"connect.name":"io.debezium.data.Json"}],"default":null},' +
    '{"name":"note","type":["null","string"],"default":null}]');
  assert.match(valueFields(t), /\{"name":"doc","type":\["null",\{"type":"string","connect.version":1,"connect.name":"io.debezium.data.Json"\}\],"default":null\}/);
});

test('a table without MariaDB JSON is returned as the same object', () => {
  const t = toTableSchema({ ...def, columns: def.columns.filter((c) => c.name !== 'doc') }, 1);
  assert.equal(mariaDbJsonAsString(t), t);
});

test('the batch wrapper retypes events of tables with MariaDB JSON, keeps other events and batch fields as they are', async () => {
  const withJson = toTableSchema(def, 1);
  const plain = toTableSchema({ ...def, table: 'plain', columns: [def.columns[0]!] }, 1);
  const position = binlogPosition({ file: 'mariadb-bin.000001', pos: 4 });
  const ev = (table: TableSchema, id: number): ChangeEvent => ({
    op: 'c', key: { id }, before: null, after: { id, doc: '{"a": 1}', native: '{}', note: null }, tsMs: 1, table,
    source: { connector: 'mariadb', name: 'p', tsMs: 1, snapshot: 'false', db: 'shop', table: table.id.table, position },
  });
  const only = { events: [ev(plain, 1)], checkpoint: position } satisfies ChangeBatch;
  const mixed = { events: [ev(plain, 2), ev(withJson, 3), ev(withJson, 4)], checkpoint: null, state: { v: 1 } } satisfies ChangeBatch;
  async function* source() { yield only; yield mixed; }
  const out: ChangeBatch[] = [];
  for await (const b of withMariaDbJsonAsString(source())) out.push(b);
  assert.equal(out[0], only, 'a batch without MariaDB JSON passes as the same object');
  const b = out[1]!;
  assert.equal(b.checkpoint, null);
  assert.deepEqual(b.state, { v: 1 });
  assert.equal(b.events[0], mixed.events[0]);
  assert.equal(b.events[1]!.table.columns[1]!.type.logical, undefined);
  assert.equal(b.events[1]!.table, b.events[2]!.table, 'one mapped TableSchema per table version');
  assert.deepEqual(b.events.map((e) => e.after), mixed.events.map((e) => e.after), 'values unchanged');
  assert.equal(mixed.events[1]!.table, withJson, 'the source event is not modified');
});

test('the option is declared once, on the MySQL/MariaDB source, with the two values', () => {
  const opt = mysqlSource.options.mariadbJsonAs!;
  assert.equal(opt.safeParse('string').success, true);
  assert.equal(opt.safeParse('json').success, true);
  assert.equal(opt.safeParse(undefined).success, true);
  assert.equal(opt.safeParse('text').success, false);
});
