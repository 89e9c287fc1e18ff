// KafkaEventSink encodes a batch's records into an arena (schemas/src/encode-arena.ts) and reuses it for a later batch
// only once the producer's send of the batch resolved. A send that failed may have left requests holding the records
// (a request queued on a broken connection), so its arena must never be written again. The producer here is a
// stand-in that keeps what it was given: the records of every send must still hold the bytes they held when sent.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { KafkaEventSink } from '../../src/kafka/KafkaEventSink.ts';
import type { KafkaAdmin } from '../../src/kafka/kafka-admin.ts';
import type { OutgoingRecord } from '../../src/kafka/kafka-client.ts';
import { PromMetrics } from '../../src/metrics/metrics.ts';
import { binlogPosition } from '../../../core/src/position.ts';
import type { ChangeEvent, SchemaRegistry, SinkContext, TableSchema } from '../../../core/src/types.ts';
import { decodeWire } from '../../../schemas/src/event-encoder.ts';
import { avscType } from '../../../schemas/src/avro-types.ts';
import { TableSchemaCache } from '../../../schemas/src/envelope-schema.ts';

const table: TableSchema = {
  id: { schema: 'shop', table: 'orders' }, version: 1, primaryKey: ['id'],
  columns: [
    { name: 'id', type: { type: 'int64' }, nullable: false, sourceType: 'bigint' },
    { name: 'note', type: { type: 'string' }, nullable: true, sourceType: 'text' },
  ],
};

function event(i: number): ChangeEvent {
  return {
    op: 'c', key: { id: i }, before: null, after: { id: i, note: `order ${i} `.repeat(1 + (i % 30)) }, tsMs: 1_700_000_000_000, table,
    source: { connector: 'mariadb', name: 'arena', tsMs: 1_700_000_000_000, snapshot: 'false', db: 'shop', table: 'orders', position: binlogPosition({ file: 'mariadb-bin.000001', pos: 4 + i }) },
  };
}

const registry = { async register() { return 1; }, async getById() { return {}; }, async isCompatible() { return true; } } as unknown as SchemaRegistry;
const admin = { async ensureTopics() {}, async partitionCount() { return 1; }, async close() {} } as unknown as KafkaAdmin;
const ctx = { endsAtTransactionBoundary: true } as unknown as SinkContext;
const envelope = avscType(new TableSchemaCache({ connector: 'mariadb', topicPrefix: 'arena' }).get(table).envelope);

interface Send { readonly records: readonly OutgoingRecord[]; readonly copies: readonly Buffer[] }

/** A producer that keeps every send's records, with a copy of their values as they were when sent; `fail` rejects. */
function keepingProducer(fail: (n: number) => boolean) {
  const sends: Send[] = [];
  return {
    sends,
    async send(records: readonly OutgoingRecord[]) {
      sends.push({ records, copies: records.map((r) => Buffer.from(r.value!)) });
      if (fail(sends.length)) throw new Error('broker unreachable');
    },
    async close() {},
  };
}

const batch = (from: number, n: number) => Array.from({ length: n }, (_, i) => event(from + i));

test('an acknowledged batch\'s arena is reused by the next batch; a failed one\'s never is', async () => {
  const producer = keepingProducer((n) => n === 2 || n === 3);
  const sink = new KafkaEventSink({ producer, admin, registry, connector: 'mariadb', topicPrefix: 'arena', partitions: 1, replicationFactor: 1, tombstonesOnDelete: false, metrics: new PromMetrics({ collectProcessMetrics: false }) });
  await sink.write(batch(0, 500), ctx); // send 1: acknowledged
  await assert.rejects(sink.write(batch(500, 500), ctx), /broker unreachable/); // send 2: fails
  await assert.rejects(sink.write(batch(1000, 500), ctx), /broker unreachable/); // send 3: fails
  await sink.write(batch(1500, 500), ctx); // send 4
  await sink.write(batch(2000, 500), ctx); // send 5
  const memory = (s: Send) => new Set(s.records.map((r) => r.value!.buffer));
  const [s1, s2, s3, s4, s5] = producer.sends as [Send, Send, Send, Send, Send];
  assert.deepEqual([...memory(s2)], [...memory(s1)], 'the batch after an acknowledged one is encoded into its arena');
  for (const later of [s3, s4, s5]) {
    assert.ok([...memory(later)].every((b) => !memory(s2).has(b)), 'a failed batch\'s arena is not written again');
  }
  assert.ok([...memory(s3)].every((b) => !memory(s4).has(b)), 'nor is the second failed batch\'s');
  assert.deepEqual([...memory(s5)], [...memory(s4)], 'reuse resumes after the next acknowledged batch');
  // What every send held when it was made is what it holds now, except the acknowledged batches 1 and 4, whose
  // memory later batches were allowed to reuse.
  for (const [n, s] of [[2, s2], [3, s3], [5, s5]] as const) {
    s.records.forEach((r, i) => assert.ok(r.value!.equals(s.copies[i]!), `send ${n}, record ${i}: unchanged`));
  }
  // And the bytes are the events (decoded independently of the encoder).
  for (const [n, s] of producer.sends.entries()) {
    s.copies.forEach((v, i) => {
      const value = decodeWire(envelope, v).value as { after: { id: number; note: string } };
      assert.equal(value.after.id, n * 500 + i);
      assert.equal(value.after.note, `order ${n * 500 + i} `.repeat(1 + ((n * 500 + i) % 30)));
    });
  }
});
