// The lock-free initial snapshot as a job of the incremental snapshotter (queueInitial): its reads carry the initial
// snapshot's markers and the batch of its last chunk has snapshotDone; a chunk read at a position older than its
// window is read again, not emitted; stop-snapshot leaves it alone; a chunk that keeps failing fails the stream.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { IncrementalSnapshotter, INITIAL_SNAPSHOT_ID, type ChunkSource } from '../../src/snapshot/incremental-snapshotter.ts';
import type { ChangeBatch, ChangeEvent, Logger, Position, TableSchema } from '../../../core/src/types.ts';
import { lsnPosition } from '../../../core/src/position.ts';
import { FerryError } from '../../../core/src/errors.ts';

const quiet: Logger = { debug() {}, info() {}, warn() {}, error() {}, child() { return quiet; } };
const table: TableSchema = { id: { schema: 'db', table: 't' }, version: 1, columns: [], primaryKey: ['id'] } as unknown as TableSchema;
const row = (id: number, v: number): ChangeEvent => ({
  op: 'r', key: { id }, before: null, after: { id, v }, tsMs: 0, table,
  source: { connector: 'mysql', name: 'x', tsMs: 0, snapshot: 'incremental', db: 'db', table: 't', position: '' as Position },
});
const snapshotter = (onInitialRows?: (t: string, n: number, done: boolean) => void) => new IncrementalSnapshotter({
  chunkSize: 2, stateVersion: 1, hasPassed: (c, h) => c >= h, maxEvents: 100, log: quiet, validate: async () => null, ...(onInitialRows ? { onInitialRows } : {}),
});

/** A stream that yields the given batches, one per pull, then stays open. */
async function* stream(batches: ChangeBatch[]): AsyncGenerator<ChangeBatch> {
  for (const b of batches) {
    await new Promise((r) => setTimeout(r, 5));
    yield b;
  }
  await new Promise(() => undefined);
}

async function take(it: AsyncIterator<ChangeBatch>, until: (b: ChangeBatch) => boolean): Promise<ChangeBatch[]> {
  const out: ChangeBatch[] = [];
  for (;;) {
    const r = await it.next();
    if (r.done) return out;
    out.push(r.value);
    if (until(r.value)) return out;
  }
}

test('initial job: first/true/last markers, snapshotDone on its last batch, progress per chunk, and stop-snapshot refused', async () => {
  const progress: [string, number, boolean][] = [];
  const snap = snapshotter((t, n, d) => progress.push([t, n, d]));
  const rows = [row(1, 10), row(2, 20), row(3, 30)];
  const source: ChunkSource = {
    watermark: async () => lsnPosition(1n),
    readChunk: async (_t, after) => {
      const from = after === null ? 0 : Number(after[0]);
      const chunk = rows.filter((r) => Number(r.key!.id) > from).slice(0, 2);
      return { events: chunk, last: chunk.length === 2 ? [chunk[1]!.key!.id] : null, version: 1 };
    },
    version: () => 1, reset: () => undefined,
  };
  snap.queueInitial(['db.t']);
  assert.equal(snap.initialPending, true);
  assert.deepEqual((await snap.signal({ type: 'stop-snapshot', tables: [] })), { accepted: false, reason: 'stop-snapshot: no incremental snapshot is pending or running' });
  const it = snap.wrap(stream([{ events: [], checkpoint: lsnPosition(2n) }, { events: [], checkpoint: lsnPosition(3n) }, { events: [], checkpoint: lsnPosition(4n) }]), source, lsnPosition(1n))[Symbol.asyncIterator]();
  const got = await take(it, (b) => b.snapshotDone === true);
  const reads = got.flatMap((b) => b.events);
  assert.deepEqual(reads.map((e) => [e.key!.id, e.source.snapshot]), [[1, 'first'], [2, 'true'], [3, 'last']]);
  assert.equal(got.filter((b) => b.snapshotDone).length, 1);
  assert.equal(got.at(-1)!.state, undefined, 'no open job left in the state');
  assert.deepEqual(progress, [['db.t', 2, false], ['db.t', 1, true]]);
  assert.equal(snap.initialPending, false);
  assert.equal(snap.statuses()[0]!.id, INITIAL_SNAPSHOT_ID);
  void it.return(undefined);
});

test('a chunk read at a position older than its window is read again: the stale value is never emitted', async () => {
  const snap = snapshotter();
  let reads = 0;
  const source: ChunkSource = {
    watermark: async () => lsnPosition(5n),
    // The first read saw position 2 (before the window opened at the stream's checkpoint 3): it misses the change at 3.
    readChunk: async () => (++reads === 1 ? { events: [row(1, 10)], last: null, version: 1, at: lsnPosition(2n) } : { events: [row(1, 11)], last: null, version: 1, at: lsnPosition(5n) }),
    version: () => 1, reset: () => undefined,
  };
  snap.queueInitial(['db.t']);
  // The change of key 1 (to v 11, at 2) was streamed before the window opened at the stream's checkpoint 3: the window
  // never sees it, so only the position check keeps the first read's v 10 from going out after it.
  const batches: ChangeBatch[] = [];
  for (let i = 4n; i < 12n; i++) batches.push({ events: [], checkpoint: lsnPosition(i) });
  const it = snap.wrap(stream(batches), source, lsnPosition(3n))[Symbol.asyncIterator]();
  const got = await take(it, (b) => b.snapshotDone === true);
  assert.deepEqual(got.flatMap((b) => b.events).filter((e) => e.op === 'r').map((e) => e.after), [{ id: 1, v: 11 }]);
  assert.equal(reads, 2);
  void it.return(undefined);
});

test('an initial chunk that keeps failing fails the stream (the task restarts from its checkpoint), after the retries', async () => {
  const snap = snapshotter();
  let calls = 0;
  const source: ChunkSource = {
    watermark: async () => lsnPosition(1n),
    readChunk: async () => { calls++; throw new Error('connection lost'); },
    version: () => 1, reset: () => undefined,
  };
  snap.queueInitial(['db.t']);
  const batches: ChangeBatch[] = [];
  for (let i = 2n; i < 30n; i++) batches.push({ events: [], checkpoint: lsnPosition(i) });
  const it = snap.wrap(stream(batches), source, lsnPosition(1n))[Symbol.asyncIterator]();
  await assert.rejects(take(it, () => false), (e: unknown) => e instanceof FerryError && e.code === 'FERRY_SOURCE_ERROR' && /^the initial snapshot failed: db\.t: connection lost/.test(e.message));
  assert.equal(calls, 3);
});
