import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { ChangeEvent } from '../../../../core/src/types.ts';
import { parseLsnPosition } from '../../../../core/src/position.ts';
import { collect, connect, createSchema, dataEvents, sourceOptions, type TestSchema } from './helpers.ts';

let s: TestSchema;

before(async () => {
  s = await createSchema('ferry_it_handoff');
  await s.owner.query('CREATE TABLE acct (id int PRIMARY KEY, balance bigint NOT NULL, note varchar(20))');
  await s.owner.query("INSERT INTO acct SELECT g, g * 10, 'n' || g FROM generate_series(1, 60000) g");
  await s.owner.query('CREATE TABLE marker (id int PRIMARY KEY)');
});

after(async () => { await s.drop(); });

/** Applies events by key, as an upserting sink would. */
function apply(state: Map<number, Record<string, unknown>>, evs: readonly ChangeEvent[]): void {
  for (const e of evs) {
    if (e.op === 'd') state.delete(e.key!.id as number);
    else if (e.op === 'r' || e.op === 'c' || e.op === 'u') state.set(e.key!.id as number, e.after!);
  }
}

test('full-load-and-cdc under concurrent writes: snapshot + stream converge to the table, with no gap and no replay of pre-snapshot changes', async () => {
  const writer = await connect('cdc');
  await writer.query(`SET search_path = ${s.schema}`);
  let stop = false;
  let txns = 0;
  let next = 100000;
  const writing = (async () => {
    while (!stop) {
      const id = 1 + Math.floor(Math.random() * 60000);
      await writer.query('BEGIN');
      await writer.query('UPDATE acct SET balance = balance + 1, note = $2 WHERE id = $1', [id, `w${txns}`]);
      await writer.query('INSERT INTO acct VALUES ($1, 0, NULL)', [next++]);
      if (txns % 3 === 0) await writer.query('DELETE FROM acct WHERE id = $1', [1 + Math.floor(Math.random() * 60000)]);
      if (txns % 7 === 0) await writer.query('UPDATE acct SET id = $2 WHERE id = $1', [next - 1, next++]);
      await writer.query('COMMIT');
      txns++;
    }
  })();
  let snapshotEnded = 0;
  const opts = sourceOptions(s.schema, { settings: { snapshot: { chunkSize: 2000, parallelism: 2 }, batch: { maxEvents: 1000 } } });
  let marked = false;
  const run = collect(opts, null, (b) => dataEvents(b, 'marker').length > 0, {
    timeoutMs: 120000,
    onBatch: async (b, all) => {
      if (b.snapshotDone && snapshotEnded === 0) snapshotEnded = all.length;
      if (snapshotEnded > 0 && !marked && all.length > snapshotEnded + 5) {
        marked = true;
        stop = true;
        await writing;
        await s.owner.query('INSERT INTO marker VALUES (1)');
      }
    },
  });
  const { batches } = await run.finally(async () => {
    stop = true;
    await writing.catch(() => undefined);
    await writer.end();
  });
  assert.ok(snapshotEnded > 0, 'the snapshot ended');
  assert.ok(txns > 20, `the writer ran concurrently (${txns} transactions)`);
  const evs = dataEvents(batches, 'acct');
  const snap = evs.filter((e) => e.op === 'r');
  const stream = evs.filter((e) => e.op !== 'r');
  assert.ok(stream.length > 0);
  // Every streamed change belongs to a transaction that committed at or after the slot's consistent point
  // (source.position is the commit LSN): nothing the snapshot already contains is streamed again.
  const consistent = parseLsnPosition(batches[0]!.checkpoint!);
  assert.ok(stream.every((e) => parseLsnPosition(e.source.position) >= consistent));
  assert.ok(snap.every((e) => e.source.position === batches[0]!.checkpoint));
  // Converge: snapshot rows, then the stream, applied by key, equal the table.
  const state = new Map<number, Record<string, unknown>>();
  apply(state, snap);
  assert.equal(new Set(snap.map((e) => e.key!.id)).size, snap.length, 'the snapshot holds each row once');
  apply(state, stream);
  const { rows } = await s.admin.query<{ id: string; balance: string; note: string | null }>('SELECT id, balance, note FROM acct ORDER BY id');
  assert.equal(state.size, rows.length);
  for (const r of rows) assert.deepEqual(state.get(Number(r.id)), { id: Number(r.id), balance: Number(r.balance), note: r.note }, `row ${r.id}`);
});
