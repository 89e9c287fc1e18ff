// ChangeBatch.messages (PostgreSQL logical-decoding messages for the outbox) through the pipeline: merged in source
// order, written to the sinks that take them (Sink.writeMessages) before the batch's events, durable before the
// commit, counted in the queue's capacity; sinks without writeMessages see only the events.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { Pipeline } from '../../src/pipeline/Pipeline.ts';
import { BatchQueue } from '../../src/pipeline/BatchQueue.ts';
import { lsnPosition } from '../../../core/src/position.ts';
import { createLogger } from '../../src/log/logger.ts';
import { PromMetrics } from '../../src/metrics/metrics.ts';
import type { ChangeBatch, ChangeEvent, Position, Sink, SourceConnector, SourceMessage, TableSchema } from '../../../core/src/types.ts';
import { MemoryOffsets } from '../../../test/helpers/memory-offsets.ts';

const table: TableSchema = { id: { schema: 's', table: 't' }, version: 1, primaryKey: ['id'], columns: [{ name: 'id', type: { type: 'int32' }, nullable: false, sourceType: 'int' }] };
const pos = (n: number) => lsnPosition(BigInt(n));
const ev = (id: number): ChangeEvent => ({ op: 'c', key: { id }, before: null, after: { id }, tsMs: 0, table, source: { connector: 'postgresql', name: 'x', tsMs: 1, snapshot: 'false', db: 'd', schema: 's', table: 't', position: pos(id) } });
const msg = (n: number): SourceMessage => ({ prefix: 'outbox', content: Buffer.from(`{"n":${n}}`), transactional: true, position: pos(n), txId: String(n), tsMs: 1 });
const quietLog = () => createLogger({ destination: new Writable({ write(_c, _e, cb) { cb(); } }) });

const sourceOf = (batches: readonly ChangeBatch[]): SourceConnector => ({ async *read() { for (const b of batches) yield b; }, async acknowledge(p: Position) { void p; }, async close() {} });

test('messages are written before the events of their merged batch, in order, and committed after', async () => {
  const journal: string[] = [];
  const kafka: Sink = {
    async writeMessages(messages) { journal.push(`messages ${messages.map((m) => m.content.toString()).join(',')}`); },
    async write(events) { journal.push(`write ${events.map((e) => e.key!.id).join(',')}`); },
    async flush() {}, async close() {},
  };
  const direct: Sink = { async write(events) { journal.push(`direct ${events.length}`); }, async flush() {}, async close() {} };
  const batches: ChangeBatch[] = [
    { events: [ev(1)], checkpoint: pos(1), messages: [msg(1)] },
    { events: [], checkpoint: pos(2), messages: [msg(2), msg(3)] }, // a transaction with messages only
    { events: [ev(4)], checkpoint: pos(4) },
  ];
  await new Pipeline({ taskName: 't', source: sourceOf(batches), sinks: [kafka, direct], offsets: new MemoryOffsets(journal), log: quietLog(), metrics: new PromMetrics({ collectProcessMetrics: false }), maxBatchEvents: 100, maxBatchDelayMs: 20 }).run(new AbortController().signal);
  assert.deepEqual(journal, ['messages {"n":1},{"n":2},{"n":3}', 'write 1,4', 'direct 2', `commit ${pos(4)}`]);
});

test('messages count in the queue capacity and in a merged batch\'s size', async () => {
  const q = new BatchQueue({ capacityEvents: 3 });
  await q.push({ events: [], checkpoint: pos(1), messages: [msg(1), msg(2)] });
  await q.push({ events: [ev(3)], checkpoint: pos(3) });
  let third = false;
  const pushing = q.push({ events: [], checkpoint: pos(4), messages: [msg(4)] }).then(() => { third = true; });
  await new Promise((r) => setTimeout(r, 20));
  assert.equal(third, false, 'the queue is full with 2 messages and 1 event');
  const first = await q.take({ maxEvents: 2, maxDelayMs: 0 });
  assert.deepEqual([first!.messages.length, first!.events.length, first!.checkpoint], [2, 0, pos(1)]);
  await pushing;
  const rest = await q.take({ maxEvents: 10, maxDelayMs: 0 });
  assert.deepEqual([rest!.messages.length, rest!.events.length, rest!.checkpoint], [1, 1, pos(4)]);
});
