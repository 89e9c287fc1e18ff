// `ferry plan --json` against the live MariaDB and PostgreSQL catalogs: a table and column rename and a removed
// column give the exact target columns; the schemas are "new" first, "registered" once the exact envelope is
// registered, and "incompatible" after an incompatible key schema is registered (exit 3). Nothing is written: no
// topic, subject, slot or publication appears. A selection that matches no table, and two tables that share a topic
// after renames and character substitution, fail the plan (exit 3) with the closest names or both table names.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mysql from 'mysql2/promise';
import pg from 'pg';
import { services, uniqueName } from '../../../test/helpers/services.ts';

const ROOT = join(import.meta.dirname, '..', '..', '..');
const dir = mkdtempSync(join(tmpdir(), 'ferry-plan-'));

interface Plan {
  ok: boolean;
  checks: { check: string; status: string; message: string; fix?: string; code?: string }[];
  problems: unknown[];
  tables: { source: string; target: string; topic: string; columns: unknown[]; removed: string[]; primaryKey: string[]; rules: string[]; lob: unknown; subjects: { subject: string; kind: string; compatibility: string; schema: object }[] }[];
}

function plan(name: string, source: Record<string, unknown>, schema: string): { status: number | null; plan: Plan; stdout: string; human: string } {
  const file = join(dir, `${name}.json`);
  const loc = { 'schema-name': schema, 'table-name': 'people' };
  writeFileSync(file, JSON.stringify({
    name, source: { user: 'cdc', password: 'cdc', ...source }, migrationType: 'full-load-and-cdc',
    tableMappings: { rules: [
      { 'rule-type': 'selection', 'rule-id': '1', 'rule-name': 'all', 'rule-action': 'include', 'object-locator': { 'schema-name': schema, 'table-name': '%' } },
      { 'rule-type': 'transformation', 'rule-id': '2', 'rule-name': 'tbl', 'rule-target': 'table', 'rule-action': 'rename', 'object-locator': loc, value: 'persons' },
      { 'rule-type': 'transformation', 'rule-id': '3', 'rule-name': 'col', 'rule-target': 'column', 'rule-action': 'rename', 'object-locator': { ...loc, 'column-name': 'last' }, value: 'surname' },
      { 'rule-type': 'transformation', 'rule-id': '4', 'rule-name': 'drop', 'rule-target': 'column', 'rule-action': 'remove-column', 'object-locator': { ...loc, 'column-name': 'secret' } },
    ] },
    kafka: { brokers: services.brokers, schemaRegistry: services.registryUrl, topicPrefix: name },
    settings: { lob: { mode: 'limited', maxSizeKb: 16 } },
  }));
  const run = (...args: string[]) => spawnSync(process.execPath, [join(ROOT, 'bin', 'ferry.js'), 'plan', file, ...args], { encoding: 'utf8', timeout: 60000 });
  const r = run('--json');
  const human = run();
  assert.equal(human.status, r.status, human.stderr);
  return { status: r.status, plan: JSON.parse(r.stdout) as Plan, stdout: r.stdout, human: human.stdout + human.stderr };
}

async function registry(method: string, path: string, body?: unknown): Promise<unknown> {
  const res = await fetch(`${services.registryUrl}${path}`, { method, headers: { 'Content-Type': 'application/vnd.schemaregistry.v1+json' }, ...(body ? { body: JSON.stringify(body) } : {}) });
  assert.ok(res.ok, `${method} ${path}: HTTP ${res.status} ${await res.clone().text()}`);
  return res.json();
}

/** The plan's tables without the (long) Avro schemas. */
const brief = (p: Plan) => p.tables.map((t) => ({ ...t, subjects: t.subjects.map(({ schema: _s, ...s }) => s) }));

async function evolve(name: string, r: ReturnType<typeof plan>, rerun: () => ReturnType<typeof plan>, keyType: string): Promise<void> {
  const t = r.plan.tables[0]!;
  // Register the exact envelope: "registered"; then an incompatible key (id as another type) under BACKWARD.
  const value = t.subjects.find((s) => s.kind === 'value')!;
  await registry('POST', `/subjects/${encodeURIComponent(value.subject)}/versions`, { schemaType: 'AVRO', schema: JSON.stringify(value.schema) });
  const keySubject = `${t.topic}-key`;
  await registry('POST', `/subjects/${encodeURIComponent(keySubject)}/versions`, { schemaType: 'AVRO', schema: JSON.stringify({ type: 'record', name: 'Key', namespace: t.topic, fields: [{ name: 'id', type: keyType }] }) });
  await registry('PUT', `/config/${encodeURIComponent(keySubject)}`, { compatibility: 'BACKWARD' });
  const again = rerun();
  assert.equal(again.status, 3, again.stdout);
  assert.equal(again.plan.ok, false);
  assert.deepEqual(again.plan.tables[0]!.subjects.map((s) => [s.kind, s.compatibility]), [['key', 'incompatible'], ['value', 'registered']]);
  assert.match(again.human, new RegExp(`schema ${keySubject.replace(/\./g, '\\.')}: incompatible \\(latest version 1\\)`));
  for (const s of [keySubject, value.subject]) {
    await fetch(`${services.registryUrl}/subjects/${encodeURIComponent(s)}`, { method: 'DELETE' });
    await fetch(`${services.registryUrl}/subjects/${encodeURIComponent(s)}?permanent=true`, { method: 'DELETE' });
  }
  void name;
}

test('ferry plan on MariaDB: renamed table and column, removed column, LOB policy, then new → registered / incompatible', { timeout: 120000 }, async (t) => {
  const db = uniqueName('plan_it');
  const admin = await mysql.createConnection({ ...services.mariadb, user: 'root', password: 'root' });
  t.after(async () => { await admin.query(`DROP DATABASE IF EXISTS ${db}`); await admin.end(); });
  await admin.query(`CREATE DATABASE ${db}`);
  await admin.query(`CREATE TABLE ${db}.people (id INT PRIMARY KEY, first VARCHAR(30) NOT NULL, last VARCHAR(30), secret VARCHAR(30), notes TEXT, born DATE)`);
  const run = () => plan(db, { engine: 'mariadb', ...services.mariadb }, db);
  const r = run();
  assert.equal(r.status, 0, r.stdout);
  assert.equal(r.plan.ok, true);
  assert.deepEqual(r.plan.problems, []);
  // The prerequisite findings are those of `ferry validate`.
  assert.deepEqual(r.plan.checks.map((c) => [c.check, c.status]), ['source.connect', 'source.engine', 'mysql.log_bin', 'mysql.binlog_format', 'mysql.binlog_row_image', 'mysql.server_id', 'mysql.binlog_retention', 'mysql.gtid', 'mysql.privileges', 'tables.selected', 'tables.destinations', 'kafka.connect', 'registry.connect'].map((c) => [c, 'ok']));
  const topic = `${db}.${db}.persons`;
  assert.deepEqual(brief(r.plan), [{
    source: `${db}.people`, target: `${db}.persons`, topic,
    columns: [
      { name: 'id', type: 'int32', nullable: false, key: true, from: 'column id', sourceType: 'int(11)' },
      { name: 'first', type: 'string', nullable: false, key: false, from: 'column first', sourceType: 'varchar(30)' },
      { name: 'surname', type: 'string', nullable: true, key: false, from: 'column last', sourceType: 'varchar(30)' },
      { name: 'notes', type: 'string', nullable: true, key: false, from: 'column notes', sourceType: 'text' },
      { name: 'born', type: 'int32(io.debezium.time.Date)', nullable: true, key: false, from: 'column born', sourceType: 'date' },
      { name: '__ferry_truncated', type: 'string', nullable: true, key: false, from: 'lob-stage' },
    ],
    removed: ['secret'], primaryKey: ['id'],
    rules: ['2 rename table', '3 rename column last', '4 remove-column column secret'],
    lob: { mode: 'limited', from: 'settings.lob', columns: ['notes'] },
    subjects: [{ subject: `${topic}-key`, kind: 'key', compatibility: 'new' }, { subject: `${topic}-value`, kind: 'value', compatibility: 'new' }],
  }]);
  const envelope = r.plan.tables[0]!.subjects[1]!.schema as { name: string; namespace: string; fields: { name: string }[] };
  assert.equal(`${envelope.namespace}.${envelope.name}`, `${topic}.Envelope`);
  assert.match(r.human, new RegExp(`^  ${db}\\.people → ${db}\\.persons  \\(topic ${topic.replace(/\./g, '\\.')}\\)$`, 'm'));
  assert.match(r.human, /^ {4}removed: secret$/m);
  await evolve(db, r, run, 'string');
});

test('ferry plan on PostgreSQL: the same mapping, exact columns, then new → registered / incompatible', { timeout: 120000 }, async (t) => {
  const schema = uniqueName('plan_pg');
  const admin = new pg.Client({ ...services.postgres, user: 'postgres', password: 'postgres', database: 'shop' });
  await admin.connect();
  t.after(async () => { await admin.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`); await admin.end(); });
  await admin.query(`CREATE SCHEMA ${schema} AUTHORIZATION cdc`);
  await admin.query(`CREATE TABLE ${schema}.people (id BIGINT PRIMARY KEY, first VARCHAR(30) NOT NULL, last TEXT, secret TEXT, notes TEXT, tags JSONB, amount NUMERIC(10,2))`);
  await admin.query(`ALTER TABLE ${schema}.people OWNER TO cdc, REPLICA IDENTITY FULL`);
  const run = () => plan(schema, { engine: 'postgres', ...services.postgres, database: 'shop' }, schema);
  const r = run();
  assert.equal(r.status, 0, r.stdout);
  assert.deepEqual(r.plan.problems, []);
  assert.deepEqual(r.plan.checks.filter((c) => c.status === 'fail'), []);
  assert.ok(r.plan.checks.some((c) => c.check === `postgres.table.${schema}.people` && c.status === 'ok'));
  assert.deepEqual(r.plan.checks.filter((c) => c.check.startsWith('tables.')).map((c) => [c.check, c.status]), [['tables.selected', 'ok'], ['tables.destinations', 'ok']]);
  const topic = `${schema}.${schema}.persons`;
  assert.deepEqual(brief(r.plan), [{
    source: `${schema}.people`, target: `${schema}.persons`, topic,
    columns: [
      { name: 'id', type: 'int64', nullable: false, key: true, from: 'column id', sourceType: 'bigint' },
      { name: 'first', type: 'string', nullable: false, key: false, from: 'column first', sourceType: 'character varying(30)' },
      { name: 'surname', type: 'string', nullable: true, key: false, from: 'column last', sourceType: 'text' },
      { name: 'notes', type: 'string', nullable: true, key: false, from: 'column notes', sourceType: 'text' },
      { name: 'tags', type: 'string(io.debezium.data.Json)', nullable: true, key: false, from: 'column tags', sourceType: 'jsonb' },
      { name: 'amount', type: 'bytes(org.apache.kafka.connect.data.Decimal)', nullable: true, key: false, from: 'column amount', sourceType: 'numeric(10,2)' },
      { name: '__ferry_truncated', type: 'string', nullable: true, key: false, from: 'lob-stage' },
    ],
    removed: ['secret'], primaryKey: ['id'],
    rules: ['2 rename table', '3 rename column last', '4 remove-column column secret'],
    lob: { mode: 'limited', from: 'settings.lob', columns: ['surname', 'notes', 'tags'] },
    subjects: [{ subject: `${topic}-key`, kind: 'key', compatibility: 'new' }, { subject: `${topic}-value`, kind: 'value', compatibility: 'new' }],
  }]);
  // Nothing was created on the source: no slot, no publication.
  const { rows } = await admin.query(`SELECT (SELECT count(*) FROM pg_replication_slots WHERE slot_name = $1) AS slots, (SELECT count(*) FROM pg_publication WHERE pubname = $1) AS pubs`, [`ferry_${schema}`]);
  assert.deepEqual(rows[0], { slots: '0', pubs: '0' });
  await evolve(schema, r, run, 'string');
});

/** `ferry plan --json` (and the human form) of a task with these selection/transformation rules. */
function planRules(name: string, source: Record<string, unknown>, rules: unknown[]): { status: number | null; plan: Plan; human: string } {
  const file = join(dir, `${name}.json`);
  writeFileSync(file, JSON.stringify({
    name, source: { user: 'cdc', password: 'cdc', ...source }, migrationType: 'full-load', tableMappings: { rules },
    kafka: { brokers: services.brokers, schemaRegistry: services.registryUrl, topicPrefix: name },
  }));
  const run = (...args: string[]) => spawnSync(process.execPath, [join(ROOT, 'bin', 'ferry.js'), 'plan', file, ...args], { encoding: 'utf8', timeout: 60000 });
  const r = run('--json');
  const human = run();
  assert.equal(human.status, r.status, human.stderr);
  return { status: r.status, plan: JSON.parse(r.stdout) as Plan, human: human.stdout + human.stderr };
}
const select = (schema: string, table = '%') => ({ 'rule-type': 'selection', 'rule-id': '1', 'rule-name': 'sel', 'rule-action': 'include', 'object-locator': { 'schema-name': schema, 'table-name': table } });
const failed = (p: Plan) => p.checks.filter((c) => c.status === 'fail').map(({ check, message, code }) => ({ check, message, code }));
const COLLISION_FIX = 'add a table-mapping transformation rule (rule-action rename, or a prefix or suffix) that gives one of the two tables another name, or exclude one of them';

test('ferry plan on MariaDB: a schema-name typo fails with the closest schema name; `t x` and `t_x` fail naming both (exit 3)', { timeout: 120000 }, async (t) => {
  const db = uniqueName('plan_sel');
  const admin = await mysql.createConnection({ ...services.mariadb, user: 'root', password: 'root' });
  t.after(async () => { await admin.query(`DROP DATABASE IF EXISTS ${db}`); await admin.end(); });
  await admin.query(`CREATE DATABASE ${db}`);
  await admin.query(`CREATE TABLE ${db}.\`t x\` (id INT PRIMARY KEY)`);
  await admin.query(`CREATE TABLE ${db}.t_x (id INT PRIMARY KEY)`);
  const typo = `${db.slice(0, -1)}${db.endsWith('q') ? 'w' : 'q'}`;
  const r = planRules(typo, { engine: 'mariadb', ...services.mariadb }, [select(typo)]);
  assert.equal(r.status, 3, r.human);
  assert.equal(r.plan.ok, false);
  assert.deepEqual(r.plan.tables, []);
  const [f] = failed(r.plan);
  assert.equal(failed(r.plan).length, 1, r.human);
  assert.equal(f!.check, 'tables.selected');
  assert.equal(f!.code, 'FERRY_NO_TABLES_SELECTED');
  assert.match(f!.message, new RegExp(`^the table mapping selects no table of the mariadb source at 127\\.0\\.0\\.1:${services.mariadb.port}: rule 1 \\(include schema-name "${typo}", table-name "%"\\): no schema is named like "${typo}"; did you mean "${db}"[,?]`));
  assert.match(r.human, /^Tables: 0 selected$/m);
  assert.match(r.human, new RegExp(`^ {2}FAIL tables\\.selected: .*did you mean "${db}"`, 'm'));
  // The table name mistyped in an existing schema: the closest table names.
  const t2 = planRules(`${db}_t`, { engine: 'mariadb', ...services.mariadb }, [select(db, 't_y')]);
  assert.equal(t2.status, 3, t2.human);
  assert.deepEqual(failed(t2.plan), [{ check: 'tables.selected', code: 'FERRY_NO_TABLES_SELECTED', message: `the table mapping selects no table of the mariadb source at 127.0.0.1:${services.mariadb.port}: rule 1 (include schema-name "${db}", table-name "t_y"): schema "${db}" has no table named like "t_y"; did you mean "t_x", "t x"?` }]);

  const c = planRules(db, { engine: 'mariadb', ...services.mariadb }, [select(db)]);
  assert.equal(c.status, 3, c.human);
  assert.deepEqual(failed(c.plan), [{ check: 'tables.destinations', code: 'FERRY_DESTINATION_COLLISION', message: `tables "${db}.t x" and "${db}.t_x" both write Kafka topic "${db}.${db}.t_x"` }]);
  assert.equal(c.plan.checks.find((x) => x.check === 'tables.destinations')!.fix, COLLISION_FIX);
  assert.deepEqual(c.plan.tables.map((x) => [x.source, x.topic]), [[`${db}.t x`, `${db}.${db}.t_x`], [`${db}.t_x`, `${db}.${db}.t_x`]]);
});

test('ferry plan on PostgreSQL: a schema typo suggests the schema; "T" and t lower-cased by a rule to one name fail naming both', { timeout: 120000 }, async (t) => {
  const schema = uniqueName('plan_pgsel');
  const admin = new pg.Client({ ...services.postgres, user: 'postgres', password: 'postgres', database: 'shop' });
  await admin.connect();
  t.after(async () => { await admin.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`); await admin.end(); });
  await admin.query(`CREATE SCHEMA ${schema} AUTHORIZATION cdc`);
  await admin.query(`CREATE TABLE ${schema}."T" (id INT PRIMARY KEY)`);
  await admin.query(`CREATE TABLE ${schema}.t (id INT PRIMARY KEY)`);
  await admin.query(`ALTER TABLE ${schema}."T" OWNER TO cdc`);
  await admin.query(`ALTER TABLE ${schema}.t OWNER TO cdc`);
  const source = { engine: 'postgres', ...services.postgres, database: 'shop' };
  const typo = `${schema.slice(0, -1)}${schema.endsWith('q') ? 'w' : 'q'}`;
  const r = planRules(typo, source, [select(typo)]);
  assert.equal(r.status, 3, r.human);
  const f = failed(r.plan).find((x) => x.check === 'tables.selected');
  assert.equal(f?.code, 'FERRY_NO_TABLES_SELECTED', r.human);
  assert.match(f!.message, new RegExp(`^the table mapping selects no table of the postgres source at 127\\.0\\.0\\.1:${services.postgres.port}: rule 1 \\(include schema-name "${typo}", table-name "%"\\): no schema is named like "${typo}"; did you mean "${schema}"[,?]`));

  // Without a rule, "T" and t are two topics; convert-lowercase gives both the name t.
  const apart = planRules(`${schema}_a`, source, [select(schema)]);
  assert.deepEqual(failed(apart.plan), [], apart.human);
  assert.equal(apart.status, 0, apart.human);
  const lower = { 'rule-type': 'transformation', 'rule-id': '2', 'rule-name': 'lower', 'rule-target': 'table', 'rule-action': 'convert-lowercase', 'object-locator': { 'schema-name': schema, 'table-name': '%' } };
  const c = planRules(`${schema}_l`, source, [select(schema), lower]);
  assert.equal(c.status, 3, c.human);
  assert.deepEqual(failed(c.plan).filter((x) => x.check === 'tables.destinations'), [{ check: 'tables.destinations', code: 'FERRY_DESTINATION_COLLISION', message: `tables "${schema}.T" and "${schema}.t" both write Kafka topic "${schema}_l.${schema}.t"` }]);
});
