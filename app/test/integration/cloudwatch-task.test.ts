// settings.cloudwatch in a running `ferry run` (direct mode, MariaDB → PostgreSQL): the task's DMS metrics reach
// moto and are read back with GetMetricData; and a CloudWatch endpoint that never answers neither stops nor slows
// the task (every row arrives, CDCLatencyTarget stays under the bound of an unpaused run, one warning is logged).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { createServer, type Socket } from 'node:net';
import { Writable } from 'node:stream';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mysql from 'mysql2/promise';
import { CloudWatchClient, GetMetricDataCommand } from '@aws-sdk/client-cloudwatch';
import { parseTask } from '../../src/task-file/load-task.ts';
import { runTask } from '../../src/task/TaskRunner.ts';
import { PromMetrics } from '../../../runtime/src/metrics/metrics.ts';
import { createLogger } from '../../../runtime/src/log/logger.ts';
import { services, uniqueName } from '../../../test/helpers/services.ts';
import { PG, dropSchema, withPg } from '../../../sinks/postgres/test/helpers.ts';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const LOAD_ROWS = 300;
const CHANGES = 400;

interface Run { readonly namespace: string; readonly task: string; readonly latencies: number[]; readonly logLines: Record<string, unknown>[]; readonly settledEarly: boolean; readonly stopMs: number }

async function scenario(endpoint: string): Promise<Run> {
  const db = uniqueName('ferry_dmscw');
  const namespace = `FerryTest/${db}`;
  const admin = await mysql.createConnection({ ...services.mariadb, user: 'root', password: 'root' });
  await admin.query(`CREATE DATABASE ${db}`);
  await admin.query(`CREATE TABLE ${db}.items (id INT PRIMARY KEY, v VARCHAR(100) NOT NULL)`);
  await admin.query(`INSERT INTO ${db}.items VALUES ?`, [Array.from({ length: LOAD_ROWS }, (_, i) => [i + 1, `row ${i + 1}`])]);
  const out: string[] = [];
  const log = createLogger({ destination: new Writable({ write(c, _e, cb) { out.push(String(c)); cb(); } }) });
  const task = parseTask({
    name: db, source: { engine: 'mariadb', ...services.mariadb, user: 'cdc', password: 'cdc' }, migrationType: 'full-load-and-cdc',
    tableMappings: { rules: [{ 'rule-type': 'selection', 'rule-id': '1', 'rule-name': 'all', 'rule-action': 'include', 'object-locator': { 'schema-name': db, 'table-name': '%' } }] },
    targets: [{ type: 'postgres', name: 'pg', host: PG.host, port: PG.port, user: PG.user, password: PG.password, database: PG.database, stateSchema: db, maxBatchDelayMs: 20 }],
    settings: {
      metrics: { enabled: false }, stateDir: join(mkdtempSync(join(tmpdir(), 'ferry-dmscw-')), 'state'), offsetStore: 'sqlite', batch: { maxEvents: 500, maxDelayMs: 20 },
      cloudwatch: { endpoint, region: 'us-east-1', accessKeyId: 'test', secretAccessKey: 'test', namespace, intervalSeconds: 1, replicationInstanceIdentifier: 'test-instance' },
    },
  });
  const metrics = new PromMetrics({ collectProcessMetrics: false });
  const stop = new AbortController();
  let settled = false;
  const running = runTask({ task, log, metrics, serveMetrics: false }, stop.signal).finally(() => { settled = true; });
  running.catch(() => {});
  const count = () => withPg(async (c) => Number((await c.query(`SELECT count(*) AS n FROM "${db}".items`).catch(() => ({ rows: [{ n: 0 }] }))).rows[0].n));
  const latencies: number[] = [];
  try {
    for (let d = Date.now() + 60_000; (await count()) < LOAD_ROWS; await sleep(200)) assert.ok(Date.now() < d && !settled, 'the full load arrives');
    // 100 rows per second for 4 s, CDCLatencyTarget sampled from the metrics endpoint's registry meanwhile
    const t0 = Date.now();
    for (let i = 0; i < CHANGES; i++) {
      const due = t0 + i * 10;
      if (due > Date.now()) await sleep(due - Date.now());
      await admin.query(`INSERT INTO ${db}.items VALUES (?, ?)`, [LOAD_ROWS + 1 + i, `change ${i}`]);
      if (i % 25 === 0) latencies.push(Number(/ferry_dms_cdc_latency_target_seconds\{[^}]*\} (\S+)/.exec(await metrics.text())?.[1] ?? NaN));
    }
    for (let d = Date.now() + 30_000; (await count()) < LOAD_ROWS + CHANGES; await sleep(200)) assert.ok(Date.now() < d && !settled, 'every change arrives');
    await sleep(1500); // an export interval after the last change
    const settledEarly = settled;
    const s0 = Date.now();
    stop.abort();
    await running;
    return { namespace, task: db, latencies, logLines: out.join('').split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>), settledEarly, stopMs: Date.now() - s0 };
  } finally {
    stop.abort();
    await running.catch(() => {});
    await admin.query(`DROP DATABASE ${db}`);
    await admin.end();
    await dropSchema(db);
  }
}

test('settings.cloudwatch: a running task publishes its DMS metrics to CloudWatch (moto), read back with GetMetricData', { timeout: 90_000 }, async () => {
  const run = await scenario(services.motoUrl);
  assert.equal(run.settledEarly, false, 'the task ran until stopped');
  const cw = new CloudWatchClient({ region: 'us-east-1', endpoint: services.motoUrl, credentials: { accessKeyId: 'test', secretAccessKey: 'test' } });
  const dims = [{ Name: 'ReplicationInstanceIdentifier', Value: 'test-instance' }, { Name: 'ReplicationTaskIdentifier', Value: run.task }];
  const now = Date.now();
  const names = ['FullLoadThroughputRowsTarget', 'CDCThroughputRowsSource', 'CDCThroughputRowsTarget', 'CDCIncomingChanges', 'CDCLatencyTarget'];
  const got = await cw.send(new GetMetricDataCommand({
    StartTime: new Date(now - 600_000), EndTime: new Date(now + 60_000),
    MetricDataQueries: names.map((name, i) => ({ Id: `m${i}`, MetricStat: { Metric: { Namespace: run.namespace, MetricName: name, Dimensions: dims }, Period: 60, Stat: 'Maximum' } })),
  }));
  const maxOf = Object.fromEntries((got.MetricDataResults ?? []).map((r) => [names[Number(r.Id!.slice(1))]!, Math.max(...(r.Values ?? []))]));
  cw.destroy();
  // the full load's 300 rows over the 5 s window: at least 60 rows/s at its peak; the changes came at 100 rows/s
  assert.ok(maxOf.FullLoadThroughputRowsTarget! >= 54, `FullLoadThroughputRowsTarget peaked at ${maxOf.FullLoadThroughputRowsTarget}`);
  assert.ok(maxOf.CDCThroughputRowsSource! >= 50 && maxOf.CDCThroughputRowsSource! <= 150, `CDCThroughputRowsSource peaked at ${maxOf.CDCThroughputRowsSource} for 100 rows/s`);
  assert.ok(maxOf.CDCThroughputRowsTarget! >= 50, `CDCThroughputRowsTarget peaked at ${maxOf.CDCThroughputRowsTarget}`);
  assert.ok(Number.isFinite(maxOf.CDCIncomingChanges) && Number.isFinite(maxOf.CDCLatencyTarget), 'CDCIncomingChanges and CDCLatencyTarget were published');
  assert.equal(run.logLines.filter((l) => String(l.msg).startsWith('CloudWatch export failed')).length, 0);
});

test('an unreachable CloudWatch endpoint neither stops nor slows the task', { timeout: 90_000 }, async () => {
  const sockets: Socket[] = [];
  const blackhole = createServer((s) => { sockets.push(s); }); // accepts, never answers
  await new Promise<void>((r) => blackhole.listen(0, '127.0.0.1', () => r()));
  try {
    const run = await scenario(`http://127.0.0.1:${(blackhole.address() as { port: number }).port}`);
    assert.equal(run.settledEarly, false, 'the task kept running');
    assert.ok(run.latencies.length >= 10 && run.latencies.every((l) => l <= 2), `CDCLatencyTarget stayed within 2 s: ${run.latencies.join(', ')}`);
    const warns = run.logLines.filter((l) => String(l.msg).startsWith('CloudWatch export failed'));
    assert.equal(warns.length, 1, `one warning for the failure streak: ${JSON.stringify(run.logLines.filter((l) => String(l.msg).includes("CloudWatch")))}`);
    assert.ok(run.stopMs < 15_000, `the stop took ${run.stopMs} ms (the exporter's last attempt is bounded to 5 s)`);
  } finally {
    for (const s of sockets) s.destroy();
    await new Promise((r) => blackhole.close(r));
  }
});
