// Issue #17's schema-change check: `ferry run` streams a table into another database while the source table is
// altered during CDC — ADD COLUMN, DROP COLUMN, RENAME COLUMN (and MariaDB's CHANGE COLUMN old new), and widenings
// (INT → BIGINT, VARCHAR(20) → VARCHAR(200), DECIMAL(10,2) → DECIMAL(14,4)) — with inserts and updates using each new
// shape in between. Afterwards both sides are read by direct queries (mysql2, pg) and compared: the column names, the
// widened types, and every row value by value, including rows written before the rename (their values must be under
// the new name).
//
//   MariaDB → PostgreSQL   direct mode (`ferry run` killed and restarted right after the renames), and Kafka mode
//                          (`ferry run` + `ferry sink`, 2 partitions, transactional apply): the renames travel as
//                          Avro field aliases through the schema registry
//   PostgreSQL → MariaDB   direct mode. pgoutput gives no column identity, so a rename arrives as a drop and an add
//                          (docs/sources/postgres.md#schema-changes): the renamed column's rows written before the
//                          rename are NULL on the target until they change; the test pins exactly that
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type mysql from 'mysql2/promise';
import type pg from 'pg';
import { dropPgTaskObjects } from '../helpers/ferry-process.ts';
import { services, uniqueName } from '../helpers/services.ts';
import { FerryChild, MARIADB_SOURCE, PG_SOURCE, PG_TARGET, MARIADB_TARGET, mariadbRoot, pgClient, selectSchema, tempDir, writeTask } from '../helpers/migration-kit/run.ts';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const SEED = 30;

/** One side of the test: runs SQL, reads rows as text. */
interface Db {
  exec(sql: string): Promise<void>;
  rows(sql: string): Promise<Record<string, unknown>[]>;
}

const maria = (c: mysql.Connection): Db => ({
  exec: async (sql) => { await c.query(sql); },
  rows: async (sql) => (await c.query(sql))[0] as Record<string, unknown>[],
});
const postgres = (c: pg.Client): Db => ({
  exec: async (sql) => { await c.query(sql); },
  rows: async (sql) => (await c.query(sql)).rows as Record<string, unknown>[],
});

/** The exact decimal without trailing fraction zeros ('1.2500' = '1.25'). */
const dec = (v: unknown) => (v === null || v === undefined ? '∅' : String(v).includes('.') ? String(v).replace(/0+$/, '').replace(/\.$/, '') : String(v));
const txt = (v: unknown) => (v === null || v === undefined ? '∅' : JSON.stringify(String(v)));

/**
 * The table as one line per row: id | title | qty | price | extra | remark, in the names of the final shape (before
 * the rename: name and note; before the add: no extra).
 */
async function state(db: Db, engine: 'mariadb' | 'postgres', schema: string): Promise<string[]> {
  const from = engine === 'mariadb' ? `\`${schema}\`.items` : `"${schema}".items`;
  const cast = (c: string) => (engine === 'mariadb' ? `CAST(${c} AS CHAR)` : `${c}::text`);
  const have = new Set((await columns(db, engine, schema)).map((c) => c.split(' ')[0]));
  const pick = (...names: string[]) => names.find((n) => have.has(n)) ?? 'NULL';
  const rows = await db.rows(`SELECT ${cast('id')} AS id, ${pick('title', 'name')} AS title, ${cast('qty')} AS qty, ${cast('price')} AS price, ${pick('extra')} AS extra, ${pick('remark', 'note')} AS remark FROM ${from} ORDER BY id`);
  return rows.map((r) => [r.id, txt(r.title), r.qty ?? '∅', dec(r.price), txt(r.extra), txt(r.remark)].join(' | '));
}

/** Column name → type, sorted by name. */
async function columns(db: Db, engine: 'mariadb' | 'postgres', schema: string): Promise<string[]> {
  const rows = engine === 'mariadb'
    ? await db.rows(`SELECT COLUMN_NAME AS n, COLUMN_TYPE AS t FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = '${schema}' AND TABLE_NAME = 'items'`)
    : await db.rows(`SELECT attname AS n, format_type(atttypid, atttypmod) AS t FROM pg_attribute WHERE attrelid = '"${schema}".items'::regclass AND attnum > 0 AND NOT attisdropped`);
  return rows.map((r) => `${String(r.n)} ${String(r.t)}`).sort();
}

/**
 * The target's columns are exactly these names, each of one of the given types: the widened ones exact; text columns
 * as the event schema makes them (text, longtext) or as the schema conversion of the source catalog does.
 */
function assertShape(got: string[], want: Record<string, string[]>): void {
  const types = new Map(got.map((c) => [c.slice(0, c.indexOf(' ')), c.slice(c.indexOf(' ') + 1)]));
  assert.deepEqual([...types.keys()].sort(), Object.keys(want).sort(), `target columns: ${got.join(', ')}`);
  for (const [c, ok] of Object.entries(want)) assert.ok(ok.includes(types.get(c)!), `target column ${c} is ${types.get(c)}, expected one of ${ok.join(', ')}`);
}

/** The source's statements, per engine. */
const DDL = {
  mariadb: {
    create: 'CREATE TABLE items (id INT PRIMARY KEY, name VARCHAR(20) NOT NULL, qty INT, price DECIMAL(10,2), legacy VARCHAR(10), note VARCHAR(20))',
    add: 'ALTER TABLE items ADD COLUMN extra VARCHAR(30)',
    drop: 'ALTER TABLE items DROP COLUMN legacy',
    rename: ['ALTER TABLE items RENAME COLUMN note TO remark', 'ALTER TABLE items CHANGE COLUMN name title VARCHAR(20) NOT NULL'],
    widen: 'ALTER TABLE items MODIFY qty BIGINT, MODIFY title VARCHAR(200) NOT NULL, MODIFY price DECIMAL(14,4)',
  },
  postgres: {
    create: 'CREATE TABLE items (id int PRIMARY KEY, name varchar(20) NOT NULL, qty int, price numeric(10,2), legacy varchar(10), note varchar(20))',
    add: 'ALTER TABLE items ADD COLUMN extra varchar(30)',
    drop: 'ALTER TABLE items DROP COLUMN legacy',
    rename: ['ALTER TABLE items RENAME COLUMN note TO remark', 'ALTER TABLE items RENAME COLUMN name TO title'],
    widen: 'ALTER TABLE items ALTER COLUMN qty TYPE bigint, ALTER COLUMN title TYPE varchar(200), ALTER COLUMN price TYPE numeric(14,4)',
  },
} as const;

const LONG_TITLE = `t-${'é'.repeat(60)}-${'x'.repeat(80)}`; // 143 characters: only fits after VARCHAR(200)

/**
 * The changes during CDC, each step's inserts and updates using the shape it just made. Returns the ids written or
 * changed after the rename (the others were written before it).
 */
async function alterDuringCdc(src: Db, engine: 'mariadb' | 'postgres', afterRename: () => Promise<void>): Promise<Set<number>> {
  const d = DDL[engine];
  const pause = () => sleep(400); // let some steps land in batches of their own, others share one
  // v1: plain CDC
  for (let i = SEED + 1; i <= SEED + 5; i++) await src.exec(`INSERT INTO items VALUES (${i}, 'n${i}', ${i}, ${i}.25, 'l${i}', 'note-${i}')`);
  await src.exec('UPDATE items SET qty = qty * 10 WHERE id <= 3');
  await pause();
  // ADD COLUMN
  await src.exec(d.add);
  for (let i = SEED + 6; i <= SEED + 10; i++) await src.exec(`INSERT INTO items (id, name, qty, price, legacy, note, extra) VALUES (${i}, 'n${i}', ${i}, ${i}.5, 'l${i}', 'note-${i}', 'x${i}')`);
  await src.exec("UPDATE items SET extra = 'e4' WHERE id = 4");
  // DROP COLUMN (no pause: the add and the drop share a batch)
  await src.exec(d.drop);
  for (let i = SEED + 11; i <= SEED + 15; i++) await src.exec(`INSERT INTO items (id, name, qty, price, note, extra) VALUES (${i}, 'n${i}', ${i}, ${i}.75, 'note-${i}', 'x${i}')`);
  await src.exec('UPDATE items SET qty = 555 WHERE id = 5');
  await pause();
  // RENAME COLUMN (and CHANGE COLUMN old new on MariaDB)
  for (const s of d.rename) await src.exec(s);
  await afterRename();
  const after = new Set<number>();
  for (let i = SEED + 16; i <= SEED + 20; i++) {
    await src.exec(`INSERT INTO items (id, title, qty, price, remark, extra) VALUES (${i}, 'n${i}', ${i}, ${i}.05, 'remark-${i}', 'x${i}')`);
    after.add(i);
  }
  await src.exec("UPDATE items SET remark = 'r6' WHERE id = 6");
  await src.exec("UPDATE items SET title = 'title-7' WHERE id = 7");
  after.add(6).add(7);
  await src.exec('UPDATE items SET qty = 800 WHERE id = 8'); // remark and title untouched, as written before the rename
  after.add(8);
  await pause();
  // Widenings
  await src.exec(d.widen);
  for (let i = SEED + 21; i <= SEED + 25; i++) {
    await src.exec(`INSERT INTO items (id, title, qty, price, remark, extra) VALUES (${i}, '${LONG_TITLE}', ${9_000_000_000 + i}, 1234567890.1234, 'remark-${i}', 'x${i}')`);
    after.add(i);
  }
  await src.exec("UPDATE items SET price = 9999999999.9999, qty = 9000000000000 WHERE id = 9");
  after.add(9);
  await src.exec('DELETE FROM items WHERE id = 10');
  await src.exec(`UPDATE items SET title = '${LONG_TITLE}' WHERE id = ${SEED + 1}`);
  after.add(SEED + 1);
  return after;
}

async function waitFor(what: () => Promise<boolean>, failed: () => string | null, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const f = failed();
    if (f !== null) throw new Error(f);
    if (await what().catch(() => false)) return;
    if (Date.now() > deadline) return;
    await sleep(500);
  }
}

interface Run {
  readonly name: string;
  readonly src: Db;
  readonly dst: Db;
  readonly srcEngine: 'mariadb' | 'postgres';
  readonly dstEngine: 'mariadb' | 'postgres';
  readonly kafka: boolean;
  readonly sourceConfig: Record<string, unknown>;
  readonly targetConfig: Record<string, unknown>;
  /** kill -9 `ferry run` right after the RENAME statements and start it again (before any event needs them). */
  readonly killAfterRename?: boolean;
}

/** Runs `ferry run` (+ `ferry sink`) through the whole scenario; returns the ids changed after the rename. */
async function scenario(r: Run): Promise<{ after: Set<number>; want: string[]; got: string[]; log: string }> {
  const dir = tempDir('ferry-schema-changes');
  const taskFile = writeTask(dir, {
    name: r.name, source: r.sourceConfig, migrationType: 'full-load-and-cdc', tableMappings: selectSchema(r.name),
    ...(r.kafka ? { kafka: { brokers: services.brokers, schemaRegistry: services.registryUrl, topicPrefix: r.name, partitions: 2 } } : {}),
    targets: [{ name: 'db', tablePreparation: 'drop-and-create', maxBatchDelayMs: 200, ...r.targetConfig }],
    settings: { metrics: { enabled: false }, stateDir: join(dir, 'state'), batch: { maxEvents: 1000, maxDelayMs: 50 } },
  });
  const log = join(dir, 'ferry.log');
  let run = new FerryChild(['run', taskFile], log);
  const sink = r.kafka ? new FerryChild(['sink', taskFile], log) : null;
  const failed = () => run.failed() ?? sink?.failed() ?? null;
  const afterRename = async () => {
    if (!r.killAfterRename) return;
    await sleep(300);
    await run.kill9();
    run = new FerryChild(['run', taskFile], log);
  };
  try {
    await waitFor(async () => (await state(r.dst, r.dstEngine, r.name).catch(() => [])).length === SEED && /snapshot finished/.test(run.output()), failed, 60000);
    assert.equal((await state(r.dst, r.dstEngine, r.name).catch(() => [])).length, SEED, `the full load arrived (${log})`);
    const after = await alterDuringCdc(r.src, r.srcEngine, afterRename);
    const want = await state(r.src, r.srcEngine, r.name);
    const expected = (lines: string[]) => (r.srcEngine === 'postgres' ? lines.map((l) => renamedAsNew(l, after)) : lines);
    let got: string[] = [];
    await waitFor(async () => { got = await state(r.dst, r.dstEngine, r.name); return JSON.stringify(got) === JSON.stringify(expected(want)); }, failed, 60000);
    return { after, want: expected(want), got, log };
  } finally {
    await run.stop();
    await sink?.stop();
  }
}

/**
 * PostgreSQL sources: a renamed column arrives as a new column, so a row the source has not changed since the rename
 * reads NULL in it on the target (title and remark).
 */
function renamedAsNew(line: string, after: ReadonlySet<number>): string {
  const f = line.split(' | ');
  if (after.has(Number(f[0]))) return line;
  return [f[0], '∅', f[2], f[3], f[4], '∅'].join(' | ');
}

async function seed(db: Db, engine: 'mariadb' | 'postgres'): Promise<void> {
  await db.exec(DDL[engine].create);
  const values = Array.from({ length: SEED }, (_, j) => `(${j + 1}, 'n${j + 1}', ${j + 1}, ${j + 1}.25, 'l${j + 1}', 'note-${j + 1}')`);
  await db.exec(`INSERT INTO items VALUES ${values.join(', ')}`);
}

for (const kafka of [false, true]) {
  const how = kafka ? 'Kafka mode (2 partitions), transactional apply' : 'direct mode, ferry run killed (-9) and restarted right after the renames';
  test(`MariaDB → PostgreSQL, ${how}: ADD, DROP, RENAME/CHANGE COLUMN and widenings during CDC; the target equals the source by name and value`, { timeout: 150000 }, async (t) => {
    const name = uniqueName(kafka ? 'ferry_sc_mpk' : 'ferry_sc_mp');
    const source = await mariadbRoot();
    const target = await pgClient('postgres');
    t.after(async () => {
      await source.query(`DROP DATABASE IF EXISTS \`${name}\``);
      await source.end();
      await target.query(`DROP SCHEMA IF EXISTS "${name}" CASCADE`);
      await target.end();
    });
    await source.query(`CREATE DATABASE \`${name}\``);
    await source.query(`USE \`${name}\``);
    const src = maria(source);
    await seed(src, 'mariadb');
    const r = await scenario({
      name, src, dst: postgres(target), srcEngine: 'mariadb', dstEngine: 'postgres', kafka, sourceConfig: MARIADB_SOURCE,
      targetConfig: { type: 'postgres', ...PG_TARGET, stateSchema: name, ...(kafka ? { applyMode: 'transactional' } : {}) }, killAfterRename: !kafka,
    });
    assert.deepEqual(r.got, r.want, `the target equals the source, value by value (log ${r.log})`);
    // rows written before the rename hold their values under the new names
    assert.equal(r.got.find((l) => l.startsWith('11 |')), '11 | "n11" | 11 | 11.25 | ∅ | "note-11"');
    assert.deepEqual(await columns(src, 'mariadb', name), ['extra varchar(30)', 'id int(11)', 'price decimal(14,4)', 'qty bigint(20)', 'remark varchar(20)', 'title varchar(200)']);
    assertShape(await columns(postgres(target), 'postgres', name), { id: ['integer'], qty: ['bigint'], price: ['numeric(14,4)'], title: ['text', 'character varying(200)'], remark: ['text', 'character varying(20)'], extra: ['text', 'character varying(30)'] });
  });
}

test('PostgreSQL → MariaDB, direct mode: ADD, DROP, RENAME COLUMN and widenings during CDC; a rename is a drop and an add (pgoutput)', { timeout: 150000 }, async (t) => {
  const name = uniqueName('ferry_sc_pm');
  const admin = await pgClient('postgres');
  const target = await mariadbRoot();
  await admin.query(`CREATE SCHEMA ${name} AUTHORIZATION cdc`);
  const owner = await pgClient('cdc');
  t.after(async () => {
    await owner.end();
    await dropPgTaskObjects(admin, name);
    await admin.query(`DROP SCHEMA IF EXISTS ${name} CASCADE`);
    await admin.end();
    await target.query(`DROP DATABASE IF EXISTS \`${name}\``);
    await target.end();
  });
  await owner.query(`SET search_path = ${name}`);
  const src = postgres(owner);
  await seed(src, 'postgres');
  const r = await scenario({
    name, src, dst: maria(target), srcEngine: 'postgres', dstEngine: 'mariadb', kafka: false, sourceConfig: PG_SOURCE,
    targetConfig: { type: 'mysql', ...MARIADB_TARGET, stateDatabase: name },
  });
  assert.deepEqual(r.got, r.want, `the target equals the source, a renamed column's untouched rows NULL (log ${r.log})`);
  assert.equal(r.got.find((l) => l.startsWith('11 |')), '11 | ∅ | 11 | 11.25 | ∅ | ∅', 'a row written before the rename: title and remark arrive as new, empty columns');
  assert.equal(r.got.find((l) => l.startsWith('8 |')), '8 | "n8" | 800 | 8.25 | ∅ | "note-8"', 'a row updated after the rename: the update carries the whole row, values and all');
  assert.match(readFileSync(r.log, 'utf8'), /column\(s\) [a-z, ]*note[a-z, ]* gone and [a-z, ]*remark[a-z, ]* new in one change; PostgreSQL's stream cannot tell a RENAME COLUMN/, 'the source warns');
  assert.deepEqual(await columns(src, 'postgres', name), ['extra character varying(30)', 'id integer', 'price numeric(14,4)', 'qty bigint', 'remark character varying(20)', 'title character varying(200)']);
  assertShape(await columns(maria(target), 'mariadb', name), { id: ['int(11)'], qty: ['bigint(20)'], price: ['decimal(14,4)'], title: ['longtext', 'varchar(200)'], remark: ['longtext', 'varchar(20)'], extra: ['longtext', 'varchar(30)'] });
});
