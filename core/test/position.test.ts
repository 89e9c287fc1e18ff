import { test } from 'node:test';
import assert from 'node:assert/strict';
import { binlogPosition, comparePositions, formatLsnText, lsnPosition, maxPosition, parseBinlogPosition, parseLsnPosition, parseLsnText, type Position } from '../src/position.ts';
import { FerryError } from '../src/errors.ts';

test('binlog positions round-trip and sort in log order', () => {
  const a = binlogPosition({ file: 'mariadb-bin.000009', pos: 98765, gtid: '0-1-42' });
  assert.equal(a, 'mysql:0000000009:000000098765:mariadb-bin:0-1-42');
  assert.deepEqual(parseBinlogPosition(a), { file: 'mariadb-bin.000009', pos: 98765, gtid: '0-1-42' });
  const mysqlGtid = binlogPosition({ file: 'binlog.000123', pos: 4, gtid: '3E11FA47-71CA-11E1-9E33-C80AA9429562:1-77' });
  assert.deepEqual(parseBinlogPosition(mysqlGtid), { file: 'binlog.000123', pos: 4, gtid: '3E11FA47-71CA-11E1-9E33-C80AA9429562:1-77' });
  const ordered = [
    binlogPosition({ file: 'b.000001', pos: 4 }),
    binlogPosition({ file: 'b.000001', pos: 120 }),
    binlogPosition({ file: 'b.000001', pos: 1000 }),
    binlogPosition({ file: 'b.000002', pos: 4 }),
    binlogPosition({ file: 'b.000010', pos: 4 }),
    binlogPosition({ file: 'b.1000000', pos: 4 }),
  ];
  const shuffled = [...ordered].reverse().sort(comparePositions);
  assert.deepEqual(shuffled, ordered);
  assert.equal(parseBinlogPosition(ordered[5]!).file, 'b.1000000');
});

test('LSN positions round-trip and sort in log order', () => {
  assert.equal(parseLsnText('16/B374D848'), 0x16b374d848n);
  assert.equal(formatLsnText(0x16b374d848n), '16/B374D848');
  const p = lsnPosition('0/16B3748');
  assert.equal(p, 'pg:00000000016B3748');
  assert.equal(parseLsnPosition(p), 0x16b3748n);
  const lsns = ['0/1', '0/FFFFFFFF', '1/0', 'A/0', 'FFFFFFFF/FFFFFFFF'].map((l) => lsnPosition(l));
  assert.deepEqual([...lsns].reverse().sort(comparePositions), lsns);
  assert.equal(maxPosition(lsns[1]!, lsns[3]!), lsns[3]);
  assert.equal(maxPosition(null, lsns[0]!), lsns[0]);
});

test('malformed positions are coded errors', () => {
  assert.throws(() => parseBinlogPosition('pg:00'), (e: unknown) => e instanceof FerryError && e.code === 'FERRY_POSITION_INVALID');
  assert.throws(() => binlogPosition({ file: 'nodot', pos: 1 }), /invalid binlog coordinates nodot:1/);
  assert.throws(() => parseLsnText('zz/1'), /not a PostgreSQL LSN: zz\/1/);
  assert.throws(() => comparePositions('pg:0000000000000001' as Position, binlogPosition({ file: 'b.000001', pos: 4 })), /different sources/);
});
