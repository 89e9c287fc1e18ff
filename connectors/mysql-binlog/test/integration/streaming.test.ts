import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type mysql from 'mysql2/promise';
import type { ChangeBatch } from '../../../../core/src/types.ts';
import { ALL_TYPES_DDL, allTypesExpected, allTypesValues } from './fixtures.ts';
import { collect, createDatabase, events, includeDb, sourceOptions } from './helpers.ts';
import { createTableSelector } from '../../../../runtime/src/mapping/table-selection.ts';
import type { TableMapping } from '../../../../runtime/src/config/table-mapping-schema.ts';

let db: string;
let conn: mysql.Connection;
let drop: () => Promise<void>;

before(async () => {
  ({ db, conn, drop } = await createDatabase('ferry_it_stream'));
  await conn.query(ALL_TYPES_DDL);
  await conn.query('CREATE TABLE kv (k INT PRIMARY KEY, v VARCHAR(10))');
  await conn.query('CREATE TABLE other (k INT PRIMARY KEY)');
});

after(async () => { await drop(); });

/** Runs the source; `actions` start once the source has reported its start position. */
async function stream(opts: Awaited<ReturnType<typeof sourceOptions>>, actions: () => Promise<void>, done: (b: ChangeBatch[]) => boolean) {
  let started: Promise<void> | null = null;
  const res = await collect(opts, null, (b) => {
    started ??= actions();
    return done(b);
  }, 30000);
  await started;
  return res;
}

test('cdc: inserts, updates, deletes, primary-key changes, truncate and a split transaction, with exact images', async () => {
  const mapping = { rules: [...includeDb(db).rules, { 'rule-type': 'selection', 'rule-id': '2', 'rule-name': 'ex', 'rule-action': 'exclude', 'object-locator': { 'schema-name': db, 'table-name': 'other' } }] } as unknown as TableMapping;
  const opts = await sourceOptions(db, { migrationType: 'cdc', selector: createTableSelector(mapping), settings: { snapshot: { chunkSize: 1000, parallelism: 2 }, batch: { maxEvents: 500 } } });
  const big = Array.from({ length: 1200 }, (_, i) => `(${1000 + i}, 'b${i}')`).join(',');
  const { batches } = await stream(opts, async () => {
    await conn.query(`INSERT INTO all_types VALUES ${allTypesValues()}`);
    await conn.query("UPDATE all_types SET c_varchar = 'new' WHERE id = 1");
    await conn.query('DELETE FROM all_types WHERE id = 2');
    await conn.query('INSERT INTO other VALUES (1)');
    await conn.query("INSERT INTO kv VALUES (1, 'one')");
    await conn.query('UPDATE kv SET k = 2 WHERE k = 1');
    await conn.query('TRUNCATE TABLE kv');
    await conn.query('BEGIN');
    await conn.query(`INSERT INTO kv VALUES ${big}`);
    await conn.query('COMMIT');
    await conn.query("INSERT INTO kv VALUES (1, 'last')");
  }, (b) => events(b).some((e) => e.after?.v === 'last'));

  assert.equal(batches[0]!.events.length, 0);
  assert.equal(batches[0]!.snapshotDone, true);
  const evs = events(batches);
  assert.ok(evs.every((e) => e.table.id.table !== 'other'), 'an excluded table gives no events');
  const all = evs.filter((e) => e.table.id.table === 'all_types');
  const expected = allTypesExpected();
  assert.deepEqual(all.map((e) => e.op), ['c', 'c', 'c', 'u', 'd']);
  for (let i = 0; i < 3; i++) {
    for (const [col, want] of Object.entries(expected[i]!)) assert.deepEqual(all[i]!.after![col], want, `insert ${i + 1} ${col}`);
    assert.deepEqual(all[i]!.key, { id: i + 1 });
  }
  const upd = all[3]!;
  for (const [col, want] of Object.entries(expected[0]!)) assert.deepEqual(upd.before![col], want, `update before ${col}`);
  for (const [col, want] of Object.entries({ ...expected[0]!, c_varchar: 'new' })) assert.deepEqual(upd.after![col], want, `update after ${col}`);
  const del = all[4]!;
  for (const [col, want] of Object.entries(expected[1]!)) assert.deepEqual(del.before![col], want, `delete before ${col}`);
  assert.equal(del.after, null);
  assert.deepEqual(del.key, { id: 2 });

  const kv = evs.filter((e) => e.table.id.table === 'kv');
  assert.deepEqual(kv.slice(0, 4).map((e) => [e.op, e.key]), [['c', { k: 1 }], ['d', { k: 1 }], ['c', { k: 2 }], ['t', null]]);
  assert.deepEqual(kv[1]!.before, { k: 1, v: 'one' });
  assert.deepEqual(kv[2]!.after, { k: 2, v: 'one' });
  assert.equal(kv[3]!.before, null);
  assert.equal(kv[3]!.after, null);
  const bigEvents = kv.slice(4, 4 + 1200);
  assert.ok(bigEvents.every((e, i) => e.op === 'c' && e.after!.k === 1000 + i));
  const bigBatches = batches.filter((b) => b.events.some((e) => (e.after?.k as number) >= 1000));
  // the 1200-row transaction is split: two full batches without a checkpoint, then its last 200 events in a batch
  // with one (later transactions may be appended to that batch when the reader is behind)
  assert.deepEqual(bigBatches.map((b) => [b.events.filter((e) => (e.after?.k as number) >= 1000).length, b.checkpoint === null]), [[500, true], [500, true], [200, false]]);
  assert.equal(bigBatches[0]!.events.length, 500);
  assert.equal(bigBatches[1]!.events.length, 500);

  const src = upd.source;
  assert.equal(src.snapshot, 'false');
  assert.equal(src.connector, 'mariadb');
  assert.match(String(src.txId), /^\d+-\d+-\d+$/);
  assert.match(String(src.extra!.file), /^mariadb-bin\.\d+$/);
  const checkpoints = batches.map((b) => b.checkpoint).filter((c) => c !== null);
  for (let i = 1; i < checkpoints.length; i++) assert.ok(checkpoints[i]!.slice(0, 29) >= checkpoints[i - 1]!.slice(0, 29), 'checkpoints move forward');
  assert.ok(batches.every((b) => b.events.length <= 500));
});
