// A real source: MariaDB → Ferry → Parquet, in both modes, with the task file's targets:
//   direct mode  `ferry run` with no kafka block writes the lake in-process (app/src/task/TaskRunner.ts);
//   Kafka mode   `ferry run` writes Kafka and `ferry sink` workers (runTaskSinkWorkers) write the lake.
// Inserts, updates, deletes and an added column while it runs; the rebuilt lake must equal the table.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mysql from 'mysql2/promise';
import { parseTask } from '../../../../app/src/task-file/load-task.ts';
import { runTask } from '../../../../app/src/task/TaskRunner.ts';
import { runTaskSinkWorkers } from '../../../../app/src/task/targets.ts';
import { PromMetrics } from '../../../../runtime/src/metrics/metrics.ts';
import { query } from '../helpers/read-lake.ts';
import { quietLog, services, uniqueName } from '../../../../test/helpers/sink-kit/services.ts';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function tableState(c: mysql.Connection, db: string): Promise<string> {
  const [rows] = await c.query(`SELECT id, v, s, CAST(d AS CHAR) AS d, DATE_FORMAT(ts, '%Y-%m-%d %H:%i:%s.%f') AS ts, added FROM \`${db}\`.items ORDER BY id`);
  return hash((rows as Record<string, unknown>[]).map((r) => [r.id, r.v, r.s, r.d, r.ts, r.added ?? '\\N'].map(String).join('|')));
}

const hash = (rows: string[]) => createHash('sha256').update(rows.join('\n')).digest('hex');

async function lakeState(dir: string, order: string): Promise<string> {
  const files = `${dir}/**/*.parquet`;
  const cols = (await query(`DESCRIBE SELECT * FROM read_parquet('${files}', union_by_name = true)`)).map((d) => d.column_name);
  const added = cols.includes('added') ? 'added' : 'NULL';
  const rows = await query(`WITH l AS (SELECT *, row_number() OVER (PARTITION BY id ORDER BY ${order}) AS rn FROM read_parquet('${files}', union_by_name = true))
    SELECT id, v, s, CAST(d AS VARCHAR) AS d, strftime(ts, '%Y-%m-%d %H:%M:%S.%f') AS ts, ${added} AS added FROM l WHERE rn = 1 AND "Op" <> 'D' ORDER BY id`);
  return hash(rows.map((r) => [r.id, r.v, r.s, r.d, r.ts, r.added ?? '\\N'].map(String).join('|')));
}

async function workload(c: mysql.Connection, db: string, from: number): Promise<void> {
  for (let i = 0; i < 300; i++) {
    const id = from + i;
    await c.query(`INSERT INTO \`${db}\`.items (id, v, s, d, ts) VALUES (?, ?, ?, ?, ?)`, [id, id * 1000, `new ${id}`, (id % 1000) / 100, '2024-05-06 07:08:09.123456']);
    if (i % 3 === 0) await c.query(`UPDATE \`${db}\`.items SET v = v + 1, s = CONCAT(s, ' upd'), d = d + 0.01 WHERE id = ?`, [1 + ((i * 7) % (from - 1))]);
    if (i % 10 === 0) await c.query(`DELETE FROM \`${db}\`.items WHERE id = ?`, [1 + ((i * 13) % (from - 1))]);
  }
}

async function scenario(kafka: boolean): Promise<void> {
  const db = uniqueName(kafka ? 'ferry_sk' : 'ferry_sd');
  const admin = await mysql.createConnection({ ...services.mariadb, user: 'root', password: 'root', dateStrings: true, timezone: 'Z', supportBigNumbers: true, bigNumberStrings: true });
  await admin.query("SET time_zone = '+00:00'");
  await admin.query(`CREATE DATABASE ${db}`);
  await admin.query(`CREATE TABLE ${db}.items (id INT PRIMARY KEY, v BIGINT NOT NULL, s VARCHAR(64), d DECIMAL(12,2) NOT NULL, ts DATETIME(6) NOT NULL)`);
  const rows = Array.from({ length: 2000 }, (_, i) => [i + 1, i, `row ${i}`, (i % 1000) / 100, '2024-01-02 03:04:05.654321']);
  await admin.query(`INSERT INTO ${db}.items VALUES ?`, [rows]);
  const dir = mkdtempSync(join(tmpdir(), 'ferry-maria-lake-'));
  const task = parseTask({
    name: db, source: { engine: 'mariadb', ...services.mariadb, user: 'cdc', password: 'cdc' }, migrationType: 'full-load-and-cdc',
    tableMappings: { rules: [{ 'rule-type': 'selection', 'rule-id': '1', 'rule-name': 'all', 'rule-action': 'include', 'object-locator': { 'schema-name': db, 'table-name': '%' } }] },
    ...(kafka ? { kafka: { brokers: services.brokers, schemaRegistry: services.registryUrl, partitions: 2 } } : {}),
    targets: [{ type: 'parquet', name: 'lake', location: join(dir, 'lake'), partitioning: { by: 'none' }, maxFileAgeMs: 200 }],
    settings: { metrics: { enabled: false }, stateDir: join(dir, 'state'), offsetStore: 'sqlite', batch: { maxEvents: 500, maxDelayMs: 20 } },
  });
  const stop = new AbortController();
  const metrics = new PromMetrics({ collectProcessMetrics: false });
  const running = runTask({ task, log: quietLog(), metrics, serveMetrics: false }, stop.signal);
  const workers = kafka ? runTaskSinkWorkers({ task, log: quietLog(), metrics }, stop.signal) : Promise.resolve({});
  try {
    await sleep(1500);
    await workload(admin, db, 3001);
    await admin.query(`ALTER TABLE ${db}.items ADD COLUMN added VARCHAR(20) NULL`);
    await admin.query(`UPDATE ${db}.items SET added = CONCAT('a', id) WHERE id % 5 = 0`);
    await workload(admin, db, 4001);
    const want = await tableState(admin, db);
    const order = kafka ? '_kafka_offset DESC' : '_source_position DESC, _source_event DESC';
    let got = '';
    const deadline = Date.now() + 90000;
    while (Date.now() < deadline) {
      await sleep(1000);
      got = await lakeState(join(dir, 'lake'), order).catch(() => '');
      if (got === want) break;
    }
    assert.equal(got, want, `the lake (${kafka ? 'Kafka' : 'direct'} mode) equals the table`);
  } finally {
    stop.abort();
    await running.catch(() => {});
    await workers.catch(() => {});
    await admin.query(`DROP DATABASE ${db}`);
    await admin.end();
  }
}

test('direct mode: MariaDB → ferry run (no Kafka) → Parquet equals the table', { timeout: 180000 }, () => scenario(false));
test('Kafka mode: MariaDB → ferry run → Kafka → ferry sink → Parquet equals the table', { timeout: 180000 }, () => scenario(true));
