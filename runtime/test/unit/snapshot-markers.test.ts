import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { ChangeEvent, Position, TableSchema } from '../../../core/src/types.ts';
import { SnapshotMarkers } from '../../src/snapshot/snapshot-markers.ts';

const keyed: TableSchema = { id: { schema: 'db', table: 'a' }, version: 1, primaryKey: ['id'], columns: [] };
const keyless: TableSchema = { id: { schema: 'db', table: 'b' }, version: 1, primaryKey: [], columns: [] };
const ev = (table: TableSchema, id: number): ChangeEvent => ({ op: 'r', key: null, before: null, after: { id }, tsMs: 0, table, source: { connector: 'mariadb', name: 'x', tsMs: 0, snapshot: 'true', db: 'db', table: table.id.table, position: 'p' as Position } });

test('first, first_in_data_collection per table, last; a keyless table’s opening marker is never overwritten', () => {
  const m = new SnapshotMarkers(true);
  const p1 = [ev(keyed, 1), ev(keyed, 2)];
  m.markNext('db.a', p1);
  const p2 = [ev(keyed, 3)];
  m.markNext('db.a', p2);
  const p3 = [ev(keyless, 1)];
  m.markNext('db.b', p3);
  assert.deepEqual([...p1, ...p2, ...p3].map((e) => e.source.snapshot), ['first', 'true', 'true', 'first_in_data_collection']);
  assert.equal(m.markLast(p3)[0]!.source.snapshot, 'first_in_data_collection', 'the keyless marker wins over last');
  assert.equal(m.markLast(p2)[0]!.source.snapshot, 'last');
  const resumed = new SnapshotMarkers(false);
  const r1 = [ev(keyed, 9)];
  resumed.markNext('db.a', r1);
  assert.equal(r1[0]!.source.snapshot, 'first_in_data_collection', 'a resumed pass has no first');
});
