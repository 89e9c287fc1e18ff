import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { SinkFieldType } from '../../../../core/src/record-sink.ts';
import { decimalToBytes } from '../../../../schemas/src/decimal.ts';
import { bitsText, converterOf, dateText, durationText, RejectedValue, sourceConnectorOf, timestampText } from '../../../src/relational/wire-values.ts';

const t = (connect: SinkFieldType['connect'], logical?: string, params?: Record<string, string>): SinkFieldType => ({ connect, ...(logical ? { logical } : {}), ...(params ? { params } : {}) });

test('decimals: exact text at full precision (DECIMAL(65,30), unsigned BIGINT)', () => {
  const dec = converterOf(t('bytes', 'org.apache.kafka.connect.data.Decimal', { scale: '30', 'connect.decimal.precision': '65' }));
  const v = '-12345678901234567890123456789012345.123456789012345678901234567890';
  assert.equal(dec(decimalToBytes(v, 30)), v);
  const ubig = converterOf(t('bytes', 'org.apache.kafka.connect.data.Decimal', { scale: '0', 'connect.decimal.precision': '20' }));
  assert.equal(ubig(Buffer.from('00ffffffffffffffff', 'hex')), '18446744073709551615');
  const vsd = converterOf(t('struct', 'io.debezium.data.VariableScaleDecimal'));
  assert.equal(vsd({ scale: 3, value: decimalToBytes('-0.005', 3) }), '-0.005');
});

test('dates, timestamps and times as SQL text', () => {
  assert.equal(dateText(0), '1970-01-01');
  assert.equal(dateText(-719528), '0000-01-01');
  assert.equal(dateText(2932896), '9999-12-31');
  assert.equal(timestampText(-1n), '1969-12-31 23:59:59.999999');
  assert.equal(timestampText(-1), '1969-12-31 23:59:59.999999');
  assert.equal(timestampText(-62135596800000000), '0001-01-01 00:00:00.000000');
  assert.equal(timestampText(253402300799999999n), '9999-12-31 23:59:59.999999');
  assert.equal(converterOf(t('int64', 'io.debezium.time.MicroTimestamp'))(1_700_000_000_123_456), '2023-11-14 22:13:20.123456');
  assert.equal(converterOf(t('int64', 'io.debezium.time.Timestamp'))(1_700_000_000_123), '2023-11-14 22:13:20.123000');
  assert.equal(converterOf(t('int64', 'io.debezium.time.NanoTimestamp'))(1_700_000_000_123_456_000n), '2023-11-14 22:13:20.123456');
  assert.throws(() => converterOf(t('int64', 'io.debezium.time.NanoTimestamp'))(1_700_000_000_123_456_789n), RejectedValue);
  // MySQL TIME: negative and beyond 24 h.
  const time = converterOf(t('int64', 'io.debezium.time.MicroTime'));
  assert.equal(time(-(838 * 3600 + 59 * 60 + 59) * 1e6), '-838:59:59.000000');
  assert.equal(time(25 * 3600e6 + 1), '25:00:00.000001');
  assert.equal(time(0), '00:00:00.000000');
  assert.equal(durationText(-1n), '-00:00:00.000001');
});

test('bits: little-endian wire bytes → most significant bit first; bits beyond the length are refused', () => {
  assert.equal(bitsText(Buffer.from([0x01, 0x02]), 10), '1000000001');
  assert.equal(bitsText(Buffer.from([0x05]), 10), '0000000101');
  assert.throws(() => bitsText(Buffer.from([0x00, 0x08]), 10), /beyond its declared length/);
});

test('geometry: the WKB; a point without WKB gets one', () => {
  const wkb = Buffer.from('0101000000000000000000f03f0000000000000040', 'hex');
  assert.deepEqual(converterOf(t('struct', 'io.debezium.data.geometry.Geometry'))({ wkb, srid: 0 }), wkb);
  assert.deepEqual(converterOf(t('struct', 'io.debezium.data.geometry.Point'))({ x: 1, y: 2, wkb: null, srid: null }), wkb);
});

test('arrays become JSON; other values pass as they are', () => {
  assert.equal(converterOf(t('array'))([1, null, 2n ** 63n - 1n]), '[1,null,"9223372036854775807"]');
  assert.equal(converterOf(t('int64'))(2n ** 63n - 1n), 2n ** 63n - 1n);
  assert.equal(converterOf(t('boolean'))(true), true);
});

test('sourceConnectorOf reads the source struct name of the Envelope schema', () => {
  assert.equal(sourceConnectorOf({ fields: [{ name: 'source', type: { type: 'record', name: 'Source', namespace: 'io.debezium.connector.mariadb' } }] }), 'mariadb');
  assert.equal(sourceConnectorOf({ fields: [{ name: 'source', type: { type: 'record', name: 'Source', 'connect.name': 'io.debezium.connector.postgresql.Source' } }] }), 'postgresql');
  assert.equal(sourceConnectorOf({ fields: [] }), null);
});
