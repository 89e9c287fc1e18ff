// The destination guard (runtime/src/pipeline/destination-guard.ts) behind the pipeline: `admit` sees each
// (source table, target table) once, before its first batch goes on; when it throws, that batch never reaches the
// sink, the batches before it are written and committed, and the run rejects with the error, which is never an
// unhandled rejection while the writer is still busy.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { Pipeline } from '../../src/pipeline/Pipeline.ts';
import { kafkaTopicKey, withDestinationGuard } from '../../src/pipeline/destination-guard.ts';
import { FerryError } from '../../../core/src/errors.ts';
import { binlogPosition } from '../../../core/src/position.ts';
import { createLogger } from '../../src/log/logger.ts';
import { PromMetrics } from '../../src/metrics/metrics.ts';
import type { ChangeBatch, ChangeEvent, Sink, SourceConnector, TableId, TableSchema } from '../../../core/src/types.ts';
import { MemoryOffsets } from '../../../test/helpers/memory-offsets.ts';

const pos = (n: number) => binlogPosition({ file: 'b.000001', pos: n });
const schema = (table: string): TableSchema => ({ id: { schema: 'db', table }, version: 1, primaryKey: ['id'], columns: [{ name: 'id', type: { type: 'int32' }, nullable: false, sourceType: 'int' }] });
/** An event of source table `source` whose target (after the mapping) is `target`. */
const ev = (source: string, target: string, id: number): ChangeEvent => ({
  op: 'c', key: { id }, before: null, after: { id }, tsMs: 0, table: schema(target),
  source: { connector: 'mariadb', name: 'x', tsMs: 1, snapshot: 'false', db: 'db', table: source, position: pos(id) },
});
const quietLog = () => createLogger({ destination: new Writable({ write(_c, _e, cb) { cb(); } }) });

function source(batches: ChangeBatch[]): SourceConnector {
  return {
    async *read() { for (const b of batches) yield b; },
    async acknowledge() {},
    async close() {},
  };
}

test('admit sees each (source, target) pair once; a throw stops the run before the batch that holds the new table', async () => {
  const admitted: string[] = [];
  const written: string[] = [];
  const sink: Sink = {
    // A slow sink: the guard fails while the writer is still busy with the first batch.
    async write(events) { await new Promise((r) => setTimeout(r, 100)); for (const e of events) written.push(`${e.source.table}/${e.key!.id as number}`); },
    async flush() {},
    async close() {},
  };
  const guarded = withDestinationGuard(source([
    { events: [ev('t_x', 't_x', 1), ev('t_x', 't_x', 2)], checkpoint: pos(2) },
    { events: [ev('t_x', 't_x', 3), ev('t x', 't x', 4), ev('t_x', 't_x', 5)], checkpoint: pos(5) },
    { events: [ev('t_x', 't_x', 6)], checkpoint: pos(6) },
  ]), {
    admit(src: TableId, target: TableSchema) {
      admitted.push(`${src.schema}.${src.table} → ${target.id.schema}.${target.id.table}`);
      if (src.table === 't x') throw new FerryError('FERRY_DESTINATION_COLLISION', 'tables "db.t_x" and "db.t x" both write Kafka topic "p.db.t_x"');
    },
  });
  const unhandled: unknown[] = [];
  const onUnhandled = (e: unknown) => unhandled.push(e);
  process.on('unhandledRejection', onUnhandled);
  const offsets = new MemoryOffsets();
  try {
    await assert.rejects(
      new Pipeline({ taskName: 't', source: guarded, sinks: [sink], offsets, log: quietLog(), metrics: new PromMetrics({ collectProcessMetrics: false }), maxBatchEvents: 2, maxBatchDelayMs: 0 }).run(new AbortController().signal),
      (e: unknown) => e instanceof FerryError && e.code === 'FERRY_DESTINATION_COLLISION',
    );
    await new Promise((r) => setTimeout(r, 50));
  } finally {
    process.off('unhandledRejection', onUnhandled);
  }
  assert.deepEqual(unhandled, []);
  assert.deepEqual(admitted, ['db.t_x → db.t_x', 'db.t x → db.t x']);
  assert.deepEqual(written, ['t_x/1', 't_x/2']);
  assert.equal(offsets.value?.position, pos(2));
});

test('kafkaTopicKey: "." and "_" compare equal, as Kafka takes them', () => {
  assert.equal(kafkaTopicKey('p.a.b_c'), kafkaTopicKey('p.a_b.c'));
  assert.notEqual(kafkaTopicKey('p.a.b-c'), kafkaTopicKey('p.a.b_c'));
});
