// A table-mapping rename in Kafka mode: `ferry run` writes the topics, a `ferry sink` worker (runTaskSinkWorkers)
// writes a PostgreSQL target. The target table must carry the renamed schema and table names, as in direct mode, and
// be created from the schema conversion (its secondary index and its check constraint), not from the event schema
// under the source names: the events' source block keeps the source names, so the worker names tables through the
// task's rename rules (RecordDecoderOptions.tableId).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mysql from 'mysql2/promise';
import pg from 'pg';
import { parseTask } from '../../app/src/task-file/load-task.ts';
import { runTask } from '../../app/src/task/TaskRunner.ts';
import { runTaskSinkWorkers } from '../../app/src/task/targets.ts';
import { PromMetrics } from '../../runtime/src/metrics/metrics.ts';
import { quietLog, services, uniqueName } from '../helpers/sink-kit/services.ts';
import { sleep } from '../helpers/ferry-process.ts';

const PG = { ...services.postgres, user: 'postgres', password: 'postgres', database: 'shop' };

test('Kafka mode: schema and table renames reach the PostgreSQL target, whose table comes from the schema conversion', { timeout: 180_000 }, async (t) => {
  const db = uniqueName('ferry_kren');
  const renamed = `${db}_dw`;
  const my = await mysql.createConnection({ ...services.mariadb, user: 'root', password: 'root' });
  const target = new pg.Client(PG);
  await target.connect();
  await my.query(`CREATE DATABASE ${db}`);
  await my.query(`CREATE TABLE ${db}.items (id INT PRIMARY KEY, sku VARCHAR(20) NOT NULL, qty INT NOT NULL CHECK (qty >= 0), KEY items_sku (sku))`);
  await my.query(`INSERT INTO ${db}.items VALUES ${Array.from({ length: 200 }, (_, i) => `(${i}, 'sku-${i}', ${i})`).join(',')}`);
  const loc = { 'schema-name': db, 'table-name': 'items' };
  const task = parseTask({
    name: db, source: { engine: 'mariadb', ...services.mariadb, user: 'cdc', password: 'cdc' }, migrationType: 'full-load-and-cdc',
    tableMappings: { rules: [
      { 'rule-type': 'selection', 'rule-id': '1', 'rule-name': 'items', 'rule-action': 'include', 'object-locator': loc },
      { 'rule-type': 'transformation', 'rule-id': '2', 'rule-name': 'schema', 'rule-target': 'schema', 'rule-action': 'rename', 'object-locator': { 'schema-name': db }, value: renamed },
      { 'rule-type': 'transformation', 'rule-id': '3', 'rule-name': 'table', 'rule-target': 'table', 'rule-action': 'rename', 'object-locator': loc, value: 'products' },
    ] },
    kafka: { brokers: services.brokers, schemaRegistry: services.registryUrl, topicPrefix: db },
    targets: [{ type: 'postgres', name: 'pg', ...PG, stateSchema: db }],
    settings: { metrics: { enabled: false }, stateDir: join(mkdtempSync(join(tmpdir(), 'ferry-kren-')), 'state'), offsetStore: 'sqlite', batch: { maxDelayMs: 20 } },
  });
  const stop = new AbortController();
  const metrics = new PromMetrics({ collectProcessMetrics: false });
  const running = runTask({ task, log: quietLog(), metrics, serveMetrics: false }, stop.signal);
  const sinking = runTaskSinkWorkers({ task, log: quietLog(), metrics }, stop.signal);
  let failure: unknown;
  running.catch((e: unknown) => { failure = e; });
  sinking.catch((e: unknown) => { failure = e; });
  t.after(async () => {
    stop.abort();
    await Promise.allSettled([running, sinking]);
    await my.query(`DROP DATABASE IF EXISTS ${db}`);
    for (const s of [renamed, db]) await target.query(`DROP SCHEMA IF EXISTS "${s}" CASCADE`);
    await my.end();
    await target.end();
  });
  const count = async () => Number((await target.query(`SELECT count(*)::int AS n FROM "${renamed}".products`).catch(() => ({ rows: [{ n: -1 }] }))).rows[0].n);
  for (let i = 0; i < 600 && (await count()) !== 200; i++) { if (failure) throw failure; await sleep(100); }
  assert.equal(await count(), 200);
  await my.query(`UPDATE ${db}.items SET qty = qty + 1000 WHERE id < 10`);
  await my.query(`DELETE FROM ${db}.items WHERE id = 199`);
  const sum = async () => Number((await target.query(`SELECT sum(qty)::int AS s FROM "${renamed}".products`)).rows[0].s);
  const want = Array.from({ length: 199 }, (_, i) => i).reduce((a, i) => a + i + (i < 10 ? 1000 : 0), 0);
  for (let i = 0; i < 300 && (await sum()) !== want; i++) { if (failure) throw failure; await sleep(100); }
  assert.equal(await sum(), want);
  // Nothing under the source names, and the converted table: its index and check constraint.
  const stray = await target.query(`SELECT table_schema, table_name FROM information_schema.tables WHERE table_schema IN ($1, $2) AND table_name <> '_ferry_sink_offsets' AND table_name NOT LIKE '\\_ferry%' ORDER BY 1, 2`, [db, renamed]);
  assert.deepEqual(stray.rows, [{ table_schema: renamed, table_name: 'products' }]);
  const idx = await target.query(`SELECT indexname FROM pg_indexes WHERE schemaname = $1 AND tablename = 'products' ORDER BY 1`, [renamed]);
  assert.ok(idx.rows.some((r) => /sku/.test(r.indexname)), JSON.stringify(idx.rows));
  const checks = await target.query(`SELECT pg_get_constraintdef(c.oid) AS def FROM pg_constraint c JOIN pg_class t ON t.oid = c.conrelid JOIN pg_namespace n ON n.oid = t.relnamespace WHERE n.nspname = $1 AND t.relname = 'products' AND c.contype = 'c'`, [renamed]);
  assert.ok(checks.rows.some((r) => /qty >= 0/.test(r.def)), JSON.stringify(checks.rows));
});
