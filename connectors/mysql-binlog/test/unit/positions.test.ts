import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, appendFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { binlogPosition, parseBinlogPosition } from '../../../../core/src/position.ts';
import type { Position } from '../../../../core/src/types.ts';
import { FerryError } from '../../../../core/src/errors.ts';
import { compareLogOrder, earliest, positionKey, withGtid } from '../../src/binlog-position.ts';
import { addGtid } from '../../src/binlog/gtid.ts';
import { binlogError, isConnectionLoss } from '../../src/binlog-errors.ts';
import { decodeKeyValue, encodeKeyValue, ProgressTracker, readSnapshotState, snapshotStateRecord } from '../../src/snapshot-state.ts';
import { keyCondition } from '../../src/snapshot.ts';
import { parseHistory, SchemaHistory } from '../../src/schema-history.ts';

test('binlog positions: formatting with a cached file part, log order ignoring GTIDs, earliest', () => {
  for (const [file, pos, gtid] of [['mariadb-bin.000003', 4711, '0-1-42'], ['binlog.000123', 4, undefined], ['mysql-bin.1234567', 999999999999, '3E11FA47-71CA-11E1-9E33-C80AA9429562:1-5,4F2B:7']] as const) {
    assert.equal(withGtid({ file, pos }, gtid), binlogPosition(gtid ? { file, pos, gtid } : { file, pos }));
    const back = parseBinlogPosition(withGtid({ file, pos }, gtid));
    assert.equal(back.file, file);
    assert.equal(back.pos, pos);
    assert.equal(back.gtid, gtid);
  }
  const a = withGtid({ file: 'mariadb-bin.000002', pos: 900 }, '0-1-9');
  const b = withGtid({ file: 'mariadb-bin.000002', pos: 1000 }, '0-1-8');
  const c = withGtid({ file: 'mariadb-bin.000010', pos: 4 }, undefined);
  assert.equal(positionKey(a), 'mysql:0000000002:000000000900');
  assert.ok(compareLogOrder(a, b) < 0 && compareLogOrder(b, c) < 0 && compareLogOrder(c, a) > 0);
  assert.equal(compareLogOrder(a, withGtid({ file: 'mariadb-bin.000002', pos: 900 }, undefined)), 0);
  assert.equal(earliest([c, b, a]), a);
  assert.ok(positionKey(a) + '#1' > positionKey(a) && positionKey(a) + '#1' < positionKey(b), 'in-transaction DDL keys sort inside their transaction');
});

test('adding a DDL GTID to the GTID state (MariaDB domain positions, MySQL sets)', () => {
  assert.equal(addGtid('0-1-41,1-2-7', '0-1-42', true), '0-1-42,1-2-7');
  assert.equal(addGtid('0-1-41', '2-3-1', true), '0-1-41,2-3-1');
  assert.equal(addGtid(undefined, '0-1-42', true), undefined);
  assert.equal(addGtid('0-1-41', undefined, true), '0-1-41');
  const uuid = '3e11fa47-71ca-11e1-9e33-c80aa9429562';
  assert.equal(addGtid(`${uuid}:1-41`, `${uuid}:42`, false), `${uuid}:1-42`);
});

test('binlog errors: purged positions need a re-snapshot, lost connections are retried, compressed events are a setting', () => {
  const purged = binlogError(Object.assign(new Error('Could not find first log file name in binary log index file'), { errno: 1236, code: 'ER_MASTER_FATAL_ERROR_READING_BINLOG' }), 'mysql:0000000001:000000000004:b' as Position);
  assert.equal(purged.code, 'FERRY_SOURCE_ERROR');
  assert.equal(purged.disposition, 'resnapshot');
  assert.match(purged.message, /full-load-and-cdc/);
  assert.equal(binlogError(new Error('Server sent a TRANSACTION_PAYLOAD_EVENT (binlog_transaction_compression=ON).'), 'mysql:0000000001:000000000004:b' as Position).code, 'FERRY_SOURCE_PREREQUISITE');
  assert.equal(binlogError(new Error('Server sent a PARTIAL_UPDATE_ROWS_EVENT (binlog_row_value_options=PARTIAL_JSON).'), 'mysql:0000000001:000000000004:b' as Position).code, 'FERRY_SOURCE_PREREQUISITE');
  assert.equal(isConnectionLoss(Object.assign(new Error('Connection lost: The server closed the connection.'), { code: 'PROTOCOL_CONNECTION_LOST' })), true);
  assert.equal(isConnectionLoss(Object.assign(new Error('x'), { code: 'ECONNRESET' })), true);
  assert.equal(isConnectionLoss(Object.assign(new Error('bad'), { errno: 1236 })), false);
  assert.equal(isConnectionLoss(new FerryError('FERRY_SOURCE_ERROR', 'x')), false);
});

test('snapshot progress: the watermark only covers contiguous finished chunks; key values round-trip', () => {
  const t = new ProgressTracker({ 'd.done': { done: true } });
  t.chunkDone('d.t', 1, [200]);
  assert.equal(t.get('d.t'), undefined, 'chunk 1 finished before chunk 0: nothing is certain yet');
  t.chunkDone('d.t', 0, [100]);
  assert.deepEqual(t.get('d.t'), { after: [200] });
  t.chunkDone('d.t', 3, null);
  assert.deepEqual(t.get('d.t'), { after: [200] });
  t.chunkDone('d.t', 2, [300]);
  assert.deepEqual(t.get('d.t'), { done: true });
  t.tableDone('d.nokey');
  const rec = snapshotStateRecord({ position: 'mysql:0000000001:000000000004:b' as Position, tables: t.snapshot() });
  const back = readSnapshotState(JSON.parse(JSON.stringify(rec)) as Record<string, unknown>);
  assert.deepEqual(back!.tables, { 'd.done': { done: true }, 'd.t': { done: true }, 'd.nokey': { done: true } });
  assert.equal(readSnapshotState({ v: 99 }), null);
  assert.equal(readSnapshotState(undefined), null);
  for (const v of [5, 'abc', '18446744073709551615', Buffer.from([0, 255]), null]) {
    const enc = JSON.parse(JSON.stringify(encodeKeyValue(v)));
    assert.deepEqual(decodeKeyValue(enc), v);
  }
  assert.equal(encodeKeyValue(12n), '12');
});

test('keyset conditions on composite keys', () => {
  const params: unknown[] = [];
  assert.equal(keyCondition(['a'], '>', [1], params), '`a` > ?');
  assert.equal(keyCondition(['a', 'b', 'c'], '>', [1, 2, 3], params), '(`a` > ? OR (`a` = ? AND `b` > ?) OR (`a` = ? AND `b` = ? AND `c` > ?))');
  assert.equal(keyCondition(['a', 'b'], '<=', [8, 9], params), '(`a` < ? OR (`a` = ? AND `b` <= ?))');
  assert.deepEqual(params, [1, 1, 1, 2, 1, 2, 3, 8, 8, 9]);
});

test('schema history: reset, append, lookups by position, torn last line', () => {
  const dir = mkdtempSync(join(tmpdir(), 'ferry-hist-'));
  const h = new SchemaHistory(dir);
  const def = (n: number) => ({ schema: 'd', table: 't', columns: Array.from({ length: n }, (_, i) => ({ name: `c${i}`, columnType: 'int(11)', nullable: true, charset: null })), primaryKey: [], charset: null });
  h.reset([{ pos: 'mysql:0000000001:000000000100', key: 'd.t', version: 1, def: def(1), cause: 'snapshot' }]);
  h.append([{ pos: 'mysql:0000000001:000000000200', key: 'd.t', version: 2, def: def(2), cause: 'ddl', ddl: 'ALTER' }]);
  h.append([{ pos: 'mysql:0000000001:000000000300', key: 'd.t', version: 0, def: null, cause: 'ddl', ddl: 'DROP' }]);
  const again = new SchemaHistory(dir);
  assert.equal(again.entries.length, 3);
  assert.equal(again.stateAt('mysql:0000000001:000000000150').get('d.t')!.version, 1);
  assert.equal(again.stateAt('mysql:0000000001:000000000200').get('d.t')!.version, 2);
  assert.equal(again.stateAt('mysql:0000000001:000000000350').get('d.t')!.def, null);
  assert.equal(again.at('mysql:0000000001:000000000200').length, 1);
  assert.equal(again.at('mysql:0000000001:000000000100').length, 0, 'snapshot entries are not DDL replays');
  assert.equal(again.maxVersion('d.t'), 2);
  appendFileSync(again.file, '{"pos":"mysql:00000');
  assert.equal(new SchemaHistory(dir).entries.length, 3, 'a line cut by a crash is ignored');
  assert.throws(() => parseHistory('{bad}\n{"a":1}\n'), /line 1/);
});
