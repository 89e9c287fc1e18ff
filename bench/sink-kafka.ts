/**
 * Kafka target sink benchmark: how fast a sink worker forwards a pre-filled Ferry topic to a second Kafka cluster.
 *
 *   1. a second broker (sinks/kafka/test/helpers/secure-broker.ts: same Kafka jars, temp dir, free ports), with a
 *      SASL_SSL/SCRAM-SHA-512 listener (default) or its plaintext listener (--plain);
 *   2. fill: N change events (default 1M) of a 10-column table into `<prefix>.bench.orders` (3 partitions) with
 *      Ferry's Kafka sink (Avro through the registry, lz4), unless --reuse names a prefix filled before;
 *   3. drain: sinks/kafka/test/helpers/kafka-worker-process.ts as its own process, a fresh consumer group,
 *      exactly-once (default) or --at-least-once, until every source offset is committed.
 * Reported: records/s (first → last commit, and process start → last commit), CPU-seconds (per million records)
 * and peak RSS of the worker process; the target's record count is checked with a read_committed reader.
 *
 * Usage: node bench/sink-kafka.ts [--rows 1000000] [--reuse <prefix>] [--plain] [--at-least-once] [--batch 20000] [--record]
 * --record appends the result to bench/RESULTS.md.
 */
import { spawn } from 'node:child_process';
import { appendFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { binlogPosition } from '../core/src/position.ts';
import type { ChangeEvent, TableSchema } from '../core/src/types.ts';
import { decimalToBytes } from '../schemas/src/decimal.ts';
import { endOffsets, produceEvents, services, uniqueName } from '../test/helpers/sink-kit/services.ts';
import { startSecureBroker } from '../sinks/kafka/test/helpers/secure-broker.ts';
import { readTarget } from '../sinks/kafka/test/helpers/target-reader.ts';
import { machine, procStats, type ProcStats } from './lib/process-stats.ts';

const { values: args } = parseArgs({ options: {
  rows: { type: 'string', default: '1000000' }, reuse: { type: 'string' }, plain: { type: 'boolean', default: false },
  'at-least-once': { type: 'boolean', default: false }, batch: { type: 'string', default: '20000' }, record: { type: 'boolean', default: false },
} });
const ROWS = Number(args.rows);
const prefix = args.reuse ?? uniqueName('benchkt');
const DEC = 'org.apache.kafka.connect.data.Decimal';
const delivery = args['at-least-once'] ? 'at-least-once' : 'exactly-once';

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

async function fill(): Promise<void> {
  const t0 = Date.now();
  const chunk = 20000;
  for (let i = 0; i < ROWS; i += chunk) {
    const evs: ChangeEvent[] = [];
    const ts = Date.now();
    for (let j = i; j < Math.min(ROWS, i + chunk); j++) {
      const row = {
        id: j, customer_id: j % 10007, amount: decimalToBytes(((j % 100000) / 100).toFixed(2), 2), status: STATUSES[j % 4],
        note: `note for order ${j} with some padding text to reach a realistic row width`, qty: j % 17, price: j / 7,
        created_at: 1704067200000000 + j * 1000000, updated_at: 1704067200000000 + j, flag: j % 2,
      };
      evs.push({ op: j % 10 < 7 ? 'c' : 'u', key: { id: j }, before: null, after: row, tsMs: ts, table,
        source: { connector: 'mariadb', name: prefix, tsMs: ts, snapshot: 'false', db: 'bench', table: 'orders', position: binlogPosition({ file: 'mariadb-bin.000001', pos: 4 + j }) } });
    }
    await produceEvents(evs, { prefix, partitions: 3, chunk: 5000 });
  }
  console.error(`filled ${ROWS} events into ${prefix}.bench.orders in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
}

const broker = await startSecureBroker();
let stats: ProcStats;
let committed: number;
let wall: number;
let steady: number;
let inTarget: number;
try {
  if (!args.reuse) await fill();
  const ends = await endOffsets(`${prefix}.bench.orders`);
  const total = Number([...ends.values()].reduce((a, b) => a + b, 0n));
  const target = args.plain
    ? { brokers: [broker.plain] }
    : { brokers: [broker.saslSsl], tls: { ca: broker.caFile }, sasl: { mechanism: 'scram-sha-512', username: broker.user, password: broker.password } };
  const workerArgs = {
    brokers: services.brokers, registryUrl: services.registryUrl, prefix, groupId: `${prefix}-${Date.now()}`, maxRecords: Number(args.batch),
    target: { ...target, topic: 'bench.{table}', createTopics: { partitions: 3 }, delivery, maxBatchRecords: Number(args.batch) },
  };
  const started = performance.now();
  const child = spawn(process.execPath, [join(import.meta.dirname, '../sinks/kafka/test/helpers/kafka-worker-process.ts'), JSON.stringify(workerArgs)], { stdio: ['ignore', 'pipe', 'inherit'] });
  const offsets = new Map<string, number>();
  let first: { at: number; done: number } | undefined;
  let last = { at: 0, done: 0 };
  let buf = '';
  child.stdout!.on('data', (d: Buffer) => {
    buf += d.toString();
    const lines = buf.split('\n');
    buf = lines.pop()!;
    for (const l of lines) {
      const m = /^commit (\S+) (\d+)$/.exec(l);
      if (!m) continue;
      offsets.set(m[1]!, Number(m[2]));
      const done = [...offsets.values()].reduce((a, b) => a + b, 0);
      first ??= { at: performance.now(), done };
      last = { at: performance.now(), done };
    }
  });
  while (last.done < total) {
    if (child.exitCode !== null) throw new Error(`the worker exited with ${child.exitCode}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  // VmHWM is the process's peak; CPU is utime + stime so far.
  stats = procStats(child.pid!);
  wall = (last.at - started) / 1000;
  committed = last.done;
  steady = (last.done - first!.done) / ((last.at - first!.at) / 1000);
  child.kill('SIGTERM');
  await new Promise((r) => child.once('exit', r));
  inTarget = (await readTarget({ brokers: [broker.plain], topics: ['bench.orders'], expect: total, timeoutMs: 300000, quietMs: 2000 })).length;
} finally {
  await broker.stop();
}

const result = {
  records: committed!, inTarget: inTarget!, delivery, listener: args.plain ? 'plaintext' : 'SASL_SSL (SCRAM-SHA-512)', batch: Number(args.batch),
  recordsPerSecondSteady: Math.round(steady!), recordsPerSecondWall: Math.round(committed! / wall!), wallSeconds: Number(wall!.toFixed(2)),
  cpuSeconds: Number(stats!.cpuSeconds.toFixed(2)), cpuSecondsPerMillion: Number((stats!.cpuSeconds / (committed! / 1e6)).toFixed(2)), peakRssMb: Math.round(stats!.peakRssMb),
};
console.log(JSON.stringify(result, null, 2));
if (result.inTarget !== result.records) throw new Error(`the target holds ${result.inTarget} records, not ${result.records}`);

if (args.record) {
  const cmd = `node bench/sink-kafka.ts --rows ${ROWS}${args.plain ? ' --plain' : ''}${args['at-least-once'] ? ' --at-least-once' : ''} --batch ${args.batch}`;
  appendFileSync(join(import.meta.dirname, 'RESULTS.md'), `
### Kafka target sink (\`bench/sink-kafka.ts\`, ${delivery}, ${result.listener}, ${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC)

- **Machine:** ${machine()}; Ferry's Kafka, the target broker (a second JVM), Apicurio, moto, MariaDB and PostgreSQL on the same host.
- **Command:** \`${cmd}\`
- **Workload:** ${result.records.toLocaleString('en-US')} change events of a 10-column table (Confluent-framed Avro), 3 source partitions, lz4; one sink worker process (fresh group) forwarding to a 3-partition target topic, batches of ${args.batch}, ${delivery}.

| records/s (steady: first → last commit) | records/s (process start → last commit) | CPU-s | CPU-s per 1M records | peak RSS |
|---|---|---|---|---|
| ${result.recordsPerSecondSteady.toLocaleString('en-US')} | ${result.recordsPerSecondWall.toLocaleString('en-US')} | ${result.cpuSeconds} | ${result.cpuSecondsPerMillion} | ${result.peakRssMb} MB |
`);
}
