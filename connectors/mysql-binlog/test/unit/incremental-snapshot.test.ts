// Incremental snapshots with synthetic events: the chunk window's dedup, watermark passing, and the stream wrapper
// (ordering, checkpoints, state and resume) against a fake ChunkSource.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { binlogPosition } from '../../../../core/src/position.ts';
import type { ChangeBatch, ChangeEvent, Logger, Op, Position, TableSchema } from '../../../../core/src/types.ts';
import { ChunkWindow, hasPassed, keyString } from '../../src/incremental-snapshot-window.ts';
import { mysqlSnapshotter, readIncrementalState, type ChunkSource } from '../../src/incremental-snapshot.ts';
import type { EncodedKey } from '../../src/snapshot-state.ts';

const pos = (n: number, gtid?: string) => binlogPosition(gtid ? { file: 'mariadb-bin.000001', pos: n, gtid } : { file: 'mariadb-bin.000001', pos: n });
const table: TableSchema = { id: { schema: 'db', table: 't' }, version: 1, primaryKey: ['id'], columns: [] };
function ev(op: Op, id: number, v: number, tbl = 't', at = pos(1)): ChangeEvent {
  const row = { id, v };
  return {
    op, key: { id }, before: op === 'c' || op === 'r' ? null : row, after: op === 'd' ? null : row, tsMs: 0, table: tbl === 't' ? table : { ...table, id: { schema: 'db', table: tbl } },
    source: { connector: 'mariadb', name: 'x', tsMs: 0, snapshot: op === 'r' ? 'incremental' : 'false', db: 'db', table: tbl, position: at },
  };
}
const quiet: Logger = { debug() {}, info() {}, warn() {}, error() {}, child() { return quiet; } };

test('window: keys changed by the stream before or after the chunk is read are dropped; other tables and reads are ignored', () => {
  const w = new ChunkWindow('db.t', hasPassed);
  w.observe([ev('u', 2, 20), ev('c', 9, 9, 'other'), ev('r', 3, 3)]);
  assert.equal(w.filled, false);
  w.fill([ev('r', 1, 1), ev('r', 2, 2), ev('r', 3, 3), ev('r', 4, 4)], pos(500), [4]);
  w.observe([ev('d', 4, 4), ev('u', 1, 10, 'other')]);
  assert.equal(w.readyAt(pos(499)), false);
  assert.equal(w.readyAt(pos(500)), true);
  assert.deepEqual(w.take().map((e) => e.key), [{ id: 1 }, { id: 3 }]);
  assert.equal(w.dropped, 2);
  assert.deepEqual(w.last, [4]);
});

test('window: a TRUNCATE of the table empties the chunk', () => {
  const a = new ChunkWindow('db.t', hasPassed);
  a.observe([{ ...ev('t', 0, 0), key: null }]);
  a.fill([ev('r', 1, 1)], pos(10), null);
  assert.deepEqual(a.take(), []);
  const b = new ChunkWindow('db.t', hasPassed);
  b.fill([ev('r', 1, 1)], pos(10), null);
  b.observe([{ ...ev('t', 0, 0), key: null }]);
  assert.deepEqual(b.take(), []);
});

test('watermark passing: by log order, or by equal GTID states when only non-data events lie between', () => {
  assert.equal(hasPassed(pos(100, '0-1-5'), pos(200, '0-1-6')), false);
  assert.equal(hasPassed(pos(100, '0-1-6,1-1-2'), pos(200, '1-1-2,0-1-6')), true);
  assert.equal(hasPassed(pos(200), pos(200)), true);
  assert.equal(hasPassed(pos(100), pos(200)), false);
  assert.equal(keyString({ id: 1n, b: Buffer.from('ab') }), keyString({ id: 1n, b: Buffer.from('ab') }));
  assert.notEqual(keyString({ id: 1n }), keyString({ id: 1 }));
});

/** A table of `n` rows whose value column the "stream" changes; the fake source reads its current contents. */
class FakeSource implements ChunkSource {
  readonly rows = new Map<number, number>();
  binlog = 100;
  reads = 0;
  onRead: (() => void) | null = null;
  async watermark(): Promise<Position> { return pos(this.binlog); }
  async readChunk(_t: string, after: EncodedKey | null, limit: number) {
    this.reads++;
    const ids = [...this.rows.keys()].sort((a, b) => a - b).filter((id) => after === null || id > Number(after[0]));
    const take = ids.slice(0, limit);
    const events = take.map((id) => ev('r', id, this.rows.get(id)!));
    this.onRead?.();
    return { events, last: take.length === limit ? [take[take.length - 1]!] : null, version: 1 };
  }
  version(): number { return 1; }
  reset(): void {}
}

/** A controllable stream: push batches, end it. */
function controlledStream() {
  const queue: ChangeBatch[] = [];
  let wake: (() => void) | null = null;
  let ended = false;
  return {
    push(b: ChangeBatch) { queue.push(b); wake?.(); },
    end() { ended = true; wake?.(); },
    async *gen(): AsyncGenerator<ChangeBatch> {
      for (;;) {
        const b = queue.shift();
        if (b) { yield b; continue; }
        if (ended) return;
        await new Promise<void>((r) => { wake = r; });
        wake = null;
      }
    },
  };
}

test('snapshotter: chunks go out after the high watermark, never over a newer streamed change, with progress in the state', async () => {
  const src = new FakeSource();
  for (let id = 1; id <= 5; id++) src.rows.set(id, id);
  const snap = mysqlSnapshotter({ chunkSize: 2, maxEvents: 100, log: quiet, validate: async (t) => (t.includes('db.nope') ? 'unknown table db.nope' : null) });
  assert.deepEqual(await snap.signal({ type: 'execute-snapshot', tables: ['db.nope'] }), { accepted: false, reason: 'unknown table db.nope' });
  const s = controlledStream();
  const out: ChangeBatch[] = [];
  // While the first chunk is read, the stream updates key 2 (committed at 150, after the low watermark 100).
  src.onRead = () => {
    if (src.reads !== 1) return;
    src.rows.set(2, 22);
    src.binlog = 150;
    s.push({ events: [ev('u', 2, 22, 't', pos(100))], checkpoint: pos(150) });
  };
  const acc = await snap.signal({ type: 'execute-snapshot', tables: ['db.t'] });
  assert.ok(acc.accepted);
  const consumer = (async () => { for await (const b of snap.wrap(s.gen(), src, pos(100))) { out.push(b); if (snap.statuses()[0]!.status === 'done') break; } })();
  // an idle stream at the high watermark of later chunks: the snapshotter must not wait for it
  const tick = setInterval(() => s.push({ events: [], checkpoint: pos(src.binlog) }), 5);
  await consumer;
  clearInterval(tick);
  const events = out.flatMap((b) => b.events);
  const reads = events.filter((e) => e.op === 'r');
  assert.deepEqual(reads.map((e) => e.key!.id), [1, 3, 4, 5]);
  assert.ok(reads.every((e) => e.source.snapshot === 'incremental'));
  // the streamed update to key 2 precedes everything the snapshot emitted; no 'r' for key 2 at all
  assert.equal(events.findIndex((e) => e.op === 'u'), 0);
  // every batch with 'r' events has a checkpoint at/after the high watermark of its chunk and carries the progress
  const rBatches = out.filter((b) => b.events.some((e) => e.op === 'r'));
  assert.deepEqual(rBatches.map((b) => readIncrementalState(b.state).map((j) => j.after)), [[[2]], [[4]], []]);
  assert.equal(rBatches[0]!.checkpoint, pos(150));
  const st = snap.statuses()[0]!;
  assert.deepEqual([st.status, st.rowsEmitted, st.chunks, st.tablesDone], ['done', 4, 3, 1]);
});

test('snapshotter: a restart resumes after the last committed chunk', async () => {
  const src = new FakeSource();
  for (let id = 1; id <= 5; id++) src.rows.set(id, id);
  const snap = mysqlSnapshotter({ chunkSize: 2, maxEvents: 1, log: quiet, validate: async () => null });
  snap.restore({ v: 1, incremental: { jobs: [{ id: 'snap-x-1', tables: ['db.t'], index: 0, after: [2], rows: 2, chunks: 1 }] } });
  const s = controlledStream();
  const out: ChangeBatch[] = [];
  const tick = setInterval(() => s.push({ events: [], checkpoint: pos(src.binlog) }), 5);
  for await (const b of snap.wrap(s.gen(), src, pos(100))) { out.push(b); if (snap.statuses()[0]!.status === 'done') break; }
  clearInterval(tick);
  assert.deepEqual(out.flatMap((b) => b.events).map((e) => e.key!.id), [3, 4, 5]);
  // maxEvents 1: a chunk is split, only its last batch is a checkpoint
  assert.deepEqual(out.filter((b) => b.events.length > 0).map((b) => b.checkpoint !== null), [false, true, true]);
  assert.equal(snap.statuses()[0]!.rowsEmitted, 5);
  assert.equal(snap.state(), undefined);
});
