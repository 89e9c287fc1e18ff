/**
 * Iceberg compaction benchmark (issue 28): the files a CDC stream leaves in an Iceberg table, and what compaction does
 * to them and to a reader. The Iceberg sink (upsert, position deletes by default; SQLite catalog, local warehouse)
 * loads --preload rows in one commit, then --changes changes (40% inserts of new keys, 45% updates, 15% deletes) in
 * commits of --batch records: many small data and delete files. Then PyIceberg scans the table (every column) before
 * and after one compaction (sinks/iceberg/src/maintenance/compact.ts), and the rows it reads are compared (count and
 * an order-independent checksum of every value). Reported: data and delete files, PyIceberg's scan time (the
 * median of --reads scans, each a fresh Python process: its start-up, about 1 s here, is included), the compaction's
 * wall time and CPU, and the rows.
 *
 * Usage: node bench/iceberg-compaction.ts [--preload 200000] [--changes 200000] [--batch 10000] [--reads 3]
 *        [--deletes position|equality] [--keep]
 */
import { createHash } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import type { SinkRecord, SinkTable, SinkWriteContext } from '../core/src/record-sink.ts';
import type { Row } from '../core/src/types.ts';
import { PromMetrics } from '../runtime/src/metrics/metrics.ts';
import { quietLog } from '../test/helpers/sink-kit/quiet.ts';
import { IcebergSink } from '../sinks/iceberg/src/index.ts';
import { compactTable } from '../sinks/iceberg/src/maintenance/compact.ts';
import { Duck } from '../sinks/iceberg/src/writer/duck.ts';
import { readWithPyIceberg, stopPyIceberg } from '../sinks/iceberg/test/helpers/pyiceberg.ts';
import { machine } from './lib/process-stats.ts';

const { values: args } = parseArgs({ options: {
  preload: { type: 'string', default: '200000' }, changes: { type: 'string', default: '200000' }, batch: { type: 'string', default: '10000' },
  reads: { type: 'string', default: '3' }, deletes: { type: 'string', default: 'position' }, keep: { type: 'boolean', default: false },
} });
const BATCH = Number(args.batch);

const table: SinkTable = {
  topic: 'bench.shop.orders', schema: 'shop', table: 'orders', primaryKey: ['id'], version: 'v1', valueSchema: { type: 'record', name: 'Envelope', fields: [] } as never, keySchema: null,
  columns: [
    { name: 'id', type: { connect: 'int64' }, optional: false },
    { name: 'customer', type: { connect: 'string' }, optional: false },
    { name: 'qty', type: { connect: 'int32' }, optional: false },
    { name: 'price', type: { connect: 'float64' }, optional: true },
    { name: 'created', type: { connect: 'int64', logical: 'io.debezium.time.MicroTimestamp' }, optional: false },
    { name: 'note', type: { connect: 'string' }, optional: true },
  ],
};
const row = (id: number, salt: number): Row => ({
  id, customer: `customer ${id % 9973}`, qty: (id + salt) % 1000, price: salt % 11 === 0 ? null : (id % 10000) / 7,
  created: 1_700_000_000_000_000 + id * 1000, note: salt % 3 === 0 ? null : `note ${salt} for order ${id}`,
});
let offset = 0n;
function record(op: 'r' | 'c' | 'u' | 'd', id: number, salt: number, prev: number): SinkRecord {
  const o = offset++;
  return {
    topic: table.topic, stream: `${table.topic}/0`, partition: 0, offset: o, position: null, event: null, key: { id },
    envelope: { before: op === 'u' || op === 'd' ? row(id, prev) : null, after: op === 'd' ? null : row(id, salt), source: { ts_ms: 1_700_000_000_000 + Number(o) }, op, ts_ms: 1_700_000_000_000 + Number(o) },
    table, timestampMs: 1_700_000_000_000 + Number(o), sizeBytes: 150,
  };
}
const ctx: SinkWriteContext = { signal: new AbortController().signal, log: quietLog(), metrics: new PromMetrics({ collectProcessMetrics: false }), report: { file: () => {} } };

const dir = await mkdtemp(join(tmpdir(), 'ferry-bench-compact-'));
const config = { warehouse: join(dir, 'wh'), catalog: { type: 'sql' as const, uri: `sqlite:${join(dir, 'catalog.db')}` }, mode: 'upsert' as const, deletes: args.deletes as 'position' | 'equality', maxBatchRows: Math.max(BATCH, Number(args.preload)) };
const sink = new IcebergSink({ config });
const duck = await Duck.create({ threads: 2, memoryLimit: '1GB' });
try {
  console.log(`iceberg-compaction: ${machine()}; preload ${args.preload}, ${args.changes} changes in batches of ${BATCH}, deletes ${args.deletes}`);
  const preload = Number(args.preload);
  await sink.write(Array.from({ length: preload }, (_, i) => record('r', i + 1, 0, 0)), ctx);
  const live = Array.from({ length: preload }, (_, i) => i + 1);
  const salt = new Map<number, number>();
  let next = preload + 1;
  let x = 12345;
  const rnd = () => ((x = (x * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff);
  const t0 = performance.now();
  let commits = 0;
  for (let i = 0; i < Number(args.changes); i += BATCH) {
    const out: SinkRecord[] = [];
    for (let j = 0; j < Math.min(BATCH, Number(args.changes) - i); j++) {
      const r = rnd();
      if (r < 0.4) { const id = next++; live.push(id); salt.set(id, 1); out.push(record('c', id, 1, 0)); continue; }
      const k = Math.floor(rnd() * live.length);
      const id = live[k]!;
      const prev = salt.get(id) ?? 0;
      if (r < 0.85) { salt.set(id, prev + 1); out.push(record('u', id, prev + 1, prev)); } else { live[k] = live.at(-1)!; live.pop(); salt.delete(id); out.push(record('d', id, 0, prev)); }
    }
    await sink.write(out, ctx);
    commits++;
  }
  console.log(`CDC: ${commits} commits in ${((performance.now() - t0) / 1000).toFixed(1)} s; ${live.length} live rows expected`);

  const scan = async (): Promise<{ files: number; deletes: number; rows: number; sum: string; seconds: number }> => {
    const times: number[] = [];
    let last: Awaited<ReturnType<typeof readWithPyIceberg>> | undefined;
    for (let i = 0; i < Number(args.reads); i++) {
      const s = performance.now();
      last = await readWithPyIceberg({ catalogUri: `sqlite:///${join(dir, 'catalog.db')}`, catalogName: 'ferry', table: 'shop.orders' });
      times.push((performance.now() - s) / 1000);
    }
    const lines = last!.rows.map((r) => JSON.stringify(r, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v))).sort();
    const sum = createHash('sha256').update(lines.join('\n')).digest('hex').slice(0, 16);
    return { files: last!.files, deletes: last!.deletes, rows: last!.rows.length, sum, seconds: times.sort((a, b) => a - b)[Math.floor(times.length / 2)]! };
  };
  const before = await scan();
  console.log(`before compaction: ${before.files} data files, ${before.deletes} delete-file references in PyIceberg's scan tasks; PyIceberg scan ${before.seconds.toFixed(2)} s (median of ${args.reads}); ${before.rows} rows, checksum ${before.sum}`);
  const catalog = await sink.catalog();
  const c0 = process.cpuUsage();
  const s0 = performance.now();
  const r = await compactTable(catalog, { namespace: ['shop'], name: 'orders' }, { io: sink.io, duck });
  const cpu = process.cpuUsage(c0);
  console.log(`compaction: ${((performance.now() - s0) / 1000).toFixed(1)} s wall, ${((cpu.user + cpu.system) / 1e6).toFixed(1)} CPU-s (this process); rewrote ${r.rewrittenDataFiles.length} data files and dropped ${r.removedDeleteFiles.length} delete files into ${r.addedDataFiles.length}; ${r.rowsWritten} rows written`);
  const after = await scan();
  console.log(`after compaction: ${after.files} data files, ${after.deletes} delete-file references; PyIceberg scan ${after.seconds.toFixed(2)} s (median of ${args.reads}); ${after.rows} rows, checksum ${after.sum} ${after.rows === before.rows && after.sum === before.sum && after.rows === live.length ? '✓ same rows' : '✗ MISMATCH'}`);
} finally {
  await sink.close();
  await duck.close();
  await stopPyIceberg();
  if (!args.keep) await rm(dir, { recursive: true, force: true });
}
