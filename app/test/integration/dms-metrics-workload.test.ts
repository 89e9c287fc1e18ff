// DMS's task metrics under a known workload, read from GET /metrics of a running `ferry run` (direct mode,
// MariaDB → PostgreSQL): a 2,000-row full load, then 50 single-row inserts per second for 12 s, with the target
// table locked in PostgreSQL from second 4 to second 8 (the sink's writes wait: a real pause in the target).
//
// Tolerances: MariaDB's binlog timestamps have a resolution of one second, and the gauges are recomputed every
// 0.5 s, so latencies are asserted within 1.5 s; rates are averaged over 5 s (RATE_WINDOW_MS) and compared with the
// rows actually inserted in that window, within 25 %.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mysql from 'mysql2/promise';
import pg from 'pg';
import { parseTask } from '../../src/task-file/load-task.ts';
import { runTask } from '../../src/task/TaskRunner.ts';
import { PromMetrics } from '../../../runtime/src/metrics/metrics.ts';
import { RATE_WINDOW_MS } from '../../../runtime/src/metrics/dms-metrics.ts';
import { quietLog } from '../../../test/helpers/sink-kit/quiet.ts';
import { freePort, services, uniqueName } from '../../../test/helpers/services.ts';
import { PG, dropSchema, withPg } from '../../../sinks/postgres/test/helpers.ts';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const RATE = 50; // rows per second
const CDC_MS = 12_000;
const PAUSE_FROM = 4000;
const PAUSE_TO = 8000;
const LOAD_ROWS = 2000;
const WINDOW_S = RATE_WINDOW_MS / 1000;

interface Sample { readonly at: number; readonly v: Record<string, number> }

/** ferry_dms_* gauges of the task from the Prometheus text, by Prometheus name (without ferry_dms_). */
async function scrape(url: string): Promise<Record<string, number>> {
  const text = await (await fetch(url)).text();
  const out: Record<string, number> = {};
  for (const line of text.split('\n')) {
    const m = /^ferry_dms_([a-z_]+)\{[^}]*\} (\S+)$/.exec(line);
    if (m) out[m[1]!] = Number(m[2]);
  }
  return out;
}

test('DMS metrics under a known workload: latency rises during a target pause and falls after; throughput follows the rate', { timeout: 90_000 }, async () => {
  const db = uniqueName('ferry_dmsm');
  const admin = await mysql.createConnection({ ...services.mariadb, user: 'root', password: 'root' });
  await admin.query(`CREATE DATABASE ${db}`);
  await admin.query(`CREATE TABLE ${db}.items (id INT PRIMARY KEY, v VARCHAR(100) NOT NULL)`);
  await admin.query(`INSERT INTO ${db}.items VALUES ?`, [Array.from({ length: LOAD_ROWS }, (_, i) => [i + 1, `loaded row ${i + 1}`])]);
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'ferry-dms-metrics-'));
  const task = parseTask({
    name: db, source: { engine: 'mariadb', ...services.mariadb, user: 'cdc', password: 'cdc' }, migrationType: 'full-load-and-cdc',
    tableMappings: { rules: [{ 'rule-type': 'selection', 'rule-id': '1', 'rule-name': 'all', 'rule-action': 'include', 'object-locator': { 'schema-name': db, 'table-name': '%' } }] },
    targets: [{ type: 'postgres', name: 'pg', host: PG.host, port: PG.port, user: PG.user, password: PG.password, database: PG.database, stateSchema: db, maxBatchDelayMs: 20 }],
    settings: { metrics: { enabled: true, host: '127.0.0.1', port }, stateDir: join(dir, 'state'), offsetStore: 'sqlite', batch: { maxEvents: 500, maxDelayMs: 20 } },
  });
  const url = `http://127.0.0.1:${port}/metrics`;
  const stop = new AbortController();
  const running = runTask({ task, log: quietLog(), metrics: new PromMetrics({ collectProcessMetrics: false }) }, stop.signal);
  running.catch(() => {});
  const samples: Sample[] = [];
  let sampling = true;
  const sampler = (async () => {
    while (sampling) {
      const at = Date.now();
      const v = await scrape(url).catch(() => null);
      if (v && Object.keys(v).length > 0) samples.push({ at, v });
      await sleep(200);
    }
  })();
  const count = () => withPg(async (c) => Number((await c.query(`SELECT count(*) AS n FROM "${db}".items`).catch(() => ({ rows: [{ n: 0 }] }))).rows[0].n));
  const locker = new pg.Client({ host: PG.host, port: PG.port, user: PG.user, password: PG.password, database: PG.database });
  try {
    const taskStart = Date.now();
    for (let d = Date.now() + 60_000; (await count()) < LOAD_ROWS; await sleep(200)) assert.ok(Date.now() < d, 'the full load reaches PostgreSQL');
    await sleep(WINDOW_S * 1000 + 1000); // the full load's rows leave the rate window
    const fullLoadSamples = samples.filter((s) => s.at >= taskStart);

    // CDC: RATE rows per second, the target table locked from PAUSE_FROM to PAUSE_TO
    await locker.connect();
    const inserted: number[] = []; // time each insert returned
    const t0 = Date.now();
    let locked = false;
    let unlockedAt = 0;
    for (let i = 0; i < (CDC_MS / 1000) * RATE; i++) {
      const due = t0 + (i * 1000) / RATE;
      if (due > Date.now()) await sleep(due - Date.now());
      if (!locked && Date.now() - t0 >= PAUSE_FROM) {
        await locker.query('BEGIN');
        await locker.query(`LOCK TABLE "${db}".items IN ACCESS EXCLUSIVE MODE`);
        locked = true;
      }
      if (locked && unlockedAt === 0 && Date.now() - t0 >= PAUSE_TO) { await locker.query('COMMIT'); unlockedAt = Date.now(); }
      await admin.query(`INSERT INTO ${db}.items VALUES (?, ?)`, [LOAD_ROWS + 1 + i, `change ${i}`]);
      inserted.push(Date.now());
    }
    if (unlockedAt === 0) { await locker.query('COMMIT'); unlockedAt = Date.now(); }
    const total = LOAD_ROWS + inserted.length;
    for (let d = Date.now() + 30_000; (await count()) < total; await sleep(200)) assert.ok(Date.now() < d, 'every change reaches PostgreSQL');
    await sleep(1500);
    sampling = false;
    await sampler;

    const at = (from: number, to: number) => samples.filter((s) => s.at >= from && s.at <= to);
    const max = (ss: Sample[], k: string) => Math.max(...ss.map((s) => s.v[k] ?? 0));
    const pausedAt = t0 + PAUSE_FROM;
    const during = at(pausedAt + 2500, unlockedAt);
    assert.ok(during.length >= 3, `samples during the pause (${during.length})`);

    // Full load: FullLoadThroughputRows* saw the 2,000 rows (averaged over the window: at least 2,000 / 5 s)
    const flSource = max(fullLoadSamples, 'full_load_throughput_rows_source_per_second');
    const flTarget = max(fullLoadSamples, 'full_load_throughput_rows_target_per_second');
    assert.ok(flSource >= (LOAD_ROWS / WINDOW_S) * 0.9, `FullLoadThroughputRowsSource peaked at ${flSource} rows/s`);
    assert.ok(flTarget >= (LOAD_ROWS / WINDOW_S) * 0.9, `FullLoadThroughputRowsTarget peaked at ${flTarget} rows/s`);
    assert.ok(max(fullLoadSamples, 'full_load_throughput_bandwidth_target_kb_per_second') > 0, 'FullLoadThroughputBandwidthTarget > 0');
    assert.equal(max(at(t0 + 1000, Date.now()), 'full_load_throughput_rows_target_per_second'), 0, 'no full-load rows once the load is over');

    // Latency: before the pause both are small; during it the target's grows with the pause, the source's does not
    const before = at(t0 + 1500, pausedAt - 200);
    assert.ok(max(before, 'cdc_latency_target_seconds') <= 1.5, `CDCLatencyTarget before the pause: ${max(before, 'cdc_latency_target_seconds')} s`);
    const peak = max(during, 'cdc_latency_target_seconds');
    const pauseSeconds = (unlockedAt - pausedAt) / 1000;
    assert.ok(peak >= pauseSeconds - 1.5 && peak <= pauseSeconds + 1.5, `CDCLatencyTarget peaked at ${peak} s for a pause of ${pauseSeconds.toFixed(1)} s`);
    assert.ok(max(during, 'cdc_latency_source_seconds') <= 1.5, `CDCLatencySource stays low while the target is paused: ${max(during, 'cdc_latency_source_seconds')} s`);
    const after = at(unlockedAt + 3000, t0 + CDC_MS);
    assert.ok(after.length >= 2, 'samples after the pause');
    assert.ok(max(after, 'cdc_latency_target_seconds') <= 1.5, `CDCLatencyTarget falls after the pause: ${max(after, 'cdc_latency_target_seconds')} s`);

    // Incoming changes: the rows inserted during the pause wait (in memory: queued and in the blocked write)
    const last = during.at(-1)!;
    const insertedSincePause = inserted.filter((t) => t >= pausedAt && t <= last.at).length;
    assert.ok(last.v.cdc_incoming_changes! >= insertedSincePause * 0.75 && last.v.cdc_incoming_changes! <= insertedSincePause + 30,
      `CDCIncomingChanges ${last.v.cdc_incoming_changes} for ${insertedSincePause} rows inserted since the pause`);
    assert.equal(last.v.cdc_incoming_changes, last.v.cdc_changes_memory_source! + last.v.cdc_changes_memory_target!, 'incoming = memory source + memory target (nothing on disk)');
    assert.ok(last.v.cdc_changes_memory_target! > 0, 'a batch is held in the paused write');
    const end = samples.at(-1)!;
    assert.equal(end.v.cdc_incoming_changes, 0, 'nothing waits once drained');
    assert.equal(end.v.cdc_changes_disk_source, 0);

    // Throughput: the source reads at the insert rate throughout; the target stalls, then catches up faster
    const steady = at(unlockedAt + 1000, t0 + CDC_MS).at(-1)!;
    const actual = inserted.filter((t) => t > steady.at - RATE_WINDOW_MS && t <= steady.at).length / WINDOW_S;
    const src = steady.v.cdc_throughput_rows_source_per_second!;
    assert.ok(Math.abs(src - actual) <= actual * 0.25, `CDCThroughputRowsSource ${src} rows/s for ${actual} rows/s inserted`);
    assert.ok(last.v.cdc_throughput_rows_target_per_second! < last.v.cdc_throughput_rows_source_per_second! * 0.5,
      `CDCThroughputRowsTarget ${last.v.cdc_throughput_rows_target_per_second} < half the source's ${last.v.cdc_throughput_rows_source_per_second} at the end of the pause`);
    const catchUp = max(at(unlockedAt, unlockedAt + RATE_WINDOW_MS), 'cdc_throughput_rows_target_per_second');
    assert.ok(catchUp > RATE * 1.2, `CDCThroughputRowsTarget ${catchUp} rows/s while the backlog drains (insert rate ${RATE})`);
    assert.ok(steady.v.cdc_throughput_bandwidth_source_kb_per_second! > 0, 'CDCThroughputBandwidthSource > 0');
  } finally {
    sampling = false;
    await sampler;
    await locker.query('ROLLBACK').catch(() => {});
    await locker.end().catch(() => {});
    stop.abort();
    await running.catch(() => {});
    await admin.query(`DROP DATABASE ${db}`);
    await admin.end();
    await dropSchema(db);
  }
});
