// settings.topicRouting and the destination check (app/src/task/destinations.ts): shards routed to one topic are an
// intended merge, not a collision; a table routed onto another table's own topic, or two shards that would share a
// target table, still are. `ferry plan`'s topic is the routed one.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseTask } from '../../src/task-file/load-task.ts';
import { findCollisions } from '../../src/task/destinations.ts';
import type { TableSchema } from '../../../core/src/types.ts';

const include = { 'rule-type': 'selection', 'rule-id': '1', 'rule-name': 'all', 'rule-action': 'include', 'object-locator': { 'schema-name': 'shop', 'table-name': '%' } };
const routing = [{ topicRegex: '(.*)\\.orders_[0-9]+', topicReplacement: '$1.orders' }];
function task(extra: Record<string, unknown> = {}, rules: unknown[] = [include]) {
  return parseTask({
    name: 'app', source: { engine: 'mariadb', host: '127.0.0.1', user: 'cdc', password: 'cdc' }, migrationType: 'full-load', tableMappings: { rules },
    kafka: { brokers: ['127.0.0.1:9092'], schemaRegistry: 'http://127.0.0.1:8081/apis/ccompat/v7', topicPrefix: 'app' },
    settings: { topicRouting: routing }, ...extra,
  });
}
const table = (name: string): TableSchema => ({ id: { schema: 'shop', table: name }, version: 1, columns: [{ name: 'id', type: { type: 'int32' }, nullable: false, sourceType: 'int' }], primaryKey: ['id'] });
const shards = ['orders_001', 'orders_002', 'orders_128'].map(table);

test('shards routed to one topic do not collide, in Kafka nor with database targets or a Kafka target named after the topic', () => {
  const pgTarget = { type: 'postgres', name: 'pg', host: '127.0.0.1', user: 'u', password: 'p', database: 'd' };
  const mirror = { type: 'kafka', name: 'mirror', brokers: ['127.0.0.1:9092'], topic: 'mirror.{schema}.{table}' };
  assert.deepEqual(findCollisions(task(), shards), []);
  assert.deepEqual(findCollisions(task({ targets: [pgTarget, mirror] }), shards), []);
});

test('a table routed onto another table\'s own topic collides with it', () => {
  const found = findCollisions(task(), [table('orders'), table('orders_001')]);
  assert.deepEqual(found.map((c) => ({ ...c })), [{ where: 'Kafka topic', destination: 'app.shop.orders', tables: ['shop.orders', 'shop.orders_001'] }]);
});

test('two routed shards that a rename gives one target table still collide in the target', () => {
  const rename = { 'rule-type': 'transformation', 'rule-id': '2', 'rule-name': 'r', 'rule-target': 'table', 'rule-action': 'rename', 'object-locator': { 'schema-name': 'shop', 'table-name': 'orders_002' }, value: 'orders_001' };
  const pgTarget = { type: 'postgres', name: 'pg', host: '127.0.0.1', user: 'u', password: 'p', database: 'd' };
  const found = findCollisions(task({ targets: [pgTarget] }, [include, rename]), [table('orders_001'), table('orders_002')]);
  assert.deepEqual(found.map((c) => c.where), ['target "pg" (postgres) table']);
});

test('the task file (ferry validate, plan, run) refuses a rule whose replacement is not a valid topic name, naming the option', () => {
  assert.throws(() => task({ settings: { topicRouting: [{ topicRegex: '(.*)\\.orders_[0-9]+', topicReplacement: '$1/orders' }] } }),
    (e: Error & { code?: string }) => e.code === 'FERRY_CONFIG_INVALID' && /settings\.topicRouting\[0\]\.topicReplacement: not a valid Kafka topic name: "\/"/.test(e.message));
});
