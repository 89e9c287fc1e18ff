// Column names outside [A-Za-z0-9_] from a PostgreSQL source (quoted identifiers with spaces, unicode, quotes,
// backquotes) travel as Avro-adjusted field names with the source name in `__debezium.source.column.name`; the MariaDB
// target gets every column under its source name, created from the source catalog and from the event schema, with a
// keyed and a keyless table changed during CDC. Read back by direct queries on both sides.
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
import { MARIA, dropDatabase, query } from '../helpers.ts';

const log = () => (process.env.FERRY_TEST_LOG ? createLogger() : quietLog());
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const COLUMNS = ['id', 'naïve ☃', 'with space', 'Mixed"Quote', 'back`tick'];
const pgCols = COLUMNS.map((c) => `"${c.replace(/"/g, '""')}"`).join(', ');
const myCols = COLUMNS.map((c) => `\`${c.replace(/`/g, '``')}\``).join(', ');
const line = (r: Record<string, unknown>) => COLUMNS.map((c) => (r[c] === null ? '∅' : String(r[c]))).join('|');

for (const createTablesFrom of ['source-catalog', 'event-schema'] as const) test(`PostgreSQL → MariaDB (direct mode, tables from ${createTablesFrom}): odd column names land under their source names, keyed and keyless`, { timeout: 180000 }, async () => {
  const name = uniqueName('ferry_my_odd');
  const admin = new pg.Client({ ...services.postgres, user: 'postgres', password: 'postgres', database: 'shop' });
  await admin.connect();
  await admin.query(`CREATE SCHEMA ${name} AUTHORIZATION cdc`);
  const owner = new pg.Client({ ...services.postgres, user: 'cdc', password: 'cdc', database: 'shop' });
  await owner.connect();
  await owner.query(`SET search_path = ${name}`);
  await owner.query('CREATE TABLE "odd table" (id int PRIMARY KEY, "naïve ☃" text, "with space" int, "Mixed""Quote" text, "back`tick" int)');
  await owner.query('CREATE TABLE "odd nokey" (id int, "naïve ☃" text, "with space" int, "Mixed""Quote" text, "back`tick" int)');
  for (const t of ['"odd table"', '"odd nokey"']) await owner.query(`ALTER TABLE ${t} REPLICA IDENTITY FULL`);
  for (const t of ['"odd table"', '"odd nokey"']) await owner.query(`INSERT INTO ${t} (${pgCols}) SELECT i, 'ü ' || i, i * 2, 'q"' || i, NULLIF(i % 3, 0) FROM generate_series(1, 50) i`);
  const dir = mkdtempSync(join(tmpdir(), 'ferry-my-odd-'));
  const task = parseTask({
    name, source: { engine: 'postgres', ...services.postgres, user: 'cdc', password: 'cdc', database: 'shop' }, migrationType: 'full-load-and-cdc',
    tableMappings: { rules: [{ 'rule-type': 'selection', 'rule-id': '1', 'rule-name': 'all', 'rule-action': 'include', 'object-locator': { 'schema-name': name, 'table-name': '%' } }] },
    targets: [{ type: 'mysql', name: 'maria', host: MARIA.host, port: MARIA.port, user: MARIA.user, password: MARIA.password, stateDatabase: name, createTablesFrom, maxBatchDelayMs: 100 }],
    settings: { metrics: { enabled: false }, stateDir: join(dir, 'state'), offsetStore: 'sqlite', batch: { maxEvents: 500, maxDelayMs: 20 } },
  });
  const stop = new AbortController();
  let failed: unknown = null;
  const running = runTask({ task, log: log(), metrics: new PromMetrics({ collectProcessMetrics: false }), serveMetrics: false }, stop.signal).catch((e: unknown) => { failed = e; });
  const equal = async (t: string): Promise<void> => {
    const want = (await owner.query(`SELECT ${pgCols} FROM "${t}" ORDER BY id, "naïve ☃"`)).rows.map(line);
    let got: string[] = [];
    for (const deadline = Date.now() + 90000; Date.now() < deadline; await sleep(300)) {
      if (failed !== null) throw failed;
      got = (await query(`SELECT ${myCols} FROM \`${name}\`.\`${t}\` ORDER BY id, \`naïve ☃\``).catch(() => [])).map(line);
      if (got.join('\n') === want.join('\n')) break;
    }
    assert.deepEqual(got, want, `${t}: MariaDB equals PostgreSQL`);
    const columns = (await query<{ c: string }>('SELECT COLUMN_NAME AS c FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ? ORDER BY ORDINAL_POSITION', [name, t])).map((x) => x.c);
    assert.deepEqual(columns, COLUMNS, `${t}: the target's columns are the source's, and only those`);
  };
  try {
    for (const t of ['odd table', 'odd nokey']) await equal(t); // the full load
    for (const t of ['"odd table"', '"odd nokey"']) { // then CDC: updates, deletes and inserts by the odd columns
      await owner.query(`UPDATE ${t} SET "naïve ☃" = "naïve ☃" || ' upd', "back\`tick" = NULL WHERE id % 4 = 0`);
      await owner.query(`DELETE FROM ${t} WHERE id % 5 = 0`);
      await owner.query(`INSERT INTO ${t} (${pgCols}) VALUES (100, '☃☃', 7, 'x', 1), (${t.includes('nokey') ? 100 : 101}, '☃', NULL, NULL, NULL)`);
    }
    for (const t of ['odd table', 'odd nokey']) await equal(t);
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
