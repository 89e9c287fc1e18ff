/**
 * The process bench/sink-parquet.ts measures: a sink worker with the Parquet lake sink, draining a topic prefix.
 * Usage: node bench/sink-parquet-worker.ts '<json args>'. Prints `commit <records> <ms since start>` per batch and
 * stops gracefully on SIGTERM.
 */
import { runSinkWorker } from '../runtime/src/sink-worker/SinkWorker.ts';
import { ConfluentRegistryClient } from '../schemas/src/ConfluentRegistryClient.ts';
import { createLogger } from '../runtime/src/log/logger.ts';
import { PromMetrics } from '../runtime/src/metrics/metrics.ts';
import { S3LakeSink } from '../sinks/s3-lake/src/S3LakeSink.ts';
import type { LakeConfigInput } from '../sinks/s3-lake/src/config.ts';

const t0 = performance.now();
const args = JSON.parse(process.argv[2]!) as { brokers: string[]; registryUrl: string; prefix: string; groupId: string; lake: LakeConfigInput; maxRecords: number; queued: number; fetchMb?: number; buffered?: number };
const stop = new AbortController();
process.on('SIGTERM', () => stop.abort());
if (process.env.FERRY_BENCH_MEM) {
  // Memory sampling for the RESULTS notes: rss / heap used / external+arrayBuffers, MB, every 250 ms.
  const mb = (n: number) => Math.round(n / 1048576);
  const gc = (globalThis as { gc?: () => void }).gc;
  setInterval(() => {
    gc?.(); // with --expose-gc: live memory rather than live + garbage not yet collected
    const m = process.memoryUsage();
    process.stderr.write(`mem ${Math.round(performance.now() - t0)} rss=${mb(m.rss)} heap=${mb(m.heapUsed)}/${mb(m.heapTotal)} ext=${mb(m.external)} ab=${mb(m.arrayBuffers)}\n`);
  }, 250).unref();
}
const sink = new S3LakeSink({ name: 'parquet', config: args.lake });
await runSinkWorker({
  brokers: args.brokers, registry: new ConfluentRegistryClient({ url: args.registryUrl }), groupId: args.groupId, topicPrefix: args.prefix, sink,
  log: createLogger({ level: 'warn' }), metrics: new PromMetrics({ collectProcessMetrics: false }), batch: { maxRecords: args.maxRecords }, maxQueuedBatches: args.queued,
  progressIntervalMs: 0,
  consumer: {
    ...(args.fetchMb ? { maxFetchBytes: args.fetchMb * 1048576, maxPartitionFetchBytes: Math.max(1, args.fetchMb / 4) * 1048576 } : {}),
    ...(args.buffered ? { bufferedRecords: args.buffered } : {}),
  },
  onCommit: ({ records }) => process.stdout.write(`commit ${records} ${Math.round(performance.now() - t0)}\n`),
}, stop.signal);
await sink.close();
