/**
 * DynamoDB sink benchmark: client CPU per record and records/s of DynamoDbSink.write against moto.
 *
 * N changes of the 27-column fixture table (test/helpers/sink-kit/fixtures.ts: inserts, then updates and deletes;
 * decoded SinkRecords prepared in memory through the real Avro encoder/decoder, not timed) are written in batches,
 * once per write mode, into fresh tables. A third run uses a null client (every request answers at once) to split
 * the sink's own CPU (encoding items, positions, LOB check) from the AWS SDK's (serialising, signing, HTTP).
 * Reported: records/s (wall), client CPU-seconds (this process, user + system; moto runs in another process),
 * CPU µs per record and CPU-s per million, requests sent, peak RSS. Items are counted back with Scan.
 *
 * Usage: node bench/sink-dynamodb.ts [--records 20000] [--batch 2000] [--concurrency 32]
 */
import { parseArgs } from 'node:util';
import { PromMetrics } from '../runtime/src/metrics/metrics.ts';
import type { SinkRecord } from '../core/src/record-sink.ts';
import { fixture, workload } from '../test/helpers/sink-kit/fixtures.ts';
import { kafkaRecords } from '../test/helpers/sink-kit/records.ts';
import { quietLog } from '../test/helpers/sink-kit/quiet.ts';
import { uniqueName } from '../test/helpers/services.ts';
import { DynamoDbSink } from '../sinks/dynamodb/src/DynamoDbSink.ts';
import type { DynamoApi } from '../sinks/dynamodb/src/dynamo-api.ts';
import { DDB, scanAll } from '../sinks/dynamodb/test/helpers/dynamo.ts';
import { machine } from './lib/process-stats.ts';

const { values: args } = parseArgs({ options: {
  records: { type: 'string', default: '20000' }, batch: { type: 'string', default: '2000' }, concurrency: { type: 'string', default: '32' },
} });
const N = Number(args.records);
const BATCH = Number(args.batch);

const prefix = uniqueName('benchddb');
const rows = Math.floor(N * 0.4);
const w = workload(fixture(), { prefix, rows, changesV1: N - rows, changesV2: 0 });
const { records } = await kafkaRecords(w.events, { prefix, partitions: 3, sourceFields: ['ts_ms', 'file', 'pos', 'lsn'] });
const counts = w.counts;

const nullApi: DynamoApi = {
  putItem: async () => ({ $metadata: {} }),
  deleteItem: async () => ({ $metadata: {} }),
  batchWriteItem: async () => ({ $metadata: {}, UnprocessedItems: {} }),
  batchGetItem: async () => ({ $metadata: {}, Responses: {} }),
  describeTable: async () => ({ $metadata: {}, Table: { TableStatus: 'ACTIVE', KeySchema: [{ AttributeName: 'id', KeyType: 'HASH' }], AttributeDefinitions: [{ AttributeName: 'id', AttributeType: 'N' }] } }),
  createTable: async () => ({ $metadata: {} }),
  updateTimeToLive: async () => ({ $metadata: {} }),
  scan: async () => ({ $metadata: {} }),
  close: () => {},
};

async function run(label: string, mode: 'conditional' | 'batch', api?: DynamoApi): Promise<string> {
  const tag = `${prefix}_${mode}${api ? '_null' : ''}`;
  const sink = new DynamoDbSink({ name: 'bench', config: { client: DDB, tableName: `${tag}_{table}`, writeMode: mode, concurrency: Number(args.concurrency) }, ...(api ? { api } : {}) });
  const ctx = { signal: new AbortController().signal, log: quietLog(), metrics: new PromMetrics({ collectProcessMetrics: false }), report: { file: () => {} } };
  // Create the table first (not timed).
  await sink.write(records.slice(0, 1), ctx);
  const batches: SinkRecord[][] = [];
  for (let i = 1; i < records.length; i += BATCH) batches.push(records.slice(i, i + BATCH));
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  for (const b of batches) {
    const res = await sink.write(b, ctx);
    if (res.rejected?.length) throw new Error(`rejected: ${res.rejected[0]!.reason}`);
  }
  const secs = (performance.now() - t0) / 1000;
  const cpu = process.cpuUsage(cpu0);
  const cpuS = (cpu.user + cpu.system) / 1e6;
  const n = records.length - 1;
  const items = api ? '—' : String((await scanAll(`${tag}_orders`)).length);
  const requests = sink.stats.requests;
  await sink.close();
  return `| ${label} | ${Math.round(n / secs).toLocaleString('en-US')} | ${cpuS.toFixed(2)} | ${((cpuS / n) * 1e6).toFixed(1)} | ${(cpuS / n * 1e6).toFixed(0)} | ${requests.toLocaleString('en-US')} | ${items} |`;
}

const lines = [
  `${machine()}; ${N.toLocaleString('en-US')} changes (${counts.c} inserts, ${counts.u} updates, ${counts.d} deletes) of the 27-column fixture table, batches of ${BATCH}, concurrency ${args.concurrency}`,
  '',
  '| write mode | records/s | client CPU-s | CPU µs/record | CPU-s per million | requests | items (Scan) |',
  '|---|---|---|---|---|---|---|',
  await run('conditional PutItem (moto)', 'conditional'),
  await run('batch: BatchGetItem + BatchWriteItem (moto)', 'batch'),
  await run('conditional, null client (sink CPU only)', 'conditional', nullApi),
  await run('batch, null client (sink CPU only)', 'batch', nullApi),
  '',
  `peak RSS ${Math.round(process.resourceUsage().maxRSS / 1024)} MiB (includes the prepared records)`,
];
console.log(lines.join('\n'));
