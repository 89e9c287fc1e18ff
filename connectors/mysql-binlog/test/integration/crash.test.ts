// Simulated kill -9 during full-load-and-cdc under write load: every run stops after a few batches, and only the
// batches up to an earlier checkpoint count as durable (what a crash leaves); the next run resumes from that
// checkpoint. The durable events of all runs, applied in order, must equal the table.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type mysql from 'mysql2/promise';
import type { ChangeBatch, ChangeEvent, StoredOffset } from '../../../../core/src/types.ts';
import { admin, collect, createDatabase, events, sourceOptions } from './helpers.ts';

let db: string;
let conn: mysql.Connection;
let drop: () => Promise<void>;
const N = 30000;

before(async () => {
  ({ db, conn, drop } = await createDatabase('ferry_it_crash'));
  await conn.query('CREATE TABLE items (id INT PRIMARY KEY, v BIGINT NOT NULL, s VARCHAR(64), d DECIMAL(12,2) NOT NULL)');
  await conn.query('CREATE TABLE marker (id INT PRIMARY KEY)');
  for (let i = 0; i < N; i += 5000) {
    await conn.query(`INSERT INTO items VALUES ${Array.from({ length: 5000 }, (_, j) => `(${i + j + 1}, ${i + j}, 'row ${i + j}', ${((i + j) % 10000) / 100})`).join(',')}`);
  }
});

after(async () => { await drop(); });

/** What the pipeline commits for a durable batch (snapshotDone sticky; the state goes with the checkpoint). */
function commit(prev: StoredOffset | null, b: ChangeBatch): StoredOffset | null {
  if (b.checkpoint === null) return prev;
  const snapshotDone = (prev?.snapshotDone ?? false) || (b.snapshotDone ?? false);
  return { position: b.checkpoint, snapshotDone, formatVersion: 1, ...(b.state ? { state: b.state } : {}) };
}

test('crash-and-resume cycles during snapshot and streaming lose nothing', async () => {
  let writing = true;
  let nextId = N + 1;
  const w = await admin(db);
  const writer = (async () => {
    let n = 0;
    while (writing) {
      const r = n++ % 10;
      const id = 1 + Math.floor(Math.random() * (nextId - 1));
      if (r < 4) await w.query('INSERT INTO items VALUES (?, ?, ?, ?)', [nextId++, n, `new ${n}`, (n % 1000) / 10]);
      else if (r < 8) await w.query('UPDATE items SET v = v + 1, s = ?, d = d + 0.01 WHERE id = ?', [`upd ${n}`, id]);
      else if (r < 9) await w.query('DELETE FROM items WHERE id = ?', [id]);
      else {
        await w.query('BEGIN');
        await w.query('INSERT INTO items VALUES (?, ?, ?, ?)', [nextId++, n, `tx ${n}`, 1.5]);
        await w.query('UPDATE items SET v = v * 2 WHERE id = ?', [id]);
        await w.query('COMMIT');
      }
      if (n % 50 === 0) await new Promise((r2) => setTimeout(r2, 2));
    }
  })();
  const opts = await sourceOptions(db, { migrationType: 'full-load-and-cdc', settings: { snapshot: { chunkSize: 2000, parallelism: 2 }, batch: { maxEvents: 700 } } });
  const durable: ChangeEvent[] = [];
  let offset: StoredOffset | null = null;
  const stops = [3, 12, 7, 25, 5, 40, 9, 60, 15];
  for (const stopAfter of stops) {
    const run = await collect(opts, offset, (b) => b.length >= stopAfter, 30000);
    // durable: the batches up to a checkpoint about two thirds in (the pipeline commits after the sink, a crash loses the rest)
    const cut = Math.max(0, Math.floor(run.batches.length * 0.66) - 1);
    let lastDurable = -1;
    for (let i = 0; i <= cut && i < run.batches.length; i++) if (run.batches[i]!.checkpoint !== null) lastDurable = i;
    for (let i = 0; i <= lastDurable; i++) {
      const b = run.batches[i]!;
      durable.push(...b.events);
      offset = commit(offset, b);
    }
  }
  writing = false;
  await writer;
  await w.end();
  await conn.query('INSERT INTO marker VALUES (1)');
  const last = await collect(opts, offset, (b) => events(b).some((e) => e.table.id.table === 'marker'), 120000);
  durable.push(...events(last.batches));

  const state = new Map<number, Record<string, unknown>>();
  for (const e of durable) {
    if (e.table.id.table !== 'items') continue;
    if (e.op === 'd') state.delete(e.key!.id as number);
    else state.set(e.key!.id as number, e.after!);
  }
  const [rows] = await conn.query<mysql.RowDataPacket[]>('SELECT id, v, s FROM items');
  const missing = rows.filter((r) => !state.has(r.id as number)).map((r) => r.id).slice(0, 10);
  assert.deepEqual(missing, [], `rows missing from the replayed state`);
  for (const r of rows) {
    const got = state.get(r.id as number)!;
    assert.deepEqual([got.v, got.s], [Number(r.v), r.s], `row ${r.id}`);
  }
  assert.equal(state.size, rows.length);
});
