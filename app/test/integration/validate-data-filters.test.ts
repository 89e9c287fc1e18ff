// Validating tables with DMS source filters (docs/validation.md#filtered-tables): the task copies only the rows its
// selection rules' filters let through; validation compares exactly those source rows with the target, with the
// filters translated to each source engine's SQL (runtime/src/validation/filter-sql.ts). MariaDB → PostgreSQL and
// PostgreSQL → MariaDB, filters on numbers, strings (code-point order), dates, timestamps, booleans and NULL.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mysql from 'mysql2/promise';
import pg from 'pg';
import { parseTask } from '../../src/task-file/load-task.ts';
import { runTask } from '../../src/task/TaskRunner.ts';
import { validateData, type DataValidationReport } from '../../src/validate-data/validate-data.ts';
import { PromMetrics } from '../../../runtime/src/metrics/metrics.ts';
import { quietLog } from '../../../test/helpers/sink-kit/quiet.ts';
import { dropPgTaskObjects } from '../../../test/helpers/ferry-process.ts';
import { services, uniqueName } from '../../../test/helpers/services.ts';

const PG = { ...services.postgres, user: 'postgres', password: 'postgres', database: 'shop' };

const lines = (r: DataValidationReport): string[] => r.targets.flatMap((t) => t.tables.flatMap((x) => x.mismatches.map((m) => `${x.source.split('.')[1]} ${m.type} ${JSON.stringify(m.key)}${m.columns.length ? ` ${m.columns.join(',')}` : ''}`))).sort();
const states = (r: DataValidationReport): string[] => r.targets.flatMap((t) => t.tables.map((x) => `${x.source.split('.')[1]} ${x.state} ${x.sourceRows}/${x.targetRows}${x.message ? ` ${x.message}` : ''}`)).sort();

/** Two include rules for `orders` (ORed) and one for `people`, with filters ANDed inside each rule. */
function rules(schema: string): object {
  const loc = (t: string) => ({ 'schema-name': schema, 'table-name': t });
  return { rules: [
    { 'rule-type': 'selection', 'rule-id': '1', 'rule-name': 'mid', 'rule-action': 'include', 'object-locator': loc('orders'), filters: [
      { 'filter-type': 'source', 'column-name': 'amount', 'filter-conditions': [{ 'filter-operator': 'between', 'start-value': '10', 'end-value': '500.5' }] },
      { 'filter-type': 'source', 'column-name': 'region', 'filter-conditions': [{ 'filter-operator': 'eq', value: 'EU' }, { 'filter-operator': 'eq', value: 'Éire' }] },
    ] },
    { 'rule-type': 'selection', 'rule-id': '2', 'rule-name': 'late', 'rule-action': 'include', 'object-locator': loc('orders'), filters: [
      { 'filter-type': 'source', 'column-name': 'day', 'filter-conditions': [{ 'filter-operator': 'gte', value: '2026-06-01' }] },
      { 'filter-type': 'source', 'column-name': 'at', 'filter-conditions': [{ 'filter-operator': 'ste', value: '2026-06-20 12:00:00' }] },
    ] },
    { 'rule-type': 'selection', 'rule-id': '3', 'rule-name': 'people', 'rule-action': 'include', 'object-locator': loc('people'), filters: [
      { 'filter-type': 'source', 'column-name': 'nick', 'filter-conditions': [{ 'filter-operator': 'null' }, { 'filter-operator': 'gte', value: 'b' }] },
      { 'filter-type': 'source', 'column-name': 'active', 'filter-conditions': [{ 'filter-operator': 'eq', value: '1' }] },
    ] },
  ] };
}

/** Row i of orders: amounts 0…, regions cycling (one upper-case 'eu' that a case-insensitive compare would let in). */
const REGIONS = ['EU', 'US', 'eu', 'Éire', 'APAC'];
const order = (i: number) => ({ id: i, amount: `${(i * 3.7).toFixed(2)}`, region: REGIONS[i % 5]!, day: `2026-0${1 + (i % 9)}-${String(1 + (i % 28)).padStart(2, '0')}`, at: `2026-06-${String(1 + (i % 28)).padStart(2, '0')} ${String(i % 24).padStart(2, '0')}:00:00${i % 3 === 0 ? '.250000' : ''}` });
const person = (i: number) => ({ id: i, nick: i % 4 === 0 ? null : ['alice', 'bob', 'Carol', 'dave'][i % 4]!, active: i % 3 !== 0 });

async function check(task: ReturnType<typeof parseTask>, tamper: () => Promise<void>, expected: string[]): Promise<void> {
  await runTask({ task, log: quietLog(), metrics: new PromMetrics({ collectProcessMetrics: false }), serveMetrics: false }, new AbortController().signal);
  const clean = await validateData(task, { chunkRows: 50 });
  assert.deepEqual(lines(clean), [], states(clean).join('\n'));
  assert.ok(clean.targets[0]!.tables.every((t) => t.state === 'Validated'), states(clean).join('\n'));
  const filtered = clean.targets[0]!.tables.find((t) => t.source.endsWith('.orders'))!;
  assert.ok(filtered.sourceRows > 20 && filtered.sourceRows < 300, `only the filtered rows are compared: ${filtered.sourceRows}`);
  assert.equal(filtered.sourceRows, filtered.targetRows);
  await tamper();
  assert.deepEqual(lines(await validateData(task, { chunkRows: 50 })), expected);
}

test('MariaDB → PostgreSQL: a filtered table validates clean, and differences inside the filter are found', { timeout: 120_000 }, async (t) => {
  const db = uniqueName('ferry_vdf_my');
  const my = await mysql.createConnection({ ...services.mariadb, user: 'root', password: 'root' });
  const target = new pg.Client(PG);
  await target.connect();
  t.after(async () => { await my.query(`DROP DATABASE IF EXISTS ${db}`); await target.query(`DROP SCHEMA IF EXISTS "${db}" CASCADE`); await my.end(); await target.end(); });
  await my.query(`CREATE DATABASE ${db} CHARACTER SET utf8mb4 COLLATE utf8mb4_general_ci`);
  await my.query(`CREATE TABLE ${db}.orders (id INT PRIMARY KEY, amount DECIMAL(10,2), region VARCHAR(10), day DATE, at DATETIME(6))`);
  await my.query(`CREATE TABLE ${db}.people (id INT PRIMARY KEY, nick VARCHAR(20), active BOOLEAN)`);
  await my.query(`INSERT INTO ${db}.orders VALUES ${Array.from({ length: 400 }, (_, i) => order(i)).map((o) => `(${o.id}, ${o.amount}, '${o.region}', '${o.day}', '${o.at}')`).join(',')}`);
  await my.query(`INSERT INTO ${db}.people VALUES ${Array.from({ length: 60 }, (_, i) => person(i)).map((p) => `(${p.id}, ${p.nick === null ? 'NULL' : `'${p.nick}'`}, ${p.active})`).join(',')}`);
  const task = parseTask({
    name: db, source: { engine: 'mariadb', ...services.mariadb, user: 'cdc', password: 'cdc' }, migrationType: 'full-load', tableMappings: rules(db),
    targets: [{ type: 'postgres', ...PG, stateSchema: db }],
    settings: { metrics: { enabled: false }, stateDir: join(mkdtempSync(join(tmpdir(), 'ferry-vdf-')), 'state'), offsetStore: 'sqlite' },
  });
  const expected = ['orders MISSING_SOURCE {"id":"9999"}'];
  await check(task, async () => {
    const [[inside]] = await my.query<mysql.RowDataPacket[]>(`SELECT id FROM ${db}.orders WHERE amount BETWEEN 10 AND 500.5 AND region = BINARY 'EU' ORDER BY id LIMIT 1`);
    await target.query(`UPDATE "${db}".orders SET amount = amount + 1 WHERE id = $1`, [inside!.id]);
    await target.query(`INSERT INTO "${db}".orders VALUES (9999, 1, 'US', '2020-01-01', '2020-01-01 00:00:00')`); // outside every filter
    const [[person1]] = await my.query<mysql.RowDataPacket[]>(`SELECT id FROM ${db}.people WHERE (nick IS NULL OR BINARY nick >= 'b') AND active ORDER BY id LIMIT 1`);
    await target.query(`DELETE FROM "${db}".people WHERE id = $1`, [person1!.id]);
    expected.push(`orders RECORD_DIFF {"id":"${inside!.id}"} amount`, `people MISSING_TARGET {"id":"${person1!.id}"}`);
    expected.sort();
  }, expected);
});

test('PostgreSQL → MariaDB: the same filters in PostgreSQL\'s SQL', { timeout: 120_000 }, async (t) => {
  const name = uniqueName('ferry_vdf_pg');
  const admin = new pg.Client(PG);
  await admin.connect();
  const my = await mysql.createConnection({ ...services.mariadb, user: 'root', password: 'root' });
  t.after(async () => {
    await dropPgTaskObjects(admin, name).catch(() => undefined);
    await admin.query(`DROP SCHEMA IF EXISTS ${name} CASCADE`);
    await my.query(`DROP DATABASE IF EXISTS \`${name}\``);
    await admin.end();
    await my.end();
  });
  await admin.query(`CREATE SCHEMA ${name} AUTHORIZATION cdc`);
  await admin.query(`CREATE TABLE ${name}.orders (id int PRIMARY KEY, amount numeric(10,2), region varchar(10), day date, at timestamp(6))`);
  await admin.query(`CREATE TABLE ${name}.people (id int PRIMARY KEY, nick varchar(20), active boolean)`);
  await admin.query(`ALTER TABLE ${name}.orders OWNER TO cdc; ALTER TABLE ${name}.people OWNER TO cdc`);
  await admin.query(`INSERT INTO ${name}.orders VALUES ${Array.from({ length: 400 }, (_, i) => order(i)).map((o) => `(${o.id}, ${o.amount}, '${o.region}', '${o.day}', '${o.at}')`).join(',')}`);
  await admin.query(`INSERT INTO ${name}.people VALUES ${Array.from({ length: 60 }, (_, i) => person(i)).map((p) => `(${p.id}, ${p.nick === null ? 'NULL' : `'${p.nick}'`}, ${p.active})`).join(',')}`);
  const task = parseTask({
    name, source: { engine: 'postgres', ...services.postgres, user: 'cdc', password: 'cdc', database: 'shop' }, migrationType: 'full-load', tableMappings: rules(name),
    targets: [{ type: 'mysql', host: services.mariadb.host, port: services.mariadb.port, user: 'root', password: 'root', stateDatabase: name }],
    settings: { metrics: { enabled: false }, stateDir: join(mkdtempSync(join(tmpdir(), 'ferry-vdf-')), 'state'), offsetStore: 'sqlite' },
  });
  const want = ['orders MISSING_SOURCE {"id":"9999"}'];
  await check(task, async () => {
    const inside = (await admin.query(`SELECT id FROM ${name}.orders WHERE amount BETWEEN 10 AND 500.5 AND region = 'EU' ORDER BY id LIMIT 1`)).rows[0];
    await my.query(`UPDATE \`${name}\`.orders SET amount = amount + 1 WHERE id = ?`, [inside.id]);
    await my.query(`INSERT INTO \`${name}\`.orders VALUES (9999, 1, 'US', '2020-01-01', '2020-01-01 00:00:00')`);
    const p1 = (await admin.query(`SELECT id FROM ${name}.people WHERE (nick IS NULL OR nick COLLATE "C" >= 'b') AND active ORDER BY id LIMIT 1`)).rows[0];
    await my.query(`DELETE FROM \`${name}\`.people WHERE id = ?`, [p1.id]);
    want.push(`orders RECORD_DIFF {"id":"${inside.id}"} amount`, `people MISSING_TARGET {"id":"${p1.id}"}`);
    want.sort();
  }, want);
});
