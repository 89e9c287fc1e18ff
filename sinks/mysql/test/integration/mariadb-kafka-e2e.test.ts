// A real source end to end in Kafka mode: MariaDB → ferry run (full-load-and-cdc) → Kafka → ferry sink workers →
// MariaDB (another database of the same server). Inserts, updates, deletes, an added column, 2- and 3-column keys and
// a table without a primary key change while it runs; then every row of every table is read back from both
// databases with mysql2 and compared, value by value.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mysql from 'mysql2/promise';
import { parseTask } from '../../../../app/src/task-file/load-task.ts';
import { runTask } from '../../../../app/src/task/TaskRunner.ts';
import { runTaskSinkWorkers } from '../../../../app/src/task/targets.ts';
import { PromMetrics } from '../../../../runtime/src/metrics/metrics.ts';
import { quietLog } from '../../../../test/helpers/sink-kit/quiet.ts';
import { createLogger } from '../../../../runtime/src/log/logger.ts';
import { waitForLog, watchingLog } from '../../../../test/helpers/watching-log.ts';
import { services, uniqueName } from '../../../../test/helpers/services.ts';
import { MARIA } from '../helpers.ts';

const log = () => (process.env.FERRY_TEST_LOG ? createLogger() : quietLog());
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
type Row = Record<string, unknown>;
const t = (v: unknown) => (v === null || v === undefined ? '∅' : String(v));

async function state(c: mysql.Connection, db: string, added: boolean): Promise<string[]> {
  const q = async (s: string) => ((await c.query(s).catch(() => [[]]))[0] as Row[]);
  const items = await q(`SELECT id, v, s, CAST(d AS CHAR) AS d, DATE_FORMAT(ts, '%Y-%m-%dT%H:%i:%s.%f') AS ts, DATE_FORMAT(dt, '%Y-%m-%d') AS dt, HEX(b) AS b, j, CAST(f AS CHAR) AS f, flag, ${added ? 'added' : 'NULL AS added'}, u, e, TIME_FORMAT(tm, '%H:%i:%s.%f') AS tm FROM \`${db}\`.items ORDER BY id`);
  return [
    ...items.map((r) => ['items', r.id, r.v, t(r.s), r.d, r.ts, t(r.dt), t(r.b), t(r.j), t(r.f), t(r.flag), t(r.added), t(r.u), t(r.e), t(r.tm)].map(String).join('|')),
    ...(await q(`SELECT k1, k2, v FROM \`${db}\`.kv ORDER BY k1, k2`)).map((r) => ['kv', r.k1, r.k2, r.v].join('|')),
    ...(await q(`SELECT a, b, c, v FROM \`${db}\`.tri ORDER BY a, b, c`)).map((r) => ['tri', r.a, r.b, r.c, r.v].join('|')),
    ...(await q(`SELECT x FROM \`${db}\`.nopk ORDER BY x`)).map((r) => ['nopk', r.x].join('|')),
  ];
}

async function workload(c: mysql.Connection, db: string, from: number): Promise<void> {
  for (let i = 0; i < 150; i++) {
    const id = from + i;
    await c.query(`INSERT INTO \`${db}\`.items (id, v, s, d, ts, dt, b, j, f, flag, u, e, tm) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      [id, BigInt(id) * 10_000_000_000n, i % 7 === 0 ? null : `new ${id} ü 😀\t"q"\\`, (id % 1000) / 100, '2024-05-06 07:08:09.123456', '1999-12-31', Buffer.from([id % 256, 0, 255]),
        JSON.stringify({ id, big: '12345678901234567890', a: [1, 2.5] }), id / 7, i % 2, id * 4_000_000_000, ['x', 'y', 'z'][i % 3], `${i % 2 ? '-' : ''}${100 + i}:00:00.5`]);
    if (i % 3 === 0) await c.query(`UPDATE \`${db}\`.items SET v = -v - 1, s = CONCAT(COALESCE(s, ''), ' upd'), d = d + 0.01, j = NULL WHERE id = ?`, [1 + ((i * 7) % (from - 1))]);
    if (i % 10 === 0) await c.query(`DELETE FROM \`${db}\`.items WHERE id = ?`, [1 + ((i * 13) % (from - 1))]);
    if (i % 5 === 0) await c.query(`INSERT INTO \`${db}\`.kv VALUES (?, ?, ?) ON DUPLICATE KEY UPDATE v = v + 1`, [i % 4, `k${i % 3}`, i]);
    if (i % 6 === 0) await c.query(`INSERT INTO \`${db}\`.tri VALUES (?, ?, ?, ?) ON DUPLICATE KEY UPDATE v = v + 1`, [i % 3, `b${i % 2}`, i % 4, i]);
    if (i % 15 === 0) await c.query(`DELETE FROM \`${db}\`.tri WHERE a = ? LIMIT 1`, [i % 3]);
    if (i % 20 === 0) await c.query(`INSERT INTO \`${db}\`.nopk VALUES (?), (?)`, [i, i]);
    if (i % 40 === 0) await c.query(`UPDATE \`${db}\`.nopk SET x = x + 1000 WHERE x = ? LIMIT 1`, [i]);
    if (i % 60 === 0) await c.query(`DELETE FROM \`${db}\`.nopk WHERE x = ? LIMIT 1`, [i]);
  }
}

test('Kafka mode: MariaDB → ferry run → Kafka → ferry sink → MariaDB equals the tables, value by value', { timeout: 240000 }, async () => {
  const db = uniqueName('ferry_myk');
  const target = `${db}_t`;
  const admin = await mysql.createConnection({ ...services.mariadb, user: 'root', password: 'root', dateStrings: true, supportBigNumbers: true, bigNumberStrings: true, charset: 'utf8mb4' });
  await admin.query("SET time_zone = '+00:00'");
  await admin.query(`CREATE DATABASE ${db}`);
  await admin.query(`CREATE TABLE ${db}.items (id INT PRIMARY KEY, v BIGINT NOT NULL, s VARCHAR(64) CHARACTER SET utf8mb4, d DECIMAL(12,2) NOT NULL, ts DATETIME(6) NOT NULL, dt DATE, b VARBINARY(8), j JSON, f DOUBLE, flag BOOLEAN,
    u BIGINT UNSIGNED, e ENUM('x','y','z'), tm TIME(1))`);
  await admin.query(`CREATE TABLE ${db}.kv (k1 INT, k2 VARCHAR(8), v INT, PRIMARY KEY (k1, k2))`);
  await admin.query(`CREATE TABLE ${db}.tri (a INT, b VARCHAR(8), c INT, v INT, PRIMARY KEY (a, b, c))`);
  await admin.query(`CREATE TABLE ${db}.nopk (x INT)`);
  const rows = Array.from({ length: 3000 }, (_, i) => [i + 1, 9_007_199_254_740_993n + BigInt(i), `row ${i}`, (i % 1000) / 100, '2024-01-02 03:04:05.654321', null, null, null, i + 0.25, null, '18446744073709551615', null, '838:59:59.0']);
  await admin.query(`INSERT INTO ${db}.items VALUES ?`, [rows]);
  await admin.query(`INSERT INTO ${db}.nopk VALUES (1), (1), (2)`);
  const dir = mkdtempSync(join(tmpdir(), 'ferry-my-kafka-'));
  const task = parseTask({
    name: db, source: { engine: 'mariadb', ...services.mariadb, user: 'cdc', password: 'cdc' }, migrationType: 'full-load-and-cdc',
    tableMappings: { rules: [{ 'rule-type': 'selection', 'rule-id': '1', 'rule-name': 'all', 'rule-action': 'include', 'object-locator': { 'schema-name': db, 'table-name': '%' } }] },
    kafka: { brokers: services.brokers, schemaRegistry: services.registryUrl, partitions: 2 },
    targets: [{ type: 'mysql', name: 'maria', host: MARIA.host, port: MARIA.port, user: MARIA.user, password: MARIA.password, database: target, maxBatchDelayMs: 100 }],
    settings: { metrics: { enabled: false }, stateDir: join(dir, 'state'), offsetStore: 'sqlite', batch: { maxEvents: 500, maxDelayMs: 20 } },
  });
  const stop = new AbortController();
  const metrics = new PromMetrics({ collectProcessMetrics: false });
  let failed: unknown = null;
  const watch = watchingLog(log());
  const running = runTask({ task, log: watch.log, metrics, serveMetrics: false }, stop.signal).catch((e: unknown) => { failed = e; });
  const workers = runTaskSinkWorkers({ task, log: log(), metrics }, stop.signal).catch((e: unknown) => { failed = e; });
  try {
    await sleep(300); // changes start while the full load runs
    await workload(admin, db, 4001);
    // DDL for CDC: wait for the full load (DDL on a table the locked snapshot still reads stops the task).
    assert.ok(await waitForLog(watch, 'snapshot finished'), 'the full load finished');
    await admin.query(`ALTER TABLE ${db}.items ADD COLUMN added VARCHAR(20) NULL`);
    await admin.query(`UPDATE ${db}.items SET added = CONCAT('a', id) WHERE id % 5 = 0`);
    await workload(admin, db, 5001);
    const want = await state(admin, db, true);
    let got: string[] = [];
    const deadline = Date.now() + 120000;
    while (Date.now() < deadline) {
      await sleep(1000);
      if (failed !== null) throw failed;
      got = await state(admin, target, true);
      if (got.length === want.length && got.every((r, i) => r === want[i])) break;
    }
    const diff = want.filter((r, i) => got[i] !== r).slice(0, 3).map((r) => `want ${r}\n got ${got[want.indexOf(r)]}`);
    assert.equal(got.length, want.length, `${got.length} target rows for ${want.length} source rows`);
    assert.deepEqual(diff, [], 'the target database equals the source database, value by value');
  } finally {
    stop.abort();
    await running;
    await workers;
    await admin.query(`DROP DATABASE ${db}`);
    await admin.query(`DROP DATABASE IF EXISTS ${target}`);
    await admin.end();
  }
});
