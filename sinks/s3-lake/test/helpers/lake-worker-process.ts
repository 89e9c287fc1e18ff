/**
 * A sink worker with the lake sink as its own process, for crash tests: `node lake-worker-process.ts '<json>'`.
 * Prints one line per commit on stdout: `commit <topic>/<partition> <offset>`. SIGTERM stops it gracefully.
 */
import { runSinkWorker } from '../../../../runtime/src/sink-worker/SinkWorker.ts';
import { ConfluentRegistryClient } from '../../../../schemas/src/ConfluentRegistryClient.ts';
import { createLogger } from '../../../../runtime/src/log/logger.ts';
import { PromMetrics } from '../../../../runtime/src/metrics/metrics.ts';
import { S3LakeSink } from '../../src/S3LakeSink.ts';
import type { LakeConfigInput } from '../../src/config.ts';
import { openObjectStore, type ObjectStore } from '../../../../runtime/src/storage/object-store.ts';

interface Args {
  readonly brokers: string[];
  readonly registryUrl: string;
  readonly prefix: string;
  readonly groupId: string;
  readonly lake: LakeConfigInput;
  readonly maxRecords: number;
  readonly groupInstanceId?: string;
  /** Crash point: SIGKILL this process right after its n-th file upload (before that batch is committed). */
  readonly killAfterUploads?: number;
  /** Crash point: SIGKILL this process right after the sink staged records for the n-th time (staged, not written). */
  readonly killAfterStaged?: number;
}

const args = JSON.parse(process.argv[2]!) as Args;
const stop = new AbortController();
process.on('SIGTERM', () => stop.abort());
let store = await openObjectStore(args.lake.location, args.lake.s3);
if (args.killAfterUploads !== undefined) {
  let uploads = 0;
  const inner = store;
  store = Object.assign(Object.create(inner) as ObjectStore, {
    putFile: async (key: string, path: string) => {
      await inner.putFile(key, path);
      if (++uploads >= args.killAfterUploads!) process.kill(process.pid, 'SIGKILL');
    },
  });
}
const sink = new S3LakeSink({ name: 'lake', config: args.lake, store });
if (args.killAfterStaged !== undefined) {
  let adds = 0;
  const stage = sink.stage.bind(sink);
  sink.stage = (ctx) => {
    const st = stage(ctx);
    return {
      add: async (records) => {
        const out = await st.add(records);
        if (++adds >= args.killAfterStaged!) process.kill(process.pid, 'SIGKILL');
        return out;
      },
      discard: () => st.discard(),
    };
  };
}
await runSinkWorker({
  brokers: args.brokers, registry: new ConfluentRegistryClient({ url: args.registryUrl }), groupId: args.groupId, topicPrefix: args.prefix, sink,
  log: createLogger({ level: 'warn' }), metrics: new PromMetrics({ collectProcessMetrics: false }), batch: { maxRecords: args.maxRecords },
  consumer: { sessionTimeoutMs: 6000, heartbeatIntervalMs: 500, rebalanceTimeoutMs: 6000, ...(args.groupInstanceId ? { groupInstanceId: args.groupInstanceId } : {}) },
  onCommit: ({ offsets }) => { for (const o of offsets) process.stdout.write(`commit ${o.topic}/${o.partition} ${o.offset}\n`); },
}, stop.signal);
await sink.close();
