/**
 * Sink scale-out (issue 23): does draining one topic get faster with more `ferry sink` workers in the group?
 *
 *   1. fill: --rows change events (bench/lib/orders-topic.ts) into one topic of --partitions partitions;
 *   2. for each count in --workers (default 1,2,4): that many `ferry sink <task-file>` processes (bin/ferry.js, as a
 *      user runs them) with the same task file, so one consumer group (`ferry-sink-<task>-lake`, a fresh task name per
 *      count), writing the Parquet lake into a local folder, until the group's committed offsets reach the end of
 *      every partition; then SIGTERM (graceful: commit, leave the group).
 * The target is the Parquet lake because its cost is Ferry's own CPU (decode, column building, DuckDB's Parquet
 * encoding, in the worker process): with PostgreSQL much of the work is the database's, on the same two cores.
 * Reported per count: rows/s (first commit → last commit, and start of the processes → last commit), CPU-seconds of
 * all the workers, their start-up part (until each one's /readyz says it joined the group), and per 1M rows without it, peak RSS of the largest worker and of all together, and a check that the files
 * hold exactly the topic: every (partition, offset) of every partition, every id once, the sum of qty; duplicates
 * (rows written twice around a rebalance, which at-least-once allows and readers dedupe on partition and offset) are
 * counted and shown.
 *
 * Usage: scripts/node bench/sink-scale-out.ts [--rows 2000000] [--partitions 8] [--workers 1,2,4] [--batch 50000]
 *        [--reuse <prefix>] [--keep]
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { DuckDBInstance } from '@duckdb/node-api';
import { createAdmin } from '../runtime/src/kafka/kafka-client.ts';
import { addGroupCommits, caughtUp, endOffsets, services, uniqueName } from '../test/helpers/sink-kit/services.ts';
import { freePort } from '../test/helpers/services.ts';
import { fillOrders } from './lib/orders-topic.ts';
import { machine, nextStats, type ProcStats } from './lib/process-stats.ts';

const { values: args } = parseArgs({ options: {
  rows: { type: 'string', default: '2000000' }, partitions: { type: 'string', default: '8' }, workers: { type: 'string', default: '1,2,4' },
  batch: { type: 'string', default: '50000' }, reuse: { type: 'string' }, keep: { type: 'boolean', default: false },
} });
const ROWS = Number(args.rows);
const PARTITIONS = Number(args.partitions);
const COUNTS = args.workers.split(',').map(Number);
const ROOT = join(import.meta.dirname, '..');
const prefix = args.reuse ?? uniqueName('benchscale');
const topic = `${prefix}.bench.orders`;
const work = mkdtempSync(join(tmpdir(), 'ferry-bench-scale-'));

interface Run {
  workers: number; rows: number; rowsPerSecondSteady: number; rowsPerSecondWall: number; wallSeconds: number;
  /** All the workers' CPU; per 1M rows without their start-up (process start until the group was joined). */
  cpuSeconds: number; cpuSecondsPerMillion: number; startupCpuSeconds: number; peakRssMbMax: number; peakRssMbSum: number;
  rowsInFiles: number; duplicates: number;
}

/** The task file of one worker: the same task (so the same group) for all, each with its own metrics port. */
function taskFile(name: string, location: string, metricsPort: number): string {
  const file = join(work, `${name}-${metricsPort}.json`);
  writeFileSync(file, JSON.stringify({
    name,
    // A task file names its source; `ferry sink` does not connect to it.
    source: { engine: 'mariadb', host: '127.0.0.1', user: 'bench', password: 'not-used-by-ferry-sink', database: 'bench' },
    migrationType: 'cdc',
    tableMappings: { rules: [{ 'rule-type': 'selection', 'rule-id': '1', 'rule-name': 'all', 'rule-action': 'include', 'object-locator': { 'schema-name': 'bench', 'table-name': '%' } }] },
    kafka: { brokers: [...services.brokers], schemaRegistry: services.registryUrl, topicPrefix: prefix },
    targets: [{ type: 'parquet', name: 'lake', location, partitioning: { by: 'none' }, maxFileRows: Number(args.batch), maxFileAgeMs: 2000 }],
    settings: { metrics: { host: '127.0.0.1', port: metricsPort }, logLevel: 'warn', stateDir: join(work, `${name}-state`) },
  }));
  return file;
}

async function exact(location: string, ends: ReadonlyMap<string, bigint>): Promise<{ rowsInFiles: number; duplicates: number }> {
  const inst = await DuckDBInstance.create(':memory:');
  const c = await inst.connect();
  try {
    const q = async (sql: string) => (await c.runAndReadAll(sql)).getRows();
    const files = `read_parquet('${location}/**/*.parquet')`;
    const [total] = await q(`SELECT count(*) FROM ${files}`);
    // One row per (partition, offset): what a reader of the lake sees after deduplication.
    const dedup = `(SELECT DISTINCT ON (_kafka_partition, _kafka_offset) * FROM ${files})`;
    const [positions, ids, idSum, qtySum, minId, maxId] = (await q(`SELECT count(*), count(DISTINCT id), sum(id)::BIGINT, sum(qty)::BIGINT, min(id), max(id) FROM ${dedup}`))[0]!.map((v) => BigInt(v as bigint));
    const perPartition = new Map((await q(`SELECT _kafka_partition, count(DISTINCT _kafka_offset), min(_kafka_offset), max(_kafka_offset) FROM ${files} GROUP BY 1`)).map((r) => [Number(r[0]), r.slice(1).map(Number)]));
    const problems: string[] = [];
    const n = BigInt(ROWS);
    if (positions !== n) problems.push(`${positions} distinct (partition, offset), expected ${ROWS}`);
    if (ids !== n || minId !== 0n || maxId !== n - 1n) problems.push(`ids: ${ids} distinct in [${minId}, ${maxId}], expected 0 … ${ROWS - 1} once each`);
    if (idSum !== (n * (n - 1n)) / 2n) problems.push(`sum(id) ${idSum}, expected ${(n * (n - 1n)) / 2n}`);
    let qty = 0n;
    for (let j = 0; j < ROWS; j++) qty += BigInt(j % 17);
    if (qtySum !== qty) problems.push(`sum(qty) ${qtySum}, expected ${qty}`);
    for (const [key, end] of ends) {
      const p = Number(key.slice(key.lastIndexOf('/') + 1));
      const [count, min, max] = perPartition.get(p) ?? [0, -1, -1];
      if (count !== Number(end) || (end > 0n && (min !== 0 || max !== Number(end) - 1))) problems.push(`partition ${p}: ${count} offsets in [${min}, ${max}], expected 0 … ${end - 1n}`);
    }
    if (problems.length > 0) throw new Error(`the lake does not hold exactly the topic:\n  ${problems.join('\n  ')}`);
    return { rowsInFiles: Number(total![0]), duplicates: Number(total![0]) - ROWS };
  } finally {
    c.closeSync();
    inst.closeSync();
  }
}

async function runWith(count: number, ends: ReadonlyMap<string, bigint>): Promise<Run> {
  const name = `${prefix.replace(/[^a-z0-9]/gi, '')}w${count}`;
  const location = join(work, `lake-${count}`);
  mkdirSync(location, { recursive: true });
  const group = `ferry-sink-${name}-lake`;
  const started = performance.now();
  const children: ChildProcess[] = [];
  const stats: ProcStats[] = [];
  const ports: number[] = [];
  /** CPU-seconds of each worker when its /readyz first answered 200 (its consumer joined the group): start-up. */
  const startupCpu: (number | undefined)[] = [];
  for (let i = 0; i < count; i++) {
    ports.push(await freePort());
    children.push(spawn(process.execPath, [join(ROOT, 'bin', 'ferry.js'), 'sink', taskFile(name, location, ports[i]!)], { stdio: ['ignore', 'ignore', 'inherit'], env: { ...process.env, FERRY_LOG_LEVEL: 'warn' } }));
    stats.push({ cpuSeconds: 0, peakRssMb: 0, rssMb: 0 });
  }
  const committed = new Map<string, bigint>();
  let firstCommitMs = 0;
  let firstCommitRows = 0;
  let lastCommitMs = 0;
  const sum = () => Number([...committed.values()].reduce((a, b) => a + (b > 0n ? b : 0n), 0n));
  for (;;) {
    for (const [i, c] of children.entries()) {
      if (c.exitCode !== null || c.signalCode !== null) throw new Error(`ferry sink worker ${i + 1} of ${count} exited with ${c.exitCode ?? c.signalCode}`);
      stats[i] = nextStats(c.pid!, stats[i]!);
      if (startupCpu[i] === undefined && (await fetch(`http://127.0.0.1:${ports[i]}/readyz`).then((r) => r.ok, () => false))) startupCpu[i] = stats[i]!.cpuSeconds;
    }
    const before = sum();
    await addGroupCommits(group, committed, ends);
    const now = performance.now() - started;
    if (sum() > before) {
      if (firstCommitMs === 0) { firstCommitMs = now; firstCommitRows = sum(); }
      lastCommitMs = now;
    }
    if (caughtUp(committed, ends)) break;
    await new Promise((r) => setTimeout(r, 200));
  }
  for (const [i, c] of children.entries()) stats[i] = nextStats(c.pid!, stats[i]!);
  await Promise.all(children.map((c) => new Promise((r) => { c.once('exit', r); c.kill('SIGTERM'); })));
  const { rowsInFiles, duplicates } = await exact(location, ends);
  if (!args.keep) rmSync(location, { recursive: true, force: true });
  const cpu = stats.reduce((a, s) => a + s.cpuSeconds, 0);
  const startup = startupCpu.reduce<number>((a, s) => a + (s ?? 0), 0);
  // The first poll that sees a commit already includes that commit's rows: the steady rate counts from it.
  const steady = firstCommitRows < ROWS && lastCommitMs > firstCommitMs ? (ROWS - firstCommitRows) / ((lastCommitMs - firstCommitMs) / 1000) : NaN;
  return {
    workers: count, rows: ROWS, rowsPerSecondSteady: Math.round(steady), rowsPerSecondWall: Math.round(ROWS / (lastCommitMs / 1000)), wallSeconds: Number((lastCommitMs / 1000).toFixed(2)),
    cpuSeconds: Number(cpu.toFixed(2)), cpuSecondsPerMillion: Number(((cpu - startup) / (ROWS / 1e6)).toFixed(2)), startupCpuSeconds: Number(startup.toFixed(2)),
    peakRssMbMax: Math.round(Math.max(...stats.map((s) => s.peakRssMb))), peakRssMbSum: Math.round(stats.reduce((a, s) => a + s.peakRssMb, 0)),
    rowsInFiles, duplicates,
  };
}

try {
  if (!args.reuse) await fillOrders(prefix, ROWS, PARTITIONS);
  const ends = await endOffsets(topic);
  const total = Number([...ends.values()].reduce((a, b) => a + b, 0n));
  if (total !== ROWS || ends.size !== PARTITIONS) throw new Error(`${topic} has ${total} records in ${ends.size} partitions, expected ${ROWS} in ${PARTITIONS}`);
  const runs: Run[] = [];
  for (const count of COUNTS) {
    const run = await runWith(count, ends);
    runs.push(run);
    console.error(`${count} worker(s): ${run.rowsPerSecondSteady.toLocaleString('en-US')} rows/s steady, ${run.cpuSecondsPerMillion} CPU-s per 1M, exact (${run.duplicates} duplicates)`);
  }
  const base = runs[0]!;
  const cores = (await import('node:os')).availableParallelism();
  // On paper: a worker drains about 1e6 / (CPU-s per 1M) rows per second of one core, so W workers on W free cores
  // drain W times that, up to one worker per partition (more would be idle members of the group).
  const perCore = Math.round(1e6 / base.cpuSecondsPerMillion);
  console.log(`# Sink scale-out: ${ROWS.toLocaleString('en-US')} change events, ${PARTITIONS} partitions, Parquet lake on a local folder`);
  console.log(`# ${machine()}; Kafka, the registry and the databases share these ${cores} cores`);
  console.log('| workers | rows/s (first → last commit) | rows/s (start → last commit) | speed-up | CPU-s (start-up) | CPU-s per 1M after start-up | peak RSS (largest worker) | peak RSS (all) | duplicates | exact |');
  console.log('|---|---|---|---|---|---|---|---|---|---|');
  for (const r of runs) {
    console.log(`| ${r.workers} | ${r.rowsPerSecondSteady.toLocaleString('en-US')} | ${r.rowsPerSecondWall.toLocaleString('en-US')} | ${(r.rowsPerSecondSteady / base.rowsPerSecondSteady).toFixed(2)}× | ${r.cpuSeconds} (${r.startupCpuSeconds}) | ${r.cpuSecondsPerMillion} | ${r.peakRssMbMax} MB | ${r.peakRssMbSum} MB | ${r.duplicates} | ✓ ${r.rowsInFiles} rows |`);
  }
  console.log(`# On paper (one free core per worker): ~${perCore.toLocaleString('en-US')} rows/s per worker (1e6 / ${base.cpuSecondsPerMillion} CPU-s per 1M with 1 worker), so W workers ≈ W × ${perCore.toLocaleString('en-US')} rows/s up to W = ${PARTITIONS} (the partitions): ${[1, 2, 4, PARTITIONS].filter((w, i, a) => a.indexOf(w) === i).map((w) => `${w} → ${(w * perCore).toLocaleString('en-US')}`).join(', ')} rows/s, if Kafka and the target keep up.`);
  console.log(JSON.stringify({ rows: ROWS, partitions: PARTITIONS, runs }));
} finally {
  if (!args.keep && !args.reuse) {
    const admin = createAdmin({ brokers: services.brokers, clientId: 'bench-scale-out' });
    await admin.deleteTopics([topic]).catch(() => undefined);
    await admin.close();
  }
  if (!args.keep) rmSync(work, { recursive: true, force: true });
}
