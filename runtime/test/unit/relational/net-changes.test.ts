import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { SinkRecord, SinkTable } from '../../../../core/src/record-sink.ts';
import type { Op, Row } from '../../../../core/src/types.ts';
import { keyText, leadingReads, netChanges, splitAtTruncates } from '../../../src/relational/net-changes.ts';
import { pendingRecords } from '../../../src/relational/applied-positions.ts';
import { sourceTransactions, tableRuns } from '../../../src/relational/source-transactions.ts';

const table = { schema: 's', table: 't', primaryKey: ['id'] } as unknown as SinkTable;
let n = 0;
function rec(op: Op, before: Row | null, after: Row | null, o: Partial<SinkRecord> = {}): SinkRecord {
  const offset = BigInt(n++);
  return { topic: 'x', stream: 'x/0', partition: 0, offset, position: null, event: null, key: null, table, timestampMs: 0, sizeBytes: 0,
    envelope: { op, before, after, source: {}, ts_ms: null }, ...o } as SinkRecord;
}

test('netChanges: the last change per key wins, deletes and upserts are disjoint', () => {
  const rs = [
    rec('c', null, { id: 1, v: 'a' }), rec('c', null, { id: 2, v: 'b' }), rec('u', { id: 1, v: 'a' }, { id: 1, v: 'a2' }),
    rec('d', { id: 2, v: 'b' }, null), rec('c', null, { id: 3, v: 'c' }), rec('d', { id: 3, v: 'c' }, null), rec('c', null, { id: 3, v: 'c2' }),
  ];
  const net = netChanges(rs, ['id']);
  assert.deepEqual(net.upserts.map((r) => r.envelope.after), [{ id: 1, v: 'a2' }, { id: 3, v: 'c2' }]);
  assert.deepEqual(net.deletes.map((d) => d.key), [{ id: 2 }]);
});

test('netChanges: an update that changes the key deletes the old key and upserts the new one', () => {
  const net = netChanges([rec('c', null, { id: 1, v: 'a' }), rec('u', { id: 1, v: 'a' }, { id: 5, v: 'a' })], ['id']);
  assert.deepEqual(net.deletes.map((d) => d.key), [{ id: 1 }]);
  assert.deepEqual(net.upserts.map((r) => r.envelope.after), [{ id: 5, v: 'a' }]);
});

test('netChanges: composite, bigint and Buffer keys are told apart exactly', () => {
  assert.notEqual(keyText(['a', 'b'], { a: 1, b: '2' }), keyText(['a', 'b'], { a: '1', b: 2 }));
  assert.notEqual(keyText(['a'], { a: 2n ** 63n - 1n }), keyText(['a'], { a: 2n ** 63n - 2n }));
  assert.equal(keyText(['a'], { a: Buffer.from('ab') }), keyText(['a'], { a: Buffer.from('ab') }));
  const net = netChanges([rec('c', null, { a: 1, b: 1 }), rec('c', null, { a: 1, b: 2 }), rec('d', { a: 1, b: 1 }, null)], ['a', 'b']);
  assert.equal(net.upserts.length, 1);
  assert.equal(net.deletes.length, 1);
});

test('splitAtTruncates and leadingReads keep log order', () => {
  const rs = [rec('r', null, { id: 1 }), rec('r', null, { id: 2 }), rec('c', null, { id: 3 }), rec('t', null, null), rec('c', null, { id: 4 })];
  const segs = splitAtTruncates(rs);
  assert.deepEqual(segs.map((s) => [s.kind, s.records.length]), [['changes', 3], ['truncate', 1], ['changes', 1]]);
  const { reads, rest } = leadingReads(segs[0]!.records);
  assert.equal(reads.length, 2);
  assert.equal(rest.length, 1);
  assert.throws(() => netChanges(rs, ['id']), /truncates/);
});

test('pendingRecords drops what the target already applied, and moves positions forward only', () => {
  n = 0;
  const rs = [rec('c', null, { id: 1 }), rec('c', null, { id: 2 }), rec('c', null, { id: 3 })];
  const all = pendingRecords(rs, new Map());
  assert.equal(all.records.length, 3);
  assert.deepEqual(all.advance, [['x/0', '0000000000000000002']]);
  const some = pendingRecords(rs, new Map([['x/0', '0000000000000000001']]));
  assert.deepEqual(some.records.map((r) => r.envelope.after), [{ id: 3 }]);
  const none = pendingRecords(rs, new Map([['x/0', '0000000000000000002']]));
  assert.equal(none.records.length, 0);
  assert.deepEqual(none.advance, []);
});

test('direct mode: snapshot reads at the applied position are applied again (they share one sequence)', () => {
  const d = (event: number, position: string) => rec('r', null, { id: event }, { offset: null, partition: null, stream: 'direct:s', position, event });
  const p = pendingRecords([d(0, 'p1'), d(0, 'p1')], new Map([['direct:s', 'p1#0000000000']]));
  assert.equal(p.records.length, 2);
});

test('sourceTransactions groups by txId / gtid / binlog position, tableRuns by table', () => {
  const tx = (txId: number) => rec('c', null, { id: txId }, { envelope: { op: 'c', before: null, after: { id: 1 }, source: { txId }, ts_ms: null } });
  const groups = sourceTransactions([tx(1), tx(1), tx(2), tx(1)]);
  assert.deepEqual(groups.map((g) => g.length), [2, 1, 1]);
  const other = { ...table, table: 'u' } as SinkTable;
  const runs = tableRuns([rec('c', null, { id: 1 }), rec('c', null, { id: 2 }, { table: other }), rec('c', null, { id: 3 })]);
  assert.deepEqual(runs.map((r) => r.length), [1, 1, 1]);
  const direct = sourceTransactions([1, 1, 2].map((p) => rec('c', null, { id: p }, { offset: null, position: `p${p}` })));
  assert.deepEqual(direct.map((g) => g.length), [2, 1]);
});

test('splitAtTruncates: a read opening a keyless table’s snapshot pass implies a truncate, dropping the interrupted pass', () => {
  const keyless = { schema: 's', table: 'k', primaryKey: [] } as unknown as SinkTable;
  const read = (x: number, snapshot: string) => rec('r', null, { x }, { table: keyless, envelope: { op: 'r', before: null, after: { x }, source: { snapshot }, ts_ms: null } });
  const rs = [read(1, 'first_in_data_collection'), read(2, 'true'), read(1, 'first_in_data_collection'), read(2, 'true'), read(3, 'true')];
  const on = splitAtTruncates(rs, { keylessPassRestarts: true });
  assert.deepEqual(on.map((s) => [s.kind, s.records.map((r) => r.envelope.after!.x)]), [['truncate', []], ['changes', [1, 2, 3]]]);
  // Off (tablePreparation do-nothing), and never for a keyed table or a read without the marker.
  assert.deepEqual(splitAtTruncates(rs).map((s) => s.records.length), [5]);
  const keyedFirst = rec('r', null, { id: 1 }, { envelope: { op: 'r', before: null, after: { id: 1 }, source: { snapshot: 'first' }, ts_ms: null } });
  assert.deepEqual(splitAtTruncates([rec('c', null, { id: 0 }), keyedFirst], { keylessPassRestarts: true }).map((s) => s.kind), ['changes']);
});
