// PostgreSQL → PostgreSQL end to end, in direct mode (ferry run with no kafka block): a table with many types and a
// table without a primary key, a full load while inserts, updates and deletes run, then CDC. Afterwards every row of
// both tables is read back from the target schema with pg and compared with the source, value by value (each type
// compared by an exact text form; see COLUMNS).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { parseTask } from '../../../../app/src/task-file/load-task.ts';
import { runTask } from '../../../../app/src/task/TaskRunner.ts';
import { PromMetrics } from '../../../../runtime/src/metrics/metrics.ts';
import { quietLog } from '../../../../test/helpers/sink-kit/quiet.ts';
import { dropPgTaskObjects } from '../../../../test/helpers/ferry-process.ts';
import { services, uniqueName } from '../../../../test/helpers/services.ts';
import { PG, dropSchema } from '../helpers.ts';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** name, source DDL type, source text expression, target text expression ($ = the quoted column). */
const COLUMNS: [string, string, string, string][] = [
  ['i2', 'smallint', '$::text', '$::text'],
  ['i8', 'bigint', '$::text', '$::text'],
  ['n', 'numeric(30,10)', '$::text', '$::text'],
  // Unconstrained numeric: the value exactly; its display scale is the event's (trailing zeros may differ).
  ['nv', 'numeric', 'trim_scale($)::text', 'trim_scale($)::text'],
  ['r4', 'real', '$::text', '$::text'],
  ['f8', 'double precision', '$::text', '$::text'],
  ['b', 'boolean', '$::text', '$::text'],
  ['vc', 'varchar(20)', '$::text', '$::text'],
  ['tx', 'text', '$::text', '$::text'],
  ['d', 'date', '$::text', '$::text'],
  ['tm', 'time(6)', '$::text', '$::text'],
  ['ts', 'timestamp(6)', '$::text', '$::text'],
  ['tz', 'timestamptz', "to_char($ AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS.US')", "to_char($ AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS.US')"],
  ['iv', 'interval', 'extract(epoch from $)::text', 'extract(epoch from $)::text'],
  ['u', 'uuid', '$::text', '$::text'],
  ['j', 'jsonb', '$::text', '$::text'],
  ['js', 'json', '$::jsonb::text', '$::text'],
  ['by', 'bytea', "encode($, 'hex')", "encode($, 'hex')"],
  ['bt', 'bit(5)', '$::text', '$::text'],
  ['ip', 'inet', "nullif(format('%s', $), '')", "nullif(format('%s', $), '')"],
  ['arr', 'int[]', 'to_jsonb($)::text', '$::text'],
];

function values(id: number, salt: number): string {
  return valueList(id, salt).join(', ');
}

function valueList(id: number, salt: number): string[] {
  const k = (id * 31 + salt) % 97;
  const nul = (v: string) => (k % 9 === 0 ? 'NULL' : v);
  return [
    id, nul(String((k * 337) % 32767 - 16000)), nul(`${BigInt(id) * 9_000_000_000n + BigInt(salt)}`), nul(`'${k}12345678901234567.${String(salt).padStart(10, '0')}'`),
    nul(`'-${k}.${salt}e-3'`), nul(`${k / 7}`), nul(`${k * 1.1 / 3}`), nul(k % 2 === 0 ? 'true' : 'false'),
    nul(`'v${salt}\\t${k}'`), nul(`E'line\\nbreak "q" \\\\ tab\\t ü ${salt}'`), nul(`'${1900 + k}-0${1 + (k % 9)}-1${k % 9}'`),
    nul(`'${String(k % 24).padStart(2, '0')}:0${k % 10}:59.12345${k % 10}'`), nul(`'2024-02-29 23:59:59.99999${k % 10}'`), nul(`'2024-01-01 12:00:00.5+0${k % 10}'`),
    nul(`'${k} days ${k % 24}:01:02.5'`), nul(`'00000000-0000-4000-8000-${String(id).padStart(12, '0')}'`),
    nul(`'{"k": ${k}, "s": "x\\"y", "n": [1, 2.5, null]}'`), nul(`'{"a": ${salt}, "b": "é"}'`), nul(`'\\x00ff${k.toString(16).padStart(2, '0')}'`),
    nul(`B'${(k % 32).toString(2).padStart(5, '0')}'`), nul(`'10.${k}.0.1'`), nul(`'{${k},${salt},null}'`),
  ].map(String);
}

async function state(c: pg.Client, schema: string, target: boolean): Promise<string[]> {
  const exprs = COLUMNS.map(([name, , src, tgt]) => `coalesce(${(target ? tgt : src).replaceAll('$', `"${name}"`)}, '∅')`);
  const t = await c.query(`SELECT concat_ws('|', id, ${exprs.join(', ')}) AS r FROM "${schema}".t ORDER BY id`).catch(() => ({ rows: [] }));
  const k = await c.query(`SELECT concat_ws('|', 'nokey', a, coalesce(s, '∅')) AS r FROM "${schema}".nokey ORDER BY a, s`).catch(() => ({ rows: [] }));
  return [...t.rows, ...k.rows].map((x: { r: string }) => x.r);
}

test('PostgreSQL → ferry run (direct mode) → PostgreSQL: every row and value equal, many types, a keyless table', { timeout: 240000 }, async () => {
  const name = uniqueName('ferry_pgpg');
  const target = `${name}_tgt`;
  const admin = new pg.Client({ ...services.postgres, user: 'postgres', password: 'postgres', database: 'shop' });
  await admin.connect();
  await admin.query(`CREATE SCHEMA ${name} AUTHORIZATION cdc`);
  const c = new pg.Client({ ...services.postgres, user: 'cdc', password: 'cdc', database: 'shop' });
  await c.connect();
  await c.query(`SET search_path = ${name}; SET TimeZone = 'UTC'`);
  await c.query(`CREATE TABLE t (id int PRIMARY KEY, ${COLUMNS.map(([n, type]) => `"${n}" ${type}`).join(', ')})`);
  await c.query('CREATE TABLE nokey (a int, s text)');
  await c.query('ALTER TABLE t REPLICA IDENTITY FULL; ALTER TABLE nokey REPLICA IDENTITY FULL');
  await c.query(`INSERT INTO t VALUES ${Array.from({ length: 2000 }, (_, i) => `(${values(i + 1, 0)})`).join(', ')}`);
  await c.query(`INSERT INTO nokey VALUES (1, 'a'), (1, 'a'), (2, NULL)`);
  const stop = new AbortController();
  let running: Promise<unknown> = Promise.resolve();
  const tgt = new pg.Client(PG);
  await tgt.connect();
  await tgt.query("SET TimeZone = 'UTC'");
  try {
    const task = parseTask({
      name, source: { engine: 'postgres', ...services.postgres, user: 'cdc', password: 'cdc', database: 'shop' }, migrationType: 'full-load-and-cdc',
      tableMappings: { rules: [{ 'rule-type': 'selection', 'rule-id': '1', 'rule-name': 'all', 'rule-action': 'include', 'object-locator': { 'schema-name': name, 'table-name': '%' } }] },
      targets: [{ type: 'postgres', name: 'pg', host: PG.host, port: PG.port, user: PG.user, password: PG.password, database: PG.database, schema: target, stateSchema: target, maxBatchDelayMs: 100 }],
      settings: { metrics: { enabled: false }, stateDir: join(mkdtempSync(join(tmpdir(), 'ferry-pgpg-')), 'state'), offsetStore: 'sqlite', batch: { maxEvents: 500, maxDelayMs: 20 } },
    });
    running = runTask({ task, log: quietLog(), metrics: new PromMetrics({ collectProcessMetrics: false }), serveMetrics: false }, stop.signal);
    await sleep(300);
    for (let i = 0; i < 200; i++) {
      await c.query(`INSERT INTO t VALUES (${values(3001 + i, i)})`);
      if (i % 3 === 0) await c.query(`UPDATE t SET (${COLUMNS.map(([n]) => `"${n}"`).join(', ')}) = (${valueList(1 + ((i * 7) % 1999), i + 1).slice(1).join(', ')}) WHERE id = ${1 + ((i * 7) % 1999)}`);
      if (i % 10 === 0) await c.query(`DELETE FROM t WHERE id = ${1 + ((i * 13) % 1999)}`);
      if (i % 20 === 0) await c.query(`INSERT INTO nokey VALUES (${i}, 'x'), (${i}, 'x')`);
      if (i % 40 === 0) await c.query(`UPDATE nokey SET s = 'y' WHERE ctid = (SELECT ctid FROM nokey WHERE a = ${i} LIMIT 1)`);
      if (i % 60 === 0) await c.query(`DELETE FROM nokey WHERE ctid = (SELECT ctid FROM nokey WHERE a = 1 LIMIT 1)`);
    }
    const want = await state(c, name, false);
    let got: string[] = [];
    const deadline = Date.now() + 120000;
    while (Date.now() < deadline) {
      await sleep(1000);
      got = await state(tgt, target, true);
      if (got.length === want.length && got.every((r, i) => r === want[i])) break;
    }
    const diff = want.filter((r, i) => got[i] !== r).slice(0, 2).map((r) => `want ${r}\n got ${got[want.indexOf(r)]}`);
    assert.equal(got.length, want.length, `${got.length} target rows for ${want.length} source rows`);
    assert.deepEqual(diff, [], 'the target equals the source, value by value');
    const types = (await tgt.query(`SELECT attname || ' ' || format_type(atttypid, atttypmod) AS t FROM pg_attribute WHERE attrelid = '"${target}".t'::regclass AND attnum > 0 ORDER BY attnum`)).rows.map((r: { t: string }) => r.t);
    // The source's own types (the schema conversion copies them on the same engine), but arrays: jsonb (docs/schema-conversion.md#tables-the-database-sinks-create)
    assert.deepEqual(types, ['id integer', 'i2 smallint', 'i8 bigint', 'n numeric(30,10)', 'nv numeric', 'r4 real', 'f8 double precision', 'b boolean', 'vc character varying(20)', 'tx text', 'd date',
      'tm time(6) without time zone', 'ts timestamp(6) without time zone', 'tz timestamp with time zone', 'iv interval', 'u uuid', 'j jsonb', 'js json', 'by bytea', 'bt bit(5)', 'ip inet', 'arr jsonb']);
  } finally {
    stop.abort();
    await running.catch(() => {});
    await c.end();
    await tgt.end();
    await dropPgTaskObjects(admin, name);
    await admin.query(`DROP SCHEMA ${name} CASCADE`);
    await admin.end();
    await dropSchema(target);
  }
});
