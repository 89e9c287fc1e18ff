// `ferry plan` with a `postgres` target: for each selected table, the exact DDL of Ferry's schema conversion (CREATE
// TABLE with the mapped names and types, its foreign key and indexes) and the table's assessment items, in `--json`
// and in the human output. The statements are then run on the real PostgreSQL (a fresh schema) and the result is read
// back from pg_catalog / information_schema: they apply cleanly and create exactly the planned columns and keys.
// The plan itself writes nothing: the target schema does not exist after it.
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
const dir = mkdtempSync(join(tmpdir(), 'ferry-plan-ddl-'));

interface Item { kind: string; object: string; outcome: string; target?: string; reason?: string; fix?: string }
interface TableTarget { name: string; type: string; table: string; ddl: string[]; assessment: Item[] }
interface Plan {
  ok: boolean;
  problems: unknown[];
  tables: { source: string; target: string; targets?: TableTarget[] }[];
  databaseTargets?: { name: string; type: string; dialect: string; schema?: string; summary: { kind: string; total: number; auto: number; warning: number; manual: number }[]; other: Item[] }[];
}

/** A PostgreSQL login role with a password that appears nowhere else (the output redacts secrets by value). */
async function targetRole(admin: pg.Client): Promise<{ user: string; password: string }> {
  const user = uniqueName('ptd_role');
  const password = `pw-${uniqueName('x')}`;
  await admin.query(`CREATE ROLE ${user} LOGIN PASSWORD '${password}'`);
  return { user, password };
}

function runPlan(name: string, body: Record<string, unknown>): { status: number | null; plan: Plan; human: string; stderr: string } {
  const file = join(dir, `${name}.json`);
  writeFileSync(file, JSON.stringify({ name, migrationType: 'full-load-and-cdc', ...body }));
  const run = (...args: string[]) => spawnSync(process.execPath, [join(ROOT, 'bin', 'ferry.js'), 'plan', file, ...args], { encoding: 'utf8', timeout: 60000 });
  const r = run('--json');
  const human = run();
  assert.equal(human.status, r.status, human.stderr);
  return { status: r.status, plan: JSON.parse(r.stdout) as Plan, human: human.stdout, stderr: r.stderr };
}

const include = (schema: string) => ({ 'rule-type': 'selection', 'rule-id': '1', 'rule-name': 'all', 'rule-action': 'include', 'object-locator': { 'schema-name': schema, 'table-name': '%' } });

/** Runs every table's statements on the target: all CREATE TABLEs first, then the foreign keys and indexes. */
async function apply(admin: pg.Client, schema: string, plan: Plan): Promise<void> {
  const all = plan.tables.flatMap((t) => t.targets![0]!.ddl);
  await admin.query('BEGIN');
  await admin.query(`CREATE SCHEMA "${schema}"`);
  for (const s of all.filter((x) => x.startsWith('CREATE TABLE'))) await admin.query(s);
  for (const s of all.filter((x) => !x.startsWith('CREATE TABLE'))) await admin.query(s);
  await admin.query('COMMIT');
}

async function readBack(admin: pg.Client, schema: string): Promise<{ columns: string[]; constraints: string[]; indexes: string[] }> {
  const columns = await admin.query(`SELECT table_name || '.' || column_name || ' ' || format_type(a.atttypid, a.atttypmod) || CASE WHEN c.is_nullable = 'NO' THEN ' not null' ELSE '' END AS x
    FROM information_schema.columns c JOIN pg_attribute a ON a.attrelid = format('%I.%I', c.table_schema, c.table_name)::regclass AND a.attname = c.column_name
    WHERE c.table_schema = $1 ORDER BY c.table_name, c.ordinal_position`, [schema]);
  const constraints = await admin.query(`SELECT conrelid::regclass::text || ' ' || conname || ' ' || pg_get_constraintdef(oid) AS x FROM pg_constraint
    WHERE connamespace = $1::regnamespace ORDER BY conrelid::regclass::text, conname`, [schema]);
  const indexes = await admin.query('SELECT indexdef AS x FROM pg_indexes WHERE schemaname = $1 ORDER BY indexname', [schema]);
  const x = (r: pg.QueryResult) => r.rows.map((row: { x: string }) => row.x.replaceAll(`"${schema}".`, '').replaceAll(`${schema}.`, ''));
  return { columns: x(columns), constraints: x(constraints), indexes: x(indexes) };
}

test('ferry plan, MariaDB source → postgres target: exact DDL per table (types, unique key, foreign key, indexes) and assessment', { timeout: 120000 }, async (t) => {
  const db = uniqueName('ptd_my');
  const target = uniqueName('ptd_tgt');
  const my = await mysql.createConnection({ ...services.mariadb, user: 'root', password: 'root', multipleStatements: true });
  const admin = new pg.Client({ ...services.postgres, user: 'postgres', password: 'postgres', database: 'shop' });
  await admin.connect();
  const role = await targetRole(admin);
  t.after(async () => {
    await my.query(`DROP DATABASE IF EXISTS ${db}`);
    await my.end();
    await admin.query('ROLLBACK').catch(() => undefined);
    await admin.query(`DROP SCHEMA IF EXISTS "${target}" CASCADE`);
    await admin.query(`DROP ROLE IF EXISTS ${role.user}`);
    await admin.end();
  });
  await my.query(`CREATE DATABASE ${db};
    CREATE TABLE ${db}.customers (id INT AUTO_INCREMENT PRIMARY KEY, email VARCHAR(100) NOT NULL, UNIQUE KEY uq_email (email)) AUTO_INCREMENT = 42;
    CREATE TABLE ${db}.orders (id BIGINT UNSIGNED NOT NULL PRIMARY KEY, customer_id INT NOT NULL, total DECIMAL(12,2) NOT NULL DEFAULT 0.00,
      placed DATETIME(6), paid TIMESTAMP(3) NULL, status ENUM('new','paid') NOT NULL DEFAULT 'new', flag BIT(1), payload JSON, took TIME,
      note TEXT, raw BLOB, UNIQUE KEY uq_cust_placed (customer_id, placed), KEY idx_placed (placed), KEY idx_note (note(20)),
      CONSTRAINT fk_customer FOREIGN KEY (customer_id) REFERENCES customers (id) ON DELETE CASCADE);
    CREATE TRIGGER ${db}.orders_bi BEFORE INSERT ON ${db}.orders FOR EACH ROW SET NEW.note = COALESCE(NEW.note, 'none');
    CREATE PROCEDURE ${db}.touch() SELECT 1;`);
  const loc = { 'schema-name': db, 'table-name': 'orders' };
  const r = runPlan(db, {
    // root: MariaDB lists foreign keys in information_schema.REFERENTIAL_CONSTRAINTS only to users with a privilege beyond SELECT
    source: { engine: 'mariadb', ...services.mariadb, user: 'root', password: 'root' },
    tableMappings: { rules: [include(db),
      { 'rule-type': 'transformation', 'rule-id': '2', 'rule-name': 't', 'rule-target': 'table', 'rule-action': 'rename', 'object-locator': loc, value: 'purchases' },
      { 'rule-type': 'transformation', 'rule-id': '3', 'rule-name': 'c', 'rule-target': 'column', 'rule-action': 'rename', 'object-locator': { ...loc, 'column-name': 'total' }, value: 'amount' }] },
    targets: [{ type: 'postgres', name: 'warehouse', ...services.postgres, user: role.user, password: role.password, database: 'shop', schema: target }],
  });
  assert.equal(r.status, 0, r.human + r.stderr);
  assert.equal(r.plan.ok, true);
  assert.deepEqual(r.plan.problems, []);
  const S = `"${target}"`;
  const customers = {
    name: 'warehouse', type: 'postgres', table: `${target}.customers`,
    ddl: [`CREATE TABLE ${S}."customers" (\n  "id" integer GENERATED BY DEFAULT AS IDENTITY (START WITH 42) NOT NULL,\n  "email" varchar(100) NOT NULL,\n  PRIMARY KEY ("id"),\n  CONSTRAINT "customers_uq_email" UNIQUE ("email")\n)`],
    assessment: [],
  };
  const purchases = {
    name: 'warehouse', type: 'postgres', table: `${target}.purchases`,
    ddl: [
      `CREATE TABLE ${S}."purchases" (\n  "id" numeric(20) NOT NULL,\n  "customer_id" integer NOT NULL,\n  "amount" numeric(12,2) DEFAULT 0.00 NOT NULL,\n  "placed" timestamp(6),\n  "paid" timestamptz(3),\n`
        + `  "status" text DEFAULT 'new' NOT NULL CHECK ("status" IN ('new', 'paid')),\n  "flag" boolean,\n  "payload" jsonb,\n  "took" interval(0),\n  "note" text,\n  "raw" bytea,\n`
        + `  PRIMARY KEY ("id"),\n  CONSTRAINT "purchases_uq_cust_placed" UNIQUE ("customer_id", "placed")\n)`,
      `ALTER TABLE ${S}."purchases" ADD CONSTRAINT "fk_customer" FOREIGN KEY ("customer_id") REFERENCES ${S}."customers" ("id") ON DELETE CASCADE ON UPDATE RESTRICT`,
      `CREATE INDEX "purchases_idx_note" ON ${S}."purchases" ("note")`,
      `CREATE INDEX "purchases_idx_placed" ON ${S}."purchases" ("placed")`,
    ],
    assessment: [
      { kind: 'index', object: `${db}.orders.idx_note`, outcome: 'warning', target: 'INDEX purchases_idx_note', reason: 'the MySQL prefix index (20 characters) becomes an index on the whole value', fix: 'none needed unless values are longer than 2,700 bytes (then index a hash or a substring expression)' },
      { kind: 'trigger', object: `${db}.orders.orders_bi`, outcome: 'manual', reason: 'trigger BEFORE INSERT on orders: its body is MySQL procedural SQL, which is not converted', fix: `write a PL/pgSQL trigger function, then CREATE TRIGGER "orders_bi" BEFORE INSERT ON ${S}."purchases" FOR EACH ROW EXECUTE FUNCTION …()` },
    ],
  };
  assert.deepEqual(r.plan.tables.map((x) => [x.source, x.target, x.targets]), [[`${db}.customers`, `${db}.customers`, [customers]], [`${db}.orders`, `${db}.purchases`, [purchases]]]);
  const dt = r.plan.databaseTargets!;
  assert.equal(dt.length, 1);
  assert.deepEqual({ ...dt[0], summary: undefined }, {
    name: 'warehouse', type: 'postgres', dialect: 'postgres', schema: target, summary: undefined,
    other: [{ kind: 'procedure', object: `${db}.touch`, outcome: 'manual', reason: 'procedure bodies (SQL) are not converted between mariadb and postgres', fix: `rewrite it in PL/pgSQL: CREATE PROCEDURE ${S}."touch"(…) LANGUAGE plpgsql AS $$ … $$` }],
  });
  assert.deepEqual(dt[0]!.summary.map((s) => [s.kind, s.total, s.auto, s.warning, s.manual]), [
    ['table', 2, 2, 0, 0], ['column type', 13, 13, 0, 0], ['default', 2, 2, 0, 0], ['index', 4, 3, 1, 0], ['foreign key', 1, 1, 0, 0], ['trigger', 1, 0, 0, 1], ['procedure', 1, 0, 0, 1], ['sequence', 1, 1, 0, 0],
  ]);

  // The human output carries the same statements (terminated, indented) and items.
  const block = (lines: string) => lines.split('\n').map((l) => `      ${l}`).join('\n');
  assert.ok(r.human.includes(`    target warehouse (postgres) → ${target}.purchases\n${purchases.ddl.map((s) => block(`${s};`)).join('\n')}\n`), r.human);
  assert.ok(r.human.includes(`    target warehouse (postgres) → ${target}.customers\n${block(`${customers.ddl[0]};`)}\n`), r.human);
  assert.ok(r.human.includes(`      WARN index ${db}.orders.idx_note → INDEX purchases_idx_note: the MySQL prefix index (20 characters) becomes an index on the whole value (fix: `), r.human);
  assert.ok(r.human.includes(`      MANUAL trigger ${db}.orders.orders_bi: trigger BEFORE INSERT on orders: its body is MySQL procedural SQL, which is not converted (fix: `), r.human);
  assert.ok(r.human.includes(`  warehouse (postgres, every table in ${target}): 25 objects, 22 converted, 1 with a warning, 2 manual\n    MANUAL procedure ${db}.touch: `), r.human);

  // The plan wrote nothing on the target.
  const { rows } = await admin.query('SELECT count(*)::int AS n FROM pg_namespace WHERE nspname = $1', [target]);
  assert.deepEqual(rows, [{ n: 0 }]);

  // The planned statements apply, and PostgreSQL reads back exactly the planned tables.
  await apply(admin, target, r.plan);
  assert.deepEqual(await readBack(admin, target), {
    columns: [
      'customers.id integer not null', 'customers.email character varying(100) not null',
      'purchases.id numeric(20,0) not null', 'purchases.customer_id integer not null', 'purchases.amount numeric(12,2) not null',
      'purchases.placed timestamp(6) without time zone', 'purchases.paid timestamp(3) with time zone', 'purchases.status text not null', 'purchases.flag boolean',
      'purchases.payload jsonb', 'purchases.took interval(0)', 'purchases.note text', 'purchases.raw bytea',
    ],
    constraints: [
      'customers customers_pkey PRIMARY KEY (id)', 'customers customers_uq_email UNIQUE (email)',
      'purchases fk_customer FOREIGN KEY (customer_id) REFERENCES customers(id) ON UPDATE RESTRICT ON DELETE CASCADE',
      'purchases purchases_pkey PRIMARY KEY (id)', 'purchases purchases_status_check CHECK ((status = ANY (ARRAY[\'new\'::text, \'paid\'::text])))',
      'purchases purchases_uq_cust_placed UNIQUE (customer_id, placed)',
    ],
    indexes: [
      'CREATE UNIQUE INDEX customers_pkey ON customers USING btree (id)', 'CREATE UNIQUE INDEX customers_uq_email ON customers USING btree (email)',
      'CREATE INDEX purchases_idx_note ON purchases USING btree (note)', 'CREATE INDEX purchases_idx_placed ON purchases USING btree (placed)',
      'CREATE UNIQUE INDEX purchases_pkey ON purchases USING btree (id)', 'CREATE UNIQUE INDEX purchases_uq_cust_placed ON purchases USING btree (customer_id, placed)',
    ],
  });
});

test('ferry plan, PostgreSQL source → postgres target: same-engine DDL per table, exact', { timeout: 120000 }, async (t) => {
  const schema = uniqueName('ptd_pg');
  const target = uniqueName('ptd_tgt');
  const admin = new pg.Client({ ...services.postgres, user: 'postgres', password: 'postgres', database: 'shop' });
  await admin.connect();
  const role = await targetRole(admin);
  t.after(async () => {
    await admin.query('ROLLBACK').catch(() => undefined);
    await admin.query(`DROP SCHEMA IF EXISTS "${target}" CASCADE`);
    await admin.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
    await admin.query(`DROP ROLE IF EXISTS ${role.user}`);
    await admin.end();
  });
  await admin.query(`CREATE SCHEMA ${schema} AUTHORIZATION cdc;
    CREATE TABLE ${schema}.authors (id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY, handle TEXT NOT NULL UNIQUE);
    CREATE TABLE ${schema}.posts (id UUID PRIMARY KEY DEFAULT gen_random_uuid(), author_id BIGINT NOT NULL REFERENCES ${schema}.authors (id) ON DELETE RESTRICT,
      title VARCHAR(200) NOT NULL, body TEXT, meta JSONB NOT NULL DEFAULT '{}', tags TEXT[], price NUMERIC(10,2) CHECK (price >= 0), published TIMESTAMPTZ(3));
    CREATE UNIQUE INDEX posts_author_title ON ${schema}.posts (author_id, title);
    CREATE INDEX posts_live ON ${schema}.posts (published) WHERE published IS NOT NULL;
    ALTER TABLE ${schema}.authors OWNER TO cdc, REPLICA IDENTITY FULL; ALTER TABLE ${schema}.posts OWNER TO cdc, REPLICA IDENTITY FULL;`);
  const r = runPlan(schema, {
    source: { engine: 'postgres', ...services.postgres, user: 'cdc', password: 'cdc', database: 'shop' },
    tableMappings: { rules: [include(schema)] },
    targets: [{ type: 'postgres', name: 'replica', ...services.postgres, user: role.user, password: role.password, database: 'shop', schema: target }],
  });
  assert.equal(r.status, 0, r.human + r.stderr);
  assert.deepEqual(r.plan.problems, []);
  const S = `"${target}"`;
  const authors = `CREATE TABLE ${S}."authors" (\n  "id" bigint GENERATED ALWAYS AS IDENTITY (START WITH 1) NOT NULL,\n  "handle" text NOT NULL,\n  PRIMARY KEY ("id"),\n  CONSTRAINT "authors_handle_key" UNIQUE ("handle")\n)`;
  const posts = [
    `CREATE TABLE ${S}."posts" (\n  "id" uuid DEFAULT gen_random_uuid() NOT NULL,\n  "author_id" bigint NOT NULL,\n  "title" character varying(200) NOT NULL,\n  "body" text,\n`
      + `  "meta" jsonb DEFAULT '{}'::jsonb NOT NULL,\n  "tags" text[],\n  "price" numeric(10,2),\n  "published" timestamp(3) with time zone,\n  PRIMARY KEY ("id"),\n`
      + `  CONSTRAINT "posts_price_check" CHECK ((price >= (0)::numeric))\n)`,
    `ALTER TABLE ${S}."posts" ADD CONSTRAINT "posts_author_id_fkey" FOREIGN KEY ("author_id") REFERENCES ${S}."authors" ("id") ON DELETE RESTRICT ON UPDATE NO ACTION`,
    `CREATE UNIQUE INDEX "posts_author_title" ON ${S}."posts" ("author_id", "title")`,
    `CREATE INDEX "posts_live" ON ${S}."posts" USING btree (published) WHERE (published IS NOT NULL)`,
  ];
  assert.deepEqual(r.plan.tables.map((x) => x.targets), [
    [{ name: 'replica', type: 'postgres', table: `${target}.authors`, ddl: [authors], assessment: [] }],
    [{ name: 'replica', type: 'postgres', table: `${target}.posts`, ddl: posts, assessment: [] }],
  ]);
  assert.deepEqual(r.plan.databaseTargets!.map((d) => [d.name, d.dialect, d.schema, d.other]), [['replica', 'postgres', target, []]]);
  const block = (lines: string) => lines.split('\n').map((l) => `      ${l}`).join('\n');
  assert.ok(r.human.includes(`    target replica (postgres) → ${target}.posts\n${posts.map((x) => block(`${x};`)).join('\n')}\n`), r.human);
  assert.ok(r.human.includes(`  replica (postgres, every table in ${target}): 20 objects, 20 converted, 0 with a warning, 0 manual\n`), r.human);

  await apply(admin, target, r.plan);
  assert.deepEqual(await readBack(admin, target), {
    columns: [
      'authors.id bigint not null', 'authors.handle text not null', 'posts.id uuid not null', 'posts.author_id bigint not null', 'posts.title character varying(200) not null',
      'posts.body text', 'posts.meta jsonb not null', 'posts.tags text[]', 'posts.price numeric(10,2)', 'posts.published timestamp(3) with time zone',
    ],
    constraints: [
      'authors authors_handle_key UNIQUE (handle)', 'authors authors_pkey PRIMARY KEY (id)',
      'posts posts_author_id_fkey FOREIGN KEY (author_id) REFERENCES authors(id) ON DELETE RESTRICT', 'posts posts_pkey PRIMARY KEY (id)',
      'posts posts_price_check CHECK ((price >= (0)::numeric))',
    ],
    indexes: [
      'CREATE UNIQUE INDEX authors_handle_key ON authors USING btree (handle)', 'CREATE UNIQUE INDEX authors_pkey ON authors USING btree (id)',
      'CREATE UNIQUE INDEX posts_author_title ON posts USING btree (author_id, title)', 'CREATE INDEX posts_live ON posts USING btree (published) WHERE (published IS NOT NULL)',
      'CREATE UNIQUE INDEX posts_pkey ON posts USING btree (id)',
    ],
  });
});
