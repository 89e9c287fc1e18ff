/**
 * Source benchmark: Ferry as a separate process (`ferry run`) against the local MariaDB or PostgreSQL, Kafka and
 * registry, measured from outside.
 *
 *   W1 snapshot      full load of one table (default 1M rows × 10 columns, ~230 B) into Kafka: rows/s
 *   W3 backlog       10 transactions × 100k rows written while Ferry is stopped, then drained: events/s
 *   W5 latency       single-row transactions at a fixed open-loop rate (default 1k/s): p50/p99 commit → Kafka
 *
 * For each: CPU-seconds of the Ferry process (per million events) and its peak RSS.
 * Usage: node bench/source-cdc.ts [--engine mariadb|postgres] [--rows 1000000] [--rate 1000] [--seconds 30] [--only w1,w3,w5] [--record]
 * --record appends the results to bench/RESULTS.md.
 */
import { appendFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { services, uniqueName } from '../test/helpers/services.ts';
import { startFerry as spawnFerry, type FerryProcess } from './lib/ferry-process.ts';
import { machine, percentile } from './lib/process-stats.ts';
import { countRecords, latenciesMs, readChanges } from './lib/topics.ts';
import { fillSql, openDb, type Db } from './lib/workload-db.ts';

const { values: args } = parseArgs({ options: {
  rows: { type: 'string', default: '1000000' }, rate: { type: 'string', default: '1000' }, seconds: { type: 'string', default: '30' },
  only: { type: 'string', default: 'w1,w3,w5' }, engine: { type: 'string', default: 'mariadb' }, record: { type: 'boolean', default: false }, json: { type: 'boolean', default: false },
} });
const ROWS = Number(args.rows);
const RATE = Number(args.rate);
const SECONDS = Number(args.seconds);
const only = new Set(args.only.split(','));
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const dir = mkdtempSync(join(tmpdir(), 'ferry-bench-'));
const db = uniqueName('bench');
const METRICS_PORT = 9471;

const PG = args.engine === 'postgres';
function task(name: string, migrationType: string, tables: string) {
  return {
    name, migrationType,
    source: PG ? { engine: 'postgres', ...services.postgres, user: 'cdc', password: 'cdc', database: 'shop' } : { engine: 'mariadb', ...services.mariadb, user: 'cdc', password: 'cdc' },
    tableMappings: { rules: [{ 'rule-type': 'selection', 'rule-id': '1', 'rule-name': 't', 'rule-action': 'include', 'object-locator': { 'schema-name': db, 'table-name': tables } }] },
    kafka: { brokers: services.brokers, schemaRegistry: services.registryUrl, topicPrefix: name },
    settings: { logLevel: 'warn', stateDir: join(dir, name), offsetStore: 'sqlite', metrics: { port: METRICS_PORT } },
  };
}

interface Result { workload: string; events: number; seconds: number; perSecond: number; cpuSecondsPerMillion: number; peakRssMb: number; p50Ms?: number; p99Ms?: number; note?: string }
const results: Result[] = [];
const children: FerryProcess[] = [];
function startFerry(t: object, d: string, port: number): FerryProcess {
  const f = spawnFerry(t, d, port);
  children.push(f);
  return f;
}

async function waitFor(f: FerryProcess, done: () => Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await done())) {
    if (f.child.exitCode !== null) throw new Error(`ferry exited (${f.child.exitCode}) before ${what}`);
    if (Date.now() > deadline) throw new Error(`timed out: ${what}`);
    f.stats();
    await sleep(50);
  }
}

async function w1(admin: Db): Promise<void> {
  await admin.createTable('snap');
  await admin.fill('snap', 1, ROWS);
  const started = performance.now();
  const f = startFerry(task(`${db}_w1`, 'full-load', 'snap'), dir, METRICS_PORT);
  let firstEventAt = 0;
  while (f.child.exitCode === null) {
    f.stats();
    if (firstEventAt === 0 && (await f.events()) > 0) firstEventAt = performance.now();
    await sleep(100);
  }
  const elapsed = (performance.now() - started) / 1000;
  const sinceFirst = (performance.now() - firstEventAt) / 1000;
  const s = f.stats();
  if ((await f.exited) !== 0) throw new Error('W1: ferry failed');
  const onKafka = await countRecords(`${db}_w1.${db}.snap`);
  if (onKafka !== ROWS) throw new Error(`W1: ${onKafka} records on Kafka, expected ${ROWS}`);
  results.push({ workload: `W1 snapshot ${ROWS} rows`, events: ROWS, seconds: elapsed, perSecond: ROWS / elapsed, cpuSecondsPerMillion: (s.cpuSeconds / ROWS) * 1e6, peakRssMb: s.peakRssMb, note: `${(ROWS / (firstEventAt > 0 ? sinceFirst : elapsed)).toFixed(0)} rows/s after the first event (includes process start otherwise); Kafka count verified` });
}

async function w3(admin: Db): Promise<void> {
  await admin.createTable('backlog');
  const name = `${db}_w3`;
  let f = startFerry(task(name, 'cdc', 'backlog'), dir, METRICS_PORT);
  await waitFor(f, async () => (await f.commits()) >= 1, 60000, 'the start position to be committed');
  await admin.warm('backlog', 1);
  await waitFor(f, async () => (await f.events()) >= 1, 60000, 'the warm-up event');
  await f.stop();
  const N = 10, PER = Math.max(1, Math.floor(ROWS / 10));
  for (let t = 0; t < N; t++) await admin.query(fillSql(admin.engine, `${db}.backlog`, 2 + t * PER, PER)); // each fill is one transaction
  const total = N * PER;
  const started = performance.now();
  f = startFerry(task(name, 'cdc', 'backlog'), dir, METRICS_PORT);
  let first = 0;
  await waitFor(f, async () => { const n = await f.events('c'); if (n > 0 && first === 0) first = performance.now(); return n >= total; }, 600000, 'the backlog');
  const elapsed = (performance.now() - started) / 1000;
  const s = f.stats();
  await f.stop();
  results.push({ workload: `W3 backlog ${N}×${PER}-row transactions`, events: total, seconds: elapsed, perSecond: total / elapsed, cpuSecondsPerMillion: (s.cpuSeconds / total) * 1e6, peakRssMb: s.peakRssMb, note: `${(total / ((performance.now() - first) / 1000)).toFixed(0)} ev/s after the first event` });
}

async function w5(admin: Db): Promise<void> {
  await admin.createTable('oltp');
  const name = `${db}_w5`;
  const f = startFerry(task(name, 'cdc', 'oltp'), dir, METRICS_PORT);
  await waitFor(f, async () => (await f.commits()) >= 1, 60000, 'the start position to be committed');
  await admin.warm('oltp', 1);
  await waitFor(f, async () => (await f.events()) >= 1, 60000, 'the warm-up event');
  const cpu0 = f.stats().cpuSeconds;
  // Open-loop generator: every 10 ms, send the inserts due by now (single-row autocommit transactions), on a pool.
  const pool = admin.writers();
  const total = RATE * SECONDS;
  const t0 = performance.now();
  let sent = 0;
  const inflight: Promise<unknown>[] = [];
  while (sent < total) {
    const due = Math.min(total, Math.floor(((performance.now() - t0) / 1000) * RATE));
    for (; sent < due; sent++) inflight.push(pool.insert('oltp', sent + 10));
    f.stats();
    await sleep(10);
  }
  await Promise.all(inflight);
  await pool.end();
  const achieved = total / ((performance.now() - t0) / 1000);
  await waitFor(f, async () => (await f.events('c')) >= total + 1, 120000, 'all OLTP events');
  const s = f.stats();
  await f.stop();
  // Latency: record CreateTime (set when Ferry produced it) minus the row's updated_at (NOW(6) at commit).
  const latencies = latenciesMs((await readChanges(`${name}.${db}.oltp`)).records, 10);
  results.push({ workload: `W5 ${RATE} single-row tx/s for ${SECONDS} s (achieved ${achieved.toFixed(0)}/s)`, events: total, seconds: SECONDS, perSecond: achieved, cpuSecondsPerMillion: ((s.cpuSeconds - cpu0) / total) * 1e6, peakRssMb: s.peakRssMb, p50Ms: percentile(latencies, 50), p99Ms: percentile(latencies, 99), note: `steady RSS ${s.rssMb.toFixed(0)} MB; ${latencies.length} latencies` });
}

process.on('exit', () => { for (const c of children) c.child.kill('SIGKILL'); });
const admin = await openDb(PG ? 'postgres' : 'mariadb', db);
try {
  if (only.has('w1')) await w1(admin);
  if (only.has('w3')) await w3(admin);
  if (only.has('w5')) await w5(admin);
} finally {
  for (const c of children) if (c.child.exitCode === null) { c.child.kill('SIGKILL'); await c.exited; }
  await admin.close();
}

const when = new Date().toISOString().slice(0, 16).replace('T', ' ');
const lines = [
  `### ${PG ? 'PostgreSQL 15' : 'MariaDB 10.11'} source → Kafka (${when} UTC)`,
  '',
  `Machine: ${machine()}; the database, Kafka 4.1 and Apicurio on the same box. Command: \`node bench/source-cdc.ts --engine ${args.engine} --rows ${ROWS} --rate ${RATE} --seconds ${SECONDS}\``,
  '',
  '| workload | events | seconds | events/s | CPU-s per 1M events | peak RSS MB | p50 ms | p99 ms | notes |',
  '|---|---|---|---|---|---|---|---|---|',
  ...results.map((r) => `| ${r.workload} | ${r.events} | ${r.seconds.toFixed(2)} | ${r.perSecond.toFixed(0)} | ${r.cpuSecondsPerMillion.toFixed(1)} | ${r.peakRssMb.toFixed(0)} | ${r.p50Ms?.toFixed(1) ?? ''} | ${r.p99Ms?.toFixed(1) ?? ''} | ${r.note ?? ''} |`),
  '',
];
if (args.json) console.log(JSON.stringify(results, null, 2));
else console.log(lines.join('\n'));
if (args.record) appendFileSync(join(import.meta.dirname, 'RESULTS.md'), `\n${lines.join('\n')}`);
