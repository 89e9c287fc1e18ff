// The sink units the cluster leader places for a task (app/src/worker/sink-units.ts): one per target consumer,
// capped at kafka.partitions; none without a kafka block; names that round-trip, the target name percent-encoded.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseSinkUnit, sinkUnitName, sinkUnitsOf } from '../../../src/worker/sink-units.ts';
import type { StoredTask } from '../../../src/tasks-api/task-store.ts';

const stored = (definition: Record<string, unknown>): StoredTask => ({ name: 'shop', definition, desired: 'running', status: { state: 'stopped', reason: null, since: '' }, createdAt: '', updatedAt: '' });

test('units per target: consumers capped at the partitions; default name type-index; none without kafka', () => {
  const t = stored({ kafka: { partitions: 2 }, targets: [{ type: 'postgres', name: 'pg', consumers: 3 }, { type: 's3' }, { type: 'mysql', name: 'a/b', consumers: 2 }] });
  assert.deepEqual(sinkUnitsOf(t).map(sinkUnitName), ['shop/sink/pg/1', 'shop/sink/pg/2', 'shop/sink/s3-1/1', 'shop/sink/a%2Fb/1', 'shop/sink/a%2Fb/2']);
  assert.deepEqual(sinkUnitsOf(stored({ kafka: {}, targets: [{ type: 'postgres', consumers: 4 }] })).map(sinkUnitName), ['shop/sink/postgres-0/1']);
  assert.deepEqual(sinkUnitsOf(stored({ targets: [{ type: 'postgres' }] })), []);
  assert.deepEqual(sinkUnitsOf(stored({ kafka: { partitions: 4 } })), []);
});

test('unit names round-trip; a task name is not a unit', () => {
  assert.deepEqual(parseSinkUnit('shop/sink/a%2Fb/2'), { task: 'shop', target: 'a/b', n: 2 });
  assert.equal(parseSinkUnit('shop'), null);
  assert.equal(parseSinkUnit('shop/sink/pg/0'), null);
  assert.equal(parseSinkUnit('shop/sink/%E0%A4%A/1'), null);
});
