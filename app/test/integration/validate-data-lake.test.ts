// `ferry validate-data` against a Parquet lake on S3 (moto) (docs/validation.md#kafka-topics-lakes-and-redshift):
// MariaDB tables over many types go through `ferry run` (direct mode, the real s3-lake sink) — full load, then
// updates, deletes and inserts — and the lake's latest state per key is validated with zero false mismatches. Then
// one Parquet file is rewritten (DuckDB, uploaded over the original): a changed value, a row dropped, a row the
// source never had; validation reports exactly those keys with DMS's kinds, and the CLI exits 4.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import mysql from 'mysql2/promise';
import { parseTask } from '../../src/task-file/load-task.ts';
import { runTask } from '../../src/task/TaskRunner.ts';
import { validateData, type DataValidationReport, type TableReport } from '../../src/validate-data/validate-data.ts';
import { PromMetrics } from '../../../runtime/src/metrics/metrics.ts';
import { openObjectStore } from '../../../runtime/src/storage/object-store.ts';
import { quietLog } from '../../../test/helpers/sink-kit/quiet.ts';
import { createBucket, S3 } from '../../../test/helpers/sink-kit/services.ts';
import { ROOT } from '../../../test/helpers/ferry-process.ts';
import { services, uniqueName } from '../../../test/helpers/services.ts';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function table(r: DataValidationReport, source: string): TableReport {
  const t = r.targets.find((x) => x.type === 'parquet')!.tables.find((x) => x.source === source);
  assert.ok(t, `${source} in the report`);
  return t;
}

const kinds = (t: TableReport): string[] => t.mismatches.map((m) => `${m.type} ${JSON.stringify(m.key)}${m.columns.length ? ` ${m.columns.join(',')}` : ''}`).sort();

// TIME within a day: the lake's TIME(µs) dead-letters durations outside 0–24 h (docs/sinks/s3-lake.md).
const ITEMS = `id INT PRIMARY KEY, v BIGINT NOT NULL, s VARCHAR(64), d DECIMAL(12,2) NOT NULL, wide DECIMAL(40,10), ts DATETIME(6) NOT NULL, dt DATE, b VARBINARY(8), j JSON, f DOUBLE, flag BOOLEAN,
  tz TIMESTAMP(6) NULL, tm TIME(6), bu BIGINT UNSIGNED, b1 BIT(1), b5 BIT(5), en ENUM('a','b b'), st SET('x','y'), ch CHAR(4), tx TEXT, bl BLOB, u UUID, yr YEAR, fl FLOAT, ti TINYINT UNSIGNED, i4 INET4`;

async function duck(sql: string): Promise<unknown[][]> {
  const inst = await DuckDBInstance.create(':memory:');
  const c = await inst.connect();
  try {
    return (await c.runAndReadAll(sql)).getRows() as unknown[][];
  } finally {
    c.closeSync();
    inst.closeSync();
  }
}

test('Parquet lake: zero false mismatches over many types after CDC, then one rewritten file is caught', { timeout: 180_000 }, async (t) => {
  const db = uniqueName('ferry_vdl');
  const bucket = db.replace(/_/g, '-');
  const dir = mkdtempSync(join(tmpdir(), 'ferry-vdl-'));
  const my = await mysql.createConnection({ ...services.mariadb, user: 'root', password: 'root' });
  const controller = new AbortController();
  let running: Promise<unknown> = Promise.resolve();
  t.after(async () => {
    controller.abort();
    await running.catch(() => undefined);
    await my.query(`DROP DATABASE IF EXISTS ${db}`);
    await my.end();
  });
  await createBucket(bucket);
  await my.query("SET time_zone = '+00:00'");
  await my.query(`CREATE DATABASE ${db}`);
  await my.query(`CREATE TABLE ${db}.items (${ITEMS})`);
  await my.query(`CREATE TABLE ${db}.skey (code VARCHAR(20) PRIMARY KEY, v INT)`);
  const items = Array.from({ length: 400 }, (_, i) => [i + 1, 9_007_199_254_740_993n + BigInt(i), i % 9 === 0 ? null : `row ${i} ü\t"q"\\ 😀`, (i % 1000) / 100 - 3, i % 3 ? `-123456789012345678901234567890.${String(i).padStart(10, '0')}` : null,
    '2024-01-02 03:04:05.654321', i % 4 ? '1999-12-31' : null, i % 5 ? Buffer.from([i % 256, 0, 255]) : null, i % 6 ? JSON.stringify({ id: i, b: 'x', a: [1, 2.5, null] }) : null, i % 7 ? i / 7 : null, i % 2,
    '2038-01-19 03:14:07.999999', i % 3 ? `${i % 24}:00:00.5` : null, 18446744073709551615n - BigInt(i), i % 2, i % 32, i % 2 ? 'b b' : 'a', i % 3 ? 'x,y' : '', `c${i % 10}`, 'long '.repeat(i % 50), Buffer.alloc(i % 100, 7),
    `123e4567-e89b-12d3-a456-${String(i).padStart(12, '0')}`, 1901 + (i % 250), i / 3, i % 256, `10.0.${i % 256}.1`]);
  await my.query(`INSERT INTO ${db}.items VALUES ?`, [items]);
  await my.query(`INSERT INTO ${db}.skey VALUES ?`, [Array.from({ length: 200 }, (_, i) => [`code-${i}`, i])]);

  const taskObject = {
    name: db, source: { engine: 'mariadb', ...services.mariadb, user: 'cdc', password: 'cdc' }, migrationType: 'full-load-and-cdc',
    tableMappings: { rules: [{ 'rule-type': 'selection', 'rule-id': '1', 'rule-name': 'all', 'rule-action': 'include', 'object-locator': { 'schema-name': db, 'table-name': '%' } }] },
    targets: [{ type: 'parquet', name: 'lake', location: `s3://${bucket}/lake`, s3: S3, partitioning: { by: 'none' }, maxFileAgeMs: 100 }],
    settings: { metrics: { enabled: false }, stateDir: join(dir, 'state'), offsetStore: 'sqlite', batch: { maxDelayMs: 5 } },
  };
  const task = parseTask(taskObject);
  const metrics = new PromMetrics({ collectProcessMetrics: false });
  running = runTask({ task, log: quietLog(), metrics, serveMetrics: false }, controller.signal);
  let failure: unknown;
  running.catch((e: unknown) => { failure = e; });
  const metric = async (name: string) => ((await metrics.registry.getSingleMetric(name)?.get())?.values ?? []).reduce((a, v) => a + v.value, 0);
  const waitEvents = async (n: number) => {
    for (let i = 0; i < 1200 && (await metric('ferry_events_total')) < n; i++) { if (failure) throw failure; await sleep(50); }
    assert.ok((await metric('ferry_events_total')) >= n, `${n} events read (${await metric('ferry_events_total')})`);
  };
  await waitEvents(600);
  await my.query(`UPDATE ${db}.items SET s = 'changed', d = 1.5, j = '{"z": 1, "a": 2}' WHERE id IN (10, 11)`);
  await my.query(`UPDATE ${db}.items SET s = 'again' WHERE id = 10`);
  await my.query(`DELETE FROM ${db}.items WHERE id IN (20, 21)`);
  await my.query(`INSERT INTO ${db}.items (id, v, d, ts, tz) VALUES (1000, -1, -0.01, '1970-01-01 00:00:00', '1970-01-01 00:00:01')`);
  await my.query(`UPDATE ${db}.skey SET v = -5 WHERE code = 'code-7'`);
  await my.query(`DELETE FROM ${db}.skey WHERE code = 'code-8'`);
  await waitEvents(600 + 3 + 2 + 1 + 2);
  // The lake is durable once the offsets are committed after the last events.
  const commits = await metric('ferry_offset_commits_total');
  for (let i = 0; i < 200 && (await metric('ferry_offset_commits_total')) < commits + 2; i++) await sleep(50);
  controller.abort();
  await running.catch(() => undefined);

  const clean = await validateData(task, { chunkRows: 100 });
  for (const name of ['items', 'skey']) {
    const r = table(clean, `${db}.${name}`);
    assert.equal(r.state, 'Validated', `${name}: ${r.message ?? ''} ${kinds(r).slice(0, 5).join('; ')}`);
    assert.equal(r.method, 'lake-state');
  }
  assert.deepEqual(table(clean, `${db}.items`).skippedColumns, [], 'every items column compared');
  assert.equal(table(clean, `${db}.items`).columns, 26);
  assert.equal(table(clean, `${db}.items`).sourceRows, 399);
  assert.equal(table(clean, `${db}.items`).targetRows, 399);
  assert.equal(table(clean, `${db}.skey`).targetRows, 199);
  assert.equal(table(clean, `${db}.items`).target, `s3://${bucket}/lake/${db}/items/`);
  assert.equal(clean.ok, true);

  // Rewrite the file that holds rows 7, 8 and 9: row 7 gets another tx, row 8 is dropped, a row 77777 is added.
  const store = await openObjectStore(`s3://${bucket}/lake`, S3);
  const keys = (await store.list(`${db}/items/`)).filter((k) => k.endsWith('.parquet'));
  let target: string | undefined;
  for (const k of keys) {
    const local = join(dir, 'probe.parquet');
    writeFileSync(local, await store.get(k));
    const [[n]] = (await duck(`SELECT count(*) FROM read_parquet('${local}') WHERE id IN (7, 8, 9)`)) as [[bigint]];
    if (Number(n) === 3) { target = k; break; }
  }
  assert.ok(target, `a file holds rows 7, 8 and 9 (files: ${keys.join(', ')})`);
  const before = join(dir, 'before.parquet');
  const after = join(dir, 'after.parquet');
  writeFileSync(before, await store.get(target));
  await duck(`COPY (SELECT * REPLACE (CASE WHEN id = 7 THEN 'tampered' ELSE tx END AS tx) FROM read_parquet('${before}') WHERE id <> 8
    UNION ALL SELECT * REPLACE (77777 AS id) FROM read_parquet('${before}') WHERE id = 9) TO '${after}' (FORMAT parquet)`);
  await store.putBytes(target, readFileSync(after));
  await store.close();

  const file = join(dir, 'task.json');
  writeFileSync(file, JSON.stringify(taskObject));
  const run = spawnSync(process.execPath, [join(ROOT, 'bin', 'ferry.js'), 'validate-data', file, '--json'], { encoding: 'utf8', timeout: 90_000 });
  assert.equal(run.status, 4, `exit 4 on mismatches (stderr: ${run.stderr.slice(-500)})`);
  const r = JSON.parse(run.stdout) as DataValidationReport;
  assert.deepEqual(kinds(table(r, `${db}.items`)), ['MISSING_SOURCE {"id":"77777"}', 'MISSING_TARGET {"id":"8"}', 'RECORD_DIFF {"id":"7"} tx']);
  assert.equal(table(r, `${db}.skey`).state, 'Validated');
  assert.equal(r.targets[0]!.failuresTable, undefined, 'no failures table for a lake');
});
