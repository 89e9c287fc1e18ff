// `ferry run` refuses a task that would do nothing or lose data, against the real MariaDB, PostgreSQL and Kafka:
// - a selection that matches no table (a schema-name typo) exits 1 with FERRY_NO_TABLES_SELECTED and the closest
//   schema name, for full-load and CDC tasks, instead of `{"ok": true, "events": 0}`;
// - tables `t x` and `t_x`, which share the topic `…t_x`, stop the run at start with FERRY_DESTINATION_COLLISION
//   before any topic is written;
// - a table created during CDC whose topic collides with a captured table's stops the task with the same code, and
//   none of its rows reach the topic (read back with an independent decoder).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import mysql from 'mysql2/promise';
import pg from 'pg';
import { services, uniqueName } from '../../../test/helpers/services.ts';
import { readDecoded } from '../../../test/helpers/topic-reader.ts';
import { parseTask } from '../../src/task-file/load-task.ts';
import { runTask } from '../../src/task/TaskRunner.ts';
import { createLogger } from '../../../runtime/src/log/logger.ts';
import { PromMetrics } from '../../../runtime/src/metrics/metrics.ts';
import { createAdmin } from '../../../runtime/src/kafka/kafka-client.ts';
import { FerryError } from '../../../core/src/errors.ts';

const ROOT = join(import.meta.dirname, '..', '..', '..');
const dir = mkdtempSync(join(tmpdir(), 'ferry-run-refusals-'));
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const FIX = 'add a table-mapping transformation rule (rule-action rename, or a prefix or suffix) that gives one of the two tables another name, or exclude one of them';

function taskDoc(name: string, source: Record<string, unknown>, schema: string, migrationType: string): Record<string, unknown> {
  return {
    name, source: { user: 'cdc', password: 'cdc', ...source }, migrationType,
    tableMappings: { rules: [{ 'rule-type': 'selection', 'rule-id': '1', 'rule-name': 'all', 'rule-action': 'include', 'object-locator': { 'schema-name': schema, 'table-name': '%' } }] },
    kafka: { brokers: services.brokers, schemaRegistry: services.registryUrl, topicPrefix: name },
    settings: { metrics: { enabled: false }, stateDir: join(dir, name), offsetStore: 'sqlite', batch: { maxDelayMs: 5 } },
  };
}

function ferryRun(doc: Record<string, unknown>): { status: number | null; out: { ok: boolean; events?: number; error?: { code: string; disposition: string; message: string } } } {
  const file = join(dir, `${String(doc.name)}.json`);
  writeFileSync(file, JSON.stringify(doc));
  const r = spawnSync(process.execPath, [join(ROOT, 'bin', 'ferry.js'), 'run', file, '--json'], { encoding: 'utf8', timeout: 90000, env: { ...process.env, FERRY_LOG_LEVEL: 'fatal' } });
  return { status: r.status, out: JSON.parse(r.stdout) as never };
}

async function topics(prefix: string): Promise<string[]> {
  const admin = createAdmin({ brokers: services.brokers, clientId: 'ferry-test-topics' });
  try {
    return (await admin.listTopics()).filter((t) => t.startsWith(`${prefix}.`)).sort();
  } finally {
    await admin.close();
  }
}

const typoOf = (name: string) => `${name.slice(0, -1)}${name.endsWith('q') ? 'w' : 'q'}`;

test('MariaDB: a schema-name typo fails full-load and CDC runs with FERRY_NO_TABLES_SELECTED and the closest schema (exit 1)', { timeout: 180000 }, async (t) => {
  const db = uniqueName('run_sel');
  const admin = await mysql.createConnection({ ...services.mariadb, user: 'root', password: 'root' });
  t.after(async () => { await admin.query(`DROP DATABASE IF EXISTS ${db}`); await admin.end(); });
  await admin.query(`CREATE DATABASE ${db}`);
  await admin.query(`CREATE TABLE ${db}.items (id INT PRIMARY KEY)`);
  await admin.query(`INSERT INTO ${db}.items VALUES (1), (2)`);
  const typo = typoOf(db);
  for (const migrationType of ['full-load', 'cdc', 'full-load-and-cdc']) {
    const name = `${db}_${migrationType.replaceAll('-', '_')}`;
    const r = ferryRun(taskDoc(name, { engine: 'mariadb', ...services.mariadb }, typo, migrationType));
    assert.equal(r.status, 1, JSON.stringify(r.out));
    assert.equal(r.out.ok, false);
    assert.equal(r.out.error!.code, 'FERRY_NO_TABLES_SELECTED');
    assert.equal(r.out.error!.disposition, 'fatal');
    assert.match(r.out.error!.message, new RegExp(`^the table mapping selects no table of the mariadb source at 127\\.0\\.0\\.1:${services.mariadb.port}: rule 1 \\(include schema-name "${typo}", table-name "%"\\): no schema is named like "${typo}"; did you mean "${db}"[,?].* Fix: correct the selection rules \\(schema-name is the MySQL/MariaDB database; names are case-sensitive\\); a task must select at least one existing table, whatever its migrationType$`));
    assert.deepEqual(await topics(name), []);
  }
});

test('PostgreSQL: a schema-name typo fails the run with the closest schema, and no slot or publication is made (exit 1)', { timeout: 120000 }, async (t) => {
  const schema = uniqueName('run_pgsel');
  const admin = new pg.Client({ ...services.postgres, user: 'postgres', password: 'postgres', database: 'shop' });
  await admin.connect();
  t.after(async () => { await admin.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`); await admin.end(); });
  await admin.query(`CREATE SCHEMA ${schema} AUTHORIZATION cdc`);
  await admin.query(`CREATE TABLE ${schema}.items (id INT PRIMARY KEY)`);
  await admin.query(`ALTER TABLE ${schema}.items OWNER TO cdc`);
  const typo = typoOf(schema);
  const r = ferryRun(taskDoc(schema, { engine: 'postgres', ...services.postgres, database: 'shop' }, typo, 'full-load-and-cdc'));
  assert.equal(r.status, 1, JSON.stringify(r.out));
  assert.equal(r.out.error!.code, 'FERRY_NO_TABLES_SELECTED');
  assert.match(r.out.error!.message, new RegExp(`: rule 1 \\(include schema-name "${typo}", table-name "%"\\): no schema is named like "${typo}"; did you mean "${schema}"[,?].* Fix: correct the selection rules \\(schema-name is a PostgreSQL schema of database "shop"; names are case-sensitive\\)`));
  const { rows } = await admin.query(`SELECT (SELECT count(*) FROM pg_replication_slots WHERE slot_name LIKE '%' || $1 || '%') AS slots, (SELECT count(*) FROM pg_publication WHERE pubname LIKE '%' || $1 || '%') AS pubs`, [schema]);
  assert.deepEqual(rows[0], { slots: '0', pubs: '0' });
});

test('MariaDB: `t x` and `t_x` stop a full-load run at start with FERRY_DESTINATION_COLLISION; no topic is written', { timeout: 120000 }, async (t) => {
  const db = uniqueName('run_coll');
  const admin = await mysql.createConnection({ ...services.mariadb, user: 'root', password: 'root' });
  t.after(async () => { await admin.query(`DROP DATABASE IF EXISTS ${db}`); await admin.end(); });
  await admin.query(`CREATE DATABASE ${db}`);
  await admin.query(`CREATE TABLE ${db}.\`t x\` (id INT PRIMARY KEY, v VARCHAR(10))`);
  await admin.query(`CREATE TABLE ${db}.t_x (id INT PRIMARY KEY, v VARCHAR(10))`);
  await admin.query(`INSERT INTO ${db}.\`t x\` VALUES (1, 'space')`);
  await admin.query(`INSERT INTO ${db}.t_x VALUES (1, 'under')`);
  const r = ferryRun(taskDoc(db, { engine: 'mariadb', ...services.mariadb }, db, 'full-load'));
  assert.equal(r.status, 1, JSON.stringify(r.out));
  assert.deepEqual(r.out, {
    ok: false,
    error: {
      code: 'FERRY_DESTINATION_COLLISION', disposition: 'fatal',
      message: `tables "${db}.t x" and "${db}.t_x" both write Kafka topic "${db}.${db}.t_x": their rows would be interleaved under colliding keys. Fix: ${FIX}`,
      details: { collisions: [{ where: 'Kafka topic', destination: `${db}.${db}.t_x`, tables: [`${db}.t x`, `${db}.t_x`] }] },
    },
  });
  assert.deepEqual(await topics(db), []);
});

test('MariaDB CDC: a table created later whose topic collides stops the task; none of its rows reach the topic', { timeout: 300000 }, async (t) => {
  const db = uniqueName('run_late');
  const admin = await mysql.createConnection({ ...services.mariadb, user: 'root', password: 'root' });
  await admin.query(`CREATE DATABASE ${db}`);
  await admin.query(`CREATE TABLE ${db}.t_x (id INT PRIMARY KEY, v VARCHAR(10))`);
  await admin.query(`INSERT INTO ${db}.t_x VALUES (1, 'a'), (2, 'b')`);
  const task = parseTask(taskDoc(db, { engine: 'mariadb', ...services.mariadb }, db, 'full-load-and-cdc'));
  const metrics = new PromMetrics({ collectProcessMetrics: false });
  const log = createLogger({ destination: new Writable({ write(_c, _e, cb) { cb(); } }) });
  const controller = new AbortController();
  const running = runTask({ task, log, metrics, serveMetrics: false }, controller.signal);
  let failure: unknown;
  running.catch((e: unknown) => { failure = e; });
  t.after(async () => {
    controller.abort();
    await running.catch(() => undefined);
    await admin.query(`DROP DATABASE IF EXISTS ${db}`);
    await admin.end();
  });
  const count = async () => ((await metrics.registry.getSingleMetric('ferry_events_total')?.get())?.values ?? []).reduce((a, v) => a + v.value, 0);
  const waitEvents = async (n: number) => {
    for (let i = 0; i < 600 && (await count()) < n; i++) { if (failure) throw failure; await sleep(50); }
    assert.equal(await count(), n);
  };
  await waitEvents(2);
  await admin.query(`INSERT INTO ${db}.t_x VALUES (3, 'c')`);
  await waitEvents(3);
  await admin.query(`CREATE TABLE ${db}.\`t x\` (id INT PRIMARY KEY, v VARCHAR(10))`);
  await admin.query(`INSERT INTO ${db}.\`t x\` VALUES (1, 'SPACE'), (4, 'SPACE')`);
  await admin.query(`INSERT INTO ${db}.t_x VALUES (5, 'e')`);
  await assert.rejects(running, (e: unknown) => {
    assert.ok(e instanceof FerryError, String(e));
    assert.equal(e.code, 'FERRY_DESTINATION_COLLISION');
    assert.equal(e.disposition, 'fatal');
    assert.equal(e.message, `tables "${db}.t_x" and "${db}.t x" both write Kafka topic "${db}.${db}.t_x": their rows would be interleaved under colliding keys. Fix: ${FIX}`);
    return true;
  });
  const records = await readDecoded(`${db}.${db}.t_x`);
  assert.deepEqual(records.map((r) => [r.value?.source.table, r.value?.op, r.key?.id, r.value?.after?.v]), [
    ['t_x', 'r', 1, 'a'], ['t_x', 'r', 2, 'b'], ['t_x', 'c', 3, 'c'],
  ]);
});
