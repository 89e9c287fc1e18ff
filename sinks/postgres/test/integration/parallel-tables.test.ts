// Several tables loaded in parallel into PostgreSQL by one target with consumers: 3 (`ferry sink`, Kafka mode):
// four tables of 3000 snapshot reads and 1500 changes each, one single-partition topic per table. The writes of
// different tables overlap in time (seen from outside: PostgreSQL's lock table shows the sink's per-stream advisory
// locks held by several sessions at once), and every table equals its source state value by value. Then kill -9 of
// the sink process mid-load, a restart, and again the exact tables.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import type pg from 'pg';
import { checksum, expectedRows } from '../../../../test/helpers/sink-kit/fixtures.ts';
import { quietLog, uniqueName } from '../../../../test/helpers/sink-kit/services.ts';
import { produceLoads, sinkTask, sinkTaskDocument, tableLoads, waitCommitted, type TableLoad } from '../../../../test/helpers/sink-kit/parallel-tables.ts';
import { exited, workerLauncher } from '../../../../test/helpers/sink-kit/worker-process.ts';
import { runTaskSinkWorkers } from '../../../../app/src/task/targets.ts';
import { PromMetrics } from '../../../../runtime/src/metrics/metrics.ts';
import { dropSchema, tableRows, targetOptions, withPg } from '../helpers.ts';

const schemas: string[] = [];
after(async () => {
  for (const s of schemas) await dropSchema(s);
});
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The sessions that hold the sink's advisory lock of one of the streams right now (pg-sql.ts LOCK_STREAM). */
async function lockHolders(c: pg.Client, sink: string, streams: readonly string[]): Promise<number[]> {
  const r = await c.query(`SELECT DISTINCT l.pid FROM pg_locks l
    WHERE l.locktype = 'advisory' AND l.granted AND l.objsubid = 1
      AND ((l.classid::bigint << 32) | l.objid::bigint) IN (SELECT hashtextextended('ferry-sink:' || $1 || ':' || s, 0) FROM unnest($2::text[]) s)`, [sink, streams]);
  return (r.rows as { pid: number }[]).map((x) => x.pid);
}

async function assertTables(schema: string, loads: readonly TableLoad[]): Promise<void> {
  for (const l of loads) {
    const rows = await tableRows(schema, l.table);
    assert.equal(rows.length, l.w.state.size, `${l.table}: one row per live source key`);
    assert.equal(checksum(rows), checksum(expectedRows(l.w)), `${l.table}: every row equals its source row, value by value`);
  }
}

test('consumers: 3 load four tables at once, each exactly', { timeout: 150000 }, async () => {
  const prefix = uniqueName('pgpar');
  schemas.push(prefix);
  const loads = tableLoads(prefix, { tables: 4, rows: 3000, changes: 1500 });
  await produceLoads(prefix, loads);
  const task = sinkTask(prefix, { type: 'postgres', ...targetOptions(prefix), consumers: 3, maxBatchRecords: 400, maxBatchDelayMs: 50 });
  const stop = new AbortController();
  let failed: unknown = null;
  const metrics = new PromMetrics({ collectProcessMetrics: false });
  // The test broker forms a group at once (group.initial.rebalance.delay.ms=0), so the first consumer to join takes
  // all four topics, and the others get theirs when it learns of the rebalance from a heartbeat: at the default 3 s
  // interval it could load every table alone first (a CI rehearsal saw one session). 200 ms settles the group early.
  const consumer = { sessionTimeoutMs: 10000, heartbeatIntervalMs: 200, rebalanceTimeoutMs: 10000 };
  const running = runTaskSinkWorkers({ task, log: quietLog(), metrics, consumer }, stop.signal).catch((e: unknown) => { failed = e; return null; });
  // Sampled from another session while the load runs.
  let most = 0;
  const sessions = new Set<number>();
  let sampling = true;
  const sampler = withPg(async (c) => {
    while (sampling) {
      // A session is seen writing while it holds a stream lock, or while its last statement names the schema (a
      // sample between its statements sees BEGIN or COMMIT there, hence both).
      const holders = await lockHolders(c, 'db', loads.map((l) => l.stream));
      most = Math.max(most, holders.length);
      for (const pid of holders) sessions.add(pid);
      const r = await c.query(`SELECT DISTINCT pid FROM pg_stat_activity WHERE datname = 'shop' AND query LIKE $1 AND pid <> pg_backend_pid()`, [`%"${prefix}"%`]);
      for (const row of r.rows as { pid: number }[]) sessions.add(row.pid);
      await sleep(5);
    }
  });
  try {
    assert.ok(await waitCommitted(prefix, loads, 120000, () => failed !== null), `the target committed every event (${String(failed)})`);
  } finally {
    sampling = false;
    await sampler;
    stop.abort();
  }
  const result = await running;
  assert.equal(failed, null);
  assert.equal(sessions.size, 3, 'three sessions wrote the tables (one per consumer)');
  assert.ok(most >= 2, `writes of different tables overlapped (at most ${most} sessions held stream locks at once)`);
  // Every event written at least once (summed over the consumers). More is allowed: a consumer joining after others
  // started rebalances the group, and records processed but not yet committed are delivered again (at-least-once);
  // the tables above are exact all the same, since the writes are idempotent.
  const events = loads.reduce((n, l) => n + l.w.events.length, 0);
  assert.ok(result!.db!.records >= events, `the consumers wrote every event (${result!.db!.records} records for ${events} events)`);
  await assertTables(prefix, loads);
  console.log(`# parallel tables: ${loads.length} tables, ${result!.db!.records} records written for ${events} events, up to ${most} concurrent writers`);
});

test('kill -9 of the sink process (consumers: 3) mid-load, restart: every table exact', { timeout: 180000 }, async () => {
  const prefix = uniqueName('pgpark');
  schemas.push(prefix);
  const loads = tableLoads(prefix, { tables: 4, rows: 3000, changes: 1500 });
  await produceLoads(prefix, loads);
  const doc = sinkTaskDocument(prefix, { type: 'postgres', ...targetOptions(prefix), consumers: 3, maxBatchRecords: 300, maxBatchDelayMs: 50 });
  const workers = workerLauncher(join(import.meta.dirname, '..', '..', '..', '..', 'test', 'helpers', 'sink-kit', 'task-sink-process.ts'));
  const log: string[] = [];
  const first = workers.start(doc, new Map(), log);
  // Kill once some of every table... is applied but not all: positions moved, load unfinished.
  const applied = async (): Promise<number> => withPg(async (c) => {
    const r = await c.query(`SELECT count(*)::int AS n FROM "${prefix}"._ferry_sink_offsets`).catch(() => ({ rows: [{ n: 0 }] }));
    return (r.rows[0] as { n: number }).n;
  });
  const until = Date.now() + 60000;
  while ((await applied()) < 3 && Date.now() < until && first.exitCode === null) await sleep(20);
  assert.equal(first.exitCode, null, `the sink process runs; log: ${log.join('').slice(-2000)}`);
  first.kill('SIGKILL');
  await exited(first);
  const mid = await withPg(async (c) => (await c.query(`SELECT count(*)::int AS n FROM "${prefix}".t1`).catch(() => ({ rows: [{ n: -1 }] }))).rows[0] as { n: number });
  const second = workers.start(doc, new Map(), log);
  try {
    assert.ok(await waitCommitted(prefix, loads, 150000, () => second.exitCode !== null), `the restarted process committed every event; log: ${log.join('').slice(-2000)}`);
  } finally {
    second.kill('SIGTERM');
    await exited(second);
  }
  await assertTables(prefix, loads);
  console.log(`# killed with ${mid.n} rows in t1; after the restart every table is exact`);
});

test('one consumer failing (a target table it cannot take) stops the whole target with that error', { timeout: 120000 }, async () => {
  const prefix = uniqueName('pgparf');
  schemas.push(prefix);
  const loads = tableLoads(prefix, { tables: 4, rows: 500, changes: 0 });
  await produceLoads(prefix, loads);
  await withPg(async (c) => {
    await c.query(`CREATE SCHEMA "${prefix}"`);
    await c.query(`CREATE TABLE "${prefix}".t3 (id bigint PRIMARY KEY, ratio date)`); // the events' ratio is a float
  });
  const task = sinkTask(prefix, { type: 'postgres', ...targetOptions(prefix), consumers: 3, maxBatchDelayMs: 50 });
  const started = Date.now();
  await assert.rejects(runTaskSinkWorkers({ task, log: quietLog(), metrics: new PromMetrics({ collectProcessMetrics: false }) }, new AbortController().signal),
    (e: { code?: string; message?: string }) => e.code === 'FERRY_TARGET_SCHEMA_CHANGE' && /t3/.test(e.message ?? ''));
  assert.ok(Date.now() - started < 60000, 'every consumer stopped after the failure');
  await withPg(async (c) => {
    const open = (await c.query(`SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = 'shop' AND query LIKE $1 AND pid <> pg_backend_pid()`, [`%"${prefix}"%`])).rows[0] as { n: number };
    assert.equal(open.n, 0, 'the consumers’ connections are closed');
  });
});
