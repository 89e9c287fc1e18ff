// `ferry validate` against the real local services: a healthy setup passes; an unreachable host, a wrong password
// and a MariaDB whose binlog is not in ROW format each give one actionable FAIL line and exit code 3; so do a
// selection that matches no table (with the closest schema name) and two tables that share one Kafka topic.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mysql from 'mysql2/promise';
import pg from 'pg';
import { freePort, uniqueName } from '../../../test/helpers/services.ts';

const ROOT = join(import.meta.dirname, '..', '..', '..');
const MARIADB_PORT = Number(process.env.FERRY_MARIADB_PORT ?? 3306);
const PG_PORT = Number(process.env.FERRY_POSTGRES_PORT ?? 5432);
const KAFKA = `127.0.0.1:${process.env.FERRY_KAFKA_PORT ?? 9092}`;
const REGISTRY = `http://127.0.0.1:${process.env.FERRY_REGISTRY_PORT ?? 8081}/apis/ccompat/v7`;
let STATEMENT_PORT = 0;
const dir = mkdtempSync(join(tmpdir(), 'ferry-validate-'));
const statementDir = join(dir, 'maria-stmt');
/** The database (MariaDB) and schema (PostgreSQL, database shop) the tasks select: one table, items. */
const SCHEMA = uniqueName('validate_it');
const pgAdmin = () => new pg.Client({ host: '127.0.0.1', port: PG_PORT, user: 'postgres', password: 'postgres', database: 'shop' });

function task(name: string, source: Record<string, unknown>, withKafka = true): string {
  const file = join(dir, `${name}.json`);
  writeFileSync(file, JSON.stringify({
    name, source: { user: 'cdc', password: '${env:FERRY_IT_PW}', connectTimeoutMs: 3000, ...source }, migrationType: 'cdc',
    tableMappings: { rules: [{ 'rule-type': 'selection', 'rule-id': '1', 'rule-name': 'all', 'rule-action': 'include', 'object-locator': { 'schema-name': SCHEMA, 'table-name': '%' } }] },
    ...(withKafka ? { kafka: { brokers: [KAFKA], schemaRegistry: REGISTRY } } : {}),
  }));
  return file;
}

function validate(file: string, password: string, ...args: string[]) {
  const r = spawnSync(process.execPath, [join(ROOT, 'bin', 'ferry.js'), 'validate', file, ...args], { encoding: 'utf8', env: { ...process.env, FERRY_IT_PW: password }, timeout: 60000 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr, fails: r.stdout.split('\n').filter((l) => l.startsWith('FAIL')) };
}

before(async () => {
  STATEMENT_PORT = await freePort();
  const r = spawnSync('bash', [join(ROOT, 'infra', 'mariadb.sh'), 'start', statementDir, String(STATEMENT_PORT), '--binlog-format=STATEMENT'], { encoding: 'utf8', timeout: 120000 });
  assert.equal(r.status, 0, r.stderr + r.stdout);
  for (const port of [MARIADB_PORT, STATEMENT_PORT]) {
    const admin = await mysql.createConnection({ host: '127.0.0.1', port, user: 'root', password: 'root' });
    await admin.query(`CREATE DATABASE ${SCHEMA}`);
    await admin.query(`CREATE TABLE ${SCHEMA}.items (id INT PRIMARY KEY)`);
    await admin.end();
  }
  const admin = pgAdmin();
  await admin.connect();
  await admin.query(`CREATE SCHEMA ${SCHEMA} AUTHORIZATION cdc`);
  await admin.query(`CREATE TABLE ${SCHEMA}.items (id INT PRIMARY KEY)`);
  await admin.query(`ALTER TABLE ${SCHEMA}.items OWNER TO cdc`);
  await admin.end();
});
after(async () => {
  spawnSync('bash', [join(ROOT, 'infra', 'mariadb.sh'), 'stop', statementDir, String(STATEMENT_PORT)], { timeout: 60000 });
  const maria = await mysql.createConnection({ host: '127.0.0.1', port: MARIADB_PORT, user: 'root', password: 'root' });
  await maria.query(`DROP DATABASE IF EXISTS ${SCHEMA}`);
  await maria.end();
  const admin = pgAdmin();
  await admin.connect();
  await admin.query(`DROP SCHEMA IF EXISTS ${SCHEMA} CASCADE`);
  await admin.end();
});

test('a healthy MariaDB + Kafka + registry passes every check (exit 0)', () => {
  const r = validate(task('ok-maria', { engine: 'mariadb', host: '127.0.0.1', port: MARIADB_PORT, database: 'shop' }), 'cdc');
  assert.equal(r.status, 0, r.stdout + r.stderr);
  assert.deepEqual(r.fails, []);
  assert.match(r.stdout, /^ok {3}tables\.selected: 1 table selected$/m);
  assert.match(r.stdout, /^ok {3}tables\.destinations: every selected table has a destination of its own$/m);
  for (const check of ['source.connect', 'mysql.binlog_format', 'mysql.binlog_row_image', 'mysql.privileges', 'kafka.connect', 'registry.connect']) {
    assert.match(r.stdout, new RegExp(`^ok {3}${check.replace('.', '\\.')}: `, 'm'));
  }
  assert.match(r.stdout, /^ok {3}mysql\.privileges: user "cdc" has REPLICATION SLAVE, REPLICATION CLIENT\/BINLOG MONITOR and SELECT$/m);
});

test('--json gives a machine-readable result', () => {
  const r = validate(task('ok-json', { engine: 'mariadb', host: '127.0.0.1', port: MARIADB_PORT }), 'cdc', '--json');
  assert.equal(r.status, 0);
  const j = JSON.parse(r.stdout) as { ok: boolean; checks: { check: string; status: string }[] };
  assert.equal(j.ok, true);
  assert.deepEqual(j.checks.find((c) => c.check === 'mysql.binlog_format'), { check: 'mysql.binlog_format', status: 'ok', message: 'binlog_format is ROW' });
});

test('unreachable host: one actionable line, exit 3', () => {
  const r = validate(task('unreachable', { engine: 'mariadb', host: '127.0.0.1', port: 1 }, false), 'cdc');
  assert.equal(r.status, 3);
  assert.deepEqual(r.fails, ['FAIL source.connect: cannot connect to mariadb at 127.0.0.1:1: connection refused. Check source.host and source.port, and that the server is running (fix: start the server or correct source.host/source.port)']);
  assert.match(r.stderr, /^validate: 1 checks: 1 failed, 0 warnings$/m);
});

test('wrong password: one actionable line, exit 3, and the password is not shown', () => {
  const r = validate(task('badpw', { engine: 'mariadb', host: '127.0.0.1', port: MARIADB_PORT }, false), 'not-the-password');
  assert.equal(r.status, 3);
  assert.deepEqual(r.fails, [`FAIL source.connect: mariadb at 127.0.0.1:${MARIADB_PORT} rejected user "cdc": wrong password, or the user may not connect from this host. Check source.user and source.password (fix: correct source.user/source.password (the password comes from the reference in the task file))`]);
  assert.equal((r.stdout + r.stderr).includes('not-the-password'), false);
});

test('binlog not in ROW format: one actionable line, exit 3', () => {
  const r = validate(task('stmt', { engine: 'mariadb', host: '127.0.0.1', port: STATEMENT_PORT }, false), 'cdc');
  assert.equal(r.status, 3, r.stdout + r.stderr);
  assert.deepEqual(r.fails, [`FAIL mysql.binlog_format: binlog_format is STATEMENT on 127.0.0.1:${STATEMENT_PORT}; Ferry needs ROW (fix: run SET GLOBAL binlog_format='ROW' and add binlog_format=ROW to [mariadbd] in my.cnf (sessions started before keep the old format))`]);
});

test('PostgreSQL: healthy passes; wrong password fails with one line', () => {
  const ok = validate(task('ok-pg', { engine: 'postgres', host: '127.0.0.1', port: PG_PORT, database: 'shop' }, false), 'cdc');
  assert.equal(ok.status, 0, ok.stdout + ok.stderr);
  assert.match(ok.stdout, /^ok {3}postgres\.wal_level: wal_level is logical$/m);
  assert.match(ok.stdout, /^ok {3}postgres\.replication_privilege: role "cdc" has REPLICATION$/m);
  const bad = validate(task('bad-pg', { engine: 'postgres', host: '127.0.0.1', port: PG_PORT, database: 'shop' }, false), 'wrong');
  assert.equal(bad.status, 3);
  assert.deepEqual(bad.fails, [`FAIL source.connect: postgres at 127.0.0.1:${PG_PORT} rejected user "cdc": wrong password, or pg_hba.conf does not allow this user from this host. Check source.user and source.password (fix: correct source.user/source.password)`]);
});

test('Kafka or registry unreachable is reported, not hung on', () => {
  const file = join(dir, 'nokafka.json');
  writeFileSync(file, JSON.stringify({
    name: 'nokafka', source: { engine: 'mariadb', host: '127.0.0.1', port: MARIADB_PORT, user: 'cdc', password: 'cdc' }, migrationType: 'cdc',
    tableMappings: { rules: [{ 'rule-type': 'selection', 'rule-id': '1', 'rule-name': 'all', 'rule-action': 'include', 'object-locator': { 'schema-name': SCHEMA, 'table-name': '%' } }] },
    kafka: { brokers: ['127.0.0.1:1'], schemaRegistry: 'http://127.0.0.1:1/apis/ccompat/v7' },
  }));
  const r = validate(file, 'cdc', '--timeout-ms', '3000');
  assert.equal(r.status, 3);
  assert.equal(r.fails.length, 2, r.stdout);
  assert.match(r.fails[0]!, /^FAIL kafka\.connect: .*127\.0\.0\.1:1.*\(fix: check kafka\.brokers and that the broker runs \(npm run services:status\)\)$/);
  assert.match(r.fails[1]!, /^FAIL registry\.connect: cannot reach the schema registry at http:\/\/127\.0\.0\.1:1\/apis\/ccompat\/v7: fetch failed \(fix: /);
});

test('targets: options and reachability are checked (a lake on an existing bucket passes, a missing bucket and bad options fail)', async () => {
  const moto = `http://127.0.0.1:${process.env.FERRY_MOTO_PORT ?? 5000}`;
  const bucket = `ferry-validate-${Date.now().toString(36)}`;
  assert.equal((await fetch(`${moto}/${bucket}`, { method: 'PUT' })).status, 200);
  const s3 = { endpoint: moto, region: 'us-east-1', accessKeyId: 'test', secretAccessKey: 'test' };
  const file = join(dir, 'targets.json');
  writeFileSync(file, JSON.stringify({
    name: 'targets', source: { engine: 'mariadb', host: '127.0.0.1', port: MARIADB_PORT, user: 'cdc', password: 'cdc' }, migrationType: 'cdc',
    tableMappings: { rules: [{ 'rule-type': 'selection', 'rule-id': '1', 'rule-name': 'all', 'rule-action': 'include', 'object-locator': { 'schema-name': SCHEMA, 'table-name': '%' } }] },
    targets: [
      { type: 'parquet', name: 'good', location: `s3://${bucket}/lake`, s3 },
      { type: 'parquet', name: 'missing', location: `s3://${bucket}-missing/lake`, s3 },
      { type: 'csv', name: 'bad', location: `s3://${bucket}/csv`, s3, maxFileRows: -5 },
    ],
  }));
  const r = validate(file, 'cdc', '--timeout-ms', '10000');
  assert.equal(r.status, 3, r.stdout + r.stderr);
  assert.match(r.stdout, /^ok {3}target\.good: parquet target good is reachable$/m);
  assert.equal(r.fails.length, 2, r.stdout);
  assert.match(r.fails[0]!, new RegExp(`^FAIL target\\.missing: parquet target missing: .*${bucket}-missing.* \\(fix: check the address and credentials of targets\\[1\\] \\(docs/sinks/s3-lake\\.md\\)\\)$`));
  assert.match(r.fails[1]!, /^FAIL target\.bad: .*targets\[2\]\.maxFileRows.* \(fix: fix the options of targets\[2\] \(docs\/sinks\/s3-lake\.md; every option: docs\/configuration\.md\)\)$/);
});

/** A task file selecting `schema`.`table` with a kafka block, and optional extra table-mapping rules. */
function selecting(name: string, schema: string, rules: unknown[] = []): string {
  const file = join(dir, `${name}.json`);
  writeFileSync(file, JSON.stringify({
    name, source: { engine: 'mariadb', host: '127.0.0.1', port: MARIADB_PORT, user: 'cdc', password: 'cdc' }, migrationType: 'full-load',
    tableMappings: { rules: [{ 'rule-type': 'selection', 'rule-id': '1', 'rule-name': 'all', 'rule-action': 'include', 'object-locator': { 'schema-name': schema, 'table-name': '%' } }, ...rules] },
    kafka: { brokers: [KAFKA], schemaRegistry: REGISTRY, topicPrefix: name },
  }));
  return file;
}

test('a schema-name typo: tables.selected fails with the closest existing schema name, exit 3', () => {
  const typo = `${SCHEMA.slice(0, -1)}${SCHEMA.endsWith('q') ? 'w' : 'q'}`;
  const r = validate(selecting('typo', typo), 'cdc');
  assert.equal(r.status, 3, r.stdout + r.stderr);
  assert.equal(r.fails.length, 1, r.stdout);
  assert.match(r.fails[0]!, new RegExp(`^FAIL tables\\.selected: the table mapping selects no table of the mariadb source at 127\\.0\\.0\\.1:${MARIADB_PORT}: rule 1 \\(include schema-name "${typo}", table-name "%"\\): no schema is named like "${typo}"; did you mean "${SCHEMA}"[,?].* \\(fix: correct the selection rules \\(schema-name is the MySQL/MariaDB database; names are case-sensitive\\); a task must select at least one existing table, whatever its migrationType\\)$`));
  const j = JSON.parse(validate(selecting('typo-json', typo), 'cdc', '--json').stdout) as { ok: boolean; checks: { check: string; status: string; code?: string }[] };
  assert.equal(j.ok, false);
  assert.deepEqual(j.checks.filter((c) => c.status === 'fail').map((c) => [c.check, c.code]), [['tables.selected', 'FERRY_NO_TABLES_SELECTED']]);
});

test('tables `t x` and `t_x` share a Kafka topic: tables.destinations names both, exit 3; a rename rule fixes it', async () => {
  const db = uniqueName('validate_coll');
  const admin = await mysql.createConnection({ host: '127.0.0.1', port: MARIADB_PORT, user: 'root', password: 'root' });
  try {
    await admin.query(`CREATE DATABASE ${db}`);
    await admin.query(`CREATE TABLE ${db}.\`t x\` (id INT PRIMARY KEY)`);
    await admin.query(`CREATE TABLE ${db}.t_x (id INT PRIMARY KEY)`);
    const r = validate(selecting('coll', db), 'cdc');
    assert.equal(r.status, 3, r.stdout + r.stderr);
    assert.deepEqual(r.fails, [`FAIL tables.destinations: tables "${db}.t x" and "${db}.t_x" both write Kafka topic "coll.${db}.t_x" (fix: add a table-mapping transformation rule (rule-action rename, or a prefix or suffix) that gives one of the two tables another name, or exclude one of them)`]);
    const rename = { 'rule-type': 'transformation', 'rule-id': '2', 'rule-name': 'apart', 'rule-target': 'table', 'rule-action': 'rename', 'object-locator': { 'schema-name': db, 'table-name': 't x' }, value: 't_space_x' };
    const fixed = validate(selecting('coll-fixed', db, [rename]), 'cdc');
    assert.equal(fixed.status, 0, fixed.stdout + fixed.stderr);
    assert.match(fixed.stdout, /^ok {3}tables\.selected: 2 tables selected$/m);
  } finally {
    await admin.query(`DROP DATABASE IF EXISTS ${db}`);
    await admin.end();
  }
});
