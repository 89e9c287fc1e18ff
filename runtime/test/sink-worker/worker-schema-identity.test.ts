// Column types read back from the registered Avro, record identities and names, and topic discovery.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { buildTableSchemas } from '../../../schemas/src/envelope-schema.ts';
import { sinkTableFromAvro, envelopeReaderSchema, decimalOf } from '../../src/sink-worker/avro-table.ts';
import { recordSeq, runName, sameChange, padOffset } from '../../src/sink-worker/record-identity.ts';
import { dataTopicsOf } from '../../src/sink-worker/SinkWorker.ts';
import type { SinkRecord } from '../../../core/src/record-sink.ts';
import type { TableSchema } from '../../../core/src/types.ts';
import { fixture } from '../../../test/helpers/sink-kit/fixtures.ts';

const fx = fixture();

test('a SinkTable from the Envelope and Key schemas carries Debezium types, parameters and the primary key', () => {
  const s = buildTableSchemas(fx.v2, { connector: 'mariadb', topicPrefix: 'p' });
  const t = sinkTableFromAvro(s.envelope, s.key, { topic: s.topic, schema: 'shop', table: 'orders', version: '9' });
  const col = (n: string) => t.columns.find((c) => c.name === n)!;
  assert.deepEqual(t.primaryKey, ['id']);
  assert.equal(t.columns.length, fx.v2.columns.length);
  assert.deepEqual(col('id'), { name: 'id', type: { connect: 'int64' }, optional: false });
  assert.deepEqual(decimalOf(col('amount').type), { scale: 2, precision: 12 });
  assert.equal(col('amount').type.logical, 'org.apache.kafka.connect.data.Decimal');
  assert.deepEqual(decimalOf(col('ubig').type), { scale: 0, precision: 20 });
  assert.equal(col('created').type.logical, 'io.debezium.time.MicroTimestamp');
  assert.equal(col('updated').type.logical, 'io.debezium.time.Timestamp');
  assert.equal(col('seen').type.logical, 'io.debezium.time.ZonedTimestamp');
  assert.equal(col('tiny').type.connect, 'int16', 'a TINYINT is an int16 behind an Avro int');
  assert.equal(col('color').type.params?.allowed, 'red,green,blue');
  assert.deepEqual(col('loc').type, { connect: 'struct', logical: 'io.debezium.data.geometry.Point' });
  assert.equal(col('added').optional, true);
  assert.equal(col('customer').optional, false);
});

test('a second struct column of the same named type (an Avro reference) resolves to that type', () => {
  const t: TableSchema = {
    id: { schema: 'g', table: 'shapes' }, version: 1, primaryKey: [],
    columns: [
      { name: 'a', type: { type: 'bytes', logical: 'io.debezium.data.geometry.Geometry' }, nullable: true, sourceType: 'geometry' },
      { name: 'b', type: { type: 'bytes', logical: 'io.debezium.data.geometry.Geometry' }, nullable: false, sourceType: 'polygon' },
    ],
  };
  const s = buildTableSchemas(t, { connector: 'mysql', topicPrefix: 'p' });
  const st = sinkTableFromAvro(s.envelope, s.key, { topic: s.topic, schema: 'g', table: 'shapes', version: '1' });
  assert.deepEqual(st.columns.map((c) => c.type.logical), ['io.debezium.data.geometry.Geometry', 'io.debezium.data.geometry.Geometry']);
  assert.deepEqual(st.primaryKey, []);
});

test('the reader schema keeps before/after/op/ts_ms and only the asked source fields', () => {
  const s = buildTableSchemas(fx.v1, { connector: 'mariadb', topicPrefix: 'p' });
  const r = envelopeReaderSchema(s.envelope, ['ts_ms', 'file']);
  assert.deepEqual(r.fields.map((f) => f.name), ['before', 'after', 'source', 'op', 'ts_ms']);
  const src = r.fields.find((f) => f.name === 'source')!.type as unknown as { fields: { name: string }[] };
  assert.deepEqual(src.fields.map((f) => f.name), ['ts_ms', 'file']);
});

const rec = (o: Partial<SinkRecord>): SinkRecord => ({ topic: 't', stream: 's', partition: null, offset: null, position: null, event: null, key: null, envelope: { before: null, after: null, source: {}, op: 'c', ts_ms: 0 }, table: null as never, timestampMs: 0, sizeBytes: 0, ...o });

test('Kafka identities: sequence = zero-padded offset; a run is named by partition and offset range', () => {
  const a = rec({ partition: 2, offset: 5n });
  const b = rec({ partition: 2, offset: 1234567n });
  assert.equal(recordSeq(a), '0000000000000000005');
  assert.ok(recordSeq(a) < recordSeq(b));
  assert.equal(runName([a, b]), `2-${padOffset(5n)}-${padOffset(1234567n)}`);
  assert.ok(sameChange(a, rec({ partition: 2, offset: 5n })));
  assert.ok(!sameChange(a, b));
});

test('direct identities: position + ordinal sort in log order; names are stable for the same run and differ otherwise', () => {
  const p1 = 'mysql:0000000001:000000001000:mariadb-bin';
  const p2 = 'mysql:0000000001:000000002000:mariadb-bin';
  const x = rec({ stream: 'direct:p', position: p1, event: 2, key: { id: 1 } });
  const y = rec({ stream: 'direct:p', position: p2, event: 1, key: { id: 2 } });
  assert.ok(recordSeq(x) < recordSeq(y));
  assert.ok(recordSeq(rec({ position: p1, event: 0 })) < recordSeq(x), 'snapshot reads (0) sort before the transaction events at their position');
  assert.equal(runName([x, y]), runName([{ ...x }, { ...y }]));
  assert.match(runName([x, y]), /^d-[0-9a-f]{16}$/);
  assert.notEqual(runName([x, y]), runName([x]));
  // Snapshot reads share a sequence; they are told apart by key.
  const s1 = rec({ position: p1, event: 0, key: { id: 1 } });
  const s2 = rec({ position: p1, event: 0, key: { id: 2 } });
  assert.ok(!sameChange(s1, s2));
  assert.notEqual(runName([s1]), runName([s2]));
});

test('data topics of a prefix exclude the transaction, DLQ, schema-change and other prefixes’ topics', () => {
  const all = ['shop', 'shop.transaction', 'shop.dlq', 'shop.inv.orders', 'shop.inv.items', 'shopx.inv.orders', '__debezium-heartbeat.shop', 'ferry.offsets', 'shop.my.db.t'];
  assert.deepEqual(dataTopicsOf(all, 'shop', ['shop.dlq']), ['shop.inv.items', 'shop.inv.orders', 'shop.my.db.t']);
});
