/**
 * The PostgreSQL sink alone, in-process: how fast PostgresSink.write applies batches of already-decoded records
 * (no Kafka, no Avro decoding; bench/sink-database.ts measures the whole sink worker). The table and the changes are
 * those of bench/sink-database.ts: a 10-column table, a full load of N snapshot reads, then M changes (a third inserts,
 * then 80 % updates, 20 % deletes of random keys) in transactions of --tx-size events, per apply mode.
 * Reported per run: rows/s over the write calls, CPU-seconds of this process per 1M records during them, and the
 * process's peak RSS; the target is checked (count, sum of ids, sum of qty) against the expected state.
 *
 * Usage: node bench/sink-postgres.ts [--rows 1000000] [--changes 500000] [--batch 50000] [--tx-size 10]
 */
import { parseArgs } from 'node:util';
import pg from 'pg';
import { binlogPosition } from '../core/src/position.ts';
import type { SinkRecord, SinkTable, SinkWriteContext } from '../core/src/record-sink.ts';
import type { ChangeEvent, Row, TableSchema } from '../core/src/types.ts';
import { PromMetrics } from '../runtime/src/metrics/metrics.ts';
import { decimalToBytes } from '../schemas/src/decimal.ts';
import { PostgresSink } from '../sinks/postgres/src/PostgresSink.ts';
import { kafkaRecords } from '../test/helpers/sink-kit/records.ts';
import { quietLog } from '../test/helpers/sink-kit/quiet.ts';
import { services, uniqueName } from '../test/helpers/services.ts';

const { values: args } = parseArgs({ options: {
  rows: { type: 'string', default: '1000000' }, changes: { type: 'string', default: '500000' }, batch: { type: 'string', default: '50000' }, 'tx-size': { type: 'string', default: '10' },
} });
const ROWS = Number(args.rows);
const CHANGES = Number(args.changes);
const BATCH = Number(args.batch);
const TX = Number(args['tx-size']);
const PG = { host: services.postgres.host, port: services.postgres.port, user: 'postgres', password: 'postgres', database: 'shop' };
const DEC = 'org.apache.kafka.connect.data.Decimal';

const schema: TableSchema = { id: { schema: 'bench', table: 'orders' }, version: 1, primaryKey: ['id'], columns: [
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
const row = (id: number, qty: number): Row => ({
  id, customer_id: id % 10007, amount: decimalToBytes(((id % 100000) / 100).toFixed(2), 2), status: STATUSES[id % 4]!,
  note: `note for order ${id} with some padding text to reach a realistic row width`, qty, price: id / 7,
  created_at: 1704067200000000 + id * 1000000, updated_at: 1704067200000000 + qty, flag: id % 2,
});

/** The SinkTable of the bench table, as the worker's decoder builds it (one Avro round trip of one event). */
async function sinkTable(prefix: string): Promise<SinkTable> {
  const ev: ChangeEvent = { op: 'r', key: { id: 0 }, before: null, after: row(0, 0), tsMs: 0, table: schema,
    source: { connector: 'mariadb', name: prefix, tsMs: 0, snapshot: 'true', db: 'bench', table: 'orders', position: binlogPosition({ file: 'b.000001', pos: 4 }) } };
  return (await kafkaRecords([ev], { prefix })).records[0]!.table;
}

let offset = 0n;
function record(table: SinkTable, op: 'r' | 'c' | 'u' | 'd', id: number, before: number | null, after: number | null, tx: number): SinkRecord {
  return {
    topic: table.topic, stream: `${table.topic}/0`, partition: 0, offset: offset++, position: null, event: null, key: { id },
    envelope: { op, before: before === null ? null : row(id, before), after: after === null ? null : row(id, after), source: { file: 'b.000001', pos: 4 + tx }, ts_ms: 0 },
    table, timestampMs: 0, sizeBytes: 200,
  };
}

const ctx: SinkWriteContext = { signal: new AbortController().signal, log: quietLog(), metrics: new PromMetrics({ collectProcessMetrics: false }), report: { file: () => {} } };

interface Result { run: string; rows: number; rowsPerSecond: number; cpuPerMillion: number; peakRssMb: number; check: string }

async function run(label: string, mode: 'batch-optimized' | 'transactional', phase: 'full-load' | 'cdc'): Promise<Result> {
  const prefix = uniqueName('benchpg');
  const table = await sinkTable(prefix);
  const sink = new PostgresSink({ name: prefix, config: { ...PG, schema: prefix, stateSchema: prefix, applyMode: mode } });
  const expected = new Map<number, number>();
  let busy = 0;
  let cpu = 0;
  let n = 0;
  const write = async (records: SinkRecord[]) => {
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    await sink.write(records, ctx);
    busy += performance.now() - t0;
    const c = process.cpuUsage(c0);
    cpu += (c.user + c.system) / 1e6;
    n += records.length;
  };
  // The full load always runs (the CDC runs need the keys); only the measured phase counts.
  const keys = phase === 'full-load' ? ROWS : Math.ceil(CHANGES / 3);
  let buf: SinkRecord[] = [];
  for (let i = 0; i < keys; i++) {
    buf.push(record(table, 'r', i, null, i % 17, 0));
    expected.set(i, i % 17);
    if (buf.length >= BATCH) { if (phase === 'full-load') await write(buf); else await sink.write(buf, ctx); buf = []; }
  }
  if (buf.length > 0) { if (phase === 'full-load') await write(buf); else await sink.write(buf, ctx); buf = []; }
  if (phase === 'cdc') {
    let rnd = 12345;
    const next = () => (rnd = (rnd * 1103515245 + 12345) % 2147483648) / 2147483648;
    for (let i = 0; i < CHANGES; i++) {
      const tx = Math.floor(i / TX);
      const id = Math.floor(next() * keys * 1.2);
      const cur = expected.get(id);
      if (cur === undefined) { buf.push(record(table, 'c', id, null, 1, tx)); expected.set(id, 1); }
      else if (next() < 0.8) { buf.push(record(table, 'u', id, cur, cur + 1, tx)); expected.set(id, cur + 1); }
      else { buf.push(record(table, 'd', id, cur, null, tx)); expected.delete(id); }
      if (buf.length >= BATCH) { await write(buf); buf = []; }
    }
    if (buf.length > 0) await write(buf);
  }
  await sink.close();
  const c = new pg.Client(PG);
  await c.connect();
  const r = (await c.query(`SELECT count(*)::bigint AS n, coalesce(sum(id), 0)::bigint AS ids, coalesce(sum(qty), 0)::bigint AS qty FROM "${prefix}".orders`)).rows[0] as { n: string; ids: string; qty: string };
  await c.query(`DROP SCHEMA "${prefix}" CASCADE`);
  await c.end();
  let ids = 0;
  let qty = 0;
  for (const [id, q] of expected) { ids += id; qty += q; }
  const ok = Number(r.n) === expected.size && Number(r.ids) === ids && Number(r.qty) === qty;
  return {
    run: label, rows: n, rowsPerSecond: Math.round(n / (busy / 1000)), cpuPerMillion: Number((cpu / (n / 1e6)).toFixed(1)),
    peakRssMb: Math.round(process.resourceUsage().maxRSS / 1024), check: ok ? `ok (${expected.size} rows)` : `MISMATCH: got ${r.n}/${r.ids}/${r.qty}`,
  };
}

const results: Result[] = [];
results.push(await run(`full load, ${ROWS} snapshot reads`, 'batch-optimized', 'full-load'));
for (const mode of ['batch-optimized', 'transactional'] as const) results.push(await run(`CDC ${mode}, ${CHANGES} changes (tx of ${TX})`, mode, 'cdc'));
console.log('\n| run | rows/s | CPU-s per 1M (this process) | peak RSS MB | target check |\n|---|---|---|---|---|');
for (const r of results) console.log(`| ${r.run} | ${r.rowsPerSecond.toLocaleString('en')} | ${r.cpuPerMillion} | ${r.peakRssMb} | ${r.check} |`);
