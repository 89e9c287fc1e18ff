// settings.provideTransactionMetadata: BEGIN/END records on <prefix>.transaction and a transaction block per event.
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
import { runTask } from '../../app/src/task/TaskRunner.ts';
import { services, uniqueName } from '../helpers/services.ts';
import { readDecoded } from '../helpers/topic-reader.ts';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

test('MariaDB transactions are framed by BEGIN/END records and numbered in each event', { timeout: 120000 }, async (t) => {
  const db = uniqueName('ferry_tx');
  const admin = await mysql.createConnection({ ...services.mariadb, user: 'root', password: 'root' });
  await admin.query(`CREATE DATABASE ${db}`);
  await admin.query(`CREATE TABLE ${db}.a (id INT PRIMARY KEY, v INT)`);
  await admin.query(`CREATE TABLE ${db}.b (id INT PRIMARY KEY, v INT)`);
  await admin.query(`INSERT INTO ${db}.b VALUES (1, 1)`);
  const task = parseTask({
    name: db, source: { engine: 'mariadb', ...services.mariadb, user: 'cdc', password: 'cdc' }, migrationType: 'cdc',
    tableMappings: { rules: [{ 'rule-type': 'selection', 'rule-id': '1', 'rule-name': 'all', 'rule-action': 'include', 'object-locator': { 'schema-name': db, 'table-name': '%' } }] },
    kafka: { brokers: services.brokers, schemaRegistry: services.registryUrl, topicPrefix: db },
    settings: { metrics: { enabled: false }, stateDir: join(mkdtempSync(join(tmpdir(), 'ferry-tx-')), 'state'), offsetStore: 'sqlite', provideTransactionMetadata: true },
  });
  const metrics = new PromMetrics({ collectProcessMetrics: false });
  const controller = new AbortController();
  const running = runTask({ task, log: createLogger({ destination: new Writable({ write(_c, _e, cb) { cb(); } }) }), metrics, serveMetrics: false }, controller.signal);
  t.after(async () => { controller.abort(); await running.catch(() => undefined); await admin.query(`DROP DATABASE ${db}`); await admin.end(); });
  const metric = async (name: string) => ((await metrics.registry.getSingleMetric(name)?.get())?.values ?? []).reduce((a, v) => a + v.value, 0);
  for (let i = 0; i < 200 && (await metric('ferry_offset_commits_total')) < 1; i++) await sleep(50);

  await admin.beginTransaction();
  await admin.query(`INSERT INTO ${db}.a VALUES (1, 10), (2, 20)`);
  await admin.query(`UPDATE ${db}.b SET v = 2 WHERE id = 1`);
  await admin.commit();
  await admin.query(`INSERT INTO ${db}.a VALUES (3, 30)`);
  for (let i = 0; i < 200 && (await metric('ferry_events_total')) < 4; i++) await sleep(50);
  await sleep(300);

  const markers = (await readDecoded(`${db}.transaction`)).map((r) => r.value as unknown as { status: string; id: string; event_count: unknown; data_collections: { data_collection: string; event_count: unknown }[] | null });
  assert.deepEqual(markers.map((m) => m.status), ['BEGIN', 'END', 'BEGIN', 'END']);
  assert.equal(markers[0]!.id, markers[1]!.id);
  assert.notEqual(markers[1]!.id, markers[2]!.id);
  assert.match(markers[0]!.id, /^0-1-\d+$/); // the MariaDB GTID
  assert.equal(Number(markers[1]!.event_count), 3);
  assert.deepEqual(markers[1]!.data_collections!.map((c) => [c.data_collection, Number(c.event_count)]), [[`${db}.a`, 2], [`${db}.b`, 1]]);
  assert.equal(Number(markers[3]!.event_count), 1);
  const a = (await readDecoded(`${db}.${db}.a`)).map((r) => r.value as unknown as { transaction: { id: string; total_order: unknown; data_collection_order: unknown } });
  assert.deepEqual(a.map((e) => [e.transaction.id === markers[0]!.id, Number(e.transaction.total_order), Number(e.transaction.data_collection_order)]), [[true, 1, 1], [true, 2, 2], [false, 1, 1]]);
  const b = (await readDecoded(`${db}.${db}.b`)).map((r) => r.value as unknown as { transaction: { total_order: unknown; data_collection_order: unknown } });
  assert.deepEqual(b.map((e) => [Number(e.transaction.total_order), Number(e.transaction.data_collection_order)]), [[3, 1]]);
});
