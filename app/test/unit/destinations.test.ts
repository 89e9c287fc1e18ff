// Destination collisions (app/src/task/destinations.ts): two selected tables that land on one Kafka topic, target
// table, folder or target topic, after the table mapping and each sink's own naming, are found and named; tables whose
// destinations differ are not. Kinesis writes every table to its one stream by design: no collision of its own.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseTask } from '../../src/task-file/load-task.ts';
import { collisionError, DestinationMap, findCollisions } from '../../src/task/destinations.ts';
import type { TableSchema } from '../../../core/src/types.ts';

const include = (schema: string, table = '%') => ({ 'rule-type': 'selection', 'rule-id': '1', 'rule-name': 'all', 'rule-action': 'include', 'object-locator': { 'schema-name': schema, 'table-name': table } });

function task(extra: Record<string, unknown>, rules: unknown[] = [include('%')]) {
  return parseTask({
    name: 'app', source: { engine: 'mariadb', host: '127.0.0.1', user: 'cdc', password: 'cdc' }, migrationType: 'full-load',
    tableMappings: { rules }, ...extra,
  });
}
const kafka = { kafka: { brokers: ['127.0.0.1:9092'], schemaRegistry: 'http://127.0.0.1:8081/apis/ccompat/v7', topicPrefix: 'app' } };
const table = (schema: string, name: string): TableSchema => ({ id: { schema, table: name }, version: 1, columns: [{ name: 'id', type: { type: 'int32' }, nullable: false, sourceType: 'int' }] as never, primaryKey: ['id'] });
const pairs = (t: ReturnType<typeof task>, tables: TableSchema[]) => findCollisions(t, tables).map((c) => ({ ...c }));

test('Kafka: `t x` and `t_x` share the sanitized topic; the error names both tables, the topic and the fix', () => {
  const t = task(kafka);
  const found = pairs(t, [table('shop', 't x'), table('shop', 't_x'), table('shop', 'other')]);
  assert.deepEqual(found, [{ where: 'Kafka topic', destination: 'app.shop.t_x', tables: ['shop.t x', 'shop.t_x'] }]);
  const e = collisionError(found);
  assert.equal(e.code, 'FERRY_DESTINATION_COLLISION');
  assert.equal(e.disposition, 'fatal');
  assert.equal(e.message, 'tables "shop.t x" and "shop.t_x" both write Kafka topic "app.shop.t_x": their rows would be interleaved under colliding keys. Fix: add a table-mapping transformation rule (rule-action rename, or a prefix or suffix) that gives one of the two tables another name, or exclude one of them');
});

test('Kafka: names that differ only by "." and "_" are one topic to Kafka', () => {
  assert.deepEqual(pairs(task(kafka), [table('a', 'b_c'), table('a_b', 'c')]), [{ where: 'Kafka topic', destination: 'app.a_b.c', sameAs: 'app.a.b_c', tables: ['a.b_c', 'a_b.c'] }]);
});

test('a rename rule that gives two tables one name collides; a prefix rule that keeps them apart does not', () => {
  const rename = { 'rule-type': 'transformation', 'rule-id': '2', 'rule-name': 'r', 'rule-target': 'table', 'rule-action': 'rename', 'object-locator': { 'schema-name': 'shop', 'table-name': 'old_orders' }, value: 'orders' };
  assert.deepEqual(pairs(task(kafka, [include('shop'), rename]), [table('shop', 'orders'), table('shop', 'old_orders')]),
    [{ where: 'Kafka topic', destination: 'app.shop.orders', tables: ['shop.orders', 'shop.old_orders'] }]);
  const lower = { 'rule-type': 'transformation', 'rule-id': '2', 'rule-name': 'l', 'rule-target': 'table', 'rule-action': 'convert-lowercase', 'object-locator': { 'schema-name': 'shop', 'table-name': '%' } };
  assert.deepEqual(pairs(task(kafka, [include('shop'), lower]), [table('shop', 'T'), table('shop', 't')]),
    [{ where: 'Kafka topic', destination: 'app.shop.t', tables: ['shop.T', 'shop.t'] }]);
  const prefix = { 'rule-type': 'transformation', 'rule-id': '2', 'rule-name': 'p', 'rule-target': 'table', 'rule-action': 'add-prefix', 'object-locator': { 'schema-name': 'shop', 'table-name': 't x' }, value: 'space_' };
  assert.deepEqual(pairs(task(kafka, [include('shop'), prefix]), [table('shop', 't x'), table('shop', 't_x')]), []);
});

test('Redshift folds case: "T" and t are one table; DynamoDB does not fold case but replaces characters', () => {
  const redshift = { type: 'redshift', name: 'rs', connection: { host: 'rs.example', database: 'dev', user: 'u', password: 'p' }, staging: { location: 's3://b/stage' }, copyAuth: { iamRole: 'arn:aws:iam::123456789012:role/r' } };
  assert.deepEqual(pairs(task({ targets: [redshift] }), [table('shop', 'T'), table('shop', 't'), table('shop', 't x'), table('shop', 't_x')]),
    [{ where: 'target "rs" (redshift) table', destination: 'shop.t', tables: ['shop.T', 'shop.t'] }]);
  const dynamo = { type: 'dynamodb', name: 'dd', tableName: '{table}' };
  assert.deepEqual(pairs(task({ targets: [dynamo] }), [table('shop', 'T'), table('shop', 't'), table('shop', 't x'), table('shop', 't_x')]),
    [{ where: 'target "dd" (dynamodb) table', destination: 't_x', tables: ['shop.t x', 'shop.t_x'] }]);
  // The default template {schema}_{table}: db "a_b" table "c" and db "a" table "b_c" are one DynamoDB table.
  assert.deepEqual(pairs(task({ targets: [{ type: 'dynamodb', name: 'dd' }] }), [table('a_b', 'c'), table('a', 'b_c')]),
    [{ where: 'target "dd" (dynamodb) table', destination: 'a_b_c', tables: ['a_b.c', 'a.b_c'] }]);
});

test('the lake escapes names one to one: `t x` and `t_x` are two folders; a Kafka target template can merge tables', () => {
  assert.deepEqual(pairs(task({ targets: [{ type: 'parquet', name: 'lake', location: '/data/lake/' }] }), [table('shop', 't x'), table('shop', 't_x'), table('shop', 't%20x')]), []);
  const kt = { type: 'kafka', name: 'mirror', brokers: ['127.0.0.1:9092'], topic: 'mirror.{table}' };
  assert.deepEqual(pairs(task({ targets: [kt] }), [table('sales', 'orders'), table('crm', 'orders')]),
    [{ where: 'target "mirror" (kafka) topic', destination: 'mirror.orders', tables: ['sales.orders', 'crm.orders'] }]);
});

test('Kinesis: every table goes to its one stream by design, so only the topic can collide', () => {
  const kinesis = { type: 'kinesis', name: 'k', stream: 'changes' };
  assert.deepEqual(pairs(task({ targets: [kinesis] }), [table('shop', 'orders'), table('crm', 'orders'), table('shop', 't x'), table('shop', 't_x')]), []);
});

test('DestinationMap: a table added again is no collision; a colliding table is not recorded', () => {
  const map = new DestinationMap(task(kafka));
  assert.deepEqual(map.add({ schema: 'shop', table: 't_x' }, { schema: 'shop', table: 't_x' }), []);
  assert.deepEqual(map.add({ schema: 'shop', table: 't_x' }, { schema: 'shop', table: 't_x' }), []);
  assert.equal(map.add({ schema: 'shop', table: 't x' }, { schema: 'shop', table: 't x' }).length, 1);
  assert.equal(map.add({ schema: 'shop', table: 't x' }, { schema: 'shop', table: 't x' }).length, 1);
  assert.deepEqual(map.add({ schema: 'shop', table: 't y' }, { schema: 'shop', table: 't y' }), []);
});

test('direct mode (no kafka block): two tables the mapping gives one name collide, whatever the targets', () => {
  const rename = { 'rule-type': 'transformation', 'rule-id': '2', 'rule-name': 'r', 'rule-target': 'schema', 'rule-action': 'rename', 'object-locator': { 'schema-name': 'crm' }, value: 'sales' };
  const kinesis = { type: 'kinesis', name: 'k', stream: 'changes' };
  assert.deepEqual(pairs(task({ targets: [kinesis] }, [include('%'), rename]), [table('sales', 'orders'), table('crm', 'orders'), table('shop', 't x'), table('shop', 't_x')]),
    [{ where: 'mapped table name', destination: 'sales.orders', tables: ['sales.orders', 'crm.orders'] }]);
});

test('a Kafka target in direct mode keys its routes and offsets by the table\'s would-be topic: `t x` and `t_x` collide there', () => {
  const kt = { type: 'kafka', name: 'mirror', brokers: ['127.0.0.1:9092'], topic: 'mirror.{schema}.{table}' };
  assert.deepEqual(pairs(task({ targets: [kt] }), [table('shop', 't x'), table('shop', 't_x')]),
    [{ where: 'target "mirror" (kafka) source topic', destination: 'app.shop.t_x', tables: ['shop.t x', 'shop.t_x'] }]);
});
