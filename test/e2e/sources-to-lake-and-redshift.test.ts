// Both sources, end to end through Kafka to both warehouse paths at once:
//   MariaDB / PostgreSQL → `ferry run` (Kafka mode) → Kafka → sink workers → Parquet on S3 (moto)
//                                                               └→ Redshift (the TEST-ONLY PostgreSQL stand-in)
// Inserts, updates, deletes and an added column while it runs. The lake (read back with DuckDB, latest row per key)
// and the Redshift table must both equal the source table, by checksum of canonical text.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mysql from 'mysql2/promise';
import pg from 'pg';
import { parseTask } from '../../app/src/task-file/load-task.ts';
import { runTask } from '../../app/src/task/TaskRunner.ts';
import { runSinkWorker } from '../../runtime/src/sink-worker/SinkWorker.ts';
import { runTaskSinkWorkers } from '../../app/src/task/targets.ts';
import { PromMetrics } from '../../runtime/src/metrics/metrics.ts';
import { RedshiftSink } from '../../sinks/redshift/src/RedshiftSink.ts';
import { openObjectStore } from '../../runtime/src/storage/object-store.ts';
import { download, query } from '../../sinks/s3-lake/test/helpers/read-lake.ts';
import { createBucket, quietLog, registry, S3, services, uniqueName } from '../helpers/sink-kit/services.ts';
import { dropSchema, standIn, withPg } from '../../sinks/redshift/test/helpers.ts';
import { dropPgTaskObjects, sleep } from '../helpers/ferry-process.ts';

/** One canonical line per row: id|v|s|d|ts|added, '\N' for NULL, ts as 'YYYY-MM-DD HH:MM:SS.ffffff' (UTC). */
type Canon = (r: Record<string, unknown>) => string;
const line: Canon = (r) => [r.id, r.v, r.s, r.d, r.ts, r.added].map((x) => (x === null || x === undefined ? '\\N' : String(x))).join('|');
const hash = (rows: string[]) => createHash('sha256').update(rows.join('\n')).digest('hex');

interface Source {
  readonly engine: 'mariadb' | 'postgres';
  exec(sql: string): Promise<void>;
  /** The table as canonical rows, ordered by id. */
  state(): Promise<string[]>;
  cleanup(): Promise<void>;
  readonly taskSource: Record<string, unknown>;
}

async function mariadb(db: string): Promise<Source> {
  const c = await mysql.createConnection({ ...services.mariadb, user: 'root', password: 'root', dateStrings: true, timezone: 'Z', supportBigNumbers: true, bigNumberStrings: true });
  await c.query("SET time_zone = '+00:00'");
  await c.query(`CREATE DATABASE ${db}`);
  await c.query(`CREATE TABLE ${db}.items (id INT PRIMARY KEY, v BIGINT NOT NULL, s VARCHAR(64), d DECIMAL(12,2) NOT NULL, ts DATETIME(6) NOT NULL)`);
  await c.query(`USE ${db}`);
  return {
    engine: 'mariadb',
    exec: async (sql) => { await c.query(sql); },
    state: async () => {
      const [rows] = await c.query(`SELECT id, v, s, CAST(d AS CHAR) AS d, DATE_FORMAT(ts, '%Y-%m-%d %H:%i:%s.%f') AS ts, ${await hasAdded() ? 'added' : 'NULL AS added'} FROM items ORDER BY id`);
      return (rows as Record<string, unknown>[]).map(line);
    },
    cleanup: async () => { await c.query(`DROP DATABASE ${db}`); await c.end(); },
    taskSource: { engine: 'mariadb', ...services.mariadb, user: 'cdc', password: 'cdc' },
  };
  async function hasAdded(): Promise<boolean> {
    const [r] = await c.query('SELECT COUNT(*) AS n FROM information_schema.columns WHERE table_schema = ? AND table_name = ? AND column_name = ?', [db, 'items', 'added']);
    return Number((r as { n: number }[])[0]!.n) > 0;
  }
}

async function postgres(db: string): Promise<Source> {
  const admin = new pg.Client({ ...services.postgres, user: 'postgres', password: 'postgres', database: 'shop' });
  await admin.connect();
  await admin.query(`CREATE SCHEMA ${db} AUTHORIZATION cdc`);
  const c = new pg.Client({ ...services.postgres, user: 'cdc', password: 'cdc', database: 'shop' });
  await c.connect();
  await c.query(`SET search_path = ${db}; SET TimeZone = 'UTC'`);
  await c.query('CREATE TABLE items (id INT PRIMARY KEY, v BIGINT NOT NULL, s VARCHAR(64), d NUMERIC(12,2) NOT NULL, ts TIMESTAMP(6) NOT NULL)');
  await c.query('ALTER TABLE items REPLICA IDENTITY FULL');
  return {
    engine: 'postgres',
    exec: async (sql) => { await c.query(sql); },
    state: async () => {
      const cols = (await c.query(`SELECT column_name FROM information_schema.columns WHERE table_schema = $1 AND table_name = 'items'`, [db])).rows.map((r: { column_name: string }) => r.column_name);
      const r = await c.query(`SELECT id, v::text AS v, s, d::text AS d, to_char(ts, 'YYYY-MM-DD HH24:MI:SS.US') AS ts, ${cols.includes('added') ? 'added' : 'NULL AS added'} FROM items ORDER BY id`);
      return (r.rows as Record<string, unknown>[]).map(line);
    },
    cleanup: async () => {
      await c.end();
      await dropPgTaskObjects(admin, db);
      await admin.query(`DROP SCHEMA ${db} CASCADE`);
      await admin.end();
    },
    taskSource: { engine: 'postgres', ...services.postgres, user: 'cdc', password: 'cdc', database: 'shop' },
  };
}

async function workload(s: Source, from: number): Promise<void> {
  for (let i = 0; i < 200; i++) {
    const id = from + i;
    await s.exec(`INSERT INTO items (id, v, s, d, ts) VALUES (${id}, ${id * 1000}, 'new ${id}', ${(id % 1000) / 100}, '2024-05-06 07:08:09.123456')`);
    if (i % 3 === 0) await s.exec(`UPDATE items SET v = v + 1, s = CONCAT(s, ' upd'), d = d + 0.01 WHERE id = ${1 + ((i * 7) % 1999)}`);
    if (i % 10 === 0) await s.exec(`DELETE FROM items WHERE id = ${1 + ((i * 13) % 1999)}`);
  }
}

/** The lake's latest row per key (Kafka offsets order the changes of a key: one partition per key). */
async function lakeState(bucket: string): Promise<string[]> {
  const { dir, keys } = await download(await openObjectStore(`s3://${bucket}/lake`, S3));
  if (!keys.some((k) => k.endsWith('.parquet'))) return [];
  const files = `${dir}/**/*.parquet`;
  const cols = (await query(`DESCRIBE SELECT * FROM read_parquet('${files}', union_by_name = true)`)).map((d) => d.column_name);
  const rows = await query(`WITH l AS (SELECT *, row_number() OVER (PARTITION BY id ORDER BY _kafka_offset DESC) AS rn FROM read_parquet('${files}', union_by_name = true))
    SELECT id, CAST(v AS VARCHAR) AS v, s, CAST(d AS VARCHAR) AS d, strftime(ts, '%Y-%m-%d %H:%M:%S.%f') AS ts, ${cols.includes('added') ? 'added' : 'NULL'} AS added FROM l WHERE rn = 1 AND "Op" <> 'D' ORDER BY id`);
  return rows.map(line);
}

async function redshiftState(schema: string): Promise<string[]> {
  return withPg(async (c) => {
    const cols = (await c.query(`SELECT column_name FROM information_schema.columns WHERE table_schema = $1 AND table_name = 'items'`, [schema])).rows.map((r: { column_name: string }) => r.column_name);
    if (cols.length === 0) return [];
    const r = await c.query(`SELECT id, v::text AS v, s, d::text AS d, to_char(ts, 'YYYY-MM-DD HH24:MI:SS.US') AS ts, ${cols.includes('added') ? 'added' : 'NULL AS added'} FROM "${schema}".items ORDER BY id`);
    return (r.rows as Record<string, unknown>[]).map(line);
  });
}

async function scenario(engine: 'mariadb' | 'postgres'): Promise<void> {
  const name = uniqueName(`ferry_wh_${engine === 'mariadb' ? 'my' : 'pg'}`);
  const bucket = name.replace(/_/g, '-');
  await createBucket(bucket);
  const src = engine === 'mariadb' ? await mariadb(name) : await postgres(name);
  const rsSchema = `${name}_rs`;
  const stop = new AbortController();
  const metrics = new PromMetrics({ collectProcessMetrics: false });
  let running: Promise<unknown> = Promise.resolve();
  let lake: Promise<unknown> = Promise.resolve();
  let redshift: Promise<unknown> = Promise.resolve();
  const rsSink = new RedshiftSink({
    name: 'rs', executor: standIn(),
    config: {
      connection: { host: 'unused', database: 'unused', user: 'unused', password: 'unused' }, targetSchema: rsSchema, stateSchema: rsSchema,
      staging: { location: `s3://${bucket}/staging`, s3: S3 }, copyAuth: { iamRole: 'arn:aws:iam::123456789012:role/ferry-copy' },
    },
  });
  try {
    await src.exec(`INSERT INTO items VALUES ${Array.from({ length: 2000 }, (_, i) => `(${i + 1}, ${i}, 'row ${i}', ${(i % 1000) / 100}, '2024-01-02 03:04:05.654321')`).join(', ')}`);
    const task = parseTask({
      name, source: src.taskSource, migrationType: 'full-load-and-cdc',
      tableMappings: { rules: [{ 'rule-type': 'selection', 'rule-id': '1', 'rule-name': 'all', 'rule-action': 'include', 'object-locator': { 'schema-name': name, 'table-name': '%' } }] },
      kafka: { brokers: services.brokers, schemaRegistry: services.registryUrl, topicPrefix: name, partitions: 2 },
      targets: [{ type: 'parquet', name: 'lake', location: `s3://${bucket}/lake`, s3: S3, partitioning: { by: 'none' }, maxFileAgeMs: 300 }],
      settings: { metrics: { enabled: false }, stateDir: join(mkdtempSync(join(tmpdir(), 'ferry-wh-')), 'state'), offsetStore: 'sqlite', batch: { maxEvents: 500, maxDelayMs: 20 } },
    });
    running = runTask({ task, log: quietLog(), metrics, serveMetrics: false }, stop.signal);
    lake = runTaskSinkWorkers({ task, log: quietLog(), metrics }, stop.signal);
    redshift = runSinkWorker({
      brokers: services.brokers, registry: registry(), groupId: `${name}-rs`, topicPrefix: name, sink: rsSink, log: quietLog(), metrics,
      batch: { maxRecords: 1000, maxDelayMs: 300 },
    }, stop.signal);
    await sleep(1500);
    await workload(src, 3001);
    await src.exec('ALTER TABLE items ADD COLUMN added VARCHAR(20) NULL');
    await src.exec(`UPDATE items SET added = CONCAT('a', id) WHERE id % 5 = 0`);
    await workload(src, 4001);
    const want = await src.state();
    assert.ok(want.length > 2000);
    let gotLake: string[] = [];
    let gotRs: string[] = [];
    const deadline = Date.now() + 120000;
    while (Date.now() < deadline) {
      await sleep(1000);
      gotLake = await lakeState(bucket).catch(() => gotLake);
      gotRs = await redshiftState(rsSchema).catch(() => gotRs);
      if (hash(gotLake) === hash(want) && hash(gotRs) === hash(want)) break;
    }
    assert.equal(gotLake.length, want.length, `${engine}: lake row count`);
    assert.equal(hash(gotLake), hash(want), `${engine}: the Parquet lake on S3 equals the table`);
    assert.equal(gotRs.length, want.length, `${engine}: Redshift row count`);
    assert.equal(hash(gotRs), hash(want), `${engine}: the Redshift table (stand-in) equals the table`);
  } finally {
    stop.abort();
    await Promise.allSettled([running, lake, redshift]);
    await rsSink.close().catch(() => undefined);
    await dropSchema(rsSchema);
    await src.cleanup();
  }
}

test('MariaDB → Kafka → Parquet on S3 and Redshift: both equal the table after changes and an added column', { timeout: 240000 }, () => scenario('mariadb'));
test('PostgreSQL → Kafka → Parquet on S3 and Redshift: both equal the table after changes and an added column', { timeout: 240000 }, () => scenario('postgres'));
