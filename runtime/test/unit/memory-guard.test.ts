// The memory regression guard (issue 24): a short streaming run through the pipeline and the Kafka event sink's
// encoding (the producer is a stand-in that drops the records), with the heap measured after a full GC at the end of
// each equal phase. A heap that keeps growing from phase to phase fails the test; a deliberately leaking sink proves
// that the guard can fail. Sizes, not times, are asserted.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import v8 from 'node:v8';
import vm from 'node:vm';
import { Pipeline } from '../../src/pipeline/Pipeline.ts';
import { KafkaEventSink } from '../../src/kafka/KafkaEventSink.ts';
import type { KafkaAdmin } from '../../src/kafka/kafka-admin.ts';
import { PromMetrics } from '../../src/metrics/metrics.ts';
import { createLogger } from '../../src/log/logger.ts';
import { binlogPosition } from '../../../core/src/position.ts';
import type { ChangeBatch, ChangeEvent, Position, SchemaRegistry, Sink, SourceConnector, SourceContext, TableSchema } from '../../../core/src/types.ts';
import { heapGrowthVerdict } from '../../../test/helpers/heap-growth.ts';
import { MemoryOffsets } from '../../../test/helpers/memory-offsets.ts';

v8.setFlagsFromString('--expose-gc');
const gc = vm.runInNewContext('gc') as () => void;

const PHASES = 5;
const EVENTS_PER_PHASE = 30_000;
const MIB = 1024 * 1024;
/** Phase 1 fills caches and compiled code; the fit runs over phases 2–5. */
const GUARD = { warmupSamples: 1, allowedGrowthBytes: 3 * MIB };

const tables: TableSchema[] = ['orders', 'customers', 'items'].map((name) => ({
  id: { schema: 'shop', table: name }, version: 1, primaryKey: ['id'],
  columns: [
    { name: 'id', type: { type: 'int64' }, nullable: false, sourceType: 'bigint' },
    { name: 'name', type: { type: 'string' }, nullable: false, sourceType: 'varchar(100)' },
    { name: 'note', type: { type: 'string' }, nullable: true, sourceType: 'text' },
    { name: 'amount', type: { type: 'float64' }, nullable: true, sourceType: 'double' },
    { name: 'active', type: { type: 'boolean' }, nullable: false, sourceType: 'tinyint(1)' },
  ],
}));
const pos = (n: number) => binlogPosition({ file: 'mariadb-bin.000001', pos: n });

function event(i: number): ChangeEvent {
  const table = tables[i % tables.length]!;
  const after = { id: i, name: `name-${i}`, note: i % 3 === 0 ? null : `a note about row ${i} `.repeat(4), amount: i / 7, active: i % 2 === 0 };
  const op = i % 5 === 0 ? 'u' : 'c';
  return { op, key: { id: i }, before: op === 'u' ? { ...after, name: 'before' } : null, after, tsMs: Date.now(), table,
    source: { connector: 'mariadb', name: 'guard', tsMs: Date.now(), snapshot: 'false', db: 'shop', table: table.id.table, position: pos(i) } };
}

/** Transactions of 1–8 rows; after each phase the source waits until the phase is committed and samples the heap. */
function phasedSource(offsets: MemoryOffsets, samples: number[]): SourceConnector {
  return {
    async *read(ctx: SourceContext): AsyncIterable<ChangeBatch> {
      let i = 1;
      for (let phase = 0; phase < PHASES && !ctx.signal.aborted; phase++) {
        const end = i + EVENTS_PER_PHASE;
        while (i < end) {
          const n = Math.min(1 + (i % 8), end - i);
          const events = Array.from({ length: n }, (_, k) => event(i + k));
          i += n;
          yield { events, checkpoint: pos(i - 1) };
        }
        while (offsets.value?.position !== pos(i - 1)) await sleep(1);
        gc();
        gc();
        samples.push(v8.getHeapStatistics().used_heap_size);
      }
    },
    async acknowledge(_p: Position) {},
    async close() {},
  };
}

const registry: SchemaRegistry = {
  ids: new Map<string, number>(),
  async register(subject: string) { const ids = (this as unknown as { ids: Map<string, number> }).ids; if (!ids.has(subject)) ids.set(subject, ids.size + 1); return ids.get(subject)!; },
  async getById() { return {}; },
  async isCompatible() { return true; },
} as SchemaRegistry;
const admin = { async ensureTopics() {}, async partitionCount() { return 1; }, async close() {} } as unknown as KafkaAdmin;

/** Streams PHASES × EVENTS_PER_PHASE events; returns the post-GC heap after each phase and the records produced. */
async function streamingRun(wrap: (sink: Sink) => Sink = (s) => s): Promise<{ samples: number[]; produced: number }> {
  const metrics = new PromMetrics({ collectProcessMetrics: false });
  let produced = 0;
  const producer = { async send(records: readonly unknown[]) { produced += records.length; }, async close() {} };
  const sink = new KafkaEventSink({ producer, admin, registry, connector: 'mariadb', topicPrefix: 'guard', partitions: 1, replicationFactor: 1, tombstonesOnDelete: true, metrics });
  const offsets = new MemoryOffsets();
  const samples: number[] = [];
  const log = createLogger({ destination: new Writable({ write(_c, _e, cb) { cb(); } }) });
  const result = await new Pipeline({ taskName: 'guard', source: phasedSource(offsets, samples), sinks: [wrap(sink)], offsets, log, metrics, maxBatchEvents: 2000, maxBatchDelayMs: 1 })
    .run(new AbortController().signal);
  assert.equal(result.events, PHASES * EVENTS_PER_PHASE);
  return { samples, produced };
}

const mib = (bytes: number) => `${(bytes / MIB).toFixed(1)} MiB`;

test('streaming: the post-GC heap stays flat from phase to phase (no unbounded growth)', async (t) => {
  const { samples, produced } = await streamingRun();
  assert.equal(produced, PHASES * EVENTS_PER_PHASE);
  const verdict = heapGrowthVerdict(samples, GUARD);
  t.diagnostic(`heap after each phase: ${samples.map(mib).join(', ')}; fitted growth ${mib(verdict.growthBytes)}`);
  assert.equal(verdict.grows, false, `heap after each phase: ${samples.map(mib).join(', ')}; fitted growth ${mib(verdict.growthBytes)} over phases 2–${PHASES} (allowed ${mib(GUARD.allowedGrowthBytes)})`);
});

test('the guard fails a sink that keeps every event it wrote (a deliberate leak)', async (t) => {
  const kept: ChangeEvent[] = [];
  const leaking = (sink: Sink): Sink => ({
    write: async (events, ctx) => { kept.push(...events); await sink.write(events, ctx); },
    flush: (ctx) => sink.flush(ctx),
    close: () => sink.close(),
  });
  const { samples } = await streamingRun(leaking);
  assert.equal(kept.length, PHASES * EVENTS_PER_PHASE);
  const verdict = heapGrowthVerdict(samples, GUARD);
  t.diagnostic(`heap after each phase: ${samples.map(mib).join(', ')}; fitted growth ${mib(verdict.growthBytes)}`);
  assert.equal(verdict.grows, true, `heap after each phase: ${samples.map(mib).join(', ')}`);
  kept.length = 0;
});

test('heapGrowthVerdict: a steady leak grows; a flat, noisy heap and a one-time step in the warm-up do not', () => {
  const opts = { warmupSamples: 1, allowedGrowthBytes: 3 * MIB };
  // 2 MiB more after every phase: 6 MiB fitted over phases 2–5.
  assert.deepEqual(heapGrowthVerdict([40, 42, 44, 46, 48].map((m) => m * MIB), opts), { grows: true, growthBytes: 6 * MIB, perSampleBytes: 2 * MIB });
  // Noise of ±0.5 MiB around 41.5 MiB: a fitted 0.6 MiB.
  const flat = heapGrowthVerdict([38, 41, 42, 41, 42].map((m) => m * MIB), opts);
  assert.equal(flat.grows, false);
  assert.equal(Math.round((flat.growthBytes / MIB) * 10), 6);
  // A cache filled during phase 1 (the warm-up), flat after.
  assert.equal(heapGrowthVerdict([20, 45, 45, 45, 45].map((m) => m * MIB), opts).grows, false);
  // A slow leak just above the allowance still counts.
  assert.equal(heapGrowthVerdict([40, 40, 41.1, 42.2, 43.3].map((m) => m * MIB), opts).grows, true);
  assert.throws(() => heapGrowthVerdict([1, 2, 3], opts), /at least 3 samples/);
});
