/**
 * Database target benchmark (issue 17): how fast a sink drains a pre-filled topic into PostgreSQL or MariaDB,
 * Ferry's relational sinks side by side with Debezium's JDBC sink connector (bench/debezium/fetch.sh jdbc) on the same
 * topic and the same target server.
 *
 *   full-load  N snapshot reads (op r) of a 10-column table (default 1M);
 *   cdc        M changes (default 500k): inserts of new keys, then updates and deletes of them, in transactions of
 *              --tx-size events (one binlog position per transaction).
 *
 * Each tool drains the topic into its own fresh schema (PostgreSQL) or database (MariaDB) as its own process: Ferry's
 * sink worker (bench/sink-database-worker.ts, the sink built by the plugin registry as `ferry sink` does) in each
 * --modes apply mode, Debezium's JDBC sink under Kafka Connect standalone (upsert, deletes, record_key). Reported per
 * run: rows/s (process start → caught up), CPU-seconds and CPU-s per 1M events, peak RSS; afterwards the target
 * table is checked against the expected final state (row count, sum of ids, sum of qty).
 *
 * Usage: node bench/sink-database.ts [--target postgres|mysql] [--phase full-load|cdc] [--rows N] [--tx-size 10]
 *        [--tools ferry,debezium] [--modes batch-optimized,transactional] [--batch 50000]
 */
import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import mysql from 'mysql2/promise';
import pg from 'pg';
import { binlogPosition } from '../core/src/position.ts';
import type { ChangeEvent, TableSchema } from '../core/src/types.ts';
import { decimalToBytes } from '../schemas/src/decimal.ts';
import { addGroupCommits, caughtUp, endOffsets, produceEvents, services, uniqueName } from '../test/helpers/sink-kit/services.ts';
import { startJdbcSink } from './debezium/connect.ts';
import { machine, procStats, type ProcStats } from './lib/process-stats.ts';

const { values: args } = parseArgs({ options: {
  target: { type: 'string', default: 'postgres' }, phase: { type: 'string', default: 'full-load' }, rows: { type: 'string' },
  'tx-size': { type: 'string', default: '10' }, tools: { type: 'string', default: 'ferry,debezium' },
  modes: { type: 'string', default: 'batch-optimized,transactional' }, batch: { type: 'string', default: '50000' },
} });
const TARGET = args.target as 'postgres' | 'mysql';
const PHASE = args.phase as 'full-load' | 'cdc';
const ROWS = Number(args.rows ?? (PHASE === 'full-load' ? 1_000_000 : 500_000));
const TX = Number(args['tx-size']);
const prefix = uniqueName('benchdb');
const DEC = 'org.apache.kafka.connect.data.Decimal';
const PG = { host: services.postgres.host, port: services.postgres.port, user: 'postgres', password: 'postgres' };
const MY = { host: services.mariadb.host, port: services.mariadb.port, user: 'root', password: 'root' };

const table: TableSchema = { id: { schema: 'bench', table: 'orders' }, version: 1, primaryKey: ['id'], columns: [
  { name: 'id', type: { type: 'int64' }, nullable: false, sourceType: 'bigint' },
  { name: 'customer_id', type: { type: 'int32' }, nullable: false, sourceType: 'int' },
  { name: 'amount', type: { type: 'bytes', logical: DEC, params: { scale: '2', 'connect.decimal.precision': '12' } }, nullable: false, sourceType: 'decimal(12,2)' },
  { name: 'status', type: { type: 'string' }, nullable: false, sourceType: 'varchar(16)' },
  { name: 'note', type: { type: 'string' }, nullable: true, sourceType: 'varchar(120)' },
  { name: 'qty', type: { type: 'int32' }, nullable: false, sourceType: 'int' },
  { name: 'price', type: { type: 'float64' }, nullable: false, sourceType: 'double' },
  { name: 'created_at', type: { type: 'int64', logical: 'io.debezium.time.MicroTimestamp' }, nullable: false, sourceType: 'datetime(6)' },
  { name: 'updated_at', type: { type: 'int64', logical: 'io.debezium.time.MicroTimestamp' }, nullable: false, sourceType: 'datetime(6)' },
  { name: 'flag', type: { type: 'int16' }, nullable: false, sourceType: 'tinyint' },
] };
const STATUSES = ['new', 'paid', 'shipped', 'cancelled'];
const row = (id: number, qty: number) => ({
  id, customer_id: id % 10007, amount: decimalToBytes(((id % 100000) / 100).toFixed(2), 2), status: STATUSES[id % 4],
  note: `note for order ${id} with some padding text to reach a realistic row width`, qty, price: id / 7,
  created_at: 1704067200000000 + id * 1000000, updated_at: 1704067200000000 + qty, flag: id % 2,
});

/** The expected final state: id → qty. */
const expected = new Map<number, number>();

/** Fills the topic; returns the number of change events (without tombstones). */
async function fill(): Promise<number> {
  const t0 = Date.now();
  const chunk = 20000;
  // cdc: a third of the events insert keys, the rest update (80 %) or delete (20 %) keys inserted before.
  const keys = PHASE === 'full-load' ? ROWS : Math.ceil(ROWS / 3);
  let produced = 0;
  let seq = 0;
  const evs: ChangeEvent[] = [];
  const flush = async () => { await produceEvents(evs.splice(0), { prefix, partitions: 1, chunk: 5000 }); };
  const event = (op: 'r' | 'c' | 'u' | 'd', id: number, before: number | null, after: number | null): ChangeEvent => {
    const ts = Date.now();
    const position = binlogPosition({ file: 'mariadb-bin.000001', pos: 4 + Math.floor(seq++ / TX) });
    return { op, key: { id }, before: before === null ? null : row(id, before), after: after === null ? null : row(id, after), tsMs: ts, table,
      source: { connector: 'mariadb', name: prefix, tsMs: ts, snapshot: op === 'r' ? 'true' : 'false', db: 'bench', table: 'orders', position } };
  };
  let rnd = 12345;
  const next = () => (rnd = (rnd * 1103515245 + 12345) % 2147483648) / 2147483648;
  for (let i = 0; i < ROWS; i++) {
    if (PHASE === 'full-load' || i < keys) {
      evs.push(event(PHASE === 'full-load' ? 'r' : 'c', i, null, i % 17));
      expected.set(i, i % 17);
    } else {
      const id = Math.floor(next() * keys);
      const cur = expected.get(id);
      if (cur === undefined) { evs.push(event('c', id, null, 1)); expected.set(id, 1); }
      else if (next() < 0.8) { evs.push(event('u', id, cur, cur + 1)); expected.set(id, cur + 1); }
      else { evs.push(event('d', id, cur, null)); expected.delete(id); }
    }
    produced++;
    if (evs.length >= chunk) await flush();
  }
  await flush();
  console.error(`filled ${produced} events into ${prefix}.bench.orders in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  return produced;
}

interface RunResult { readonly tool: string; readonly rowsPerSecond: number; readonly seconds: number; readonly cpuSeconds: number; readonly cpuPerMillion: number; readonly peakRssMb: number; readonly check: string }

/** A fresh target database per run: Debezium's JDBC sink finds an existing table of the same name in any schema. */
async function createDatabase(name: string): Promise<void> {
  if (TARGET === 'postgres') {
    const c = new pg.Client({ ...PG, database: 'postgres' });
    await c.connect();
    await c.query(`CREATE DATABASE "${name}"`);
    await c.end();
  } else {
    const c = await mysql.createConnection(MY);
    await c.query(`CREATE DATABASE \`${name}\``);
    await c.end();
  }
}

/** count, sum(id), sum(qty) of a target table, against `expected`. */
async function check(where: { db: string; schemaOrDb: string; table: string }): Promise<string> {
  const want = { n: expected.size, ids: 0, qty: 0 };
  for (const [id, qty] of expected) { want.ids += id; want.qty += qty; }
  let got: { n: number; ids: number; qty: number };
  if (TARGET === 'postgres') {
    const c = new pg.Client({ ...PG, database: where.db });
    await c.connect();
    const r = await c.query(`SELECT count(*)::bigint AS n, coalesce(sum(id), 0)::bigint AS ids, coalesce(sum(qty), 0)::bigint AS qty FROM "${where.schemaOrDb}"."${where.table}"`);
    await c.end();
    got = { n: Number(r.rows[0].n), ids: Number(r.rows[0].ids), qty: Number(r.rows[0].qty) };
  } else {
    const c = await mysql.createConnection(MY);
    const [rows] = await c.query(`SELECT count(*) AS n, coalesce(sum(id), 0) AS ids, coalesce(sum(qty), 0) AS qty FROM \`${where.schemaOrDb}\`.\`${where.table}\``);
    await c.end();
    const r = (rows as Record<string, unknown>[])[0]!;
    got = { n: Number(r.n), ids: Number(r.ids), qty: Number(r.qty) };
  }
  const ok = got.n === want.n && got.ids === want.ids && got.qty === want.qty;
  if (!ok) throw new Error(`target ${where.schemaOrDb}.${where.table}: ${JSON.stringify(got)}, expected ${JSON.stringify(want)}`);
  return `ok (${got.n} rows)`;
}

/** Waits until the group's committed offsets reach the topic's end; returns seconds since `started`. */
async function drained(groupId: string, ends: Map<string, bigint>, started: number, alive: () => boolean, healthy: () => Promise<unknown> = async () => undefined): Promise<number> {
  const committed = new Map<string, bigint>();
  for (;;) {
    if (!alive()) throw new Error(`${groupId}: the process exited before it caught up`);
    await healthy(); // throws when the tool reports a failed task
    await addGroupCommits(groupId, committed, ends);
    if (caughtUp(committed, ends)) return (performance.now() - started) / 1000;
    await new Promise((r) => setTimeout(r, 250));
  }
}

async function runFerry(mode: string, ends: Map<string, bigint>, events: number): Promise<RunResult> {
  const db = `${prefix}_ferry_${mode.replace(/-/g, '_')}`;
  const where = { db, schemaOrDb: TARGET === 'postgres' ? 'bench' : db, table: 'orders' };
  if (TARGET === 'postgres') await createDatabase(db);
  const options = TARGET === 'postgres'
    ? { ...PG, database: db, applyMode: mode, maxBatchRecords: Number(args.batch) }
    : { ...MY, database: where.schemaOrDb, applyMode: mode, maxBatchRecords: Number(args.batch) };
  const groupId = `${prefix}-ferry-${mode}`;
  const started = performance.now();
  const child = spawn(process.execPath, [join(import.meta.dirname, 'sink-database-worker.ts'), JSON.stringify({
    brokers: services.brokers, registryUrl: services.registryUrl, prefix, groupId, type: TARGET, options, maxRecords: Number(args.batch),
  })], { stdio: ['ignore', 'ignore', 'inherit'] });
  const seconds = await drained(groupId, ends, started, () => child.exitCode === null && child.signalCode === null);
  const stats: ProcStats = procStats(child.pid!);
  child.kill('SIGTERM');
  await new Promise((r) => child.once('exit', r));
  return { tool: `ferry ${mode}`, rowsPerSecond: Math.round(events / seconds), seconds: Number(seconds.toFixed(1)), cpuSeconds: Number(stats.cpuSeconds.toFixed(1)), cpuPerMillion: Number((stats.cpuSeconds / (events / 1e6)).toFixed(1)), peakRssMb: Math.round(stats.peakRssMb), check: await check(where) };
}

async function runDebezium(ends: Map<string, bigint>, events: number): Promise<RunResult> {
  const db = `${prefix}_dbz`;
  const where = { db, schemaOrDb: TARGET === 'postgres' ? 'public' : db, table: 'orders' };
  await createDatabase(db);
  const url = TARGET === 'postgres' ? `jdbc:postgresql://${PG.host}:${PG.port}/${db}` : `jdbc:mariadb://${MY.host}:${MY.port}/${db}`;
  const name = `${prefix}-jdbc`;
  const started = performance.now();
  const p = startJdbcSink({ name, dir: mkdtempSync(join(tmpdir(), 'ferry-bench-jdbc-')), restPort: 18000 + Math.floor(Math.random() * 1000), topicsRegex: `${prefix}\\.bench\\..*`, url, user: TARGET === 'postgres' ? PG.user : MY.user, password: TARGET === 'postgres' ? PG.password : MY.password, tableNameFormat: '${source.table}', batchSize: 500 });
  let alive = true;
  void p.exited.then(() => { alive = false; });
  const seconds = await drained(`connect-${name}`, ends, started, () => alive, () => p.running());
  const stats = p.stats();
  await p.stop();
  return { tool: 'debezium jdbc 3.5.0', rowsPerSecond: Math.round(events / seconds), seconds: Number(seconds.toFixed(1)), cpuSeconds: Number(stats.cpuSeconds.toFixed(1)), cpuPerMillion: Number((stats.cpuSeconds / (events / 1e6)).toFixed(1)), peakRssMb: Math.round(stats.peakRssMb), check: await check(where) };
}

const events = await fill();
const ends = await endOffsets(`${prefix}.bench.orders`);
const results: RunResult[] = [];
const tools = args.tools.split(',');
if (tools.includes('ferry')) for (const mode of args.modes.split(',')) { results.push(await runFerry(mode, ends, events)); console.error(JSON.stringify(results.at(-1))); }
if (tools.includes('debezium')) { results.push(await runDebezium(ends, events)); console.error(JSON.stringify(results.at(-1))); }

console.log(`\n${TARGET} ${PHASE}: ${events.toLocaleString('en-US')} events (${PHASE === 'cdc' ? `transactions of ${TX}` : 'snapshot reads'}), machine: ${machine()}\n`);
console.log('| tool | rows/s | seconds | CPU-s | CPU-s per 1M | peak RSS MB | target check |\n|---|---|---|---|---|---|---|');
for (const r of results) console.log(`| ${r.tool} | ${r.rowsPerSecond.toLocaleString('en-US')} | ${r.seconds} | ${r.cpuSeconds} | ${r.cpuPerMillion} | ${r.peakRssMb} | ${r.check} |`);
