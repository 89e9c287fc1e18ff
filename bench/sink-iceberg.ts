/**
 * Iceberg sink benchmark (issue 28): how fast the sink turns decoded change records into Iceberg commits, in upsert
 * and append modes, from a snapshot (N snapshot reads, default 1M) and from a CDC stream (M changes, default 500k:
 * 40% inserts of new keys, 45% updates, 15% deletes, over a table preloaded with --preload rows, not timed).
 *
 * The records are built in memory as the sink worker hands them to a sink (decoded SinkRecords of a 10-column table:
 * bigint key, strings, a decimal, ints, a double, two µs timestamps, a boolean), one batch at a time, so generating
 * them is not timed; only sink.write() is (Kafka polling and Avro decoding are not part of these figures). The
 * warehouse is a local folder with a SQLite catalog. Reported per run: rows/s, CPU-seconds per 1M records (this
 * process: the sink and its DuckDB threads), peak RSS, commits, data and delete files, and the rows PyIceberg reads
 * afterwards (with --verify; checked against the expected count).
 *
 * Usage: node bench/sink-iceberg.ts [--phase snapshot|cdc|both] [--modes upsert,append] [--rows 1000000] [--changes 500000]
 *        [--preload 200000] [--batch 250000] [--deletes position|equality] [--verify] [--keep]
 */
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import type { SinkRecord, SinkTable, SinkWriteContext } from '../core/src/record-sink.ts';
import type { Row } from '../core/src/types.ts';
import { decimalToBytes } from '../schemas/src/decimal.ts';
import { PromMetrics } from '../runtime/src/metrics/metrics.ts';
import { quietLog } from '../test/helpers/sink-kit/quiet.ts';
import { IcebergSink } from '../sinks/iceberg/src/index.ts';
import { readWithPyIceberg, stopPyIceberg } from '../sinks/iceberg/test/helpers/pyiceberg.ts';
import { machine } from './lib/process-stats.ts';

const { values: args } = parseArgs({ options: {
  phase: { type: 'string', default: 'both' }, modes: { type: 'string', default: 'upsert,append' }, rows: { type: 'string', default: '1000000' },
  changes: { type: 'string', default: '500000' }, preload: { type: 'string', default: '200000' }, batch: { type: 'string', default: '250000' },
  deletes: { type: 'string', default: 'position' }, verify: { type: 'boolean', default: false }, keep: { type: 'boolean', default: false },
} });
const BATCH = Number(args.batch);
const DEC = 'org.apache.kafka.connect.data.Decimal';

const table: SinkTable = {
  topic: 'bench.shop.orders', schema: 'shop', table: 'orders', primaryKey: ['id'], version: 'v1', valueSchema: { type: 'record', name: 'Envelope', fields: [] } as never, keySchema: null,
  columns: [
    { name: 'id', type: { connect: 'int64' }, optional: false },
    { name: 'customer', type: { connect: 'string' }, optional: false },
    { name: 'amount', type: { connect: 'bytes', logical: DEC, params: { scale: '2', 'connect.decimal.precision': '12', precision: '12' } }, optional: false },
    { name: 'qty', type: { connect: 'int32' }, optional: false },
    { name: 'price', type: { connect: 'float64' }, optional: true },
    { name: 'status', type: { connect: 'string' }, optional: true },
    { name: 'created', type: { connect: 'int64', logical: 'io.debezium.time.MicroTimestamp' }, optional: false },
    { name: 'updated', type: { connect: 'int64', logical: 'io.debezium.time.MicroTimestamp' }, optional: true },
    { name: 'note', type: { connect: 'string' }, optional: true },
    { name: 'flag', type: { connect: 'boolean' }, optional: true },
  ],
};

const STATUS = ['new', 'paid', 'shipped', 'done'];
function row(id: number, salt: number): Row {
  return {
    id, customer: `customer ${id % 9973}`, amount: decimalToBytes(((id * 37 + salt) % 1_000_000 / 100).toFixed(2), 2), qty: (id + salt) % 1000,
    price: salt % 11 === 0 ? null : (id % 10000) / 7, status: STATUS[(id + salt) % 4]!, created: 1_700_000_000_000_000 + id * 1000,
    updated: 1_700_000_000_000_000 + salt * 1000, note: salt % 3 === 0 ? null : `note ${salt} for order ${id}`, flag: (id + salt) % 2 === 0,
  };
}

let offset = 0n;
function record(op: 'r' | 'c' | 'u' | 'd', id: number, salt: number, prev: number | null): SinkRecord {
  const after = op === 'd' ? null : row(id, salt);
  const before = op === 'u' || op === 'd' ? row(id, prev ?? 0) : null;
  const o = offset++;
  return {
    topic: table.topic, stream: `${table.topic}/0`, partition: 0, offset: o, position: null, event: null, key: { id },
    envelope: { before, after, source: { ts_ms: 1_700_000_000_000 + Number(o) }, op, ts_ms: 1_700_000_000_000 + Number(o) },
    table, timestampMs: 1_700_000_000_000 + Number(o), sizeBytes: 200,
  };
}

const ctx: SinkWriteContext = { signal: new AbortController().signal, log: quietLog(), metrics: new PromMetrics({ collectProcessMetrics: false }), report: { file: () => {} } };

interface Figures { rows: number; seconds: number; cpu: number; commits: number }

async function timed(sink: IcebergSink, batches: Iterable<SinkRecord[]>): Promise<Figures> {
  let seconds = 0;
  let cpu = 0;
  let rows = 0;
  let commits = 0;
  for (const b of batches) {
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    const out = await sink.write(b, ctx);
    seconds += (performance.now() - t0) / 1000;
    const c = process.cpuUsage(c0);
    cpu += (c.user + c.system) / 1e6;
    if ((out.rejected ?? []).length > 0) throw new Error(`${out.rejected!.length} records rejected: ${out.rejected![0]!.reason}`);
    rows += b.length;
    commits++;
  }
  return { rows, seconds, cpu, commits };
}

function* snapshot(n: number): Generator<SinkRecord[]> {
  for (let i = 0; i < n; i += BATCH) yield Array.from({ length: Math.min(BATCH, n - i) }, (_, j) => record('r', i + j + 1, 0, null));
}

/** M changes over keys 1..preload: inserts of new keys, updates and deletes of live ones (deterministic). */
function* changes(m: number, preload: number): Generator<SinkRecord[]> {
  const live: number[] = Array.from({ length: preload }, (_, i) => i + 1);
  const salt = new Map<number, number>();
  let next = preload + 1;
  let x = 12345;
  const rnd = () => ((x = (x * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff);
  for (let i = 0; i < m; i += BATCH) {
    const out: SinkRecord[] = [];
    for (let j = 0; j < Math.min(BATCH, m - i); j++) {
      const r = rnd();
      if (r < 0.4 || live.length === 0) {
        const id = next++;
        live.push(id);
        salt.set(id, 1);
        out.push(record('c', id, 1, null));
      } else {
        const k = Math.floor(rnd() * live.length);
        const id = live[k]!;
        const prev = salt.get(id) ?? 0;
        if (r < 0.85) {
          salt.set(id, prev + 1);
          out.push(record('u', id, prev + 1, prev));
        } else {
          live[k] = live[live.length - 1]!;
          live.pop();
          salt.delete(id);
          out.push(record('d', id, 0, prev));
        }
      }
    }
    yield out;
  }
  changes.live = live.length;
}
changes.live = 0;

async function files(dir: string): Promise<{ data: number; deletes: number }> {
  const all = await readdir(join(dir, 'wh'), { recursive: true }).catch(() => [] as string[]);
  const parquet = all.filter((f) => f.endsWith('.parquet'));
  return { data: parquet.filter((f) => !f.includes('deletes')).length, deletes: parquet.filter((f) => f.includes('deletes')).length };
}

async function run(phase: 'snapshot' | 'cdc', mode: 'upsert' | 'append'): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'ferry-bench-iceberg-'));
  offset = 0n;
  const config = { warehouse: join(dir, 'wh'), catalog: { type: 'sql' as const, uri: `sqlite:${join(dir, 'catalog.db')}` }, mode, deletes: args.deletes as 'position' | 'equality', maxBatchRows: BATCH };
  let sink = new IcebergSink({ config });
  let expected: number;
  let f: Figures;
  try {
    if (phase === 'snapshot') {
      f = await timed(sink, snapshot(Number(args.rows)));
      expected = Number(args.rows);
    } else {
      const preload = Number(args.preload);
      await timed(sink, snapshot(preload));
      // A new sink: the CDC run starts as a restarted worker does (its key index built from the table).
      await sink.close();
      sink = new IcebergSink({ config });
      f = await timed(sink, changes(Number(args.changes), preload));
      expected = mode === 'append' ? preload + Number(args.changes) : changes.live;
    }
    const rss = process.resourceUsage().maxRSS / 1024;
    const fl = await files(dir);
    let read = '';
    if (args.verify) {
      const t0 = performance.now();
      const r = await readWithPyIceberg({ catalogUri: `sqlite:///${join(dir, 'catalog.db')}`, catalogName: 'ferry', table: 'shop.orders', columns: [{ name: 'id', sql: 'id' }] });
      const ids = new Set(r.rows.map((x) => String(x.id)));
      const ok = r.rows.length === expected && (mode === 'append' || ids.size === expected);
      read = `; PyIceberg reads ${r.rows.length} rows (${ids.size} distinct keys; expected ${expected} rows) in ${((performance.now() - t0) / 1000).toFixed(1)} s ${ok ? '✓' : '✗ MISMATCH'}`;
    }
    console.log(`${phase.padEnd(8)} ${mode.padEnd(6)} ${String(f.rows).padStart(8)} records  ${(f.rows / f.seconds).toFixed(0).padStart(7)} rows/s  ${(f.cpu / (f.rows / 1e6)).toFixed(1).padStart(5)} CPU-s/1M  peak RSS ${rss.toFixed(0)} MB  ${f.commits} commits  ${fl.data} data + ${fl.deletes} delete files${read}`);
  } finally {
    await sink.close();
    if (!args.keep) await rm(dir, { recursive: true, force: true });
  }
}

console.log(`sink-iceberg: ${machine()}; batch ${BATCH}, deletes ${args.deletes}`);
const phases = args.phase === 'both' ? ['snapshot', 'cdc'] as const : [args.phase as 'snapshot' | 'cdc'];
for (const phase of phases) for (const mode of args.modes!.split(',') as ('upsert' | 'append')[]) await run(phase, mode);
await stopPyIceberg();
