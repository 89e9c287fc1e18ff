/**
 * Data-validation benchmark (issue 18, docs/validation.md): `validateData` (what `ferry validate-data` runs) over a
 * MariaDB table of N rows (default 1M) and its PostgreSQL copy, first equal, then with --tamper rows changed,
 * deleted and inserted in the target (default 100). The copy is loaded by SQL on both sides from the same generator
 * expressions (the sinks' own load is measured in bench/sink-database.ts); the first validation proves it equal.
 *
 * Table: id BIGINT key, an INT, a VARCHAR(40), a DECIMAL(12,2), a DATETIME(6), a TIMESTAMP(6), a DATE, a TEXT and a
 * BLOB column, so checksums hash 9 canonical values per row (range-checksum: no float or json column).
 *
 * Reported per run: wall seconds, rows/s validated, this process's CPU-seconds, and the CPU-seconds of each database
 * server read from /proc: mariadbd's utime+stime; PostgreSQL's live processes plus the postmaster's reaped children
 * (backends that exited). The servers are shared with whatever else runs on the machine: their CPU includes it.
 *
 * Usage: node bench/validate-data.ts [--rows 1000000] [--tamper 100] [--concurrency 2] [--chunk-rows 20000] [--keep]
 */
import { readdirSync, readFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { parseArgs } from 'node:util';
import mysql from 'mysql2/promise';
import pg from 'pg';
import { parseTask } from '../app/src/task-file/load-task.ts';
import { validateData, type DataValidationReport } from '../app/src/validate-data/validate-data.ts';
import { services, uniqueName } from '../test/helpers/services.ts';
import { machine } from './lib/process-stats.ts';

const { values: args } = parseArgs({ options: {
  rows: { type: 'string', default: '1000000' }, tamper: { type: 'string', default: '100' }, concurrency: { type: 'string', default: '2' },
  'chunk-rows': { type: 'string', default: '20000' }, keep: { type: 'boolean', default: false },
} });
const ROWS = Number(args.rows);
const TAMPER = Number(args.tamper);
const PG = { ...services.postgres, user: 'postgres', password: 'postgres', database: 'shop' };

const TICKS = 100;
function procTimes(pid: number): { self: number; children: number; comm: string; ppid: number } | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const comm = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return { comm, ppid: Number(f[1]), self: (Number(f[11]) + Number(f[12])) / TICKS, children: (Number(f[13]) + Number(f[14])) / TICKS };
  } catch {
    return null;
  }
}

/** CPU-seconds so far of mariadbd and of the PostgreSQL server (live processes + reaped backends). */
function dbCpu(): { mariadb: number; postgres: number } {
  let mariadb = 0;
  let postgres = 0;
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    const t = procTimes(Number(d));
    if (!t) continue;
    if (t.comm === 'mariadbd' || t.comm === 'mysqld') mariadb += t.self;
    if (t.comm === 'postgres') postgres += t.self + (t.ppid === 1 ? t.children : 0);
  }
  return { mariadb, postgres };
}

async function measure(label: string, run: () => Promise<DataValidationReport>): Promise<DataValidationReport> {
  const db0 = dbCpu();
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  const r = await run();
  const s = (performance.now() - t0) / 1000;
  const cpu = process.cpuUsage(cpu0);
  const db1 = dbCpu();
  const t = r.targets[0]!.tables[0]!;
  console.log(`${label}: ${t.state}, ${t.sourceRows.toLocaleString('en-US')} rows in ${s.toFixed(2)} s = ${Math.round(t.sourceRows / s).toLocaleString('en-US')} rows/s; ` +
    `Ferry CPU ${((cpu.user + cpu.system) / 1e6).toFixed(2)} s; MariaDB CPU ${(db1.mariadb - db0.mariadb).toFixed(2)} s; PostgreSQL CPU ${(db1.postgres - db0.postgres).toFixed(2)} s; ` +
    `${t.method}, ${t.ranges} ranges, ${t.mismatchedRanges} differing, ${(t.rowsCompared ?? 0).toLocaleString('en-US')} rows compared in Node, ${t.failures} mismatches`);
  return r;
}

const db = uniqueName('bench_vd');
const my = await mysql.createConnection({ ...services.mariadb, user: 'root', password: 'root' });
const pgc = new pg.Client(PG);
await pgc.connect();
console.log(`machine: ${machine()}; load average ${loadavg().map((x) => x.toFixed(2)).join(' ')}; ${new Date().toISOString()}`);
console.log(`rows ${ROWS}, tamper ${TAMPER}, concurrency ${args.concurrency}, chunk rows ${args['chunk-rows']}`);
try {
  await my.query("SET time_zone = '+00:00'");
  await my.query(`CREATE DATABASE ${db}`);
  await my.query(`CREATE TABLE ${db}.t (id BIGINT PRIMARY KEY, n INT, s VARCHAR(40), d DECIMAL(12,2), ts DATETIME(6), tz TIMESTAMP(6) NULL, dt DATE, tx TEXT, bl BLOB)`);
  await pgc.query(`CREATE SCHEMA ${db}`);
  await pgc.query(`CREATE TABLE ${db}.t (id bigint PRIMARY KEY, n integer, s varchar(40), d numeric(12,2), ts timestamp(6), tz timestamptz(6), dt date, tx text, bl bytea)`);
  const load0 = performance.now();
  for (let from = 1; from <= ROWS; from += 200_000) {
    const to = Math.min(ROWS, from + 199_999);
    await my.query(`INSERT INTO ${db}.t SELECT seq, seq * 7 % 100000, CONCAT('name ', seq), (seq % 100000) / 100, TIMESTAMP('2024-01-01') + INTERVAL seq SECOND + INTERVAL seq % 1000000 MICROSECOND,
      TIMESTAMP('2020-01-01') + INTERVAL seq SECOND, DATE('2000-01-01') + INTERVAL seq % 10000 DAY, IF(seq % 10 = 0, NULL, REPEAT('x', seq % 50)), UNHEX(LPAD(HEX(seq), 8, '0')) FROM ${db}.seq_${from}_to_${to}`);
    await pgc.query(`INSERT INTO ${db}.t SELECT g, g * 7 % 100000, 'name ' || g, (g % 100000) / 100.0, timestamp '2024-01-01' + g * interval '1 second' + (g % 1000000) * interval '1 microsecond',
      timestamptz '2020-01-01 00:00:00+00' + g * interval '1 second', date '2000-01-01' + (g % 10000)::int, CASE WHEN g % 10 = 0 THEN NULL ELSE repeat('x', (g % 50)::int) END, decode(lpad(to_hex(g), 8, '0'), 'hex')
      FROM generate_series(${from}::bigint, ${to}::bigint) g`);
  }
  await my.query(`ANALYZE TABLE ${db}.t`);
  await pgc.query(`VACUUM ANALYZE ${db}.t`);
  console.log(`loaded ${ROWS} rows on both sides in ${((performance.now() - load0) / 1000).toFixed(1)} s`);
  const task = parseTask({
    name: db, source: { engine: 'mariadb', ...services.mariadb, user: 'root', password: 'root' }, migrationType: 'full-load',
    tableMappings: { rules: [{ 'rule-type': 'selection', 'rule-id': '1', 'rule-name': 't', 'rule-action': 'include', 'object-locator': { 'schema-name': db, 'table-name': 't' } }] },
    targets: [{ type: 'postgres', name: 'pg', host: PG.host, port: PG.port, user: PG.user, password: PG.password, database: PG.database, stateSchema: db }],
    settings: { metrics: { enabled: false }, offsetStore: 'sqlite' },
  });
  const options = { maxConcurrency: Number(args.concurrency), chunkRows: Number(args['chunk-rows']) };
  const equal = await measure('equal', () => validateData(task, options));
  if (!equal.ok) throw new Error('the copy is not equal: see the mismatches above');
  // Tamper: a third changed, a third deleted, a third inserted, spread over the key space.
  const step = Math.floor(ROWS / TAMPER);
  const ids = Array.from({ length: TAMPER }, (_, i) => 1 + i * step + (i % 97));
  const third = Math.floor(TAMPER / 3);
  await pgc.query(`UPDATE ${db}.t SET s = s || '!' WHERE id = ANY($1)`, [ids.slice(0, third)]);
  await pgc.query(`DELETE FROM ${db}.t WHERE id = ANY($1)`, [ids.slice(third, 2 * third)]);
  await pgc.query(`INSERT INTO ${db}.t (id, s) SELECT -g, 'extra' FROM unnest($1::bigint[]) g`, [ids.slice(2 * third)]);
  const tampered = await measure(`tampered (${TAMPER} rows)`, () => validateData(task, options));
  const found = tampered.targets[0]!.tables[0]!.failures;
  if (found !== TAMPER) throw new Error(`expected ${TAMPER} mismatches, found ${found}`);
} finally {
  if (!args.keep) {
    await my.query(`DROP DATABASE IF EXISTS ${db}`);
    await pgc.query(`DROP SCHEMA IF EXISTS ${db} CASCADE`);
  }
  await my.end();
  await pgc.end();
}
