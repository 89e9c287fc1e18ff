import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { ChangeBatch, ChangeEvent, Position, TableSchema } from '../../../core/src/types.ts';
import { keylessReplayOf, keylessReplayOfProgress, withoutReplayedKeylessChanges } from '../../src/snapshot/resumed-keyless.ts';

const keyless: TableSchema = { id: { schema: 'db', table: 'k' }, version: 1, primaryKey: [], columns: [] };
const keyed: TableSchema = { id: { schema: 'db', table: 'p' }, version: 1, primaryKey: ['id'], columns: [] };
const pos = (n: number) => `pg:${n.toString(16).toUpperCase().padStart(16, '0')}` as Position;
const ev = (table: TableSchema, n: number): ChangeEvent => ({ op: 'c', key: null, before: null, after: { n }, tsMs: 0, table, source: { connector: 'postgresql', name: 'x', tsMs: 0, snapshot: 'false', db: 'db', table: table.id.table, position: pos(n) } });

test('a keyless table re-read at S: its changes before S are dropped, the state carries S until the stream passes it', async () => {
  async function* stream(): AsyncGenerator<ChangeBatch> {
    yield { events: [ev(keyless, 10), ev(keyed, 11)], checkpoint: pos(11) };
    yield { events: [ev(keyless, 20)], checkpoint: pos(20), state: { v: 1, incremental: { jobs: [] } } };
    yield { events: [ev(keyless, 30), ev(keyed, 31)], checkpoint: pos(31) };
    yield { events: [ev(keyless, 40)], checkpoint: pos(40) };
  }
  const out: ChangeBatch[] = [];
  for await (const b of withoutReplayedKeylessChanges(stream(), new Map([['db.k', pos(30)]]), 1)) out.push(b);
  assert.deepEqual(out.map((b) => b.events.map((e) => e.after!.n)), [[11], [], [30, 31], [40]]);
  assert.deepEqual(out.map((b) => b.state), [
    { v: 1, keylessReplay: { 'db.k': pos(30) } },
    { v: 1, incremental: { jobs: [] }, keylessReplay: { 'db.k': pos(30) } }, // merged with the source's own state
    undefined, // the stream has passed S: nothing to carry
    undefined,
  ]);
  // A restart reads it back from the committed state, or from the snapshot progress of the last snapshot batch.
  assert.deepEqual(keylessReplayOf(out[1]!.state), new Map([['db.k', pos(30)]]));
  assert.equal(keylessReplayOf({ v: 1 }), null);
  assert.deepEqual(keylessReplayOfProgress({ 'db.k': { at: pos(30) }, 'db.p': {} }), new Map([['db.k', pos(30)]]));
});
