// settings.includeSchemaChanges (Debezium's include.schema.changes): MariaDB DDL on captured tables is written to the
// topic named by the prefix, keyed by database name, with the statement, the database and the binlog position in the
// source block; DDL on tables outside the mapping is not; `false` writes nothing. Read back with the independent
// reader (registry schema by id + avsc).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import mysql from 'mysql2/promise';
import { parseTask } from '../../app/src/task-file/load-task.ts';
import { createLogger } from '../../runtime/src/log/logger.ts';
import { PromMetrics } from '../../runtime/src/metrics/metrics.ts';
import { createAdmin } from '../../runtime/src/kafka/kafka-client.ts';
import { runTask } from '../../app/src/task/TaskRunner.ts';
import { services, uniqueName } from '../helpers/services.ts';
import { readDecoded } from '../helpers/topic-reader.ts';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Deletes the topics of a test's prefix (its data topics and its schema-change topic). */
async function dropTopics(prefix: string): Promise<void> {
  const kafka = createAdmin({ brokers: services.brokers, clientId: 'ferry-test-cleanup' });
  try {
    await kafka.deleteTopics((await kafka.listTopics()).filter((x) => x === prefix || x.startsWith(`${prefix}.`))).catch(() => undefined);
  } finally {
    await kafka.close();
  }
}
const quiet = () => createLogger({ destination: new Writable({ write(_c, _e, cb) { cb(); } }) });

/** Runs a cdc task on `db` with the given source options while `body` runs (`events(n)` waits for n events written). */
async function withTask(db: string, prefix: string, source: Record<string, unknown>, settings: Record<string, unknown>, body: (admin: mysql.Connection, events: (n: number) => Promise<void>) => Promise<void>): Promise<void> {
  const admin = await mysql.createConnection({ ...services.mariadb, user: 'root', password: 'root', multipleStatements: true });
  const task = parseTask({
    name: prefix, source: { engine: 'mariadb', ...services.mariadb, user: 'cdc', password: 'cdc', ...source }, migrationType: 'cdc',
    tableMappings: { rules: [{ 'rule-type': 'selection', 'rule-id': '1', 'rule-name': 'all', 'rule-action': 'include', 'object-locator': { 'schema-name': db, 'table-name': '%' } }] },
    kafka: { brokers: services.brokers, schemaRegistry: services.registryUrl, topicPrefix: prefix },
    settings: { metrics: { enabled: false }, stateDir: join(mkdtempSync(join(tmpdir(), 'ferry-ddl-topic-')), 'state'), offsetStore: 'sqlite', ...settings },
  });
  const metrics = new PromMetrics({ collectProcessMetrics: false });
  const controller = new AbortController();
  const running = runTask({ task, log: quiet(), metrics, serveMetrics: false }, controller.signal);
  const metric = async (name: string) => ((await metrics.registry.getSingleMetric(name)?.get())?.values ?? []).reduce((a, v) => a + v.value, 0);
  try {
    for (let i = 0; i < 200 && (await metric('ferry_offset_commits_total')) < 1; i++) await sleep(50);
    await body(admin, async (n) => {
      for (let i = 0; i < 300 && (await metric('ferry_events_total')) < n; i++) await sleep(50);
      assert.ok((await metric('ferry_events_total')) >= n, `${n} events written`);
      await sleep(300);
    });
  } finally {
    controller.abort();
    await running.catch(() => undefined);
    await admin.end();
  }
}

test('DDL on captured tables goes to the schema-change topic, keyed by database, with the statement and its position', { timeout: 120000 }, async (t) => {
  const db = uniqueName('ferry_ddl');
  const other = `${db}_x`;
  const root = await mysql.createConnection({ ...services.mariadb, user: 'root', password: 'root' });
  await root.query(`CREATE DATABASE ${db}`);
  await root.query(`CREATE DATABASE ${other}`);
  await root.query(`CREATE TABLE ${db}.a (id INT PRIMARY KEY, v INT)`);
  t.after(async () => { await root.query(`DROP DATABASE ${db}`); await root.query(`DROP DATABASE ${other}`); await root.end(); await dropTopics(db); });

  const ddls = [
    `ALTER TABLE ${db}.a ADD COLUMN note VARCHAR(20) NULL`,
    `CREATE TABLE ${db}.b (id BIGINT PRIMARY KEY, s TEXT)`,
    `DROP TABLE ${db}.b`,
  ];
  await withTask(db, db, {}, {}, async (admin, events) => {
    await admin.query(ddls[0]!);
    await admin.query(`CREATE TABLE ${other}.y (id INT PRIMARY KEY)`); // not in the table mapping: no record
    await admin.query(ddls[1]!);
    await admin.query(ddls[2]!);
    await admin.query(`INSERT INTO ${db}.a VALUES (1, 1, 'after the DDL')`);
    await events(1);
  });

  const records = await readDecoded(db);
  assert.deepEqual(records.map((r) => r.key), ddls.map(() => ({ databaseName: db })));
  const values = records.map((r) => r.value as unknown as Record<string, unknown> & { source: Record<string, unknown> });
  // each statement as the binlog holds it: MariaDB logs a DROP TABLE rewritten, with quoted names and a comment
  assert.deepEqual(values.map((v) => v.ddl), [ddls[0], ddls[1], `DROP TABLE \`${db}\`.\`b\` /* generated by server */`]);
  for (const [i, v] of values.entries()) {
    assert.equal(v.databaseName, db);
    assert.equal(v.schemaName, null);
    assert.deepEqual(v.tableChanges, []);
    assert.ok(Math.abs(Number(v.ts_ms) - Date.now()) < 120000, 'ts_ms: when Ferry wrote the record');
    assert.ok(Math.abs(Number(v.source.ts_ms) - Date.now()) < 120000, 'source.ts_ms: the DDL\'s time in the binlog');
    assert.equal(v.source.connector, 'mariadb');
    assert.equal(v.source.name, db);
    assert.equal(v.source.db, db);
    assert.equal(v.source.table, i === 0 ? 'a' : 'b');
    assert.equal(v.source.snapshot, 'false');
    assert.match(String(v.source.file), /\.\d{6}$/);
    assert.ok(Number(v.source.pos) > 0);
    assert.match(String(v.source.gtid), /^0-1-\d+$/); // MariaDB's GTID of the DDL
  }
  assert.ok(Number(values[1]!.source.pos) > Number(values[0]!.source.pos) || values[1]!.source.file !== values[0]!.source.file, 'positions move forward');
  // The registered schemas are Debezium's names (the independent reader decoded with them above).
  const latest = async (subject: string) => JSON.parse(((await (await fetch(`${services.registryUrl}/subjects/${subject}/versions/latest`)).json()) as { schema: string }).schema) as { name: string; namespace: string; fields: { name: string }[] };
  const key = await latest(`${db}-key`);
  const value = await latest(`${db}-value`);
  assert.equal(`${key.namespace}.${key.name}`, 'io.debezium.connector.mariadb.SchemaChangeKey');
  assert.equal(`${value.namespace}.${value.name}`, 'io.debezium.connector.mariadb.SchemaChangeValue');
  assert.deepEqual(value.fields.map((f) => f.name), ['source', 'ts_ms', 'databaseName', 'schemaName', 'ddl', 'tableChanges']);
  // the data topic got the row with the new column
  const a = await readDecoded(`${db}.${db}.a`);
  assert.deepEqual(a.map((r) => r.value!.after), [{ id: 1, v: 1, note: 'after the DDL' }]);
});

test('includeSchemaChanges: false writes no schema-change record', { timeout: 120000 }, async (t) => {
  const db = uniqueName('ferry_noddl');
  const root = await mysql.createConnection({ ...services.mariadb, user: 'root', password: 'root' });
  await root.query(`CREATE DATABASE ${db}`);
  await root.query(`CREATE TABLE ${db}.a (id INT PRIMARY KEY, v INT)`);
  t.after(async () => { await root.query(`DROP DATABASE ${db}`); await root.end(); await dropTopics(db); });
  await withTask(db, db, {}, { includeSchemaChanges: false }, async (admin, events) => {
    await admin.query(`ALTER TABLE ${db}.a ADD COLUMN note VARCHAR(20) NULL`);
    await admin.query(`INSERT INTO ${db}.a VALUES (1, 1, 'x')`);
    await events(1);
  });
  const kafka = createAdmin({ brokers: services.brokers, clientId: 'ferry-test-admin' });
  try {
    const topics = await kafka.listTopics();
    assert.ok(topics.includes(`${db}.${db}.a`), 'the data topic exists');
    assert.ok(!topics.includes(db), 'no schema-change topic');
  } finally {
    await kafka.close();
  }
});
