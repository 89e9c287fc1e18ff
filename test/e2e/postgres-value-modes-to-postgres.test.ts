// The PostgreSQL database sink under non-default value-handling modes, in Kafka mode (`ferry run` + a `ferry sink`
// worker): numeric NaN, Infinity and -Infinity (numeric and numeric(10,2)) carried as strings and as doubles land in
// the target's numeric columns as the same values, checked in SQL against the source; time.precision.mode connect
// (Kafka Connect Time/Timestamp, milliseconds) lands in time/timestamp columns. A binary text mode with a database
// target is refused at validation, naming the setting, the target and the fix.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { parseTask } from '../../app/src/task-file/load-task.ts';
import { runTask } from '../../app/src/task/TaskRunner.ts';
import { runTaskSinkWorkers } from '../../app/src/task/targets.ts';
import { PromMetrics } from '../../runtime/src/metrics/metrics.ts';
import { quietLog, services, uniqueName } from '../helpers/sink-kit/services.ts';
import { dropPgTaskObjects, sleep } from '../helpers/ferry-process.ts';
import { skipWithoutNumericInfinity } from '../helpers/pg-version.ts';

/** PostgreSQL 13 (FERRY_POSTGRES_PORT at infra/pg-versions.sh's 13) has no numeric 'Infinity'. */
const noInfinity = await skipWithoutNumericInfinity();

const PG = { ...services.postgres, database: 'shop' };
const ADMIN = { ...PG, user: 'postgres', password: 'postgres' };

function taskInput(name: string, settings: Record<string, unknown>, targetType = 'postgres') {
  const loc = { 'schema-name': name, 'table-name': 'specials' };
  return {
    name, source: { engine: 'postgres', ...PG, user: 'cdc', password: 'cdc' }, migrationType: 'full-load-and-cdc',
    tableMappings: { rules: [
      { 'rule-type': 'selection', 'rule-id': '1', 'rule-name': 'specials', 'rule-action': 'include', 'object-locator': loc },
      { 'rule-type': 'transformation', 'rule-id': '2', 'rule-name': 'schema', 'rule-target': 'schema', 'rule-action': 'rename', 'object-locator': { 'schema-name': name }, value: `${name}_dw` },
    ] },
    kafka: { brokers: services.brokers, schemaRegistry: services.registryUrl, topicPrefix: name },
    targets: [{ type: targetType, name: 'pg', ...ADMIN, stateSchema: `${name}_dw` }],
    settings: { metrics: { enabled: false }, stateDir: join(mkdtempSync(join(tmpdir(), 'ferry-vm-pg-')), 'state'), offsetStore: 'sqlite', batch: { maxDelayMs: 10 }, ...settings },
  };
}

const ROWS = (k: number) => `(${1 + k}, 'NaN', 'NaN', '12:34:56.789012', '2024-02-29 23:59:59.123456'), (${2 + k}, 'Infinity', '1.50', '24:00:00', '1969-12-31 23:59:59.999999'),
  (${3 + k}, '-Infinity', '-99999999.99', '00:00:00', NULL), (${4 + k}, '0.5', NULL, NULL, '0001-01-01 00:00:00')`;

type Norm = (text: string | null) => string | null;

/** `timeText`: a source time/timestamp text as the target holds it; `numText`: a numeric text as compared on both sides. */
async function migrate(tag: string, settings: Record<string, unknown>, timeText: Norm, numText: Norm, npType: string): Promise<void> {
  const name = uniqueName(`valmodes_pgsink_${tag}`);
  const admin = new pg.Client(ADMIN);
  await admin.connect();
  await admin.query(`CREATE SCHEMA ${name} AUTHORIZATION cdc`);
  await admin.query(`CREATE TABLE ${name}.specials (id int PRIMARY KEY, n numeric, np numeric(10,2), t time(6), ts timestamp(6))`);
  await admin.query(`ALTER TABLE ${name}.specials OWNER TO cdc`);
  await admin.query(`ALTER TABLE ${name}.specials REPLICA IDENTITY FULL`);
  await admin.query(`INSERT INTO ${name}.specials VALUES ${ROWS(0)}`);
  const task = parseTask(taskInput(name, settings));
  const stop = new AbortController();
  const metrics = new PromMetrics({ collectProcessMetrics: false });
  const running = runTask({ task, log: quietLog(), metrics, serveMetrics: false }, stop.signal);
  const sinking = runTaskSinkWorkers({ task, log: quietLog(), metrics }, stop.signal);
  let failure: unknown;
  running.catch((e: unknown) => { failure = e; });
  sinking.catch((e: unknown) => { failure = e; });
  try {
    const rows = async (schema: string) => (await admin.query(`SELECT id, n::text, np::text, t::text, ts::text FROM ${schema}.specials ORDER BY id`).catch(() => ({ rows: [] }))).rows as Record<string, string | null>[];
    const waitRows = async (n: number) => {
      for (let i = 0; i < 400 && (await rows(`${name}_dw`)).length < n; i++) { if (failure) throw failure; await sleep(100); }
      return rows(`${name}_dw`);
    };
    await waitRows(4);
    await admin.query(`INSERT INTO ${name}.specials VALUES ${ROWS(10)}`);
    await admin.query(`UPDATE ${name}.specials SET n = 'NaN', np = 'NaN' WHERE id = 14`);
    const target = await waitRows(8);
    for (let i = 0; i < 100 && (await rows(`${name}_dw`)).find((r) => Number(r.id) === 14)?.n !== 'NaN'; i++) await sleep(100);
    const nums = (r: Record<string, string | null>) => ({ ...r, n: numText(r.n ?? null), np: numText(r.np ?? null) });
    const want = (await rows(name)).map((r) => nums({ ...r, t: timeText(r.t ?? null), ts: timeText(r.ts ?? null) }));
    assert.deepEqual((await rows(`${name}_dw`)).map(nums), want);
    assert.deepEqual(target.length, 8);
    // the target columns: the source's numeric types (the schema conversion) where they take the values exactly
    const types = await admin.query(`SELECT column_name, format_type(atttypid, atttypmod) AS type FROM pg_attribute a JOIN information_schema.columns c ON c.column_name = a.attname
      WHERE a.attrelid = $1::regclass AND c.table_schema = $2 AND c.table_name = 'specials' AND column_name IN ('n', 'np') ORDER BY 1`, [`${name}_dw.specials`, `${name}_dw`]);
    assert.deepEqual(types.rows, [{ column_name: 'n', type: 'numeric' }, { column_name: 'np', type: npType }]);
  } finally {
    stop.abort();
    await Promise.allSettled([running, sinking]);
    await dropPgTaskObjects(admin, name);
    for (const s of [name, `${name}_dw`]) await admin.query(`DROP SCHEMA IF EXISTS ${s} CASCADE`);
    await admin.end();
  }
}

test('decimal string and time connect: NaN, ±Infinity and every digit reach numeric columns; times as Connect ms', { timeout: 90_000, skip: noInfinity }, async () => {
  // Connect Time and Timestamp carry milliseconds: the target holds the source's values cut to ms (floor)
  const toMs = (v: string | null) => (v === null ? null : v.replace(/(\.\d{3})\d*$/, '$1').replace(/\.000$/, ''));
  await migrate('str', { decimalHandlingMode: 'string', timePrecisionMode: 'connect' }, (v) => (v === null ? null : toMs(v)), (v) => v, 'numeric(10,2)');
});

test('decimal double: NaN and ±Infinity reach a numeric column as the same special values, other values as the same numbers', { timeout: 90_000, skip: noInfinity }, async () => {
  // numeric keeps its type (it takes every double); numeric(10,2) becomes double precision, as a double does not fit
  // numeric(p,s) in general. 1.50 arrives as the double 1.5.
  await migrate('dbl', { decimalHandlingMode: 'double' }, (v) => v, (v) => (v === null ? null : String(Number(v))), 'double precision');
});

test('binary text modes and BIGINT UNSIGNED long are refused with database targets, naming the setting, target and fix', () => {
  // (a password other than 'postgres', which problem messages would mask wherever the word appears)
  const refused = (settings: Record<string, unknown>) => ({ ...taskInput('vm_refused', settings), targets: [{ type: 'postgres', name: 'pg', ...PG, user: 'u', password: 'secret-x' }] });
  assert.throws(() => parseTask(refused({ binaryHandlingMode: 'base64' })), (e: unknown) => {
    assert.match(String((e as Error).message), /settings\.binaryHandlingMode.*"base64", which carries binary values as text: the postgres target \(targets\[0\]\) would write that text into binary columns\. Use bytes/s);
    return true;
  });
  assert.throws(() => parseTask({ ...refused({ bigintUnsignedHandlingMode: 'long' }), source: { engine: 'mariadb', ...services.mariadb, user: 'cdc', password: 'cdc' } }),
    /settings\.bigintUnsignedHandlingMode.*wraps BIGINT UNSIGNED values above 9223372036854775807/s);
  assert.throws(() => parseTask(refused({ hstoreHandlingMode: 'map' })), /settings\.hstoreHandlingMode.*"map".*the postgres target \(targets\[0\]\) does not write/s);
});
