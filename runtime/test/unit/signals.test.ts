// Debezium's signals (docs/signals.md): how each channel's signal is parsed and what is refused, and how the
// incremental snapshotter's state changes with execute, stop, pause and resume, in memory and across a restart.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseDebeziumSignal, signalOfKafkaRecord, signalOfRow } from '../../src/signals/debezium-signal.ts';
import { parseSignal } from '../../src/control/control-api.ts';
import { IncrementalSnapshotter, type ChunkSource } from '../../src/snapshot/incremental-snapshotter.ts';
import { readChannelOffset, signalRowsOf } from '../../src/snapshot/signal-table.ts';
import { signalSelector } from '../../src/signals/signal-channels.ts';
import { signalSettingsSchema, signalTopicOf } from '../../src/config/signal-settings.ts';
import type { ChangeBatch, ChangeEvent, Position } from '../../../core/src/types.ts';
import { quietLog } from '../../../test/helpers/sink-kit/quiet.ts';

test('parseDebeziumSignal: the four types in Debezium\'s data formats', () => {
  assert.deepEqual(parseDebeziumSignal('execute-snapshot', '{"data-collections": ["db.a", "db.b", "db.a"], "type": "INCREMENTAL"}', 'x1'),
    { type: 'execute-snapshot', tables: ['db.a', 'db.b'], origin: 'x1' });
  assert.deepEqual(parseDebeziumSignal('execute-snapshot', { 'data-collections': ['db.a'], 'additional-conditions': [{ 'data-collection': 'db.a', filter: 'id > 3' }] }),
    { type: 'execute-snapshot', tables: ['db.a'], conditions: { 'db.a': 'id > 3' } });
  // Debezium 2.0's single additional-condition applies to every table
  assert.deepEqual(parseDebeziumSignal('execute-snapshot', { 'data-collections': ['db.a', 'db.b'], 'additional-condition': 'v = 1' }),
    { type: 'execute-snapshot', tables: ['db.a', 'db.b'], conditions: { 'db.a': 'v = 1', 'db.b': 'v = 1' } });
  assert.deepEqual(parseDebeziumSignal('stop-snapshot', '{"data-collections": ["db.a"], "type": "incremental"}'), { type: 'stop-snapshot', tables: ['db.a'] });
  assert.deepEqual(parseDebeziumSignal('stop-snapshot', '{"type": "incremental"}'), { type: 'stop-snapshot', tables: [] });
  assert.deepEqual(parseDebeziumSignal('pause-snapshot', null), { type: 'pause-snapshot', tables: [] });
  assert.deepEqual(parseDebeziumSignal('pause-snapshot', ''), { type: 'pause-snapshot', tables: [] });
  assert.deepEqual(parseDebeziumSignal('resume-snapshot', '{"type": "INCREMENTAL"}'), { type: 'resume-snapshot', tables: [] });
});

test('parseDebeziumSignal: what is refused, with which message', () => {
  const refusals: [unknown, unknown, string][] = [
    ['log', '{"message": "x"}', 'unsupported signal type "log": Ferry takes execute-snapshot, stop-snapshot, pause-snapshot, resume-snapshot'],
    ['schema-changes', null, 'unsupported signal type "schema-changes": Ferry takes execute-snapshot, stop-snapshot, pause-snapshot, resume-snapshot'],
    [undefined, null, 'unsupported signal type undefined: Ferry takes execute-snapshot, stop-snapshot, pause-snapshot, resume-snapshot'],
    ['execute-snapshot', '{not json', 'execute-snapshot: its data is not JSON: "{not json"'],
    ['execute-snapshot', '[1]', 'execute-snapshot: its data must be a JSON object'],
    ['execute-snapshot', '{}', 'execute-snapshot: "data-collections" is missing: list the tables, e.g. {"data-collections": ["<db>.<table>"]}'],
    ['execute-snapshot', '{"data-collections": []}', 'execute-snapshot: "data-collections" is empty: execute-snapshot needs at least one table'],
    ['execute-snapshot', '{"data-collections": "db.a"}', 'execute-snapshot: "data-collections" must be an array of "<db>.<table>" names'],
    ['execute-snapshot', '{"data-collections": ["db.a"], "type": "blocking"}', 'execute-snapshot: blocking snapshots are not supported: use "type": "incremental" (the stream goes on while the tables are re-read)'],
    ['execute-snapshot', '{"data-collections": ["db.a"], "type": "full"}', 'execute-snapshot: unknown snapshot type "full" in its data: the only type is "incremental"'],
    ['execute-snapshot', '{"data-collections": ["db.a"], "surrogate-key": "k"}', 'execute-snapshot: "surrogate-key" is not supported: incremental snapshots read each table in primary-key order'],
    ['execute-snapshot', '{"data-collections": ["db.a"], "additional-conditions": [{"filter": "x"}]}', 'execute-snapshot: "additional-conditions" must be an array of {"data-collection": "<db>.<table>", "filter": "<SQL condition>"}'],
    ['pause-snapshot', '{"type": "blocking"}', 'pause-snapshot: blocking snapshots are not supported: use "type": "incremental" (the stream goes on while the tables are re-read)'],
  ];
  for (const [type, data, message] of refusals) assert.equal(parseDebeziumSignal(type, data), message);
});

test('signal table rows and Kafka records', () => {
  assert.deepEqual(signalOfRow({ id: 'ad-1', type: 'execute-snapshot', data: Buffer.from('{"data-collections": ["s.t"]}') }),
    { type: 'execute-snapshot', tables: ['s.t'], origin: 'ad-1' });
  assert.equal(signalOfRow({ id: 'ad-2', type: null, data: null }), 'the signal row "ad-2" has no type: Ferry takes execute-snapshot, stop-snapshot, pause-snapshot, resume-snapshot');
  const value = Buffer.from('{"type": "stop-snapshot", "data": {"data-collections": ["s.t"], "type": "INCREMENTAL"}}');
  assert.equal(signalOfKafkaRecord(Buffer.from('other'), value, 'prefix', 'o'), null);
  assert.equal(signalOfKafkaRecord(null, value, 'prefix', 'o'), null);
  assert.deepEqual(signalOfKafkaRecord(Buffer.from('prefix'), value, 'prefix', 't:0:5'), { type: 'stop-snapshot', tables: ['s.t'], origin: 't:0:5' });
  assert.deepEqual(signalOfKafkaRecord(Buffer.from('prefix'), Buffer.from('{"id": "u-1", "type": "pause-snapshot", "data": {}}'), 'prefix', 't:0:6'), { type: 'pause-snapshot', tables: [], origin: 'u-1' });
  assert.equal(signalOfKafkaRecord(Buffer.from('prefix'), Buffer.from('nope'), 'prefix', 'o'), 'the signal record\'s value is not JSON: send {"type": "<signal type>", "data": {...}}');
  assert.equal(signalOfKafkaRecord(Buffer.from('prefix'), null, 'prefix', 'o'), 'the signal record has no value: send {"type": "<signal type>", "data": {...}}');
  // only inserts of the signal table are signals
  const ev = (op: ChangeEvent['op'], table: string, after: Record<string, unknown> | null) => ({ op, key: { id: 1 }, before: null, after, table: { id: { schema: 'db', table } }, source: {}, tsMs: 0 }) as unknown as ChangeEvent;
  const row = { id: '1', type: 'pause-snapshot', data: null };
  assert.deepEqual(signalRowsOf([ev('c', 'sig', row), ev('u', 'sig', row), ev('c', 'other', row), ev('d', 'sig', null)], 'db.sig'), [{ type: 'pause-snapshot', tables: [], origin: '1' }]);
  assert.deepEqual(signalRowsOf([ev('c', 'sig', row)], null), []);
});

test('POST /signals: the new types, and Debezium\'s {type, data} form', () => {
  assert.deepEqual(parseSignal('{"type": "stop-snapshot"}'), { type: 'stop-snapshot', tables: [] });
  assert.deepEqual(parseSignal('{"type": "stop-snapshot", "tables": ["db.t", "db.t"]}'), { type: 'stop-snapshot', tables: ['db.t'] });
  assert.deepEqual(parseSignal('{"type": "pause-snapshot"}'), { type: 'pause-snapshot', tables: [] });
  assert.deepEqual(parseSignal('{"type": "resume-snapshot"}'), { type: 'resume-snapshot', tables: [] });
  assert.deepEqual(parseSignal('{"type": "execute-snapshot", "data": {"data-collections": ["db.t"]}}'), { type: 'execute-snapshot', tables: ['db.t'] });
  assert.equal(parseSignal('{"type": "nope"}'), 'unknown signal type "nope": the types are "execute-snapshot", "stop-snapshot", "pause-snapshot", "resume-snapshot"');
  assert.equal(parseSignal('{"type": "execute-snapshot", "tables": []}'), '"tables" must be a non-empty array of "<db>.<table>" names');
});

test('settings: Debezium\'s defaults; the selector adds the signal table', () => {
  const s = signalSettingsSchema.parse(undefined);
  assert.deepEqual(s, { enabledChannels: ['source'] });
  assert.equal(signalTopicOf(s, 'shop'), 'shop-signal');
  assert.equal(signalSettingsSchema.safeParse({ dataCollection: 'nodot' }).success, false);
  assert.equal(signalSettingsSchema.safeParse({ enabledChannels: ['kafka', 'kafka'] }).success, false);
  const base = { includes: (t: { schema: string; table: string }) => t.table === 'a', schemaPatterns: () => ['x'], loadOrder: () => 0 };
  const sel = signalSelector(base, signalSettingsSchema.parse({ dataCollection: 'db.debezium_signal' }));
  assert.equal(sel.includes({ schema: 'db', table: 'debezium_signal' }), true);
  assert.equal(sel.includes({ schema: 'x', table: 'a' }), true);
  assert.equal(sel.includes({ schema: 'x', table: 'b' }), false);
  assert.deepEqual(sel.schemaPatterns(), ['x', 'db']);
  // with the source channel off, the signal table is not captured
  assert.equal(signalSelector(base, signalSettingsSchema.parse({ dataCollection: 'db.debezium_signal', enabledChannels: ['kafka'] })), base);
});

// A fake database: tables of keyed rows, chunk reads that can be held, and a watermark that every checkpoint passes.
const pos = (n: number) => `pg:${String(n).padStart(16, '0')}` as Position;
function fakeSource(tables: Record<string, number>) {
  const reads: string[] = [];
  let hold: Promise<void> | null = null;
  let release: () => void = () => undefined;
  const source: ChunkSource = {
    watermark: async () => pos(0),
    readChunk: async (table, after, limit) => {
      reads.push(table);
      if (hold) await hold;
      const from = after === null ? 0 : Number(after[0]);
      const n = Math.min(limit, tables[table]! - from);
      const events = Array.from({ length: n }, (_, i) => ({ op: 'r', key: { id: from + i + 1 }, before: null, after: { id: from + i + 1 }, table: { id: { schema: table.split('.')[0], table: table.split('.')[1] }, primaryKey: ['id'] }, source: {}, tsMs: 0 }) as unknown as ChangeEvent);
      return { events, last: from + n < tables[table]! ? [from + n] : null, version: 1 };
    },
    version: () => 1,
    reset: () => undefined,
  };
  return { source, reads, holdReads: () => { hold = new Promise((r) => { release = r; }); }, release: () => { hold = null; release(); } };
}

/** A stream whose batches the test pushes; each is a checkpoint. */
function pushStream() {
  const queue: ChangeBatch[] = [];
  let wake: (() => void) | null = null;
  let n = 0;
  return {
    push(events: ChangeEvent[] = []) { queue.push({ events, checkpoint: pos(++n) }); wake?.(); },
    async *stream(): AsyncGenerator<ChangeBatch> {
      for (;;) {
        while (queue.length === 0) await new Promise<void>((r) => { wake = r; });
        yield queue.shift()!;
      }
    },
  };
}

const snapshotter = (signalTable: string | null = null) => new IncrementalSnapshotter({ chunkSize: 10, stateVersion: 3, hasPassed: (c, h) => c >= h, maxEvents: 100, log: quietLog(), validate: async () => null, signalTable });

/** Pulls batches until `until` holds (or 200 batches), pushing a checkpoint before each pull. */
async function drive(it: AsyncIterator<ChangeBatch>, s: ReturnType<typeof pushStream>, until: () => boolean): Promise<ChangeBatch[]> {
  const out: ChangeBatch[] = [];
  for (let i = 0; i < 200 && !until(); i++) {
    s.push();
    out.push((await it.next()).value as ChangeBatch);
  }
  return out;
}

const rowsOf = (batches: ChangeBatch[], table: string) => batches.flatMap((b) => b.events).filter((e) => e.op === 'r' && `${e.table.id.schema}.${e.table.id.table}` === table).length;

test('pause holds every job (also across a restart), resume continues it; the refusals', async () => {
  const snap = snapshotter();
  assert.deepEqual(await snap.signal({ type: 'resume-snapshot', tables: [] }), { accepted: false, reason: 'incremental snapshots are not paused' });
  assert.deepEqual(await snap.signal({ type: 'stop-snapshot', tables: [] }), { accepted: false, reason: 'stop-snapshot: no incremental snapshot is pending or running' });
  assert.equal((await snap.signal({ type: 'pause-snapshot', tables: [] })).accepted, true);
  assert.deepEqual(await snap.signal({ type: 'pause-snapshot', tables: [] }), { accepted: false, reason: 'incremental snapshots are already paused' });
  assert.equal((await snap.signal({ type: 'execute-snapshot', tables: ['db.a'], channelOffset: { topic: 'p-signal', partition: 0, next: '7' } })).accepted, true);
  const state = snap.state() as { v: number; incremental: { jobs: { tables: string[] }[]; paused?: boolean } };
  assert.equal(state.incremental.paused, true);
  assert.deepEqual(state.incremental.jobs.map((j) => j.tables), [['db.a']]);
  assert.deepEqual(readChannelOffset(state), { topic: 'p-signal', partition: 0, next: '7' });

  const db = fakeSource({ 'db.a': 25 });
  const s = pushStream();
  const it = snap.wrap(s.stream(), db.source, pos(0))[Symbol.asyncIterator]();
  await drive(it, s, () => false).then(() => undefined, () => undefined);
  assert.deepEqual(db.reads, [], 'nothing is read while paused');
  assert.deepEqual(snap.statuses().map((x) => x.status), ['done', 'paused']); // the pause signal, then the job
  await it.return?.(undefined);

  // a restart keeps the pause, the job and the channel offset
  const again = snapshotter();
  again.restore(snap.state());
  assert.equal(again.paused, true);
  assert.deepEqual(again.statuses().map((x) => [x.tables, x.status]), [[['db.a'], 'paused']]);
  assert.deepEqual(readChannelOffset(again.state()), { topic: 'p-signal', partition: 0, next: '7' });
  const s2 = pushStream();
  const it2 = again.wrap(s2.stream(), db.source, pos(0))[Symbol.asyncIterator]();
  assert.equal((await again.signal({ type: 'resume-snapshot', tables: [] })).accepted, true);
  const out = await drive(it2, s2, () => again.statuses()[0]!.status === 'done');
  assert.equal(rowsOf(out, 'db.a'), 25);
  assert.deepEqual(db.reads, ['db.a', 'db.a', 'db.a']);
  // once done, the state keeps the channel offset only
  assert.deepEqual(again.state(), { v: 3, incremental: { jobs: [], channelOffset: { topic: 'p-signal', partition: 0, next: '7' } } });
  await it2.return?.(undefined);
});

test('stop-snapshot: a table stopped while its chunk is read is discarded; the job goes on with the next; stop all', async () => {
  const snap = snapshotter();
  const db = fakeSource({ 'db.a': 40, 'db.b': 15, 'db.c': 30 });
  const s = pushStream();
  const it = snap.wrap(s.stream(), db.source, pos(0))[Symbol.asyncIterator]();
  assert.equal((await snap.signal({ type: 'execute-snapshot', tables: ['db.a', 'db.b'] })).accepted, true);
  let out = await drive(it, s, () => snap.statuses()[0]!.chunks >= 1);
  assert.equal(rowsOf(out, 'db.a'), 10);
  db.holdReads();
  await drive(it, s, () => db.reads.length >= 2);
  assert.deepEqual(await snap.signal({ type: 'stop-snapshot', tables: ['db.x'] }), { accepted: false, reason: 'stop-snapshot: db.x is not being snapshotted (pending or running)' });
  assert.equal((await snap.signal({ type: 'stop-snapshot', tables: ['db.a'] })).accepted, true);
  let turns = 0;
  await drive(it, s, () => ++turns > 5);
  assert.deepEqual(db.reads, ['db.a', 'db.a'], 'no other chunk query starts while the discarded one runs');
  db.release();
  out = await drive(it, s, () => snap.statuses()[0]!.status === 'done');
  assert.equal(rowsOf(out, 'db.a'), 0, 'the chunk of db.a read while it was stopped is discarded');
  assert.equal(rowsOf(out, 'db.b'), 15);
  const st = snap.statuses()[0]!;
  assert.deepEqual([st.tables, st.stoppedTables, st.rowsEmitted, st.tablesDone], [['db.b', 'db.a'], ['db.a'], 25, 1]);

  // stop without tables: every open job stops, the state forgets them
  assert.equal((await snap.signal({ type: 'execute-snapshot', tables: ['db.c'] })).accepted, true);
  await drive(it, s, () => snap.statuses().at(-1)!.chunks >= 1);
  assert.equal((await snap.signal({ type: 'stop-snapshot', tables: [] })).accepted, true);
  out = await drive(it, s, () => false);
  assert.equal(rowsOf(out, 'db.c'), 0);
  assert.deepEqual(snap.statuses().map((x) => [x.type, x.status]), [['execute-snapshot', 'done'], ['stop-snapshot', 'done'], ['execute-snapshot', 'stopped'], ['stop-snapshot', 'done']]);
  assert.equal(snap.state(), undefined);
  await it.return?.(undefined);
});

test('signal table: an inserted row is handled before its batch goes on, and that batch\'s state records the job', async () => {
  const snap = snapshotter('db.debezium_signal');
  const db = fakeSource({ 'db.a': 5 });
  const s = pushStream();
  const it = snap.wrap(s.stream(), db.source, pos(0))[Symbol.asyncIterator]();
  const row = (id: string, type: string, data: string | null) => ({ op: 'c', key: { id }, before: null, after: { id, type, data }, table: { id: { schema: 'db', table: 'debezium_signal' } }, source: {}, tsMs: 0 }) as unknown as ChangeEvent;
  s.push([row('s1', 'execute-snapshot', '{"data-collections": ["db.a"]}'), row('s2', 'log', '{}')]);
  const b = (await it.next()).value as ChangeBatch;
  assert.equal(b.events.length, 2, 'the snapshotter passes the signal rows on (the app stage drops them unless selected)');
  const jobs = (b.state as { incremental: { jobs: { tables: string[]; origin: string }[] } }).incremental.jobs;
  assert.deepEqual(jobs.map((j) => [j.tables, j.origin]), [[['db.a'], 's1']]);
  const out = await drive(it, s, () => snap.statuses()[0]!.status === 'done');
  assert.equal(rowsOf(out, 'db.a'), 5);
  await it.return?.(undefined);
});
