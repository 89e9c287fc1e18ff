// `ferry validate-data` against a Redshift target (docs/validation.md#kafka-topics-lakes-and-redshift), tested on
// the PostgreSQL stand-in the Redshift sink's own tests use (sinks/redshift/test/TestOnlyPgCopyExecutor.ts: staged
// files in moto, COPY/MERGE run on PostgreSQL 15). MariaDB tables over many types go through `ferry run` to Kafka,
// then through the sink worker and the real Redshift sink into the stand-in; validation reads the table back with
// plain SELECTs in text form (nothing Redshift lacks) and finds zero false mismatches; then rows changed, deleted and
// inserted in the table are reported with DMS's kinds, and the CLI exits 4.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mysql from 'mysql2/promise';
import { parseTask } from '../../src/task-file/load-task.ts';
import { runTask } from '../../src/task/TaskRunner.ts';
import { validateData, type DataValidationReport, type TableReport } from '../../src/validate-data/validate-data.ts';
import { PromMetrics } from '../../../runtime/src/metrics/metrics.ts';
import { runSinkWorker } from '../../../runtime/src/sink-worker/SinkWorker.ts';
import { createAdmin } from '../../../runtime/src/kafka/kafka-client.ts';
import { RedshiftSink } from '../../../sinks/redshift/src/RedshiftSink.ts';
import { dropSchema, PG, standIn, withPg } from '../../../sinks/redshift/test/helpers.ts';
import { quietLog } from '../../../test/helpers/sink-kit/quiet.ts';
import { caughtUp, createBucket, endOffsets, registry, S3 } from '../../../test/helpers/sink-kit/services.ts';
import { ROOT } from '../../../test/helpers/ferry-process.ts';
import { services, uniqueName } from '../../../test/helpers/services.ts';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function table(r: DataValidationReport, source: string): TableReport {
  const t = r.targets.find((x) => x.type === 'redshift')!.tables.find((x) => x.source === source);
  assert.ok(t, `${source} in the report`);
  return t;
}

const kinds = (t: TableReport): string[] => t.mismatches.map((m) => `${m.type} ${JSON.stringify(m.key)}${m.columns.length ? ` ${m.columns.join(',')}` : ''}`).sort();

// TIME within a day: Redshift's TIME dead-letters durations outside 0–24 h (docs/sinks/redshift.md).
const ITEMS = `id INT PRIMARY KEY, v BIGINT NOT NULL, s VARCHAR(64), d DECIMAL(12,2) NOT NULL, wide DECIMAL(40,10), ts DATETIME(6) NOT NULL, dt DATE, b VARBINARY(8), j JSON, f DOUBLE, flag BOOLEAN,
  tz TIMESTAMP(6) NULL, tm TIME(6), bu BIGINT UNSIGNED, b1 BIT(1), b5 BIT(5), en ENUM('a','b b'), st SET('x','y'), ch CHAR(4), tx TEXT, bl BLOB, u UUID, yr YEAR, fl FLOAT, ti TINYINT UNSIGNED, i4 INET4`;

test('Redshift (PostgreSQL stand-in): zero false mismatches over many types after CDC, then changed, deleted and added rows are caught', { timeout: 180_000 }, async (t) => {
  const db = uniqueName('ferry_vdr');
  const bucket = db.replace(/_/g, '-');
  const schema = db;
  const dir = mkdtempSync(join(tmpdir(), 'ferry-vdr-'));
  const my = await mysql.createConnection({ ...services.mariadb, user: 'root', password: 'root' });
  const controller = new AbortController();
  let running: Promise<unknown> = Promise.resolve();
  t.after(async () => {
    controller.abort();
    await running.catch(() => undefined);
    await my.query(`DROP DATABASE IF EXISTS ${db}`);
    await my.end();
    await dropSchema(schema);
    const admin = createAdmin({ brokers: services.brokers, clientId: 'ferry-test-cleanup' });
    await admin.deleteTopics((await admin.listTopics()).filter((x) => x.includes(db))).catch(() => undefined);
    await admin.close();
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

  const redshift = {
    connection: { host: PG.host, port: PG.port, database: PG.database, user: PG.user, password: PG.password, ssl: false },
    targetSchema: schema, stateSchema: schema, staging: { location: `s3://${bucket}/staging`, s3: S3 }, copyAuth: { iamRole: 'arn:aws:iam::123456789012:role/ferry-copy' },
  };
  const taskObject = {
    name: db, source: { engine: 'mariadb', ...services.mariadb, user: 'cdc', password: 'cdc' }, migrationType: 'full-load-and-cdc',
    tableMappings: { rules: [{ 'rule-type': 'selection', 'rule-id': '1', 'rule-name': 'all', 'rule-action': 'include', 'object-locator': { 'schema-name': db, 'table-name': '%' } }] },
    kafka: { brokers: services.brokers, schemaRegistry: services.registryUrl, topicPrefix: db, partitions: 2 },
    targets: [{ type: 'redshift', name: 'dw', ...redshift }],
    settings: { metrics: { enabled: false }, stateDir: join(dir, 'state'), offsetStore: 'sqlite', batch: { maxDelayMs: 5 } },
  };
  const task = parseTask(taskObject);
  const metrics = new PromMetrics({ collectProcessMetrics: false });
  running = runTask({ task, log: quietLog(), metrics, serveMetrics: false }, controller.signal);
  let failure: unknown;
  running.catch((e: unknown) => { failure = e; });
  const events = async () => ((await metrics.registry.getSingleMetric('ferry_events_total')?.get())?.values ?? []).reduce((a, v) => a + v.value, 0);
  const waitEvents = async (n: number) => {
    for (let i = 0; i < 1200 && (await events()) < n; i++) { if (failure) throw failure; await sleep(50); }
    assert.ok((await events()) >= n, `${n} events reached Kafka (${await events()})`);
  };
  await waitEvents(600);
  await my.query(`UPDATE ${db}.items SET s = 'changed', d = 1.5, j = '{"z": 1, "a": 2}' WHERE id IN (10, 11)`);
  await my.query(`UPDATE ${db}.items SET s = 'again' WHERE id = 10`);
  await my.query(`DELETE FROM ${db}.items WHERE id IN (20, 21)`);
  await my.query(`INSERT INTO ${db}.items (id, v, d, ts, tz) VALUES (1000, -1, -0.01, '1970-01-01 00:00:00', '1970-01-01 00:00:01')`);
  await my.query(`UPDATE ${db}.skey SET v = -5 WHERE code = 'code-7'`);
  await my.query(`DELETE FROM ${db}.skey WHERE code = 'code-8'`);
  await waitEvents(600 + 3 + 2 + 1 + 2);
  await sleep(300);
  controller.abort();
  await running.catch(() => undefined);

  // The sink worker drains the topics into the stand-in.
  const ends = new Map([...await endOffsets(`${db}.${db}.items`), ...await endOffsets(`${db}.${db}.skey`)]);
  const sink = new RedshiftSink({ name: 'dw', config: redshift, executor: standIn() });
  const committed = new Map<string, bigint>();
  const stop = new AbortController();
  const worker = runSinkWorker({
    brokers: services.brokers, registry: registry(), groupId: `${db}-dw`, topicPrefix: db, sink, log: quietLog(), metrics: new PromMetrics({ collectProcessMetrics: false }),
    batch: { maxRecords: 500, maxDelayMs: 200 }, onCommit: ({ offsets }) => { for (const o of offsets) committed.set(`${o.topic}/${o.partition}`, o.offset); },
  }, stop.signal);
  const deadline = Date.now() + 90_000;
  while (!caughtUp(committed, ends) && Date.now() < deadline) await sleep(250);
  stop.abort();
  const result = await worker;
  await sink.close();
  assert.ok(caughtUp(committed, ends), 'the worker caught up');
  assert.equal(result.deadLetters, 0);

  const clean = await validateData(task, { chunkRows: 100 });
  for (const name of ['items', 'skey']) {
    const r = table(clean, `${db}.${name}`);
    assert.equal(r.state, 'Validated', `${name}: ${r.message ?? ''} ${kinds(r).slice(0, 5).join('; ')}`);
    assert.equal(r.method, 'table-state');
  }
  assert.deepEqual(table(clean, `${db}.items`).skippedColumns, [], 'every items column compared');
  assert.equal(table(clean, `${db}.items`).columns, 26);
  assert.equal(table(clean, `${db}.items`).sourceRows, 399);
  assert.equal(table(clean, `${db}.items`).targetRows, 399);
  assert.equal(table(clean, `${db}.skey`).targetRows, 199);
  assert.equal(table(clean, `${db}.items`).target, `${schema}.items`);
  assert.equal(clean.targets.find((x) => x.type === 'kafka')!.tables.every((x) => x.state === 'Validated'), true, 'the topics too');
  assert.equal(clean.ok, true);

  await withPg(async (c) => {
    await c.query(`UPDATE "${schema}".items SET tx = 'tampered', tz = tz + interval '1 microsecond' WHERE id = 7`);
    await c.query(`DELETE FROM "${schema}".items WHERE id = 8`);
    await c.query(`INSERT INTO "${schema}".items SELECT 77777, v, s, d, wide, ts, dt, b, j, f, flag, tz, tm, bu, b1, b5, en, st, ch, tx, bl, u, yr, fl, ti, i4 FROM "${schema}".items WHERE id = 9`);
    await c.query(`UPDATE "${schema}".skey SET v = 0 WHERE code = 'code-9'`);
  });
  const file = join(dir, 'task.json');
  writeFileSync(file, JSON.stringify(taskObject));
  const run = spawnSync(process.execPath, [join(ROOT, 'bin', 'ferry.js'), 'validate-data', file, '--json'], { encoding: 'utf8', timeout: 90_000 });
  assert.equal(run.status, 4, `exit 4 on mismatches (stderr: ${run.stderr.slice(-500)})`);
  const r = JSON.parse(run.stdout) as DataValidationReport;
  assert.deepEqual(kinds(table(r, `${db}.items`)), ['MISSING_SOURCE {"id":"77777"}', 'MISSING_TARGET {"id":"8"}', 'RECORD_DIFF {"id":"7"} tz,tx']);
  assert.deepEqual(kinds(table(r, `${db}.skey`)), ['RECORD_DIFF {"code":"code-9"} v']);
});
