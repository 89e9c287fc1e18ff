// Hardening (issue #20): SQL that Ferry builds from catalog names quotes them correctly for its engine. fast-check
// generates schema, table and column names made of quotes, backquotes, spaces, unicode, reserved words, comment
// markers, injection attempts and secret-reference syntax (written `$${` in the task, secrets.ts); each case creates them in the real source database, runs `ferry plan` and a
// full-load-and-cdc task into the other engine (the snapshot, the binlog/pgoutput stream, the target's DDL, bulk
// load, upserts and deletes), and compares both sides row by row and value by value by direct queries.
// FERRY_QUOTING_SEED and FERRY_QUOTING_RUNS override the seed and the number of cases per direction.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import mysql from 'mysql2/promise';
import pg from 'pg';
import { parseTask } from '../../app/src/task-file/load-task.ts';
import { runTask } from '../../app/src/task/TaskRunner.ts';
import { PromMetrics } from '../../runtime/src/metrics/metrics.ts';
import { createLogger } from '../../runtime/src/log/logger.ts';
import { quietLog } from '../helpers/sink-kit/quiet.ts';
import { dropPgTaskObjects, ROOT } from '../helpers/ferry-process.ts';
import { services, uniqueName } from '../helpers/services.ts';
import { adjustFieldName, sanitizeTopicName } from '../../schemas/src/naming.ts';

const SEED = Number(process.env.FERRY_QUOTING_SEED ?? 2020);
const RUNS = Number(process.env.FERRY_QUOTING_RUNS ?? 3);
const log = () => (process.env.FERRY_TEST_LOG ? createLogger() : quietLog());
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The pieces names are made of: quoting characters, separators, comment markers, unicode, reserved words, injections. */
const NAME_PIECES = ['"', '`', "'", ' ', ';', '--', '/*', '*/', '\\', '$1', '%', '_', '.', '?', ',', '(', ')', '=', '@',
  'ü', '☃', '日本', 'Ω', 'select', 'table', 'order', 'user', 'from', 'group', 'key', 'Name', 'a', 'B', '9',
  'x"; DROP TABLE t; --', "x'); DELETE FROM t; --", 'x`; DROP DATABASE d; --', '" OR "1"="1', '${env:HOME}'];
/** The pieces text values are made of: what COPY, LOAD DATA and string literals must escape. */
const VALUE_PIECES = ["'", '"', '`', '\\', '\\N', '\t', '\n', '\r', ',', '|', ' ', 'ü', '☃', '😀', 'NULL', 'x', '0', '%', '_'];

const utf8Bytes = (s: string) => Buffer.byteLength(s, 'utf8');
/** Names both engines accept: no leading or trailing space (MySQL), at most 40 characters and 60 bytes (PostgreSQL's NAMEDATALEN). */
const nameArb = fc.array(fc.constantFrom(...NAME_PIECES), { minLength: 1, maxLength: 4 }).map((a) => a.join(''))
  .filter((s) => s.trim() === s && s.length <= 40 && utf8Bytes(s) <= 60);
const valueArb = fc.option(fc.array(fc.constantFrom(...VALUE_PIECES), { minLength: 0, maxLength: 8 }).map((a) => a.join('')), { nil: null, freq: 6 });
/**
 * n names that stay distinct in every form Ferry gives them: case-insensitively (MySQL column names), as Avro field
 * names and as topic names after character substitution. Names that collide there are refused by `ferry plan` with
 * a message naming both (tested in app/test/integration/plan.test.ts), so they are not generated here.
 */
const distinct = (n: number, form: (s: string) => string) => fc.uniqueArray(nameArb, { minLength: n, maxLength: n, selector: (s) => form(s).toLowerCase() });

interface Case {
  /** Appended to a unique prefix to make the schema (PostgreSQL) or database (MariaDB) name. */
  readonly schemaTail: string;
  /** A keyed and a keyless table. */
  readonly tables: [string, string];
  /** The key column, then two data columns (text, int). */
  readonly columns: [string, string, string];
  readonly values: (string | null)[];
}
const caseArb: fc.Arbitrary<Case> = fc.record({
  schemaTail: nameArb.filter((s) => s.length <= 24),
  tables: distinct(2, sanitizeTopicName) as unknown as fc.Arbitrary<[string, string]>,
  columns: distinct(3, adjustFieldName) as unknown as fc.Arbitrary<[string, string, string]>,
  values: fc.array(valueArb, { minLength: 12, maxLength: 12 }),
});

/** A name as task-file text: `${` is written `$${`, else Ferry would resolve it as a secret reference (secrets.ts). */
const esc = (n: string) => n.replace(/\$\{/g, () => '$${');
const qMy = (n: string) => `\`${n.replace(/`/g, '``')}\``;
const qPg = (n: string) => `"${n.replace(/"/g, '""')}"`;
type Row = Record<string, unknown>;
const line = (cols: readonly string[], r: Row) => cols.map((c) => (r[c] === null || r[c] === undefined ? '∅' : JSON.stringify(String(r[c])))).join('|');

/** One side of a migration: creates the case's objects, changes rows, reads rows back (not through Ferry's code). */
interface Side {
  readonly engine: 'mariadb' | 'postgres';
  create(schema: string, c: Case): Promise<void>;
  exec(sql: string, params?: unknown[]): Promise<void>;
  /** The i-th (1-based) parameter placeholder. */
  ph(i: number): string;
  rows(schema: string, table: string, cols: readonly string[]): Promise<string[]>;
  columnsOf(schema: string, table: string): Promise<string[]>;
  drop(schema: string, taskName: string): Promise<void>;
  q(n: string): string;
  close(): Promise<void>;
}

async function mariaSide(): Promise<Side> {
  const c = await mysql.createConnection({ ...services.mariadb, user: 'root', password: 'root', charset: 'utf8mb4', supportBigNumbers: true, bigNumberStrings: true });
  return {
    engine: 'mariadb', q: qMy, ph: () => '?',
    async create(schema, k) {
      await c.query(`CREATE DATABASE ${qMy(schema)} CHARACTER SET utf8mb4 COLLATE utf8mb4_bin`);
      const [key, text, num] = k.columns.map(qMy) as [string, string, string];
      await c.query(`CREATE TABLE ${qMy(schema)}.${qMy(k.tables[0])} (${key} INT PRIMARY KEY, ${text} VARCHAR(200), ${num} INT)`);
      await c.query(`CREATE TABLE ${qMy(schema)}.${qMy(k.tables[1])} (${key} INT, ${text} VARCHAR(200), ${num} INT)`);
    },
    async exec(sql, params = []) { await c.query(sql, params); },
    async rows(schema, table, cols) {
      const [rows] = await c.query(`SELECT ${cols.map(qMy).join(', ')} FROM ${qMy(schema)}.${qMy(table)}`).catch(() => [[]]);
      return (rows as Row[]).map((r) => line(cols, r)).sort();
    },
    async columnsOf(schema, table) {
      const [rows] = await c.query('SELECT COLUMN_NAME AS c FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ? ORDER BY ORDINAL_POSITION', [schema, table]);
      return (rows as { c: string }[]).map((r) => r.c);
    },
    async drop(schema) { await c.query(`DROP DATABASE IF EXISTS ${qMy(schema)}`); },
    async close() { await c.end(); },
  };
}

async function pgSide(): Promise<Side> {
  const c = new pg.Client({ ...services.postgres, user: 'postgres', password: 'postgres', database: 'shop' });
  await c.connect();
  return {
    engine: 'postgres', q: qPg, ph: (i) => `$${i}`,
    async create(schema, k) {
      await c.query(`CREATE SCHEMA ${qPg(schema)} AUTHORIZATION cdc`);
      const [key, text, num] = k.columns.map(qPg) as [string, string, string];
      await c.query(`CREATE TABLE ${qPg(schema)}.${qPg(k.tables[0])} (${key} int PRIMARY KEY, ${text} varchar(200), ${num} int)`);
      await c.query(`CREATE TABLE ${qPg(schema)}.${qPg(k.tables[1])} (${key} int, ${text} varchar(200), ${num} int)`);
      for (const t of k.tables) await c.query(`ALTER TABLE ${qPg(schema)}.${qPg(t)} OWNER TO cdc, REPLICA IDENTITY FULL`);
    },
    async exec(sql, params = []) { await c.query(sql, params); },
    async rows(schema, table, cols) {
      const r = await c.query(`SELECT ${cols.map(qPg).join(', ')} FROM ${qPg(schema)}.${qPg(table)}`).catch(() => ({ rows: [] as Row[] }));
      return (r.rows as Row[]).map((x) => line(cols, x)).sort();
    },
    async columnsOf(schema, table) {
      const r = await c.query<{ c: string }>('SELECT column_name AS c FROM information_schema.columns WHERE table_schema = $1 AND table_name = $2 ORDER BY ordinal_position', [schema, table]);
      return r.rows.map((x) => x.c);
    },
    async drop(schema, taskName) {
      await dropPgTaskObjects(c, taskName);
      await c.query(`DROP SCHEMA IF EXISTS ${qPg(schema)} CASCADE`);
    },
    async close() { await c.end(); },
  };
}

/** Inserts rows with these keys into a table of the case. */
async function insertRows(src: Side, schema: string, k: Case, table: string, ids: number[]): Promise<void> {
  const cols = k.columns.map(src.q).join(', ');
  for (const id of ids) await src.exec(`INSERT INTO ${src.q(schema)}.${src.q(table)} (${cols}) VALUES (${src.ph(1)}, ${src.ph(2)}, ${src.ph(3)})`, [id, k.values[id % k.values.length], id * 7 - 20]);
}

async function changeRows(src: Side, schema: string, k: Case, table: string): Promise<void> {
  const t = `${src.q(schema)}.${src.q(table)}`;
  const [key, text, num] = k.columns.map(src.q) as [string, string, string];
  await src.exec(`UPDATE ${t} SET ${text} = ${src.ph(1)}, ${num} = ${num} + 1 WHERE ${key} IN (1, 3)`, [k.values[11]]);
  await src.exec(`DELETE FROM ${t} WHERE ${key} = 2`);
  await insertRows(src, schema, k, table, [6, 7, 8]);
}

function planTask(file: string): { status: number | null; stdout: string; stderr: string } {
  return spawnSync(process.execPath, [join(ROOT, 'bin', 'ferry.js'), 'plan', file, '--json'], { encoding: 'utf8', timeout: 60000 });
}

async function runCase(src: Side, dst: Side, k: Case, n: number): Promise<void> {
  const prefix = uniqueName('fq');
  const schema = `${prefix}${n}${k.schemaTail}`;
  await src.create(schema, k);
  const dir = mkdtempSync(join(tmpdir(), 'ferry-quoting-'));
  const target = dst.engine === 'postgres'
    ? { type: 'postgres', name: 'pg', ...services.postgres, user: 'postgres', password: 'postgres', database: 'shop', stateSchema: esc(schema), maxBatchDelayMs: 50 }
    : { type: 'mysql', name: 'maria', ...services.mariadb, user: 'root', password: 'root', stateDatabase: esc(schema), maxBatchDelayMs: 50 };
  const doc = {
    name: prefix, source: { engine: src.engine, ...(src.engine === 'postgres' ? { ...services.postgres, database: 'shop' } : services.mariadb), user: 'cdc', password: 'cdc' },
    migrationType: 'full-load-and-cdc',
    tableMappings: { rules: [{ 'rule-type': 'selection', 'rule-id': '1', 'rule-name': 'all', 'rule-action': 'include', 'object-locator': { 'schema-name': esc(schema), 'table-name': '%' } }] },
    targets: [target],
    settings: { metrics: { enabled: false }, stateDir: join(dir, 'state'), offsetStore: 'sqlite', batch: { maxEvents: 500, maxDelayMs: 20 } },
  };
  const described = `case ${n} ${src.engine} → ${dst.engine}: schema ${JSON.stringify(schema)}, tables ${JSON.stringify(k.tables)}, columns ${JSON.stringify(k.columns)}`;
  const stop = new AbortController();
  let failed: unknown = null;
  let running: Promise<unknown> = Promise.resolve();
  try {
    for (const t of k.tables) await insertRows(src, schema, k, t, [0, 1, 2, 3, 4, 5]);

    // ferry plan: every table under its exact name, and its exact columns, with no error.
    const file = join(dir, 'task.json');
    writeFileSync(file, JSON.stringify(doc));
    const p = planTask(file);
    assert.equal(p.status, 0, `${described}: ferry plan exits 0\n${p.stdout}\n${p.stderr}`);
    const plan = JSON.parse(p.stdout) as { tables: { source: string; columns: { name: string }[] }[] };
    const planned = plan.tables.map((t) => t.source).sort();
    assert.deepEqual(planned, k.tables.map((t) => `${schema}.${t}`).sort(), `${described}: the plan names the tables exactly`);
    for (const t of plan.tables) assert.deepEqual(t.columns.map((c) => c.name), k.columns, `${described}: the plan's columns of ${t.source}`);

    const task = parseTask(doc);
    running = runTask({ task, log: log(), metrics: new PromMetrics({ collectProcessMetrics: false }), serveMetrics: false }, stop.signal).catch((e: unknown) => { failed = e; });
    const equal = async (phase: string): Promise<void> => {
      for (const t of k.tables) {
        const want = await src.rows(schema, t, k.columns);
        let got: string[] = [];
        for (const deadline = Date.now() + 60000; Date.now() < deadline; await sleep(200)) {
          if (failed !== null) throw new Error(`${described}: the task failed: ${(failed as Error).message}`, { cause: failed });
          got = await dst.rows(schema, t, k.columns);
          if (got.join('\n') === want.join('\n')) break;
        }
        assert.deepEqual(got, want, `${described}: ${t} after ${phase}, target equals source`);
        assert.deepEqual(await dst.columnsOf(schema, t), k.columns, `${described}: ${t}'s target columns`);
      }
    };
    await equal('the full load');
    for (const t of k.tables) await changeRows(src, schema, k, t);
    await equal('CDC');
  } finally {
    stop.abort();
    await running;
    await src.drop(schema, prefix);
    await dst.drop(schema, prefix);
  }
}

for (const [from, to] of [['mariadb', 'postgres'], ['postgres', 'mariadb']] as const) {
  test(`odd identifiers (fast-check, seed ${SEED}, ${RUNS} cases): ${from} → ${to} through plan, snapshot, CDC and the target`, { timeout: 120000 + RUNS * 60000 }, async () => {
    const src = from === 'mariadb' ? await mariaSide() : await pgSide();
    const dst = to === 'mariadb' ? await mariaSide() : await pgSide();
    let n = 0;
    try {
      await fc.assert(fc.asyncProperty(caseArb, async (k) => runCase(src, dst, k, n++)), { seed: SEED + (from === 'mariadb' ? 0 : 1), numRuns: RUNS, endOnFailure: true, verbose: true });
    } finally {
      await src.close();
      await dst.close();
    }
  });
}
