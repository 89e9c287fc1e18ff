// Read pacing (runtime/src/pipeline/ReadPacer.ts, BatchQueue.ts): a source that honours the pacer is read in
// bursts while changes trickle in, nothing is lost or reordered, no change waits much longer than the batch
// delay, full batches never hold the source, and a quiet stream goes back to waking on the first change.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import { BatchQueue } from '../../src/pipeline/BatchQueue.ts';
import { Pipeline } from '../../src/pipeline/Pipeline.ts';
import { ReadPacer } from '../../src/pipeline/ReadPacer.ts';
import { binlogPosition } from '../../../core/src/position.ts';
import { createLogger } from '../../src/log/logger.ts';
import { PromMetrics } from '../../src/metrics/metrics.ts';
import type { ChangeBatch, ChangeEvent, OffsetStore, Sink, SourceConnector, SourceContext, StoredOffset, TableSchema } from '../../../core/src/types.ts';

const table: TableSchema = { id: { schema: 'db', table: 't' }, version: 1, primaryKey: ['id'], columns: [{ name: 'id', type: { type: 'int32' }, nullable: false, sourceType: 'int' }] };
const pos = (n: number) => binlogPosition({ file: 'b.000001', pos: n });
const ev = (id: number, tsMs = Date.now()): ChangeEvent => ({ op: 'c', key: { id }, before: null, after: { id }, tsMs, table, source: { connector: 'mariadb', name: 'x', tsMs, snapshot: 'false', db: 'db', table: 't', position: pos(id) } });
const tx = (id: number): ChangeBatch => ({ events: [ev(id)], checkpoint: pos(id) });
const quietLog = () => createLogger({ destination: new Writable({ write(_c, _e, cb) { cb(); } }) });

test('latency mode: the source is held while a batch lingers and while a small batch is written, released when waiting', async () => {
  const pacer = new ReadPacer();
  const q = new BatchQueue({ capacityEvents: 100, pacer });
  const seen: boolean[] = [];
  pacer.subscribe((h) => seen.push(h));
  await q.push(tx(1));
  const t0 = Date.now();
  const first = await q.take({ maxEvents: 10, maxDelayMs: 40 });
  assert.deepEqual(first!.events.map((e) => e.key!['id']), [1]);
  assert.ok(Date.now() - t0 >= 35, 'the first batch lingered for maxDelayMs');
  assert.deepEqual(seen, [true, false, true], 'held while lingering, read once at the deadline, held again while written');
  assert.equal(pacer.held, true);
  // The writer comes back to an empty queue: released, and the next change wakes it.
  const next = q.take({ maxEvents: 10, maxDelayMs: 0 });
  await sleep(5);
  assert.equal(pacer.held, false, 'waiting for a first change releases the source');
  await q.push(tx(2));
  assert.deepEqual((await next)!.events.map((e) => e.key!['id']), [2]);
  // A pending commit waiting for items releases it too.
  const quiet = q.waitForItems(200);
  assert.equal(pacer.held, false);
  await q.push(tx(3));
  assert.equal(await quiet, true);
  q.close();
  assert.equal(pacer.held, false);
});

test('throughput mode: a full batch never holds the source', async () => {
  const pacer = new ReadPacer();
  const q = new BatchQueue({ capacityEvents: 100, pacer });
  for (let i = 1; i <= 25; i++) await q.push(tx(i));
  const t0 = Date.now();
  const b = await q.take({ maxEvents: 10, maxDelayMs: 1000 });
  assert.equal(b!.events.length, 10);
  assert.ok(Date.now() - t0 < 500, 'a full batch does not linger');
  assert.equal(pacer.held, false, 'more is queued: the source keeps reading while this batch is written');
  q.close();
});

test('the pacer releases itself after maxHoldMs whatever the pipeline does', async () => {
  const pacer = new ReadPacer({ maxHoldMs: 30 });
  const seen: boolean[] = [];
  pacer.subscribe((h) => seen.push(h));
  pacer.hold();
  await sleep(60);
  assert.equal(pacer.held, false);
  assert.deepEqual(seen, [true, false]);
});

/**
 * A replication connection in miniature: changes "arrive" every `everyMs` into a kernel buffer; while the pacer
 * holds, they stay there; otherwise each one is read (a wake-up) and handed over as its own transaction.
 */
function trickleSource(n: number, everyMs: number, stats: { reads: number }): SourceConnector {
  return {
    async *read(ctx: SourceContext): AsyncIterable<ChangeBatch> {
      const kernel: ChangeBatch[] = [];
      let wake: (() => void) | null = null;
      let produced = 0;
      const timer = setInterval(() => {
        if (produced < n) kernel.push(tx(++produced));
        if (!ctx.pacing?.held) { const w = wake; wake = null; w?.(); }
      }, everyMs);
      const unsub = ctx.pacing?.subscribe((held) => { if (!held) { const w = wake; wake = null; w?.(); } });
      try {
        let delivered = 0;
        while (delivered < n && !ctx.signal.aborted) {
          if (kernel.length === 0 || ctx.pacing?.held) { await new Promise<void>((r) => { wake = r; }); continue; }
          stats.reads++; // one read takes everything buffered
          for (const b of kernel.splice(0)) { delivered++; yield b; }
        }
      } finally {
        clearInterval(timer);
        unsub?.();
      }
    },
    async acknowledge() {},
    async close() {},
  };
}

test('a trickle is read in bursts; every change arrives once, in order, within the batch delay plus the write', async () => {
  const written: number[] = [];
  const lat: number[] = [];
  const sink: Sink = {
    async write(events) { await sleep(3); for (const e of events) { written.push(e.key!['id'] as number); lat.push(Date.now() - e.source.tsMs); } },
    async flush() {},
    async close() {},
  };
  const offsets: OffsetStore = { async read() { return null; }, async commit(_t: string, _o: StoredOffset) {}, async reset() {}, async close() {} };
  const N = 300;
  const stats = { reads: 0 };
  const ac = new AbortController();
  const p = new Pipeline({ taskName: 't', source: trickleSource(N, 1, stats), sinks: [sink], offsets, log: quietLog(), metrics: new PromMetrics({ collectProcessMetrics: false }), maxBatchEvents: 1000, maxBatchDelayMs: 20, offsetCommitIntervalMs: 100 });
  const run = p.run(ac.signal);
  for (let i = 0; i < 400 && written.length < N; i++) await sleep(10);
  ac.abort();
  await run;
  assert.deepEqual(written, Array.from({ length: N }, (_, i) => i + 1));
  assert.ok(stats.reads < N / 4, `${stats.reads} reads for ${N} changes: the source was read in bursts`);
  lat.sort((a, b) => a - b);
  assert.ok(lat[lat.length - 1]! < 20 + 3 + 60, `worst wait ${lat[lat.length - 1]} ms`);
});
