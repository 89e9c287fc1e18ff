// ChangeBatch.schemaChanges through the pipeline: merged in source order, written to the sinks that take them
// (Sink.writeSchemaChanges) before the batch's events, retried like a write, and durable before the commit.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { Pipeline } from '../../src/pipeline/Pipeline.ts';
import { FerryError } from '../../../core/src/errors.ts';
import { binlogPosition } from '../../../core/src/position.ts';
import { createLogger } from '../../src/log/logger.ts';
import { PromMetrics } from '../../src/metrics/metrics.ts';
import type { ChangeBatch, ChangeEvent, Position, SchemaChange, Sink, SourceConnector, TableSchema } from '../../../core/src/types.ts';
import { MemoryOffsets } from '../../../test/helpers/memory-offsets.ts';

const table: TableSchema = { id: { schema: 'db', table: 't' }, version: 1, primaryKey: ['id'], columns: [{ name: 'id', type: { type: 'int32' }, nullable: false, sourceType: 'int' }] };
const pos = (n: number) => binlogPosition({ file: 'b.000001', pos: n });
const source = (n: number) => ({ connector: 'mariadb' as const, name: 'x', tsMs: 1, snapshot: 'false' as const, db: 'db', table: 't', position: pos(n) });
const ev = (id: number): ChangeEvent => ({ op: 'c', key: { id }, before: null, after: { id }, tsMs: 0, table, source: source(id) });
const ddl = (n: number): SchemaChange => ({ databaseName: 'db', ddl: `ALTER TABLE t /* ${n} */`, source: source(n) });
const quietLog = () => createLogger({ destination: new Writable({ write(_c, _e, cb) { cb(); } }) });

function sourceOf(batches: readonly ChangeBatch[]): SourceConnector {
  return {
    async *read() { for (const b of batches) yield b; },
    async acknowledge(p: Position) { void p; },
    async close() {},
  };
}

test('schema changes are written before the events of their merged batch, in order, and committed after', async () => {
  const journal: string[] = [];
  let fail = 1;
  const kafka: Sink = {
    async writeSchemaChanges(changes) {
      if (fail-- > 0) throw new FerryError('FERRY_SINK_ERROR', 'transient'); // retried like a write
      journal.push(`ddl ${changes.map((c) => `${c.databaseName}:${c.ddl.replace(/\D/g, '')}`).join(',')}`);
    },
    async write(events) { journal.push(`write ${events.map((e) => e.key!.id).join(',')}`); },
    async flush() {},
    async close() {},
  };
  const direct: Sink = { async write(events) { journal.push(`direct ${events.length}`); }, async flush() {}, async close() {} }; // no writeSchemaChanges: ignores them
  const offsets = new MemoryOffsets(journal);
  const batches: ChangeBatch[] = [
    { events: [ev(1)], checkpoint: pos(1) },
    { events: [], checkpoint: pos(2), schemaChanges: [ddl(2)] }, // a DDL with no rows
    { events: [ev(3)], checkpoint: pos(3), schemaChanges: [ddl(3), { ...ddl(3), databaseName: 'db2' }] },
  ];
  await new Pipeline({ taskName: 't', source: sourceOf(batches), sinks: [kafka, direct], offsets, log: quietLog(), metrics: new PromMetrics({ collectProcessMetrics: false }), maxBatchEvents: 100, maxBatchDelayMs: 20 }).run(new AbortController().signal);
  assert.deepEqual(journal, ['ddl db:2,db:3,db2:3', 'write 1,3', 'direct 2', `commit ${pos(3)}`]);
});

test('a batch of schema changes only is committed after they are durable', async () => {
  const journal: string[] = [];
  const kafka: Sink = {
    async writeSchemaChanges(changes) { await new Promise((r) => setTimeout(r, 5)); journal.push(`ddl ${changes.length}`); },
    async write() { journal.push('write'); },
    async flush() {},
    async close() {},
  };
  const offsets = new MemoryOffsets(journal);
  await new Pipeline({ taskName: 't', source: sourceOf([{ events: [], checkpoint: pos(7), schemaChanges: [ddl(7)] }]), sinks: [kafka], offsets, log: quietLog(), metrics: new PromMetrics({ collectProcessMetrics: false }), maxBatchEvents: 100, maxBatchDelayMs: 0 }).run(new AbortController().signal);
  assert.deepEqual(journal, ['ddl 1', `commit ${pos(7)}`]);
});
