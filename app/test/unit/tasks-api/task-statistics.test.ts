import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { ChangeBatch, ChangeEvent, Op, Position, SourceConnector } from '../../../../core/src/types.ts';
import { TaskStatistics, withTaskStatistics } from '../../../src/tasks-api/task-statistics.ts';

const pos = (n: number) => `mysql:${String(n).padStart(10, '0')}:000000000004:bin` as Position;
function ev(op: Op, table: string, opts: { version?: number; tsMs?: number; snapshot?: ChangeEvent['source']['snapshot'] } = {}): ChangeEvent {
  return {
    op, key: { id: 1 }, before: null, after: op === 'd' ? null : { id: 1 }, tsMs: Date.now(),
    table: { id: { schema: 'shop', table: `t_${table}` }, version: opts.version ?? 1, columns: [], primaryKey: ['id'] },
    source: { connector: 'mariadb', name: 'x', tsMs: opts.tsMs ?? 0, snapshot: opts.snapshot ?? (op === 'r' ? 'true' : 'false'), db: 'shop', table, position: pos(0) },
  };
}

test('statistics count what is durable: full load, inserts/updates/deletes, DDLs, states, latencies', async () => {
  const stats = new TaskStatistics();
  const acks: Position[] = [];
  const batches: ChangeBatch[] = [
    { events: [ev('r', 'a'), ev('r', 'a'), ev('r', 'b')], checkpoint: null },
    { events: [ev('r', 'b')], checkpoint: pos(1), snapshotDone: true },
    { events: [ev('c', 'a', { tsMs: Date.now() - 5000 }), ev('u', 'a', { tsMs: Date.now() - 4000 }), ev('d', 'b', { tsMs: Date.now() - 3000 })], checkpoint: pos(2) },
    { events: [ev('u', 'a', { version: 2, tsMs: Date.now() - 1000 }), ev('t', 'b', { tsMs: Date.now() - 1000 })], checkpoint: pos(3) },
  ];
  const inner: SourceConnector = {
    async *read() { for (const b of batches) yield b; },
    acknowledge: async (p) => { acks.push(p); },
    close: async () => undefined,
  };
  const src = withTaskStatistics(inner, stats);
  assert.equal(stats.source, src);
  const it = src.read({} as never)[Symbol.asyncIterator]();
  await it.next();
  await it.next();
  assert.equal(stats.tables().find((t) => t.tableName === 'a')!.fullLoadRows, 0, 'not durable yet');
  assert.equal(stats.tables()[0]!.tableState, 'Full load');
  await src.acknowledge(pos(1));
  let [a, b] = stats.tables();
  assert.equal(a!.fullLoadRows, 2);
  assert.equal(b!.fullLoadRows, 2);
  assert.equal(a!.tableState, 'Table completed');
  assert.ok(a!.fullLoadStartTime && a!.fullLoadEndTime);
  assert.equal(stats.fullLoad(new Map([['shop.a', 2], ['shop.b', 2]])).percent, 100);
  await it.next();
  await it.next();
  assert.ok(stats.latency().sourceMs! >= 1000 && stats.latency().sourceMs! < 2000);
  assert.equal(stats.latency().targetMs, null);
  await src.acknowledge(pos(3));
  [a, b] = stats.tables();
  assert.deepEqual([a!.inserts, a!.updates, a!.deletes, a!.ddls], [1, 2, 0, 1]);
  assert.deepEqual([b!.inserts, b!.updates, b!.deletes, b!.ddls], [0, 0, 1, 1]);
  assert.equal(a!.validationState, 'Not enabled');
  assert.ok(stats.latency().targetMs! >= 1000);
  assert.deepEqual(acks, [pos(1), pos(3)]);

  // a reload starts the table's full-load counters over; the signal's end completes it
  stats.reloadRequested(['shop.a'], 'snap-1');
  assert.equal(stats.tables()[0]!.tableState, 'Before load');
  assert.equal(stats.tables()[0]!.fullLoadRows, 0);
  assert.equal(stats.fullLoad(new Map([['shop.a', 2], ['shop.b', 2]])).rows, 4, "the task's full load keeps the 2 rows the initial load copied of the reloaded table");
  // persisted and restored
  const copy = TaskStatistics.restore(JSON.parse(JSON.stringify(stats.toJSON())));
  assert.equal(copy.tables()[1]!.deletes, 1);
  assert.equal(copy.fullLoad(new Map()).rows, 4);
  stats.reloadRequested(['shop.a'], 'snap-2'); // a second reload: still the initial load's rows
  assert.equal(stats.fullLoad(new Map()).rows, 4);
  stats.cancelled(['shop.b']);
  assert.equal(stats.tables()[1]!.tableState, 'Table cancelled');
});
