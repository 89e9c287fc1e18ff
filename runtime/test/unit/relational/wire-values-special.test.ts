// PostgreSQL's special values in the engine-neutral converters: Debezium's ±infinity sentinels go through the
// dialect's hook (the default refuses them), the ISO 8601 interval and the bit string pass as sent.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { SinkFieldType } from '../../../../core/src/record-sink.ts';
import { converterOf, INFINITY_SENTINELS, RejectedValue, type Hooks } from '../../../src/relational/wire-values.ts';

const t = (connect: SinkFieldType['connect'], logical?: string, params?: Record<string, string>): SinkFieldType => ({ connect, ...(logical ? { logical } : {}), ...(params ? { params } : {}) });
const PG: Hooks = { infinity: (sign, kind) => `${sign < 0 ? '-' : ''}infinity ${kind}` };

test('±infinity sentinels: the dialect hook decides; without one they are refused, naming the value', () => {
  const date = converterOf(t('int32', 'io.debezium.time.Date'), PG);
  assert.equal(date(-2147472692), 'infinity date');
  assert.equal(date(-2147472691), '-infinity date');
  assert.equal(date(19782), '2024-02-29');
  const micro = converterOf(t('int64', 'io.debezium.time.MicroTimestamp'), PG);
  assert.equal(micro(9223372036825200000n), 'infinity timestamp');
  assert.equal(micro(-9223372036832400000n), '-infinity timestamp');
  assert.equal(micro(1709208000000001), '2024-02-29 12:00:00.000001');
  assert.equal(micro(9223372036825200001n), '294247-01-10 04:00:25.200001', 'one µs off the sentinel is a timestamp');
  const milli = converterOf(t('int64', 'io.debezium.time.Timestamp'), PG);
  assert.equal(milli(9223372036825200n), 'infinity timestamp');
  assert.equal(milli(-9223372036832400n), '-infinity timestamp');
  assert.deepEqual(INFINITY_SENTINELS.dateDays, { pos: -2147472692, neg: -2147472691 });
  assert.throws(() => converterOf(t('int32', 'io.debezium.time.Date'))(-2147472692), (e: unknown) => e instanceof RejectedValue && /infinity date/.test(e.message));
  assert.throws(() => converterOf(t('int64', 'io.debezium.time.MicroTimestamp'))(-9223372036832400000n), (e: unknown) => e instanceof RejectedValue && /-infinity timestamp/.test(e.message));
});

test('io.debezium.time.Interval and io.ferry.data.BitString pass as the text sent', () => {
  assert.equal(converterOf(t('string', 'io.debezium.time.Interval'))('P-1Y-2M3DT-4H-5M-6.78S'), 'P-1Y-2M3DT-4H-5M-6.78S');
  assert.equal(converterOf(t('string', 'io.ferry.data.BitString', { length: '16' }))('01'), '01');
  assert.equal(converterOf(t('string', 'io.ferry.data.BitString', { length: '16' }))(''), '');
});

test('through Avro (Kafka mode) the sink sees the same types: Interval, BitString with its length, numeric as string', async () => {
  const { buildTableSchemas } = await import('../../../../schemas/src/envelope-schema.ts');
  const { sinkTableFromAvro } = await import('../../../src/sink-worker/avro-table.ts');
  const s = buildTableSchemas({
    id: { schema: 'app', table: 't' }, version: 1, primaryKey: ['id'],
    columns: [
      { name: 'id', type: { type: 'int32' }, nullable: false, sourceType: 'integer' },
      { name: 'i', type: { type: 'string', logical: 'io.debezium.time.Interval', version: 1 }, nullable: true, sourceType: 'interval' },
      { name: 'vb', type: { type: 'string', logical: 'io.ferry.data.BitString', version: 1, params: { length: '16' } }, nullable: true, sourceType: 'bit varying(16)' },
      { name: 'n', type: { type: 'string' }, nullable: true, sourceType: 'numeric' },
    ],
  }, { connector: 'postgresql', topicPrefix: 'p' });
  const t = sinkTableFromAvro(s.envelope, s.key, { topic: s.topic, schema: 'app', table: 't', version: '1' });
  const byName = new Map(t.columns.map((c) => [c.name, c.type]));
  assert.equal(byName.get('i')?.logical, 'io.debezium.time.Interval');
  assert.equal(byName.get('vb')?.logical, 'io.ferry.data.BitString');
  assert.equal(byName.get('vb')?.params?.length, '16');
  assert.equal(byName.get('n')?.connect, 'string');
});
