// Debezium's additional-conditions on execute-snapshot (validate-data --repair re-copies chosen keys with them):
// how POST /signals reads them, and that the snapshotter hands each table's condition to its chunk reads and keeps
// it in the offset state, so a restarted task goes on reading only those rows.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseSignal } from '../../src/control/control-api.ts';
import { IncrementalSnapshotter, readIncrementalState, type ChunkSource } from '../../src/snapshot/incremental-snapshotter.ts';
import type { ChangeBatch, Position } from '../../../core/src/types.ts';
import { quietLog } from '../../../test/helpers/sink-kit/quiet.ts';

test('parseSignal: additional-conditions in Debezium\'s form, and what it refuses', () => {
  assert.deepEqual(parseSignal(JSON.stringify({ type: 'execute-snapshot', tables: ['db.t'], 'additional-conditions': [{ 'data-collection': 'db.t', filter: 'id IN (4, 17)' }] })),
    { type: 'execute-snapshot', tables: ['db.t'], conditions: { 'db.t': 'id IN (4, 17)' } });
  assert.deepEqual(parseSignal(JSON.stringify({ type: 'execute-snapshot', tables: ['db.t'] })), { type: 'execute-snapshot', tables: ['db.t'] });
  for (const bad of [{ filter: 'x' }, { 'data-collection': 'db.t' }, { 'data-collection': 'db.t', filter: ' ' }]) {
    assert.match(String(parseSignal(JSON.stringify({ type: 'execute-snapshot', tables: ['db.t'], 'additional-conditions': [bad] }))), /must be an array of/);
  }
  assert.match(String(parseSignal(JSON.stringify({ type: 'execute-snapshot', tables: ['db.t'], 'additional-conditions': {} }))), /must be an array of/);
  const twice = [{ 'data-collection': 'db.t', filter: 'a = 1' }, { 'data-collection': 'db.t', filter: 'b = 1' }];
  assert.match(String(parseSignal(JSON.stringify({ type: 'execute-snapshot', tables: ['db.t'], 'additional-conditions': twice }))), /names db\.t twice/);
});

test('the snapshotter reads with the table\'s condition, keeps it in the offset state, and refuses one for a table it does not snapshot', async () => {
  const reads: (string | undefined)[] = [];
  let wm = 0;
  const source: ChunkSource = {
    watermark: async () => `pg:${String(++wm).padStart(16, '0')}` as Position,
    readChunk: async (_t, _a, _l, condition) => { reads.push(condition); return { events: [], last: null, version: 1 }; },
    version: () => 1,
    reset: () => undefined,
  };
  const s = new IncrementalSnapshotter({ chunkSize: 10, stateVersion: 1, hasPassed: (c, h) => c >= h, maxEvents: 100, log: quietLog(), validate: async () => null });
  const refused = await s.signal({ type: 'execute-snapshot', tables: ['db.t'], conditions: { 'db.u': 'x = 1' } });
  assert.equal(refused.accepted, false);
  const ok = await s.signal({ type: 'execute-snapshot', tables: ['db.t', 'db.u'], conditions: { 'db.t': 'id IN (1, 2)' } });
  assert.equal(ok.accepted, true);
  const jobs = readIncrementalState(s.state(), 1);
  assert.deepEqual(jobs.map((j) => j.conditions), [{ 'db.t': 'id IN (1, 2)' }]);
  const restored = new IncrementalSnapshotter({ chunkSize: 10, stateVersion: 1, hasPassed: (c, h) => c >= h, maxEvents: 100, log: quietLog(), validate: async () => null });
  restored.restore(s.state());
  assert.deepEqual(readIncrementalState(restored.state(), 1).map((j) => j.conditions), [{ 'db.t': 'id IN (1, 2)' }]);

  // A stream of checkpoints: the chunks of db.t (with its condition) and db.u (without) are read and emitted.
  async function* stream(): AsyncGenerator<ChangeBatch> {
    for (let i = 0; i < 200; i++) {
      yield { events: [], checkpoint: `pg:${String(1000 + i).padStart(16, '0')}` as Position };
      await new Promise((r) => setTimeout(r, 2));
    }
  }
  for await (const b of s.wrap(stream(), source, 'pg:0000000000000000' as Position)) void b;
  assert.deepEqual(reads, ['id IN (1, 2)', undefined]);
  assert.equal(s.statuses()[0]?.status, 'done');
});
