// The sink worker's decoder: wire-format records → SinkRecords through the registry, and every kind of poison.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { EventEncoder } from '../../../schemas/src/event-encoder.ts';
import { RecordDecoder } from '../../src/sink-worker/record-decoder.ts';
import { FerryError } from '../../../core/src/errors.ts';
import type { IncomingRecord } from '../../src/kafka/kafka-client.ts';
import type { SinkRecord } from '../../../core/src/record-sink.ts';
import { FakeRegistry } from '../../../test/helpers/sink-kit/fake-registry.ts';
import { fixture, workload } from '../../../test/helpers/sink-kit/fixtures.ts';

const fx = fixture();
const w = workload(fx, { prefix: 'p', rows: 5, changesV1: 5, changesV2: 5 });
const raw = (value: Buffer | null, key: Buffer | null = null, offset = 0n): IncomingRecord => ({ topic: 'p.shop.orders', partition: 0, offset, key, value, timestampMs: 1, headers: new Map() });

async function encoded() {
  const registry = new FakeRegistry();
  const enc = new EventEncoder({ connector: 'mariadb', topicPrefix: 'p' });
  const e = await enc.encodeRegistered(w.events[0]!, registry);
  return { registry, key: e.key!, value: e.value };
}

test('decodes a change event: envelope values in wire representation, table and key from the schemas', async () => {
  const { registry, key, value } = await encoded();
  const d = new RecordDecoder({ registry, sourceFields: ['ts_ms', 'db', 'table', 'file', 'pos'] });
  const first = d.decode(raw(value, key), 'p.shop.orders/0');
  assert.equal(first.kind, 'missing');
  await d.prefetch((first as { ids: readonly number[] }).ids);
  const out = d.decode(raw(value, key, 7n), 'p.shop.orders/0');
  assert.equal(out.kind, 'record');
  const r = (out as { record: SinkRecord }).record;
  assert.equal(r.offset, 7n);
  assert.equal(r.partition, 0);
  assert.equal(r.stream, 'p.shop.orders/0');
  assert.deepEqual({ ...r.key }, { id: 1 });
  assert.equal(r.envelope.op, 'c');
  assert.deepEqual(Object.keys(r.envelope.source).sort(), ['db', 'file', 'pos', 'table', 'ts_ms']);
  assert.ok(Buffer.isBuffer(r.envelope.after!.amount), 'a Decimal stays the unscaled bytes');
  assert.equal(typeof r.envelope.after!.created, 'number', 'a MicroTimestamp is a number of µs');
  assert.equal(r.table.schema, 'shop');
  assert.equal(r.table.table, 'orders');
  assert.deepEqual(r.table.primaryKey, ['id']);
  assert.equal(r.sizeBytes, key.length + value.length);
  // The table object is shared by every record of the version.
  const again = d.decode(raw(value, key, 8n), 'p.shop.orders/0') as { record: typeof r };
  assert.equal(again.record.table, r.table);
  assert.equal(registry.fetches, 2);
});

test('tombstones are skipped; undecodable bytes are poison, never an exception', async () => {
  const { registry, key, value } = await encoded();
  const d = new RecordDecoder({ registry, sourceFields: 'all' });
  await d.prefetch([1, 2]);
  assert.equal(d.decode(raw(null, key), 's').kind, 'tombstone');
  assert.equal(d.decode(raw(Buffer.alloc(0), key), 's').kind, 'tombstone');
  const garbage = d.decode(raw(Buffer.from('{"not":"avro"}')), 's');
  assert.equal(garbage.kind, 'poison');
  assert.match((garbage as { reason: string }).reason, /not in Confluent wire format/);
  assert.equal(d.decode(raw(value, Buffer.from('xx')), 's').kind, 'poison');
  const truncated = d.decode(raw(value.subarray(0, 20), key), 's');
  assert.equal(truncated.kind, 'poison');
  assert.match((truncated as { reason: string }).reason, /cannot decode the Avro payload/);
  // An id the registry does not know: poison once fetched (404 is permanent).
  const unknown = Buffer.from(value);
  unknown.writeUInt32BE(999, 1);
  const m = d.decode(raw(unknown, key), 's');
  assert.equal(m.kind, 'missing');
  await d.prefetch((m as { ids: readonly number[] }).ids);
  const p = d.decode(raw(unknown, key), 's');
  assert.equal(p.kind, 'poison');
  assert.match((p as { reason: string }).reason, /999.*not found/);
  // The key schema used as a value: not an Envelope.
  const keyAsValue = Buffer.from(key);
  const q = d.decode(raw(keyAsValue, key), 's');
  assert.equal(q.kind, 'poison');
  assert.match((q as { reason: string }).reason, /not a Debezium change-event Envelope/);
});

test('a registry outage is not poison: prefetch throws a retryable error', async () => {
  const { registry, key, value } = await encoded();
  registry.down = true;
  const d = new RecordDecoder({ registry, sourceFields: 'all' });
  const m = d.decode(raw(value, key), 's') as { ids: readonly number[] };
  await assert.rejects(d.prefetch(m.ids), (e: unknown) => e instanceof FerryError && e.disposition === 'retry');
  registry.down = false;
  await d.prefetch(m.ids);
  assert.equal(d.decode(raw(value, key), 's').kind, 'record');
});
