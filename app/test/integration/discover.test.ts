// `ferry discover` against the live MariaDB and PostgreSQL, on a throwaway database each with tables with and without
// a primary key, a view, a trigger, routines, a partitioned table, a generated column, LOB/JSON columns, a foreign
// key, a sequence (and a MariaDB event, PostgreSQL extension and enum type): the exact tables, counts and feature
// lists; the effort and recommended target; a write rate measured while the test writes during the sample; the CLI's
// --json output parsed with the documented shape, its --html file escaped; and the exit codes and messages of an
// unreachable server, a wrong password, a missing privilege and a password given in the URL.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mysql from 'mysql2/promise';
import pg from 'pg';
import { Secret } from '../../../runtime/src/config/secrets.ts';
import { services, uniqueName } from '../../../test/helpers/services.ts';
import { discover } from '../../src/discover/discover.ts';
import { discoveryReportSchema, type DiscoveredDatabase, type FeatureItem } from '../../src/discover/model.ts';

const ROOT = join(import.meta.dirname, '..', '..', '..');
const dir = mkdtempSync(join(tmpdir(), 'ferry-discover-'));
const myDb = uniqueName('disc');
const pgDb = uniqueName('disc');
const myUser = uniqueName('disc_u');
const pgUser = uniqueName('disc_u');
const USER_PASSWORD = `pw-${Math.random().toString(36).slice(2)}-long`;
const ODD = 'odd <b>&"name';

let my: mysql.Connection;
let admin: pg.Client;

const myConnection = { engine: 'mariadb' as const, source: { engine: 'mariadb', ...services.mariadb, user: 'root', password: new Secret('root'), connectTimeoutMs: 5000 } };
const pgConnection = { engine: 'postgres' as const, source: { engine: 'postgres', ...services.postgres, user: 'postgres', password: new Secret('postgres'), connectTimeoutMs: 5000 }, database: pgDb };

function ferry(args: readonly string[], env: Record<string, string> = {}): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [join(ROOT, 'bin', 'ferry.js'), 'discover', ...args], { encoding: 'utf8', timeout: 60_000, env: { ...process.env, ...env } });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

before(async () => {
  my = await mysql.createConnection({ ...services.mariadb, user: 'root', password: 'root', multipleStatements: true });
  await my.query(`CREATE DATABASE \`${myDb}\`; USE \`${myDb}\`;
    CREATE TABLE keyed (id INT PRIMARY KEY, name VARCHAR(20), doc JSON, body LONGTEXT, total INT AS (id * 2) STORED);
    CREATE TABLE keyless (a INT, b BLOB);
    CREATE TABLE parts (id INT, d DATE, PRIMARY KEY (id, d)) PARTITION BY RANGE (YEAR(d)) (PARTITION p1 VALUES LESS THAN (2020), PARTITION p2 VALUES LESS THAN (2030), PARTITION p3 VALUES LESS THAN MAXVALUE);
    CREATE TABLE child (id INT PRIMARY KEY, k INT, CONSTRAINT fk_k FOREIGN KEY (k) REFERENCES keyed (id));
    CREATE TABLE \`${ODD}\` (id INT PRIMARY KEY);
    CREATE VIEW v_keyed AS SELECT id, name FROM keyed;
    CREATE TRIGGER trg_keyed BEFORE INSERT ON keyed FOR EACH ROW SET NEW.name = UPPER(NEW.name);
    CREATE PROCEDURE proc_one() SELECT 1;
    CREATE FUNCTION fn_one() RETURNS INT DETERMINISTIC RETURN 1;
    CREATE EVENT ev_one ON SCHEDULE EVERY 1 DAY DISABLE DO SELECT 1;
    CREATE SEQUENCE seq_one;
    INSERT INTO keyed (id, name, doc, body) VALUES (1, 'a', '{}', 'x'), (2, 'b', '[]', 'y'), (3, 'c', NULL, NULL);
    INSERT INTO keyless VALUES (1, 'x'), (2, 'y');
    INSERT INTO parts VALUES (1, '2010-01-01'), (2, '2025-01-01'), (3, '2031-01-01'), (4, '2032-01-01');
    INSERT INTO child VALUES (1, 1);
    CREATE USER '${myUser}'@'%' IDENTIFIED BY '${USER_PASSWORD}';
    GRANT SELECT, SHOW VIEW ON \`${myDb}\`.* TO '${myUser}'@'%';`);

  admin = new pg.Client({ ...services.postgres, user: 'postgres', password: 'postgres', database: 'postgres' });
  await admin.connect();
  await admin.query(`CREATE DATABASE "${pgDb}"`);
  await admin.query(`CREATE ROLE "${pgUser}" LOGIN PASSWORD '${USER_PASSWORD}'`);
  const c = new pg.Client({ ...services.postgres, user: 'postgres', password: 'postgres', database: pgDb });
  await c.connect();
  await c.query(`CREATE SCHEMA app;
    CREATE TABLE app.keyed (id int PRIMARY KEY, name varchar(20), doc jsonb, body text, total int GENERATED ALWAYS AS (id * 2) STORED);
    CREATE TABLE app.keyless (a int, b bytea);
    CREATE TABLE app.parts (id int, d date, PRIMARY KEY (id, d)) PARTITION BY RANGE (d);
    CREATE TABLE app.parts_1 PARTITION OF app.parts FOR VALUES FROM ('2000-01-01') TO ('2020-01-01');
    CREATE TABLE app.parts_2 PARTITION OF app.parts FOR VALUES FROM ('2020-01-01') TO ('2030-01-01');
    CREATE TABLE app.child (id int PRIMARY KEY, k int REFERENCES app.keyed (id));
    CREATE VIEW app.v_keyed AS SELECT id, name FROM app.keyed;
    CREATE MATERIALIZED VIEW app.mv_keyed AS SELECT id FROM app.keyed;
    CREATE FUNCTION app.trg_fn() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN NEW.name := upper(NEW.name); RETURN NEW; END $$;
    CREATE TRIGGER trg_keyed BEFORE INSERT OR UPDATE ON app.keyed FOR EACH ROW EXECUTE FUNCTION app.trg_fn();
    CREATE PROCEDURE app.proc_one() LANGUAGE sql AS $$ SELECT 1 $$;
    CREATE SEQUENCE app.seq1;
    CREATE TYPE app.mood AS ENUM ('a', 'b');
    CREATE EXTENSION pgcrypto;
    INSERT INTO app.keyed (id, name, doc, body) VALUES (1, 'a', '{}', 'x'), (2, 'b', '[]', 'y'), (3, 'c', NULL, NULL);
    INSERT INTO app.keyless VALUES (1, 'x'), (2, 'y');
    INSERT INTO app.parts VALUES (1, '2010-01-01'), (2, '2025-01-01');`);
  await c.end();
});

after(async () => {
  await my?.query(`DROP DATABASE IF EXISTS \`${myDb}\``).catch(() => undefined);
  await my?.query(`DROP USER IF EXISTS '${myUser}'@'%'`).catch(() => undefined);
  await my?.end();
  await admin?.query(`DROP DATABASE IF EXISTS "${pgDb}" WITH (FORCE)`).catch(() => undefined);
  await admin?.query(`DROP ROLE IF EXISTS "${pgUser}"`).catch(() => undefined);
  await admin?.end();
});

const objects = (items: readonly FeatureItem[]) => items.map((i) => (i.detail === undefined ? i.object : `${i.object} [${i.detail}]`));
const tableRows = (d: DiscoveredDatabase) => d.tables.map((t) => [`${t.schema}.${t.name}`, t.rows, t.rowsExact, t.primaryKey, t.partitions]);

test('MariaDB: the exact tables, counts and features of a database, and the effort per target', async () => {
  const r = await discover({ connection: myConnection, databases: [myDb], exactCounts: true, sampleSeconds: 0 });
  assert.equal(r.server.engine, 'mariadb');
  assert.match(r.server.version, /MariaDB/);
  assert.equal(r.writeRate, null);
  assert.equal(r.databases.length, 1);
  const d = r.databases[0]!;
  assert.deepEqual(d.schemas, [myDb]);
  assert.deepEqual(tableRows(d), [
    [`${myDb}.child`, 1, true, true, 0], [`${myDb}.keyed`, 3, true, true, 0], [`${myDb}.keyless`, 2, true, false, 0],
    [`${myDb}.${ODD}`, 0, true, true, 0], [`${myDb}.parts`, 4, true, true, 3],
  ]);
  assert.ok(d.tables.every((t) => t.engine === 'InnoDB' && t.dataBytes > 0));
  assert.deepEqual(d.totals, { tables: 5, rows: 10, dataBytes: d.tables.reduce((s, t) => s + t.dataBytes, 0), indexBytes: d.tables.reduce((s, t) => s + t.indexBytes, 0), tablesWithoutPrimaryKey: 1 });
  const f = d.features;
  const q = (s: string) => `${myDb}.${s}`;
  assert.deepEqual(objects(f.views), [q('v_keyed')]);
  assert.deepEqual(objects(f.procedures), [q('proc_one')]);
  assert.deepEqual(objects(f.functions), [q('fn_one')]);
  assert.deepEqual(objects(f.triggers), [`${q('keyed.trg_keyed')} [BEFORE INSERT]`]);
  assert.deepEqual(objects(f.lobColumns), [`${q('keyed.doc')} [json (longtext)]`, `${q('keyed.body')} [longtext]`, `${q('keyless.b')} [blob]`]);
  assert.deepEqual(objects(f.jsonColumns), [`${q('keyed.doc')} [json (longtext)]`]);
  assert.deepEqual(objects(f.partitionedTables), [`${q('parts')} [RANGE, 3 partitions]`]);
  assert.deepEqual(objects(f.generatedColumns), [`${q('keyed.total')} [stored int(11)]`]);
  assert.deepEqual(objects(f.foreignKeys), [`${q('child.fk_k')} [references ${q('keyed')}]`]);
  assert.deepEqual(objects(f.sequences), [q('seq_one')]);
  assert.deepEqual(objects(f.events), [`${q('ev_one')} [recurring, disabled]`]);
  assert.deepEqual([f.extensions, f.spatialColumns, f.userDefinedTypes], [[], [], []]);

  const e = d.effort!;
  assert.equal(e.recommendedTarget, 'mariadb');
  assert.equal(e.reasons[0], 'engine-specific code: 1 procedure, 1 function, 1 trigger, 1 event would have to be rewritten for PostgreSQL; on MariaDB they are copied as they are');
  assert.match(e.reasons[1]!, new RegExp(`^1 table without a primary key \\(${myDb}\\.keyless\\)`));
  assert.deepEqual(e.candidates.map((c) => c.target), ['mariadb', 'postgres']);
  const toPg = e.candidates[1]!;
  // the generated column becomes a plain column (its expression is a 'default' item)
  assert.deepEqual(toPg.manualByKind, { procedure: 1, function: 1, trigger: 1, default: 1, event: 1, 'partitioned table': 1 });
  assert.deepEqual(toPg.topIssues.slice(0, 2).map((i) => i.object), [q('fn_one'), q('proc_one')]);
  assert.ok(toPg.score > e.candidates[0]!.score);
  assert.deepEqual(e.candidates[0]!.manualByKind, { event: 1 });
  assert.equal(e.score, e.candidates[0]!.score);
  assert.ok(discoveryReportSchema.safeParse(r).success);

  const estimated = await discover({ connection: myConnection, databases: [myDb], exactCounts: false, sampleSeconds: 0 });
  assert.ok(estimated.databases[0]!.tables.every((t) => !t.rowsExact && (t.rows === null || Number.isInteger(t.rows))));
});

test('PostgreSQL: the exact schemas, tables, counts and features of a database, and the effort per target', async () => {
  const r = await discover({ connection: pgConnection, databases: [pgDb], exactCounts: true, sampleSeconds: 0 });
  assert.equal(r.server.engine, 'postgres');
  const d = r.databases[0]!;
  assert.equal(d.name, pgDb);
  assert.deepEqual(d.schemas, ['app', 'public']);
  assert.deepEqual(tableRows(d), [['app.child', 0, true, true, 0], ['app.keyed', 3, true, true, 0], ['app.keyless', 2, true, false, 0], ['app.parts', 2, true, true, 2]]);
  const parts = d.tables.find((t) => t.name === 'parts')!;
  assert.ok(parts.dataBytes >= 2 * 8192 && parts.indexBytes >= 2 * 8192, 'a partitioned table sums its partitions');
  const f = d.features;
  assert.deepEqual(objects(f.views), ['app.mv_keyed [materialized]', 'app.v_keyed']);
  assert.deepEqual(objects(f.procedures), ['app.proc_one [() sql]']);
  assert.deepEqual(objects(f.functions), ['app.trg_fn [() plpgsql]']);
  assert.deepEqual(objects(f.triggers), ['app.keyed.trg_keyed [BEFORE INSERT OR UPDATE]']);
  assert.deepEqual(objects(f.lobColumns), ['app.keyed.doc [jsonb]', 'app.keyed.body [text]', 'app.keyless.b [bytea]']);
  assert.deepEqual(objects(f.jsonColumns), ['app.keyed.doc [jsonb]']);
  assert.deepEqual(objects(f.partitionedTables), ['app.parts [RANGE, 2 partitions]']);
  assert.deepEqual(objects(f.generatedColumns), ['app.keyed.total [stored integer]']);
  assert.deepEqual(objects(f.foreignKeys), ['app.child.child_k_fkey [references app.keyed]']);
  assert.deepEqual(objects(f.sequences), ['app.seq1']);
  assert.deepEqual(f.extensions.map((x) => x.object), ['pgcrypto']);
  assert.deepEqual(objects(f.userDefinedTypes), ['app.mood [enum]']);
  assert.deepEqual([f.events, f.spatialColumns], [[], []]);

  const e = d.effort!;
  assert.equal(e.recommendedTarget, 'postgres');
  assert.equal(e.reasons[0], 'engine-specific code: 1 procedure, 1 function, 1 trigger, 1 extension would have to be rewritten for MySQL; on PostgreSQL they are copied as they are');
  assert.deepEqual(e.candidates.map((c) => [c.target, c.manualByKind]), [
    ['postgres', { extension: 1, 'partitioned table': 1 }],
    ['mysql', { procedure: 1, function: 1, trigger: 1, extension: 1, 'partitioned table': 1, sequence: 1, default: 1 }],
  ]);
  assert.ok(discoveryReportSchema.safeParse(r).success);
});

async function writeWhile<T>(work: Promise<T>, write: () => Promise<unknown>): Promise<{ result: T; writes: number }> {
  let done = false;
  let writes = 0;
  const loop = (async () => { while (!done) { await write(); writes++; await new Promise((res) => setTimeout(res, 20)); } })();
  try {
    return { result: await work, writes };
  } finally {
    done = true;
    await loop;
  }
}

test('MariaDB write rate: binlog growth measured while rows are written during the sample', async () => {
  const { result: r, writes } = await writeWhile(discover({ connection: myConnection, databases: [myDb], exactCounts: false, sampleSeconds: 2 }),
    () => my.query(`INSERT INTO \`${myDb}\`.keyless VALUES (9, REPEAT('x', 200))`));
  const w = r.writeRate!;
  assert.ok(writes > 10, `${writes} writes`);
  assert.equal(w.method, 'binlog');
  assert.ok(w.sampledSeconds >= 2 && w.sampledSeconds < 30, `${w.sampledSeconds} s`);
  assert.ok(w.logBytes! > writes * 200 / 2, `${w.logBytes} binlog bytes for ${writes} inserts of 200 bytes`);
  assert.ok(w.logBytesPerSecond! > 0 && w.rowWritesPerSecond! > 0, JSON.stringify(w));
  assert.equal(w.note, undefined);
});

test('PostgreSQL write rate: WAL growth and the database\'s row writes while rows are written during the sample', async () => {
  const c = new pg.Client({ ...services.postgres, user: 'postgres', password: 'postgres', database: pgDb });
  await c.connect();
  try {
    const { result: r, writes } = await writeWhile(discover({ connection: pgConnection, databases: [pgDb], exactCounts: false, sampleSeconds: 2 }),
      () => c.query("INSERT INTO app.keyless VALUES (9, convert_to(repeat('x', 200), 'UTF8'))"));
    const w = r.writeRate!;
    assert.equal(w.method, 'wal');
    assert.ok(w.logBytes! > writes * 200 / 2, `${w.logBytes} WAL bytes for ${writes} inserts`);
    assert.ok(w.logBytesPerSecond! > 0 && w.rowWritesPerSecond! > 0, JSON.stringify(w));
    assert.ok(r.databases[0]!.rowWritesPerSecond! > 0, `database rate ${r.databases[0]!.rowWritesPerSecond}`);
  } finally {
    await c.end();
  }
});

test('CLI: --json has the documented shape, --html is self-contained and escaped; a user without BINLOG MONITOR gets a note', () => {
  const html = join(dir, 'report.html');
  const r = ferry([`mariadb://${myUser}@${services.mariadb.host}:${services.mariadb.port}`, '--password-env', 'DISC_PW', '--database', myDb, '--exact-counts', '--sample-seconds', '1', '--json', '--html', html], { DISC_PW: USER_PASSWORD });
  assert.equal(r.status, 0, r.stderr + r.stdout);
  const report = discoveryReportSchema.parse(JSON.parse(r.stdout));
  assert.deepEqual(report.databases.map((d) => d.tables.length), [5]);
  assert.equal(report.writeRate!.logBytes, null);
  assert.match(report.writeRate!.note!, /grant BINLOG MONITOR/);
  const page = readFileSync(html, 'utf8');
  assert.ok(page.includes(`<code>${myDb}.odd &lt;b&gt;&amp;&quot;name</code>`));
  assert.equal(page.includes(ODD), false);
  assert.equal(/<script|<link|<img|@import/i.test(page), false);
  assert.equal(r.stdout.includes(USER_PASSWORD) || r.stderr.includes(USER_PASSWORD) || page.includes(USER_PASSWORD), false);

  // A task file's source block, its password a reference.
  const task = join(dir, 'task.json');
  writeFileSync(task, JSON.stringify({ name: 'disc', migrationType: 'full-load', source: { engine: 'mariadb', ...services.mariadb, user: myUser, password: '${env:DISC_PW}' }, tableMappings: { rules: [{ 'rule-type': 'selection', 'rule-id': '1', 'rule-name': 'all', 'rule-action': 'include', 'object-locator': { 'schema-name': '%', 'table-name': '%' } }] } }));
  const fromTask = ferry([task, '--database', myDb, '--sample-seconds', '0', '--json'], { DISC_PW: USER_PASSWORD });
  assert.equal(fromTask.status, 0, fromTask.stderr + fromTask.stdout);
  assert.deepEqual(discoveryReportSchema.parse(JSON.parse(fromTask.stdout)).databases.map((d) => [d.name, d.totals.tables]), [[myDb, 5]]);
  const both = ferry([task, '--host', 'elsewhere']);
  assert.equal(both.status, 2);
  assert.match(both.stderr, /with a task file the connection comes from its source block: drop --host/);

  const text = ferry([`mariadb://${myUser}@${services.mariadb.host}:${services.mariadb.port}`, '--password-env', 'DISC_PW', '--database', myDb, '--sample-seconds', '0'], { DISC_PW: USER_PASSWORD });
  assert.equal(text.status, 0, text.stderr);
  assert.match(text.stdout, /effort: \w+ \(score \d+\), recommended target: mariadb/);
  assert.match(text.stdout, new RegExp(`${myDb}\\.keyless +~?\\d+ .* NO`));
});

test('CLI: unreachable server, wrong password and missing CONNECT exit 3 with the connectors\' errors; a password in the URL exits 2', async () => {
  const unreachable = ferry(['--engine', 'mariadb', '--host', '127.0.0.1', '--port', '1', '--user', 'root', '--sample-seconds', '0', '--json']);
  assert.equal(unreachable.status, 3, unreachable.stderr);
  const u = JSON.parse(unreachable.stdout) as { ok: boolean; error: { code: string; message: string } };
  assert.equal(u.error.code, 'FERRY_SOURCE_UNREACHABLE');
  assert.match(u.error.message, /cannot connect to mariadb at 127\.0\.0\.1:1: connection refused/);

  const wrong = ferry([`postgres://${pgUser}@${services.postgres.host}:${services.postgres.port}/${pgDb}`, '--password-env', 'DISC_PW', '--sample-seconds', '0'], { DISC_PW: 'wrong-password-789' });
  assert.equal(wrong.status, 3, wrong.stderr);
  assert.match(wrong.stderr, new RegExp(`error FERRY_SOURCE_AUTH: postgres at 127\\.0\\.0\\.1:${services.postgres.port} rejected user "${pgUser}"`));
  assert.equal(wrong.stderr.includes('wrong-password-789'), false);

  // The role may log in to postgres, but not to the discovered database.
  await admin.query(`REVOKE CONNECT ON DATABASE "${pgDb}" FROM PUBLIC`);
  const denied = ferry([`postgres://${pgUser}@${services.postgres.host}:${services.postgres.port}/postgres`, '--password-env', 'DISC_PW', '--database', pgDb, '--sample-seconds', '0', '--json'], { DISC_PW: USER_PASSWORD });
  assert.equal(denied.status, 3, denied.stderr + denied.stdout);
  const dj = JSON.parse(denied.stdout) as { error: { code: string; message: string } };
  assert.equal(dj.error.code, 'FERRY_SOURCE_PRIVILEGES');
  assert.match(dj.error.message, new RegExp(`user "${pgUser}" has no CONNECT privilege on database ${pgDb}\\. GRANT CONNECT ON DATABASE "${pgDb}" TO the user`));

  // … and the same when the URL names it as the database to connect to
  const direct = ferry([`postgres://${pgUser}@${services.postgres.host}:${services.postgres.port}/${pgDb}`, '--password-env', 'DISC_PW', '--sample-seconds', '0'], { DISC_PW: USER_PASSWORD });
  assert.equal(direct.status, 3, direct.stderr);
  assert.match(direct.stderr, new RegExp(`error FERRY_SOURCE_PRIVILEGES: user "${pgUser}" has no CONNECT privilege on database ${pgDb} at `));

  const inUrl = ferry([`mysql://root:secret-in-url-42@127.0.0.1:3306`, '--json']);
  assert.equal(inUrl.status, 2);
  assert.match(inUrl.stderr, /holds a password: pass it with --password-env VAR or --password-file PATH/);
  assert.equal((inUrl.stdout + inUrl.stderr).includes('secret-in-url-42'), false);
  assert.equal((JSON.parse(inUrl.stdout) as { error: { code: string } }).error.code, 'FERRY_USAGE');
});
