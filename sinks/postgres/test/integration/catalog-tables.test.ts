// Target tables from the source catalog: MariaDB → ferry run (direct mode, full-load-and-cdc, drop-and-create) →
// PostgreSQL. The table the sink creates is read back from pg_catalog and compared exactly with the schema conversion:
// converted types and nullability, defaults, identity, primary key, unique key (deferrable), checks, and the secondary
// indexes, built after the full load (indexes: after-full-load; the log says when) — with the documented exceptions
// where the event type is kept (DATETIME(0) → timestamp(3), TIME → interval). Every row lands exactly.
// Then the fallback: a task whose source is unreachable hands the sink no definitions (one warning line), and the sink
// creates the table from the event schema.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import mysql from 'mysql2/promise';
import pg from 'pg';
import { parseTask } from '../../../../app/src/task-file/load-task.ts';
import { runTask } from '../../../../app/src/task/TaskRunner.ts';
import { readTaskCatalog } from '../../../../app/src/convert-schema/convert-schema.ts';
import { handTableDefinitions } from '../../../../app/src/task/table-definitions.ts';
import { PromMetrics } from '../../../../runtime/src/metrics/metrics.ts';
import { createLogger } from '../../../../runtime/src/log/logger.ts';
import { convertSchema } from '../../../../runtime/src/schema-conversion/convert.ts';
import { dropPgTaskObjects } from '../../../../test/helpers/ferry-process.ts';
import { services, uniqueName } from '../../../../test/helpers/services.ts';
import { PostgresSink } from '../../src/PostgresSink.ts';
import { formatType } from '../../src/table-definition.ts';
import { PG, dropSchema, withPg } from '../helpers.ts';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
type Row = Record<string, unknown>;

function capture(): { log: ReturnType<typeof createLogger>; lines: () => string[] } {
  const out: string[] = [];
  const log = createLogger({ destination: new Writable({ write(c, _e, cb) { out.push(String(c)); cb(); } }) });
  return { log, lines: () => out.flatMap((s) => s.split('\n')).filter(Boolean).map((l) => String((JSON.parse(l) as { msg?: string }).msg ?? '')) };
}

const SOURCE_TABLE = `CREATE TABLE orders (
  id INT AUTO_INCREMENT PRIMARY KEY,
  code VARCHAR(20) NOT NULL,
  status ENUM('new','paid','shipped') NOT NULL DEFAULT 'new',
  amount DECIMAL(12,2) NOT NULL DEFAULT 0.00,
  qty INT UNSIGNED NOT NULL,
  big BIGINT UNSIGNED,
  placed DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
  took TIME,
  flags BIT(5),
  yr YEAR,
  note TEXT,
  UNIQUE KEY uq_code (code),
  KEY ix_placed (placed),
  KEY ix_status_qty (status, qty DESC),
  CONSTRAINT ck_qty CHECK (qty < 1000000)
)`;

const line = (r: Row) => [r.id, r.code, r.status, r.amount, r.qty, r.big ?? '∅', r.placed, r.took ?? '∅', r.flags ?? '∅', r.yr ?? '∅', r.note ?? '∅'].map(String).join('|');

async function sourceRows(c: mysql.Connection, db: string): Promise<string[]> {
  const [rows] = await c.query(`SELECT id, code, status, CAST(amount AS CHAR) AS amount, qty, CAST(big AS CHAR) AS big, DATE_FORMAT(placed, '%Y-%m-%d %H:%i:%s') AS placed,
    CAST(took AS CHAR) AS took, BIN(flags + 0) AS flags, yr, note FROM \`${db}\`.orders ORDER BY id`);
  return (rows as Row[]).map((r) => line({ ...r, flags: r.flags === null ? null : String(r.flags).padStart(5, '0') }));
}

async function targetRows(db: string): Promise<string[]> {
  return withPg(async (c) => (await c.query(`SELECT id, code, status, amount::text AS amount, qty, big::text AS big, to_char(placed, 'YYYY-MM-DD HH24:MI:SS') AS placed,
    CASE WHEN took < interval '0' THEN '-' || to_char(-took, 'FMHH24:MI:SS') ELSE to_char(took, 'FMHH24:MI:SS') END AS took, flags::text AS flags, yr, note FROM "${db}".orders ORDER BY id`).catch(() => ({ rows: [] }))).rows.map((r: Row) => line(r)));
}

/** Columns, constraints and indexes of a table as pg_catalog has them. */
async function shape(schema: string, table: string): Promise<{ columns: string[]; constraints: string[]; indexes: string[] }> {
  return withPg(async (c) => {
    const columns = (await c.query(`SELECT a.attname || ' ' || format_type(a.atttypid, a.atttypmod) || CASE WHEN a.attnotnull THEN ' not null' ELSE '' END
        || CASE WHEN a.attidentity = 'd' THEN ' identity by default' WHEN a.attidentity = 'a' THEN ' identity always' ELSE '' END
        || COALESCE(' default ' || pg_get_expr(d.adbin, d.adrelid), '') AS x
      FROM pg_attribute a JOIN pg_class t ON t.oid = a.attrelid JOIN pg_namespace n ON n.oid = t.relnamespace LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
      WHERE n.nspname = $1 AND t.relname = $2 AND a.attnum > 0 AND NOT a.attisdropped ORDER BY a.attnum`, [schema, table])).rows.map((r: { x: string }) => r.x);
    const constraints = (await c.query(`SELECT k.conname || ' ' || pg_get_constraintdef(k.oid) AS x
      FROM pg_constraint k JOIN pg_class t ON t.oid = k.conrelid JOIN pg_namespace n ON n.oid = t.relnamespace WHERE n.nspname = $1 AND t.relname = $2 ORDER BY k.conname`, [schema, table])).rows.map((r: { x: string }) => r.x);
    const indexes = (await c.query(`SELECT indexdef AS x FROM pg_indexes i WHERE schemaname = $1 AND tablename = $2
      AND NOT EXISTS (SELECT 1 FROM pg_constraint k WHERE k.conindid = (quote_ident(i.schemaname) || '.' || quote_ident(i.indexname))::regclass) ORDER BY indexname`, [schema, table])).rows.map((r: { x: string }) => r.x);
    return { columns, constraints, indexes };
  });
}

test('MariaDB → PostgreSQL, drop-and-create: the table is the schema conversion (types, defaults, keys, checks, indexes after the full load) and every row lands exactly', { timeout: 180000 }, async () => {
  const db = uniqueName('ferry_pgcat');
  const admin = await mysql.createConnection({ ...services.mariadb, user: 'root', password: 'root', dateStrings: true, supportBigNumbers: true, bigNumberStrings: true });
  try {
    await admin.query("SET time_zone = '+00:00'");
    await admin.query(`CREATE DATABASE ${db}`);
    await scenario(admin, db);
  } finally {
    await admin.query(`DROP DATABASE IF EXISTS ${db}`);
    await admin.end();
    await dropSchema(db);
  }
});

async function scenario(admin: mysql.Connection, db: string): Promise<void> {
  await admin.query(`USE ${db}`);
  await admin.query(SOURCE_TABLE);
  const values = (i: number) => [i, `C-${i}`, ['new', 'paid', 'shipped'][i % 3], `${i}.${String(i % 100).padStart(2, '0')}`, i * 7, i % 4 === 0 ? null : (18446744073709551615n - BigInt(i)).toString(),
    `2024-03-0${1 + (i % 9)} 10:11:${String(i % 60).padStart(2, '0')}`, i % 5 === 0 ? null : `${i % 2 === 0 ? '-' : ''}${800 + (i % 30)}:59:58`, i % 3 === 0 ? null : i % 32, i % 6 === 0 ? null : 1901 + (i % 250), i % 7 === 0 ? null : `note ${i} ü 😀`];
  await admin.query('INSERT INTO orders (id, code, status, amount, qty, big, placed, took, flags, yr, note) VALUES ?', [Array.from({ length: 300 }, (_, i) => values(i + 1))]);
  // A table of that name already in the target, of another shape: drop-and-create replaces it.
  await withPg(async (c) => { await c.query(`CREATE SCHEMA "${db}"`); await c.query(`CREATE TABLE "${db}".orders (id int PRIMARY KEY, old text)`); });
  const dir = mkdtempSync(join(tmpdir(), 'ferry-pgcat-'));
  const task = parseTask({
    name: db, source: { engine: 'mariadb', ...services.mariadb, user: 'cdc', password: 'cdc' }, migrationType: 'full-load-and-cdc',
    tableMappings: { rules: [{ 'rule-type': 'selection', 'rule-id': '1', 'rule-name': 'all', 'rule-action': 'include', 'object-locator': { 'schema-name': db, 'table-name': '%' } }] },
    targets: [{ type: 'postgres', name: 'pg', host: PG.host, port: PG.port, user: PG.user, password: PG.password, database: PG.database, stateSchema: db, tablePreparation: 'drop-and-create', indexes: 'after-full-load', maxBatchDelayMs: 100 }],
    settings: { metrics: { enabled: false }, stateDir: join(dir, 'state'), offsetStore: 'sqlite', batch: { maxEvents: 100, maxDelayMs: 20 } },
  });
  const { log, lines } = capture();
  const stop = new AbortController();
  const running = runTask({ task, log, metrics: new PromMetrics({ collectProcessMetrics: false }), serveMetrics: false }, stop.signal);
  try {
    let got: string[] = [];
    for (let i = 0; i < 60 && got.length < 300; i++) { await sleep(500); got = await targetRows(db); }
    await admin.query('INSERT INTO orders (id, code, status, amount, qty, big, placed, took, flags, yr, note) VALUES ?', [[values(301), values(302)]]);
    await admin.query("UPDATE orders SET status = 'shipped', amount = amount + 0.01, took = '-838:59:59' WHERE id = 5");
    await admin.query('DELETE FROM orders WHERE id = 6');
    const want = await sourceRows(admin, db);
    const deadline = Date.now() + 60000;
    while (Date.now() < deadline) {
      await sleep(500);
      got = await targetRows(db);
      if (got.length === want.length && got.every((r, i) => r === want[i])) break;
    }
    assert.deepEqual(got, want, 'every row lands exactly');

    const s = await shape(db, 'orders');
    assert.deepEqual(s.columns, [
      'id integer not null identity by default',
      'code character varying(20) not null',
      "status text not null default 'new'::text",
      'amount numeric(12,2) not null default 0.00',
      'qty bigint not null',
      'big numeric(20,0)',
      'placed timestamp(3) without time zone not null default CURRENT_TIMESTAMP',
      'took interval',
      'flags bit varying(5)',
      'yr smallint',
      'note text',
    ]);
    assert.deepEqual(s.constraints, [
      'orders_ck_qty CHECK ((qty < 1000000))',
      'orders_pkey PRIMARY KEY (id)',
      `orders_status_check CHECK ((status = ANY (ARRAY['new'::text, 'paid'::text, 'shipped'::text])))`,
      'orders_uq_code UNIQUE (code) DEFERRABLE INITIALLY DEFERRED',
    ]);
    assert.deepEqual(s.indexes, [
      `CREATE INDEX orders_ix_placed ON ${db}.orders USING btree (placed)`,
      `CREATE INDEX orders_ix_status_qty ON ${db}.orders USING btree (status, qty DESC)`,
    ]);
    // The same as the schema conversion of the catalog, but for the two documented event-type columns.
    const converted = convertSchema({ catalog: await readTaskCatalog(task), mapping: task.tableMappings, target: 'postgres' }).tables[0]!;
    const differ = converted.ddl.columns.filter((c) => !s.columns.some((x) => x.startsWith(`${c.name} ${formatType(c.type)}`))).map((c) => `${c.name} ${c.type}`);
    assert.deepEqual(differ, ['placed timestamp(0)', 'took interval(0)']);
    assert.deepEqual(converted.ddl.indexes, [`CREATE INDEX "orders_ix_placed" ON "${db}"."orders" ("placed")`, `CREATE INDEX "orders_ix_status_qty" ON "${db}"."orders" ("status", "qty" DESC)`]);

    const msgs = lines();
    const created = msgs.findIndex((m) => m.includes(`sink pg: created ${db}.orders from the source catalog`)) // (the test's password 'postgres' is redacted);
    const built = msgs.findIndex((m) => m.includes(`sink pg: full load of ${db}.orders done: built 2 indexes`));
    assert.ok(created >= 0 && msgs[created]!.includes('2 indexes after its full load') && msgs[created]!.includes('event-schema types for placed timestamp(3) without time zone (converted: timestamp(0)), took interval (converted: interval(0))'), msgs.join('\n'));
    assert.ok(built > created, 'the indexes are built after the full load');
    assert.equal((await withPg((c) => c.query(`SELECT count(*)::int AS n FROM "${db}"._ferry_sink_indexes`))).rows[0].n, 0, 'no pending index left');
  } finally {
    stop.abort();
    await running.catch(() => {});
  }
}

test('no catalog (the source is unreachable): the sink is told why, one warning, and the table comes from the event schema', { timeout: 60000 }, async () => {
  const db = uniqueName('ferry_pgnocat');
  const task = parseTask({
    name: db, source: { engine: 'mariadb', host: '127.0.0.1', port: 1, user: 'cdc', password: 'cdc', connectTimeoutMs: 500 }, migrationType: 'cdc',
    tableMappings: { rules: [{ 'rule-type': 'selection', 'rule-id': '1', 'rule-name': 'all', 'rule-action': 'include', 'object-locator': { 'schema-name': db, 'table-name': '%' } }] },
    targets: [{ type: 'postgres', name: 'pg', host: PG.host, port: PG.port, user: PG.user, password: PG.password, database: PG.database, stateSchema: db }],
  });
  const sink = new PostgresSink({ name: 'pg', config: { host: PG.host, port: PG.port, user: PG.user, password: PG.password, database: PG.database, stateSchema: db } });
  const { log, lines } = capture();
  try {
    await handTableDefinitions(task, [{ name: 'pg', sink }], log);
    const warned = lines().filter((m) => m.includes('no table definitions from the source catalog'));
    assert.equal(warned.length, 1, lines().join('\n'));
    assert.match(warned[0]!, /^target pg: no table definitions from the source catalog \(cannot read the source catalog \(mariadb at 127\.0\.0\.1:1\): .+\); tables it creates come from the event schema/);
  } finally {
    await sink.close();
    await dropSchema(db);
  }
});

test('PostgreSQL → PostgreSQL into another schema: enum type and serial sequence created first, identity BY DEFAULT, generated column computed, arrays and bit(1) as the events carry them', { timeout: 180000 }, async () => {
  const name = uniqueName('ferry_pgcat_pg');
  const target = `${name}_tgt`;
  const admin = new pg.Client({ ...services.postgres, user: 'postgres', password: 'postgres', database: 'shop' });
  await admin.connect();
  const c = new pg.Client({ ...services.postgres, user: 'cdc', password: 'cdc', database: 'shop' });
  await c.connect();
  const stop = new AbortController();
  let running: Promise<unknown> = Promise.resolve();
  try {
    await admin.query(`CREATE SCHEMA ${name} AUTHORIZATION cdc`);
    await c.query(`SET search_path = ${name}; SET TimeZone = 'UTC'`);
    await c.query("CREATE TYPE mood AS ENUM ('sad', 'ok', 'happy')");
    await c.query(`CREATE TABLE acc (
      id serial PRIMARY KEY,
      code integer GENERATED ALWAYS AS IDENTITY (START WITH 100),
      m mood NOT NULL DEFAULT 'ok',
      price money,
      tags text[],
      flag bit(1),
      twice integer GENERATED ALWAYS AS (id * 2) STORED,
      name varchar(30) NOT NULL,
      CONSTRAINT acc_name_key UNIQUE (name),
      CONSTRAINT acc_id_ck CHECK (id > 0)
    )`);
    await c.query('CREATE INDEX acc_m_idx ON acc (m)');
    await c.query('ALTER TABLE acc REPLICA IDENTITY FULL');
    await c.query(`INSERT INTO acc (m, price, tags, flag, name) SELECT (ARRAY['sad','ok','happy'])[1 + i % 3]::mood, (i * 1.25)::numeric::money, CASE WHEN i % 4 = 0 THEN NULL ELSE ARRAY['a b', NULL, 'x' || i] END,
      CASE WHEN i % 5 = 0 THEN NULL ELSE (i % 2)::bit(1) END, 'n' || i FROM generate_series(1, 120) i`);
    const task = parseTask({
      name, source: { engine: 'postgres', ...services.postgres, user: 'cdc', password: 'cdc', database: 'shop' }, migrationType: 'full-load-and-cdc',
      tableMappings: { rules: [{ 'rule-type': 'selection', 'rule-id': '1', 'rule-name': 'all', 'rule-action': 'include', 'object-locator': { 'schema-name': name, 'table-name': '%' } }] },
      targets: [{ type: 'postgres', name: 'pg', host: PG.host, port: PG.port, user: PG.user, password: PG.password, database: PG.database, schema: target, stateSchema: target, tablePreparation: 'drop-and-create', maxBatchDelayMs: 100 }],
      settings: { metrics: { enabled: false }, stateDir: join(mkdtempSync(join(tmpdir(), 'ferry-pgcat-pg-')), 'state'), offsetStore: 'sqlite', batch: { maxEvents: 50, maxDelayMs: 20 } },
    });
    running = runTask({ task, log: capture().log, metrics: new PromMetrics({ collectProcessMetrics: false }), serveMetrics: false }, stop.signal).catch((e: unknown) => e);
    const read = async (client: pg.Client, s: string, tags: 'array' | 'jsonb') => (await client.query(`SELECT concat_ws('|', id, code, m, price::numeric, ${tags === 'array' ? 'array_to_json(tags)::jsonb' : 'tags'}, ${tags === 'array' ? "CASE WHEN flag = B'1' THEN true WHEN flag = B'0' THEN false END" : 'flag'}, twice, name) AS r FROM "${s}".acc ORDER BY id`)
      .catch(() => ({ rows: [] }))).rows.map((r: { r: string }) => r.r);
    let got: string[] = [];
    for (let i = 0; i < 60 && got.length < 120; i++) { await sleep(500); got = await withPg((t) => read(t, target, 'jsonb')); }
    await c.query("INSERT INTO acc (m, price, tags, flag, name) VALUES ('happy', 9.99, '{z}', B'1', 'late')");
    await c.query("UPDATE acc SET m = 'sad', tags = NULL, name = 'renamed' WHERE id = 3");
    const want = await read(c, name, 'array');
    const deadline = Date.now() + 60000;
    while (Date.now() < deadline) {
      await sleep(500);
      got = await withPg((t) => read(t, target, 'jsonb'));
      if (got.length === want.length && got.every((r, i) => r === want[i])) break;
    }
    assert.deepEqual(got, want, 'every row lands exactly');
    const s = await shape(target, 'acc');
    assert.deepEqual(s.columns, [
      `id integer not null default nextval('${target}.acc_id_seq'::regclass)`,
      'code integer not null identity by default',
      `m ${target}.mood not null default 'ok'::${target}.mood`,
      'price money',
      'tags jsonb',
      'flag boolean',
      'twice integer default (id * 2)',
      'name character varying(30) not null',
    ]);
    assert.deepEqual(s.constraints, ['acc_id_ck CHECK ((id > 0))', 'acc_name_key UNIQUE (name) DEFERRABLE INITIALLY DEFERRED', 'acc_pkey PRIMARY KEY (id)']);
    assert.deepEqual(s.indexes, [`CREATE INDEX acc_m_idx ON ${target}.acc USING btree (m)`]);
    const seq = (await withPg((t) => t.query(`SELECT q.start_value::text AS v, d.refobjid::regclass::text AS owner FROM pg_sequences q JOIN pg_class k ON k.relname = q.sequencename JOIN pg_namespace n ON n.oid = k.relnamespace AND n.nspname = q.schemaname
      LEFT JOIN pg_depend d ON d.objid = k.oid AND d.deptype = 'a' WHERE q.schemaname = $1 AND q.sequencename = 'acc_id_seq'`, [target]))).rows;
    assert.deepEqual(seq, [{ v: '121', owner: `${target}.acc` }], 'the serial sequence starts where the source\'s was at the start, owned by the column');
  } finally {
    stop.abort();
    await running;
    await c.end();
    await dropPgTaskObjects(admin, name);
    await admin.query(`DROP SCHEMA IF EXISTS ${name} CASCADE`);
    await admin.end();
    await dropSchema(target);
  }
});
