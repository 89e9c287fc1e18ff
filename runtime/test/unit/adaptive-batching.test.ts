// Adaptive batching (runtime/src/pipeline/LatencyBudget.ts, BatchQueue.ts): under a trickle a change is written at
// once; a steady stream is read once per cycle and every change is written within the latency budget; a burst fills
// batches to maxEvents without lingering. Time is a virtual clock driven by the test (no wall-clock assertions),
// except in the Pipeline test, which asserts only on batch sizes.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import { BatchQueue } from '../../src/pipeline/BatchQueue.ts';
import { LatencyBudget, type BatchClock } from '../../src/pipeline/LatencyBudget.ts';
import { Pipeline } from '../../src/pipeline/Pipeline.ts';
import { ReadPacer } from '../../src/pipeline/ReadPacer.ts';
import { binlogPosition } from '../../../core/src/position.ts';
import { createLogger } from '../../src/log/logger.ts';
import { PromMetrics } from '../../src/metrics/metrics.ts';
import type { ChangeBatch, ChangeEvent, OffsetStore, Sink, SourceConnector, SourceContext, StoredOffset, TableSchema } from '../../../core/src/types.ts';

const table: TableSchema = { id: { schema: 'db', table: 't' }, version: 1, primaryKey: ['id'], columns: [{ name: 'id', type: { type: 'int32' }, nullable: false, sourceType: 'int' }] };
const pos = (n: number) => binlogPosition({ file: 'b.000001', pos: n });
/** A change whose tsMs is its arrival time on the virtual clock. */
const ev = (id: number, at: number): ChangeEvent => ({ op: 'c', key: { id }, before: null, after: { id }, tsMs: at, table, source: { connector: 'mariadb', name: 'x', tsMs: at, snapshot: 'false', db: 'db', table: 't', position: pos(id) } });
const tx = (id: number, at = 0): ChangeBatch => ({ events: [ev(id, at)], checkpoint: pos(id) });
const ids = (events: readonly ChangeEvent[]) => events.map((e) => e.key!['id'] as number);
const quietLog = () => createLogger({ destination: new Writable({ write(_c, _e, cb) { cb(); } }) });
/** Lets promises, timers already due and the queue's setImmediate turns (afterNextPoll) run. */
const settle = async () => { for (let i = 0; i < 6; i++) await new Promise<void>((r) => setImmediate(r)); };

/** A clock the test moves: timers fire when advance() passes their time. */
class VirtualClock implements BatchClock {
  #now = 0;
  #timers: Array<{ at: number; fn: () => void }> = [];
  scheduled: number[] = [];
  now(): number { return this.#now; }
  timer(fn: () => void, ms: number): () => void {
    const t = { at: this.#now + ms, fn };
    this.#timers.push(t);
    this.scheduled.push(ms);
    return () => { this.#timers = this.#timers.filter((x) => x !== t); };
  }
  advance(ms: number): void {
    this.#now += ms;
    const due = this.#timers.filter((t) => t.at <= this.#now).sort((a, b) => a.at - b.at);
    this.#timers = this.#timers.filter((t) => t.at > this.#now);
    for (const t of due) t.fn();
  }
}

/**
 * A source on the virtual clock that honours the pacer as the real ones do: changes arriving while it is held wait
 * (in "the kernel") and are pushed together when it is released. Counts the reads.
 */
function pacedSource(q: BatchQueue, pacer: ReadPacer, clock: VirtualClock) {
  const kernel: ChangeBatch[] = [];
  let next = 1;
  const s = { reads: 0 };
  const read = () => {
    if (kernel.length === 0) return;
    s.reads++;
    for (const b of kernel.splice(0)) void q.push(b);
  };
  pacer.subscribe((held) => { if (!held) read(); });
  return {
    stats: s,
    /** `n` single-change transactions commit now. */
    arrive(n: number) {
      for (let i = 0; i < n; i++) kernel.push(tx(next++, clock.now()));
      if (!pacer.held) read();
    },
  };
}

/** The pipeline's writer on the virtual clock: takes, "writes" for writeMs, reports the write time. */
function writer(q: BatchQueue, budget: LatencyBudget, clock: VirtualClock, writeMs: number, maxEvents: number) {
  const batches: Array<{ ids: number[]; startedAt: number; worstWaitMs: number }> = [];
  let done = false;
  const run = (async () => {
    for (;;) {
      const b = await q.take({ maxEvents, maxDelayMs: 0 });
      if (b === null) break;
      if (b.events.length === 0) continue; // a linger that gathered nothing
      const startedAt = clock.now();
      batches.push({ ids: ids(b.events), startedAt, worstWaitMs: Math.max(...b.events.map((e) => startedAt - e.tsMs)) });
      if (writeMs > 0) await new Promise<void>((r) => clock.timer(r, writeMs));
      budget.written(writeMs);
    }
    done = true;
  })();
  return { batches, run, get done() { return done; } };
}

test('a trickle: each change is written at once, without lingering', async () => {
  const clock = new VirtualClock();
  const budget = new LatencyBudget({ targetMs: 20, clock });
  const pacer = new ReadPacer();
  const q = new BatchQueue({ capacityEvents: 1000, pacer, latency: budget });
  const src = pacedSource(q, pacer, clock);
  const w = writer(q, budget, clock, 2, 100);
  // One change every 200 ms (5 tx/s) for 2 s of virtual time.
  for (let ms = 0; ms < 2000; ms++) {
    if (ms % 200 === 0) src.arrive(1);
    await settle();
    clock.advance(1);
  }
  await settle();
  q.close();
  await w.run;
  assert.deepEqual(w.batches.map((b) => b.ids.length), Array(10).fill(1), 'one change per batch');
  assert.deepEqual(w.batches.map((b) => b.worstWaitMs), Array(10).fill(0), 'written the moment it arrived');
  assert.deepEqual(clock.scheduled.filter((ms) => ms !== 2), [], 'no linger timer, only the writes');
});

test('a steady stream: read once per cycle, batches of ~budget changes, every change written within the budget', async () => {
  const clock = new VirtualClock();
  const budget = new LatencyBudget({ targetMs: 20, clock });
  const pacer = new ReadPacer();
  const q = new BatchQueue({ capacityEvents: 10000, pacer, latency: budget });
  const src = pacedSource(q, pacer, clock);
  const w = writer(q, budget, clock, 3, 2000);
  // 5 changes every 5 ms (1k tx/s, in the clumps of the W5 benchmark's generator) for 3 s of virtual time.
  const N = 3000;
  for (let ms = 0; ms < N; ms++) {
    if (ms % 5 === 0) src.arrive(5);
    await settle();
    clock.advance(1);
  }
  for (let ms = 0; ms < 100; ms++) { await settle(); clock.advance(1); }
  q.close();
  await w.run;
  assert.deepEqual(w.batches.flatMap((b) => b.ids), Array.from({ length: N }, (_, i) => i + 1), 'every change once, in order');
  const worst = Math.max(...w.batches.map((b) => b.worstWaitMs));
  assert.ok(worst <= 20, `worst wait ${worst} ms exceeds the 20 ms budget`);
  const steady = w.batches.slice(5, -2).map((b) => b.ids.length);
  assert.ok(Math.min(...steady) >= 10, `batches gather (sizes ${steady.join(',')})`);
  // One cycle ≈ target: about 1000/20 = 50 batches a second, not one per clump (200 a second).
  assert.ok(w.batches.length <= 200, `${w.batches.length} batches in 3 s`);
  assert.ok(src.stats.reads <= w.batches.length + 3, `${src.stats.reads} reads of the source for ${w.batches.length} batches`);
});

test('a burst fills batches to maxEvents at once, without lingering', async () => {
  const clock = new VirtualClock();
  const budget = new LatencyBudget({ targetMs: 20, clock });
  const pacer = new ReadPacer();
  const q = new BatchQueue({ capacityEvents: 100000, pacer, latency: budget });
  // A steady stream first, so that the budget would linger if the batches were not full.
  budget.taken(1); clock.advance(1); budget.taken(5);
  let id = 1;
  for (let i = 0; i < 2000; i++) await q.push({ events: Array.from({ length: 5 }, () => ev(id++, 0)), checkpoint: pos(id - 1) });
  const sizes: number[] = [];
  for (let i = 0; i < 5; i++) {
    const b = await q.take({ maxEvents: 2000, maxDelayMs: 0 });
    sizes.push(b!.events.length);
    assert.equal(pacer.held, false, 'more is queued: the source keeps reading while a full batch is written');
  }
  assert.deepEqual(sizes, [2000, 2000, 2000, 2000, 2000]);
  assert.deepEqual(clock.scheduled, [], 'no linger');
  q.close();
});

test('Pipeline with default (adaptive) batching: a burst through a slow sink is written in full batches, every event counted', async () => {
  const N = 20000;
  const source: SourceConnector = {
    async *read(_ctx: SourceContext) {
      // Every 7th change an update, so that events_total counts two operations within each batch.
      for (let i = 1; i <= N; i += 10) yield { events: Array.from({ length: 10 }, (_, k) => ((i + k) % 7 === 0 ? { ...ev(i + k, Date.now()), op: 'u' as const } : ev(i + k, Date.now()))), checkpoint: pos(i + 9) };
    },
    async acknowledge() {},
    async close() {},
  };
  const sizes: number[] = [];
  const written: number[] = [];
  const sink: Sink = {
    async write(events) { sizes.push(events.length); for (const e of events) written.push(e.key!['id'] as number); await sleep(5); },
    async flush() {},
    async close() {},
  };
  const offsets: OffsetStore = { async read() { return null; }, async commit(_t: string, _o: StoredOffset) {}, async reset() {}, async close() {} };
  const metrics = new PromMetrics({ collectProcessMetrics: false });
  const r = await new Pipeline({ taskName: 't', source, sinks: [sink], offsets, log: quietLog(), metrics, maxBatchEvents: 1000 }).run(new AbortController().signal);
  assert.equal(r.events, N);
  const text = await metrics.registry.metrics();
  const updates = Math.floor(N / 7);
  assert.match(text, new RegExp(`^ferry_events_total\\{table="db\\.t",op="c"\\} ${N - updates}$`, 'm'));
  assert.match(text, new RegExp(`^ferry_events_total\\{table="db\\.t",op="u"\\} ${updates}$`, 'm'));
  assert.deepEqual(written, Array.from({ length: N }, (_, i) => i + 1));
  const inFull = sizes.filter((s) => s === 1000).length * 1000;
  assert.ok(inFull >= 0.8 * N, `batches grow under a burst: sizes ${sizes.join(',')}`);
});
