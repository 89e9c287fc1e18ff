// DMS table mapping end to end: MariaDB → Ferry (runTask) → Kafka, with a schema, table and column rename, a column
// removal, SQLite expression columns, a masking rule and a source filter; every record is read back with the
// independent Avro decoder (test/helpers/topic-reader.ts) and compared value by value.
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

test('renames, a removed column, expression columns, masking and a source filter reach the Kafka topics', { timeout: 240000 }, async (t) => {
  const db = uniqueName('mapping_e2e');
  const admin = await mysql.createConnection({ ...services.mariadb, user: 'root', password: 'root' });
  await admin.query(`CREATE DATABASE ${db}`);
  await admin.query(`CREATE TABLE ${db}.people (id INT PRIMARY KEY, first VARCHAR(30), last VARCHAR(30), card VARCHAR(30), region CHAR(2), secret VARCHAR(30), salary INT)`);
  await admin.query(`INSERT INTO ${db}.people VALUES (1, 'Ada', 'Lovelace', 'C6BGJ56669K', 'EU', 's1', 30000), (2, 'Bob', 'Smith', '5500-1234', 'US', 's2', 10000)`);
  const loc = { 'schema-name': db, 'table-name': 'people' };
  const task = parseTask({
    name: db, source: { engine: 'mariadb', ...services.mariadb, user: 'cdc', password: 'cdc' }, migrationType: 'full-load-and-cdc',
    tableMappings: { rules: [
      { 'rule-type': 'selection', 'rule-id': '1', 'rule-name': 'eu', 'rule-action': 'include', 'object-locator': loc,
        filters: [{ 'filter-type': 'source', 'column-name': 'region', 'filter-conditions': [{ 'filter-operator': 'eq', value: 'EU' }] }] },
      { 'rule-type': 'transformation', 'rule-id': '2', 'rule-name': 'schema', 'rule-target': 'schema', 'rule-action': 'rename', 'object-locator': { 'schema-name': db }, value: 'crm_dw' },
      { 'rule-type': 'transformation', 'rule-id': '3', 'rule-name': 'table', 'rule-target': 'table', 'rule-action': 'rename', 'object-locator': loc, value: 'persons' },
      { 'rule-type': 'transformation', 'rule-id': '4', 'rule-name': 'pk', 'rule-target': 'column', 'rule-action': 'rename', 'object-locator': { ...loc, 'column-name': 'id' }, value: 'person_id' },
      { 'rule-type': 'transformation', 'rule-id': '5', 'rule-name': 'last', 'rule-target': 'column', 'rule-action': 'rename', 'object-locator': { ...loc, 'column-name': 'last' }, value: 'surname' },
      { 'rule-type': 'transformation', 'rule-id': '6', 'rule-name': 'drop', 'rule-target': 'column', 'rule-action': 'remove-column', 'object-locator': { ...loc, 'column-name': 'secret' } },
      { 'rule-type': 'transformation', 'rule-id': '7', 'rule-name': 'full', 'rule-target': 'column', 'rule-action': 'add-column', 'object-locator': loc, value: 'full_name', expression: "$first || ' ' || $last", 'data-type': { type: 'string', length: 61 } },
      { 'rule-type': 'transformation', 'rule-id': '8', 'rule-name': 'band', 'rule-target': 'column', 'rule-action': 'add-column', 'object-locator': loc, value: 'band', expression: "CASE WHEN $salary / 1000 >= 25 THEN 'SENIOR' ELSE 'JUNIOR' END || ':' || ($salary / 7)", 'data-type': { type: 'string', length: 20 } },
      { 'rule-type': 'transformation', 'rule-id': '9', 'rule-name': 'op', 'rule-target': 'column', 'rule-action': 'add-column', 'object-locator': loc, value: 'op_flag', expression: "operation_indicator('D', 'U', 'I')", 'data-type': { type: 'string', length: 1 } },
      { 'rule-type': 'transformation', 'rule-id': '10', 'rule-name': 'mask', 'rule-target': 'column', 'rule-action': 'data-masking-digits-mask', 'object-locator': { ...loc, 'column-name': 'card' }, value: '#' },
    ] },
    kafka: { brokers: services.brokers, schemaRegistry: services.registryUrl, topicPrefix: db },
    settings: { metrics: { enabled: false }, stateDir: join(mkdtempSync(join(tmpdir(), 'ferry-mapping-')), 'state'), offsetStore: 'sqlite', batch: { maxDelayMs: 5 } },
  });
  const metrics = new PromMetrics({ collectProcessMetrics: false });
  const controller = new AbortController();
  const running = runTask({ task, log: createLogger({ destination: new Writable({ write(_c, _e, cb) { cb(); } }) }), metrics, serveMetrics: false }, controller.signal);
  let failure: unknown;
  running.catch((e: unknown) => { failure = e; });
  t.after(async () => { controller.abort(); await running.catch(() => undefined); await admin.query(`DROP DATABASE IF EXISTS ${db}`); await admin.end(); });
  const metric = async (name: string) => ((await metrics.registry.getSingleMetric(name)?.get())?.values ?? []).reduce((a, v) => a + v.value, 0);
  const waitEvents = async (n: number) => {
    for (let i = 0; i < 1200 && (await metric('ferry_events_total')) < n; i++) { if (failure) throw failure; await sleep(50); }
    assert.equal(await metric('ferry_events_total'), n);
  };
  await waitEvents(1); // the snapshot: row 1 only (row 2 is filtered out)
  for (let i = 0; i < 200 && (await metric('ferry_offset_commits_total')) < 1; i++) await sleep(50);

  await admin.query(`INSERT INTO ${db}.people VALUES (3, 'Cy', 'Young', 'AB-77', 'EU', 's3', 20000), (4, 'Di', 'Prince', '99', 'US', 's4', 1)`);
  await admin.query(`UPDATE ${db}.people SET last = 'King', salary = 7000 WHERE id = 1`);
  await admin.query(`UPDATE ${db}.people SET first = 'Zed' WHERE id IN (3, 4)`);
  await admin.query(`DELETE FROM ${db}.people WHERE id IN (2, 3)`);
  await waitEvents(5); // r1, c3, u1, u3, d3 — rows 2 and 4 (US) never pass the filter
  await sleep(300);

  const records = await readDecoded(`${db}.crm_dw.persons`);
  const rows = records.map((r) => [r.value?.op ?? 'tombstone', r.key, r.value?.before ?? null, r.value?.after ?? null]);
  const ada = { person_id: 1, first: 'Ada', surname: 'Lovelace', card: 'C#BGJ#####K', region: 'EU', salary: 30000 };
  const cy = { person_id: 3, first: 'Cy', surname: 'Young', card: 'AB-##', region: 'EU', salary: 20000 };
  assert.deepEqual(rows, [
    ['r', { person_id: 1 }, null, { ...ada, full_name: 'Ada Lovelace', band: 'SENIOR:4285', op_flag: 'I' }],
    ['c', { person_id: 3 }, null, { ...cy, full_name: 'Cy Young', band: 'JUNIOR:2857', op_flag: 'I' }],
    ['u', { person_id: 1 }, { ...ada, full_name: 'Ada Lovelace', band: 'SENIOR:4285', op_flag: 'U' }, { ...ada, surname: 'King', salary: 7000, full_name: 'Ada King', band: 'JUNIOR:1000', op_flag: 'U' }],
    ['u', { person_id: 3 }, { ...cy, full_name: 'Cy Young', band: 'JUNIOR:2857', op_flag: 'U' }, { ...cy, first: 'Zed', full_name: 'Zed Young', band: 'JUNIOR:2857', op_flag: 'U' }],
    ['d', { person_id: 3 }, { ...cy, first: 'Zed', full_name: 'Zed Young', band: 'JUNIOR:2857', op_flag: 'D' }, null],
    ['tombstone', { person_id: 3 }, null, null],
  ]);
  // The source block names the real source table; the Avro record names follow the target (topic) name.
  for (const r of records.filter((x) => x.value)) {
    assert.equal(r.value!.source.db, db);
    assert.equal(r.value!.source.table, 'people');
  }
  const res = await fetch(`${services.registryUrl}/schemas/ids/${records[0]!.valueSchemaId}`);
  const schema = JSON.parse(((await res.json()) as { schema: string }).schema) as { name: string; namespace?: string; fields: { name: string; type: unknown }[] };
  assert.equal(`${schema.namespace}.${schema.name}`, `${db}.crm_dw.persons.Envelope`);
  const rowRecord = (schema.fields.find((f) => f.name === 'before')!.type as { fields?: { name: string }[] }[]).find((x) => typeof x === 'object')!;
  assert.deepEqual(rowRecord.fields!.map((f) => f.name), ['person_id', 'first', 'surname', 'card', 'region', 'salary', 'full_name', 'band', 'op_flag']);
});
