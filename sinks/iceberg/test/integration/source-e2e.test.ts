// Real sources end to end: MariaDB (direct mode, and through Kafka and `ferry sink`'s workers) and PostgreSQL (direct)
// `full-load-and-cdc` → the iceberg target (upsert,
// SQLite catalog, local warehouse) while inserts, updates, deletes (and a key change) run, then schema changes: a
// column added, one renamed, one promoted int → bigint, one dropped, and more changes. PyIceberg reads each table
// through the catalog; its rows equal the source table's, compared by checksum over canonical text, and the Iceberg
// schema keeps the field ids (renamed column: same id; added column: a new one; dropped: gone). Then Apache Iceberg's
// Java library (iceberg-core, infra/iceberg-java.sh) reads the same tables as a second independent reader: its rows'
// integer and text columns equal the source's by checksum (its text forms of decimals, doubles and timestamps are its
// own, so those columns are PyIceberg's to check).
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mysql from 'mysql2/promise';
import pg from 'pg';
import { parseTask } from '../../../../app/src/task-file/load-task.ts';
import { runTask } from '../../../../app/src/task/TaskRunner.ts';
import { runTaskSinkWorkers } from '../../../../app/src/task/targets.ts';
import { PromMetrics } from '../../../../runtime/src/metrics/metrics.ts';
import { quietLog } from '../../../../test/helpers/sink-kit/quiet.ts';
import { dropPgTaskObjects } from '../../../../test/helpers/ferry-process.ts';
import { services, uniqueName } from '../../../../test/helpers/services.ts';
import { readWithJava } from '../helpers/java-reader.ts';
import { readWithPyIceberg, stopPyIceberg, type PyIcebergRead } from '../helpers/pyiceberg.ts';

after(stopPyIceberg);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const t = (v: unknown) => (v === null || v === undefined ? '∅' : String(v));
const f15 = (v: unknown) => (v === null || v === undefined ? '∅' : Number(v).toPrecision(15));
const checksum = (rows: readonly string[]) => createHash('sha256').update([...rows].sort().join('\n')).digest('hex');

/** The canonical line of an items row: id|v|s|d|ts|f|n|y|added. */
const line = (r: Record<string, unknown>) => [t(r.id), t(r.v), t(r.s), t(r.d), t(r.ts), f15(r.f), t(r.n), t(r.y), t(r.added)].join('|');
const KV = (r: Record<string, unknown>) => ['kv', t(r.k1), t(r.k2), t(r.v)].join('|');
const NOKEY = (r: Record<string, unknown>) => ['nokey', t(r.a), t(r.b)].join('|');

/** PyIceberg's rows of the two tables as canonical lines. */
async function icebergState(dir: string, ns: string): Promise<{ items: string[]; kv: string[]; fields: PyIcebergRead['fields']; identifier: number[] } | null> {
  const read = (table: string, columns: { name: string; sql: string }[]) => readWithPyIceberg({ catalogUri: `sqlite:///${join(dir, 'catalog.db')}`, catalogName: 'e2e', table: `${ns}.${table}`, columns })
    .catch((e: unknown) => (String(e).includes('NoSuchTable') ? null : Promise.reject(e)));
  const v = (c: string) => ({ name: c, sql: `CAST("${c}" AS VARCHAR)` });
  const items = await read('items', [v('id'), v('v'), v('s'), v('d'), { name: 'ts', sql: "strftime(ts, '%Y-%m-%d %H:%M:%S.%f')" }, { name: 'f', sql: 'f' }, v('n'), v('y'), v('added')]);
  const kv = await read('kv', [v('k1'), v('k2'), v('v')]);
  if (items === null || kv === null) return null;
  const nokey = ns.startsWith('ferry_ice_my') ? await read('nokey', [v('a'), v('b')]) : { rows: [] };
  if (nokey === null) return null;
  return { items: items.rows.map(line), kv: [...kv.rows.map(KV), ...nokey.rows.map(NOKEY)], fields: items.fields, identifier: kv.identifier };
}

async function converge(want: () => Promise<string[]>, dir: string, ns: string, failed: () => unknown): Promise<{ fields: PyIcebergRead['fields']; identifier: number[] }> {
  const expected = await want();
  let got: string[] = [];
  let fields: PyIcebergRead['fields'] = [];
  let identifier: number[] = [];
  const deadline = Date.now() + 90_000;
  while (Date.now() < deadline) {
    await sleep(700);
    if (failed() !== null) throw failed() as Error;
    const s = await icebergState(dir, ns);
    if (s === null) continue;
    got = [...s.items, ...s.kv];
    fields = s.fields;
    identifier = s.identifier;
    if (checksum(got) === checksum(expected)) break;
  }
  const g = new Set(got);
  const w = new Set(expected);
  assert.deepEqual({ missing: expected.filter((x) => !g.has(x)).slice(0, 3), extra: got.filter((x) => !w.has(x)).slice(0, 3) }, { missing: [], extra: [] });
  assert.equal(checksum(got), checksum(expected), `the ${got.length} rows PyIceberg reads equal the source's ${expected.length} by checksum`);
  return { fields, identifier };
}

/**
 * The Java reader's rows of items (id|v|s|n|y|added: the integer and text columns) and kv equal the source's `lines`
 * (as `want()` gives them, checked equal to PyIceberg's just before) by checksum.
 */
async function javaReadsSource(dir: string, ns: string, lines: readonly string[]): Promise<void> {
  const read = (table: string) => readWithJava({ jdbcUri: `jdbc:sqlite:${join(dir, 'catalog.db')}`, catalogName: 'e2e', table: `${ns}.${table}`, warehouse: join(dir, 'wh') });
  const project = (l: string) => { const f = l.split('|'); return [f[0], f[1], f[2], f[6], f[7], f[8]].join('|'); };
  const items = (await read('items')).rows.map((r) => [t(r.id), t(r.v), t(r.s), t(r.n), t(r.y), t(r.added)].join('|'));
  const kv = (await read('kv')).rows.map(KV);
  const wantItems = lines.filter((l) => !l.startsWith('kv|') && !l.startsWith('nokey|')).map(project);
  const wantKv = lines.filter((l) => l.startsWith('kv|'));
  assert.equal(checksum(items), checksum(wantItems), `Java iceberg-core reads ${items.length} items rows for the source's ${wantItems.length}: ${JSON.stringify(items.filter((x) => !wantItems.includes(x)).slice(0, 3))}`);
  assert.equal(checksum(kv), checksum(wantKv), `Java iceberg-core reads kv as the source: ${JSON.stringify(kv)}`);
}

function task(name: string, dir: string, source: Record<string, unknown>, schema: string, kafka = false) {
  return parseTask({
    name, source, migrationType: 'full-load-and-cdc',
    ...(kafka ? { kafka: { brokers: services.brokers, schemaRegistry: services.registryUrl, partitions: 2 } } : {}),
    tableMappings: { rules: [{ 'rule-type': 'selection', 'rule-id': '1', 'rule-name': 'all', 'rule-action': 'include', 'object-locator': { 'schema-name': schema, 'table-name': '%' } }] },
    targets: [{ type: 'iceberg', name: 'lake', warehouse: join(dir, 'wh'), catalog: { type: 'sql', uri: `sqlite:${join(dir, 'catalog.db')}`, name: 'e2e' }, maxBatchAgeMs: 200 }],
    settings: { metrics: { enabled: false }, stateDir: join(dir, 'state'), offsetStore: 'sqlite', batch: { maxEvents: 500, maxDelayMs: 20 } },
  });
}

for (const kafka of [false, true]) test(`MariaDB full-load-and-cdc → ${kafka ? 'Kafka → ferry sink' : 'direct'} → iceberg (upsert): PyIceberg and Java iceberg-core read the source rows, through an added, a renamed, a promoted and a dropped column`, { timeout: 180_000 }, async () => {
  const db = uniqueName(kafka ? 'ferry_ice_myk' : 'ferry_ice_my');
  const dir = await mkdtemp(join(tmpdir(), 'ferry-ice-e2e-'));
  const c = await mysql.createConnection({ ...services.mariadb, user: 'root', password: 'root', dateStrings: true, timezone: 'Z', supportBigNumbers: true, bigNumberStrings: true });
  await c.query("SET time_zone = '+00:00'");
  await c.query(`CREATE DATABASE ${db}`);
  await c.query(`CREATE TABLE ${db}.items (id INT PRIMARY KEY, v BIGINT NOT NULL, s VARCHAR(64), d DECIMAL(12,2), ts DATETIME(6), f DOUBLE, n INT, x VARCHAR(20), gone VARCHAR(10))`);
  await c.query(`CREATE TABLE ${db}.kv (k1 INT, k2 VARCHAR(8), v INT, PRIMARY KEY (k1, k2))`);
  await c.query(`CREATE TABLE ${db}.nokey (a INT, b VARCHAR(8))`);
  await c.query(`INSERT INTO ${db}.nokey VALUES (1, 'x'), (2, NULL), (3, 'z')`);
  const rows = Array.from({ length: 300 }, (_, i) => [i + 1, 9_007_199_254_740_993n + BigInt(i), `row ${i} ü`, (i % 1000) / 100, '2024-01-02 03:04:05.654321', i + 0.25, i, `x${i}`, 'g']);
  await c.query(`INSERT INTO ${db}.items VALUES ?`, [rows]);
  await c.query(`INSERT INTO ${db}.kv VALUES (1, 'a', 1), (2, 'b', 2)`);
  const want = async () => {
    const [items] = await c.query(`SELECT id, v, s, CAST(d AS CHAR) AS d, DATE_FORMAT(ts, '%Y-%m-%d %H:%i:%s.%f') AS ts, f, n, ${'y'} AS y, added FROM ${db}.items`).catch(async () =>
      c.query(`SELECT id, v, s, CAST(d AS CHAR) AS d, DATE_FORMAT(ts, '%Y-%m-%d %H:%i:%s.%f') AS ts, f, n, NULL AS y, NULL AS added FROM ${db}.items`));
    const [kv] = await c.query(`SELECT k1, k2, v FROM ${db}.kv`);
    const [nokey] = await c.query(`SELECT a, b FROM ${db}.nokey`);
    return [...(items as Record<string, unknown>[]).map(line), ...(kv as Record<string, unknown>[]).map(KV), ...(nokey as Record<string, unknown>[]).map(NOKEY)];
  };
  let failed: unknown = null;
  const stop = new AbortController();
  const t = task(db, dir, { engine: 'mariadb', ...services.mariadb, user: 'cdc', password: 'cdc' }, db, kafka);
  const metrics = new PromMetrics({ collectProcessMetrics: false });
  const running = runTask({ task: t, log: quietLog(), metrics, serveMetrics: false }, stop.signal).catch((e: unknown) => { failed = e; });
  const workers = kafka ? runTaskSinkWorkers({ task: t, log: quietLog(), metrics }, stop.signal).catch((e: unknown) => { failed = e; }) : Promise.resolve();
  try {
    for (let i = 0; i < 60; i++) {
      await c.query(`INSERT INTO ${db}.items VALUES (?, ?, ?, ?, ?, ?, ?, ?, 'g')`, [1000 + i, -i, i % 7 === 0 ? null : `new ${i}`, i / 100, '2025-05-06 07:08:09.000001', i / 7, i, `nx${i}`]);
      if (i % 3 === 0) await c.query(`UPDATE ${db}.items SET v = v + 1, s = CONCAT(COALESCE(s, ''), ' upd') WHERE id = ?`, [1 + ((i * 7) % 300)]);
      if (i % 5 === 0) await c.query(`DELETE FROM ${db}.items WHERE id = ?`, [1 + ((i * 13) % 300)]);
      if (i % 10 === 0) await c.query(`UPDATE ${db}.items SET id = id + 5000 WHERE id = ?`, [1000 + i]);
      if (i % 4 === 0) await c.query(`INSERT INTO ${db}.kv VALUES (?, ?, ?) ON DUPLICATE KEY UPDATE v = v + 1`, [i % 3, `k${i % 2}`, i]);
      if (i % 6 === 0) await c.query(`INSERT INTO ${db}.nokey VALUES (?, ?)`, [100 + i, i % 12 === 0 ? null : `n${i}`]);
    }
    // A keyless table: rows found by every column, NULLs included.
    await c.query(`UPDATE ${db}.nokey SET b = 'y' WHERE a = 2`);
    await c.query(`DELETE FROM ${db}.nokey WHERE a = 100`);
    await c.query(`UPDATE ${db}.nokey SET a = a + 1000 WHERE a = 112`);
    // The full load and the first changes are in (schema changes wait for the full load).
    await converge(async () => (await want()), dir, db, () => failed);
    await c.query(`ALTER TABLE ${db}.items ADD COLUMN added VARCHAR(20) NULL`);
    await c.query(`ALTER TABLE ${db}.items RENAME COLUMN x TO y`);
    await c.query(`ALTER TABLE ${db}.items MODIFY n BIGINT`);
    await c.query(`ALTER TABLE ${db}.items DROP COLUMN gone`);
    for (let i = 0; i < 40; i++) {
      await c.query(`INSERT INTO ${db}.items (id, v, s, d, ts, f, n, y, added) VALUES (?, 1, 's', 1.5, '2026-01-01 00:00:00', 0.5, ?, ?, ?)`, [2000 + i, 5_000_000_000 + i, `y${i}`, `a${i}`]);
      if (i % 2 === 0) await c.query(`UPDATE ${db}.items SET added = CONCAT('u', id), n = n + 4000000000 WHERE id = ?`, [2 + i * 5]);
      if (i % 6 === 0) await c.query(`DELETE FROM ${db}.items WHERE id = ?`, [3 + i * 5]);
    }
    const { fields, identifier } = await converge(want, dir, db, () => failed);
    await javaReadsSource(dir, db, await want());
    // Field ids: x (8) renamed to y keeps its id, gone (9) is dropped and its id retired, added gets 10, n is promoted.
    assert.deepEqual(fields.map((f) => `${f.id}:${f.name}:${f.type}`), ['1:id:int', '2:v:long', '3:s:string', '4:d:decimal(12, 2)', '5:ts:timestamp', '6:f:double', '7:n:long', '8:y:string', '10:added:string']);
    assert.equal(fields[0]!.required, true, 'the key is a required identifier field');
    assert.deepEqual(identifier.sort(), [1, 2], 'kv: both key columns are identifier fields');
  } finally {
    stop.abort();
    await running;
    await workers;
    await c.query(`DROP DATABASE ${db}`);
    await c.end();
    await rm(dir, { recursive: true, force: true });
  }
});

test('PostgreSQL full-load-and-cdc → iceberg (upsert): PyIceberg and Java iceberg-core read the source rows, through an added column', { timeout: 180_000 }, async () => {
  const name = uniqueName('ferry_ice_pg');
  const dir = await mkdtemp(join(tmpdir(), 'ferry-ice-e2e-'));
  const admin = new pg.Client({ ...services.postgres, user: 'postgres', password: 'postgres', database: 'shop' });
  await admin.connect();
  await admin.query(`CREATE SCHEMA ${name} AUTHORIZATION cdc`);
  const c = new pg.Client({ ...services.postgres, user: 'cdc', password: 'cdc', database: 'shop' });
  await c.connect();
  await c.query(`SET search_path = ${name}; SET TimeZone = 'UTC'`);
  await c.query('CREATE TABLE items (id int PRIMARY KEY, v bigint NOT NULL, s text, d numeric(12,2), ts timestamp(6), f double precision, n int, y text)');
  await c.query('CREATE TABLE kv (k1 int, k2 varchar(8), v int, PRIMARY KEY (k1, k2))');
  await c.query("INSERT INTO items SELECT i, 9007199254740993 + i, 'row ' || i || ' ü', (i % 1000) / 100.0, '2024-01-02 03:04:05.654321', i + 0.25, i, 'y' || i FROM generate_series(1, 300) i");
  await c.query("INSERT INTO kv VALUES (1, 'a', 1), (2, 'b', 2)");
  const want = async () => {
    const hasAdded = (await c.query("SELECT 1 FROM information_schema.columns WHERE table_schema = $1 AND table_name = 'items' AND column_name = 'added'", [name])).rowCount! > 0;
    const items = await c.query(`SELECT id, v::text AS v, s, d::text AS d, to_char(ts, 'YYYY-MM-DD HH24:MI:SS.US') AS ts, f, n, y, ${hasAdded ? 'added' : 'NULL AS added'} FROM items`);
    const kv = await c.query('SELECT k1, k2, v FROM kv');
    return [...items.rows.map(line), ...kv.rows.map(KV)];
  };
  let failed: unknown = null;
  const stop = new AbortController();
  const running = runTask({ task: task(name, dir, { engine: 'postgres', ...services.postgres, user: 'cdc', password: 'cdc', database: 'shop' }, name), log: quietLog(), metrics: new PromMetrics({ collectProcessMetrics: false }), serveMetrics: false }, stop.signal)
    .catch((e: unknown) => { failed = e; });
  try {
    for (let i = 0; i < 60; i++) {
      await c.query("INSERT INTO items VALUES ($1, $2, $3, $4, '2025-05-06 07:08:09.000001', $5, $6, $7)", [1000 + i, -i, i % 7 === 0 ? null : `new ${i}`, i / 100, i / 7, i, `ny${i}`]);
      if (i % 3 === 0) await c.query("UPDATE items SET v = v + 1, s = COALESCE(s, '') || ' upd' WHERE id = $1", [1 + ((i * 7) % 300)]);
      if (i % 5 === 0) await c.query('DELETE FROM items WHERE id = $1', [1 + ((i * 13) % 300)]);
      if (i % 10 === 0) await c.query('UPDATE items SET id = id + 5000 WHERE id = $1', [1000 + i]);
      if (i % 4 === 0) await c.query('INSERT INTO kv VALUES ($1, $2, $3) ON CONFLICT (k1, k2) DO UPDATE SET v = kv.v + 1', [i % 3, `k${i % 2}`, i]);
    }
    await converge(want, dir, name, () => failed);
    await c.query('ALTER TABLE items ADD COLUMN added varchar(20)');
    for (let i = 0; i < 40; i++) {
      await c.query("INSERT INTO items (id, v, s, d, ts, f, n, y, added) VALUES ($1, 1, 's', 1.5, '2026-01-01 00:00:00', 0.5, $2, $3, $4)", [2000 + i, i, `y${i}`, `a${i}`]);
      if (i % 2 === 0) await c.query("UPDATE items SET added = 'u' || id WHERE id = $1", [2 + i * 5]);
      if (i % 6 === 0) await c.query('DELETE FROM items WHERE id = $1', [3 + i * 5]);
    }
    const { fields } = await converge(want, dir, name, () => failed);
    await javaReadsSource(dir, name, await want());
    assert.deepEqual(fields.map((f) => `${f.id}:${f.name}`), ['1:id', '2:v', '3:s', '4:d', '5:ts', '6:f', '7:n', '8:y', '9:added']);
  } finally {
    stop.abort();
    await running;
    await c.end();
    await dropPgTaskObjects(admin, name);
    await admin.query(`DROP SCHEMA ${name} CASCADE`);
    await admin.end();
    await rm(dir, { recursive: true, force: true });
  }
});
