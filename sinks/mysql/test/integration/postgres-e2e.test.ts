// A real source end to end: PostgreSQL → ferry run (full-load-and-cdc, direct mode: no Kafka) → MariaDB. A table of
// many PostgreSQL types and a table without a primary key change while the full load runs; then every row and value
// is read back from both sides by direct queries (pg and mysql2) and compared.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { parseTask } from '../../../../app/src/task-file/load-task.ts';
import { runTask } from '../../../../app/src/task/TaskRunner.ts';
import { PromMetrics } from '../../../../runtime/src/metrics/metrics.ts';
import { createLogger } from '../../../../runtime/src/log/logger.ts';
import { quietLog } from '../../../../test/helpers/sink-kit/quiet.ts';
import { dropPgTaskObjects } from '../../../../test/helpers/ferry-process.ts';
import { services, uniqueName } from '../../../../test/helpers/services.ts';
import { durationText } from '../../../../runtime/src/relational/wire-values.ts';
import { MARIA, dropDatabase, query } from '../helpers.ts';

const log = () => (process.env.FERRY_TEST_LOG ? createLogger() : quietLog());
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
type Row = Record<string, unknown>;
const n = (v: unknown) => (v === null || v === undefined ? '∅' : String(v));
/** A decimal's text without trailing fraction zeros (numeric prints its own scale, DECIMAL(65,30) thirty digits). */
const dec = (v: unknown) => (v === null || v === undefined ? '∅' : String(v).includes('.') ? String(v).replace(/0+$/, '').replace(/\.$/, '') : String(v));
const num = (v: unknown, p: number) => (v === null || v === undefined ? '∅' : Number(v).toPrecision(p));
const json = (s: unknown): string => {
  const sort = (v: unknown): unknown => (Array.isArray(v) ? v.map(sort) : v !== null && typeof v === 'object' ? Object.fromEntries(Object.keys(v).sort().map((k) => [k, sort((v as Row)[k])])) : v);
  return s === null || s === undefined ? '∅' : JSON.stringify(sort(typeof s === 'string' ? JSON.parse(s) : s));
};

const COLUMNS = `id bigint PRIMARY KEY, i2 smallint, i4 integer NOT NULL, i8 bigint, n numeric(12,3), nfree numeric, r real, d double precision, b boolean,
  t text, vc varchar(20), ch char(5), by bytea, dt date, ts timestamp(6), tstz timestamptz, tm time(6), iv interval, j jsonb, js json, u uuid,
  arr integer[], tarr text[], m mood`;

function line(r: Row): string {
  return [r.id, n(r.i2), r.i4, n(r.i8), dec(r.n), dec(r.nfree), num(r.r, 6), num(r.d, 15), n(r.b), n(r.t), n(r.vc), n(r.ch), n(r.by), n(r.dt), n(r.ts), n(r.tstz), n(r.tm), n(r.iv),
    json(r.j), json(r.js), n(r.u), json(r.arr), json(r.tarr), n(r.m)].map(String).join('|');
}

async function sourceState(c: pg.Client, s: string): Promise<string[]> {
  const { rows } = await c.query(`SELECT id, i2, i4, i8, n::text AS n, nfree::text AS nfree, r::float8 AS r, d, CASE WHEN b THEN 'true' WHEN NOT b THEN 'false' END AS b, t, vc, ch::varchar AS ch0, ch, encode(by, 'hex') AS by,
    to_char(dt, 'YYYY-MM-DD') AS dt, to_char(ts, 'YYYY-MM-DD HH24:MI:SS.US') AS ts, to_char(tstz AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS.US') AS tstz, to_char('2000-01-01'::date + tm, 'HH24:MI:SS.US') AS tm,
    (EXTRACT(EPOCH FROM iv) * 1000000)::bigint::text AS iv, j::text AS j, js::text AS js, u::text AS u, array_to_json(arr)::text AS arr, array_to_json(tarr)::text AS tarr, m::text AS m FROM ${s}.items ORDER BY id`);
  return [
    ...rows.map((r: Row) => line({ ...r, iv: r.iv === null ? null : durationText(BigInt(r.iv as string)) })),
    ...(await c.query(`SELECT a, b FROM ${s}.nokey ORDER BY a, b`)).rows.map((r: Row) => `nokey|${n(r.a)}|${n(r.b)}`),
  ];
}

async function targetState(db: string): Promise<string[]> {
  const rows = await query(`SELECT id, i2, i4, i8, CAST(n AS CHAR) AS n, CAST(nfree AS CHAR) AS nfree, CAST(r AS DOUBLE) AS r, d, CASE WHEN b THEN 'true' WHEN NOT b THEN 'false' END AS b, t, vc, ch, LOWER(HEX(\`by\`)) AS \`by\`,
    DATE_FORMAT(dt, '%Y-%m-%d') AS dt, DATE_FORMAT(ts, '%Y-%m-%d %H:%i:%s.%f') AS ts, DATE_FORMAT(tstz, '%Y-%m-%d %H:%i:%s.%f') AS tstz, TIME_FORMAT(tm, '%H:%i:%s.%f') AS tm, iv, j, js, CAST(u AS CHAR) AS u, arr, tarr, m
    FROM \`${db}\`.items ORDER BY id`).catch(() => []);
  const nokey = await query(`SELECT a, b FROM \`${db}\`.nokey ORDER BY a, b`).catch(() => []);
  return [...rows.map(line), ...nokey.map((r) => `nokey|${n(r.a)}|${n(r.b)}`)];
}

const VALUES = (id: number): string => {
  const k = id % 7;
  return `(${id}, ${k === 0 ? 'NULL' : (id % 65536) - 32768}, ${id * 3 - 50000}, ${k === 1 ? 'NULL' : `${BigInt(id) * 1_000_000_000_007n}`}, ${(id % 100000) / 1000 - 40}, ${k === 2 ? 'NULL' : `'${id}.${'0'.repeat(k)}1'`},
    ${id / 8}, ${id / 3}, ${k === 3 ? 'NULL' : id % 2 === 0}, ${k === 4 ? 'NULL' : `E'text ${id} ü 😀 \\t "q" \\\\'`}, 'vc${id}', ${k === 5 ? 'NULL' : `'c${id % 10}'`}, ${k === 6 ? 'NULL' : `'\\x00ff${(id % 256).toString(16).padStart(2, '0')}'`},
    '${1990 + (id % 30)}-0${1 + (id % 9)}-1${id % 10}', '2024-02-29 23:59:59.${String(id % 1000000).padStart(6, '0')}', '2024-06-01 12:00:00.5+0${id % 9}:30', '${String(id % 24).padStart(2, '0')}:30:00.000123',
    '${id % 3} days ${id % 24} hours 0.25 seconds', '{"id": ${id}, "nested": {"z": 1, "a": [1, 2.5, null]}, "s": "x\\"y"}', '{"b": 2, "a": 1}', '00000000-0000-4000-8000-${String(id).padStart(12, '0')}',
    ${k === 0 ? 'NULL' : `'{1,${id},NULL}'`}, '{"a b","c,d",NULL}', '${['happy', 'sad', 'ok'][id % 3]}')`;
};

for (const applyMode of ['batch-optimized', 'transactional'] as const) test(`direct mode, ${applyMode}: PostgreSQL (many types, a table without a primary key) → ferry run full-load-and-cdc → MariaDB equals the source, value by value`, { timeout: 240000 }, async () => {
  const name = uniqueName('ferry_my_pg');
  const admin = new pg.Client({ ...services.postgres, user: 'postgres', password: 'postgres', database: 'shop' });
  await admin.connect();
  await admin.query(`CREATE SCHEMA ${name} AUTHORIZATION cdc`);
  const owner = new pg.Client({ ...services.postgres, user: 'cdc', password: 'cdc', database: 'shop' });
  await owner.connect();
  await owner.query(`SET search_path = ${name}; SET TimeZone = 'UTC'`);
  await owner.query("CREATE TYPE mood AS ENUM ('happy', 'sad', 'ok')");
  await owner.query(`CREATE TABLE items (${COLUMNS})`);
  await owner.query('ALTER TABLE items REPLICA IDENTITY FULL');
  await owner.query('CREATE TABLE nokey (a int, b text)');
  await owner.query('ALTER TABLE nokey REPLICA IDENTITY FULL');
  for (let i = 0; i < 4; i++) await owner.query(`INSERT INTO items VALUES ${Array.from({ length: 500 }, (_, j) => VALUES(i * 500 + j + 1)).join(',')}`);
  await owner.query("INSERT INTO nokey VALUES (1, 'x'), (1, 'x'), (2, NULL)");
  const dir = mkdtempSync(join(tmpdir(), 'ferry-my-e2e-'));
  const task = parseTask({
    name, source: { engine: 'postgres', ...services.postgres, user: 'cdc', password: 'cdc', database: 'shop' }, migrationType: 'full-load-and-cdc',
    tableMappings: { rules: [{ 'rule-type': 'selection', 'rule-id': '1', 'rule-name': 'all', 'rule-action': 'include', 'object-locator': { 'schema-name': name, 'table-name': '%' } }] },
    targets: [{ type: 'mysql', name: 'maria', host: MARIA.host, port: MARIA.port, user: MARIA.user, password: MARIA.password, stateDatabase: name, applyMode, maxBatchDelayMs: 100 }],
    settings: { metrics: { enabled: false }, stateDir: join(dir, 'state'), offsetStore: 'sqlite', batch: { maxEvents: 500, maxDelayMs: 20 } },
  });
  const stop = new AbortController();
  let failed: unknown = null;
  const running = runTask({ task, log: log(), metrics: new PromMetrics({ collectProcessMetrics: false }), serveMetrics: false }, stop.signal).catch((e: unknown) => {
    failed = e;
  });
  try {
    await sleep(200); // changes start while the full load runs
    for (let i = 0; i < 200; i++) {
      const id = 3000 + i;
      await owner.query(`INSERT INTO items VALUES ${VALUES(id)}`);
      if (i % 3 === 0) await owner.query(`UPDATE items SET i4 = -i4, t = t || ' upd', j = NULL, arr = '{}', nfree = nfree * 3 WHERE id = $1`, [1 + ((i * 7) % 2000)]);
      if (i % 10 === 0) await owner.query('DELETE FROM items WHERE id = $1', [1 + ((i * 13) % 2000)]);
      if (i % 25 === 0) await owner.query('UPDATE items SET id = id + 100000 WHERE id = $1', [id]);
      if (i % 20 === 0) await owner.query(`INSERT INTO nokey VALUES (${i}, 'v${i}'), (${i}, 'v${i}')`);
      if (i % 40 === 0) await owner.query(`UPDATE nokey SET b = 'changed' WHERE ctid = (SELECT ctid FROM nokey WHERE a = ${i} LIMIT 1)`);
      if (i % 60 === 0) await owner.query("DELETE FROM nokey WHERE ctid = (SELECT ctid FROM nokey WHERE a = 1 LIMIT 1)");
    }
    const want = await sourceState(owner, name);
    let got: string[] = [];
    const deadline = Date.now() + 120000;
    while (Date.now() < deadline) {
      await sleep(1000);
      if (failed !== null) throw failed;
      got = await targetState(name);
      if (got.length === want.length && got.every((r, i) => r === want[i])) break;
    }
    const diff = want.filter((r, i) => got[i] !== r).slice(0, 3).map((r) => `want ${r}\n got ${got[want.indexOf(r)]}`);
    assert.equal(got.length, want.length, `${got.length} target rows for ${want.length} source rows`);
    assert.deepEqual(diff, [], 'MariaDB equals PostgreSQL, value by value');
    const types = (await query<{ r: string }>("SELECT CONCAT(COLUMN_NAME, ' ', COLUMN_TYPE) AS r FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = ? AND TABLE_NAME = 'items' ORDER BY ORDINAL_POSITION", [name])).map((x) => x.r);
    assert.deepEqual(types, ['id bigint(20)', 'i2 smallint(6)', 'i4 int(11)', 'i8 bigint(20)', 'n decimal(12,3)', 'nfree decimal(65,30)', 'r float', 'd double', 'b tinyint(1)', 't longtext', 'vc varchar(20)', 'ch varchar(5)',
      'by longblob', 'dt date', 'ts datetime(6)', 'tstz datetime(6)', 'tm time(6)', 'iv varchar(64)', 'j longtext', 'js longtext', 'u char(36)', 'arr longtext', 'tarr longtext', "m enum('happy','sad','ok')"]);
  } finally {
    stop.abort();
    await running;
    await owner.end();
    await dropPgTaskObjects(admin, name);
    await admin.query(`DROP SCHEMA ${name} CASCADE`);
    await admin.end();
    await dropDatabase(name);
  }
});
