// A real source end to end: MariaDB → ferry run → Kafka → ferry sink (runTaskSinkWorkers, target type dynamodb) →
// DynamoDB on moto, and the same in direct mode (no Kafka). Inserts, updates, deletes, an added column, a 2-column
// and a 3-column primary key while it runs; then every item is read back with Scan and compared with the table,
// value by value. A table without a primary key is dead-lettered (Kafka mode: <prefix>.dlq).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mysql from 'mysql2/promise';
import { parseTask } from '../../../../app/src/task-file/load-task.ts';
import { runTask } from '../../../../app/src/task/TaskRunner.ts';
import { runTaskSinkWorkers } from '../../../../app/src/task/targets.ts';
import { readTopicToEnd } from '../../../../runtime/src/kafka/kafka-client.ts';
import { PromMetrics } from '../../../../runtime/src/metrics/metrics.ts';
import { quietLog } from '../../../../test/helpers/sink-kit/quiet.ts';
import { services, uniqueName } from '../../../../test/helpers/services.ts';
import { atScale, DDB, liveItems, scanAll } from '../helpers/dynamo.ts';
import type { AttributeValue } from '@aws-sdk/client-dynamodb';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
type Row = Record<string, unknown>;

const ITEMS_SQL = `SELECT id, v, s, CAST(d AS CHAR) AS d, DATE_FORMAT(ts, '%Y-%m-%dT%H:%i:%s.%f') AS ts, DATE_FORMAT(dt, '%Y-%m-%d') AS dt,
  HEX(b) AS b, j, f, flag, added FROM items ORDER BY id`;

/** The source rows as text, one line per row, in id order. */
async function sourceState(c: mysql.Connection, db: string): Promise<string[]> {
  const [rows] = await c.query(ITEMS_SQL.replace('FROM items', `FROM \`${db}\`.items`));
  const [kv] = await c.query(`SELECT k1, k2, v FROM \`${db}\`.kv ORDER BY k1, k2`);
  const [tri] = await c.query(`SELECT a, b, c, v FROM \`${db}\`.tri ORDER BY a, b, c`);
  const t = (v: unknown) => (v === null || v === undefined ? '∅' : String(v));
  return [
    ...(rows as Row[]).map((r) => ['items', r.id, r.v, t(r.s), r.d, r.ts, t(r.dt), t(r.b === null ? null : String(r.b).toLowerCase()), t(r.j === null ? null : JSON.stringify(typeof r.j === 'string' ? JSON.parse(r.j) : r.j)), t(r.f === null ? null : Number(r.f).toPrecision(15)), t(r.flag) /* BOOLEAN is TINYINT(1): an int16 in the event, N 0/1 */, t(r.added)].map(String).join('|')),
    ...(kv as Row[]).map((r) => ['kv', r.k1, r.k2, r.v].join('|')),
    ...(tri as Row[]).map((r) => ['tri', r.a, r.b, r.c, r.v].join('|')),
  ];
}

/** The DynamoDB items as the same text (tombstones left out). */
async function targetState(db: string): Promise<string[]> {
  const a = (v: AttributeValue | undefined) => (v === undefined || v.NULL ? '∅' : v.N ?? v.S ?? (v.B ? Buffer.from(v.B).toString('hex') : String(v.BOOL)));
  const items = liveItems(await scanAll(`${db}_items`).catch(() => []));
  const rows = items.sort((x, y) => Number(x.id!.N) - Number(y.id!.N)).map((i) => ['items', a(i.id), a(i.v), a(i.s), atScale(i.d!.N!, 2), a(i.ts), a(i.dt), a(i.b),
    i.j!.NULL ? '∅' : JSON.stringify(JSON.parse(i.j!.S!)), i.f!.NULL ? '∅' : Number(i.f!.N).toPrecision(15), a(i.flag), a(i.added)].join('|'));
  const kv = liveItems(await scanAll(`${db}_kv`).catch(() => [])).map((i) => ['kv', a(i.k1), a(i.k2), a(i.v)].join('|'));
  const tri = liveItems(await scanAll(`${db}_tri`).catch(() => [])).map((i) => ['tri', a(i.a), a(i.b), a(i.c), a(i.v)].join('|'));
  const num = (s: string) => s.split('|').map((x) => (/^\d+$/.test(x) ? x.padStart(12, '0') : x)).join('|');
  return [...rows, ...kv.sort((x, y) => (num(x) < num(y) ? -1 : 1)), ...tri.sort((x, y) => (num(x) < num(y) ? -1 : 1))];
}

async function workload(c: mysql.Connection, db: string, from: number): Promise<void> {
  for (let i = 0; i < 150; i++) {
    const id = from + i;
    await c.query(`INSERT INTO \`${db}\`.items (id, v, s, d, ts, dt, b, j, f, flag) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      [id, BigInt(id) * 10_000_000_000n, i % 7 === 0 ? null : `new ${id} ü`, (id % 1000) / 100, '2024-05-06 07:08:09.123456', '1999-12-31', Buffer.from([id % 256, 0, 255]), JSON.stringify({ id, big: 12345678901234567890n.toString(), a: [1, 2.5] }), id / 7, i % 2]);
    if (i % 3 === 0) await c.query(`UPDATE \`${db}\`.items SET v = -v - 1, s = CONCAT(COALESCE(s, ''), ' upd'), d = d + 0.01, j = NULL WHERE id = ?`, [1 + ((i * 7) % (from - 1))]);
    if (i % 10 === 0) await c.query(`DELETE FROM \`${db}\`.items WHERE id = ?`, [1 + ((i * 13) % (from - 1))]);
    if (i % 5 === 0) await c.query(`INSERT INTO \`${db}\`.kv VALUES (?, ?, ?) ON DUPLICATE KEY UPDATE v = v + 1`, [i % 4, `k${i % 3}`, i]);
    if (i % 6 === 0) await c.query(`INSERT INTO \`${db}\`.tri VALUES (?, ?, ?, ?) ON DUPLICATE KEY UPDATE v = v + 1`, [i % 3, `b${i % 2}`, i % 4, i]);
    if (i % 15 === 0) await c.query(`DELETE FROM \`${db}\`.tri WHERE a = ? LIMIT 1`, [i % 3]);
    if (i % 20 === 0) await c.query(`INSERT INTO \`${db}\`.nopk VALUES (?)`, [i]);
  }
}

async function scenario(kafka: boolean): Promise<void> {
  const db = uniqueName(kafka ? 'ferry_ddbk' : 'ferry_ddbd');
  const admin = await mysql.createConnection({ ...services.mariadb, user: 'root', password: 'root', dateStrings: true, timezone: 'Z', supportBigNumbers: true, bigNumberStrings: true });
  await admin.query("SET time_zone = '+00:00'");
  await admin.query(`CREATE DATABASE ${db}`);
  await admin.query(`CREATE TABLE ${db}.items (id INT PRIMARY KEY, v BIGINT NOT NULL, s VARCHAR(64), d DECIMAL(12,2) NOT NULL, ts DATETIME(6) NOT NULL, dt DATE, b VARBINARY(8), j JSON, f DOUBLE, flag BOOLEAN)`);
  await admin.query(`CREATE TABLE ${db}.kv (k1 INT, k2 VARCHAR(8), v INT, PRIMARY KEY (k1, k2))`);
  await admin.query(`CREATE TABLE ${db}.tri (a INT, b VARCHAR(8), c INT, v INT, PRIMARY KEY (a, b, c))`);
  await admin.query(`CREATE TABLE ${db}.nopk (x INT)`);
  const rows = Array.from({ length: 1000 }, (_, i) => [i + 1, 9_007_199_254_740_993n + BigInt(i), `row ${i}`, (i % 1000) / 100, '2024-01-02 03:04:05.654321', null, null, null, i + 0.25, null]);
  await admin.query(`INSERT INTO ${db}.items VALUES ?`, [rows]);
  const dir = mkdtempSync(join(tmpdir(), 'ferry-ddb-e2e-'));
  const task = parseTask({
    name: db, source: { engine: 'mariadb', ...services.mariadb, user: 'cdc', password: 'cdc' }, migrationType: 'full-load-and-cdc',
    tableMappings: { rules: [{ 'rule-type': 'selection', 'rule-id': '1', 'rule-name': 'all', 'rule-action': 'include', 'object-locator': { 'schema-name': db, 'table-name': '%' } }] },
    ...(kafka ? { kafka: { brokers: services.brokers, schemaRegistry: services.registryUrl, partitions: 2 } } : {}),
    targets: [{ type: 'dynamodb', name: 'ddb', client: DDB, tableName: '{schema}_{table}', maxBatchDelayMs: 100 }],
    settings: { metrics: { enabled: false }, stateDir: join(dir, 'state'), offsetStore: 'sqlite', batch: { maxEvents: 500, maxDelayMs: 20 } },
  });
  const stop = new AbortController();
  const metrics = new PromMetrics({ collectProcessMetrics: false });
  const running = runTask({ task, log: quietLog(), metrics, serveMetrics: false }, stop.signal);
  const workers = kafka ? runTaskSinkWorkers({ task, log: quietLog(), metrics }, stop.signal) : Promise.resolve({});
  try {
    await sleep(1500);
    await workload(admin, db, 2001);
    await admin.query(`ALTER TABLE ${db}.items ADD COLUMN added VARCHAR(20) NULL`);
    await admin.query(`UPDATE ${db}.items SET added = CONCAT('a', id) WHERE id % 5 = 0`);
    await workload(admin, db, 3001);
    const want = await sourceState(admin, db);
    let got: string[] = [];
    const deadline = Date.now() + 120000;
    while (Date.now() < deadline) {
      await sleep(1000);
      // Rows written before the column was added have no `added` attribute: read as NULL (∅).
      got = await targetState(db);
      if (got.length === want.length && got.every((r, i) => r === want[i])) break;
    }
    const diff = want.filter((r, i) => got[i] !== r).slice(0, 3).map((r) => `want ${r}\n got ${got[want.indexOf(r)]}`);
    assert.equal(got.length, want.length, `${got.length} live items for ${want.length} rows`);
    assert.deepEqual(diff, [], `DynamoDB (${kafka ? 'Kafka' : 'direct'} mode) equals the tables, value by value`);
    if (kafka) {
      const dlq = await readTopicToEnd({ brokers: services.brokers, clientId: 'ferry-test-ddb-dlq', topic: `${db}.dlq`, timeoutMs: 60000 });
      const reasons = dlq.map((r) => r.headers.get('__connect.errors.exception.message')?.toString() ?? '');
      assert.ok(dlq.length >= 8 && reasons.every((r) => r.includes('has no primary key')), `the table without a primary key is dead-lettered (${dlq.length})`);
    }
  } finally {
    stop.abort();
    await running.catch(() => {});
    await workers.catch(() => {});
    await admin.query(`DROP DATABASE ${db}`);
    await admin.end();
  }
}

test('Kafka mode: MariaDB → ferry run → Kafka → ferry sink → DynamoDB equals the tables', { timeout: 240000 }, () => scenario(true));
test('direct mode: MariaDB → ferry run (no Kafka) → DynamoDB equals the tables', { timeout: 240000 }, () => scenario(false));
