/**
 * A sink worker with the MySQL sink as its own process, for crash tests: `node mysql-worker-process.ts '<json>'`.
 * Prints one line per commit on stdout: `commit <topic>/<partition> <offset>`. SIGTERM stops it gracefully.
 */
import type { RecordSink } from '../../../../core/src/record-sink.ts';
import { runSinkWorker } from '../../../../runtime/src/sink-worker/SinkWorker.ts';
import { ConfluentRegistryClient } from '../../../../schemas/src/ConfluentRegistryClient.ts';
import { createLogger } from '../../../../runtime/src/log/logger.ts';
import { PromMetrics } from '../../../../runtime/src/metrics/metrics.ts';
import { MySqlSink } from '../../src/MySqlSink.ts';
import type { MySqlSinkConfigInput } from '../../src/config.ts';

interface Args {
  readonly brokers: string[];
  readonly registryUrl: string;
  readonly prefix: string;
  readonly groupId: string;
  readonly config: MySqlSinkConfigInput;
  readonly maxRecords: number;
  readonly groupInstanceId?: string;
  /** Crash point: SIGKILL this process right after its n-th write committed in MySQL (before Kafka's offset commit). */
  readonly killAfterWrites?: number;
}

const args = JSON.parse(process.argv[2]!) as Args;
const stop = new AbortController();
process.on('SIGTERM', () => stop.abort());
const inner = new MySqlSink({ name: 'mysql', config: args.config });
let writes = 0;
const sink: RecordSink = {
  name: inner.name, batchPolicy: inner.batchPolicy, sourceFields: inner.sourceFields,
  async write(records, ctx) {
    const r = await inner.write(records, ctx);
    if (args.killAfterWrites !== undefined && ++writes >= args.killAfterWrites) process.kill(process.pid, 'SIGKILL');
    return r;
  },
  close: () => inner.close(),
};
await runSinkWorker({
  brokers: args.brokers, registry: new ConfluentRegistryClient({ url: args.registryUrl }), groupId: args.groupId, topicPrefix: args.prefix, sink,
  log: createLogger({ level: 'warn' }), metrics: new PromMetrics({ collectProcessMetrics: false }), batch: { maxRecords: args.maxRecords },
  consumer: { sessionTimeoutMs: 6000, heartbeatIntervalMs: 500, rebalanceTimeoutMs: 6000, ...(args.groupInstanceId ? { groupInstanceId: args.groupInstanceId } : {}) },
  onCommit: ({ offsets }) => { for (const o of offsets) process.stdout.write(`commit ${o.topic}/${o.partition} ${o.offset}\n`); },
}, stop.signal);
await sink.close();
