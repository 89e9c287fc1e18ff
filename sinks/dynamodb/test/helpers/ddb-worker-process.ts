/**
 * A sink worker with the DynamoDB sink as its own process, for crash tests: `node ddb-worker-process.ts '<json>'`.
 * Prints one line per commit on stdout: `commit <topic>/<partition> <offset>`. SIGTERM stops it gracefully.
 */
import { runSinkWorker } from '../../../../runtime/src/sink-worker/SinkWorker.ts';
import { ConfluentRegistryClient } from '../../../../schemas/src/ConfluentRegistryClient.ts';
import { createLogger } from '../../../../runtime/src/log/logger.ts';
import { PromMetrics } from '../../../../runtime/src/metrics/metrics.ts';
import { DynamoDbSink } from '../../src/DynamoDbSink.ts';
import type { DynamoConfigInput } from '../../src/config.ts';
import { openDynamoApi } from '../../src/dynamo-api.ts';

interface Args {
  readonly brokers: string[];
  readonly registryUrl: string;
  readonly prefix: string;
  readonly groupId: string;
  readonly config: DynamoConfigInput;
  readonly maxRecords: number;
  readonly groupInstanceId?: string;
  /** Crash point: SIGKILL this process right after its n-th successful write request (before the batch is committed). */
  readonly killAfterWrites?: number;
}

const args = JSON.parse(process.argv[2]!) as Args;
const stop = new AbortController();
process.on('SIGTERM', () => stop.abort());
let api = await openDynamoApi(args.config.client ?? {});
if (args.killAfterWrites !== undefined) {
  let writes = 0;
  const inner = api;
  const after = <T>(p: Promise<T>) => p.then((x) => { if (++writes >= args.killAfterWrites!) process.kill(process.pid, 'SIGKILL'); return x; });
  api = { ...inner, putItem: (i) => after(inner.putItem(i)), batchWriteItem: (i) => after(inner.batchWriteItem(i)) };
}
const sink = new DynamoDbSink({ name: 'ddb', config: args.config, api });
await runSinkWorker({
  brokers: args.brokers, registry: new ConfluentRegistryClient({ url: args.registryUrl }), groupId: args.groupId, topicPrefix: args.prefix, sink,
  log: createLogger({ level: 'warn' }), metrics: new PromMetrics({ collectProcessMetrics: false }), batch: { maxRecords: args.maxRecords },
  consumer: { sessionTimeoutMs: 6000, heartbeatIntervalMs: 500, rebalanceTimeoutMs: 6000, ...(args.groupInstanceId ? { groupInstanceId: args.groupInstanceId } : {}) },
  onCommit: ({ offsets }) => { for (const o of offsets) process.stdout.write(`commit ${o.topic}/${o.partition} ${o.offset}\n`); },
}, stop.signal);
await sink.close();
api.close();
