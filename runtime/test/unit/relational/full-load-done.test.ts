// Which tables' full loads a batch shows to be over (after-full-load indexes): the snapshot's last event (every
// table), Debezium's last_in_data_collection (its table), a streamed change (its table); nothing else.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { SinkRecord } from '../../../../core/src/record-sink.ts';
import { fullLoadsDone } from '../../../src/relational/full-load-done.ts';

const rec = (table: string, op: string, snapshot: string | undefined, stream = 'p0'): SinkRecord => ({
  topic: `x.${table}`, stream, partition: 0, offset: 0n, position: null, event: null, key: null, timestampMs: 0, sizeBytes: 0,
  table: { schema: 'shop', table } as SinkRecord['table'],
  envelope: { op, before: null, after: {}, ts_ms: 0, source: snapshot === undefined ? {} : { snapshot } },
} as unknown as SinkRecord);

const names = (rs: readonly SinkRecord[]) => rs.map((r) => r.table.table);

test('fullLoadsDone', () => {
  assert.deepEqual(fullLoadsDone([rec('a', 'r', 'first'), rec('a', 'r', 'true'), rec('b', 'r', 'true')]), { all: false, tables: [] });
  const last = fullLoadsDone([rec('a', 'r', 'true'), rec('b', 'r', 'last', 'p1')]);
  assert.equal(last.all, true);
  // an incremental snapshot's reads after the last event do not hide it
  assert.equal(fullLoadsDone([rec('a', 'r', 'last'), rec('a', 'r', 'incremental')]).all, true);
  const per = fullLoadsDone([rec('a', 'r', 'last_in_data_collection'), rec('b', 'r', 'true', 'p1')]);
  assert.deepEqual([per.all, names(per.tables)], [false, ['a']]);
  const streamed = fullLoadsDone([rec('a', 'r', 'true'), rec('b', 'c', 'false', 'p1'), rec('b', 'u', 'false', 'p1'), rec('c', 'd', undefined, 'p2'), rec('d', 't', undefined, 'p3')]);
  assert.deepEqual([streamed.all, names(streamed.tables)], [false, ['b', 'c', 'd']]);
  const both = fullLoadsDone([rec('a', 'c', 'false'), rec('b', 'r', 'last_in_data_collection', 'p1')]);
  assert.deepEqual(names(both.tables), ['b', 'a']);
  assert.deepEqual(fullLoadsDone([rec('a', 'r', 'incremental')]), { all: false, tables: [] });
});
