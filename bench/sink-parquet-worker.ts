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
const args = JSON.parse(process.argv[2]!) as { brokers: string[]; registryUrl: string; prefix: string; groupId: string; lake: LakeConfigInput; maxRecords: number; queued: number };
const stop = new AbortController();
process.on('SIGTERM', () => stop.abort());
const sink = new S3LakeSink({ name: 'parquet', config: args.lake });
await runSinkWorker({
  brokers: args.brokers, registry: new ConfluentRegistryClient({ url: args.registryUrl }), groupId: args.groupId, topicPrefix: args.prefix, sink,
  log: createLogger({ level: 'warn' }), metrics: new PromMetrics({ collectProcessMetrics: false }), batch: { maxRecords: args.maxRecords }, maxQueuedBatches: args.queued,
  progressIntervalMs: 0,
  onCommit: ({ records }) => process.stdout.write(`commit ${records} ${Math.round(performance.now() - t0)}\n`),
}, stop.signal);
await sink.close();
