import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { collect, createDatabase, events, sourceOptions } from './helpers.ts';
import { readSnapshotState } from '../../src/snapshot-state.ts';
import type mysql from 'mysql2/promise';

let db: string;
let conn: mysql.Connection;
let drop: () => Promise<void>;

before(async () => {
  ({ db, conn, drop } = await createDatabase('ferry_it_resume'));
  await conn.query('CREATE TABLE t1 (id INT PRIMARY KEY, v VARCHAR(20))');
  await conn.query('CREATE TABLE t2 (a VARCHAR(10), b INT, v INT, PRIMARY KEY (a, b))');
  const r1 = [];
  for (let i = 1; i <= 3000; i++) r1.push(`(${i}, 'v${i}')`);
  await conn.query(`INSERT INTO t1 VALUES ${r1.join(',')}`);
  const r2 = [];
  for (let i = 1; i <= 1000; i++) r2.push(`('k${i % 10}', ${i}, ${i})`);
  await conn.query(`INSERT INTO t2 VALUES ${r2.join(',')}`);
});

after(async () => { await drop(); });

test('an interrupted snapshot resumes after its last committed chunk, losing nothing', async () => {
  const opts = await sourceOptions(db, { migrationType: 'full-load-and-cdc', settings: { snapshot: { chunkSize: 200, parallelism: 2 }, batch: { maxEvents: 100 } } });
  const first = await collect(opts, null, (b) => b.length >= 12);
  const state = readSnapshotState(first.offset!.state);
  assert.ok(state, 'the committed offset carries the snapshot progress');
  assert.equal(first.offset!.snapshotDone, false);
  assert.equal(first.offset!.position, state.position);
  const done1 = events(first.batches);
  assert.ok(done1.length >= 1000 && done1.length < 4000);

  // Rows written while the task is down are captured too: by the resumed snapshot or by the binlog replay.
  await conn.query("INSERT INTO t1 VALUES (5000, 'late'), (2999, 'dup?') ON DUPLICATE KEY UPDATE v = 'changed'");
  const second = await collect(opts, first.offset, (b) => b.some((x) => x.snapshotDone) && b.length > 0 && events(b).some((e) => e.op === 'c'), 20000);
  const evs2 = events(second.batches);
  assert.ok(evs2.every((e) => e.source.snapshot !== 'first'));
  const snap2 = evs2.filter((e) => e.op === 'r');
  assert.ok(snap2.length < 4001, `the resumed snapshot re-read ${snap2.length} rows: it must not start over`);
  const watermark = (state.tables[`${db}.t1`]?.after?.[0] as number | undefined) ?? 0;
  assert.ok(!snap2.some((e) => e.table.id.table === 't1' && (e.after!.id as number) <= watermark), 'rows at or below the committed watermark are not read again');

  const t1 = new Map<number, unknown>();
  const t2 = new Set<string>();
  for (const e of [...done1, ...evs2]) {
    if (e.table.id.table === 't1') t1.set(e.after!.id as number, e.after!.v);
    else t2.add(`${e.after!.a}/${e.after!.b}`);
  }
  assert.equal(t2.size, 1000);
  for (let i = 1; i <= 3000; i++) assert.ok(t1.has(i), `t1 row ${i}`);
  assert.equal(t1.get(5000), 'late');
  assert.equal(t1.get(2999), 'changed');
  assert.equal(second.offset!.snapshotDone, true);
});
