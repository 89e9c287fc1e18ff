import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  bigintToTwosComplement, bitsToLittleEndian, bytesToDecimal, dateTimeToEpochMicros, dateTimeToEpochMillis, dateToEpochDays,
  decimalToBytes, defaultValue, geometryValue, makeConverter, numberToTwosComplement, pointValue, timeToMicros, timestampToZoned, toInt64,
} from '../../src/value-conversion.ts';
import { mapColumn, type MySqlColumnDef } from '../../src/type-mapping.ts';

/** Independent reference: two's complement of a bigint in exactly `len` bytes. */
function ref(v: bigint, len: number): string {
  return BigInt.asUintN(8 * len, v).toString(16).padStart(2 * len, '0');
}

test('decimal → minimal big-endian two\'s complement of the unscaled value (BigInteger.toByteArray)', () => {
  const cases: Array<[string, number, string]> = [
    ['0', 0, '00'], ['127', 0, '7f'], ['128', 0, '0080'], ['-1', 0, 'ff'], ['-128', 0, '80'], ['-129', 0, 'ff7f'],
    ['255', 0, '00ff'], ['256', 0, '0100'], ['-32768', 0, '8000'], ['-32769', 0, 'ff7fff'],
    ['1.50', 2, '0096'], ['-1.50', 2, 'ff6a'], ['1.5', 3, '05dc'], ['0.000', 3, '00'], ['-0.01', 2, 'ff'],
    ['18446744073709551615', 0, '00ffffffffffffffff'],
    ['9223372036854775807', 0, '7fffffffffffffff'], ['-9223372036854775808', 0, '8000000000000000'],
  ];
  for (const [text, scale, hex] of cases) assert.equal(decimalToBytes(text, scale).toString('hex'), hex, `${text} scale ${scale}`);
});

test('decimal extremes: DECIMAL(65,30) and the values that lose precision through a double', () => {
  const max = '99999999999999999999999999999999999.999999999999999999999999999999';
  const b = decimalToBytes(max, 30);
  const unscaled = 10n ** 65n - 1n;
  assert.equal(b.length, 28);
  assert.equal(b.toString('hex'), ref(unscaled, 28));
  assert.equal(bytesToDecimal(b, 30), max);
  const min = `-${max}`;
  assert.equal(decimalToBytes(min, 30).toString('hex'), ref(-unscaled, 28));
  assert.equal(bytesToDecimal(decimalToBytes(min, 30), 30), min);
  for (const [text, scale] of [['-12345678901234.123456', 6], ['99999999999999.999999', 6], ['0.000001', 6], ['-0.000001', 6], ['123456789012345', 0], ['1234567890123456', 0]] as const) {
    assert.equal(bytesToDecimal(decimalToBytes(text, scale), scale), text);
  }
  assert.equal(decimalToBytes('-12345678901234.123456', 6).toString('hex'), ref(-12345678901234123456n, 9));
});

test('two\'s complement helpers agree on the number/bigint boundary', () => {
  for (const v of [0, 1, -1, 2 ** 31, -(2 ** 31), 2 ** 53 - 1, -(2 ** 53 - 1), 8388607, -8388608, 8388608]) {
    assert.equal(numberToTwosComplement(v).toString('hex'), bigintToTwosComplement(BigInt(v)).toString('hex'), String(v));
  }
});

test('int64: number when exact, bigint beyond 2^53', () => {
  assert.equal(toInt64(42), 42);
  assert.equal(toInt64('-42'), -42);
  assert.equal(toInt64('9007199254740991'), 9007199254740991);
  assert.equal(toInt64('9007199254740993'), 9007199254740993n);
  assert.equal(toInt64('9223372036854775807'), 9223372036854775807n);
  assert.equal(toInt64('-9223372036854775808'), -9223372036854775808n);
  assert.equal(toInt64(5n), 5);
});

test('DATE → days since the epoch; zero and partly-zero dates → null', () => {
  assert.equal(dateToEpochDays('1970-01-01'), 0);
  assert.equal(dateToEpochDays('1969-12-31'), -1);
  assert.equal(dateToEpochDays('2024-02-29'), 19782);
  assert.equal(dateToEpochDays('0001-01-01'), -719162);
  assert.equal(dateToEpochDays('1000-01-01'), -354285);
  assert.equal(dateToEpochDays('9999-12-31'), 2932896);
  assert.equal(dateToEpochDays('0000-00-00'), null);
  assert.equal(dateToEpochDays('2020-00-15'), null);
  assert.equal(dateToEpochDays('2020-05-00'), null);
});

test('DATETIME → ms (precision 0-3) and µs (4-6) since the epoch, exact, in UTC', () => {
  assert.equal(dateTimeToEpochMicros('2024-02-29 23:59:59.123456'), Date.UTC(2024, 1, 29, 23, 59, 59) * 1000 + 123456);
  assert.equal(dateTimeToEpochMicros('2024-02-29 23:59:59.123456'), 1709251199123456);
  assert.equal(dateTimeToEpochMicros('1970-01-01 00:00:00.000001'), 1);
  assert.equal(dateTimeToEpochMicros('1969-12-31 23:59:59.999999'), -1);
  assert.equal(dateTimeToEpochMicros('9999-12-31 23:59:59.999999'), 253402300799999999n);
  assert.equal(dateTimeToEpochMicros('1000-01-01 00:00:00.000000'), -30610224000000000n);
  assert.equal(dateTimeToEpochMicros('2024-01-01 00:00:00.5'), 1704067200500000);
  assert.equal(dateTimeToEpochMicros('0000-00-00 00:00:00.000000'), null);
  assert.equal(dateTimeToEpochMillis('2024-01-01 00:00:00.123'), 1704067200123);
  assert.equal(dateTimeToEpochMillis('2024-01-01 00:00:00'), 1704067200000);
  assert.equal(dateTimeToEpochMillis('1969-12-31 23:59:59.999'), -1);
  assert.equal(dateTimeToEpochMillis('9999-12-31 23:59:59'), 253402300799000);
  assert.equal(dateTimeToEpochMillis('0000-00-00 00:00:00'), null);
});

test('TIMESTAMP (UTC text) → ZonedTimestamp with exactly fsp fraction digits', () => {
  assert.equal(timestampToZoned('2024-01-01 00:00:00.123456', 6), '2024-01-01T00:00:00.123456Z');
  assert.equal(timestampToZoned('2024-01-01 00:00:00.000000', 6), '2024-01-01T00:00:00.000000Z');
  assert.equal(timestampToZoned('2024-01-01 00:00:00.120', 3), '2024-01-01T00:00:00.120Z');
  assert.equal(timestampToZoned('2038-01-19 03:14:07', 0), '2038-01-19T03:14:07Z');
  assert.equal(timestampToZoned('1970-01-01 00:00:01', 0), '1970-01-01T00:00:01Z');
  assert.equal(timestampToZoned('0000-00-00 00:00:00', 0), null);
});

test('TIME → µs, negative and beyond 24 h', () => {
  assert.equal(timeToMicros('-838:59:59.000000'), -3020399000000);
  assert.equal(timeToMicros('838:59:59'), 3020399000000);
  assert.equal(timeToMicros('00:00:00.000001'), 1);
  assert.equal(timeToMicros('-00:00:00.500000'), -500000);
  assert.equal(timeToMicros('12:34:56.5'), 45296500000);
  assert.equal(timeToMicros('100:00:00'), 360000000000);
  assert.equal(timeToMicros('00:00:00'), 0);
});

test('BIT(n>1) → little-endian bytes of ceil(n/8) (Debezium byteOrderOfBitType BIG_ENDIAN reversed)', () => {
  assert.equal(bitsToLittleEndian(Buffer.from([0x02, 0x01]), 2).toString('hex'), '0102');
  assert.equal(bitsToLittleEndian(Buffer.from([0x80, 0x00, 0x01]), 3).toString('hex'), '010080');
  assert.equal(bitsToLittleEndian(Buffer.from([0x05]), 2).toString('hex'), '0500');
  const bits64 = Buffer.from('8000000000000001', 'hex');
  assert.equal(bitsToLittleEndian(bits64, 8).toString('hex'), '0100000000000080');
});

test('spatial values: MySQL internal format (SRID + WKB) → Geometry {wkb, srid} and Point {x, y, wkb, srid}', () => {
  const point = Buffer.from('000000000101000000000000000000F03F0000000000000040', 'hex');
  const p = pointValue(point);
  assert.equal(p.x, 1);
  assert.equal(p.y, 2);
  assert.equal(p.srid, 0);
  assert.equal(p.wkb.toString('hex').toUpperCase(), '0101000000000000000000F03F0000000000000040');
  const line = Buffer.from('E610000001020000000200000000000000000000000000000000000000000000000000F03F000000000000F03F', 'hex');
  const g = geometryValue(line);
  assert.equal(g.srid, 4326);
  assert.equal(g.wkb.length, line.length - 4);
});

function conv(columnType: string, nullable = true, extra: Partial<MySqlColumnDef> = {}) {
  const col: MySqlColumnDef = { name: 'c', columnType, nullable, charset: null, ...extra };
  return makeConverter(mapColumn(col), col);
}

test('makeConverter: identity where the driver value is already the wire value', () => {
  for (const t of ['int(11)', 'tinyint(1)', 'int(10) unsigned', 'varbinary(10)', 'blob']) assert.equal(conv(t), null, t);
  assert.equal(conv('varchar(10)', true, { charset: 'utf8mb4' }), null);
  assert.equal(conv('longtext', true, { charset: 'utf8mb4', json: true }), null);
});

test('FLOAT and DOUBLE: the snapshot\'s exact text parsed exactly (mysql2 would be an ulp off), the binlog\'s number kept', () => {
  // mysql2 3.x parses '975.0656480900943' as 9750656480900943 / 1e13 = 975.0656480900944
  assert.equal(conv('double')!('975.0656480900943'), 975.0656480900943);
  assert.equal(conv('double')!('96644591307267.55'), 96644591307267.55);
  assert.equal(conv('double')!('-1.3662640000000001'), -1.3662640000000001);
  assert.equal(conv('double')!('5e-324'), 5e-324);
  assert.equal(conv('double')!('1.7976931348623157e308'), Number.MAX_VALUE);
  assert.ok(Object.is(conv('double')!('-0'), -0));
  assert.equal(conv('double')!(975.0656480900943), 975.0656480900943);
  assert.equal(conv('float(10,4)')!('97.13130187988281'), 97.13130187988281);
  assert.equal(conv('float')!('3.4028234663852886e38'), 3.4028234663852886e38);
  assert.ok(Object.is(conv('float')!('-0'), -0));
  assert.equal(conv('float')!(3.4028234663852886e38), 3.4028234663852886e38);
});

test('makeConverter: every converting kind, including zero dates in NOT NULL columns (Debezium fallback = epoch)', () => {
  assert.equal(conv('bigint(20)')!('9223372036854775807'), 9223372036854775807n);
  assert.equal(conv('bigint(20)')!(-5), -5);
  assert.equal((conv('bigint(20) unsigned')!('18446744073709551615') as Buffer).toString('hex'), '00ffffffffffffffff');
  assert.equal((conv('bigint(20) unsigned')!(12) as Buffer).toString('hex'), '0c');
  assert.equal(bytesToDecimal(conv('decimal(10,2)')!('-99999999.99') as Buffer, 2), '-99999999.99');
  assert.equal(conv('float')!(3.1415927410125732), Math.fround(3.1415927));
  assert.equal(conv('bit(1)')!(Buffer.from([1])), true);
  assert.equal(conv('bit(1)')!(Buffer.from([0])), false);
  assert.equal((conv('bit(10)')!(Buffer.from([0x02, 0x01])) as Buffer).toString('hex'), '0102');
  assert.equal(conv('date')!('2024-02-29'), 19782);
  assert.equal(conv('date')!('0000-00-00'), null);
  assert.equal(conv('date', false)!('0000-00-00'), 0);
  assert.equal(conv('datetime')!('2024-01-01 00:00:00'), 1704067200000);
  assert.equal(conv('datetime(3)')!('2024-01-01 00:00:00.123'), 1704067200123);
  assert.equal(conv('datetime(6)')!('2024-01-01 00:00:00.123456'), 1704067200123456);
  assert.equal(conv('datetime(6)', false)!('0000-00-00 00:00:00.000000'), 0);
  assert.equal(conv('timestamp(6)')!('2024-01-01 00:00:00.123456'), '2024-01-01T00:00:00.123456Z');
  assert.equal(conv('timestamp', false)!('0000-00-00 00:00:00'), '1970-01-01T00:00:00Z');
  assert.equal(conv('timestamp')!('0000-00-00 00:00:00'), null);
  assert.equal(conv('time(6)')!('-838:59:59.000000'), -3020399000000);
  assert.equal(conv('year(4)')!(1900), 0);
  assert.equal(conv('year(4)')!(2155), 2155);
  assert.equal(conv('year(4)')!(0), 0);
  assert.equal(conv("enum('a','b')")!(undefined), '');
  assert.equal(conv("enum('a','b')")!('b'), 'b');
  assert.equal(conv('varchar(5)', true, { charset: 'dec8' })!(Buffer.from('abc')), 'abc');
  assert.deepEqual(conv('point')!(Buffer.from('000000000101000000000000000000F03F0000000000000040', 'hex')), pointValue(Buffer.from('000000000101000000000000000000F03F0000000000000040', 'hex')));
});

test('defaultValue: server default text → wire value; expressions have none', () => {
  const dv = (columnType: string, defaultText: string, nullable = true) => {
    const col: MySqlColumnDef = { name: 'c', columnType, nullable, charset: null, defaultText };
    return defaultValue(mapColumn(col), col);
  };
  assert.equal(dv('int(11)', '5'), 5);
  assert.equal(dv('bigint(20)', '9223372036854775807'), 9223372036854775807n);
  assert.equal(bytesToDecimal(dv('decimal(5,2)', '1.50') as Buffer, 2), '1.50');
  assert.equal(dv('varchar(10)', "a'b"), "a'b");
  assert.equal(dv('datetime(6)', '2020-01-01 00:00:00.500000'), 1577836800500000);
  assert.equal(dv('timestamp(3)', 'current_timestamp(3)'), undefined);
  assert.equal(dv('timestamp', '0000-00-00 00:00:00', false), '1970-01-01T00:00:00Z');
  assert.equal(dv('bit(1)', "b'1'"), true);
  assert.equal(dv('time', '-01:00:00'), -3600000000);
});
