/**
 * The process bench/sink-database.ts measures: a sink worker with a relational target (postgres or mysql, built by
 * the sink plugin registry as `ferry sink` builds it), draining one topic prefix; `consumers` of them in one group.
 * Usage: node bench/sink-database-worker.ts '<json args>'. Prints `commit <records> <ms since start>` per batch and
 * stops gracefully on SIGTERM.
 */
import { runSinkWorker } from '../runtime/src/sink-worker/SinkWorker.ts';
import { ConfluentRegistryClient } from '../schemas/src/ConfluentRegistryClient.ts';
import { createLogger } from '../runtime/src/log/logger.ts';
import { PromMetrics } from '../runtime/src/metrics/metrics.ts';
import { sinkPlugin } from '../app/src/plugins.ts';

const t0 = performance.now();
const args = JSON.parse(process.argv[2]!) as {
  brokers: string[]; registryUrl: string; prefix: string; groupId: string; type: string; options: Record<string, unknown>; maxRecords: number;
  /** Sink workers in the group, each with its own sink instance (as `ferry sink` runs a target's `consumers`); default 1. */
  consumers?: number;
};
const stop = new AbortController();
process.on('SIGTERM', () => stop.abort());
const plugin = sinkPlugin(args.type);
const sinks = await Promise.all(Array.from({ length: args.consumers ?? 1 }, () => plugin.create({ name: `bench-${args.type}`, type: args.type, options: args.options })));
await Promise.all(sinks.map((sink) => runSinkWorker({
  brokers: args.brokers, registry: new ConfluentRegistryClient({ url: args.registryUrl }), groupId: args.groupId, topicPrefix: args.prefix, sink,
  log: createLogger({ level: 'warn' }), metrics: new PromMetrics({ collectProcessMetrics: false }), batch: { maxRecords: args.maxRecords },
  progressIntervalMs: 0,
  onCommit: ({ records }) => process.stdout.write(`commit ${records} ${Math.round(performance.now() - t0)}\n`),
}, stop.signal)));
for (const sink of sinks) await sink.close();
