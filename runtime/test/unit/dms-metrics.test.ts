// DMS's task metrics computed from the pipeline observer's calls, with controlled times: the exact values of the
// latencies, the queue split (memory source / target, incoming) and the windowed rates, read back from the
// Prometheus exposition (the gauges the metrics endpoint serves) and from snapshot().
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DmsMetrics, RATE_WINDOW_MS, estimateEventBytes } from '../../src/metrics/dms-metrics.ts';
import { PromMetrics } from '../../src/metrics/metrics.ts';
import { binlogPosition } from '../../../core/src/position.ts';
import type { ChangeEvent, Op, TableSchema } from '../../../core/src/types.ts';

const table: TableSchema = { id: { schema: 'db', table: 't' }, version: 1, primaryKey: ['id'], columns: [{ name: 'id', type: { type: 'int32' }, nullable: false, sourceType: 'int' }] };
const ev = (id: number, op: Op, tsMs: number): ChangeEvent => ({
  op, key: { id }, before: null, after: { id, s: 'x'.repeat(92) }, tsMs: 0, table,
  source: { connector: 'mariadb', name: 'x', tsMs, snapshot: op === 'r' ? 'true' : 'false', db: 'db', table: 't', position: binlogPosition({ file: 'b.000001', pos: id }) },
});
const batch = (events: ChangeEvent[]) => ({ events, checkpoint: null });

/** The value of ferry_<name>{task="t"} in the exposition text. */
function promValue(text: string, name: string): number {
  const line = text.split('\n').find((l) => l.startsWith(`ferry_${name}{`) && l.includes('task="t"'));
  assert.ok(line, `ferry_${name} is exported`);
  return Number(line.split(' ').at(-1));
}

test('latencies, queue split and incoming changes follow the batches read, taken and written', async () => {
  const metrics = new PromMetrics({ collectProcessMetrics: false });
  const dms = new DmsMetrics({ metrics, taskName: 't' });
  const t0 = Date.now();
  // 3 changes committed 2 s ago, read now; 2 more committed 1 s ago
  const a = [ev(1, 'c', t0 - 2000), ev(2, 'u', t0 - 2000), ev(3, 'd', t0 - 2000)];
  const b = [ev(4, 'c', t0 - 1000), ev(5, 'c', t0 - 1000)];
  dms.read(batch(a));
  dms.read(batch(b));
  dms.writing(a);
  dms.tick(t0 + 500);
  let s = dms.snapshot();
  assert.ok(s.CDCLatencySource >= 1 && s.CDCLatencySource < 1.5, `source latency is the read delay of the last change: ${s.CDCLatencySource}`);
  assert.equal(s.CDCLatencyTarget, 2.5, 'target latency: now − commit of the oldest change not yet written');
  assert.equal(s.CDCIncomingChanges, 5);
  assert.equal(s.CDCChangesMemorySource, 2, 'b is still queued');
  assert.equal(s.CDCChangesMemoryTarget, 3, 'a is being written');
  assert.equal(s.CDCChangesDiskSource, 0);
  assert.equal(s.CDCChangesDiskTarget, 0);
  const text = await metrics.text();
  assert.equal(promValue(text, 'dms_cdc_latency_target_seconds'), 2.5);
  assert.equal(promValue(text, 'dms_cdc_incoming_changes'), 5);
  assert.equal(promValue(text, 'dms_cdc_changes_memory_source'), 2);

  dms.written(a);
  dms.tick(t0 + 1000);
  s = dms.snapshot();
  assert.equal(s.CDCLatencyTarget, 2, 'the oldest waiting change is now one of b (committed at t0 − 1 s)');
  assert.equal(s.CDCIncomingChanges, 2);
  assert.equal(s.CDCChangesMemoryTarget, 0);

  dms.writing(b);
  dms.written(b);
  dms.tick(t0 + 1200);
  s = dms.snapshot();
  assert.equal(s.CDCIncomingChanges, 0);
  assert.ok(s.CDCLatencyTarget >= 1 && s.CDCLatencyTarget < 1.5, `nothing waiting: the commit-to-durable delay of the last change written (${s.CDCLatencyTarget})`);
});

test('throughput rows and bandwidth are averaged over the rate window; full-load rows are counted apart', () => {
  const metrics = new PromMetrics({ collectProcessMetrics: false });
  const dms = new DmsMetrics({ metrics, taskName: 't' });
  const t0 = Date.now();
  dms.tick(t0);
  // 100 full-load rows, then 50 changes per second for the window
  const load = Array.from({ length: 100 }, (_, i) => ev(i, 'r', 0));
  dms.read(batch(load));
  dms.writing(load);
  dms.written(load);
  const steps = RATE_WINDOW_MS / 500;
  for (let i = 1; i <= steps; i++) {
    const changes = Array.from({ length: 25 }, (_, j) => ev(1000 + i * 25 + j, 'c', t0 + i * 500 - 10));
    dms.read(batch(changes));
    dms.writing(changes);
    dms.written(changes);
    dms.tick(t0 + i * 500);
  }
  const s = dms.snapshot();
  assert.equal(s.CDCThroughputRowsSource, 50);
  assert.equal(s.CDCThroughputRowsTarget, 50);
  assert.equal(s.FullLoadThroughputRowsSource, 20, '100 rows over the 5 s window');
  assert.equal(s.FullLoadThroughputRowsTarget, 20);
  const perEvent = estimateEventBytes(ev(1, 'c', 1));
  assert.equal(perEvent, 100, 'id (8) + a 92-character string');
  assert.equal(s.CDCThroughputBandwidthSource, Math.round((50 * perEvent / 1024) * 1000) / 1000, 'KB/s of the row images');
  assert.equal(s.CDCLatencySource, 0, 'a commit time after the read (clock skew) counts as 0, never negative');
  assert.equal(s.CDCIncomingChanges, 0);
  assert.equal(s.ValidationPendingOverallCount, undefined, 'no validation metrics without validation');
  // a window later, with nothing more, every rate is back to 0
  dms.tick(t0 + RATE_WINDOW_MS + RATE_WINDOW_MS + 500);
  assert.equal(dms.snapshot().CDCThroughputRowsSource, 0);
  assert.equal(dms.snapshot().FullLoadThroughputRowsTarget, 0);
});

test('validation counts are summed over tables under DMS names', async () => {
  const metrics = new PromMetrics({ collectProcessMetrics: false });
  const dms = new DmsMetrics({ metrics, taskName: 't' });
  dms.validation('db.a', { pending: 3, failed: 1, suspended: 0 });
  dms.validation('db.b', { pending: 2, failed: 0, suspended: 4 });
  dms.validation('db.a', { pending: 1, failed: 1, suspended: 0 });
  dms.tick();
  const s = dms.snapshot();
  assert.deepEqual([s.ValidationPendingOverallCount, s.ValidationFailedOverallCount, s.ValidationSuspendedOverallCount], [3, 1, 4]);
  assert.equal(promValue(await metrics.text(), 'dms_validation_suspended_overall_count'), 4);
});

test('target bandwidth counts the bytes estimated when the events were read, whatever the written batches', () => {
  const metrics = new PromMetrics({ collectProcessMetrics: false });
  const dms = new DmsMetrics({ metrics, taskName: 't' });
  const t0 = Date.now();
  dms.tick(t0);
  const wide = (id: number): ChangeEvent => ({ ...ev(id, 'c', t0), after: { id, s: 'x'.repeat(1016) } });
  // estimated from the first, middle and last events: (1024 + 100 + 1024) / 3 × 7 = 5012 bytes
  const read = [wide(1), ev(2, 'c', t0), ev(3, 'c', t0), ev(4, 'c', t0), ev(5, 'c', t0), ev(6, 'c', t0), wide(7)];
  dms.read(batch(read));
  dms.writing(read);
  // written in two parts: sampled again they would give 1224 + 1632 bytes; the bytes read are 3/7 and 4/7 of 5012
  dms.written(read.slice(0, 3));
  dms.written(read.slice(3));
  dms.tick(t0 + 1000);
  const s = dms.snapshot();
  assert.equal(s.CDCThroughputBandwidthSource, Math.round((5012 / 1024) * 1000) / 1000);
  assert.equal(s.CDCThroughputBandwidthTarget, s.CDCThroughputBandwidthSource);
  assert.equal(s.CDCIncomingChanges, 0);
});
