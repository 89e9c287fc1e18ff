// `ferry validate-data --repair` (docs/validation.md#repair): MariaDB → Ferry (runTask, full-load-and-cdc, direct
// mode) → PostgreSQL while the source keeps changing. Rows are changed, deleted and inserted behind the task's back
// on the target, in a table with an integer key (key ranges) and one with a composite text key (buckets); validation
// reports exactly them, --repair re-copies through the running task (an incremental snapshot limited to those keys)
// and deletes the extra rows, and afterwards both sides are equal row for row, read with direct queries.
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
import { freePort, services, uniqueName } from '../../../test/helpers/services.ts';

const PG = { ...services.postgres, user: 'postgres', password: 'postgres', database: 'shop' };
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Every mismatch of the report as 'table TYPE key [columns]', sorted. */
const lines = (r: DataValidationReport): string[] => r.targets.flatMap((t) => t.tables.flatMap((x) => x.mismatches.map((m) => `${x.source.split('.')[1]} ${m.type} ${JSON.stringify(m.key)}${m.columns.length ? ` ${m.columns.join(',')}` : ''}`))).sort();

test('--repair re-copies the differing rows through the running task and deletes the extra ones: both sides equal', { timeout: 300_000 }, async (t) => {
  const db = uniqueName('ferry_repair');
  const my = await mysql.createConnection({ ...services.mariadb, user: 'root', password: 'root' });
  const target = new pg.Client(PG);
  await target.connect();
  await my.query(`CREATE DATABASE ${db}`);
  await my.query(`CREATE TABLE ${db}.items (id INT PRIMARY KEY, name VARCHAR(30) NOT NULL, price DECIMAL(10,2), d DATE)`);
  await my.query(`CREATE TABLE ${db}.tags (code VARCHAR(10), n INT, v TEXT, PRIMARY KEY (code, n))`);
  await my.query(`INSERT INTO ${db}.items VALUES ${Array.from({ length: 3000 }, (_, i) => `(${i}, 'item ${i}', ${i}.25, '2026-0${1 + (i % 9)}-1${i % 10}')`).join(',')}`);
  await my.query(`INSERT INTO ${db}.tags VALUES ${Array.from({ length: 400 }, (_, i) => `('c${i % 7}''x', ${i}, 'v ${i}')`).join(',')}`);
  const port = await freePort();
  const task = parseTask({
    name: db, source: { engine: 'mariadb', ...services.mariadb, user: 'cdc', password: 'cdc' }, migrationType: 'full-load-and-cdc',
    tableMappings: { rules: [{ 'rule-type': 'selection', 'rule-id': '1', 'rule-name': 'all', 'rule-action': 'include', 'object-locator': { 'schema-name': db, 'table-name': '%' } }] },
    targets: [{ type: 'postgres', ...PG, stateSchema: db, tablePreparation: 'drop-and-create' }],
    settings: { metrics: { enabled: true, port }, stateDir: join(mkdtempSync(join(tmpdir(), 'ferry-repair-')), 'state'), offsetStore: 'sqlite' },
  });
  const controller = new AbortController();
  const running = runTask({ task, log: quietLog(), metrics: new PromMetrics({ collectProcessMetrics: false }), serveMetrics: true }, controller.signal);
  let failure: unknown;
  running.catch((e: unknown) => { failure = e; });
  t.after(async () => {
    controller.abort();
    await running.catch(() => undefined);
    await my.query(`DROP DATABASE IF EXISTS ${db}`);
    await target.query(`DROP SCHEMA IF EXISTS "${db}" CASCADE`);
    await my.end();
    await target.end();
  });
  const count = async (table: string) => Number((await target.query(`SELECT count(*) AS n FROM "${db}".${table}`).catch(() => ({ rows: [{ n: -1 }] }))).rows[0].n);
  for (let i = 0; i < 600 && ((await count('items')) !== 3000 || (await count('tags')) !== 400); i++) { if (failure) throw failure; await sleep(100); }
  assert.equal(await count('items'), 3000);

  // A live change the stream carries, so the task is streaming when the repair runs.
  await my.query(`UPDATE ${db}.items SET name = 'renamed' WHERE id = 5`);
  for (let i = 0; i < 100 && (await target.query(`SELECT name FROM "${db}".items WHERE id = 5`)).rows[0]?.name !== 'renamed'; i++) await sleep(100);

  // Behind the task's back, on the target.
  await target.query(`UPDATE "${db}".items SET price = price + 1 WHERE id IN (10, 11, 2500)`);
  await target.query(`UPDATE "${db}".items SET d = NULL WHERE id = 12`);
  await target.query(`DELETE FROM "${db}".items WHERE id IN (100, 101, 102, 103, 2999)`);
  await target.query(`INSERT INTO "${db}".items VALUES (5000, 'ghost', 1, NULL), (5001, 'ghost 2', NULL, '2026-01-01')`);
  await target.query(`UPDATE "${db}".tags SET v = 'tampered' WHERE code = 'c1''x' AND n = 8`);
  await target.query(`DELETE FROM "${db}".tags WHERE code = 'c2''x' AND n = 2`);
  await target.query(`INSERT INTO "${db}".tags VALUES ('zz', 1, 'ghost')`);

  const before = await validateData(task);
  assert.deepEqual(lines(before), [
    'items MISSING_SOURCE {"id":"5000"}', 'items MISSING_SOURCE {"id":"5001"}',
    'items MISSING_TARGET {"id":"100"}', 'items MISSING_TARGET {"id":"101"}', 'items MISSING_TARGET {"id":"102"}', 'items MISSING_TARGET {"id":"103"}', 'items MISSING_TARGET {"id":"2999"}',
    'items RECORD_DIFF {"id":"10"} price', 'items RECORD_DIFF {"id":"11"} price', 'items RECORD_DIFF {"id":"12"} d', 'items RECORD_DIFF {"id":"2500"} price',
    'tags MISSING_SOURCE {"code":"zz","n":"1"}', 'tags MISSING_TARGET {"code":"c2\'x","n":"2"}', 'tags RECORD_DIFF {"code":"c1\'x","n":"8"} v',
  ]);
  assert.equal(before.ok, false);

  // The source moves on while the repair re-copies: a repaired row changed again must end at its newest value. The
  // change is made once the repair has found the rows and sent its snapshot (its first progress line), so the row is
  // both being re-copied and streamed.
  const progress: string[] = [];
  let changed: Promise<unknown> | undefined;
  const repaired = await validateData(task, { repair: { file: 'task.json', onProgress: (l) => {
    progress.push(l);
    changed ??= my.query(`UPDATE ${db}.items SET price = 99.99 WHERE id = 10`);
  } } });
  await changed;
  if (failure) throw failure;
  assert.ok(repaired.repair, 'the report has a repair section');
  assert.deepEqual(repaired.repair.tables.map((x) => [x.source.split('.')[1], x.recopied, x.deleted, x.remaining.length]).sort(), [['items', 9, 2, 0], ['tags', 2, 1, 0]]);
  assert.equal(repaired.repair.snapshots.length, 2);
  assert.ok(repaired.repair.snapshots.every((s) => s.status === 'done'), JSON.stringify(repaired.repair.snapshots));
  assert.equal(repaired.ok, true, progress.join('\n'));

  // Independent check: every row, read with direct queries on both sides (once the stream has brought id 10's change).
  for (let i = 0; i < 100 && (await target.query(`SELECT price::text AS p FROM "${db}".items WHERE id = 10`)).rows[0].p !== '99.99'; i++) await sleep(100);
  const [srcItems] = await my.query<mysql.RowDataPacket[]>(`SELECT id, name, CAST(price AS CHAR) AS price, DATE_FORMAT(d, '%Y-%m-%d') AS d FROM ${db}.items ORDER BY id`);
  const tgtItems = (await target.query(`SELECT id, name, price::text AS price, to_char(d, 'YYYY-MM-DD') AS d FROM "${db}".items ORDER BY id`)).rows;
  assert.deepEqual(tgtItems, srcItems.map((r) => ({ ...r })));
  const [srcTags] = await my.query<mysql.RowDataPacket[]>(`SELECT code, n, v FROM ${db}.tags ORDER BY code, n`);
  const tgtTags = (await target.query(`SELECT code, n, v FROM "${db}".tags ORDER BY code COLLATE "C", n`)).rows;
  assert.deepEqual(tgtTags, srcTags.map((r) => ({ ...r })));
  assert.equal((await target.query(`SELECT price::text AS p FROM "${db}".items WHERE id = 10`)).rows[0].p, '99.99');

  const after = await validateData(task);
  assert.deepEqual(lines(after), []);
  assert.equal(after.ok, true);
  const failures = await target.query(`SELECT count(*)::int AS n FROM "${db}".ferry_validation_failures WHERE task_name = $1`, [db]);
  assert.equal(failures.rows[0].n, 0);
});

test('--repair with a PostgreSQL source into MariaDB: uuid and integer keys, the re-copy through the running task', { timeout: 300_000 }, async (t) => {
  const name = uniqueName('ferry_repair_pg');
  const admin = new pg.Client(PG);
  await admin.connect();
  const my = await mysql.createConnection({ ...services.mariadb, user: 'root', password: 'root' });
  await admin.query(`CREATE SCHEMA ${name} AUTHORIZATION cdc`);
  await admin.query(`CREATE TABLE ${name}.plain (id int PRIMARY KEY, s text, n numeric(10,2))`);
  await admin.query(`CREATE TABLE ${name}.ukey (id uuid PRIMARY KEY, v int)`);
  await admin.query(`ALTER TABLE ${name}.plain OWNER TO cdc; ALTER TABLE ${name}.ukey OWNER TO cdc; ALTER TABLE ${name}.plain REPLICA IDENTITY FULL`);
  await admin.query(`INSERT INTO ${name}.plain SELECT g, 'p' || g, g / 7.0 FROM generate_series(1, 2000) g`);
  await admin.query(`INSERT INTO ${name}.ukey SELECT ('00000000-0000-4000-8000-' || lpad(g::text, 12, '0'))::uuid, g FROM generate_series(1, 300) g`);
  const port = await freePort();
  const task = parseTask({
    name, source: { engine: 'postgres', ...services.postgres, user: 'cdc', password: 'cdc', database: 'shop' }, migrationType: 'full-load-and-cdc',
    tableMappings: { rules: [{ 'rule-type': 'selection', 'rule-id': '1', 'rule-name': 'all', 'rule-action': 'include', 'object-locator': { 'schema-name': name, 'table-name': '%' } }] },
    targets: [{ type: 'mysql', host: services.mariadb.host, port: services.mariadb.port, user: 'root', password: 'root', stateDatabase: name }],
    settings: { metrics: { enabled: true, port }, stateDir: join(mkdtempSync(join(tmpdir(), 'ferry-repair-')), 'state'), offsetStore: 'sqlite' },
  });
  const controller = new AbortController();
  const running = runTask({ task, log: quietLog(), metrics: new PromMetrics({ collectProcessMetrics: false }), serveMetrics: true }, controller.signal);
  let failure: unknown;
  running.catch((e: unknown) => { failure = e; });
  t.after(async () => {
    controller.abort();
    await running.catch(() => undefined);
    await dropPgTaskObjects(admin, name).catch(() => undefined);
    await admin.query(`DROP SCHEMA IF EXISTS ${name} CASCADE`);
    await my.query(`DROP DATABASE IF EXISTS \`${name}\``);
    await admin.end();
    await my.end();
  });
  const count = async (table: string) => Number(((await my.query<mysql.RowDataPacket[]>(`SELECT COUNT(*) AS n FROM \`${name}\`.${table}`).catch(() => [[{ n: -1 }]]))[0] as mysql.RowDataPacket[])[0]!.n);
  for (let i = 0; i < 600 && ((await count('plain')) !== 2000 || (await count('ukey')) !== 300); i++) { if (failure) throw failure; await sleep(100); }
  assert.equal(await count('plain'), 2000);

  const q = (sql: string) => my.query(sql.replaceAll('§', `\`${name}\``));
  await q("UPDATE §.plain SET s = 'x' WHERE id IN (3, 4, 5, 6)");
  await q('DELETE FROM §.plain WHERE id = 1500');
  await q("INSERT INTO §.plain VALUES (9000, 'ghost', 1)");
  await q("DELETE FROM §.ukey WHERE id = '00000000-0000-4000-8000-000000000007'");
  await q("UPDATE §.ukey SET v = -1 WHERE id = '00000000-0000-4000-8000-000000000042'");
  const before = await validateData(task);
  assert.deepEqual(lines(before), [
    'plain MISSING_SOURCE {"id":"9000"}', 'plain MISSING_TARGET {"id":"1500"}',
    'plain RECORD_DIFF {"id":"3"} s', 'plain RECORD_DIFF {"id":"4"} s', 'plain RECORD_DIFF {"id":"5"} s', 'plain RECORD_DIFF {"id":"6"} s',
    'ukey MISSING_TARGET {"id":"00000000-0000-4000-8000-000000000007"}', 'ukey RECORD_DIFF {"id":"00000000-0000-4000-8000-000000000042"} v',
  ]);
  const repaired = await validateData(task, { repair: { file: 'task.json' } });
  if (failure) throw failure;
  assert.deepEqual(repaired.repair?.tables.map((x) => [x.source.split('.')[1], x.recopied, x.deleted, x.remaining.length]).sort(), [['plain', 5, 1, 0], ['ukey', 2, 0, 0]]);
  assert.equal(repaired.ok, true);
  const src = (await admin.query(`SELECT id, s, n::text AS n FROM ${name}.plain ORDER BY id`)).rows;
  const [tgt] = await my.query<mysql.RowDataPacket[]>(`SELECT id, s, CAST(n AS CHAR) AS n FROM \`${name}\`.plain ORDER BY id`);
  assert.deepEqual(tgt.map((r) => ({ ...r })), src);
  const usrc = (await admin.query(`SELECT id::text AS id, v FROM ${name}.ukey ORDER BY id`)).rows;
  const [utgt] = await my.query<mysql.RowDataPacket[]>(`SELECT CAST(id AS CHAR) AS id, v FROM \`${name}\`.ukey ORDER BY id`);
  assert.deepEqual(utgt.map((r) => ({ ...r })), usrc);
  assert.deepEqual(lines(await validateData(task)), []);
});
