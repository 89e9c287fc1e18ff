// Where a relational sink cuts a batch for a rename or drop (schema-segments.ts), and how it rewrites records of a
// version from before a rename that arrive after it (renamed-columns.ts).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { SinkColumn, SinkRecord, SinkTable } from '../../../../core/src/record-sink.ts';
import type { Row } from '../../../../core/src/types.ts';
import { losesColumns, splitAtColumnLosses } from '../../../src/relational/schema-segments.ts';
import { RenamedColumns } from '../../../src/relational/renamed-columns.ts';

const col = (name: string, renamedFrom?: string[]): SinkColumn => ({ name, type: { connect: 'string' }, optional: true, ...(renamedFrom ? { renamedFrom } : {}) });
const version = (v: string, columns: SinkColumn[], table = 't'): SinkTable =>
  ({ topic: `p.s.${table}`, schema: 's', table, columns, primaryKey: ['id'], version: v, valueSchema: null as never, keySchema: null }) as SinkTable;

// v1 (id, b, x) → v2 RENAME b TO c → v3 DROP x → v4 ADD b (new) → v5 DROP c → v6: (id, b) again, a newer version
const V1 = version('11', [col('id'), col('b'), col('x')]);
const V2 = version('12', [col('id'), col('c', ['b']), col('x')]);
const V3 = version('13', [col('id'), col('c', ['b'])]);
const V4 = version('14', [col('id'), col('c', ['b']), col('b')]);
const V6 = version('16', [col('id'), col('b')]);
const OTHER = version('20', [col('id'), col('y')], 'u');

let n = 0;
function rec(t: SinkTable, after: Row, partition = 0): SinkRecord {
  return { topic: t.topic, stream: `${t.topic}/${partition}`, partition, offset: BigInt(n++), position: null, event: null, key: { id: after.id },
    envelope: { op: 'c', before: null, after, source: {}, ts_ms: null }, table: t, timestampMs: 0, sizeBytes: 10 };
}

test('losesColumns: a rename or a drop loses a name; an add or the same version does not', () => {
  assert.equal(losesColumns(V1, V2), true);
  assert.equal(losesColumns(V2, V3), true);
  assert.equal(losesColumns(V3, V4), false);
  assert.equal(losesColumns(V1, V1), false);
});

test('splitAtColumnLosses: cut before the first record of a version that loses a name, per table; one part otherwise', () => {
  const a = [rec(V1, { id: 1 }), rec(OTHER, { id: 1 }), rec(V1, { id: 2 }), rec(V2, { id: 3 }), rec(V2, { id: 4 }), rec(V3, { id: 5 }), rec(V4, { id: 6 }), rec(V1, { id: 7 })];
  const parts = splitAtColumnLosses(a);
  assert.deepEqual(parts.map((p) => p.map((r) => `${r.table.version}:${String(r.envelope.after!.id)}`)), [
    ['11:1', '20:1', '11:2'], ['12:3', '12:4'], ['13:5', '14:6'], ['11:7'],
  ]);
  const same = [rec(V1, { id: 1 }), rec(OTHER, { id: 2 }), rec(V1, { id: 3 })];
  assert.equal(splitAtColumnLosses(same)[0], same, 'no cut: the same array');
});

test('RenamedColumns: an older version after the rename is rewritten to the new name, keeping the old one as its earlier name', () => {
  const m = new RenamedColumns();
  const unknown = () => undefined;
  const first = [rec(V2, { id: 3, c: 'c3', x: '1' })];
  assert.equal(m.rewrite(first, unknown), first, 'nothing to rewrite: the same array');
  const late = [rec(V1, { id: 1, b: 'b1', x: '9' }, 1), rec(V2, { id: 4, c: 'c4', x: '2' })];
  const out = m.rewrite(late, unknown);
  assert.notEqual(out[0], late[0]);
  assert.equal(out[1], late[1], 'records that need nothing stay as they are');
  assert.deepEqual(out[0]!.envelope.after, { id: 1, c: 'b1', x: '9' });
  assert.deepEqual(out[0]!.table.columns.map((c) => [c.name, c.renamedFrom]), [['id', undefined], ['c', ['b']], ['x', undefined]]);
  assert.deepEqual([out[0]!.stream, out[0]!.offset, out[0]!.key], [late[0]!.stream, late[0]!.offset, { id: 1 }]);
  assert.equal(m.rewrite([rec(V1, { id: 2, b: 'b2', x: '9' })], unknown)[0]!.table, out[0]!.table, 'one rewritten version per old version');
});

test('RenamedColumns: a newer version that has the old name again (a new column) is left alone', () => {
  const m = new RenamedColumns();
  m.rewrite([rec(V2, { id: 1, c: 'c', x: 'x' }), rec(V3, { id: 2, c: 'c' }), rec(V4, { id: 3, c: 'c', b: 'new' })], () => undefined);
  const v6 = [rec(V6, { id: 4, b: 'newer' })];
  assert.equal(m.rewrite(v6, () => undefined), v6);
  const v4 = [rec(V4, { id: 5, c: 'c5', b: 'new5' })];
  assert.equal(m.rewrite(v4, () => undefined), v4, 'a version with both names needs nothing');
});

test('RenamedColumns: a chain a → b → c maps the oldest name to the newest, whatever order the versions come in', () => {
  const W1 = version('1', [col('id'), col('a')], 'w');
  const W2 = version('2', [col('id'), col('b', ['a'])], 'w');
  const W3 = version('3', [col('id'), col('c', ['b', 'a'])], 'w');
  const m = new RenamedColumns();
  const out = m.rewrite([rec(W3, { id: 1, c: 'c' }), rec(W2, { id: 2, b: 'from b' }), rec(W1, { id: 3, a: 'from a' })], () => undefined);
  assert.deepEqual(out.map((r) => r.envelope.after), [{ id: 1, c: 'c' }, { id: 2, c: 'from b' }, { id: 3, c: 'from a' }]);
  assert.deepEqual(out[2]!.table.columns[1], { name: 'c', type: { connect: 'string' }, optional: true, renamedFrom: ['a'] });
});

test('RenamedColumns: versions without numbers are rewritten only when the rename is plainly ahead', () => {
  const X1 = version('a', [col('id'), col('b')], 'x');
  const X2 = version('b', [col('id'), col('c', ['b'])], 'x');
  const m = new RenamedColumns();
  m.rewrite([rec(X2, { id: 1, c: 'c' })], () => undefined);
  const later = [rec(X1, { id: 2, b: 'b2' })];
  assert.equal(m.rewrite(later, () => undefined), later, 'the target state unknown: left alone');
  assert.deepEqual(m.rewrite(later, (_t, c) => c === 'c')[0]!.envelope.after, { id: 2, c: 'b2' }, 'the target has c and not b');
  assert.deepEqual(m.rewrite([rec(X2, { id: 3, c: 'c' }), ...later], () => undefined)[1]!.envelope.after, { id: 2, c: 'b2' }, 'a renaming version came first in the batch');
});
