// Distributed mode: task definitions and status in a compacted Kafka topic survive a re-open; a delete is a tombstone.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { KafkaTaskStore } from '../../src/tasks-api/kafka-task-store.ts';
import type { StoredTask } from '../../src/tasks-api/task-store.ts';
import { services, uniqueName } from '../../../test/helpers/services.ts';

test('KafkaTaskStore: put, re-open, update, delete', { timeout: 120000 }, async () => {
  const topic = uniqueName('ferry_tasks_it');
  const opts = { brokers: services.brokers, clientId: 'ferry-it', topic, replicationFactor: 1 };
  const rec = (name: string, state: 'running' | 'stopped'): StoredTask => ({
    name, definition: { name, source: { password: '${env:X}' } }, desired: state, status: { state, reason: null, since: new Date().toISOString() },
    createdAt: new Date().toISOString(), updatedAt: new Date().toISOString(),
  });
  let store = await KafkaTaskStore.open(opts);
  assert.deepEqual(await store.list(), []);
  await store.put(rec('a', 'running'));
  await store.put(rec('b', 'stopped'));
  await store.put({ ...rec('a', 'stopped'), status: { state: 'failed', reason: 'boom', since: new Date().toISOString() } });
  await store.close();
  store = await KafkaTaskStore.open(opts);
  const list = await store.list();
  assert.deepEqual(list.map((t) => [t.name, t.status.state, t.status.reason]), [['a', 'failed', 'boom'], ['b', 'stopped', null]]);
  assert.deepEqual(list[0]!.definition, { name: 'a', source: { password: '${env:X}' } });
  await store.delete('a');
  await store.close();
  store = await KafkaTaskStore.open(opts);
  assert.deepEqual((await store.list()).map((t) => t.name), ['b']);
  await store.close();
});
