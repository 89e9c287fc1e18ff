/**
 * Parquet sink benchmark (W8 in the notes): how fast a sink worker drains a pre-filled topic into Parquet.
 *
 *   1. fill: N change events (default 1M) of a 10-column table into `<prefix>.bench.orders` (3 partitions) with
 *      Ferry's Kafka sink (Avro through the registry, lz4), unless --reuse names a prefix filled before;
 *   2. drain: bench/sink-parquet-worker.ts as its own process, a fresh consumer group, Parquet (zstd) into a local
 *      folder (default) or S3 on moto (--s3), until every offset is committed.
 * Reported: rows/s over the drain (first commit → last commit, and process start → last commit), CPU-seconds and peak
 * RSS of the worker process, files and bytes written; the row count in the files is checked with DuckDB.
 *
 * Usage: node bench/sink-parquet.ts [--help] [--rows 1000000] [--reuse <prefix>] [--s3] [--batch 100000] [--queued 1] [--record]
 *        [--node-args='--cpu-prof --cpu-prof-dir=/tmp/prof'] (flags for the worker process; it starts with `ferry sink`'s
 *        node flags and environment from bin/node-flags.js, unless given here; FERRY_NODE_FLAGS= runs it without them)
 *        [--fetch-mb 8] [--buffered 10000] [--duck-mem 512MB] [--duck-threads 2] (the worker's fetch size and records
 *        buffered by its consumer, the lake's DuckDB settings)
 * FERRY_BENCH_MEM=1 makes the worker print process.memoryUsage() every 250 ms on stderr (with --node-args=--expose-gc:
 * after a full GC, i.e. the live part).
 * --record appends the result to bench/RESULTS.md.
 */
import { spawn } from 'node:child_process';
import { appendFileSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { DuckDBInstance } from '@duckdb/node-api';
import { nodeEnvFor, nodeFlagsFor } from '../bin/node-flags.js';
import { createBucket, endOffsets, S3, services, uniqueName } from '../test/helpers/sink-kit/services.ts';
import { fillOrders } from './lib/orders-topic.ts';
import { machine, procStats, type ProcStats } from './lib/process-stats.ts';

// an unknown or malformed option is a usage error (exit 2), not a stack trace
const { values: args } = (() => { try { return parseArgs({ options: {
  rows: { type: 'string', default: '1000000' }, reuse: { type: 'string' }, s3: { type: 'boolean', default: false },
  batch: { type: 'string', default: '100000' }, queued: { type: 'string', default: '1' }, record: { type: 'boolean', default: false },
  'node-args': { type: 'string', default: '' }, 'fetch-mb': { type: 'string' }, buffered: { type: 'string' }, 'duck-mem': { type: 'string' }, 'duck-threads': { type: 'string' },
  help: { type: 'boolean', short: 'h', default: false },
} }); } catch (e: unknown) { process.stderr.write(`sink-parquet: ${(e as Error).message}\nRun with --help for the options.\n`); process.exit(2); } })();
if (args.help) {
  // the usage is this file's header comment
  const header = readFileSync(new URL(import.meta.url), 'utf8').split('*/')[0]!.replace(/^\/\*\*?\n?/, '').replace(/^ \* ?/gm, '');
  process.stdout.write(`${header.trim()}\n`);
  process.exit(0);
}
const ROWS = Number(args.rows);
const prefix = args.reuse ?? uniqueName('benchsink');

async function fill(): Promise<void> {
  await fillOrders(prefix, ROWS, 3);
}

function dirStats(dir: string): { files: number; bytes: number } {
  let files = 0;
  let bytes = 0;
  const walk = (d: string) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      if (e.isDirectory()) walk(join(d, e.name));
      else if (e.name.endsWith('.parquet')) { files++; bytes += statSync(join(d, e.name)).size; }
    }
  };
  walk(dir);
  return { files, bytes };
}

if (!args.reuse) await fill();
const ends = await endOffsets(`${prefix}.bench.orders`);
const total = Number([...ends.values()].reduce((a, b) => a + b, 0n));
const out = mkdtempSync(join(tmpdir(), 'ferry-bench-lake-'));
const bucket = `${prefix.replace(/_/g, '-')}-lake`;
if (args.s3) await createBucket(bucket);
const location = args.s3 ? `s3://${bucket}/lake` : out;
const workerArgs = {
  brokers: services.brokers, registryUrl: services.registryUrl, prefix, groupId: `${prefix}-${Date.now()}`, maxRecords: Number(args.batch), queued: Number(args.queued), ...(args['fetch-mb'] ? { fetchMb: Number(args['fetch-mb']) } : {}), ...(args.buffered ? { buffered: Number(args.buffered) } : {}),
  lake: { location, s3: S3, partitioning: { by: 'commit-date' }, maxFileRows: Number(args.batch), maxFileAgeMs: 5000, ...(args['duck-mem'] ? { duckdbMemoryLimit: args['duck-mem'] } : {}), ...(args['duck-threads'] ? { duckdbThreads: Number(args['duck-threads']) } : {}) },
};
const started = performance.now();
// The worker runs as `ferry sink` would: with its node flags and environment (bin/node-flags.js) unless overridden.
const nodeArgs = args['node-args'].split(' ').filter(Boolean);
const sinkFlags = nodeFlagsFor({ args: ['sink'], execArgv: nodeArgs, env: process.env });
const child = spawn(process.execPath, [...sinkFlags, ...nodeArgs, join(import.meta.dirname, 'sink-parquet-worker.ts'), JSON.stringify(workerArgs)], { stdio: ['ignore', 'pipe', 'inherit'], env: nodeEnvFor(process.env) });
let committed = 0;
let firstCommitMs = 0;
let firstCommitRecords = 0;
let lastCommitMs = 0;
let buf = '';
child.stdout!.on('data', (d: Buffer) => {
  buf += d.toString();
  const lines = buf.split('\n');
  buf = lines.pop()!;
  for (const l of lines) {
    const m = /^commit (\d+) (\d+)$/.exec(l);
    if (!m) continue;
    committed += Number(m[1]);
    if (firstCommitMs === 0) { firstCommitMs = Number(m[2]); firstCommitRecords = Number(m[1]); }
    lastCommitMs = Number(m[2]);
  }
});
while (committed < total) {
  if (child.exitCode !== null || child.signalCode !== null) throw new Error(`the worker exited with ${child.exitCode ?? child.signalCode}`);
  await new Promise((r) => setTimeout(r, 100));
}
// VmHWM is the process's peak; CPU is utime + stime so far (its DuckDB threads included).
const stats: ProcStats = procStats(child.pid!);
const wall = (performance.now() - started) / 1000;
child.kill('SIGTERM');
await new Promise((r) => child.once('exit', r));

let files: { files: number; bytes: number } = { files: 0, bytes: 0 };
let rowsInFiles = NaN;
if (!args.s3) {
  files = dirStats(out);
  const inst = await DuckDBInstance.create(':memory:');
  const c = await inst.connect();
  rowsInFiles = Number((await c.runAndReadAll(`SELECT count(*) AS n FROM read_parquet('${out}/**/*.parquet')`)).getRows()[0]![0]);
  c.closeSync();
  inst.closeSync();
  rmSync(out, { recursive: true, force: true });
}
const steady = (committed - firstCommitRecords) / ((lastCommitMs - firstCommitMs) / 1000);
const result = {
  rows: committed, rowsInFiles, target: args.s3 ? 's3 (moto)' : 'local folder', batch: Number(args.batch), workerNodeFlags: [...sinkFlags, ...nodeArgs].join(' '),
  rowsPerSecondSteady: Math.round(steady), rowsPerSecondWall: Math.round(committed / wall), wallSeconds: Number(wall.toFixed(2)),
  cpuSeconds: Number(stats.cpuSeconds.toFixed(2)), cpuSecondsPerMillion: Number((stats.cpuSeconds / (committed / 1e6)).toFixed(2)), peakRssMb: Math.round(stats.peakRssMb),
  files: files.files, megabytes: Number((files.bytes / 1e6).toFixed(1)),
};
console.log(JSON.stringify(result, null, 2));
if (!args.s3 && rowsInFiles !== committed) throw new Error(`the files hold ${rowsInFiles} rows, not ${committed}`);

if (args.record) {
  const cmd = `node bench/sink-parquet.ts --rows ${ROWS}${args.s3 ? ' --s3' : ''} --batch ${args.batch} --queued ${args.queued}`;
  appendFileSync(join(import.meta.dirname, 'RESULTS.md'), `
### Parquet sink from Kafka (\`bench/sink-parquet.ts\`, ${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC)

- **Machine:** ${machine()}; Kafka, Apicurio, moto, MariaDB and PostgreSQL on the same host.
- **Command:** \`${cmd}\`
- **Workload:** ${committed.toLocaleString('en-US')} change events of a 10-column table (bigint, int, decimal(12,2), 2 varchar, int, double, 2 datetime(6), tinyint), 3 partitions, lz4, Avro through the registry; drained by one sink worker process (fresh group) into Parquet (zstd, date partitions) in a ${result.target}, batches of ${args.batch}.

| rows/s (steady: first → last commit) | rows/s (process start → last commit) | CPU-s | CPU-s per 1M rows | peak RSS | files | Parquet MB |
|---|---|---|---|---|---|---|
| ${result.rowsPerSecondSteady.toLocaleString('en-US')} | ${result.rowsPerSecondWall.toLocaleString('en-US')} | ${result.cpuSeconds} | ${result.cpuSecondsPerMillion} | ${result.peakRssMb} MB | ${result.files || 'n/a'} | ${result.megabytes || 'n/a'} |
`);
}
