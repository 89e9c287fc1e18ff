// Target tables from the source catalog: PostgreSQL → ferry run (direct mode, full-load-and-cdc, drop-and-create) →
// MariaDB. The table the sink creates is read back from information_schema and compared exactly with the schema
// conversion: converted types, nullability, defaults, AUTO_INCREMENT, primary key, unique key, check, and the
// secondary indexes, built after the full load (the log says when) — with the documented exceptions (timetz keeps
// its event type varchar(32); text columns get the sink's NO PAD binary collation). Every row lands exactly.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import pg from 'pg';
import { parseTask } from '../../../../app/src/task-file/load-task.ts';
import { runTask } from '../../../../app/src/task/TaskRunner.ts';
import { applyToMySql, readTaskCatalog, taskTargetConnection } from '../../../../app/src/convert-schema/convert-schema.ts';
import { PromMetrics } from '../../../../runtime/src/metrics/metrics.ts';
import { createLogger } from '../../../../runtime/src/log/logger.ts';
import { convertSchema } from '../../../../runtime/src/schema-conversion/convert.ts';
import { dropPgTaskObjects } from '../../../../test/helpers/ferry-process.ts';
import { services, uniqueName } from '../../../../test/helpers/services.ts';
import { MARIA, dropDatabase, query } from '../helpers.ts';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
type Row = Record<string, unknown>;
const n = (v: unknown) => (v === null || v === undefined ? '∅' : String(v));

function capture(): { log: ReturnType<typeof createLogger>; lines: () => string[] } {
  const out: string[] = [];
  const log = createLogger({ destination: new Writable({ write(c, _e, cb) { out.push(String(c)); cb(); } }) });
  return { log, lines: () => out.flatMap((s) => s.split('\n')).filter(Boolean).map((l) => String((JSON.parse(l) as { msg?: string }).msg ?? '')) };
}

const line = (r: Row) => [r.id, r.email, n(r.nick), r.balance, r.active, n(r.mood), r.created, n(r.tags), n(r.attrs), n(r.uid), n(r.addr), n(r.tz)].map(String).join('|');
/** JSON text with keys sorted and no spaces (jsonb and MariaDB print differently). */
const json = (s: unknown): string | null => {
  if (s === null || s === undefined) return null;
  const sort = (v: unknown): unknown => (Array.isArray(v) ? v.map(sort) : v !== null && typeof v === 'object' ? Object.fromEntries(Object.keys(v).sort().map((k) => [k, sort((v as Row)[k])])) : v);
  return JSON.stringify(sort(typeof s === 'string' ? JSON.parse(s) : s));
};

async function sourceRows(c: pg.Client, s: string): Promise<string[]> {
  const { rows } = await c.query(`SELECT id, email, nick, balance::text AS balance, CASE WHEN active THEN '1' ELSE '0' END AS active, mood::text AS mood,
    to_char(created AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS.US') AS created, array_to_json(tags)::text AS tags, attrs::text AS attrs, uid::text AS uid, host(addr) AS addr,
    tz::text AS tz FROM "${s}".accounts ORDER BY id`);
  return rows.map((r: Row) => line({ ...r, tags: json(r.tags), attrs: json(r.attrs), tz: r.tz === null ? null : `${String(r.tz).replace(/\+00$/, '')}Z` }));
}

async function targetRows(db: string): Promise<string[]> {
  const rows = await query(`SELECT id, email, nick, CAST(balance AS CHAR) AS balance, CAST(active AS CHAR) AS active, mood, DATE_FORMAT(created, '%Y-%m-%d %H:%i:%s.%f') AS created,
    tags, attrs, uid, addr, tz FROM \`${db}\`.accounts ORDER BY id`).catch(() => []);
  return rows.map((r) => line({ ...r, tags: json(r.tags), attrs: json(r.attrs) }));
}

test('PostgreSQL → MariaDB, drop-and-create: the table is the schema conversion (types, defaults, keys, check, indexes after the full load) and every row lands exactly', { timeout: 180000 }, async () => {
  const name = uniqueName('ferry_mycat');
  const admin = new pg.Client({ ...services.postgres, user: 'postgres', password: 'postgres', database: 'shop' });
  await admin.connect();
  const owner = new pg.Client({ ...services.postgres, user: 'cdc', password: 'cdc', database: 'shop' });
  await owner.connect();
  const stop = new AbortController();
  let running: Promise<unknown> = Promise.resolve();
  try {
    await admin.query(`CREATE SCHEMA ${name} AUTHORIZATION cdc`);
    await owner.query(`SET search_path = ${name}; SET TimeZone = 'UTC'`);
    await owner.query("CREATE TYPE mood AS ENUM ('sad', 'ok', 'happy')");
    await owner.query(`CREATE TABLE accounts (
      id serial PRIMARY KEY,
      email varchar(120) NOT NULL,
      nick character(6),
      balance numeric(12,2) NOT NULL DEFAULT 0,
      active boolean NOT NULL DEFAULT true,
      mood mood,
      created timestamptz NOT NULL DEFAULT now(),
      tags text[],
      attrs jsonb,
      uid uuid,
      addr inet,
      tz timetz,
      CONSTRAINT accounts_email_key UNIQUE (email),
      CONSTRAINT ck_balance CHECK (balance >= 0)
    )`);
    await owner.query('ALTER TABLE accounts REPLICA IDENTITY FULL');
    await owner.query('CREATE INDEX accounts_created_idx ON accounts (created)');
    await owner.query('CREATE INDEX accounts_mood_nick ON accounts (mood, nick DESC)');
    const row = (i: number) => `('user${i}@example.com', ${i % 4 === 0 ? 'NULL' : `'n${i % 100}'`}, ${i}.${String(i % 100).padStart(2, '0')}, ${i % 2 === 0}, ${i % 5 === 0 ? 'NULL' : `'${['sad', 'ok', 'happy'][i % 3]}'`},
      '2024-0${1 + (i % 9)}-1${i % 10} 1${i % 10}:00:00.${String(i * 7 % 1000000).padStart(6, '0')}+02', ${i % 3 === 0 ? 'NULL' : `'{"a b","c,d",NULL,"ü ${i}"}'`}, '{"k": ${i}, "z": [1, 2.5]}',
      '00000000-0000-4000-8000-${String(i).padStart(12, '0')}', '10.0.${i % 256}.1', '1${i % 10}:30:00.5+00')`;
    await owner.query(`INSERT INTO accounts (email, nick, balance, active, mood, created, tags, attrs, uid, addr, tz) VALUES ${Array.from({ length: 200 }, (_, i) => row(i + 1)).join(',')}`);
    // A table of that name already in the target, of another shape: drop-and-create replaces it.
    await query(`CREATE DATABASE \`${name}\``);
    await query(`CREATE TABLE \`${name}\`.accounts (id INT PRIMARY KEY, old TEXT)`);
    const dir = mkdtempSync(join(tmpdir(), 'ferry-mycat-'));
    const task = parseTask({
      name, source: { engine: 'postgres', ...services.postgres, user: 'cdc', password: 'cdc', database: 'shop' }, migrationType: 'full-load-and-cdc',
      tableMappings: { rules: [{ 'rule-type': 'selection', 'rule-id': '1', 'rule-name': 'all', 'rule-action': 'include', 'object-locator': { 'schema-name': name, 'table-name': '%' } }] },
      targets: [{ type: 'mysql', name: 'maria', host: MARIA.host, port: MARIA.port, user: MARIA.user, password: MARIA.password, stateDatabase: name, tablePreparation: 'drop-and-create', indexes: 'after-full-load', maxBatchDelayMs: 100 }],
      settings: { metrics: { enabled: false }, stateDir: join(dir, 'state'), offsetStore: 'sqlite', batch: { maxEvents: 100, maxDelayMs: 20 } },
    });
    const { log, lines } = capture();
    running = runTask({ task, log, metrics: new PromMetrics({ collectProcessMetrics: false }), serveMetrics: false }, stop.signal).catch((e: unknown) => e);
    let got: string[] = [];
    for (let i = 0; i < 60 && got.length < 200; i++) { await sleep(500); got = await targetRows(name); }
    await owner.query(`INSERT INTO accounts (email, nick, balance, active, mood, created, tags, attrs, uid, addr, tz) VALUES ${row(201)}, ${row(202)}`);
    await owner.query("UPDATE accounts SET balance = balance + 0.01, mood = 'happy', nick = 'x     ' WHERE id = 5");
    await owner.query('DELETE FROM accounts WHERE id = 6');
    const want = await sourceRows(owner, name);
    const deadline = Date.now() + 60000;
    while (Date.now() < deadline) {
      await sleep(500);
      got = await targetRows(name);
      if (got.length === want.length && got.every((r, i) => r === want[i])) break;
    }
    assert.deepEqual(got, want, 'every row lands exactly');

    const columns = (await query<{ r: string }>(`SELECT CONCAT(COLUMN_NAME, ' ', COLUMN_TYPE, IF(IS_NULLABLE = 'NO', ' not null', ''), IF(EXTRA LIKE '%auto_increment%', ' auto_increment', ''),
      IFNULL(CONCAT(' default ', COLUMN_DEFAULT), ''), IFNULL(CONCAT(' ', COLLATION_NAME), '')) AS r FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = ? AND TABLE_NAME = 'accounts' ORDER BY ORDINAL_POSITION`, [name])).map((x) => x.r);
    assert.deepEqual(columns, [
      'id int(11) not null auto_increment',
      'email varchar(120) not null utf8mb4_nopad_bin',
      'nick varchar(6) default NULL utf8mb4_nopad_bin',
      'balance decimal(12,2) not null default 0.00',
      'active tinyint(1) not null default 1',
      "mood enum('sad','ok','happy') default NULL utf8mb4_nopad_bin",
      'created datetime(6) not null default current_timestamp(6)',
      'tags longtext default NULL utf8mb4_bin',
      'attrs longtext default NULL utf8mb4_bin',
      'uid char(36) default NULL utf8mb4_nopad_bin',
      'addr varchar(43) default NULL utf8mb4_nopad_bin',
      'tz varchar(32) default NULL utf8mb4_nopad_bin',
    ]);
    const keys = (await query<{ r: string }>(`SELECT CONCAT(INDEX_NAME, IF(NON_UNIQUE = 0, ' unique', ''), ' (', GROUP_CONCAT(CONCAT(COLUMN_NAME, IF(COLLATION = 'D', ' DESC', '')) ORDER BY SEQ_IN_INDEX), ')') AS r
      FROM information_schema.STATISTICS WHERE TABLE_SCHEMA = ? AND TABLE_NAME = 'accounts' GROUP BY INDEX_NAME, NON_UNIQUE ORDER BY INDEX_NAME`, [name])).map((x) => x.r);
    // The secondary unique key is a plain index while the sink writes (runtime/src/schema-conversion/mysql-unique-keys.ts).
    assert.deepEqual(keys, ['accounts_created_idx (created)', 'accounts_email_key (email)', 'accounts_mood_nick (mood,nick DESC)', 'PRIMARY unique (id)']);
    const checks = (await query<{ r: string }>(`SELECT CONCAT(CONSTRAINT_NAME, ' ', CHECK_CLAUSE) AS r FROM information_schema.CHECK_CONSTRAINTS WHERE CONSTRAINT_SCHEMA = ? ORDER BY 1`, [name])).map((x) => x.r);
    assert.deepEqual(checks, ['attrs json_valid(`attrs`)', 'ck_balance `balance` >= 0', 'tags json_valid(`tags`)']);

    // The same as the schema conversion of the catalog, but for the documented exceptions.
    const converted = convertSchema({ catalog: await readTaskCatalog(task), mapping: task.tableMappings, target: 'mysql' }).tables[0]!;
    assert.deepEqual(converted.ddl.columns.map((c) => `${c.name} ${c.type}${c.collation ?? ''}`), [
      'id int', 'email varchar(120) COLLATE utf8mb4_bin', 'nick varchar(6) COLLATE utf8mb4_bin', 'balance decimal(12,2)', 'active tinyint(1)', "mood enum('sad','ok','happy') COLLATE utf8mb4_bin",
      'created datetime(6)', 'tags json', 'attrs json', 'uid char(36) COLLATE utf8mb4_bin', 'addr varchar(43) COLLATE utf8mb4_bin', 'tz time(6)',
    ]);
    assert.deepEqual(converted.ddl.indexes, [`CREATE INDEX \`accounts_created_idx\` ON \`${name}\`.\`accounts\` (\`created\`)`, `CREATE INDEX \`accounts_mood_nick\` ON \`${name}\`.\`accounts\` (\`mood\`, \`nick\` DESC)`]);

    // Once caught up, convert-schema --apply --after-load makes it unique (one ALTER TABLE swapping the index).
    const applied = await applyToMySql(taskTargetConnection(task, 'mysql')!, convertSchema({ catalog: await readTaskCatalog(task), mapping: task.tableMappings, target: 'mysql' }), true);
    assert.ok(applied.statements >= 1);
    const unique = (await query<{ r: string }>(`SELECT CONCAT(INDEX_NAME, IF(NON_UNIQUE = 0, ' unique', '')) AS r FROM information_schema.STATISTICS WHERE TABLE_SCHEMA = ? AND TABLE_NAME = 'accounts' AND INDEX_NAME = 'accounts_email_key'`, [name])).map((x) => x.r);
    assert.deepEqual(unique, ['accounts_email_key unique']);

    const msgs = lines();
    const created = msgs.findIndex((m) => m.includes(`sink maria: created ${name}.accounts from the source catalog`));
    const built = msgs.findIndex((m) => m.includes(`sink maria: full load of ${name}.accounts done: built 2 indexes`));
    assert.ok(created >= 0 && msgs[created]!.includes('2 indexes after its full load') && msgs[created]!.includes('event-schema types for tz varchar(32) (converted: time(6))'), msgs.join('\n'));
    assert.ok(built > created, 'the indexes are built after the full load');
    assert.deepEqual(await query(`SELECT * FROM \`${name}\`._ferry_sink_indexes`), [], 'no pending index left');
  } finally {
    stop.abort();
    await running;
    await owner.end();
    await dropPgTaskObjects(admin, name);
    await admin.query(`DROP SCHEMA IF EXISTS ${name} CASCADE`);
    await admin.end();
    await dropDatabase(name);
  }
});
