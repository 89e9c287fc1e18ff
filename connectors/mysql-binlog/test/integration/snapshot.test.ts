import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { ALL_TYPES_DDL, allTypesExpected, allTypesValues, ZERO_DATES_DDL, ZERO_DATES_EXPECTED, ZERO_DATES_INSERT } from './fixtures.ts';
import { collect, createDatabase, events, memoryLog, memoryMetrics, sourceOptions } from './helpers.ts';
import type mysql from 'mysql2/promise';
import type { ChangeBatch } from '../../../../core/src/types.ts';
import { readSnapshotState } from '../../src/snapshot-state.ts';
import { expectedSnapshotMarkers } from '../../../../test/helpers/snapshot-markers.ts';

let db: string;
let conn: mysql.Connection;
let drop: () => Promise<void>;

before(async () => {
  ({ db, conn, drop } = await createDatabase('ferry_it_snap'));
  await conn.query(ALL_TYPES_DDL);
  await conn.query(`INSERT INTO all_types VALUES ${allTypesValues()}`);
  await conn.query("SET SESSION sql_mode = ''");
  await conn.query(ZERO_DATES_DDL);
  await conn.query(ZERO_DATES_INSERT);
  await conn.query('CREATE TABLE nokey (a INT, b VARCHAR(10))');
  await conn.query("INSERT INTO nokey VALUES (1, 'x'), (1, 'x'), (2, NULL)");
  await conn.query('CREATE TABLE big (id BIGINT PRIMARY KEY, k2 VARCHAR(10), v INT)');
  const rows = [];
  for (let i = 1; i <= 5500; i++) rows.push(`(${i * 3}, 'k${i % 7}', ${i})`);
  await conn.query(`INSERT INTO big VALUES ${rows.join(',')}`);
  await conn.query('CREATE TABLE composite (a INT, b VARCHAR(5), c BINARY(2), v INT, PRIMARY KEY (a, b, c))');
  const crow = [];
  for (let a = 0; a < 30; a++) for (const b of ['x', 'y', 'zz']) for (const c of ['0000', '00ff', 'ff00']) crow.push(`(${a}, '${b}', X'${c}', ${a})`);
  await conn.query(`INSERT INTO composite VALUES ${crow.join(',')}`);
});

after(async () => { await drop(); });

test('full load: every type, exact values, key, source block, first/last markers, snapshotDone', async () => {
  const opts = await sourceOptions(db, { migrationType: 'full-load' });
  const { batches, offset } = await collect(opts, null, () => false);
  const evs = events(batches);
  const all = evs.filter((e) => e.table.id.table === 'all_types').sort((a, b) => (a.after!.id as number) - (b.after!.id as number));
  assert.equal(all.length, 3);
  const expected = allTypesExpected();
  for (let i = 0; i < 3; i++) {
    for (const [col, want] of Object.entries(expected[i]!)) assert.deepEqual(all[i]!.after![col], want, `row ${i + 1} column ${col}`);
    assert.equal(Object.keys(all[i]!.after!).length, Object.keys(expected[i]!).length);
    assert.deepEqual(all[i]!.key, { id: i + 1 });
    assert.equal(all[i]!.op, 'r');
    assert.equal(all[i]!.before, null);
  }
  const src = all[0]!.source;
  assert.equal(src.connector, 'mariadb');
  assert.equal(src.name, 'it');
  assert.equal(src.db, db);
  assert.equal(src.table, 'all_types');
  assert.match(src.position, /^mysql:\d{10}:\d{12}:mariadb-bin/);
  const zero = evs.find((e) => e.table.id.table === 'zero_dates')!;
  assert.deepEqual(zero.after, ZERO_DATES_EXPECTED);
  const nokey = evs.filter((e) => e.table.id.table === 'nokey');
  assert.equal(nokey.length, 3);
  assert.ok(nokey.every((e) => e.key === null));
  assert.equal(evs.filter((e) => e.table.id.table === 'big').length, 5500);
  assert.equal(evs[0]!.source.snapshot, 'first');
  assert.equal(evs.at(-1)!.source.snapshot, 'last');
  assert.deepEqual(evs.map((e) => e.source.snapshot), expectedSnapshotMarkers(evs), "Debezium's markers: first, first_in_data_collection per table, last");
  const last = batches[batches.length - 1]!;
  assert.equal(last.snapshotDone, true);
  assert.equal(last.checkpoint, batches[0]!.checkpoint);
  assert.equal(offset!.snapshotDone, true);
  assert.ok(batches.every((b) => b.events.length <= 500));
  const schema = all[0]!.table;
  assert.equal(schema.version, 1);
  assert.deepEqual(schema.primaryKey, ['id']);
  assert.deepEqual(schema.columns.find((c) => c.name === 'c_json')!.type, { type: 'string', logical: 'io.debezium.data.Json', version: 1 });
});

test('chunked parallel snapshot: every row once, composite and binary keys, progress metrics', async () => {
  const metrics = memoryMetrics();
  const log = memoryLog();
  const opts = await sourceOptions(db, { migrationType: 'full-load', metrics, log, progressIntervalMs: 10, settings: { snapshot: { chunkSize: 100, parallelism: 2 }, batch: { maxEvents: 64 } } });
  const { batches } = await collect(opts, null, () => false);
  const evs = events(batches);
  const big = evs.filter((e) => e.table.id.table === 'big').map((e) => e.after!.id as number).sort((a, b) => a - b);
  assert.equal(big.length, 5500);
  assert.equal(new Set(big).size, 5500);
  assert.equal(big[0], 3);
  assert.equal(big[5499], 16500);
  const comp = evs.filter((e) => e.table.id.table === 'composite');
  assert.equal(comp.length, 270);
  assert.equal(new Set(comp.map((e) => `${e.key!.a}/${e.key!.b}/${(e.key!.c as Buffer).toString('hex')}`)).size, 270);
  assert.equal(metrics.gauges.get(`snapshot_rows_copied${JSON.stringify({ table: `${db}.big` })}`), 5500);
  assert.ok(metrics.gauges.has(`snapshot_rows_total_estimate${JSON.stringify({ table: `${db}.big` })}`));
  assert.ok(log.lines.some((l) => l.level === 'info' && /snapshot of .*big finished: 5500 rows/.test(l.msg ?? '')));
  assert.ok(batches.every((b) => b.events.length <= 64));
  assert.ok(batches.every((b) => b.checkpoint === batches[0]!.checkpoint));
  assertStatesCoverEmittedRows(batches, `${db}.big`, 5500, (i) => i * 3);
});

/** Every batch's state may only claim keys that this or an earlier batch emitted. */
function assertStatesCoverEmittedRows(batches: readonly ChangeBatch[], table: string, n: number, keyOf: (i: number) => number): void {
  const seen = new Set<number>();
  let checked = 0;
  for (const b of batches) {
    for (const e of b.events) if (`${e.table.id.schema}.${e.table.id.table}` === table) seen.add(e.key!.id as number);
    const st = readSnapshotState(b.state);
    const p = st?.tables[table];
    if (!p) continue;
    const upTo = p.done ? Infinity : (p.after![0] as number);
    for (let i = 1; i <= n && keyOf(i) <= upTo; i++) assert.ok(seen.has(keyOf(i)), `state claims ${upTo} but key ${keyOf(i)} was not emitted yet`);
    checked++;
  }
  assert.ok(checked > 0);
}

for (const [chunkSize, maxEvents] of [[2000, 2000], [700, 2000], [1000, 300]] as const) {
  test(`snapshot state never runs ahead of the emitted rows (chunk ${chunkSize}, batch ${maxEvents})`, async () => {
    const opts = await sourceOptions(db, { migrationType: 'full-load', settings: { snapshot: { chunkSize, parallelism: 2 }, batch: { maxEvents } } });
    const { batches } = await collect(opts, null, () => false);
    assertStatesCoverEmittedRows(batches, `${db}.big`, 5500, (i) => i * 3);
  });
}

test('a small read-ahead budget reads each chunk in pages: every row once, and the state never runs ahead', async () => {
  // 4 KiB: pages of the 100-row minimum instead of 1,000-row chunks read whole.
  const opts = await sourceOptions(db, { migrationType: 'full-load', settings: { snapshot: { chunkSize: 1000, parallelism: 2, readAheadBytes: 4096 }, batch: { maxEvents: 2000 } } });
  const { batches } = await collect(opts, null, () => false);
  const big = batches.flatMap((b) => b.events).filter((e) => e.table.id.table === 'big').map((e) => e.after!.id as number);
  assert.equal(big.length, 5500);
  assert.equal(new Set(big).size, 5500);
  // The table's first page (one per reader at most, read before the size is known) is the whole chunk.
  assert.ok(batches.filter((b) => b.events.some((e) => e.table.id.table === 'big') && b.events.length > 100).length <= 2, 'pages of at most 100 rows after the first');
  assertStatesCoverEmittedRows(batches, `${db}.big`, 5500, (i) => i * 3);
});
