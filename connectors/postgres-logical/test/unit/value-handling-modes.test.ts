// The PostgreSQL source under Debezium's time.precision.mode, binary.handling.mode and hstore.handling.mode (the
// task settings, resolved into the source block's valueHandling): the field types of each mode and the values their
// converters give; column.propagate.source.type's type name, length and scale from a column's type and typmod.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DEFAULT_VALUE_MODES, mapPgType, valueModesOf, type ColumnMapping, type ValueModes } from '../../src/type-mapping.ts';
import { makeConverter } from '../../src/value-conversion.ts';
import { pgSourceTypeInfo } from '../../src/table-codec.ts';
import { resolveValueHandling } from '../../../../core/src/value-handling.ts';
import { charMod, fakeTypes, numericMod, OID } from './fake-types.ts';

const map = (oid: number, mod: number, modes: Partial<ValueModes>): ColumnMapping => {
  const r = mapPgType(oid, mod, fakeTypes, { modes: { ...DEFAULT_VALUE_MODES, ...modes } });
  if ('unsupported' in r) throw new Error(r.unsupported);
  return r;
};
const conv = (m: ColumnMapping, text: string) => makeConverter(m)!(text);
const named = (type: string, logical: string) => ({ type, logical, version: 1 });

test('valueModesOf: the resolved settings first, the older source options next, Debezium\'s defaults last', () => {
  assert.deepEqual(valueModesOf({}), { ...DEFAULT_VALUE_MODES, propagateSourceType: [] });
  assert.equal(valueModesOf({ decimalHandlingMode: 'double' }).decimal, 'double');
  const v = valueModesOf({ decimalHandlingMode: 'double', valueHandling: resolveValueHandling('postgresql', { decimalHandlingMode: 'string', timePrecisionMode: 'connect', binaryHandlingMode: 'hex', hstoreHandlingMode: 'map' }) });
  assert.deepEqual([v.decimal, v.time, v.binary, v.hstore], ['string', 'connect', 'hex', 'map']);
});

test('time.precision.mode: adaptive picks by precision, adaptive_time_microseconds makes every time MicroTime, connect uses Kafka Connect types in ms', () => {
  const t3 = 3;
  assert.deepEqual(map(OID.time, t3, { time: 'adaptive' }).fieldType, named('int32', 'io.debezium.time.Time'));
  assert.deepEqual(map(OID.time, t3, { time: 'adaptive_time_microseconds' }).fieldType, named('int64', 'io.debezium.time.MicroTime'));
  assert.equal(conv(map(OID.time, t3, { time: 'adaptive_time_microseconds' }), '12:34:56.789'), 45296789000);
  assert.deepEqual(map(OID.timestamp, t3, { time: 'adaptive_time_microseconds' }).fieldType, named('int64', 'io.debezium.time.Timestamp'));
  const c = { time: 'connect' } as const;
  assert.deepEqual(map(OID.date, -1, c).fieldType, named('int32', 'org.apache.kafka.connect.data.Date'));
  assert.deepEqual(map(OID.time, -1, c).fieldType, named('int32', 'org.apache.kafka.connect.data.Time'));
  assert.deepEqual(map(OID.timestamp, -1, c).fieldType, named('int64', 'org.apache.kafka.connect.data.Timestamp'));
  assert.equal(conv(map(OID.time, -1, c), '12:34:56.789999'), 45296789);
  assert.equal(conv(map(OID.time, -1, c), '24:00:00'), 86400000);
  assert.equal(conv(map(OID.timestamp, -1, c), '1969-12-31 23:59:59.999999'), -1);
  assert.equal(conv(map(OID.date, -1, c), '1970-01-02'), 1);
  // zoned types are ISO strings in every mode
  assert.deepEqual(map(OID.timestamptz, -1, c).fieldType, named('string', 'io.debezium.time.ZonedTimestamp'));
  assert.deepEqual(map(OID.timetz, -1, c).fieldType, named('string', 'io.debezium.time.ZonedTime'));
  assert.deepEqual(map(OID._date, -1, c).fieldType, { type: 'array', items: named('int32', 'org.apache.kafka.connect.data.Date') });
});

test('binary.handling.mode: bytea as base64, base64-url-safe (padded) or hex text; bytea[] elements too', () => {
  for (const [mode, want] of [['base64', '+/8='], ['base64-url-safe', '-_8='], ['hex', 'fbff']] as const) {
    const m = map(OID.bytea, -1, { binary: mode });
    assert.deepEqual(m.fieldType, { type: 'string' });
    assert.equal(conv(m, '\\xfbff'), want);
    assert.equal(conv(m, '\\x'), '');
  }
  assert.deepEqual(conv(map(OID._bytea, -1, { binary: 'hex' }), '{"\\\\x01",NULL}'), ['01', null]);
  assert.deepEqual(map(OID.bytea, -1, { binary: 'bytes' }).fieldType, { type: 'bytes' });
});

test('hstore.handling.mode map: a Connect map of optional strings, NULL values kept', () => {
  const m = map(OID.hstore, -1, { hstore: 'map' });
  assert.deepEqual(m.fieldType, { type: 'map', items: { type: 'string' } });
  assert.deepEqual(conv(m, '"a"=>"1", "b"=>NULL, "k\\"q"=>"v\\\\w"'), { a: '1', b: null, 'k"q': 'v\\w' });
  assert.deepEqual(conv(m, ''), {});
  assert.deepEqual(map(OID.hstore, -1, { hstore: 'json' }).fieldType, named('string', 'io.debezium.data.Json'));
});

test('column.propagate.source.type: pg_type names with the typmod\'s length and scale', () => {
  assert.deepEqual(pgSourceTypeInfo({ typeOid: OID.numeric, typmod: numericMod(10, 2) }, fakeTypes), { typeName: 'numeric', length: 10, scale: 2 });
  assert.deepEqual(pgSourceTypeInfo({ typeOid: OID.numeric, typmod: -1 }, fakeTypes), { typeName: 'numeric' });
  assert.deepEqual(pgSourceTypeInfo({ typeOid: OID.varchar, typmod: charMod(20) }, fakeTypes), { typeName: 'varchar', length: 20 });
  assert.deepEqual(pgSourceTypeInfo({ typeOid: OID.timestamptz, typmod: 3 }, fakeTypes), { typeName: 'timestamptz', scale: 3 });
  assert.deepEqual(pgSourceTypeInfo({ typeOid: OID._numeric, typmod: numericMod(5, 2) }, fakeTypes), { typeName: '_numeric', length: 5, scale: 2 });
  assert.deepEqual(pgSourceTypeInfo({ typeOid: OID.int4, typmod: -1 }, fakeTypes), { typeName: 'int4' });
});
