/**
 * A sink worker with the Kafka target sink as its own process, for crash tests: `node kafka-worker-process.ts '<json>'`.
 * Prints `commit <topic>/<partition> <offset>` per source commit and `write <n>` per durable sink write. SIGTERM
 * stops it gracefully. `killAfterWrites`: SIGKILL itself right after its n-th write resolved, i.e. after the target
 * transaction committed and before the source offsets are committed (the window exactly-once has to cover).
 */
import { runSinkWorker } from '../../../../runtime/src/sink-worker/SinkWorker.ts';
import type { SinkRecord, SinkWriteContext } from '../../../../core/src/record-sink.ts';
import { ConfluentRegistryClient } from '../../../../schemas/src/ConfluentRegistryClient.ts';
import { createLogger } from '../../../../runtime/src/log/logger.ts';
import { PromMetrics } from '../../../../runtime/src/metrics/metrics.ts';
import { KafkaTargetSink } from '../../src/KafkaTargetSink.ts';
import type { KafkaTargetConfigInput } from '../../src/config.ts';

interface Args {
  readonly brokers: string[];
  readonly registryUrl: string;
  readonly prefix: string;
  readonly groupId: string;
  readonly target: KafkaTargetConfigInput;
  readonly maxRecords: number;
  readonly groupInstanceId?: string;
  readonly killAfterWrites?: number;
}

const args = JSON.parse(process.argv[2]!) as Args;
const stop = new AbortController();
process.on('SIGTERM', () => stop.abort());
let writes = 0;

class Crashing extends KafkaTargetSink {
  override async write(records: readonly SinkRecord[], ctx: SinkWriteContext) {
    const res = await super.write(records, ctx);
    writes++;
    process.stdout.write(`write ${writes}\n`);
    if (args.killAfterWrites !== undefined && writes >= args.killAfterWrites) process.kill(process.pid, 'SIGKILL');
    return res;
  }
}

const sink = new Crashing({ name: 'mirror', config: args.target });
await runSinkWorker({
  brokers: args.brokers, registry: new ConfluentRegistryClient({ url: args.registryUrl }), groupId: args.groupId, topicPrefix: args.prefix, sink,
  log: createLogger({ level: (process.env.KT_LOG_LEVEL as 'info' | undefined) ?? 'warn' }), metrics: new PromMetrics({ collectProcessMetrics: false }), batch: { maxRecords: args.maxRecords, maxDelayMs: 100 },
  consumer: { sessionTimeoutMs: 6000, heartbeatIntervalMs: 500, rebalanceTimeoutMs: 6000, ...(args.groupInstanceId ? { groupInstanceId: args.groupInstanceId } : {}) },
  onCommit: ({ offsets }) => { for (const o of offsets) process.stdout.write(`commit ${o.topic}/${o.partition} ${o.offset}\n`); },
}, stop.signal);
await sink.close();
