/**
 * Database target benchmark (issue 17): how fast a sink drains a pre-filled topic into PostgreSQL or MariaDB,
 * Ferry's relational sinks side by side with Debezium's JDBC sink connector (bench/debezium/fetch.sh jdbc) on the same
 * topic and the same target server.
 *
 *   full-load  N snapshot reads (op r) of a 10-column table (default 1M);
 *   cdc        M changes (default 500k): inserts of new keys, then updates and deletes of them, in transactions of
 *              --tx-size events (default 10; one binlog position per transaction).
 *   latency    each tool runs while transactions of --tx-size inserts (default 1) are produced at --rate per second
 *              (default 1000) for --seconds (default 30); p50/p99/max end to end, from the producer's clock (the
 *              event's updated_at, set when the write to Kafka starts) to a row trigger's clock_timestamp() in the
 *              target (ENABLE ALWAYS on PostgreSQL, so the sinks' session_replication_role = replica keeps it on). The
 *              trigger fires when the row is written, a few ms before its transaction commits.
 *
 * Each tool drains the topic into its own fresh schema (PostgreSQL) or database (MariaDB) as its own process: Ferry's
 * sink worker (bench/sink-database-worker.ts, the sink built by the plugin registry as `ferry sink` does) in each
 * --modes apply mode, Debezium's JDBC sink under Kafka Connect standalone (upsert, deletes, record_key). Reported per
 * run: rows/s (process start → caught up), CPU-seconds and CPU-s per 1M events, peak RSS; afterwards the target
 * table is checked against the expected final state (row count, sum of ids, sum of qty), then row by row, every column
 * (bench/lib/target-rows.ts).
 *
 * Usage: node bench/sink-database.ts [--target postgres|mysql] [--phase full-load|cdc|latency] [--rows N] [--tx-size N]
 *        [--tools ferry,debezium] [--modes batch-optimized,transactional] [--batch 25000 full load, else 50000] [--max-delay MS (Ferry's
 *        maxBatchDelayMs)] [--rate 1000] [--seconds 30] [--keep (keep the target databases)]
 *        [--tables N (full-load/cdc: rows over N tables)] [--consumers N (Ferry's consumers)]
 *        [--prefix P --reuse (the topic P holds this workload already: skip filling)] [--cpu-prof DIR (Ferry's worker)]
 *        [--node-args='--flag …' (Node options of Ferry's worker, e.g. V8 heap flags)]
 *        [--compression none|lz4|zstd (the filled topic's codec; default none, as Ferry's source writes by default)]
 * BENCH_COMMITS=1 prints each commit of Ferry's worker (records, ms since its start) and each poll of the group's offsets.
 * Throughput is timed from the tool's process start (its fresh target database is created before) until the group's
 * committed offsets reach the topic's end, polled every 100 ms with one admin client.
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
import { caughtUp, endOffsets, produceEvents, services, uniqueName } from '../test/helpers/sink-kit/services.ts';
import { startJdbcSink } from './debezium/connect.ts';
import { compareTargetRows } from './lib/target-rows.ts';
import { machine, percentile, procStats, type ProcStats } from './lib/process-stats.ts';
import { createAdmin, createProducer } from '../runtime/src/kafka/kafka-client.ts';
import { KafkaEventSink } from '../runtime/src/kafka/KafkaEventSink.ts';
import { createLogger } from '../runtime/src/log/logger.ts';
import { PromMetrics } from '../runtime/src/metrics/metrics.ts';
import { ConfluentRegistryClient } from '../schemas/src/ConfluentRegistryClient.ts';

const { values: args } = parseArgs({ options: {
  target: { type: 'string', default: 'postgres' }, phase: { type: 'string', default: 'full-load' }, rows: { type: 'string' },
  'tx-size': { type: 'string' }, tools: { type: 'string', default: 'ferry,debezium' },
  modes: { type: 'string', default: 'batch-optimized,transactional' }, batch: { type: 'string' },
  prefix: { type: 'string' }, reuse: { type: 'boolean', default: false }, 'cpu-prof': { type: 'string' }, keep: { type: 'boolean', default: false },
  rate: { type: 'string', default: '1000' }, seconds: { type: 'string', default: '30' }, 'max-delay': { type: 'string' },
  tables: { type: 'string', default: '1' }, consumers: { type: 'string', default: '1' }, 'node-args': { type: 'string' },
  compression: { type: 'string', default: 'none' },
} });
/** The topic's compression: Ferry's source writes `none` by default (settings.kafka.compression); lz4 costs the consumer its decompression. */
const COMPRESSION = args.compression as 'none' | 'lz4' | 'zstd';
/** full-load / cdc: the rows spread over this many tables (bench.orders_0…, key i in table i % TABLES); 1: bench.orders. */
const TABLES = Number(args.tables);
/** Ferry's `consumers` (sink workers with their own connection, one consumer group). */
const CONSUMERS = Number(args.consumers);
const tableName = (k: number): string => (TABLES === 1 ? 'orders' : `orders_${k}`);
const TARGET = args.target as 'postgres' | 'mysql';
const PHASE = args.phase as 'full-load' | 'cdc' | 'latency';
const ROWS = Number(args.rows ?? (PHASE === 'full-load' ? 1_000_000 : 500_000));
const TX = Number(args['tx-size'] ?? (PHASE === 'latency' ? 1 : 10));
/** Ferry's batch: 25,000 for a full load (fewer records alive across young-generation collections), else the sinks' default. */
const BATCH = Number(args.batch ?? (PHASE === 'full-load' ? 25_000 : 50_000));
const prefix = args.prefix ?? uniqueName('benchdb');
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
const tables: TableSchema[] = Array.from({ length: TABLES }, (_, k) => (TABLES === 1 ? table : { ...table, id: { schema: 'bench', table: tableName(k) } }));
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
  const flush = async () => {
    if (args.reuse) evs.length = 0; // --reuse: the topic holds these events already (same generator, same sizes)
    else await produceEvents(evs.splice(0), { prefix, partitions: 1, chunk: 5000, compression: COMPRESSION });
  };
  const event = (op: 'r' | 'c' | 'u' | 'd', id: number, before: number | null, after: number | null): ChangeEvent => {
    const ts = Date.now();
    const position = binlogPosition({ file: 'mariadb-bin.000001', pos: 4 + Math.floor(seq++ / TX) });
    const t = tables[id % TABLES]!;
    return { op, key: { id }, before: before === null ? null : row(id, before), after: after === null ? null : row(id, after), tsMs: ts, table: t,
      source: { connector: 'mariadb', name: prefix, tsMs: ts, snapshot: op === 'r' ? 'true' : 'false', db: 'bench', table: t.id.table, position } };
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
  console.error(`filled ${produced} events into ${TABLES === 1 ? `${prefix}.bench.orders` : `${TABLES} topics ${prefix}.bench.orders_*`} in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  return produced;
}

interface RunResult { readonly tool: string; readonly rowsPerSecond: number; readonly seconds: number; readonly cpuSeconds: number; readonly cpuPerMillion: number; readonly peakRssMb: number; readonly check: string }

/** A fresh target database per run (dropped first when --reuse runs again under the same prefix). */
async function createDatabase(name: string, create = true): Promise<void> {
  if (TARGET === 'postgres') {
    const c = new pg.Client({ ...PG, database: 'postgres' });
    await c.connect();
    await c.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
    if (create) await c.query(`CREATE DATABASE "${name}"`);
    await c.end();
  } else {
    const c = await mysql.createConnection(MY);
    await c.query(`DROP DATABASE IF EXISTS \`${name}\``);
    if (create) await c.query(`CREATE DATABASE \`${name}\``);
    await c.end();
  }
}

/** Distinguishes the consumer groups of runs that reuse a topic. */
const RUN = Date.now().toString(36);

/** count, sum(id), sum(qty) of the target tables (summed), against `expected`. */
async function check(where: { db: string; schemaOrDb: string; table: string; tables?: readonly string[] }): Promise<string> {
  const want = { n: expected.size, ids: 0, qty: 0 };
  for (const [id, qty] of expected) { want.ids += id; want.qty += qty; }
  const got = { n: 0, ids: 0, qty: 0 };
  for (const t of where.tables ?? [where.table]) {
    const one = await checkOne({ ...where, table: t });
    got.n += one.n;
    got.ids += one.ids;
    got.qty += one.qty;
  }
  const ok = got.n === want.n && got.ids === want.ids && got.qty === want.qty;
  if (!ok) throw new Error(`target ${where.schemaOrDb}.${(where.tables ?? [where.table]).join(',')}: ${JSON.stringify(got)}, expected ${JSON.stringify(want)}`);
  // Then every column of every row (bench/lib/target-rows.ts): the aggregates above could hide a wrong value.
  const rows = await compareTargetRows({ target: TARGET, connection: { ...(TARGET === 'postgres' ? PG : MY), database: where.db }, schemaOrDb: where.schemaOrDb,
    tables: where.tables ?? [where.table], table, expectedKeys: () => expected.keys(), expectedRow: (id) => { const q = expected.get(id); return q === undefined ? undefined : row(id, q); } });
  return `ok (${got.n} rows${where.tables && where.tables.length > 1 ? ` in ${where.tables.length} tables` : ''}; ${rows})`;
}

async function checkOne(where: { db: string; schemaOrDb: string; table: string }): Promise<{ n: number; ids: number; qty: number }> {
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
  return got;
}

/** Waits until the group's committed offsets reach the topic's end; returns seconds since `started`. */
async function drained(groupId: string, ends: Map<string, bigint>, started: number, alive: () => boolean, healthy: () => Promise<unknown> = async () => undefined): Promise<number> {
  const committed = new Map<string, bigint>();
  // One admin client for the whole wait, polled every 100 ms: a client per poll (addGroupCommits) took 0.3–0.9 s of
  // the measured time at the end of a 10 s run on this loaded box, and CPU next to the tool measured.
  const admin = createAdmin({ brokers: services.brokers, clientId: 'ferry-bench-commits' });
  try {
    for (;;) {
      if (!alive()) throw new Error(`${groupId}: the process exited before it caught up`);
      await healthy(); // throws when the tool reports a failed task
      for (const key of ends.keys()) {
        const slash = key.lastIndexOf('/');
        const offset = (await admin.committedOffsets([groupId], key.slice(0, slash), Number(key.slice(slash + 1)))).get(groupId) ?? -1n;
        if (offset > (committed.get(key) ?? -1n)) committed.set(key, offset);
      }
      if (process.env.BENCH_COMMITS) process.stderr.write(`poll ${Math.round(performance.now() - started)} ${[...committed.values()].join(',')}\n`);
      if (caughtUp(committed, ends)) return (performance.now() - started) / 1000;
      await new Promise((r) => setTimeout(r, 100));
    }
  } finally {
    await admin.close();
  }
}

/** A running tool: the consumer group it commits as, whether it still runs, and how to stop it. */
interface Running {
  readonly groupId: string;
  readonly where: { db: string; schemaOrDb: string; table: string; tables?: readonly string[] };
  alive(): boolean;
  healthy(): Promise<unknown>;
  stats(): ProcStats;
  stop(): Promise<void>;
  firstCommitMs(): number | null;
  /** performance.now() when the tool's process was started (after its target database was created). */
  readonly started: number;
}

/** Ferry's sink worker (bench/sink-database-worker.ts) on `topicPrefix`, into a fresh database. */
async function startFerry(mode: string, topicPrefix: string, tag: string): Promise<Running> {
  const db = `${prefix}_ferry_${tag}`;
  const where = { db, schemaOrDb: TARGET === 'postgres' ? 'bench' : db, table: 'orders', tables: tables.map((t) => t.id.table) };
  await createDatabase(db, TARGET === 'postgres');
  const tuning = { applyMode: mode, maxBatchRecords: BATCH, ...(args['max-delay'] ? { maxBatchDelayMs: Number(args['max-delay']) } : {}) };
  const options = TARGET === 'postgres' ? { ...PG, database: db, ...tuning } : { ...MY, database: db, ...tuning };
  const groupId = `${topicPrefix}-ferry-${mode}-${RUN}`;
  const prof = [...(args['cpu-prof'] ? ['--cpu-prof', '--cpu-prof-dir', args['cpu-prof']] : []), ...(args['node-args']?.split(' ').filter(Boolean) ?? [])];
  const started = performance.now();
  const child = spawn(process.execPath, [...prof, join(import.meta.dirname, 'sink-database-worker.ts'), JSON.stringify({
    brokers: services.brokers, registryUrl: services.registryUrl, prefix: topicPrefix, groupId, type: TARGET, options, maxRecords: BATCH, consumers: CONSUMERS,
  })], { stdio: ['ignore', 'pipe', 'inherit'] });
  // The worker prints `commit <records> <ms since its start>` per batch: the first one shows the start-up cost.
  let first: number | null = null;
  child.stdout.setEncoding('utf8').on('data', (d: string) => {
    const m = /commit \d+ (\d+)/.exec(d);
    if (m && first === null) first = Number(m[1]);
    if (process.env.BENCH_COMMITS) process.stderr.write(d);
  });
  return {
    groupId, where, alive: () => child.exitCode === null && child.signalCode === null, healthy: async () => undefined,
    stats: () => procStats(child.pid!), firstCommitMs: () => first, started,
    stop: async () => {
      child.kill('SIGTERM');
      if (child.exitCode === null && child.signalCode === null) await new Promise((r) => child.once('exit', r));
    },
  };
}

/**
 * Debezium's JDBC sink under Connect standalone on `topicPrefix`, into a fresh database. Its table gets a name of its
 * own (`orders_dbz_<run>`): the sink's metadata lookup finds a table of the same name in any database of the server.
 */
async function startDebezium(topicPrefix: string, tag: string): Promise<Running> {
  const db = `${prefix}_dbz_${tag}`;
  const tableName = `orders_dbz_${RUN}`;
  const where = { db, schemaOrDb: TARGET === 'postgres' ? 'public' : db, table: tableName };
  await createDatabase(db);
  const url = TARGET === 'postgres' ? `jdbc:postgresql://${PG.host}:${PG.port}/${db}` : `jdbc:mariadb://${MY.host}:${MY.port}/${db}`;
  const name = `${topicPrefix}-jdbc-${RUN}`;
  const started = performance.now();
  const p = startJdbcSink({
    name, dir: mkdtempSync(join(tmpdir(), 'ferry-bench-jdbc-')), restPort: 18000 + Math.floor(Math.random() * 1000), topicsRegex: `${topicPrefix.replace(/\./g, '\\.')}\\.bench\\..*`,
    url, user: TARGET === 'postgres' ? PG.user : MY.user, password: TARGET === 'postgres' ? PG.password : MY.password, tableNameFormat: tableName, batchSize: 500,
  });
  let alive = true;
  void p.exited.then(() => { alive = false; });
  return { groupId: `connect-${name}`, where, alive: () => alive, healthy: () => p.running(), stats: () => p.stats(), stop: async () => { await p.stop(); }, firstCommitMs: () => null, started };
}

async function finish(r: Running, tool: string, events: number, seconds: number): Promise<RunResult> {
  const stats = r.stats();
  await r.stop();
  const result = { tool, rowsPerSecond: Math.round(events / seconds), seconds: Number(seconds.toFixed(1)), cpuSeconds: Number(stats.cpuSeconds.toFixed(1)), cpuPerMillion: Number((stats.cpuSeconds / (events / 1e6)).toFixed(1)), peakRssMb: Math.round(stats.peakRssMb), check: await check(r.where) };
  if (!args.keep) await createDatabase(r.where.db, false);
  return result;
}

async function runThroughput(tool: 'ferry' | 'debezium', mode: string, ends: Map<string, bigint>, events: number): Promise<RunResult> {
  // Timed from the tool's process start (its target database is created before), as bench/RESULTS.md describes.
  const r = tool === 'ferry' ? await startFerry(mode, prefix, mode.replace(/-/g, '_')) : await startDebezium(prefix, 't');
  const seconds = await drained(r.groupId, ends, r.started, r.alive, r.healthy);
  if (tool === 'ferry') console.error(`ferry ${mode}: first batch committed ${r.firstCommitMs()} ms after the worker started; caught up after ${(seconds * 1000).toFixed(0)} ms`);
  return finish(r, tool === 'ferry' ? `ferry ${mode}` : 'debezium jdbc 3.5.0', events, seconds);
}

// ---------------------------------------------------------------------------------------------------------- latency

interface LatencyResult { readonly tool: string; readonly txPerSecond: number; readonly rows: number; readonly p50: number; readonly p99: number; readonly max: number; readonly cpuSeconds: number; readonly peakRssMb: number }

/** µs since the epoch, on the clock the database's clock_timestamp() reads (same host). */
const nowMicros = (): number => Math.round((performance.timeOrigin + performance.now()) * 1000);

/**
 * The target table records when each row became visible: a seen_at column set by a row trigger to the server's
 * clock_timestamp() (UTC). On PostgreSQL the trigger is ENABLE ALWAYS, so it fires under the sinks'
 * session_replication_role = replica too.
 */
async function addSeenTrigger(where: Running['where']): Promise<void> {
  if (TARGET === 'postgres') {
    const c = new pg.Client({ ...PG, database: where.db });
    await c.connect();
    const t = `"${where.schemaOrDb}"."${where.table}"`;
    await c.query(`ALTER TABLE ${t} ADD COLUMN seen_at timestamp(6);
      CREATE FUNCTION "${where.schemaOrDb}".bench_seen() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN NEW.seen_at := clock_timestamp() AT TIME ZONE 'UTC'; RETURN NEW; END $$;
      CREATE TRIGGER bench_seen BEFORE INSERT OR UPDATE ON ${t} FOR EACH ROW EXECUTE FUNCTION "${where.schemaOrDb}".bench_seen();
      ALTER TABLE ${t} ENABLE ALWAYS TRIGGER bench_seen`);
    await c.end();
  } else {
    const c = await mysql.createConnection({ ...MY, database: where.db });
    const t = `\`${where.table}\``;
    await c.query(`ALTER TABLE ${t} ADD COLUMN seen_at DATETIME(6) NULL`);
    await c.query(`CREATE TRIGGER bench_seen_i BEFORE INSERT ON ${t} FOR EACH ROW SET NEW.seen_at = UTC_TIMESTAMP(6)`);
    await c.query(`CREATE TRIGGER bench_seen_u BEFORE UPDATE ON ${t} FOR EACH ROW SET NEW.seen_at = UTC_TIMESTAMP(6)`);
    await c.end();
  }
}

/** seen_at − updated_at (the producer's clock when it handed the change to Kafka), in ms, of rows with id ≥ fromId. */
async function latencies(where: Running['where'], fromId: number): Promise<number[]> {
  let rows: { us: string | number }[];
  if (TARGET === 'postgres') {
    const c = new pg.Client({ ...PG, database: where.db });
    await c.connect();
    rows = (await c.query(`SELECT (extract(epoch FROM seen_at - updated_at) * 1000000)::bigint AS us FROM "${where.schemaOrDb}"."${where.table}" WHERE id >= $1`, [fromId])).rows;
    await c.end();
  } else {
    const c = await mysql.createConnection({ ...MY, database: where.db });
    rows = (await c.query(`SELECT TIMESTAMPDIFF(MICROSECOND, updated_at, seen_at) AS us FROM \`${where.table}\` WHERE id >= ?`, [fromId]))[0] as { us: number }[];
    await c.end();
  }
  return rows.map((r) => Number(r.us) / 1000).sort((a, b) => a - b);
}

/**
 * One tool under paced CDC: a seed of SEED inserts creates the table, the trigger is added, then transactions of
 * --tx-size inserts of new keys are produced at --rate per second for --seconds (each event's updated_at = the
 * producer's clock when the write to Kafka started), and the latency of every row is read back once the tool caught up.
 */
async function runLatency(tool: 'ferry' | 'debezium', mode: string, n: number): Promise<LatencyResult> {
  const SEED = 1000;
  const rate = Number(args.rate);
  const seconds = Number(args.seconds);
  const topicPrefix = `${prefix}l${n}`;
  const clientId = `ferry-bench-${topicPrefix}`;
  const sink = new KafkaEventSink({
    producer: createProducer({ brokers: services.brokers, clientId, compression: 'lz4' }), admin: createAdmin({ brokers: services.brokers, clientId }),
    registry: new ConfluentRegistryClient({ url: services.registryUrl }), connector: 'mariadb', topicPrefix, partitions: 1, replicationFactor: 1, tombstonesOnDelete: true,
    metrics: new PromMetrics({ collectProcessMetrics: false }),
  });
  const wctx = { signal: new AbortController().signal, log: createLogger({ level: 'warn' }), metrics: new PromMetrics({ collectProcessMetrics: false }) };
  let pos = 4;
  const insert = (id: number, ts: number): ChangeEvent => ({
    op: 'c', key: { id }, before: null, after: { ...row(id, 1), updated_at: ts }, tsMs: Math.floor(ts / 1000), table,
    source: { connector: 'mariadb', name: topicPrefix, tsMs: Math.floor(ts / 1000), snapshot: 'false', db: 'bench', table: 'orders', position: binlogPosition({ file: 'mariadb-bin.000001', pos }) },
  });
  let r: Running | undefined;
  try {
    const seed: ChangeEvent[] = [];
    for (let i = 0; i < SEED; i++) {
      if (i % TX === 0) pos += 100;
      seed.push(insert(i, nowMicros()));
    }
    await sink.write(seed, wctx);
    r = tool === 'ferry' ? await startFerry(mode, topicPrefix, `lat_${mode.replace(/-/g, '_')}`) : await startDebezium(topicPrefix, 'lat');
    await drained(r.groupId, await endOffsets(`${topicPrefix}.bench.orders`), performance.now(), r.alive, r.healthy);
    await addSeenTrigger(r.where);
    const cpu0 = r.stats().cpuSeconds;
    // Paced production: every 5 ms, the transactions due by now, in one produce call.
    const t0 = performance.now();
    let txs = 0;
    let id = SEED;
    while (performance.now() - t0 < seconds * 1000) {
      const due = Math.floor(((performance.now() - t0) / 1000) * rate);
      if (due > txs) {
        const ts = nowMicros();
        const evs: ChangeEvent[] = [];
        for (; txs < due; txs++) {
          pos += 100;
          for (let k = 0; k < TX; k++) evs.push(insert(id++, ts));
        }
        await sink.write(evs, wctx);
      }
      await new Promise((res) => setTimeout(res, 5));
    }
    const achieved = txs / ((performance.now() - t0) / 1000);
    await drained(r.groupId, await endOffsets(`${topicPrefix}.bench.orders`), performance.now(), r.alive, r.healthy);
    const ms = await latencies(r.where, SEED);
    if (ms.length !== id - SEED) throw new Error(`${tool} ${mode}: ${ms.length} rows arrived of ${id - SEED}`);
    const stats = r.stats();
    const pct = (p: number) => Number(percentile(ms, p).toFixed(1));
    return { tool: tool === 'ferry' ? `ferry ${mode}` : 'debezium jdbc 3.5.0', txPerSecond: Math.round(achieved), rows: ms.length, p50: pct(50), p99: pct(99), max: Number(ms.at(-1)!.toFixed(1)), cpuSeconds: Number((stats.cpuSeconds - cpu0).toFixed(1)), peakRssMb: Math.round(stats.peakRssMb) };
  } finally {
    await r?.stop();
    if (r && !args.keep) await createDatabase(r.where.db, false);
    await sink.close();
  }
}

const tools = args.tools.split(',');
const modes = args.modes.split(',');
if (PHASE === 'latency') {
  const out: LatencyResult[] = [];
  let n = 0;
  if (tools.includes('ferry')) for (const mode of modes) { out.push(await runLatency('ferry', mode, n++)); console.error(JSON.stringify(out.at(-1))); }
  if (tools.includes('debezium')) { out.push(await runLatency('debezium', '', n)); console.error(JSON.stringify(out.at(-1))); }
  console.log(`\n${TARGET} latency: ${args.rate} tx/s of ${TX} insert${TX === 1 ? '' : 's'} for ${args.seconds} s, end to end (producer clock → row trigger in the target), machine: ${machine()}${args['max-delay'] ? `, Ferry maxBatchDelayMs ${args['max-delay']}` : ''}\n`);
  console.log('| tool | tx/s produced | rows | p50 ms | p99 ms | max ms | CPU-s during the paced load | peak RSS MB |\n|---|---|---|---|---|---|---|---|');
  for (const x of out) console.log(`| ${x.tool} | ${x.txPerSecond.toLocaleString('en-US')} | ${x.rows.toLocaleString('en-US')} | ${x.p50} | ${x.p99} | ${x.max} | ${x.cpuSeconds} | ${x.peakRssMb} |`);
} else {
  const events = await fill();
  const ends = new Map<string, bigint>();
  for (const t of tables) for (const [k, v] of await endOffsets(`${prefix}.bench.${t.id.table}`)) ends.set(k, v);
  const results: RunResult[] = [];
  if (tools.includes('ferry')) for (const mode of modes) { results.push(await runThroughput('ferry', mode, ends, events)); console.error(JSON.stringify(results.at(-1))); }
  if (tools.includes('debezium')) { results.push(await runThroughput('debezium', '', ends, events)); console.error(JSON.stringify(results.at(-1))); }
  console.log(`\n${TARGET} ${PHASE}: ${events.toLocaleString('en-US')} events (${PHASE === 'cdc' ? `transactions of ${TX}` : 'snapshot reads'})${TABLES > 1 ? ` over ${TABLES} tables` : ''}, batch ${BATCH}, Ferry consumers ${CONSUMERS}, machine: ${machine()}\n`);
  console.log('| tool | rows/s | seconds | CPU-s | CPU-s per 1M | peak RSS MB | target check |\n|---|---|---|---|---|---|---|');
  for (const r of results) console.log(`| ${r.tool} | ${r.rowsPerSecond.toLocaleString('en-US')} | ${r.seconds} | ${r.cpuSeconds} | ${r.cpuPerMillion} | ${r.peakRssMb} | ${r.check} |`);
}
