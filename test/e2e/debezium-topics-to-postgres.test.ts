// Ferry's PostgreSQL sink consumes topics written by real Debezium (issue 17): Debezium's own MariaDB connector
// (3.5.0.Final under Kafka Connect standalone, as bench/vs-debezium.ts runs it; jars: bench/debezium/fetch.sh, which
// the test command runs) snapshots and streams a MariaDB table into Kafka with Avro through the registry; a Ferry sink
// worker with a `postgres` target drains those topics. The PostgreSQL table must equal the MariaDB table, row by row
// and value by value, after the snapshot and after inserts, updates and deletes.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mysql from 'mysql2/promise';
import pg from 'pg';
import { startDebezium, type DebeziumProcess } from '../../bench/debezium/connect.ts';
import { sinkPlugin } from '../../app/src/plugins.ts';
import { runSinkWorker } from '../../runtime/src/sink-worker/SinkWorker.ts';
import { PromMetrics } from '../../runtime/src/metrics/metrics.ts';
import { quietLog, registry, services, uniqueName } from '../helpers/sink-kit/services.ts';
import { sleep } from '../helpers/ferry-process.ts';

const PG = { host: services.postgres.host, port: services.postgres.port, user: 'postgres', password: 'postgres' };

/** One canonical line per row; numbers compared as JavaScript numbers parsed from each engine's exact text. */
const canon = (r: Record<string, unknown>) => [
  r.id, r.v, r.s, r.d, r.ts, r.f === null ? null : Number(r.f), r.dt, r.bl,
].map((x) => (x === null || x === undefined ? '\\N' : String(x))).join('|');

test('Ferry\'s postgres sink applies topics written by Debezium\'s MariaDB connector: the table equals the source', async (t) => {
  const db = uniqueName('dbzsrc');
  const target = uniqueName('dbztgt');
  const my = await mysql.createConnection({ ...services.mariadb, user: 'root', password: 'root', dateStrings: true, timezone: 'Z', supportBigNumbers: true, bigNumberStrings: true });
  await my.query("SET time_zone = '+00:00'");
  await my.query(`CREATE DATABASE ${db}`);
  await my.query(`CREATE TABLE ${db}.items (id INT PRIMARY KEY, v BIGINT NOT NULL, s VARCHAR(64), d DECIMAL(12,2) NOT NULL, ts DATETIME(6) NOT NULL, f DOUBLE, dt DATE, bl BLOB)`);
  const row = (i: number) => `(${i}, ${i * 1_000_003}, ${i % 7 === 0 ? 'NULL' : `'ítem ${i} 😀'`}, ${(i * 12.25).toFixed(2)}, '2026-01-0${1 + (i % 9)} 0${i % 10}:04:05.${String(123456 + i).padStart(6, '0')}', ${i % 5 === 0 ? 'NULL' : `${i}.0656480900943`}, '2025-12-${String(1 + (i % 28)).padStart(2, '0')}', ${i % 3 === 0 ? 'NULL' : `X'00ff${i.toString(16).padStart(4, '0')}'`})`;
  await my.query(`INSERT INTO ${db}.items VALUES ${Array.from({ length: 200 }, (_, i) => row(i + 1)).join(',')}`);
  const admin = new pg.Client({ ...PG, database: 'postgres' });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${target}`);
  const tpg = new pg.Client({ ...PG, database: target });
  await tpg.connect();

  const dir = mkdtempSync(join(tmpdir(), 'ferry-dbz-topics-'));
  const prefix = uniqueName('dbzp');
  // Set once each is started; the cleanup stops whatever was.
  const run: { dbz?: DebeziumProcess; worker?: Promise<unknown> } = {};
  const stop = new AbortController();
  t.after(async () => {
    stop.abort();
    await run.worker?.catch(() => undefined);
    await run.dbz?.stop();
    await tpg.end();
    await admin.query(`DROP DATABASE IF EXISTS ${target} WITH (FORCE)`);
    await admin.end();
    await my.query(`DROP DATABASE IF EXISTS ${db}`);
    await my.end();
  });

  const sourceState = async () => {
    const [rows] = await my.query(`SELECT id, v, s, CAST(d AS CHAR) AS d, DATE_FORMAT(ts, '%Y-%m-%d %H:%i:%s.%f') AS ts, CAST(f * 1E0 AS CHAR) AS f, CAST(dt AS CHAR) AS dt, LOWER(HEX(bl)) AS bl FROM ${db}.items ORDER BY id`);
    return (rows as Record<string, unknown>[]).map(canon);
  };
  const targetState = async () => {
    try {
      const { rows } = await tpg.query(`SELECT id, v::text AS v, s, d::text AS d, to_char(ts, 'YYYY-MM-DD HH24:MI:SS.US') AS ts, f::text AS f, dt::text AS dt, encode(bl, 'hex') AS bl FROM "${db}"."items" ORDER BY id`);
      return rows.map((r: Record<string, unknown>) => canon({ ...r, bl: r.bl === '' ? '' : r.bl }));
    } catch {
      return [];
    }
  };
  const converge = async (what: string) => {
    const want = await sourceState();
    let got: string[] = [];
    for (const until = Date.now() + 120_000; Date.now() < until;) {
      got = await targetState();
      if (got.length === want.length && got.every((l, i) => l === want[i])) return;
      if (run.dbz) await run.dbz.running(); // throws with Debezium's trace if its task failed
      await sleep(500);
    }
    assert.deepEqual(got, want, `${what}: PostgreSQL differs from MariaDB (Debezium log: ${run.dbz?.log})`);
  };

  run.dbz = startDebezium({ engine: 'mariadb', name: `${prefix}-src`, topicPrefix: prefix, schema: db, tables: ['items'], snapshot: 'initial', dir, restPort: 18500 + Math.floor(Math.random() * 400), slotName: '', heap: '512m' });
  const sink = await sinkPlugin('postgres').create({ name: 'pg', type: 'postgres', options: { ...PG, database: target } });
  run.worker = runSinkWorker({
    brokers: services.brokers, registry: registry(), groupId: `${prefix}-ferry`, topicPrefix: prefix, sink, log: quietLog(),
    metrics: new PromMetrics({ collectProcessMetrics: false }), batch: { maxRecords: 500, maxDelayMs: 200 }, progressIntervalMs: 0,
  }, stop.signal).finally(() => sink.close());

  await converge('after the snapshot');
  const { rows: cols } = await tpg.query(`SELECT column_name, data_type FROM information_schema.columns WHERE table_schema = $1 AND table_name = 'items' ORDER BY ordinal_position`, [db]);
  assert.deepEqual(cols.map((c: { column_name: string; data_type: string }) => `${c.column_name} ${c.data_type}`), [
    'id integer', 'v bigint', 's text', 'd numeric', 'ts timestamp without time zone', 'f double precision', 'dt date', 'bl bytea',
  ], 'tables are created from Debezium\'s record schemas (no source lengths: Debezium does not propagate them by default)');

  // Changes while both run: updates (including the key's own row image), deletes, inserts.
  await my.query(`UPDATE ${db}.items SET v = v + 1, s = CONCAT('upd ', id), f = f * 3 WHERE id % 4 = 0`);
  await my.query(`DELETE FROM ${db}.items WHERE id % 10 = 3`);
  await my.query(`INSERT INTO ${db}.items VALUES ${Array.from({ length: 50 }, (_, i) => row(201 + i)).join(',')}`);
  await my.query(`UPDATE ${db}.items SET bl = NULL, dt = NULL WHERE id BETWEEN 201 AND 210`);
  await converge('after inserts, updates and deletes');
});
