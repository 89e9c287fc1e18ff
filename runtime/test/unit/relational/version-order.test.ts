import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { SinkRecord, SinkTable } from '../../../../core/src/record-sink.ts';
import { VersionOrder } from '../../../src/relational/version-order.ts';

const version = (names: string[]) => ({ schema: 's', table: 't', columns: names.map((name) => ({ name })) }) as unknown as SinkTable;
const rec = (stream: string, table: SinkTable) => ({ stream, table }) as unknown as SinkRecord;

test('a version is newer only when one stream delivered the other first; a lagging partition is not a drop', () => {
  const v1 = version(['id', 'a']);
  const v2 = version(['id', 'a', 'added']);
  const v3 = version(['id', 'added']); // DROP COLUMN a
  const o = new VersionOrder();
  // Partition 0 moves to v2 while partition 1 still sends v1 rows: v1 after v2 in the batch says nothing.
  o.observe([rec('p0', v1), rec('p0', v2), rec('p1', v1), rec('p1', v1)]);
  assert.deepEqual([...o.olderColumns(v1)], [], 'v1 is not newer than anything: it drops nothing');
  assert.deepEqual([...o.olderColumns(v2)].sort(), ['a', 'id']);
  assert.equal(o.droppedSince(v1, 'added'), false, 'v2 has it');
  // Partition 0 moves on to v3: a is dropped by a version known newer than one that had it; older rows must not add it back.
  o.observe([rec('p0', v3)]);
  assert.deepEqual([...o.olderColumns(v3)].sort(), ['a', 'added', 'id'], 'transitively older than v1 too');
  assert.equal(o.droppedSince(v1, 'a'), true);
  assert.equal(o.droppedSince(v2, 'a'), true);
  assert.equal(o.droppedSince(v2, 'added'), false);
  // A stream that sends an older version after a newer one (a replay) learns nothing new.
  o.observe([rec('p2', v3), rec('p2', v1)]);
  assert.deepEqual([...o.olderColumns(v1)], []);
});
