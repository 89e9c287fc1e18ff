/**
 * A crash after the first snapshot rows were sent but before any of them was committed: the run must resume the
 * same snapshot (stored before its first row, ChangeBatch.commitNow), so a row deleted while Ferry was down gets its
 * delete event; a restarted keyless table is marked so relational sinks clear the rows of the interrupted pass.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type mysql from 'mysql2/promise';
import type { StoredOffset } from '../../../../core/src/types.ts';
import { collect, createDatabase, events, sourceOptions } from './helpers.ts';
import { readSnapshotState } from '../../src/snapshot-state.ts';

let db: string;
let conn: mysql.Connection;
let drop: () => Promise<void>;

before(async () => {
  ({ db, conn, drop } = await createDatabase('ferry_it_restart'));
  await conn.query('CREATE TABLE a_keyed (id INT PRIMARY KEY, v VARCHAR(20) NOT NULL)');
  await conn.query(`INSERT INTO a_keyed VALUES ${Array.from({ length: 3000 }, (_, i) => `(${i + 1}, 'v${i + 1}')`).join(',')}`);
  await conn.query('CREATE TABLE b_keyless (x INT, y VARCHAR(20))');
  await conn.query(`INSERT INTO b_keyless VALUES ${Array.from({ length: 400 }, (_, i) => `(${i + 1}, 'y${i + 1}')`).join(',')}`);
});

after(async () => { await drop(); });

test('killed before the first chunk commits: the restart resumes the stored snapshot and streams the deletes made meanwhile', async () => {
  const opts = await sourceOptions(db, { settings: { snapshot: { chunkSize: 500, parallelism: 1 }, batch: { maxEvents: 200 } } });
  const first = await collect(opts, null, (b) => b.length >= 4);
  const barrier = first.batches[0]!;
  assert.equal(barrier.events.length, 0, 'the first batch carries no rows');
  assert.equal(barrier.commitNow, true, 'and is committed before any row is written');
  assert.deepEqual(readSnapshotState(barrier.state), { position: barrier.checkpoint, tables: {} });
  const sent = events(first.batches).filter((e) => e.table.id.table === 'a_keyed');
  assert.ok(sent.length >= 200, `rows were sent before the crash (${sent.length})`);

  const victim = sent[0]!.key!.id as number;
  await conn.query('DELETE FROM a_keyed WHERE id = ?', [victim]);
  await conn.query('DELETE FROM b_keyless WHERE x = 7');
  await conn.query("INSERT INTO b_keyless VALUES (1000, 'while down')");
  const committed: StoredOffset = { position: barrier.checkpoint!, snapshotDone: false, formatVersion: 1, state: barrier.state! };
  // Once the snapshot is done, a keyless insert after the new snapshot: it must be streamed.
  let inserted = false;
  const second = await collect(opts, committed, (b) => {
    if (!b.some((x) => x.snapshotDone)) return false;
    if (!inserted) { inserted = true; void conn.query("INSERT INTO b_keyless VALUES (2000, 'after')"); }
    return b.some((x) => x.events.some((e) => e.op === 'c' && e.table.id.table === 'b_keyless'));
  });
  const evs = events(second.batches);
  const keyed = evs.filter((e) => e.table.id.table === 'a_keyed');
  const reads = keyed.filter((e) => e.op === 'r');
  assert.equal(reads.length, 2999);
  assert.ok(!reads.some((e) => e.key!.id === victim));
  assert.deepEqual(keyed.filter((e) => e.op === 'd').map((e) => e.key!.id), [victim], 'the delete made while down is streamed (a new snapshot would have lost it)');
  const keyless = evs.filter((e) => e.table.id.table === 'b_keyless');
  const keylessReads = keyless.filter((e) => e.op === 'r');
  assert.equal(keylessReads.length, 400, 'read again in the new snapshot: without x=7, with x=1000');
  assert.ok(keylessReads.some((e) => e.after!.x === 1000) && !keylessReads.some((e) => e.after!.x === 7));
  assert.equal(keylessReads[0]!.source.snapshot, 'first_in_data_collection', 'the keyless pass is marked where it starts again');
  // Its changes from before the new snapshot are in that read: the stream drops them (resumed-keyless.ts), but not later ones.
  assert.deepEqual(keyless.filter((e) => e.op !== 'r').map((e) => [e.op, e.after?.x ?? e.before?.x]), [['c', 2000]]);
});
