// `ferry validate-data` against the real servers (docs/validation.md). MariaDB → PostgreSQL and PostgreSQL → MariaDB:
// tables over many types are migrated by `ferry run` (full-load, direct mode, through the real postgres / mysql
// sink), validated with zero false mismatches, then rows are changed, deleted and inserted directly in the target,
// and validation must report exactly those keys with the right kinds and columns, record them in the target's
// ferry_validation_failures (read back with an independent client), and exit 4 from the CLI.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mysql from 'mysql2/promise';
import pg from 'pg';
import { parseTask } from '../../src/task-file/load-task.ts';
import { runTask } from '../../src/task/TaskRunner.ts';
import { validateData, type DataValidationReport, type TableReport } from '../../src/validate-data/validate-data.ts';
import { PromMetrics } from '../../../runtime/src/metrics/metrics.ts';
import { quietLog } from '../../../test/helpers/sink-kit/quiet.ts';
import { createLogger } from '../../../runtime/src/log/logger.ts';
import { dropPgTaskObjects, ROOT } from '../../../test/helpers/ferry-process.ts';
import { services, uniqueName } from '../../../test/helpers/services.ts';

const PG = { ...services.postgres, user: 'postgres', password: 'postgres', database: 'shop' };

function table(r: DataValidationReport, source: string): TableReport {
  const t = r.targets[0]!.tables.find((x) => x.source === source);
  assert.ok(t, `${source} in the report`);
  return t;
}

/** Mismatches as sorted 'TYPE key [columns]' lines. */
const kinds = (t: TableReport): string[] => t.mismatches.map((m) => `${m.type} ${JSON.stringify(m.key)}${m.columns.length ? ` ${m.columns.join(',')}` : ''}`).sort();

function cli(file: string, ...args: string[]): { status: number | null; json: DataValidationReport; stderr: string } {
  const r = spawnSync(process.execPath, [join(ROOT, 'bin', 'ferry.js'), 'validate-data', file, '--json', ...args], { encoding: 'utf8', timeout: 90_000 });
  return { status: r.status, json: JSON.parse(r.stdout) as DataValidationReport, stderr: r.stderr };
}

async function fullLoad(taskObject: object): Promise<void> {
  const task = parseTask(taskObject);
  await runTask({ task, log: process.env.FERRY_TEST_LOG ? createLogger() : quietLog(), metrics: new PromMetrics({ collectProcessMetrics: false }), serveMetrics: false }, new AbortController().signal);
}

const MARIA_ITEMS = `id INT PRIMARY KEY, v BIGINT NOT NULL, s VARCHAR(64), d DECIMAL(12,2) NOT NULL, ts DATETIME(6) NOT NULL, dt DATE, b VARBINARY(8), j JSON, f DOUBLE, flag BOOLEAN,
  tz TIMESTAMP(6) NULL, tm TIME(6), bu BIGINT UNSIGNED, b1 BIT(1), b5 BIT(5), en ENUM('a','b b'), st SET('x','y'), ch CHAR(4), tx TEXT, bl BLOB, u UUID, yr YEAR, fl FLOAT, ti TINYINT UNSIGNED, i4 INET4`;
const MARIA_PLAIN = `id BIGINT PRIMARY KEY, s VARCHAR(40), d DECIMAL(20,4), ts DATETIME(6), tz TIMESTAMP(6) NULL, tm TIME, n INT UNSIGNED, bl BLOB, ch CHAR(3), f DOUBLE, r FLOAT`;

test('MariaDB → PostgreSQL: zero false mismatches over many types, then exactly the tampered rows, recorded and exit 4', { timeout: 180_000 }, async () => {
  const db = uniqueName('ferry_vd_my');
  const dir = mkdtempSync(join(tmpdir(), 'ferry-vd-'));
  const my = await mysql.createConnection({ ...services.mariadb, user: 'root', password: 'root', multipleStatements: true });
  const pgc = new pg.Client(PG);
  await pgc.connect();
  try {
    await my.query("SET time_zone = '+00:00'");
    await my.query(`CREATE DATABASE ${db}`);
    await my.query(`CREATE TABLE ${db}.items (${MARIA_ITEMS})`);
    await my.query(`CREATE TABLE ${db}.plain (${MARIA_PLAIN})`);
    await my.query(`CREATE TABLE ${db}.kv (k1 INT, k2 VARCHAR(8), v INT, PRIMARY KEY (k1, k2))`);
    await my.query(`CREATE TABLE ${db}.skey (code VARCHAR(20) PRIMARY KEY, v INT)`);
    await my.query(`CREATE TABLE ${db}.nopk (x INT)`);
    const items = Array.from({ length: 3000 }, (_, i) => [i + 1, 9_007_199_254_740_993n + BigInt(i), i % 9 === 0 ? null : `row ${i} ü\t"q"\\ 😀`, (i % 1000) / 100 - 3, '2024-01-02 03:04:05.654321', i % 4 ? '1999-12-31' : null,
      i % 5 ? Buffer.from([i % 256, 0, 255]) : null, i % 6 ? JSON.stringify({ id: i, b: 'x', a: [1, 2.5, null] }) : null, i % 7 ? i / 7 : null, i % 2, '2038-01-19 03:14:07.999999', i % 3 ? `-${i % 800}:00:00.5` : null,
      18446744073709551615n - BigInt(i), i % 2, i % 32, i % 2 ? 'b b' : 'a', i % 3 ? 'x,y' : '', `c${i % 10}`, 'long '.repeat(i % 50), Buffer.alloc(i % 100, 7), `123e4567-e89b-12d3-a456-${String(i).padStart(12, '0')}`, 1901 + (i % 250), i / 3, i % 256, `10.0.${i % 256}.1`]);
    await my.query(`INSERT INTO ${db}.items VALUES ?`, [items]);
    for (let c = 0; c < 4; c++) {
      const rows = Array.from({ length: 5000 }, (_, j) => { const i = c * 5000 + j + 1; return [i * 3, `plain ${i}`, (i % 100000) / 7, '2020-02-29 12:00:00.000001', '2001-09-09 01:46:40', `${i % 800}:59:59`, i * 11, Buffer.from(String(i)), i % 2 ? 'ab' : 'abc', i % 100 === 0 ? i * 1e-9 : i / 7, i % 50 === 0 ? 1e20 + i : i / 3]; });
      await my.query(`INSERT INTO ${db}.plain VALUES ?`, [rows]);
    }
    await my.query(`INSERT INTO ${db}.kv VALUES ?`, [Array.from({ length: 300 }, (_, i) => [i % 10, `k${i}`, i])]);
    await my.query(`INSERT INTO ${db}.skey VALUES ?`, [Array.from({ length: 500 }, (_, i) => [`code-${i}`, i])]);
    await my.query(`INSERT INTO ${db}.nopk VALUES (1), (1), (2)`);
    const taskObject = {
      name: db, source: { engine: 'mariadb', ...services.mariadb, user: 'cdc', password: 'cdc' }, migrationType: 'full-load',
      tableMappings: { rules: [{ 'rule-type': 'selection', 'rule-id': '1', 'rule-name': 'all', 'rule-action': 'include', 'object-locator': { 'schema-name': db, 'table-name': '%' } }] },
      targets: [{ type: 'postgres', name: 'pg', host: PG.host, port: PG.port, user: PG.user, password: PG.password, database: PG.database, stateSchema: db }],
      settings: { metrics: { enabled: false }, stateDir: join(dir, 'state'), offsetStore: 'sqlite' },
    };
    await fullLoad(taskObject);
    const task = parseTask(taskObject);

    const seen: number[] = [];
    const clean = await validateData(task, { chunkRows: 1000, progressMs: 5, onProgress: (p) => seen.push(p.rows) });
    assert.ok(seen.length > 0 && seen.every((n, i) => i === 0 || n >= seen[i - 1]!), `progress reported, never going back (${seen.length} reports)`);
    for (const t of ['items', 'plain', 'kv', 'skey']) {
      const r = table(clean, `${db}.${t}`);
      assert.equal(r.state, 'Validated', `${t}: ${r.message ?? ''} ${kinds(r).slice(0, 5).join('; ')}`);
      assert.deepEqual(r.skippedColumns, [], `${t}: every column compared`);
    }
    assert.equal(table(clean, `${db}.items`).method, 'range-rows');
    assert.equal(table(clean, `${db}.plain`).method, 'range-checksum');
    assert.equal(table(clean, `${db}.kv`).method, 'range-checksum');
    assert.equal(table(clean, `${db}.skey`).method, 'bucket-checksum');
    assert.equal(table(clean, `${db}.plain`).sourceRows, 20000);
    assert.equal(table(clean, `${db}.plain`).targetRows, 20000);
    // Doubles print in other notations (MariaDB 1e20, PostgreSQL 1e+20): those ranges' checksums differ, their rows are
    // pulled and compared after canonicalization in Node, and found equal.
    assert.ok((table(clean, `${db}.plain`).mismatchedRanges ?? 0) > 0, 'some ranges differed by float notation only');
    assert.ok((table(clean, `${db}.plain`).rowsCompared ?? 0) > 0);
    assert.equal(table(clean, `${db}.nopk`).state, 'No primary key');
    assert.equal(clean.ok, true);

    // Tamper with the target directly.
    const s = `"${db}"`;
    await pgc.query(`UPDATE ${s}.plain SET s = 'tampered' WHERE id = 300`);
    await pgc.query(`UPDATE ${s}.plain SET f = f + 1 WHERE id = 600`);
    await pgc.query(`UPDATE ${s}.plain SET d = d + 0.0001, tm = tm + interval '1 microsecond' WHERE id = 45000`);
    await pgc.query(`UPDATE ${s}.plain SET ch = 'ab ' WHERE id = 3`); // trailing space on a CHAR: not a difference
    await pgc.query(`DELETE FROM ${s}.plain WHERE id IN (3000, 60000)`);
    await pgc.query(`INSERT INTO ${s}.plain (id, s) VALUES (-7, 'before every key'), (1000000, 'after every key'), (4, 'between keys')`);
    await pgc.query(`UPDATE ${s}.items SET j = '{"a": [1, 2.5, null], "b": "y", "id": 10}'::jsonb, f = f * 2 WHERE id = 11`);
    await pgc.query(`UPDATE ${s}.items SET tz = tz - interval '1 hour', b1 = NOT b1 WHERE id = 12`);
    await pgc.query(`DELETE FROM ${s}.items WHERE id = 2999`);
    await pgc.query(`UPDATE ${s}.kv SET v = -1 WHERE k1 = 3 AND k2 = 'k13'`);
    await pgc.query(`DELETE FROM ${s}.kv WHERE k1 = 0 AND k2 = 'k0'`);
    await pgc.query(`UPDATE ${s}.skey SET v = 1000 WHERE code = 'code-42'`);
    await pgc.query(`INSERT INTO ${s}.skey VALUES ('code-new', 1)`);

    const file = join(dir, 'task.json');
    writeFileSync(file, JSON.stringify(taskObject));
    const run = cli(file, '--chunk-rows', '1000', '--max-concurrency', '3');
    assert.equal(run.status, 4, `exit 4 on mismatches (stderr: ${run.stderr.slice(-500)})`);
    const r = run.json;
    const unknown = cli(file, '--table', `${db}.nope`);
    assert.equal(unknown.status, 2, 'an unknown --table is a usage error');
    assert.match(JSON.stringify(unknown.json), /FERRY_USAGE.*nope/);
    assert.deepEqual(kinds(table(r, `${db}.plain`)), [
      'MISSING_SOURCE {"id":"-7"}', 'MISSING_SOURCE {"id":"1000000"}', 'MISSING_SOURCE {"id":"4"}',
      'MISSING_TARGET {"id":"3000"}', 'MISSING_TARGET {"id":"60000"}',
      'RECORD_DIFF {"id":"300"} s', 'RECORD_DIFF {"id":"45000"} d,tm', 'RECORD_DIFF {"id":"600"} f',
    ]);
    assert.deepEqual(kinds(table(r, `${db}.items`)), ['MISSING_TARGET {"id":"2999"}', 'RECORD_DIFF {"id":"11"} j,f', 'RECORD_DIFF {"id":"12"} tz,b1']);
    assert.deepEqual(kinds(table(r, `${db}.kv`)), ['MISSING_TARGET {"k1":"0","k2":"k0"}', 'RECORD_DIFF {"k1":"3","k2":"k13"} v']);
    assert.deepEqual(kinds(table(r, `${db}.skey`)), ['MISSING_SOURCE {"code":"code-new"}', 'RECORD_DIFF {"code":"code-42"} v']);
    // Ranges smaller than the rows sharing one value of the first key column (30 per k1): the walk moves to the next value.
    const small = await validateData(task, { tables: [`${db}.kv`], chunkRows: 10 });
    assert.deepEqual(kinds(table(small, `${db}.kv`)), ['MISSING_TARGET {"k1":"0","k2":"k0"}', 'RECORD_DIFF {"k1":"3","k2":"k13"} v']);
    assert.equal(table(small, `${db}.kv`).sourceRows, 300);
    assert.ok((table(small, `${db}.kv`).ranges ?? 0) >= 10, 'one range per k1 value at least');
    assert.equal(table(r, `${db}.plain`).state, 'Mismatched records');

    // The failures table, read back with pg.
    const { rows } = await pgc.query(`SELECT table_name, failure_type, key_json::text AS k, columns_json::text AS c FROM ${s}.ferry_validation_failures WHERE task_name = $1 ORDER BY 1, 2, 3`, [db]);
    const lines = rows.map((x: Record<string, string>) => `${x.table_name} ${x.failure_type} ${x.k} ${x.c}`);
    assert.equal(lines.length, 15);
    assert.ok(lines.includes('plain RECORD_DIFF {"id": "45000"} ["d", "tm"]'), lines.join('\n'));
    assert.ok(lines.includes('skey MISSING_SOURCE {"code": "code-new"} []'), lines.join('\n'));

    // Only the tables validated are replaced: validating kv again after repairing it by hand leaves plain's rows.
    await pgc.query(`UPDATE ${s}.kv SET v = 13 WHERE k1 = 3 AND k2 = 'k13'`);
    await pgc.query(`INSERT INTO ${s}.kv VALUES (0, 'k0', 0)`);
    const again = await validateData(task, { tables: [`${db}.kv`] });
    assert.equal(table(again, `${db}.kv`).state, 'Validated');
    const after = await pgc.query(`SELECT table_name, count(*)::int AS n FROM ${s}.ferry_validation_failures WHERE task_name = $1 GROUP BY 1 ORDER BY 1`, [db]);
    assert.deepEqual(after.rows, [{ table_name: 'items', n: 3 }, { table_name: 'plain', n: 8 }, { table_name: 'skey', n: 2 }]);
  } finally {
    await my.query(`DROP DATABASE IF EXISTS ${db}`);
    await my.end();
    await pgc.query(`DROP SCHEMA IF EXISTS "${db}" CASCADE`);
    await pgc.end();
  }
});

const PG_COLUMNS = `id bigint PRIMARY KEY, i2 smallint, i4 integer NOT NULL, i8 bigint, n numeric(12,3), nfree numeric, r real, d double precision, b boolean,
  t text, vc varchar(20), ch char(5), by bytea, dt date, ts timestamp(6), tstz timestamptz, tm time(6), j jsonb, js json, u uuid, arr integer[], tarr text[], m mood, bt bit(5)`;

const PG_VALUES = (id: number): string => {
  const k = id % 7;
  return `(${id}, ${k === 0 ? 'NULL' : (id % 65536) - 32768}, ${id * 3 - 50000}, ${k === 1 ? 'NULL' : `${BigInt(id) * 1_000_000_000_007n}`}, ${(id % 100000) / 1000 - 40}, ${k === 2 ? 'NULL' : `'${id}.${'0'.repeat(k)}1'`},
    ${id / 8}, ${id / 3}, ${k === 3 ? 'NULL' : id % 2 === 0}, ${k === 4 ? 'NULL' : `E'text ${id} ü 😀 \\t "q" \\\\'`}, 'vc${id}', ${k === 5 ? 'NULL' : `'c${id % 10}'`}, ${k === 6 ? 'NULL' : `'\\x00ff${(id % 256).toString(16).padStart(2, '0')}'`},
    '${1990 + (id % 30)}-0${1 + (id % 9)}-1${id % 10}', '2024-02-29 23:59:59.${String(id % 1000000).padStart(6, '0')}', '2024-06-01 12:00:00.5+0${id % 9}:30', '${String(id % 24).padStart(2, '0')}:30:00.000123',
    '{"id": ${id}, "nested": {"z": 1, "a": [1, 2.5, null]}, "s": "x\\"y"}', '{"b": 2, "a": 1}', '00000000-0000-4000-8000-${String(id).padStart(12, '0')}',
    ${k === 0 ? 'NULL' : `'{1,${id},NULL}'`}, '{"a b","c,d",NULL}', '${['happy', 'sad', 'ok'][id % 3]}', B'${(id % 32).toString(2).padStart(5, '0')}')`;
};

test('PostgreSQL → MariaDB: zero false mismatches over many types, then exactly the tampered rows', { timeout: 180_000 }, async () => {
  const name = uniqueName('ferry_vd_pg');
  const dir = mkdtempSync(join(tmpdir(), 'ferry-vd-'));
  const admin = new pg.Client(PG);
  await admin.connect();
  const my = await mysql.createConnection({ ...services.mariadb, user: 'root', password: 'root' });
  try {
    await admin.query(`CREATE SCHEMA ${name} AUTHORIZATION cdc`);
    await admin.query(`SET search_path = ${name}`);
    await admin.query("CREATE TYPE mood AS ENUM ('happy', 'sad', 'ok')");
    await admin.query(`CREATE TABLE items (${PG_COLUMNS})`);
    await admin.query('CREATE TABLE plain (id int PRIMARY KEY, s text, n numeric(10,2), at timestamptz, ch char(4), dp double precision, r real)');
    await admin.query('CREATE TABLE ukey (id uuid PRIMARY KEY, v int)');
    await admin.query(`ALTER TABLE items OWNER TO cdc; ALTER TABLE plain OWNER TO cdc; ALTER TABLE ukey OWNER TO cdc; ALTER TYPE mood OWNER TO cdc;
      ALTER TABLE items REPLICA IDENTITY FULL; ALTER TABLE plain REPLICA IDENTITY FULL; ALTER TABLE ukey REPLICA IDENTITY FULL`);
    for (let i = 0; i < 4; i++) await admin.query(`INSERT INTO items VALUES ${Array.from({ length: 500 }, (_, j) => PG_VALUES(i * 500 + j + 1)).join(',')}`);
    await admin.query(`INSERT INTO plain SELECT g, 'p' || g, g / 7.0, timestamptz '2024-01-01 00:00:00+05' + g * interval '1 second', CASE WHEN g % 2 = 0 THEN 'ab' END, g / 3.0, g * 1e-9 FROM generate_series(1, 10000) g`);
    await admin.query(`INSERT INTO ukey SELECT ('00000000-0000-4000-8000-' || lpad(g::text, 12, '0'))::uuid, g FROM generate_series(1, 300) g`);
    const taskObject = {
      name, source: { engine: 'postgres', ...services.postgres, user: 'cdc', password: 'cdc', database: 'shop' }, migrationType: 'full-load',
      tableMappings: { rules: [{ 'rule-type': 'selection', 'rule-id': '1', 'rule-name': 'all', 'rule-action': 'include', 'object-locator': { 'schema-name': name, 'table-name': '%' } }] },
      targets: [{ type: 'mysql', name: 'maria', host: services.mariadb.host, port: services.mariadb.port, user: 'root', password: 'root', stateDatabase: name }],
      settings: { metrics: { enabled: false }, stateDir: join(dir, 'state'), offsetStore: 'sqlite' },
    };
    await fullLoad(taskObject);
    const task = parseTask(taskObject);
    const clean = await validateData(task, { chunkRows: 700 });
    for (const t of ['items', 'plain', 'ukey']) {
      const r = table(clean, `${name}.${t}`);
      assert.equal(r.state, 'Validated', `${t}: ${r.message ?? ''} ${kinds(r).slice(0, 5).join('; ')}`);
      assert.deepEqual(r.skippedColumns, [], `${t}: every column compared`);
    }
    assert.equal(table(clean, `${name}.plain`).method, 'range-checksum');
    assert.equal(table(clean, `${name}.ukey`).method, 'bucket-checksum');

    const q = (sql: string) => my.query(sql.replaceAll('§', `\`${name}\``));
    await q("UPDATE §.items SET t = 'x', arr = '[1]' WHERE id = 10");
    await q("UPDATE §.items SET tstz = tstz + INTERVAL 1 SECOND WHERE id = 20");
    await q('DELETE FROM §.items WHERE id = 1999');
    await q("INSERT INTO §.plain (id, s) VALUES (0, 'zero'), (20000, 'far')");
    await q("UPDATE §.plain SET n = n + 1, ch = 'zz' WHERE id = 5000");
    await q('UPDATE §.plain SET dp = dp * 2 WHERE id = 77');
    await q("UPDATE §.plain SET ch = 'ab  ' WHERE id = 6"); // CHAR padding: not a difference
    await q("DELETE FROM §.ukey WHERE id = '00000000-0000-4000-8000-000000000007'");
    const r = await validateData(task, { chunkRows: 700 });
    assert.deepEqual(kinds(table(r, `${name}.items`)), ['MISSING_TARGET {"id":"1999"}', 'RECORD_DIFF {"id":"10"} t,arr', 'RECORD_DIFF {"id":"20"} tstz']);
    assert.deepEqual(kinds(table(r, `${name}.plain`)), ['MISSING_SOURCE {"id":"0"}', 'MISSING_SOURCE {"id":"20000"}', 'RECORD_DIFF {"id":"5000"} n,ch', 'RECORD_DIFF {"id":"77"} dp']);
    assert.deepEqual(kinds(table(r, `${name}.ukey`)), ['MISSING_TARGET {"id":"00000000-0000-4000-8000-000000000007"}']);
    const [rows] = await my.query(`SELECT table_name, failure_type, key_json, columns_json FROM \`${name}\`.ferry_validation_failures WHERE task_name = ? ORDER BY 1, 2, 3`, [name]);
    assert.deepEqual((rows as Record<string, string>[]).map((x) => `${x.table_name} ${x.failure_type} ${x.key_json} ${x.columns_json}`), [
      'items MISSING_TARGET {"id":"1999"} []', 'items RECORD_DIFF {"id":"10"} ["t","arr"]', 'items RECORD_DIFF {"id":"20"} ["tstz"]',
      'plain MISSING_SOURCE {"id":"0"} []', 'plain MISSING_SOURCE {"id":"20000"} []', 'plain RECORD_DIFF {"id":"5000"} ["n","ch"]', 'plain RECORD_DIFF {"id":"77"} ["dp"]',
      'ukey MISSING_TARGET {"id":"00000000-0000-4000-8000-000000000007"} []',
    ]);
  } finally {
    await dropPgTaskObjects(admin, name).catch(() => undefined);
    await admin.query(`DROP SCHEMA IF EXISTS ${name} CASCADE`);
    await admin.end();
    await my.query(`DROP DATABASE IF EXISTS \`${name}\``);
    await my.end();
  }
});

test('MariaDB → MariaDB with renames: the mapped table and columns in the target database, computed columns not compared', { timeout: 120_000 }, async () => {
  const db = uniqueName('ferry_vd_mm');
  const dir = mkdtempSync(join(tmpdir(), 'ferry-vd-'));
  const my = await mysql.createConnection({ ...services.mariadb, user: 'root', password: 'root' });
  try {
    await my.query(`CREATE DATABASE ${db}`);
    await my.query(`CREATE TABLE ${db}.people (id INT UNSIGNED PRIMARY KEY, last VARCHAR(30), f FLOAT, j JSON, tm TIME(3), b BIT(3), secret VARCHAR(100)) CHARACTER SET latin1`);
    await my.query(`INSERT INTO ${db}.people VALUES ?`, [Array.from({ length: 400 }, (_, i) => [i + 1, `Müller ${i}`, i / 3, JSON.stringify({ i }), `-${i}:00:00.125`, i % 8, `s${i}`])]);
    const loc = { 'schema-name': db, 'table-name': 'people' };
    const taskObject = {
      name: db, source: { engine: 'mariadb', ...services.mariadb, user: 'cdc', password: 'cdc' }, migrationType: 'full-load',
      tableMappings: { rules: [
        { 'rule-type': 'selection', 'rule-id': '1', 'rule-name': 'all', 'rule-action': 'include', 'object-locator': loc },
        { 'rule-type': 'transformation', 'rule-id': '2', 'rule-name': 'tbl', 'rule-target': 'table', 'rule-action': 'rename', 'object-locator': loc, value: 'persons' },
        { 'rule-type': 'transformation', 'rule-id': '3', 'rule-name': 'col', 'rule-target': 'column', 'rule-action': 'rename', 'object-locator': { ...loc, 'column-name': 'last' }, value: 'surname' },
        { 'rule-type': 'transformation', 'rule-id': '4', 'rule-name': 'mask', 'rule-target': 'column', 'rule-action': 'data-masking-hash-mask', 'object-locator': { ...loc, 'column-name': 'secret' } },
      ] },
      targets: [{ type: 'mysql', name: 'copy', host: services.mariadb.host, port: services.mariadb.port, user: 'root', password: 'root', database: `${db}_copy` }],
      settings: { metrics: { enabled: false }, stateDir: join(dir, 'state'), offsetStore: 'sqlite' },
    };
    await fullLoad(taskObject);
    const task = parseTask(taskObject);
    const clean = await validateData(task);
    const t = table(clean, `${db}.people`);
    assert.equal(t.state, 'Validated', `${t.message ?? ''} ${kinds(t).slice(0, 5).join('; ')} (target rows ${t.targetRows})`);
    assert.equal(t.target, `${db}_copy.persons`);
    assert.equal(t.method, 'range-rows');
    assert.deepEqual(t.skippedColumns.map((s) => s.column), ['secret']);
    assert.equal(t.sourceRows, 400);
    await my.query(`UPDATE \`${db}_copy\`.persons SET surname = 'Muller 7', tm = '-7:00:00.126' WHERE id = 8`);
    await my.query(`UPDATE \`${db}_copy\`.persons SET secret = 'changed' WHERE id = 9`); // not compared: masked
    const r = await validateData(task);
    assert.deepEqual(kinds(table(r, `${db}.people`)), ['RECORD_DIFF {"id":"8"} last,tm']);
    assert.equal(r.targets[0]!.failuresTable, `${db}_copy.ferry_validation_failures`);

    // A source filter compares only the rows it lets through (ids 1–10 against the full copy: 390 extra target rows);
    // a filter on a JSON column cannot be expressed: Not supported, said so. A target table that is gone: Error.
    const withFilter = (column: string, c: object) => parseTask({ ...taskObject, tableMappings: { rules: [{ ...taskObject.tableMappings.rules[0]!, filters: [{ 'filter-type': 'source', 'column-name': column, 'filter-conditions': [c] }] }, ...taskObject.tableMappings.rules.slice(1)] } });
    const f = table(await validateData(withFilter('id', { 'filter-operator': 'lte', value: '10' })), `${db}.people`);
    assert.equal(f.state, 'Mismatched records');
    assert.equal(f.sourceRows, 10);
    assert.equal(f.failures, 391);
    assert.deepEqual(kinds(f).filter((k) => !k.startsWith('MISSING_SOURCE')), ['RECORD_DIFF {"id":"8"} last,tm']);
    const j = table(await validateData(withFilter('j', { 'filter-operator': 'eq', value: '{}' })), `${db}.people`);
    assert.equal(j.state, 'Not supported');
    assert.match(j.message ?? '', /column j \(io\.debezium\.data\.Json\) is not supported/);
    await my.query(`DROP TABLE \`${db}_copy\`.persons`);
    const gone = await validateData(task);
    assert.equal(table(gone, `${db}.people`).state, 'Error');
    assert.match(table(gone, `${db}.people`).message ?? '', /does not exist/);
    assert.equal(gone.ok, false);
  } finally {
    await my.query(`DROP DATABASE IF EXISTS ${db}`);
    await my.query(`DROP DATABASE IF EXISTS \`${db}_copy\``);
    await my.end();
  }
});
