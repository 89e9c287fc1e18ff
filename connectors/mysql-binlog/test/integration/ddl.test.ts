import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type mysql from 'mysql2/promise';
import type { ChangeBatch, ChangeEvent, StoredOffset } from '../../../../core/src/types.ts';
import { bytesToDecimal } from '../../src/value-conversion.ts';
import { HISTORY_FILE } from '../../src/schema-history.ts';
import { collect, createDatabase, events, memoryLog, sourceOptions } from './helpers.ts';

let db: string;
let conn: mysql.Connection;
let drop: () => Promise<void>;

before(async () => {
  ({ db, conn, drop } = await createDatabase('ferry_it_ddl'));
  await conn.query('CREATE TABLE t (id INT PRIMARY KEY, a VARCHAR(10), b INT)');
});

after(async () => { await drop(); });

const STEPS = [
  "INSERT INTO t VALUES (1, 'x', 1)",
  'ALTER TABLE t ADD COLUMN c DECIMAL(5,2) DEFAULT 1.5 AFTER a',
  "INSERT INTO t VALUES (2, 'y', 2.25, 2)",
  'ALTER TABLE t DROP COLUMN b',
  "INSERT INTO t VALUES (3, 'z', 3.5)",
  'ALTER TABLE t MODIFY a VARCHAR(20) NOT NULL',
  "INSERT INTO t VALUES (4, 'aaaaaaaaaaaaaaaaaaaa', 4)",
  'ALTER TABLE t CHANGE c cc DECIMAL(6,3)',
  "INSERT INTO t VALUES (5, 'w', 5.125)",
  'ALTER TABLE t RENAME COLUMN a TO aa',
  "UPDATE t SET aa = 'v' WHERE id = 5",
  'RENAME TABLE t TO t2',
  "INSERT INTO t2 VALUES (6, 'r', 6)",
  "CREATE TABLE n (id INT PRIMARY KEY, j JSON, e ENUM('p','q') NOT NULL DEFAULT 'q')",
  "INSERT INTO n VALUES (1, '{\"k\": [1]}', 'p')",
  'DROP TABLE n',
  'CREATE TABLE n (id BIGINT PRIMARY KEY, s TEXT CHARACTER SET latin1)',
  "INSERT INTO n VALUES (9007199254740993, 'caf\u00e9')",
  'ALTER TABLE t2 ADD INDEX ix (aa)',
  "INSERT INTO t2 VALUES (7, 's', 7)",
  'TRUNCATE TABLE t2',
  "INSERT INTO t2 VALUES (8, 'end', 8)",
];

function check(evs: ChangeEvent[]): void {
  const seen = evs.map((e) => [e.op, e.table.id.table, e.table.version, e.table.columns.map((c) => c.name).join(',')]);
  assert.deepEqual(seen, [
    ['c', 't', 1, 'id,a,b'],
    ['c', 't', 2, 'id,a,c,b'],
    ['c', 't', 3, 'id,a,c'],
    ['c', 't', 4, 'id,a,c'],
    ['c', 't', 5, 'id,a,cc'],
    ['u', 't', 6, 'id,aa,cc'],
    ['c', 't2', 1, 'id,aa,cc'],
    ['c', 'n', 1, 'id,j,e'],
    ['c', 'n', 2, 'id,s'],
    ['c', 't2', 1, 'id,aa,cc'],
    ['t', 't2', 1, 'id,aa,cc'],
    ['c', 't2', 1, 'id,aa,cc'],
  ]);
  assert.deepEqual(evs[0]!.after, { id: 1, a: 'x', b: 1 });
  assert.equal(bytesToDecimal(evs[1]!.after!.c as Buffer, 2), '2.25');
  const t2 = evs[1]!.table;
  assert.equal(bytesToDecimal(t2.columns[2]!.defaultValue as Buffer, 2), '1.50');
  assert.deepEqual(t2.columns[2]!.type.params, { scale: '2', 'connect.decimal.precision': '5' });
  assert.deepEqual({ ...evs[2]!.after, c: bytesToDecimal(evs[2]!.after!.c as Buffer, 2) }, { id: 3, a: 'z', c: '3.50' });
  assert.equal(evs[3]!.table.columns[1]!.nullable, false);
  assert.equal(bytesToDecimal(evs[4]!.after!.cc as Buffer, 3), '5.125');
  assert.deepEqual(evs[5]!.before!.aa, 'w');
  assert.deepEqual(evs[5]!.after!.aa, 'v');
  assert.deepEqual(evs[6]!.source.table, 't2');
  assert.deepEqual(evs[7]!.after, { id: 1, j: '{"k": [1]}', e: 'p' });
  assert.equal(evs[7]!.table.columns[1]!.type.logical, 'io.debezium.data.Json');
  assert.deepEqual(evs[7]!.table.columns[2]!.type.params, { allowed: 'p,q' });
  assert.equal(evs[7]!.table.columns[2]!.defaultValue, 'q');
  assert.deepEqual(evs[8]!.after, { id: 9007199254740993n, s: 'café' });
  assert.equal(evs[10]!.key, null);
  // CHANGE c cc and RENAME COLUMN a TO aa: the earlier names travel with the schema (Column.renamedFrom), also after a
  // restart (they are in the schema history) and after RENAME TABLE
  const renames = (e: ChangeEvent) => e.table.columns.map((c) => [c.name, ...(c.renamedFrom ?? [])].join('<')).join(',');
  assert.deepEqual(evs.slice(3, 7).map(renames), ['id,a,c', 'id,a,cc<c', 'id,aa<a,cc<c', 'id,aa<a,cc<c']);
}

test('DDL while streaming: every event carries the schema version in effect where it was written', async () => {
  const log = memoryLog();
  const opts = await sourceOptions(db, { migrationType: 'cdc', log });
  let started: Promise<void> | null = null;
  const first = await collect(opts, null, (b) => {
    started ??= (async () => { for (const s of STEPS) await conn.query(s); })();
    return events(b).some((e) => e.after?.aa === 'end');
  }, 30000);
  await started;
  check(events(first.batches));
  const history = readFileSync(join(opts.stateDir, HISTORY_FILE), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { key: string; version: number; def: unknown; cause: string });
  assert.deepEqual(history.map((h) => [h.key.split('.')[1], h.version, h.def === null, h.cause]), [
    ['t', 1, false, 'start'], ['t', 2, false, 'ddl'], ['t', 3, false, 'ddl'], ['t', 4, false, 'ddl'], ['t', 5, false, 'ddl'], ['t', 6, false, 'ddl'],
    ['t', 0, true, 'ddl'], ['t2', 1, false, 'ddl'], ['n', 1, false, 'ddl'], ['n', 0, true, 'ddl'], ['n', 2, false, 'ddl'],
  ]);
  assert.ok(!log.lines.some((l) => l.level === 'warn'), JSON.stringify(log.lines.filter((l) => l.level === 'warn')));

  // Restart from the first checkpoint: the old events decode with the old schemas (from the history), although
  // information_schema now only knows the final tables, and no DDL is applied twice.
  const startOffset: StoredOffset = { position: first.batches[0]!.checkpoint!, snapshotDone: true, formatVersion: 1 };
  const replay = await collect(opts, startOffset, (b: ChangeBatch[]) => events(b).some((e) => e.after?.aa === 'end'), 30000);
  check(events(replay.batches));
  const history2 = readFileSync(join(opts.stateDir, HISTORY_FILE), 'utf8').trim().split('\n');
  assert.equal(history2.length, history.length, 'the replay appended nothing to the history');
});
