// The task API's assessment, schema-conversion and validation-failures endpoints through a real `ferry serve`, with a
// MariaDB source and a PostgreSQL target: the assessment and the conversion equal what `ferry assess --json` and
// `ferry convert-schema --json` print for the same task file; after a full load, rows changed in the target and
// `ferry validate-data` run, the failures equal the target's ferry_validation_failures read with an independent
// client, paged and filtered; the assessment is kept across a restart and audited; a task without a database target
// gets an empty answer with its reason. Every response is checked against docs/api/openapi.yaml.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mysql from 'mysql2/promise';
import pg from 'pg';
import { services, uniqueName } from '../../../test/helpers/services.ts';
import { ROOT, sleep, startFerry, type FerryProcess } from '../../../test/helpers/ferry-process.ts';
import { call } from '../unit/tasks-api/openapi-check.ts';
import type { TableStatistics } from '../../src/tasks-api/task-statistics.ts';

const TOKEN = `reports-token-${Math.random().toString(36).slice(2)}-0123456789`;
const PG = { ...services.postgres, user: 'postgres', password: 'postgres', database: 'shop' };

async function serve(stateDir: string): Promise<{ p: FerryProcess; url: string }> {
  const p = startFerry(['serve', '--port', '0', '--state-dir', stateDir, '--json'], { ...process.env, FERRY_API_TOKEN: TOKEN, FERRY_LOG_LEVEL: 'warn' });
  for (let i = 0; i < 200; i++) {
    const m = /"url": "([^"]+)"/.exec(p.stdout());
    if (m) return { p, url: m[1]! };
    if (p.child.exitCode !== null) break;
    await sleep(100);
  }
  throw new Error(`ferry serve did not start: ${p.stderr()}`);
}

function cli(...args: string[]): { status: number | null; json: Record<string, unknown>; stderr: string } {
  const r = spawnSync(process.execPath, [join(ROOT, 'bin', 'ferry.js'), ...args, '--json'], { encoding: 'utf8', timeout: 120_000 });
  return { status: r.status, json: JSON.parse(r.stdout) as Record<string, unknown>, stderr: r.stderr };
}

interface Finding { code: string; severity: string; category: string; objects: unknown[]; message: string; fix?: string }
interface Item { kind: string; object: string; outcome: string; target?: string; reason?: string; fix?: string }
interface Failure { cursor: string; id: number; target: string; sourceTable: string; targetTable: string; key: Record<string, string>; failureType: string; columns: string[]; detectedAt: string }

test('task API reports with MariaDB → PostgreSQL: assessment, schema conversion, validation failures', { timeout: 300_000 }, async (t) => {
  const db = uniqueName('console_rep');
  const admin = await mysql.createConnection({ ...services.mariadb, user: 'root', password: 'root' });
  await admin.query(`CREATE DATABASE ${db}`);
  await admin.query(`CREATE TABLE ${db}.items (id INT PRIMARY KEY, name VARCHAR(40) NOT NULL, price DECIMAL(10,2), tags SET('red','blue'), born DATETIME(6), u TINYINT UNSIGNED)`);
  await admin.query(`CREATE TABLE ${db}.orders (id BIGINT PRIMARY KEY, item INT NOT NULL, qty INT NOT NULL, KEY by_item (item))`);
  await admin.query(`INSERT INTO ${db}.items VALUES ${Array.from({ length: 50 }, (_, i) => `(${i + 1}, 'item ${i + 1}', ${i}.25, 'red', '2024-01-02 03:04:05.123456', ${i})`).join(',')}`);
  await admin.query(`INSERT INTO ${db}.orders VALUES ${Array.from({ length: 30 }, (_, i) => `(${i + 1}, ${(i % 50) + 1}, ${i})`).join(',')}`);
  const pgc = new pg.Client(PG);
  await pgc.connect();
  // The target's own user: a password that is not a word of the answers (the API masks every secret value in its text).
  const targetUser = { user: `${db}_u`, password: `pw-${Math.random().toString(36).slice(2)}-x` };
  await pgc.query(`CREATE ROLE "${targetUser.user}" LOGIN PASSWORD '${targetUser.password}'`);
  await pgc.query(`GRANT CREATE ON DATABASE shop TO "${targetUser.user}"`);
  const stateDir = mkdtempSync(join(tmpdir(), 'ferry-reports-'));
  let server = await serve(stateDir);
  t.after(async () => {
    if (server.p.child.exitCode === null) { server.p.child.kill('SIGTERM'); await server.p.exited; }
    await admin.query(`DROP DATABASE ${db}`);
    await admin.end();
    await pgc.query(`DROP SCHEMA IF EXISTS "${db}" CASCADE`);
    await pgc.query(`DROP OWNED BY "${targetUser.user}"`);
    await pgc.query(`DROP ROLE "${targetUser.user}"`);
    await pgc.end();
  });
  const api = (m: string, p: string, body?: unknown) => call(server.url, TOKEN, m, p, body);
  const definition = {
    name: db, migrationType: 'full-load',
    source: { engine: 'mariadb', ...services.mariadb, user: 'cdc', password: 'cdc' },
    tableMappings: { rules: [{ 'rule-type': 'selection', 'rule-id': '1', 'rule-name': 'all', 'rule-action': 'include', 'object-locator': { 'schema-name': db, 'table-name': '%' } }] },
    targets: [{ type: 'postgres', name: 'pg', host: PG.host, port: PG.port, ...targetUser, database: PG.database, stateSchema: db }],
    settings: { stateDir: join(stateDir, db), offsetStore: 'sqlite', metrics: { enabled: false } },
  };
  const file = join(stateDir, 'task.json');
  writeFileSync(file, JSON.stringify(definition));
  let r = await api('POST', '/tasks', definition);
  assert.equal(r.status, 201);

  // Assessment: none yet; then run (operator's endpoint, here the admin token) with options; equal to `ferry assess --json`.
  r = await api('GET', `/tasks/${db}/assessment`);
  assert.equal(r.status, 200);
  assert.equal(r.body.report, null);
  assert.equal(r.body.running, false);
  r = await api('POST', `/tasks/${db}/assessment`, { rowsPerSecond: 'fast' });
  assert.equal(r.status, 400);
  assert.match(r.body.error!.message, /rowsPerSecond/);
  r = await api('POST', `/tasks/${db}/assessment`, { tables: [`${db}_none.items`] });
  assert.equal(r.status, 400);
  assert.match(r.body.error!.message, /_none.items is not selected/);
  r = await api('POST', `/tasks/${db}/assessment`, { rowsPerSecond: 1000, lobSampleRows: 10 });
  assert.equal(r.status, 200, JSON.stringify(r.body));
  const stored = r.body as { report: { ok: boolean; task: string; findings: Finding[]; summary: { errors: number; warnings: number; infos: number }; estimate: { rowsPerSecond: number } }; options: unknown; requestedBy: string };
  assert.equal(stored.report.task, db);
  assert.deepEqual(stored.options, { rowsPerSecond: 1000, lobSampleRows: 10 });
  assert.equal(stored.requestedBy, 'bootstrap');
  assert.equal(stored.report.estimate.rowsPerSecond, 1000);
  const assessed = cli('assess', file, '--rows-per-second', '1000', '--lob-sample-rows', '10');
  assert.ok(assessed.status === 0 || assessed.status === 5, assessed.stderr);
  const shape = (f: Finding[]) => f.map((x) => ({ code: x.code, severity: x.severity, category: x.category, objects: x.objects, message: x.message, fix: x.fix }));
  assert.deepEqual(shape(stored.report.findings), shape(assessed.json.findings as Finding[]));
  assert.deepEqual(stored.report.summary, assessed.json.summary);
  assert.equal(stored.report.ok, assessed.json.ok);
  assert.ok(stored.report.findings.length > 0);
  assert.ok(existsSync(join(stateDir, 'assessments', `${db}.json`)), 'kept in <state-dir>/assessments');
  r = await api('GET', `/tasks/${db}/assessment`);
  assert.deepEqual(r.body.report, stored.report);

  // Schema conversion: equal to `ferry convert-schema --json` (its items, summary and schema.sql).
  r = await api('GET', `/tasks/${db}/schema-conversion`);
  assert.equal(r.status, 200);
  const conv = r.body as { reason: null; targets: { name: string; dialect: string; summary: unknown[]; tables: { source: string; target: string; ddl: string[]; columns: { column: string; sourceType: string; targetType: string; outcome: string; reason?: string }[]; issues: Item[] }[]; other: Item[] }[] };
  assert.equal(conv.reason, null);
  assert.equal(conv.targets.length, 1);
  const ct = conv.targets[0]!;
  assert.equal(ct.name, 'pg');
  assert.equal(ct.dialect, 'postgres');
  const out = join(stateDir, 'schema');
  const converted = cli('convert-schema', file, '--out', out);
  assert.equal(converted.status, 0, converted.stderr);
  const items = converted.json.items as Item[];
  assert.deepEqual(ct.summary, (converted.json.summary as { total: number }[]).filter((s) => s.total > 0));
  assert.deepEqual(ct.tables.map((x) => x.source).sort(), [`${db}.items`, `${db}.orders`]);
  const sql = readFileSync(join(out, 'schema.sql'), 'utf8');
  const apiColumns: string[] = [];
  for (const table of ct.tables) {
    for (const stmt of table.ddl) assert.ok(sql.includes(stmt), `schema.sql has ${stmt.slice(0, 80)}`);
    for (const c of table.columns) apiColumns.push(`${table.source}.${c.column} ${c.targetType} ${c.outcome} ${c.reason ?? ''}`);
  }
  assert.deepEqual(apiColumns.sort(), items.filter((i) => i.kind === 'column type').map((i) => `${i.object} ${i.target} ${i.outcome} ${i.reason ?? ''}`).sort());
  assert.deepEqual([...ct.tables.flatMap((x) => x.issues), ...ct.other].map((i) => `${i.kind} ${i.object} ${i.outcome}`).sort(), (converted.json.issues as Item[]).map((i) => `${i.kind} ${i.object} ${i.outcome}`).sort());
  const items2 = ct.tables.find((x) => x.source === `${db}.items`)!;
  assert.equal(items2.columns.find((c) => c.column === 'tags')!.sourceType, "set('red','blue')");
  assert.ok(items2.columns.length === 6);

  // Validation failures: none before a validation ran (the table does not exist yet).
  r = await api('GET', `/tasks/${db}/validation-failures`);
  assert.equal(r.status, 200);
  assert.deepEqual(r.body.targets, [{ name: 'pg', table: `${db}.ferry_validation_failures`, exists: false, error: null }]);
  assert.deepEqual(r.body.failures, []);
  assert.equal(r.body.next, null);

  // Full load, then change the target and validate as `ferry validate-data` does.
  r = await api('POST', `/tasks/${db}/start`);
  assert.equal(r.status, 200);
  for (const end = Date.now() + 90_000; ; await sleep(300)) {
    const s = await api('GET', `/tasks/${db}/stats`);
    const tables = s.body.tables as TableStatistics[];
    if (tables.length === 2 && tables.every((x) => x.tableState === 'Table completed') && s.body.status !== 'running') break;
    assert.ok(Date.now() < end, `the full load did not finish: ${JSON.stringify(s.body)}`);
  }
  await pgc.query(`UPDATE "${db}".items SET name = 'tampered', price = price + 1 WHERE id = 5`);
  await pgc.query(`DELETE FROM "${db}".items WHERE id = 7`);
  await pgc.query(`UPDATE "${db}".orders SET qty = -1 WHERE id = 3`);
  await pgc.query(`INSERT INTO "${db}".orders VALUES (1000, 1, 1)`);
  const validated = cli('validate-data', file);
  assert.equal(validated.status, 4, validated.stderr.slice(-800));

  const rows = (await pgc.query<{ id: string; source_table: string; table_schema: string; table_name: string; key_json: Record<string, string>; failure_type: string; columns_json: string[]; detected_at: Date }>(
    `SELECT id, source_table, table_schema, table_name, key_json, failure_type, columns_json, detected_at FROM "${db}".ferry_validation_failures WHERE task_name = $1 ORDER BY id`, [db])).rows;
  assert.equal(rows.length, 4);
  const expected = rows.map((x): Failure => ({
    cursor: `0:${x.id}`, id: Number(x.id), target: 'pg', sourceTable: x.source_table, targetTable: `${x.table_schema}.${x.table_name}`, key: x.key_json,
    failureType: x.failure_type, columns: x.columns_json, detectedAt: x.detected_at.toISOString().replace('Z', '000Z'),
  }));
  assert.deepEqual(expected.map((f) => `${f.sourceTable} ${f.failureType} ${JSON.stringify(f.key)} ${f.columns.join(',')}`).sort(), [
    `${db}.items MISSING_TARGET {"id":"7"} `, `${db}.items RECORD_DIFF {"id":"5"} name,price`,
    `${db}.orders MISSING_SOURCE {"id":"1000"} `, `${db}.orders RECORD_DIFF {"id":"3"} qty`,
  ]);
  r = await api('GET', `/tasks/${db}/validation-failures`);
  assert.deepEqual(r.body.failures, expected);
  assert.deepEqual(r.body.targets, [{ name: 'pg', table: `${db}.ferry_validation_failures`, exists: true, error: null }]);
  assert.equal(r.body.next, null);
  // Paged one by one: the same rows, each page's next the row's cursor.
  const paged: Failure[] = [];
  for (let after: string | null = ''; after !== null;) {
    r = await api('GET', `/tasks/${db}/validation-failures?limit=1${after ? `&after=${after}` : ''}`);
    paged.push(...(r.body.failures as Failure[]));
    after = r.body.next as string | null;
    assert.ok(paged.length <= 4);
  }
  assert.deepEqual(paged, expected);
  r = await api('GET', `/tasks/${db}/validation-failures?table=${db}.orders`);
  assert.deepEqual(r.body.failures, expected.filter((f) => f.sourceTable === `${db}.orders`));
  // With the values, read now from both sides by key: the differing columns, or the whole row of the side that has it.
  r = await api('GET', `/tasks/${db}/validation-failures?values=true`);
  assert.equal(r.body.valuesError, null);
  const valuesOf = Object.fromEntries((r.body.failures as (Failure & { values: unknown })[]).map((f) => [`${f.sourceTable.split('.')[1]} ${f.failureType} ${JSON.stringify(f.key)}`, f.values]));
  assert.deepEqual(valuesOf, {
    'items RECORD_DIFF {"id":"5"}': { name: { source: 'item 5', target: 'tampered' }, price: { source: '4.25', target: '5.25' } },
    'items MISSING_TARGET {"id":"7"}': { name: { source: 'item 7', target: null }, price: { source: '6.25', target: null }, tags: { source: 'red', target: null }, born: { source: '2024-01-02 03:04:05.123456', target: null }, u: { source: '6', target: null } },
    'orders RECORD_DIFF {"id":"3"}': { qty: { source: '2', target: '-1' } },
    'orders MISSING_SOURCE {"id":"1000"}': { item: { source: null, target: '1' }, qty: { source: null, target: '1' } },
  });
  assert.deepEqual((r.body.failures as Failure[]).map(({ cursor }) => cursor), expected.map((f) => f.cursor));
  r = await api('GET', `/tasks/${db}/validation-failures?values=true&limit=501`);
  assert.equal(r.status, 400);
  r = await api('GET', `/tasks/${db}/validation-failures?limit=0`);
  assert.equal(r.status, 400);
  r = await api('GET', `/tasks/${db}/validation-failures?after=x`);
  assert.equal(r.status, 400);
  assert.match(r.body.error!.message, /"after" must be/);

  // A task without a database target: an empty answer with the reason.
  const kafkaOnly = `${db}_k`;
  r = await api('POST', '/tasks', { ...definition, name: kafkaOnly, targets: [], kafka: { brokers: services.brokers, schemaRegistry: services.registryUrl, topicPrefix: kafkaOnly }, settings: { ...definition.settings, stateDir: join(stateDir, kafkaOnly) } });
  assert.equal(r.status, 201, JSON.stringify(r.body));
  r = await api('GET', `/tasks/${kafkaOnly}/schema-conversion`);
  assert.equal(r.status, 200);
  assert.deepEqual(r.body.targets, []);
  assert.match(r.body.reason as string, /has no postgres or mysql target/);
  r = await api('GET', `/tasks/${kafkaOnly}/validation-failures`);
  assert.deepEqual(r.body.failures, []);
  assert.match(r.body.reason as string, /has no postgres or mysql target/);

  // Audited with its options; kept across a restart; forgotten with the task.
  r = await api('GET', '/audit?action=tasks.assess');
  const entries = r.body.entries as { params: { task: string; query?: unknown }; result: { status: number } }[];
  assert.deepEqual(entries.map((e) => [e.params.task, e.result.status, e.params.query]), [[db, 400, { rowsPerSecond: 'fast' }], [db, 400, { tables: [`${db}_none.items`] }], [db, 200, { rowsPerSecond: 1000, lobSampleRows: 10 }]]);
  // One assessment of a task at a time: a second one while the first runs is a 409.
  const both = await Promise.all([api('POST', `/tasks/${db}/assessment`), api('POST', `/tasks/${db}/assessment`)]);
  assert.deepEqual(both.map((x) => x.status).sort(), [200, 409]);
  assert.match(both.find((x) => x.status === 409)!.body.error!.message, /already running/);
  const latest = both.find((x) => x.status === 200)!.body as typeof stored;
  server.p.child.kill('SIGTERM');
  assert.equal(await server.p.exited, 0);
  server = await serve(stateDir);
  r = await api('GET', `/tasks/${db}/assessment`);
  assert.deepEqual(r.body.report, latest.report, 'the latest report, kept across the restart');
  assert.deepEqual(r.body.options, {});
  r = await api('DELETE', `/tasks/${db}`);
  assert.equal(r.status, 200);
  assert.ok(!existsSync(join(stateDir, 'assessments', `${db}.json`)), 'deleted with the task');
});

test('validation failures on a mysql target (MariaDB → MariaDB): the MySQL failures table read, with values', { timeout: 180_000 }, async (t) => {
  const db = uniqueName('console_repm');
  const into = `${db}_t`;
  const admin = await mysql.createConnection({ ...services.mariadb, user: 'root', password: 'root' });
  await admin.query(`CREATE DATABASE ${db}`);
  await admin.query(`CREATE TABLE ${db}.items (id INT PRIMARY KEY, name VARCHAR(40) NOT NULL, born DATETIME(6))`);
  await admin.query(`INSERT INTO ${db}.items VALUES ${Array.from({ length: 20 }, (_, i) => `(${i + 1}, 'item ${i + 1}', '2024-01-02 03:04:05.123456')`).join(',')}`);
  const stateDir = mkdtempSync(join(tmpdir(), 'ferry-reports-my-'));
  const server = await serve(stateDir);
  t.after(async () => {
    if (server.p.child.exitCode === null) { server.p.child.kill('SIGTERM'); await server.p.exited; }
    await admin.query(`DROP DATABASE IF EXISTS ${db}`);
    await admin.query(`DROP DATABASE IF EXISTS ${into}`);
    await admin.end();
  });
  const api = (m: string, p: string, body?: unknown) => call(server.url, TOKEN, m, p, body);
  const definition = {
    name: db, migrationType: 'full-load',
    source: { engine: 'mariadb', ...services.mariadb, user: 'cdc', password: 'cdc' },
    tableMappings: { rules: [{ 'rule-type': 'selection', 'rule-id': '1', 'rule-name': 'all', 'rule-action': 'include', 'object-locator': { 'schema-name': db, 'table-name': '%' } }] },
    targets: [{ type: 'mysql', name: 'maria', ...services.mariadb, user: 'root', password: 'root', database: into }],
    settings: { stateDir: join(stateDir, db), offsetStore: 'sqlite', metrics: { enabled: false } },
  };
  assert.equal((await api('POST', '/tasks', definition)).status, 201);
  assert.equal((await api('POST', `/tasks/${db}/start`)).status, 200);
  for (const end = Date.now() + 90_000; ; await sleep(300)) {
    const s = await api('GET', `/tasks/${db}/stats`);
    const tables = s.body.tables as TableStatistics[];
    if (tables.length === 1 && tables[0]!.tableState === 'Table completed' && s.body.status !== 'running' && s.body.status !== 'starting') break;
    assert.ok(Date.now() < end, `the full load did not finish: ${JSON.stringify(s.body)}`);
  }
  await admin.query(`UPDATE ${into}.items SET name = 'other', born = '2001-01-01 00:00:00' WHERE id = 2`);
  await admin.query(`DELETE FROM ${into}.items WHERE id = 3`);
  const file = join(stateDir, 'task.json');
  writeFileSync(file, JSON.stringify(definition));
  const validated = cli('validate-data', file);
  assert.equal(validated.status, 4, validated.stderr.slice(-800));
  const [rows] = await admin.query(`SELECT id, source_table, table_schema, table_name, key_json, failure_type, columns_json, DATE_FORMAT(detected_at, '%Y-%m-%dT%H:%i:%s.%fZ') AS detected FROM ${into}.ferry_validation_failures WHERE task_name = ? ORDER BY id`, [db]) as unknown as [{ id: number; source_table: string; table_schema: string; table_name: string; key_json: string; failure_type: string; columns_json: string; detected: string }[]];
  assert.equal(rows.length, 2);
  const r = await api('GET', `/tasks/${db}/validation-failures?values=true`);
  assert.deepEqual(r.body.targets, [{ name: 'maria', table: `${into}.ferry_validation_failures`, exists: true, error: null }]);
  assert.deepEqual((r.body.failures as Failure[]).map(({ cursor, id, target, sourceTable, targetTable, key, failureType, columns, detectedAt }) => ({ cursor, id, target, sourceTable, targetTable, key, failureType, columns, detectedAt })),
    rows.map((x) => ({ cursor: `0:${x.id}`, id: Number(x.id), target: 'maria', sourceTable: x.source_table, targetTable: `${x.table_schema}.${x.table_name}`, key: JSON.parse(x.key_json) as unknown, failureType: x.failure_type, columns: JSON.parse(x.columns_json) as unknown, detectedAt: x.detected })));
  const byKey = Object.fromEntries((r.body.failures as (Failure & { values: unknown })[]).map((f) => [`${f.failureType} ${JSON.stringify(f.key)}`, f.values]));
  assert.deepEqual(byKey, {
    'RECORD_DIFF {"id":"2"}': { name: { source: 'item 2', target: 'other' }, born: { source: '2024-01-02 03:04:05.123456', target: '2001-01-01 00:00:00.000000' } },
    'MISSING_TARGET {"id":"3"}': { name: { source: 'item 3', target: null }, born: { source: '2024-01-02 03:04:05.123456', target: null } },
  });
});
