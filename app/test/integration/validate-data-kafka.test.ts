// `ferry validate-data` against Kafka topics (docs/validation.md#kafka-topics-lakes-and-redshift): MariaDB tables
// over many types go through `ferry run` (in process) to Ferry's topics — snapshot, then inserts, updates and deletes
// with their tombstones — and on through a `kafka` target (the real sink worker, exactly-once, renamed topics) to
// mirror topics; both are validated with zero false mismatches. Then records are produced to a Ferry topic by hand — a
// changed value for an existing key, a tombstone for another, a row the source never had — and validation reports
// exactly those keys with DMS's kinds (the mirror, untouched, stays validated), and the CLI exits 4.
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Admin } from '@platformatic/kafka';
import mysql from 'mysql2/promise';
import pg from 'pg';
import { parseTask } from '../../src/task-file/load-task.ts';
import { runTask } from '../../src/task/TaskRunner.ts';
import { runTaskSinkWorkers } from '../../src/task/targets.ts';
import { validateData, type DataValidationReport, type TableReport } from '../../src/validate-data/validate-data.ts';
import { PromMetrics } from '../../../runtime/src/metrics/metrics.ts';
import { createProducer, readTopicToEnd, createAdmin } from '../../../runtime/src/kafka/kafka-client.ts';
import { ConfluentRegistryClient } from '../../../schemas/src/ConfluentRegistryClient.ts';
import { encodeWire, WireDecoder } from '../../../schemas/src/event-encoder.ts';
import { quietLog } from '../../../test/helpers/sink-kit/quiet.ts';
import { dropPgTaskObjects, ROOT } from '../../../test/helpers/ferry-process.ts';
import { services, uniqueName } from '../../../test/helpers/services.ts';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function table(r: DataValidationReport, source: string, target = 'kafka'): TableReport {
  const t = r.targets.find((x) => x.target.startsWith(target))!.tables.find((x) => x.source === source);
  assert.ok(t, `${source} in the report`);
  return t;
}

const kinds = (t: TableReport): string[] => t.mismatches.map((m) => `${m.type} ${JSON.stringify(m.key)}${m.columns.length ? ` ${m.columns.join(',')}` : ''}`).sort();

const ITEMS = `id INT PRIMARY KEY, v BIGINT NOT NULL, s VARCHAR(64), d DECIMAL(12,2) NOT NULL, ts DATETIME(6) NOT NULL, dt DATE, b VARBINARY(8), j JSON, f DOUBLE, flag BOOLEAN,
  tz TIMESTAMP(6) NULL, tm TIME(6), bu BIGINT UNSIGNED, b1 BIT(1), b5 BIT(5), en ENUM('a','b b'), st SET('x','y'), ch CHAR(4), tx TEXT, bl BLOB, u UUID, yr YEAR, fl FLOAT, ti TINYINT UNSIGNED, i4 INET4`;

test('Kafka topics: zero false mismatches over many types after CDC, then a changed record, a tombstone and an extra key are caught', { timeout: 180_000 }, async (t) => {
  const db = uniqueName('ferry_vdk');
  const dir = mkdtempSync(join(tmpdir(), 'ferry-vdk-'));
  const my = await mysql.createConnection({ ...services.mariadb, user: 'root', password: 'root' });
  const controller = new AbortController();
  let running: Promise<unknown> = Promise.resolve();
  t.after(async () => {
    controller.abort();
    await running.catch(() => undefined);
    await my.query(`DROP DATABASE IF EXISTS ${db}`);
    await my.end();
    const admin = createAdmin({ brokers: services.brokers, clientId: 'ferry-test-cleanup' });
    await admin.deleteTopics((await admin.listTopics()).filter((x) => x.includes(db))).catch(() => undefined);
    await admin.close();
  });
  await my.query("SET time_zone = '+00:00'");
  await my.query(`CREATE DATABASE ${db}`);
  await my.query(`CREATE TABLE ${db}.items (${ITEMS})`);
  await my.query(`CREATE TABLE ${db}.kv (k1 INT, k2 VARCHAR(8), v INT, PRIMARY KEY (k1, k2))`);
  await my.query(`CREATE TABLE ${db}.skey (code VARCHAR(20) PRIMARY KEY, v INT, note VARCHAR(10))`);
  await my.query(`CREATE TABLE ${db}.nopk (x INT)`);
  const items = Array.from({ length: 400 }, (_, i) => [i + 1, 9_007_199_254_740_993n + BigInt(i), i % 9 === 0 ? null : `row ${i} ü\t"q"\\ 😀`, (i % 1000) / 100 - 3, '2024-01-02 03:04:05.654321', i % 4 ? '1999-12-31' : null,
    i % 5 ? Buffer.from([i % 256, 0, 255]) : null, i % 6 ? JSON.stringify({ id: i, b: 'x', a: [1, 2.5, null] }) : null, i % 7 ? i / 7 : null, i % 2, '2038-01-19 03:14:07.999999', i % 3 ? `-${i % 800}:00:00.5` : null,
    18446744073709551615n - BigInt(i), i % 2, i % 32, i % 2 ? 'b b' : 'a', i % 3 ? 'x,y' : '', `c${i % 10}`, 'long '.repeat(i % 50), Buffer.alloc(i % 100, 7), `123e4567-e89b-12d3-a456-${String(i).padStart(12, '0')}`, 1901 + (i % 250), i / 3, i % 256, `10.0.${i % 256}.1`]);
  await my.query(`INSERT INTO ${db}.items VALUES ?`, [items]);
  await my.query(`INSERT INTO ${db}.kv VALUES ?`, [Array.from({ length: 300 }, (_, i) => [i % 10, `k${i}`, i])]);
  await my.query(`INSERT INTO ${db}.skey VALUES ?`, [Array.from({ length: 200 }, (_, i) => [`code-${i}`, i, i % 2 ? 'odd' : null])]);
  await my.query(`INSERT INTO ${db}.nopk VALUES (1), (1)`);

  const taskObject = {
    name: db, source: { engine: 'mariadb', ...services.mariadb, user: 'cdc', password: 'cdc' }, migrationType: 'full-load-and-cdc',
    tableMappings: { rules: [
      { 'rule-type': 'selection', 'rule-id': '1', 'rule-name': 'all', 'rule-action': 'include', 'object-locator': { 'schema-name': db, 'table-name': '%' } },
      // A renamed column and a removed one: the topic carries the target names.
      { 'rule-type': 'transformation', 'rule-id': '2', 'rule-name': 'ren', 'rule-target': 'column', 'rule-action': 'rename', 'object-locator': { 'schema-name': db, 'table-name': 'skey', 'column-name': 'v' }, value: 'value_renamed' },
      { 'rule-type': 'transformation', 'rule-id': '3', 'rule-name': 'rm', 'rule-target': 'column', 'rule-action': 'remove-column', 'object-locator': { 'schema-name': db, 'table-name': 'skey', 'column-name': 'note' } },
    ] },
    kafka: { brokers: services.brokers, schemaRegistry: services.registryUrl, topicPrefix: db, partitions: 3 },
    targets: [{ type: 'kafka', name: 'mirror', brokers: services.brokers, topic: `mirror_${db}.{schema}.{table}`, createTopics: { partitions: 2 } }],
    settings: { metrics: { enabled: false }, stateDir: join(dir, 'state'), offsetStore: 'sqlite', batch: { maxDelayMs: 5 } },
  };
  const task = parseTask(taskObject);
  const metrics = new PromMetrics({ collectProcessMetrics: false });
  running = runTask({ task, log: quietLog(), metrics, serveMetrics: false }, controller.signal);
  const workerMetrics = new PromMetrics({ collectProcessMetrics: false });
  const stopWorkers = new AbortController();
  const workers = runTaskSinkWorkers({ task, log: quietLog(), metrics: workerMetrics }, stopWorkers.signal);
  t.after(async () => { stopWorkers.abort(); await workers.catch(() => undefined); });
  let failure: unknown;
  running.catch((e: unknown) => { failure = e; });
  const events = async () => ((await metrics.registry.getSingleMetric('ferry_events_total')?.get())?.values ?? []).reduce((a, v) => a + v.value, 0);
  const waitEvents = async (n: number) => {
    for (let i = 0; i < 1200 && (await events()) < n; i++) { if (failure) throw failure; await sleep(50); }
    assert.ok((await events()) >= n, `${n} events reached Kafka (${await events()})`);
  };
  await waitEvents(400 + 300 + 200 + 2);
  // CDC: updates, deletes (with tombstones), inserts, a key updated twice.
  await my.query(`UPDATE ${db}.items SET s = 'changed', d = 1.5, j = '{"z": 1, "a": 2}' WHERE id IN (10, 11)`);
  await my.query(`UPDATE ${db}.items SET s = 'again' WHERE id = 10`);
  await my.query(`DELETE FROM ${db}.items WHERE id IN (20, 21)`);
  await my.query(`INSERT INTO ${db}.items (id, v, d, ts, tz) VALUES (1000, -1, -0.01, '1970-01-01 00:00:00', '1970-01-01 00:00:01')`);
  await my.query(`DELETE FROM ${db}.kv WHERE k1 = 0 AND k2 = 'k0'`);
  await my.query(`UPDATE ${db}.skey SET v = -5 WHERE code = 'code-7'`);
  // A truncate (to partition 0) between rows of the other partitions: only the rows after it remain.
  await my.query(`TRUNCATE TABLE ${db}.kv`);
  await my.query(`INSERT INTO ${db}.kv VALUES (1, 'n1', 1), (2, 'n2', 2), (3, 'n3', 3)`);
  await waitEvents(902 + 2 + 1 + 2 + 1 + 1 + 1 + 1 + 3);
  controller.abort();
  await running.catch(() => undefined);
  // The mirror has every change once the worker's count of written rows stops growing at the topics' record count.
  const written = async () => (await workerMetrics.registry.getMetricsAsJSON()).filter((m) => m.name.endsWith('sink_records_total')).flatMap((m) => m.values).reduce((a, v) => a + Number(v.value), 0);
  for (let i = 0, last = -1; i < 60; i++) {
    const n = await written();
    if (n === last && n >= 900) break;
    last = n;
    await sleep(1000);
  }
  stopWorkers.abort();
  await workers;

  const clean = await validateData(task, { chunkRows: 100 });
  for (const name of ['items', 'kv', 'skey']) {
    const r = table(clean, `${db}.${name}`);
    assert.equal(r.state, 'Validated', `${name}: ${r.message ?? ''} ${kinds(r).slice(0, 5).join('; ')}`);
    assert.equal(r.method, 'topic-state');
  }
  assert.deepEqual(table(clean, `${db}.items`).skippedColumns, [], 'every items column compared');
  assert.deepEqual(table(clean, `${db}.skey`).skippedColumns, [{ column: 'note', reason: 'not in the target (removed by the table mapping)' }]);
  assert.equal(table(clean, `${db}.items`).sourceRows, 399);
  assert.equal(table(clean, `${db}.items`).targetRows, 399);
  assert.equal(table(clean, `${db}.kv`).targetRows, 3, 'the truncate removed the rows before it');
  assert.equal(table(clean, `${db}.kv`).sourceRows, 3);
  assert.equal(table(clean, `${db}.skey`).target, `${db}.${db}.skey`);
  assert.equal(table(clean, `${db}.nopk`).state, 'No primary key');
  for (const name of ['items', 'kv', 'skey']) {
    const r = table(clean, `${db}.${name}`, 'mirror');
    assert.equal(r.state, 'Validated', `mirror ${name}: ${r.message ?? ''} ${kinds(r).slice(0, 5).join('; ')}`);
    assert.equal(r.target, `mirror_${db}.${db}.${name}`);
  }
  assert.equal(table(clean, `${db}.items`, 'mirror').targetRows, 399);
  assert.equal(clean.ok, true);

  // Tamper with the topic: a changed value for key 7, a tombstone for key 8, a key the source never had (copied from 9).
  const topic = `${db}.${db}.items`;
  const records = await readTopicToEnd({ brokers: services.brokers, clientId: 'ferry-test-tamper', topic, timeoutMs: 60_000 });
  const decoder = new WireDecoder(new ConfluentRegistryClient({ url: services.registryUrl }));
  const latest = async (id: number) => {
    for (const r of [...records].reverse()) if (r.key && r.value && ((await decoder.decode(r.key)).value as { id: number }).id === id) return r;
    throw new Error(`no record for ${id}`);
  };
  const r7 = await latest(7);
  const r8 = await latest(8);
  const r9 = await latest(9);
  const vType = await decoder.type(r7.value!.readUInt32BE(1));
  const kType = await decoder.type(r9.key!.readUInt32BE(1));
  const env7 = vType.fromBuffer(r7.value!.subarray(5)) as { op: string; after: Record<string, unknown> };
  env7.after.tx = 'tampered';
  const env9 = vType.fromBuffer(r9.value!.subarray(5)) as { after: Record<string, unknown> };
  env9.after.id = 77777;
  const producer = createProducer({ brokers: services.brokers, clientId: 'ferry-test-tamper' });
  await producer.send([
    { topic, partition: r7.partition, key: r7.key, value: encodeWire(vType, r7.value!.readUInt32BE(1), env7) },
    { topic, partition: r8.partition, key: r8.key, value: null },
    { topic, key: encodeWire(kType, r9.key!.readUInt32BE(1), { id: 77777 }), value: encodeWire(vType, r9.value!.readUInt32BE(1), env9) },
  ]);
  await producer.close();

  const file = join(dir, 'task.json');
  writeFileSync(file, JSON.stringify(taskObject));
  const run = spawnSync(process.execPath, [join(ROOT, 'bin', 'ferry.js'), 'validate-data', file, '--json', '--table', `${db}.items`], { encoding: 'utf8', timeout: 90_000 });
  assert.equal(run.status, 4, `exit 4 on mismatches (stderr: ${run.stderr.slice(-500)})`);
  const r = JSON.parse(run.stdout) as DataValidationReport;
  assert.deepEqual(kinds(table(r, `${db}.items`)), ['MISSING_SOURCE {"id":"77777"}', 'MISSING_TARGET {"id":"8"}', 'RECORD_DIFF {"id":"7"} tx']);
  assert.equal(table(r, `${db}.items`).state, 'Mismatched records');
  assert.equal(table(r, `${db}.items`, 'mirror').state, 'Validated', 'the mirror was not tampered with');
  assert.equal(r.targets[0]!.failuresTable, undefined, 'no failures table for a topic');
});

const PG_COLUMNS = `id bigint PRIMARY KEY, i2 smallint, i4 integer NOT NULL, i8 bigint, n numeric(12,3), nfree numeric, r real, d double precision, b boolean,
  t text, vc varchar(20), ch char(5), by bytea, dt date, ts timestamp(6), tstz timestamptz, tm time(6), j jsonb, js json, u uuid, arr integer[], tarr text[], m mood, bt bit(5), iv interval`;

const PG_VALUES = (id: number): string => {
  const k = id % 7;
  return `(${id}, ${k === 0 ? 'NULL' : (id % 65536) - 32768}, ${id * 3 - 50000}, ${k === 1 ? 'NULL' : `${BigInt(id) * 1_000_000_000_007n}`}, ${(id % 100000) / 1000 - 40}, ${k === 2 ? 'NULL' : `'${id}.${'0'.repeat(k)}1'`},
    ${id / 8}, ${id / 3}, ${k === 3 ? 'NULL' : id % 2 === 0}, ${k === 4 ? 'NULL' : `E'text ${id} ü 😀 \\t "q" \\\\'`}, 'vc${id}', ${k === 5 ? 'NULL' : `'c${id % 10}'`}, ${k === 6 ? 'NULL' : `'\\x00ff${(id % 256).toString(16).padStart(2, '0')}'`},
    '${1990 + (id % 30)}-0${1 + (id % 9)}-1${id % 10}', '2024-02-29 23:59:59.${String(id % 1000000).padStart(6, '0')}', '2024-06-01 12:00:00.5+0${id % 9}:30', '${String(id % 24).padStart(2, '0')}:30:00.000123',
    '{"id": ${id}, "nested": {"z": 1, "a": [1, 2.5, null]}, "s": "x\\"y"}', '{"b": 2, "a": 1}', '00000000-0000-4000-8000-${String(id).padStart(12, '0')}',
    ${k === 0 ? 'NULL' : `'{1,${id},NULL}'`}, '{"a b","c,d",NULL}', '${['happy', 'sad', 'ok'][id % 3]}', B'${(id % 32).toString(2).padStart(5, '0')}', '${id % 50} days ${id % 24}:00:01.25')`;
};

/** A PostgreSQL schema owned by cdc, dropped after the test with the task's slot, publication and topics. */
async function pgSchema(t: TestContext, prefix: string): Promise<{ name: string; dir: string; admin: pg.Client }> {
  const name = uniqueName(prefix);
  const dir = mkdtempSync(join(tmpdir(), `${prefix}-`));
  const admin = new pg.Client({ ...services.postgres, user: 'postgres', password: 'postgres', database: 'shop' });
  await admin.connect();
  t.after(async () => {
    await dropPgTaskObjects(admin, name).catch(() => undefined);
    await admin.query(`DROP SCHEMA IF EXISTS ${name} CASCADE`);
    await admin.end();
    const ka = createAdmin({ brokers: services.brokers, clientId: 'ferry-test-cleanup' });
    await ka.deleteTopics((await ka.listTopics()).filter((x) => x.includes(name))).catch(() => undefined);
    await ka.close();
  });
  await admin.query(`CREATE SCHEMA ${name} AUTHORIZATION cdc`);
  return { name, dir, admin };
}

test('Kafka topics of a PostgreSQL source: zero false mismatches over many types (numeric, timestamptz, arrays, enums, bit, interval, json)', { timeout: 120_000 }, async (t) => {
  const { name, dir, admin } = await pgSchema(t, 'ferry_vdkpg');
  await admin.query(`SET search_path = ${name}`);
  await admin.query("CREATE TYPE mood AS ENUM ('happy', 'sad', 'ok')");
  await admin.query(`CREATE TABLE items (${PG_COLUMNS})`);
  await admin.query('CREATE TABLE ukey (id uuid PRIMARY KEY, v int)');
  await admin.query('ALTER TABLE items OWNER TO cdc; ALTER TABLE ukey OWNER TO cdc; ALTER TYPE mood OWNER TO cdc; ALTER TABLE items REPLICA IDENTITY FULL; ALTER TABLE ukey REPLICA IDENTITY FULL');
  await admin.query(`INSERT INTO items VALUES ${Array.from({ length: 500 }, (_, j) => PG_VALUES(j + 1)).join(',')}`);
  await admin.query(`INSERT INTO ukey SELECT ('00000000-0000-4000-8000-' || lpad(g::text, 12, '0'))::uuid, g FROM generate_series(1, 300) g`);
  const task = parseTask({
    name, source: { engine: 'postgres', ...services.postgres, user: 'cdc', password: 'cdc', database: 'shop' }, migrationType: 'full-load',
    tableMappings: { rules: [{ 'rule-type': 'selection', 'rule-id': '1', 'rule-name': 'all', 'rule-action': 'include', 'object-locator': { 'schema-name': name, 'table-name': '%' } }] },
    kafka: { brokers: services.brokers, schemaRegistry: services.registryUrl, topicPrefix: name, partitions: 2 },
    settings: { metrics: { enabled: false }, stateDir: join(dir, 'state'), offsetStore: 'sqlite' },
  });
  await runTask({ task, log: quietLog(), metrics: new PromMetrics({ collectProcessMetrics: false }), serveMetrics: false }, new AbortController().signal);
  const r = await validateData(task, { chunkRows: 100 });
  for (const x of ['items', 'ukey']) {
    const tr = table(r, `${name}.${x}`);
    assert.equal(tr.state, 'Validated', `${x}: ${tr.message ?? ''} ${kinds(tr).slice(0, 5).join('; ')}`);
    assert.deepEqual(tr.skippedColumns, [], `${x}: every column compared`);
  }
  assert.equal(table(r, `${name}.items`).sourceRows, 500);
  assert.equal(table(r, `${name}.items`).targetRows, 500);
  assert.equal(table(r, `${name}.ukey`).targetRows, 300);
});

test('Kafka topics of a PostgreSQL source with interval.handling.mode string: intervals with years and months compare exactly', { timeout: 60_000 }, async (t) => {
  const { name, dir, admin } = await pgSchema(t, 'ferry_vdkiv');
  await admin.query(`CREATE TABLE ${name}.iv (id int PRIMARY KEY, iv interval)`);
  await admin.query(`ALTER TABLE ${name}.iv OWNER TO cdc`);
  await admin.query(`INSERT INTO ${name}.iv VALUES (1, '1 year 2 mons 3 days 04:05:06.78'), (2, '-1 year -2 mons +3 days -04:05:06.78'), (3, '0'), (4, NULL), (5, '7 mons 00:00:00.000001')`);
  const task = parseTask({
    name, source: { engine: 'postgres', ...services.postgres, user: 'cdc', password: 'cdc', database: 'shop', intervalHandlingMode: 'string' }, migrationType: 'full-load',
    tableMappings: { rules: [{ 'rule-type': 'selection', 'rule-id': '1', 'rule-name': 'all', 'rule-action': 'include', 'object-locator': { 'schema-name': name, 'table-name': '%' } }] },
    kafka: { brokers: services.brokers, schemaRegistry: services.registryUrl, topicPrefix: name },
    settings: { metrics: { enabled: false }, stateDir: join(dir, 'state'), offsetStore: 'sqlite' },
  });
  await runTask({ task, log: quietLog(), metrics: new PromMetrics({ collectProcessMetrics: false }), serveMetrics: false }, new AbortController().signal);
  const r = table(await validateData(task), `${name}.iv`);
  assert.equal(r.state, 'Validated', `${r.message ?? ''} ${kinds(r).join('; ')}`);
  assert.deepEqual(r.skippedColumns, []);
  assert.equal(r.targetRows, 5);

  // Records deleted from the topic's start (retention): it no longer holds every row, so it is not compared.
  const ka = new Admin({ clientId: 'ferry-test-trim', bootstrapBrokers: [...services.brokers] });
  await ka.deleteRecords({ topics: [{ name: `${name}.${name}.iv`, partitions: [{ partition: 0, offset: 1n }] }] });
  await ka.close();
  const trimmed = table(await validateData(task), `${name}.iv`);
  assert.equal(trimmed.state, 'Not supported');
  assert.match(trimmed.message ?? '', /no longer starts at offset 0 \(partition 0 starts at 1\): records were deleted by retention/);
});
