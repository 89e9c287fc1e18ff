// The type mapping's edge cases without services: number text, temporal text at any range, JSON maps with exact
// numbers, UTF-8-safe truncation, key schemas, table names and positions.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { encoderOf, isoDate, jsonToAttr, plainNumber, significantDigits } from '../../src/item-codec.ts';
import { truncateUtf8 } from '../../src/lob.ts';
import { keyOf, keySchemaOf, targetTableName } from '../../src/tables.ts';
import type { SinkTable } from '../../../../core/src/record-sink.ts';
import { decimalToBytes } from '../../../../schemas/src/decimal.ts';

const o = { json: 'string', temporal: 'iso' } as const;

test('numbers: exact N text, plain notation, float32 shortest digits, out-of-range as S', () => {
  assert.equal(plainNumber(1e21), '1000000000000000000000');
  assert.equal(plainNumber(1.5e-7), '0.00000015');
  assert.equal(plainNumber(Math.fround(0.1), true), '0.1');
  assert.deepEqual(encoderOf({ connect: 'int64' }, o)(9007199254740993n), { N: '9007199254740993' });
  assert.deepEqual(encoderOf({ connect: 'float64' }, o)(Number.NaN), { S: 'NaN' });
  assert.deepEqual(encoderOf({ connect: 'float64' }, o)(1e300), { S: '1e+300' });
  const dec = { connect: 'bytes', logical: 'org.apache.kafka.connect.data.Decimal', params: { scale: '2', 'connect.decimal.precision': '12' } } as const;
  assert.deepEqual(encoderOf(dec, o)(decimalToBytes('-0.05', 2)), { N: '-0.05' });
  const wide = { ...dec, params: { scale: '5', 'connect.decimal.precision': '50' } };
  assert.deepEqual(encoderOf(wide, o)(decimalToBytes('1.50000', 5)), { S: '1.50000' });
  assert.equal(significantDigits('-000120.0500'), 5);
});

test('temporal values: ISO text at the column precision, before 1970 and up to 9999, MySQL TIME beyond 24 h', () => {
  assert.equal(isoDate(0), '1970-01-01');
  assert.equal(isoDate(-1), '1969-12-31');
  assert.equal(isoDate(2932896), '9999-12-31');
  assert.deepEqual(encoderOf({ connect: 'int64', logical: 'io.debezium.time.MicroTimestamp' }, o)(-1), { S: '1969-12-31T23:59:59.999999' });
  assert.deepEqual(encoderOf({ connect: 'int64', logical: 'io.debezium.time.Timestamp' }, o)(1704067200123), { S: '2024-01-01T00:00:00.123' });
  assert.deepEqual(encoderOf({ connect: 'int64', logical: 'io.debezium.time.MicroTime' }, o)(-3020399000000), { S: '-838:59:59.000000' });
  assert.deepEqual(encoderOf({ connect: 'int64', logical: 'io.debezium.time.MicroTimestamp' }, { ...o, temporal: 'epoch' })(12n), { N: '12' });
});

test('JSON as a map keeps exact numbers, and an object with an "N" key stays a map', () => {
  assert.deepEqual(jsonToAttr('{"a":12345678901234567890123,"b":[1.50,true,null],"N":"x"}'), {
    M: { a: { N: '12345678901234567890123' }, b: { L: [{ N: '1.50' }, { BOOL: true }, { NULL: true }] }, N: { S: 'x' } },
  });
});

test('truncation keeps whole UTF-8 characters', () => {
  assert.equal(truncateUtf8('aé€😀', 4), 'aé');
  assert.equal(truncateUtf8('aé€😀', 6), 'aé€');
});

const table = (pk: string[]): SinkTable => ({
  topic: 't', schema: 'shop', table: 'orders', version: 'v1', valueSchema: {} as never, keySchema: null, primaryKey: pk,
  columns: [{ name: 'a', type: { connect: 'int32' }, optional: false }, { name: 'b', type: { connect: 'string' }, optional: false },
    { name: 'c', type: { connect: 'bytes' }, optional: false }, { name: 'f', type: { connect: 'boolean' }, optional: false }],
});

test('key schema: 1 column HASH, 2 HASH+RANGE, 3 or a boolean → composite _ferry_key', () => {
  assert.deepEqual(keySchemaOf(table(['a']), o), { hash: { name: 'a', type: 'N' }, range: null, composite: null });
  assert.deepEqual(keySchemaOf(table(['b', 'c']), o), { hash: { name: 'b', type: 'S' }, range: { name: 'c', type: 'B' }, composite: null });
  const ks = keySchemaOf(table(['a', 'b', 'c']), o)!;
  assert.deepEqual(ks.hash, { name: '_ferry_key', type: 'S' });
  assert.deepEqual(keyOf(ks, { a: { N: '7' }, b: { S: 'x"y' }, c: { B: Buffer.from([1, 2]) } }), { _ferry_key: { S: '["7","x\\"y","AQI="]' } });
  assert.equal(keySchemaOf(table(['f']), o)!.hash.name, '_ferry_key');
  assert.equal(keySchemaOf(table([]), o), null);
  assert.equal(targetTableName('{schema}_{table}', {}, { schema: 'my db', table: 'o$' }), 'my_db_o_');
  assert.equal(targetTableName('{schema}_{table}', { 'shop.orders': 'Orders' }, { schema: 'shop', table: 'orders' }), 'Orders');
});
