import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { ChangeBatch } from '../../../../core/src/types.ts';
import { collect, createSchema, dataEvents, events, slotRow, sourceOptions, type TestSchema } from './helpers.ts';
import { readSnapshotState } from '../../src/snapshot-state.ts';
import { expectedSnapshotMarkers } from '../../../../test/helpers/snapshot-markers.ts';

let s: TestSchema;

before(async () => {
  s = await createSchema('ferry_it_snap');
  await s.owner.query('CREATE TABLE big (id int PRIMARY KEY, name varchar(30) NOT NULL, amount numeric(12,2))');
  await s.owner.query("INSERT INTO big SELECT g, 'n' || g, g * 1.5 FROM generate_series(1, 5000) g");
  // A composite text key, ordered by the column collation in both the splitter and the chunk predicates.
  await s.owner.query('CREATE TABLE pairs (a varchar(10), b int, v int, PRIMARY KEY (a, b))');
  await s.owner.query("INSERT INTO pairs SELECT chr(97 + g % 26) || (g % 7), g, g FROM generate_series(1, 1234) g");
  // No key: REPLICA IDENTITY FULL, read in ctid page ranges.
  await s.owner.query('CREATE TABLE nokey (x int, y int)');
  await s.owner.query('ALTER TABLE nokey REPLICA IDENTITY FULL');
  await s.owner.query('INSERT INTO nokey SELECT g, g * 2 FROM generate_series(1, 3000) g');
  await s.owner.query('CREATE TABLE empty (id int PRIMARY KEY)');
});

after(async () => { await s.drop(); });

test('a small read-ahead budget cuts the COPY stream into small parts: every row once', async () => {
  // 4 KiB: parts of the 100-row minimum instead of maxEvents (2,000).
  const opts = sourceOptions(s.schema, { migrationType: 'full-load', taskName: `${s.schema}_ra`, settings: { snapshot: { chunkSize: 700, parallelism: 2, readAheadBytes: 4096 }, batch: { maxEvents: 2000 } } });
  const { batches } = await collect(opts, null, () => false);
  const big = dataEvents(batches, 'big');
  assert.equal(big.length, 5000);
  assert.equal(new Set(big.map((e) => e.key!.id)).size, 5000);
  assert.ok(batches.every((b) => b.events.length <= 100), 'parts of at most 100 rows');
  assert.equal(batches.at(-1)!.snapshotDone, true);
});

test('full load: every row once, in chunks, first/last marked, the last batch ends the snapshot', async () => {
  const opts = sourceOptions(s.schema, { migrationType: 'full-load', taskName: `${s.schema}_fl`, settings: { snapshot: { chunkSize: 700, parallelism: 3 }, batch: { maxEvents: 300 } } });
  const { batches, offset } = await collect(opts, null, () => false);
  const evs = events(batches);
  assert.ok(evs.every((e) => e.op === 'r' && e.before === null));
  const big = dataEvents(batches, 'big');
  assert.equal(big.length, 5000);
  assert.deepEqual(new Set(big.map((e) => e.key!.id)).size, 5000);
  const e42 = big.find((e) => e.key!.id === 42)!;
  assert.equal(e42.after!.name, 'n42');
  assert.deepEqual(e42.after!.amount, Buffer.from([0x18, 0x9c]), '63.00 as unscaled 6300');
  assert.equal(dataEvents(batches, 'pairs').length, 1234);
  assert.equal(new Set(dataEvents(batches, 'pairs').map((e) => `${e.key!.a}/${e.key!.b}`)).size, 1234);
  const nokey = dataEvents(batches, 'nokey');
  assert.equal(nokey.length, 3000);
  assert.equal(nokey[0]!.key, null);
  assert.equal(new Set(nokey.map((e) => e.after!.x)).size, 3000);
  assert.equal(dataEvents(batches, 'empty').length, 0);
  assert.equal(evs[0]!.source.snapshot, 'first');
  assert.equal(evs.at(-1)!.source.snapshot, 'last');
  assert.deepEqual(evs.map((e) => e.source.snapshot), expectedSnapshotMarkers(evs), "Debezium's markers: first, first_in_data_collection per table, last");
  assert.ok(batches.every((b) => b.events.length <= 300));
  assert.equal(batches.at(-1)!.snapshotDone, true);
  assert.equal(offset?.snapshotDone, true);
  assert.ok(batches.every((b) => b.checkpoint === batches[0]!.checkpoint), 'every snapshot batch checkpoints the same position');
  const src = evs[0]!.source;
  assert.equal(src.connector, 'postgresql');
  assert.equal(src.extra!.sequence, `[null,"${src.extra!.lsn}"]`);
  // A plain full load needs no slot.
  assert.equal(await slotRow(s.admin, `ferry_${s.schema}_fl`), undefined);
  // Done already: a second run does nothing.
  const again = await collect(opts, offset, () => false);
  assert.equal(events(again.batches).length, 0);
});

test('an interrupted snapshot resumes after its last committed chunk, then streams from the original slot position', async () => {
  const task = `${s.schema}_resume`;
  const opts = sourceOptions(s.schema, { migrationType: 'full-load-and-cdc', taskName: task, settings: { snapshot: { chunkSize: 500, parallelism: 1 }, batch: { maxEvents: 250 } } });
  // Stop after six batches (three chunks of `big`, loaded first by name order).
  const first = await collect(opts, null, (b) => b.length >= 6);
  const state = readSnapshotState(first.offset!.state);
  assert.ok(state);
  assert.equal(state.slot, `ferry_${task}`);
  assert.equal(first.offset!.snapshotDone, false);
  const watermark = Number(state.tables[`${s.schema}.big`]?.after?.[0]);
  assert.ok(watermark >= 1000 && watermark % 500 === 0, `watermark ${watermark}`);
  // Changes while Ferry is down: one in an already copied chunk, one in a chunk still to copy.
  await s.owner.query("UPDATE big SET name = 'changed-early' WHERE id = 10");
  await s.owner.query("UPDATE big SET name = 'changed-late' WHERE id = 4000");
  await s.owner.query('DELETE FROM big WHERE id = 4001');
  await s.owner.query("INSERT INTO big VALUES (9001, 'new', 1)");
  await s.owner.query("INSERT INTO empty VALUES (-1)");
  const second = await collect(opts, first.offset, (b) => dataEvents(b, 'empty').some((e) => e.op === 'c'));
  const snap = dataEvents(second.batches, 'big').filter((e) => e.op === 'r');
  assert.equal(Math.min(...snap.map((e) => e.key!.id as number)), watermark + 1, 'resumed after the committed watermark');
  assert.equal(snap.find((e) => e.key!.id === 4000)!.after!.name, 'changed-late', 'rows after the watermark come from a new snapshot');
  assert.equal(snap.some((e) => e.key!.id === 4001), false);
  // Streaming starts at the original consistent point, so the changes made meanwhile are all delivered —
  // including the one in a chunk the first run had already copied.
  const stream = dataEvents(second.batches, 'big').filter((e) => e.op !== 'r');
  assert.deepEqual(stream.map((e) => [e.op, e.key!.id]), [['u', 10], ['u', 4000], ['d', 4001], ['c', 9001]]);
  assert.equal(stream[0]!.after!.name, 'changed-early');
  assert.ok(second.batches.some((b: ChangeBatch) => b.snapshotDone));
  await s.owner.query("UPDATE big SET name = 'n10' WHERE id = 10");
  await s.owner.query("UPDATE big SET name = 'n4000' WHERE id = 4000");
  await s.owner.query("INSERT INTO big VALUES (4001, 'n4001', 6001.50)");
  await s.owner.query('DELETE FROM big WHERE id = 9001');
  await s.owner.query('DELETE FROM empty');
});
