// The incremental snapshotter's stream wrapper must not keep the batches it passed on alive (it once raced each
// next() against a never-settling promise, and every reaction that left behind held a batch: all events stayed in
// memory for the life of the process). Checked with WeakRefs and a forced collection.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { IncrementalSnapshotter, type ChunkSource } from '../../src/snapshot/incremental-snapshotter.ts';
import type { ChangeBatch, Logger } from '../../../core/src/types.ts';
import { lsnPosition } from '../../../core/src/position.ts';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;
const quiet: Logger = { debug() {}, info() {}, warn() {}, error() {}, child() { return quiet; } };

const idleSource: ChunkSource = {
  watermark: async () => lsnPosition(0n),
  readChunk: async () => ({ events: [], last: null, version: 1 }),
  version: () => 1,
  reset: () => undefined,
};

test('wrap: batches passed on are not retained (no reactions left on long-lived promises)', async () => {
  const snap = new IncrementalSnapshotter({ chunkSize: 10, stateVersion: 1, hasPassed: () => true, maxEvents: 100, log: quiet, validate: async () => null });
  const refs: WeakRef<object>[] = [];
  const N = 2000;
  async function* stream(): AsyncGenerator<ChangeBatch> {
    for (let i = 0; i < N; i++) {
      const events: ChangeBatch['events'] = [];
      refs.push(new WeakRef(events));
      await new Promise((r) => setImmediate(r)); // a next() that is pending when the wrapper waits
      yield { events, checkpoint: lsnPosition(BigInt(i + 1)) };
    }
    await new Promise(() => undefined); // then the stream stays open
  }
  const it = snap.wrap(stream(), idleSource, lsnPosition(0n))[Symbol.asyncIterator]();
  for (let i = 0; i < N; i++) {
    const r = await it.next();
    assert.equal(r.value?.checkpoint, lsnPosition(BigInt(i + 1)));
  }
  for (let i = 0; i < 3; i++) {
    await new Promise((r) => setImmediate(r));
    gc();
  }
  const alive = refs.filter((r) => r.deref() !== undefined).length;
  assert.ok(alive <= 2, `${alive} of ${N} batches still reachable while the stream is open`);
  // A signal wakes the wrapper while it waits for the stream, and a chunk of an empty table then completes the job.
  assert.equal((await snap.signal({ type: 'execute-snapshot', tables: ['db.t'] })).accepted, true);
  const chunk = await it.next();
  assert.deepEqual(chunk.value?.events, []);
  assert.equal(snap.statuses()[0]!.status, 'done');
  void it.return(undefined);
});
