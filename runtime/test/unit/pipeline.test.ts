// The pipeline's delivery order, batching and retry, with in-memory stand-ins for the source, sink and store
// (the runtime's own logic under test; the real services are covered by the integration tests).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { Pipeline } from '../../src/pipeline/Pipeline.ts';
import { FerryError } from '../../../core/src/errors.ts';
import { binlogPosition } from '../../../core/src/position.ts';
import { createLogger } from '../../src/log/logger.ts';
import { PromMetrics } from '../../src/metrics/metrics.ts';
import type { ChangeBatch, ChangeEvent, Position, Sink, SourceConnector, SourceContext, StoredOffset, TableSchema } from '../../../core/src/types.ts';
import { MemoryOffsets } from '../../../test/helpers/memory-offsets.ts';

const table: TableSchema = { id: { schema: 'db', table: 't' }, version: 1, primaryKey: ['id'], columns: [{ name: 'id', type: { type: 'int32' }, nullable: false, sourceType: 'int' }] };
const pos = (n: number) => binlogPosition({ file: 'b.000001', pos: n });
const ev = (id: number): ChangeEvent => ({ op: 'c', key: { id }, before: null, after: { id }, tsMs: 0, table, source: { connector: 'mariadb', name: 'x', tsMs: Date.now(), snapshot: 'false', db: 'db', table: 't', position: pos(id) } });
const quietLog = () => createLogger({ destination: new Writable({ write(_c, _e, cb) { cb(); } }) });

function txSource(n: number, journal: string[]): SourceConnector & { resumedFrom: StoredOffset | null } {
  return {
    resumedFrom: null,
    async *read(ctx: SourceContext): AsyncIterable<ChangeBatch> {
      this.resumedFrom = ctx.resumeFrom;
      const start = ctx.resumeFrom ? Number(ctx.resumeFrom.position.split(':')[2]) + 1 : 1;
      for (let i = start; i <= n && !ctx.signal.aborted; i++) {
        yield { events: [ev(i)], checkpoint: pos(i) };
      }
    },
    async acknowledge(p: Position) { journal.push(`ack ${p}`); },
    async close() {},
  };
}

test('order per batch: sink durable, then offset commit, then source ack; small transactions are merged', async () => {
  const journal: string[] = [];
  const written: number[] = [];
  const sink: Sink = {
    async write(events) { await new Promise((r) => setTimeout(r, 5)); for (const e of events) written.push(e.key!.id as number); journal.push(`write ${events.length}`); },
    async flush() { journal.push('flush'); },
    async close() {},
  };
  const offsets = new MemoryOffsets(journal);
  const p = new Pipeline({ taskName: 't', source: txSource(500, journal), sinks: [sink], offsets, log: quietLog(), metrics: new PromMetrics({ collectProcessMetrics: false }), maxBatchEvents: 100, maxBatchDelayMs: 2 });
  const r = await p.run(new AbortController().signal);
  assert.equal(r.events, 500);
  assert.deepEqual(written, Array.from({ length: 500 }, (_, i) => i + 1));
  assert.equal(offsets.value?.position, pos(500));
  assert.equal(r.lastCommitted, pos(500));
  // every commit follows a write+flush, and every ack follows its commit
  for (let i = 0; i < journal.length; i++) {
    if (journal[i]!.startsWith('commit')) { assert.equal(journal[i - 1], 'flush'); assert.equal(journal[i + 1], `ack ${journal[i]!.slice(7)}`); }
  }
  const writes = journal.filter((j) => j.startsWith('write'));
  assert.ok(writes.length < 100, `expected merged batches, got ${writes.length} writes`);
  assert.ok(writes.every((w) => Number(w.slice(6)) <= 100));
});

test('a retryable sink failure is retried and nothing is committed before it succeeds; restart resumes after the commit', async () => {
  const journal: string[] = [];
  let failures = 2;
  const got: number[] = [];
  const sink: Sink = {
    async write(events) { if (failures-- > 0) throw new FerryError('FERRY_SINK_ERROR', 'transient'); for (const e of events) got.push(e.key!.id as number); },
    async flush() {},
    async close() {},
  };
  const offsets = new MemoryOffsets(journal);
  offsets.value = { position: pos(10), snapshotDone: true, formatVersion: 1 };
  const src = txSource(20, journal);
  const r = await new Pipeline({ taskName: 't', source: src, sinks: [sink], offsets, log: quietLog(), metrics: new PromMetrics({ collectProcessMetrics: false }), maxBatchEvents: 1000, maxBatchDelayMs: 0 }).run(new AbortController().signal);
  assert.equal(src.resumedFrom?.position, pos(10));
  assert.deepEqual(got, Array.from({ length: 10 }, (_, i) => i + 11));
  assert.equal(r.lastCommitted, pos(20));
});

test('a fatal sink failure stops the pipeline without committing the failed batch', async () => {
  const journal: string[] = [];
  const sink: Sink = { async write() { throw new FerryError('FERRY_UNSUPPORTED', 'no'); }, async flush() {}, async close() {} };
  const offsets = new MemoryOffsets(journal);
  await assert.rejects(new Pipeline({ taskName: 't', source: txSource(5, journal), sinks: [sink], offsets, log: quietLog(), metrics: new PromMetrics({ collectProcessMetrics: false }), maxBatchEvents: 10, maxBatchDelayMs: 0 }).run(new AbortController().signal), /no/);
  assert.equal(offsets.value, null);
  assert.deepEqual(journal.filter((j) => j.startsWith('ack')), []);
});

test('a sink failure while the queue is full ends run() instead of leaving the reader blocked', async () => {
  const journal: string[] = [];
  const sink: Sink = { async write() { await new Promise((r) => setTimeout(r, 20)); throw new FerryError('FERRY_UNSUPPORTED', 'broken sink'); }, async flush() {}, async close() {} };
  const run = new Pipeline({ taskName: 't', source: txSource(10000, journal), sinks: [sink], offsets: new MemoryOffsets(journal), log: quietLog(), metrics: new PromMetrics({ collectProcessMetrics: false }), maxBatchEvents: 10, maxBatchDelayMs: 0, queueCapacityEvents: 20 }).run(new AbortController().signal);
  const outcome = await Promise.race([run.then(() => 'resolved', (e: Error) => e.message), new Promise((r) => setTimeout(() => r('hung'), 3000))]);
  assert.equal(outcome, 'broken sink');
});

test('commitNow: the checkpoint is committed before any later event is written, even with a commit interval', async () => {
  const journal: string[] = [];
  const source: SourceConnector = {
    async *read(): AsyncIterable<ChangeBatch> {
      yield { events: [], checkpoint: pos(1), state: { v: 1 }, commitNow: true };
      for (let i = 2; i <= 50; i++) yield { events: [ev(i)], checkpoint: pos(1), state: { v: i } };
    },
    async acknowledge() {},
    async close() {},
  };
  const sink: Sink = { async write(events) { journal.push(`write ${events[0]!.key!.id as number}..`); }, async flush() {}, async close() {} };
  const offsets = new MemoryOffsets(journal);
  const p = new Pipeline({ taskName: 't', source, sinks: [sink], offsets, log: quietLog(), metrics: new PromMetrics({ collectProcessMetrics: false }), maxBatchEvents: 100, maxBatchDelayMs: 20, offsetCommitIntervalMs: 60000 });
  await p.run(new AbortController().signal);
  assert.equal(journal[0], `commit ${pos(1)}`, 'the barrier is committed first, not merged into the rows after it');
  assert.equal(journal[1], 'write 2..');
  assert.deepEqual(offsets.value?.state, { v: 50 });
});

test('a stop while the sinks keep failing ends the run after the shutdown deadline, with the error and nothing committed', { timeout: 10_000 }, async () => {
  const journal: string[] = [];
  let attempts = 0;
  const sink: Sink = {
    async write() { attempts++; throw new Error('relation "t" has no column "x"'); },
    async flush() {},
    async close() {},
  };
  const source: SourceConnector = {
    async *read(ctx: SourceContext): AsyncIterable<ChangeBatch> {
      yield { events: [ev(1)], checkpoint: pos(1) };
      while (!ctx.signal.aborted) await new Promise((r) => setTimeout(r, 10));
    },
    async acknowledge() {},
    async close() {},
  };
  const offsets = new MemoryOffsets(journal);
  const p = new Pipeline({ taskName: 't', source, sinks: [sink], offsets, log: quietLog(), metrics: new PromMetrics({ collectProcessMetrics: false }), maxBatchEvents: 10, maxBatchDelayMs: 1, shutdownTimeoutMs: 300 });
  const stop = new AbortController();
  const running = p.run(stop.signal);
  await new Promise((r) => setTimeout(r, 150));
  const stoppedAt = Date.now();
  stop.abort();
  await assert.rejects(running, /has no column "x"/);
  const took = Date.now() - stoppedAt;
  assert.ok(took >= 250 && took < 3000, `ended ${took} ms after the stop (deadline 300 ms)`);
  assert.ok(attempts >= 2, `retried before the deadline (${attempts} attempts)`);
  assert.equal(offsets.value, null, 'the failing batch was not committed');
});
