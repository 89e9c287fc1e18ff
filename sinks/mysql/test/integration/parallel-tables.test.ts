// Several tables loaded in parallel into MariaDB by one target with consumers: 3 (`ferry sink`, Kafka mode):
// four tables of 3000 snapshot reads and 1500 changes each, one single-partition topic per table. The writes of
// different tables overlap in time (seen from outside: IS_USED_LOCK shows the sink's per-stream named locks held by
// several connections at once), and every table equals its source state value by value. Then kill -9 of the sink
// process mid-load, a restart, and again the exact tables.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { checksum, expectedRows } from '../../../../test/helpers/sink-kit/fixtures.ts';
import { quietLog, uniqueName } from '../../../../test/helpers/sink-kit/services.ts';
import { produceLoads, sinkTask, sinkTaskDocument, tableLoads, waitCommitted, type TableLoad } from '../../../../test/helpers/sink-kit/parallel-tables.ts';
import { exited, workerLauncher } from '../../../../test/helpers/sink-kit/worker-process.ts';
import { runTaskSinkWorkers } from '../../../../app/src/task/targets.ts';
import { PromMetrics } from '../../../../runtime/src/metrics/metrics.ts';
import { lockName } from '../../src/connection.ts';
import { dropDatabase, query, tableRows, targetOptions, withMaria } from '../helpers.ts';

const databases: string[] = [];
after(async () => {
  for (const d of databases) await dropDatabase(d);
});
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function assertTables(database: string, loads: readonly TableLoad[]): Promise<void> {
  for (const l of loads) {
    const rows = await tableRows(database, l.table);
    assert.equal(rows.length, l.w.state.size, `${l.table}: one row per live source key`);
    assert.equal(checksum(rows), checksum(expectedRows(l.w)), `${l.table}: every row equals its source row, value by value`);
  }
}

test('consumers: 3 load four tables at once, each exactly', { timeout: 150000 }, async () => {
  const db = uniqueName('mypar');
  databases.push(db);
  const loads = tableLoads(db, { tables: 4, rows: 3000, changes: 1500 });
  await produceLoads(db, loads);
  const task = sinkTask(db, { type: 'mysql', ...targetOptions(db), consumers: 3, maxBatchRecords: 400, maxBatchDelayMs: 50 });
  const stop = new AbortController();
  let failed: unknown = null;
  const running = runTaskSinkWorkers({ task, log: quietLog(), metrics: new PromMetrics({ collectProcessMetrics: false }) }, stop.signal).catch((e: unknown) => { failed = e; return null; });
  // Sampled from another connection while the load runs: who holds each table's stream lock.
  const names = loads.map((l) => lockName('stream', 'db', l.stream));
  let most = 0;
  let overlaps = 0;
  const holders = new Set<string>();
  let sampling = true;
  const sampler = withMaria(async (c) => {
    while (sampling) {
      const [rows] = await c.query(`SELECT ${names.map((_, i) => `IS_USED_LOCK(?) AS h${i}`).join(', ')}`, names);
      const now = Object.values((rows as Record<string, unknown>[])[0]!).filter((v) => v !== null).map(String);
      for (const h of now) holders.add(h);
      const at = new Set(now).size;
      most = Math.max(most, at);
      if (at >= 2) overlaps++;
      await sleep(5);
    }
  });
  try {
    assert.ok(await waitCommitted(db, loads, 120000, () => failed !== null), `the target committed every event (${String(failed)})`);
  } finally {
    sampling = false;
    await sampler;
    stop.abort();
  }
  const result = await running;
  assert.equal(failed, null);
  await assertTables(db, loads);
  // The locks are sampled every few ms: on a fast machine a consumer's short writes can fall between two samples, so
  // the sampler must see at least two of the three connections (and the overlap below), not necessarily all three.
  assert.ok(holders.size >= 2 && holders.size <= 3, `two or three connections (one per consumer) seen writing the tables: ${holders.size}`);
  assert.ok(most >= 2, `writes of different tables overlapped (at most ${most} connections held stream locks at once)`);
  // Every event written at least once (summed over the consumers). More is allowed: a consumer joining after others
  // started rebalances the group, and records processed but not yet committed are delivered again (at-least-once);
  // the tables above are exact all the same, since the writes are idempotent.
  const events = loads.reduce((n, l) => n + l.w.events.length, 0);
  assert.ok(result!.db!.records >= events, `the consumers wrote every event (${result!.db!.records} records for ${events} events)`);
  console.log(`# parallel tables: ${loads.length} tables, ${result!.db!.records} records written for ${events} events, up to ${most} concurrent writers, ${overlaps} samples with 2+`);
});

test('kill -9 of the sink process (consumers: 3) mid-load, restart: every table exact', { timeout: 180000 }, async () => {
  const db = uniqueName('mypark');
  databases.push(db);
  const loads = tableLoads(db, { tables: 4, rows: 3000, changes: 1500 });
  await produceLoads(db, loads);
  const doc = sinkTaskDocument(db, { type: 'mysql', ...targetOptions(db), consumers: 3, maxBatchRecords: 300, maxBatchDelayMs: 50 });
  const workers = workerLauncher(join(import.meta.dirname, '..', '..', '..', '..', 'test', 'helpers', 'sink-kit', 'task-sink-process.ts'));
  const log: string[] = [];
  const first = workers.start(doc, new Map(), log);
  // Killed once at least three streams have applied positions (the load is under way, not over).
  const applied = async (): Promise<number> => {
    const r = await query<{ n: number }>(`SELECT count(*) AS n FROM \`${db}\`._ferry_sink_offsets`).catch(() => [{ n: 0 }]);
    return Number(r[0]!.n);
  };
  const until = Date.now() + 60000;
  while ((await applied()) < 3 && Date.now() < until && first.exitCode === null) await sleep(20);
  assert.equal(first.exitCode, null, `the sink process runs; log: ${log.join('').slice(-2000)}`);
  first.kill('SIGKILL');
  await exited(first);
  const mid = await query<{ n: number }>(`SELECT count(*) AS n FROM \`${db}\`.t1`).catch(() => [{ n: -1 }]);
  const second = workers.start(doc, new Map(), log);
  try {
    assert.ok(await waitCommitted(db, loads, 150000, () => second.exitCode !== null), `the restarted process committed every event; log: ${log.join('').slice(-2000)}`);
  } finally {
    second.kill('SIGTERM');
    await exited(second);
  }
  await assertTables(db, loads);
  console.log(`# killed with ${mid[0]!.n} rows in t1; after the restart every table is exact`);
});
