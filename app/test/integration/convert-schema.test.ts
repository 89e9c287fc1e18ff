// `ferry convert-schema` (the real CLI process) against the live MariaDB and PostgreSQL: MariaDB → PostgreSQL,
// PostgreSQL → MariaDB and PostgreSQL → PostgreSQL of the schemas in convert-schema-fixtures.ts. Each schema.sql is
// applied to a fresh database/schema by the engine's own client (psql --single-transaction, mariadb) and must apply
// cleanly; the target's catalog (information_schema) then has exactly the expected tables, columns and types, and the
// assessment flags the trigger, the procedure/function, the partial and expression indexes and the ON UPDATE columns
// with exact entries.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mysql from 'mysql2/promise';
import pg from 'pg';
import { services, uniqueName } from '../../../test/helpers/services.ts';
import { MARIADB_SCHEMA, POSTGRES_SCHEMA } from './convert-schema-fixtures.ts';

const ROOT = join(import.meta.dirname, '..', '..', '..');
const dir = mkdtempSync(join(tmpdir(), 'ferry-convert-schema-'));

interface Item { kind: string; object: string; outcome: string; target?: string; reason?: string; fix?: string }
interface Result { ok: boolean; files: { schemaSql: string; json: string; markdown: string; html: string }; summary: { kind: string; total: number; auto: number; warning: number; manual: number }[]; issues: Item[]; items: Item[] }

function taskFile(name: string, source: Record<string, unknown>, rules: unknown[]): string {
  const file = join(dir, `${name}.json`);
  writeFileSync(file, JSON.stringify({ name, source, migrationType: 'full-load', tableMappings: { rules } }));
  return file;
}

function ferry(...args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [join(ROOT, 'bin', 'ferry.js'), 'convert-schema', ...args], { encoding: 'utf8', timeout: 60000, cwd: dir });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

function convert(file: string, target: string, out: string): Result {
  const r = ferry(file, '--target', target, '--out', out, '--json');
  assert.equal(r.status, 0, r.stderr + r.stdout);
  // stdout goes through the secret redactor (the test's password is "postgres"): the files are the exact record
  const printed = JSON.parse(r.stdout) as Result;
  const result = { ...JSON.parse(readFileSync(join(out, 'assessment.json'), 'utf8')) as Result, files: printed.files };
  assert.equal(printed.ok, true);
  assert.deepEqual(printed.summary, result.summary);
  return result;
}

function psql(file: string): void {
  const r = spawnSync('psql', ['-h', services.postgres.host, '-p', String(services.postgres.port), '-U', 'postgres', '-d', 'shop', '-v', 'ON_ERROR_STOP=1', '--single-transaction', '-q', '-f', file],
    { encoding: 'utf8', env: { ...process.env, PGPASSWORD: 'postgres' } });
  assert.equal(r.status, 0, `psql failed:\n${r.stderr}`);
  assert.doesNotMatch(r.stderr, /ERROR|WARNING/, r.stderr);
}

function mariadbCli(file: string): void {
  const r = spawnSync('mariadb', ['-h', services.mariadb.host, '-P', String(services.mariadb.port), '-uroot', '-proot', '--default-character-set=utf8mb4'], { encoding: 'utf8', input: readFileSync(file) });
  assert.equal(r.status, 0, `mariadb failed:\n${r.stderr}`);
}

async function pgAdmin(): Promise<pg.Client> {
  const c = new pg.Client({ host: services.postgres.host, port: services.postgres.port, user: 'postgres', password: 'postgres', database: 'shop' });
  await c.connect();
  return c;
}

async function mariaAdmin(database?: string): Promise<mysql.Connection> {
  return mysql.createConnection({ host: services.mariadb.host, port: services.mariadb.port, user: 'root', password: 'root', multipleStatements: true, ...(database ? { database } : {}) });
}

/** '<table>.<column>' → '<type>[ not null]' from information_schema.columns, with format_type for the exact modifiers. */
async function pgColumns(c: pg.Client, schema: string): Promise<Record<string, string>> {
  const { rows } = await c.query<{ t: string; c: string; nl: string; ty: string }>(`
    SELECT ic.table_name AS t, ic.column_name AS c, ic.is_nullable AS nl, format_type(a.atttypid, a.atttypmod) AS ty
      FROM information_schema.columns ic
      JOIN pg_attribute a ON a.attrelid = (quote_ident(ic.table_schema) || '.' || quote_ident(ic.table_name))::regclass AND a.attname = ic.column_name
     WHERE ic.table_schema = $1 ORDER BY ic.table_name, ic.ordinal_position`, [schema]);
  return Object.fromEntries(rows.map((r) => [`${r.t}.${r.c}`, `${r.ty}${r.nl === 'NO' ? ' not null' : ''}`]));
}

async function myColumns(c: mysql.Connection, schema: string): Promise<Record<string, string>> {
  const [rows] = await c.query<mysql.RowDataPacket[]>('SELECT TABLE_NAME AS t, COLUMN_NAME AS c, IS_NULLABLE AS nl, COLUMN_TYPE AS ty, EXTRA AS x FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = ? ORDER BY TABLE_NAME, ORDINAL_POSITION', [schema]);
  return Object.fromEntries(rows.map((r) => [`${String(r.t)}.${String(r.c)}`, `${String(r.ty)}${r.nl === 'NO' ? ' not null' : ''}${/auto_increment/.test(String(r.x)) ? ' auto_increment' : ''}`]));
}

const find = (r: Result, kind: string, object: string): Item | undefined => r.items.find((i) => i.kind === kind && i.object === object);
const summary = (r: Result) => Object.fromEntries(r.summary.filter((s) => s.total > 0).map((s) => [s.kind, [s.auto, s.warning, s.manual]]));


test('convert-schema: MariaDB → PostgreSQL (renames applied), applied with psql', { timeout: 120000 }, async (t) => {
  const db = uniqueName('ferry_cs_my');
  const root = await mariaAdmin();
  await root.query(`CREATE DATABASE \`${db}\` CHARACTER SET utf8mb4`);
  await root.changeUser({ database: db });
  for (const s of MARIADB_SCHEMA) await root.query(s);
  const pgc = await pgAdmin();
  t.after(async () => {
    await root.query(`DROP DATABASE IF EXISTS \`${db}\``).catch(() => undefined);
    await root.end();
    await pgc.query(`DROP SCHEMA IF EXISTS "${db}" CASCADE`).catch(() => undefined);
    await pgc.end();
  });
  const loc = (table: string, column?: string) => ({ 'schema-name': db, 'table-name': table, ...(column ? { 'column-name': column } : {}) });
  const file = taskFile('cs-my-pg', { engine: 'mariadb', host: services.mariadb.host, port: services.mariadb.port, user: 'root', password: 'root' }, [
    { 'rule-type': 'selection', 'rule-id': '1', 'rule-name': 'all', 'rule-action': 'include', 'object-locator': loc('%') },
    { 'rule-type': 'transformation', 'rule-id': '2', 'rule-name': 't', 'rule-target': 'table', 'rule-action': 'rename', 'object-locator': loc('audit_log'), value: 'audit_events' },
    { 'rule-type': 'transformation', 'rule-id': '3', 'rule-name': 'c', 'rule-target': 'column', 'rule-action': 'rename', 'object-locator': loc('customers', 'full_name'), value: 'display_name' },
    { 'rule-type': 'transformation', 'rule-id': '4', 'rule-name': 'r', 'rule-target': 'column', 'rule-action': 'remove-column', 'object-locator': loc('stores', 'tiny_note') },
  ]);
  const out = join(dir, 'my-pg');
  const r = convert(file, 'postgres', out);
  psql(r.files.schemaSql);
  assert.deepEqual(await pgColumns(pgc, db), {
    'addresses.id': 'bigint not null', 'addresses.customer_id': 'bigint not null', 'addresses.line1': 'character varying(200)',
    'addresses.city': 'character varying(80)', 'addresses.country': 'character(2) not null',
    'audit_events.happened_at': 'timestamp(6) with time zone', 'audit_events.actor': 'character varying(50)', 'audit_events.action': 'character varying(20)', 'audit_events.payload': 'text',
    'categories.id': 'integer not null', 'categories.parent_id': 'integer', 'categories.name': 'character varying(60) not null',
    'customers.id': 'bigint not null', 'customers.email': 'character varying(190) not null', 'customers.display_name': 'character varying(100) not null',
    'customers.is_active': 'smallint not null', 'customers.tier': 'text not null', 'customers.tags': 'text',
    'customers.created_at': 'timestamp(6) without time zone not null', 'customers.updated_at': 'timestamp(3) with time zone not null',
    'inventory.store_id': 'integer not null', 'inventory.product_id': 'integer not null', 'inventory.qty': 'integer not null', 'inventory.checked_at': 'timestamp(0) without time zone',
    'odd "table".select': 'integer not null', 'odd "table".naïve ☃': 'character varying(10)', 'odd "table".back`tick': 'integer',
    'order_items.order_id': 'bigint not null', 'order_items.line_no': 'smallint not null', 'order_items.product_id': 'integer not null', 'order_items.qty': 'bigint not null', 'order_items.unit_price': 'numeric(10,2) not null',
    'orders.id': 'bigint not null', 'orders.customer_id': 'bigint not null', 'orders.status': 'text not null', 'orders.total': 'numeric(65,30)', 'orders.placed_on': 'date',
    'orders.placed_at': 'timestamp(0) without time zone', 'orders.ship_window': 'interval(3)', 'orders.notes': 'text',
    'payments.id': 'numeric(20,0) not null', 'payments.order_id': 'bigint not null', 'payments.amount': 'numeric(10,2) not null', 'payments.method': 'character varying(20) not null',
    'payments.paid_year': 'smallint', 'payments.flags': 'bit varying(8)', 'payments.approved': 'boolean not null', 'payments.raw': 'bytea',
    'products.id': 'integer not null', 'products.sku': 'character(12) not null', 'products.category_id': 'integer', 'products.name': 'character varying(200) not null',
    'products.description': 'text', 'products.price': 'numeric(12,2) not null', 'products.weight': 'real', 'products.rating': 'double precision', 'products.stock': 'integer not null',
    'products.attrs': 'jsonb', 'products.photo': 'bytea',
    'stores.id': 'integer not null', 'stores.name': 'character varying(100) not null', 'stores.location': 'bytea not null',
    'v_customer_orders.id': 'bigint', 'v_customer_orders.email': 'character varying(190)', 'v_customer_orders.n': 'bigint',
  });
  assert.deepEqual(summary(r), {
    table: [10, 1, 0], 'column type': [61, 1, 0], default: [13, 0, 2], index: [10, 1, 2], 'foreign key': [9, 0, 0], check: [0, 1, 0], view: [0, 1, 0],
    trigger: [0, 0, 1], procedure: [0, 0, 1], sequence: [6, 0, 0],
  });
  assert.deepEqual(find(r, 'trigger', `${db}.orders.trg_orders_bi`), {
    kind: 'trigger', object: `${db}.orders.trg_orders_bi`, outcome: 'manual', reason: 'trigger BEFORE INSERT on orders: its body is MySQL procedural SQL, which is not converted',
    fix: `write a PL/pgSQL trigger function, then CREATE TRIGGER "trg_orders_bi" BEFORE INSERT ON "${db}"."orders" FOR EACH ROW EXECUTE FUNCTION …()`,
  });
  assert.deepEqual(find(r, 'procedure', `${db}.close_order`), {
    kind: 'procedure', object: `${db}.close_order`, outcome: 'manual', reason: 'procedure bodies (SQL) are not converted between mariadb and postgres',
    fix: `rewrite it in PL/pgSQL: CREATE PROCEDURE "${db}"."close_order"(…) LANGUAGE plpgsql AS $$ … $$`,
  });
  const onUpdate = find(r, 'default', `${db}.customers.updated_at ON UPDATE`)!;
  assert.equal(onUpdate.outcome, 'manual');
  assert.equal(onUpdate.reason, 'ON UPDATE current_timestamp(3) has no PostgreSQL column equivalent: the column keeps its old value on UPDATE');
  assert.equal(find(r, 'default', `${db}.inventory.checked_at ON UPDATE`)?.reason, 'ON UPDATE current_timestamp() has no PostgreSQL column equivalent: the column keeps its old value on UPDATE');
  assert.deepEqual([find(r, 'index', `${db}.products.ft_desc`)?.outcome, find(r, 'index', `${db}.stores.sp_loc`)?.outcome], ['manual', 'manual']);
  // the suggested fix is runnable and does what ON UPDATE did
  await pgc.query(onUpdate.fix!.replace(/^add a BEFORE UPDATE trigger: /, ''));
  await pgc.query(`INSERT INTO "${db}".customers (email, updated_at) VALUES ('x@y', '2000-01-01Z')`);
  await pgc.query(`UPDATE "${db}".customers SET display_name = 'y' WHERE email = 'x@y'`);
  const { rows } = await pgc.query<{ id: string; recent: boolean }>(`SELECT id::text, updated_at > now() - interval '1 minute' AS recent FROM "${db}".customers`);
  assert.deepEqual(rows, [{ id: '501', recent: true }]); // identity continues at AUTO_INCREMENT's next value
  const md = readFileSync(r.files.markdown, 'utf8');
  assert.match(md, new RegExp(`\\| trigger \\| ${db}\\.orders\\.trg_orders_bi \\| trigger BEFORE INSERT on orders`));
  const html = readFileSync(r.files.html, 'utf8');
  assert.match(html, /<code>[^<]*odd &quot;table&quot;|<code>[^<]*trg_orders_bi<\/code>/);
  assert.doesNotMatch(html, /<script/i);
  // people's output: the manual items, one line each
  const human = ferry(file, '--target', 'postgres', '--out', join(dir, 'my-pg-2'));
  assert.equal(human.status, 0, human.stderr);
  assert.match(human.stdout, new RegExp(`manual: trigger ${db}\\.orders\\.trg_orders_bi: `));
});

async function pgSource(t: { after(fn: () => Promise<void>): void }): Promise<{ schema: string; pgc: pg.Client }> {
  const schema = uniqueName('ferry_cs_pg');
  const pgc = await pgAdmin();
  await pgc.query(`CREATE SCHEMA "${schema}"`);
  await pgc.query(`SET search_path = "${schema}", public`);
  for (const s of POSTGRES_SCHEMA) await pgc.query(s);
  await pgc.query('RESET search_path');
  t.after(async () => {
    await pgc.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`).catch(() => undefined);
    await pgc.query(`DROP SCHEMA IF EXISTS "${schema}_copy" CASCADE`).catch(() => undefined);
    await pgc.end();
  });
  return { schema, pgc };
}

const PG_SOURCE = { engine: 'postgres', host: services.postgres.host, port: services.postgres.port, user: 'postgres', password: 'postgres', database: 'shop' };

test('convert-schema: PostgreSQL → MariaDB, applied with the mariadb client', { timeout: 120000 }, async (t) => {
  const { schema } = await pgSource(t);
  const my = await mariaAdmin();
  t.after(async () => { await my.query(`DROP DATABASE IF EXISTS \`${schema}\``).catch(() => undefined); await my.end(); });
  const file = taskFile('cs-pg-my', PG_SOURCE, [{ 'rule-type': 'selection', 'rule-id': '1', 'rule-name': 'all', 'rule-action': 'include', 'object-locator': { 'schema-name': schema, 'table-name': '%' } }]);
  const r = convert(file, 'mariadb', join(dir, 'pg-my'));
  mariadbCli(r.files.schemaSql);
  const cols = await myColumns(my, schema);
  assert.deepEqual(Object.fromEntries(Object.entries(cols).filter(([k]) => !k.startsWith('ticket_seq.'))), {
    'accounts.id': 'int(11) not null auto_increment', 'accounts.email': 'varchar(255) not null', 'accounts.nickname': 'varchar(40)', 'accounts.mood': "enum('sad','ok','happy')",
    'accounts.created': 'datetime(6) not null', 'accounts.active': 'tinyint(1) not null',
    'account_posts.id': 'int(11) not null', 'account_posts.email': 'varchar(255) not null', 'account_posts.posts': 'bigint(21) not null',
    'counters.name': 'varchar(255) not null', 'counters.n': 'bigint(20) not null',
    'events.id': 'bigint(20) not null auto_increment', 'events.post_id': 'int(11)', 'events.kind': 'varchar(20) not null', 'events.at': 'datetime(6)', 'events.span': 'varchar(64)',
    'events.addr': 'varchar(43)', 'events.payload': 'longblob', 'events.small': 'smallint(6)', 'events.ratio': 'float', 'events.big': 'double', 'events.day': 'date', 'events.t': 'time(6)',
    'events.ids': 'longtext', // MariaDB's JSON is LONGTEXT with a json_valid check
    'posts.id': 'int(11) not null auto_increment', 'posts.account_id': 'int(11) not null', 'posts.title': 'varchar(200) not null', 'posts.body': 'longtext', 'posts.tags': 'longtext',
    'posts.meta': 'longtext', 'posts.uid': 'char(36) not null', 'posts.score': 'decimal(65,30)', 'posts.price': 'decimal(10,2)', 'posts.published_at': 'datetime(3)', 'posts.deleted': 'tinyint(1) not null',
    'raw_log.line': 'longtext', 'raw_log.logged_at': 'datetime(6)',
  });
  assert.deepEqual(summary(r), {
    table: [4, 1, 0], 'column type': [28, 6, 0], default: [7, 1, 0], index: [2, 0, 2], 'foreign key': [2, 0, 0], check: [0, 2, 0], view: [0, 1, 0],
    trigger: [0, 0, 1], function: [0, 0, 1], sequence: [4, 0, 0],
  });
  assert.deepEqual(find(r, 'index', `${schema}.posts.posts_live_idx`), {
    kind: 'index', object: `${schema}.posts.posts_live_idx`, outcome: 'manual', reason: 'partial index (WHERE (NOT deleted)): MySQL and MariaDB have no partial indexes',
    fix: 'index the whole column (drop the WHERE), or keep the subset in its own table',
  });
  assert.deepEqual(find(r, 'index', `${schema}.posts.posts_lower_title_idx`), {
    kind: 'index', object: `${schema}.posts.posts_lower_title_idx`, outcome: 'manual', reason: 'expression index (lower((title)::text)) is not converted',
    fix: 'add a generated column holding the expression and index it',
  });
  assert.equal(find(r, 'trigger', `${schema}.posts.posts_touch`)?.reason, `trigger BEFORE UPDATE on posts: it executes ${schema}.touch_post, which is not converted`);
  assert.equal(find(r, 'function', `${schema}.touch_post`)?.outcome, 'manual');
  assert.equal(find(r, 'column type', `${schema}.posts.score`)?.target, 'decimal(65,30)');
  assert.equal(find(r, 'column type', `${schema}.posts.score`)?.outcome, 'warning');
  // MariaDB enforces the converted checks, the sequence and AUTO_INCREMENT continue where PostgreSQL stopped
  await my.changeUser({ database: schema });
  await assert.rejects(my.query("INSERT INTO events (kind) VALUES ('poke')"), /CONSTRAINT `events_kind_check` failed/);
  await my.query("INSERT INTO accounts (email) VALUES ('c@x')");
  await my.query("INSERT INTO posts (account_id, title) VALUES (3, 'four')");
  const [ids] = await my.query<mysql.RowDataPacket[]>("SELECT (SELECT id FROM accounts WHERE email = 'c@x') AS a, (SELECT id FROM posts WHERE title = 'four') AS p, NEXTVAL(ticket_seq) AS s, (SELECT COUNT(*) FROM posts WHERE title = 'four' AND uid REGEXP '^[0-9a-f-]{36}$' AND tags = '[]') AS d");
  assert.deepEqual(ids.map((x) => ({ ...x })), [{ a: 3, p: 4, s: 1000, d: 1 }]);
});

test('convert-schema: PostgreSQL → PostgreSQL into a renamed schema, applied with psql', { timeout: 120000 }, async (t) => {
  const { schema, pgc } = await pgSource(t);
  const file = taskFile('cs-pg-pg', PG_SOURCE, [
    { 'rule-type': 'selection', 'rule-id': '1', 'rule-name': 'all', 'rule-action': 'include', 'object-locator': { 'schema-name': schema, 'table-name': '%' } },
    { 'rule-type': 'transformation', 'rule-id': '2', 'rule-name': 's', 'rule-target': 'schema', 'rule-action': 'add-suffix', 'object-locator': { 'schema-name': schema }, value: '_copy' },
  ]);
  const r = convert(file, 'postgres', join(dir, 'pg-pg'));
  psql(r.files.schemaSql);
  const copy = `${schema}_copy`;
  // the same tables, columns and types (the enum type now lives in the copy's schema)
  const source = await pgColumns(pgc, schema);
  assert.equal(Object.keys(source).length, 37); // 34 table columns and the view's 3
  assert.deepEqual(await pgColumns(pgc, copy), { ...source, 'accounts.mood': `${copy}.mood` });
  assert.deepEqual(summary(r), {
    table: [4, 1, 0], 'column type': [34, 0, 0], default: [9, 0, 0], index: [4, 0, 0], 'foreign key': [2, 0, 0], check: [2, 0, 0], view: [1, 0, 0],
    trigger: [1, 0, 0], function: [0, 1, 0], sequence: [4, 0, 0],
  });
  const defs = async (s: string) => (await pgc.query<{ d: string }>(
    `SELECT regexp_replace(pg_get_indexdef(i.indexrelid), '^.* USING ', '') AS d FROM pg_index i JOIN pg_class c ON c.oid = i.indrelid JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = $1 ORDER BY 1`, [s])).rows.map((x) => x.d);
  assert.deepEqual(await defs(copy), await defs(schema)); // partial and expression indexes included
  // identity and serial continue after the source's values; the copied trigger fires; the view answers
  await pgc.query(`INSERT INTO "${copy}".accounts (email) VALUES ('c@x')`);
  await pgc.query(`INSERT INTO "${copy}".posts (account_id, title) VALUES (3, 'four')`);
  await pgc.query(`UPDATE "${copy}".posts SET title = 'FOUR' WHERE title = 'four'`);
  const { rows } = await pgc.query(`SELECT (SELECT id FROM "${copy}".accounts WHERE email = 'c@x') AS a, (SELECT id FROM "${copy}".posts WHERE title = 'FOUR') AS p,
    (SELECT published_at IS NOT NULL FROM "${copy}".posts WHERE title = 'FOUR') AS touched, nextval('"${copy}".ticket_seq')::int AS s, (SELECT count(*)::int FROM "${copy}".account_posts) AS v`);
  assert.deepEqual(rows, [{ a: 3, p: 4, touched: true, s: 1000, v: 1 }]);
});

test('convert-schema: usage errors exit 2, an unreachable source exits 3, --help exits 0', { timeout: 60000 }, () => {
  const file = taskFile('cs-usage', { engine: 'mariadb', host: '127.0.0.1', port: 1, user: 'root', password: 'root', connectTimeoutMs: 2000 },
    [{ 'rule-type': 'selection', 'rule-id': '1', 'rule-name': 'all', 'rule-action': 'include', 'object-locator': { 'schema-name': 'x', 'table-name': '%' } }]);
  const bad = ferry(file, '--target', 'oracle', '--json');
  assert.equal(bad.status, 2);
  assert.match(bad.stderr, /--target <engine>' argument 'oracle' is invalid\. Allowed choices are postgres, mysql, mariadb/);
  assert.equal((JSON.parse(bad.stdout) as { error: { code: string } }).error.code, 'FERRY_USAGE');
  const none = ferry(file);
  assert.equal(none.status, 2);
  assert.match(none.stderr, /^error: convert-schema needs --target \(postgres, mysql, mariadb\): the task has no postgres or mysql target$/m);
  const down = ferry(file, '--target', 'postgres', '--out', join(dir, 'down'), '--json');
  assert.equal(down.status, 3, down.stderr);
  assert.equal((JSON.parse(down.stdout) as { error: { code: string } }).error.code, 'FERRY_SOURCE_UNREACHABLE');
  const noTarget = ferry(file, '--target', 'postgres', '--apply');
  assert.equal(noTarget.status, 2);
  assert.match(noTarget.stderr, /^error: --apply needs a postgres target in the task/m);
  const myApply = ferry(file, '--target', 'mariadb', '--apply');
  assert.equal(myApply.status, 2);
  assert.match(myApply.stderr, /^error: --apply needs a mysql target in the task/m);
  const help = ferry('--help');
  assert.equal(help.status, 0);
  assert.match(help.stdout, /--target <engine>/);
});

test('convert-schema: MariaDB → MariaDB into a renamed database (native copy, trigger and procedure included)', { timeout: 120000 }, async (t) => {
  const db = uniqueName('ferry_cs_mm');
  const copy = `${db}_copy`;
  const root = await mariaAdmin();
  await root.query(`CREATE DATABASE \`${db}\` CHARACTER SET utf8mb4`);
  await root.changeUser({ database: db });
  for (const s of MARIADB_SCHEMA) await root.query(s);
  t.after(async () => {
    for (const x of [db, copy]) await root.query(`DROP DATABASE IF EXISTS \`${x}\``).catch(() => undefined);
    await root.end();
  });
  const file = taskFile('cs-my-my', { engine: 'mariadb', host: services.mariadb.host, port: services.mariadb.port, user: 'root', password: 'root' }, [
    { 'rule-type': 'selection', 'rule-id': '1', 'rule-name': 'all', 'rule-action': 'include', 'object-locator': { 'schema-name': db, 'table-name': '%' } },
    { 'rule-type': 'transformation', 'rule-id': '2', 'rule-name': 's', 'rule-target': 'schema', 'rule-action': 'rename', 'object-locator': { 'schema-name': db }, value: copy },
  ]);
  const r = convert(file, 'mariadb', join(dir, 'my-my'));
  mariadbCli(r.files.schemaSql);
  const shape = async (s: string) => {
    const [rows] = await root.query<mysql.RowDataPacket[]>(`SELECT TABLE_NAME, COLUMN_NAME, COLUMN_TYPE, IS_NULLABLE, COLUMN_DEFAULT, EXTRA, CHARACTER_SET_NAME, COLLATION_NAME
      FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = ? ORDER BY TABLE_NAME, ORDINAL_POSITION`, [s]);
    return rows.map((x) => ({ ...x }));
  };
  assert.deepEqual(await shape(copy), await shape(db));
  const indexes = async (s: string) => {
    const [rows] = await root.query<mysql.RowDataPacket[]>(`SELECT TABLE_NAME, INDEX_NAME, SEQ_IN_INDEX, COLUMN_NAME, SUB_PART, NON_UNIQUE, INDEX_TYPE FROM information_schema.STATISTICS
      WHERE TABLE_SCHEMA = ? ORDER BY TABLE_NAME, INDEX_NAME, SEQ_IN_INDEX`, [s]);
    return rows.map((x) => ({ ...x }));
  };
  assert.deepEqual(await indexes(copy), await indexes(db));
  assert.deepEqual(summary(r), {
    table: [10, 1, 0], 'column type': [63, 0, 0], default: [15, 0, 0], index: [13, 0, 0], 'foreign key': [9, 0, 0], check: [1, 0, 0], view: [1, 0, 0],
    trigger: [1, 0, 0], procedure: [0, 1, 0], sequence: [6, 0, 0],
  });
  await root.changeUser({ database: copy });
  await root.query("INSERT INTO customers (email) VALUES ('a@x')");
  await root.query('INSERT INTO orders (customer_id) VALUES (501)');
  await root.query('CALL close_order(1)');
  const [rows] = await root.query<mysql.RowDataPacket[]>('SELECT o.status, o.notes, (SELECT n FROM v_customer_orders) AS n FROM orders o');
  assert.deepEqual(rows.map((x) => ({ ...x })), [{ status: 'shipped', notes: '', n: 1 }]);
});

test('convert-schema --apply: the task\'s postgres target (and its schema key) gets the DDL in one transaction, or nothing', { timeout: 120000 }, async (t) => {
  const db = uniqueName('ferry_cs_ap');
  const target = `${db}_target`;
  const root = await mariaAdmin();
  await root.query(`CREATE DATABASE \`${db}\` CHARACTER SET utf8mb4`);
  await root.changeUser({ database: db });
  for (const s of MARIADB_SCHEMA) await root.query(s);
  const pgc = await pgAdmin();
  t.after(async () => {
    await root.query(`DROP DATABASE IF EXISTS \`${db}\``).catch(() => undefined);
    await root.end();
    await pgc.query(`DROP SCHEMA IF EXISTS "${target}" CASCADE`).catch(() => undefined);
    await pgc.end();
  });
  const file = join(dir, 'cs-apply.json');
  writeFileSync(file, JSON.stringify({
    name: 'cs-apply', migrationType: 'full-load',
    source: { engine: 'mariadb', host: services.mariadb.host, port: services.mariadb.port, user: 'root', password: 'root' },
    tableMappings: { rules: [{ 'rule-type': 'selection', 'rule-id': '1', 'rule-name': 'all', 'rule-action': 'include', 'object-locator': { 'schema-name': db, 'table-name': '%' } }] },
    targets: [{ type: 'postgres', name: 'warehouse', host: services.postgres.host, port: services.postgres.port, user: 'postgres', password: 'postgres', database: 'shop', schema: target }],
  }));
  const tables = async () => (await pgc.query<{ t: string }>('SELECT table_name AS t FROM information_schema.tables WHERE table_schema = $1 ORDER BY 1', [target])).rows.map((r) => r.t);
  // a table in the way of the last CREATE TABLE: everything before it is rolled back
  await pgc.query(`CREATE SCHEMA "${target}"`);
  await pgc.query(`CREATE TABLE "${target}".stores (x int)`);
  const failed = ferry(file, '--apply', '--json', '--out', join(dir, 'apply-1'));
  assert.equal(failed.status, 1, failed.stderr);
  const error = (JSON.parse(failed.stdout) as { error: { code: string; message: string; details: { stage: string } } }).error;
  assert.equal(error.code, 'FERRY_TARGET_DDL');
  assert.equal(error.details.stage, 'statement');
  assert.match(error.message, /failed on the target warehouse: relation "stores" already exists; nothing was applied \(rolled back\)\. Statement: CREATE TABLE "ferry_cs_ap_[^"]+_target"\."stores"/);
  assert.deepEqual(await tables(), ['stores']);
  await pgc.query(`DROP TABLE "${target}".stores`);
  // the target defaults to the task's postgres target; every table lands in its schema
  const ok = ferry(file, '--apply', '--out', join(dir, 'apply-2'));
  assert.equal(ok.status, 0, ok.stderr);
  assert.match(ok.stdout, /^applied \d+ statements to the target warehouse in one transaction$/m);
  assert.deepEqual(await tables(), ['addresses', 'audit_log', 'categories', 'customers', 'inventory', 'odd "table"', 'order_items', 'orders', 'payments', 'products', 'stores', 'v_customer_orders']);
  assert.equal(Object.keys(await pgColumns(pgc, target)).length, 63 + 3);
  // the target is down: exit 3
  writeFileSync(file, readFileSync(file, 'utf8').replace(`"port":${services.postgres.port},"user":"postgres"`, '"port":1,"user":"postgres"'));
  const down = ferry(file, '--apply', '--json', '--out', join(dir, 'apply-3'));
  assert.equal(down.status, 3, down.stderr);
  assert.equal((JSON.parse(down.stdout) as { error: { code: string } }).error.code, 'FERRY_TARGET_DDL');
});
