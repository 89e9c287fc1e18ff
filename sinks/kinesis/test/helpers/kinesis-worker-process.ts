/**
 * A sink worker with the Kinesis sink as its own process, for crash tests: `node kinesis-worker-process.ts '<json>'`.
 * Prints one line per commit on stdout: `commit <topic>/<partition> <offset>`. SIGTERM stops it gracefully.
 */
import { runSinkWorker } from '../../../../runtime/src/sink-worker/SinkWorker.ts';
import { ConfluentRegistryClient } from '../../../../schemas/src/ConfluentRegistryClient.ts';
import { createLogger } from '../../../../runtime/src/log/logger.ts';
import { PromMetrics } from '../../../../runtime/src/metrics/metrics.ts';
import { KinesisSink } from '../../src/KinesisSink.ts';
import type { KinesisConfigInput } from '../../src/config.ts';
import { SdkKinesisClient, type KinesisPutClient } from '../../src/kinesis-client.ts';

interface Args {
  readonly brokers: string[];
  readonly registryUrl: string;
  readonly prefix: string;
  readonly groupId: string;
  readonly kinesis: KinesisConfigInput;
  readonly maxRecords: number;
  readonly groupInstanceId?: string;
  /** Crash point: SIGKILL this process right after its n-th successful PutRecords call (before that batch is committed). */
  readonly killAfterCalls?: number;
}

const args = JSON.parse(process.argv[2]!) as Args;
const stop = new AbortController();
process.on('SIGTERM', () => stop.abort());
const inner = new SdkKinesisClient(args.kinesis.client ?? {});
let calls = 0;
const client: KinesisPutClient = args.killAfterCalls === undefined ? inner : {
  putRecords: async (stream, entries, signal) => {
    const out = await inner.putRecords(stream, entries, signal);
    if (++calls >= args.killAfterCalls!) process.kill(process.pid, 'SIGKILL');
    return out;
  },
  close: () => inner.close(),
};
const sink = new KinesisSink({ name: 'kinesis', config: args.kinesis, client });
await runSinkWorker({
  brokers: args.brokers, registry: new ConfluentRegistryClient({ url: args.registryUrl }), groupId: args.groupId, topicPrefix: args.prefix, sink,
  log: createLogger({ level: 'warn' }), metrics: new PromMetrics({ collectProcessMetrics: false }), batch: { maxRecords: args.maxRecords },
  consumer: { sessionTimeoutMs: 6000, heartbeatIntervalMs: 500, rebalanceTimeoutMs: 6000, ...(args.groupInstanceId ? { groupInstanceId: args.groupInstanceId } : {}) },
  onCommit: ({ offsets }) => { for (const o of offsets) process.stdout.write(`commit ${o.topic}/${o.partition} ${o.offset}\n`); },
}, stop.signal);
await sink.close();
