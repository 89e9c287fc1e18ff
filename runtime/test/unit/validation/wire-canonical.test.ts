// Debezium wire values and lake (DuckDB) texts → the canonical texts of docs/validation.md#canonical-forms, family by
// family, with exact expected values (the texts the source's SQL renders for the same values, canonical.test.ts).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decimalToBytes } from '../../../../schemas/src/decimal.ts';
import type { Family } from '../../../src/validation/model.ts';
import { lakeCanonical, lakeTextSql, sqlTextCanonical, trimDecimal, wireCanonical, zonedMicros } from '../../../src/validation/wire-canonical.ts';

const spec = (family: Family, extra: { rtrim?: boolean; bits?: number } = {}) => ({ family, rtrim: extra.rtrim ?? false, ...(extra.bits !== undefined ? { bits: extra.bits } : {}) });
const DEC = 'org.apache.kafka.connect.data.Decimal';

test('int: numbers, bigints beyond 2^53, booleans (BIT(1), PostgreSQL boolean) and precise unsigned BIGINT decimals', () => {
  assert.equal(wireCanonical(spec('int'), { connect: 'int16' }, -128), '-128');
  assert.equal(wireCanonical(spec('int'), { connect: 'int64' }, -9223372036854775808n), '-9223372036854775808');
  assert.equal(wireCanonical(spec('int'), { connect: 'boolean' }, true), '1');
  assert.equal(wireCanonical(spec('int'), { connect: 'boolean' }, false), '0');
  assert.equal(wireCanonical(spec('int'), { connect: 'bytes', logical: DEC, params: { scale: '0' } }, decimalToBytes('18446744073709551615', 0)), '18446744073709551615');
  assert.equal(wireCanonical(spec('int'), { connect: 'int32' }, null), null);
});

test('decimal: Decimal bytes at their scale and VariableScaleDecimal, without trailing fraction zeros', () => {
  const t = { connect: 'bytes' as const, logical: DEC, params: { scale: '2' } };
  assert.equal(wireCanonical(spec('decimal'), t, decimalToBytes('-0.50', 2)), '-0.5');
  assert.equal(wireCanonical(spec('decimal'), t, decimalToBytes('100.00', 2)), '100');
  assert.equal(wireCanonical(spec('decimal'), t, decimalToBytes('0.00', 2)), '0');
  assert.equal(wireCanonical(spec('decimal'), t, decimalToBytes('1234567890.12', 2)), '1234567890.12');
  assert.equal(wireCanonical(spec('decimal'), { connect: 'struct', logical: 'io.debezium.data.VariableScaleDecimal' }, { scale: 3, value: decimalToBytes('-12.340', 3) }), '-12.34');
  assert.equal(wireCanonical(spec('decimal'), { connect: 'string' }, '7.10'), '7.1');
  assert.equal(trimDecimal('-0.000'), '0');
  assert.equal(trimDecimal('120'), '120');
});

test('float: the shortest text of the double (FLOAT widened exactly), NaN and infinities', () => {
  assert.equal(wireCanonical(spec('float'), { connect: 'float64' }, 0.1), '0.1');
  assert.equal(wireCanonical(spec('float'), { connect: 'float32' }, Math.fround(0.1)), '0.10000000149011612');
  assert.equal(wireCanonical(spec('float'), { connect: 'float64' }, 1e20), '100000000000000000000');
  assert.equal(wireCanonical(spec('float'), { connect: 'float64' }, 1.5e-7), '1.5e-7');
  assert.equal(wireCanonical(spec('float'), { connect: 'float64' }, Number.NaN), 'nan');
  assert.equal(wireCanonical(spec('float'), { connect: 'float64' }, Number.NEGATIVE_INFINITY), '-Infinity');
});

test('text: strings as they are, CHAR pairs without trailing spaces', () => {
  assert.equal(wireCanonical(spec('text'), { connect: 'string' }, 'ü\t"q"\\ '), 'ü\t"q"\\ ');
  assert.equal(wireCanonical(spec('text', { rtrim: true }), { connect: 'string' }, 'ab   '), 'ab');
  assert.equal(wireCanonical(spec('text'), { connect: 'string', logical: 'io.debezium.data.EnumSet' }, 'x,y'), 'x,y');
});

test('bytes: lower-case hex', () => {
  assert.equal(wireCanonical(spec('bytes'), { connect: 'bytes' }, Buffer.from([0x00, 0xff, 0x10])), '00ff10');
  assert.equal(wireCanonical(spec('bytes'), { connect: 'bytes' }, new Uint8Array([0xde, 0xad])), 'dead');
  assert.equal(wireCanonical(spec('bytes'), { connect: 'bytes' }, Buffer.alloc(0)), '');
});

test('bits: Debezium Bits (little-endian bytes), Ferry BitString text, left-padded to the declared length', () => {
  const bits = { connect: 'bytes' as const, logical: 'io.debezium.data.Bits', params: { length: '5' } };
  assert.equal(wireCanonical(spec('bits', { bits: 5 }), bits, Buffer.from([0b00101])), '00101');
  assert.equal(wireCanonical(spec('bits', { bits: 5 }), bits, Buffer.from([0b11111])), '11111');
  assert.equal(wireCanonical(spec('bits', { bits: 12 }), { ...bits, params: { length: '12' } }, Buffer.from([0x01, 0x08])), '100000000001');
  assert.equal(wireCanonical(spec('bits', { bits: 5 }), { connect: 'string', logical: 'io.ferry.data.BitString' }, '101'), '00101');
  assert.match(wireCanonical(spec('bits', { bits: 5 }), bits, Buffer.from([0xff]))!, /^\?bits:/);
});

test('date and timestamp: day numbers, milli/micro/nano timestamps, zoned text in UTC', () => {
  assert.equal(wireCanonical(spec('date'), { connect: 'int32', logical: 'io.debezium.time.Date' }, 10956), '1999-12-31');
  assert.equal(wireCanonical(spec('date'), { connect: 'int32', logical: 'io.debezium.time.Date' }, -719162), '0001-01-01');
  assert.equal(wireCanonical(spec('timestamp'), { connect: 'int64', logical: 'io.debezium.time.MicroTimestamp' }, 1704164645654321), '2024-01-02 03:04:05.654321');
  assert.equal(wireCanonical(spec('timestamp'), { connect: 'int64', logical: 'io.debezium.time.Timestamp' }, -30610224000000), '1000-01-01 00:00:00.000000');
  assert.equal(wireCanonical(spec('timestamp'), { connect: 'int64', logical: 'io.debezium.time.NanoTimestamp' }, 1704164645654321000n), '2024-01-02 03:04:05.654321');
  assert.equal(wireCanonical(spec('timestamp'), { connect: 'string', logical: 'io.debezium.time.ZonedTimestamp' }, '2038-01-19T03:14:07.999999Z'), '2038-01-19 03:14:07.999999');
  assert.equal(wireCanonical(spec('timestamp'), { connect: 'string', logical: 'io.debezium.time.ZonedTimestamp' }, '2024-06-01T14:00:00.5+02:00'), '2024-06-01 12:00:00.500000');
  assert.equal(zonedMicros('1970-01-01T00:00:01Z'), 1_000_000n);
  assert.equal(zonedMicros('not a time'), undefined);
});

test('micros: TIME (negative, beyond 24 h), durations', () => {
  assert.equal(wireCanonical(spec('micros'), { connect: 'int64', logical: 'io.debezium.time.MicroTime' }, -3020399000000), '-3020399000000');
  assert.equal(wireCanonical(spec('micros'), { connect: 'int32', logical: 'io.debezium.time.Time' }, 43200000), '43200000000');
  assert.equal(wireCanonical(spec('micros'), { connect: 'int64', logical: 'io.debezium.time.NanoTime' }, 1000n), '1');
  assert.equal(wireCanonical(spec('micros'), { connect: 'int64', logical: 'io.debezium.time.MicroDuration' }, -500000), '-500000');
  // interval.handling.mode=string: counted as extract(epoch from …) does (a year 365.25 days, a month 30 days).
  const iv = { connect: 'string' as const, logical: 'io.debezium.time.Interval' };
  assert.equal(wireCanonical(spec('micros'), iv, 'P1Y2M3DT4H5M6.78S'), String(31557600000000 + 2 * 2592000000000 + 3 * 86400000000 + 4 * 3600000000 + 5 * 60000000 + 6780000));
  assert.equal(wireCanonical(spec('micros'), iv, 'P-1Y-2M3DT-4H-5M-6.78S'), String(-31557600000000 - 2 * 2592000000000 + 3 * 86400000000 - 4 * 3600000000 - 5 * 60000000 - 6780000));
  assert.equal(wireCanonical(spec('micros'), iv, 'PT0S'), '0');
  assert.match(wireCanonical(spec('micros'), iv, 'soon')!, /^\?micros:/);
});

test('uuid, inet, json: lower-case uuid, the address, JSON with sorted keys (arrays too)', () => {
  assert.equal(wireCanonical(spec('uuid'), { connect: 'string', logical: 'io.debezium.data.Uuid' }, 'FFFFFFFF-0000-0000-0000-00000000000A'), 'ffffffff-0000-0000-0000-00000000000a');
  assert.equal(wireCanonical(spec('inet'), { connect: 'string' }, '2001:db8::ff00:42:8329'), '2001:db8::ff00:42:8329');
  assert.equal(wireCanonical(spec('json'), { connect: 'string', logical: 'io.debezium.data.Json' }, '{"b": 1, "a": [true, null]}'), '{"a":[true,null],"b":1}');
  assert.equal(wireCanonical(spec('json'), { connect: 'array' }, [1, 2n, 'x']), '[1,2,"x"]');
});

test('lake: DuckDB texts of Parquet columns → the same canonical texts', () => {
  assert.equal(lakeTextSql('a"b', 'BOOLEAN'), 'CAST(CAST("a""b" AS INTEGER) AS VARCHAR)');
  assert.equal(lakeTextSql('t', 'TIMESTAMP WITH TIME ZONE'), `strftime(CAST("t" AS TIMESTAMP), '%Y-%m-%d %H:%M:%S.%f')`);
  assert.equal(lakeCanonical(spec('decimal'), 'DECIMAL(12,2)', '-0.50'), '-0.5');
  assert.equal(lakeCanonical(spec('int'), 'DECIMAL(20,0)', '18446744073709551615'), '18446744073709551615');
  assert.equal(lakeCanonical(spec('float'), 'DOUBLE', '1e+20'), '100000000000000000000');
  assert.equal(lakeCanonical(spec('bits', { bits: 5 }), 'BLOB', '05'), '00101');
  assert.equal(lakeCanonical(spec('micros'), 'TIME', '12:00:00.000001'), '43200000001');
  assert.equal(lakeCanonical(spec('micros'), 'TIME', '23:59:59'), '86399000000');
  assert.equal(lakeCanonical(spec('timestamp'), 'DATE', '2024-01-02'), '2024-01-02 00:00:00.000000');
  assert.equal(lakeCanonical(spec('text', { rtrim: true }), 'VARCHAR', 'ab  '), 'ab');
  assert.equal(lakeCanonical(spec('json'), 'VARCHAR', '{"b":1,"a":2}'), '{"a":2,"b":1}');
  assert.equal(lakeCanonical(spec('uuid'), 'VARCHAR', 'ABC'), 'abc');
  assert.equal(lakeCanonical(spec('int'), 'BIGINT', null), null);
});

test('SQL text (Redshift over the PostgreSQL protocol) → the same canonical texts', () => {
  assert.equal(sqlTextCanonical(spec('int'), 'boolean', 't'), '1');
  assert.equal(sqlTextCanonical(spec('int'), 'bigint', '-9223372036854775808'), '-9223372036854775808');
  assert.equal(sqlTextCanonical(spec('decimal'), 'numeric', '100.00'), '100');
  assert.equal(sqlTextCanonical(spec('decimal'), 'character varying', '-123.4500000000'), '-123.45');
  assert.equal(sqlTextCanonical(spec('float'), 'real', '0.1'), '0.10000000149011612');
  assert.equal(sqlTextCanonical(spec('float'), 'real', '33.666668'), '33.66666793823242');
  assert.equal(sqlTextCanonical(spec('float'), 'real', 'NaN'), 'nan');
  assert.equal(sqlTextCanonical(spec('float'), 'double precision', '0.14285714285714285'), '0.14285714285714285');
  assert.equal(sqlTextCanonical(spec('bytes'), 'bytea', '\\x00FF10'), '00ff10');
  assert.equal(sqlTextCanonical(spec('bits', { bits: 5 }), 'bytea', '\\x05'), '00101');
  assert.equal(sqlTextCanonical(spec('date'), 'date', '1999-12-31'), '1999-12-31');
  assert.equal(sqlTextCanonical(spec('micros'), 'time without time zone', '05:00:00.5'), '18000500000');
  assert.equal(sqlTextCanonical(spec('timestamp'), 'timestamp without time zone', '2024-01-02 03:04:05.65'), '2024-01-02 03:04:05.650000');
  assert.equal(sqlTextCanonical(spec('timestamp'), 'timestamp without time zone', '2024-01-02 03:04:05'), '2024-01-02 03:04:05.000000');
  assert.equal(sqlTextCanonical(spec('timestamp'), 'timestamp with time zone', '2038-01-19 03:14:07.999999+00'), '2038-01-19 03:14:07.999999');
  assert.equal(sqlTextCanonical(spec('timestamp'), 'timestamp with time zone', '2024-06-01 14:00:00.5+02'), '2024-06-01 12:00:00.500000');
  assert.equal(sqlTextCanonical(spec('text', { rtrim: true }), 'character varying', 'ab '), 'ab');
  assert.equal(sqlTextCanonical(spec('json'), 'character varying', '{"b":1,"a":2}'), '{"a":2,"b":1}');
  assert.equal(sqlTextCanonical(spec('int'), 'integer', null), null);
});
