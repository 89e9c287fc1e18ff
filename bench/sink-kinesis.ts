/**
 * Kinesis sink benchmark: how much client CPU the sink spends per record, and records/s against moto.
 *
 *   1. prepare: N change events of the fixture table (27 columns, test/helpers/sink-kit/fixtures.ts), encoded as Ferry's
 *      Kafka sink encodes them and decoded by the worker's decoder into SinkRecords (in memory, not timed);
 *   2. write: KinesisSink.write in batches into a Kinesis stream on moto (one process, the SDK's real HTTP calls).
 * Reported: records/s, client CPU-seconds (this process: encoding, partition keys, aggregation, scheduling, the SDK and
 * HTTP) per record and per million, Kinesis records and bytes sent, peak RSS. moto's own CPU is another process and
 * is not counted: moto's speed says nothing about Kinesis. Records sent are counted back with GetRecords.
 *
 * Usage: node bench/sink-kinesis.ts [--records 100000] [--format json|avro] [--aggregation] [--batch 10000] [--shards 4]
 */
import { parseArgs } from 'node:util';
import { KinesisSink } from '../sinks/kinesis/src/KinesisSink.ts';
import { fixture, workload } from '../test/helpers/sink-kit/fixtures.ts';
import { kafkaRecords } from '../test/helpers/sink-kit/records.ts';
import { uniqueName } from '../test/helpers/sink-kit/services.ts';
import { writeContext } from '../sinks/kinesis/test/helpers/context.ts';
import { createStream, deaggregate, KINESIS, readStream } from '../sinks/kinesis/test/helpers/kinesis.ts';

const { values: args } = parseArgs({ options: {
  records: { type: 'string', default: '100000' }, format: { type: 'string', default: 'json' }, aggregation: { type: 'boolean', default: false },
  batch: { type: 'string', default: '10000' }, shards: { type: 'string', default: '4' },
} });
const N = Number(args.records);
const BATCH = Number(args.batch);

const fx = fixture();
const prefix = uniqueName('kbench');
const stream = prefix.replace(/_/g, '-');
await createStream(stream, Number(args.shards));
const w = workload(fx, { prefix, rows: Math.floor(N * 0.4), changesV1: N - Math.floor(N * 0.4), changesV2: 0, snapshotRows: Math.floor(N * 0.2) });
const { records } = await kafkaRecords(w.events, { prefix, partitions: 3, sourceFields: args.format === 'avro' ? 'all' : undefined });
// One call at a time: moto loses acknowledged records when two PutRecords write one shard at once.
const sink = new KinesisSink({ name: 'bench', config: { stream, client: KINESIS, format: args.format as 'json' | 'avro', aggregation: { enabled: args.aggregation }, parallelCalls: 1 } });
const ctx = writeContext();
let peakRss = process.memoryUsage().rss;
const rssTimer = setInterval(() => { peakRss = Math.max(peakRss, process.memoryUsage().rss); }, 50);
const cpu0 = process.cpuUsage();
const t0 = performance.now();
for (let i = 0; i < records.length; i += BATCH) {
  const out = await sink.write(records.slice(i, i + BATCH), ctx);
  if ((out.rejected ?? []).length > 0) throw new Error(`${out.rejected!.length} rejected`);
}
const secs = (performance.now() - t0) / 1000;
const cpu = process.cpuUsage(cpu0);
clearInterval(rssTimer);
const cpuS = (cpu.user + cpu.system) / 1e6;
await sink.close();
const back = (await readStream(stream)).flatMap((r) => deaggregate(r)).length;
const t = sink.totals;
console.log(JSON.stringify({
  records: records.length, format: args.format, aggregation: args.aggregation, batch: BATCH, shards: Number(args.shards),
  seconds: +secs.toFixed(2), recordsPerSecond: Math.round(records.length / secs),
  clientCpuSeconds: +cpuS.toFixed(2), cpuMicrosPerRecord: +((cpuS * 1e6) / records.length).toFixed(1), cpuSecondsPerMillion: +((cpuS * 1e6) / records.length).toFixed(1),
  kinesisRecords: t.kinesisRecords, putCalls: t.calls, mbSent: +(t.bytes / 1e6).toFixed(1), peakRssMiB: Math.round(peakRss / 2 ** 20), readBack: back,
}));
if (back !== records.length) throw new Error(`read back ${back} of ${records.length}`);
