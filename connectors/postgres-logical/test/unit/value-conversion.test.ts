import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  bitsToBytes, byteaToBuffer, bytesToDecimal, civilFromDays, dateToDays, daysFromCivil, decimalToBytes, fallbackValue, intervalToMicros,
  makeConverter, moneyToBytes, timeToMicros, timestamptzToIso, timestampToMicros, timestampToMillis, timetzToIso, toInt64,
  variableScaleDecimal, INFINITY_DATE_DAYS, NEG_INFINITY_DATE_DAYS, intervalToIso, moneyToString,
} from '../../src/value-conversion.ts';
import { hstoreToJson, parseArrayLiteral } from '../../src/text-formats.ts';
import { DEFAULT_VALUE_MODES, mapPgType, type ColumnMapping, type ValueModes } from '../../src/type-mapping.ts';
import { FerryError } from '../../../../core/src/errors.ts';
import { charMod, fakeTypes, numericMod, OID } from './fake-types.ts';

const DAY_MS = 86400000;
/** Day number via JavaScript's own Date (independent of the code under test), for years it supports. */
const jsDays = (y: number, m: number, d: number) => {
  const t = new Date(0);
  t.setUTCFullYear(y, m - 1, d);
  return Math.round(t.getTime() / DAY_MS);
};
/** Reference two's complement of a bigint in exactly `len` bytes. */
const ref = (v: bigint, len: number) => BigInt.asUintN(8 * len, v).toString(16).padStart(2 * len, '0');
const conv = (oid: number, mod = -1) => {
  const m = mapPgType(oid, mod, fakeTypes) as ColumnMapping;
  return makeConverter(m) ?? ((s: string) => s);
};

test('int8: exact beyond 2^53 as bigint, numbers below', () => {
  assert.equal(toInt64('42'), 42);
  assert.equal(toInt64('-9007199254740991'), -9007199254740991);
  assert.equal(toInt64('9007199254740993'), 9007199254740993n);
  assert.equal(toInt64('9223372036854775807'), 9223372036854775807n);
  assert.equal(toInt64('-9223372036854775808'), -9223372036854775808n);
  assert.equal(conv(OID.int2)('-32768'), -32768);
  assert.equal(conv(OID.int4)('2147483647'), 2147483647);
});

test('floats: float4 rounded to single precision, NaN and ±Infinity as JS values, -0 kept', () => {
  const f4 = conv(OID.float4);
  const f8 = conv(OID.float8);
  assert.equal(f4('3.4028235e+38'), 3.4028234663852886e38);
  assert.equal(f4('1e-45'), 1.401298464324817e-45);
  assert.equal(f4('0.1'), 0.10000000149011612);
  assert.equal(f8('1.7976931348623157e+308'), Number.MAX_VALUE);
  assert.equal(f8('5e-324'), Number.MIN_VALUE);
  assert.ok(Object.is(f8('-0'), -0));
  assert.ok(Number.isNaN(f8('NaN') as number));
  assert.equal(f8('Infinity'), Infinity);
  assert.equal(f4('-Infinity'), -Infinity);
});

test('numeric(p,s) → minimal two\'s complement of the unscaled value', () => {
  const cases: Array<[string, number, string]> = [
    ['0.00', 2, '00'], ['12.50', 2, '04e2'], ['-0.01', 2, 'ff'], ['1.27', 2, '7f'], ['1.28', 2, '0080'], ['-1.28', 2, '80'], ['-1.29', 2, 'ff7f'],
    ['-1', 0, 'ff'], ['0.5', 1, '05'],
  ];
  for (const [text, scale, hex] of cases) assert.equal(decimalToBytes(text, scale).toString('hex'), hex, `${text}@${scale}`);
  const big = '12345678901234567890.123456789012345678901234567890';
  const unscaled = 12345678901234567890123456789012345678901234567890n;
  assert.equal(decimalToBytes(big, 30).toString('hex'), ref(unscaled, 21));
  assert.equal(bytesToDecimal(decimalToBytes(big, 30), 30), big);
  assert.equal(bytesToDecimal(decimalToBytes(`-${big}`, 30), 30), `-${big}`);
  assert.equal((conv(OID.numeric, numericMod(38, 9))('-99999999999999999999999999999.999999999') as Buffer).length, 16);
});

test('numeric NaN and ±Infinity fail loudly, as in Debezium\'s precise mode (never a silent null), naming the fix', () => {
  for (const s of ['NaN', 'Infinity', '-Infinity']) {
    assert.throws(() => decimalToBytes(s, 2), (e: unknown) => e instanceof FerryError && e.code === 'FERRY_UNSUPPORTED' && e.message.includes(s) && e.message.includes('decimalHandlingMode: string'));
    assert.throws(() => variableScaleDecimal(s), FerryError);
  }
});

/** The converter of a column under other value modes. */
const convIn = (modes: Partial<ValueModes>, oid: number, mod = -1) => {
  const m = mapPgType(oid, mod, fakeTypes, { modes: { ...DEFAULT_VALUE_MODES, ...modes } }) as ColumnMapping;
  return { m, c: makeConverter(m) ?? ((s: string) => s) };
};

test('decimalHandlingMode string: the exact text, NaN and ±Infinity as Debezium\'s strings; money as plain decimal', () => {
  const n = convIn({ decimal: 'string' }, OID.numeric);
  assert.deepEqual(n.m.fieldType, { type: 'string' });
  assert.equal(n.m.sourceType, 'numeric');
  for (const s of ['NaN', 'Infinity', '-Infinity', '-12345678901234567890123456789.123456789012345678901', '0.000000000000000000000000000001']) assert.equal(n.c(s), s);
  const p = convIn({ decimal: 'string' }, OID.numeric, numericMod(10, 2));
  assert.equal(p.m.sourceType, 'numeric(10,2)');
  assert.equal(p.c('1.50'), '1.50');
  const money = convIn({ decimal: 'string' }, OID.money);
  assert.deepEqual(money.m.fieldType, { type: 'string' });
  assert.equal(money.c('-$1,234.56'), '-1234.56');
  assert.equal(money.c('$0.05'), '0.05');
  assert.equal(moneyToString('-$92,233,720,368,547,758.08'), '-92233720368547758.08');
  // the value of a NOT NULL column an event does not carry (a delete's before image under REPLICA IDENTITY DEFAULT)
  assert.deepEqual([fallbackValue(n.m), fallbackValue(money.m), fallbackValue(convIn({ interval: 'string' }, OID.interval).m), fallbackValue(convIn({ bitVarying: 'string' }, OID.varbit, 16).m)],
    ['0', '0.00', 'P0Y0M0DT0H0M0S', '']);
  const arr = convIn({ decimal: 'string' }, OID._numeric);
  assert.deepEqual(arr.c('{1.5,NaN,NULL}'), ['1.5', 'NaN', null]);
});

test('decimalHandlingMode double: float64, NaN and ±Infinity as JS numbers', () => {
  const n = convIn({ decimal: 'double' }, OID.numeric, numericMod(10, 2));
  assert.deepEqual(n.m.fieldType, { type: 'float64' });
  assert.equal(n.c('-12.25'), -12.25);
  assert.ok(Number.isNaN(n.c('NaN') as number));
  assert.equal(n.c('Infinity'), Infinity);
  assert.equal(n.c('-Infinity'), -Infinity);
  assert.equal(convIn({ decimal: 'double' }, OID.money).c('-$1,234.56'), -1234.56);
});

test('bitVaryingHandlingMode string: the exact bit string with the declared length as a parameter; bit(n) stays Bits', () => {
  const v = convIn({ bitVarying: 'string' }, OID.varbit, 16);
  assert.deepEqual(v.m.fieldType, { type: 'string', logical: 'io.ferry.data.BitString', version: 1, params: { length: '16' } });
  for (const s of ['', '0', '01', '0000000000000001', '1010101010101010']) assert.equal(v.c(s), s);
  const one = convIn({ bitVarying: 'string' }, OID.varbit, 1);
  assert.equal(one.c(''), '');
  assert.equal(one.c('1'), '1');
  assert.equal(convIn({ bitVarying: 'string' }, OID.varbit).m.fieldType.params, undefined);
  assert.equal(convIn({ bitVarying: 'string' }, OID.bit, 8).m.fieldType.logical, 'io.debezium.data.Bits');
  // the default: Debezium's Bits, which carry bytes, not the bit count
  assert.deepEqual(conv(OID.varbit, 16)('01'), Buffer.from([0x01]));
});

test('numeric without typmod → VariableScaleDecimal with trailing zeros stripped', () => {
  assert.deepEqual(variableScaleDecimal('1.500'), { scale: 1, value: Buffer.from([15]) });
  assert.deepEqual(variableScaleDecimal('0.000'), { scale: 0, value: Buffer.from([0]) });
  assert.deepEqual(variableScaleDecimal('100'), { scale: 0, value: Buffer.from([100]) });
  assert.deepEqual(variableScaleDecimal('-0.0500'), { scale: 2, value: Buffer.from([0xfb]) });
  assert.deepEqual(variableScaleDecimal('0.00000000000000000001'), { scale: 20, value: Buffer.from([1]) });
  const e40 = variableScaleDecimal('10000000000000000000000000000000000000000.0000000000000000');
  assert.equal(e40.scale, 0);
  assert.equal(e40.value.toString('hex'), ref(10n ** 40n, 17));
});

test('money (lc_monetary=C) → Decimal at scale 2, extremes exact', () => {
  assert.equal(moneyToBytes('$0.00').toString('hex'), '00');
  assert.equal(moneyToBytes('-$3.50').toString('hex'), ref(-350n, 2));
  assert.equal(moneyToBytes('-$92,233,720,368,547,758.08').toString('hex'), '8000000000000000');
  assert.equal(moneyToBytes('$92,233,720,368,547,758.07').toString('hex'), '7fffffffffffffff');
});

test('date → days since the epoch, BC and far-future years, Debezium\'s infinity sentinels', () => {
  assert.equal(dateToDays('1970-01-01'), 0);
  assert.equal(dateToDays('2024-02-29'), jsDays(2024, 2, 29));
  assert.equal(dateToDays('0001-01-01'), jsDays(1, 1, 1));
  assert.equal(dateToDays('4713-01-01 BC'), jsDays(-4712, 1, 1));
  // Beyond JS Date's range: 5874897-12-31 is 14682 Gregorian 400-year cycles after 2097-12-31.
  assert.equal(dateToDays('5874897-12-31'), jsDays(2097, 12, 31) + 14682 * 146097);
  assert.equal(dateToDays('infinity'), INFINITY_DATE_DAYS);
  assert.equal(dateToDays('-infinity'), NEG_INFINITY_DATE_DAYS);
  assert.equal(INFINITY_DATE_DAYS, daysFromCivil(-5877611, 6, 21));
  assert.deepEqual(civilFromDays(daysFromCivil(-4712, 1, 1)), [-4712, 1, 1]);
  assert.deepEqual(civilFromDays(dateToDays('5874897-12-31')), [5874897, 12, 31]);
});

test('timestamp → MicroTimestamp / Timestamp, exact at the extremes, infinity as Debezium\'s sentinel', () => {
  assert.equal(timestampToMicros('2024-02-29 23:59:59.123456'), jsDays(2024, 2, 29) * DAY_MS * 1000 + 86399123456);
  assert.equal(timestampToMicros('1970-01-01 00:00:00'), 0);
  assert.equal(timestampToMicros('1969-12-31 23:59:59.999999'), -1);
  assert.equal(timestampToMicros('2024-01-01 00:00:00.5'), jsDays(2024, 1, 1) * DAY_MS * 1000 + 500000);
  const far = BigInt(jsDays(1876, 12, 31) + 731 * 146097) * 86400000000n + 86399999999n;
  assert.equal(timestampToMicros('294276-12-31 23:59:59.999999'), far);
  assert.equal(timestampToMicros('4713-01-01 00:00:00 BC'), BigInt(jsDays(-4712, 1, 1)) * 86400000000n);
  assert.equal(timestampToMicros('infinity'), 9223372036825200000n);
  assert.equal(timestampToMicros('-infinity'), -9223372036832400000n);
  assert.equal(timestampToMillis('2024-02-29 23:59:59.123'), jsDays(2024, 2, 29) * DAY_MS + 86399123);
  assert.equal(timestampToMillis('infinity'), 9223372036825200n);
  assert.equal(timestampToMillis('-infinity'), -9223372036832400n);
});

test('timestamptz → ZonedTimestamp in UTC with the column\'s fraction width, years as java.time prints them', () => {
  assert.equal(timestamptzToIso('2024-02-29 18:29:59.123456+00', 6), '2024-02-29T18:29:59.123456Z');
  assert.equal(timestamptzToIso('2024-02-29 18:29:59+00', 6), '2024-02-29T18:29:59.000000Z');
  assert.equal(timestamptzToIso('2024-02-29 18:29:59.12+00', 3), '2024-02-29T18:29:59.120Z');
  assert.equal(timestamptzToIso('2024-02-29 18:29:59+00', 0), '2024-02-29T18:29:59Z');
  assert.equal(timestamptzToIso('2024-01-01 00:30:00+05:30', 6), '2023-12-31T19:00:00.000000Z');
  assert.equal(timestamptzToIso('1900-01-01 00:00:00-00:19:32', 0), '1900-01-01T00:19:32Z');
  assert.equal(timestamptzToIso('0044-03-15 12:00:00+00 BC', 6), '-0043-03-15T12:00:00.000000Z');
  assert.equal(timestamptzToIso('294276-12-31 23:59:59.999999+00', 6), '+294276-12-31T23:59:59.999999Z');
  assert.equal(timestamptzToIso('infinity', 6), 'infinity');
  assert.equal(timestamptzToIso('-infinity', 6), '-infinity');
});

test('time → MicroTime (24:00:00 allowed) / Time; timetz → ZonedTime in UTC', () => {
  assert.equal(timeToMicros('00:00:00'), 0);
  assert.equal(timeToMicros('23:59:59.999999'), 86399999999);
  assert.equal(timeToMicros('24:00:00'), 86400000000);
  assert.equal(conv(OID.time, 3)('12:34:56.789'), 45296789);
  assert.equal(timetzToIso('24:00:00+00'), '24:00:00Z');
  assert.equal(timetzToIso('00:00:00-15:59'), '15:59:00Z');
  assert.equal(timetzToIso('12:34:56.789+05:30'), '07:04:56.789Z');
  assert.equal(timetzToIso('23:00:00.000001-02'), '01:00:00.000001Z');
});

test('interval → MicroDuration: Debezium\'s 365.25/12-day month, exact integer arithmetic, saturating', () => {
  assert.equal(intervalToMicros('00:00:00'), 0);
  assert.equal(intervalToMicros('1 mon'), 2629800000000);
  assert.equal(intervalToMicros('1 year'), 31557600000000);
  assert.equal(intervalToMicros('-1 days +02:03:04.5'), -79015500000);
  assert.equal(intervalToMicros('1 day -02:00:00'), 79200000000);
  assert.equal(intervalToMicros('00:00:00.000001'), 1);
  assert.equal(intervalToMicros('-00:00:00.5'), -500000);
  assert.equal(intervalToMicros('1 mon -1 days +00:00:00.000001'), 2543400000001);
  assert.equal(intervalToMicros('1 year 2 mons 3 days 04:05:06.789'), 37091106789000);
  assert.equal(intervalToMicros('-1 years -2 mons +3 days -04:05:06.78'), -36572706780000);
  assert.equal(intervalToMicros('100:00:00'), 360000000000);
  // Debezium's double arithmetic lands these one microsecond short (1 + 1/1e6 = 1.0000009999999999); Ferry is exact.
  assert.equal(intervalToMicros('00:00:01.000001'), 1000001);
  assert.equal(intervalToMicros('00:00:01.000036'), 1000036);
  assert.equal(intervalToMicros('-399 days -23:59:59.999999'), -34559999999999);
  assert.equal(intervalToMicros('399 days 23:59:59.999999'), 34559999999999);
  // beyond ±2^53: a bigint, still exact
  assert.equal(intervalToMicros('5000 years 00:00:00.000001'), 157788000000000001n);
  assert.equal(intervalToMicros('178000000 years'), 9223372036854775807n);
  assert.equal(intervalToMicros('-178000000 years'), -9223372036854775808n);
});

test('interval → io.debezium.time.Interval (intervalHandlingMode string): Debezium\'s ISO 8601 text, exact', () => {
  assert.equal(intervalToIso('00:00:00'), 'P0Y0M0DT0H0M0S');
  assert.equal(intervalToIso('1 year 2 mons 3 days 04:05:06.78'), 'P1Y2M3DT4H5M6.78S');
  assert.equal(intervalToIso('-1 years -2 mons +3 days -04:05:06.78'), 'P-1Y-2M3DT-4H-5M-6.78S');
  assert.equal(intervalToIso('-00:00:00.5'), 'P0Y0M0DT0H0M-0.5S');
  assert.equal(intervalToIso('100:00:01.000001'), 'P0Y0M0DT100H0M1.000001S');
  assert.equal(intervalToIso('1 mon'), 'P0Y1M0DT0H0M0S');
  const c = makeConverter(mapPgType(OID.interval, -1, fakeTypes, { modes: { ...DEFAULT_VALUE_MODES, interval: 'string' } }) as ColumnMapping)!;
  assert.equal(c('2 years 00:00:00.1'), 'P2Y0M0DT0H0M0.1S');
});

test('bit(1) → boolean; bit(n)/varbit → little-endian bytes of the value, as short as Debezium makes them', () => {
  assert.equal(conv(OID.bit, 1)('1'), true);
  assert.equal(conv(OID.bit, 1)('0'), false);
  assert.deepEqual(bitsToBytes('101'), Buffer.from([0x05]));
  assert.deepEqual(bitsToBytes('0000000000000001'), Buffer.from([0x01]));
  assert.deepEqual(bitsToBytes('1000000000000000'), Buffer.from([0x00, 0x80]));
  assert.deepEqual(bitsToBytes('111111111'), Buffer.from([0xff, 0x01]));
  assert.deepEqual(bitsToBytes('000'), Buffer.alloc(0));
  assert.deepEqual(bitsToBytes(''), Buffer.alloc(0));
});

test('bytea (hex output), bool, text passthrough', () => {
  assert.deepEqual(byteaToBuffer('\\x'), Buffer.alloc(0));
  assert.deepEqual(byteaToBuffer('\\x00ff10'), Buffer.from([0, 255, 16]));
  assert.equal(conv(OID.bool)('t'), true);
  assert.equal(conv(OID.bool)('f'), false);
  assert.equal(mapPgType(OID.jsonb, -1, fakeTypes) && makeConverter(mapPgType(OID.jsonb, -1, fakeTypes) as ColumnMapping), null, 'json text is the value');
  assert.equal(conv(OID.bpchar, charMod(3))('a  '), 'a  ');
});

test('hstore → compact JSON in hstore\'s key order, escapes and NULL values', () => {
  assert.equal(hstoreToJson(''), '{}');
  assert.equal(hstoreToJson('"a"=>"1", "b c"=>NULL, "q\\"x"=>"y\\\\z"'), '{"a":"1","b c":null,"q\\"x":"y\\\\z"}');
  assert.deepEqual(JSON.parse(hstoreToJson('"2"=>"two", "10"=>"ten"')), { 2: 'two', 10: 'ten' });
  assert.equal(hstoreToJson('"2"=>"two", "10"=>"ten"'), '{"2":"two","10":"ten"}');
});

test('geometric types → Point struct and Geometry (WKB little-endian, type in extensions)', () => {
  assert.deepEqual(conv(OID.point)('(1.5,-2)'), { x: 1.5, y: -2, wkb: Buffer.from('0101000000000000000000f83f00000000000000c0', 'hex'), srid: null });
  const box = conv(OID.box)('(3,4),(1,2)') as { wkb: Buffer; extensions: object };
  const le = (...xs: number[]) => xs.map((x) => { const b = Buffer.alloc(8); b.writeDoubleLE(x); return b.toString('hex'); }).join('');
  assert.equal(box.wkb.toString('hex'), `01030000000100000005000000${le(3, 4, 3, 2, 1, 2, 1, 4, 3, 4)}`);
  assert.deepEqual(box.extensions, { type: 'box' });
  const lseg = conv(OID.lseg)('[(1,2),(3,4)]') as { wkb: Buffer };
  assert.equal(lseg.wkb.toString('hex'), `010200000002000000${le(1, 2, 3, 4)}`);
  assert.deepEqual((conv(OID.path)('((1,2),(3,4),(5,0))') as { extensions: object }).extensions, { type: 'path', closed: 'true' });
  assert.deepEqual((conv(OID.path)('[(1,2),(3,4)]') as { extensions: object }).extensions, { type: 'path', closed: 'false' });
  const poly = conv(OID.polygon)('((0,0),(1,0),(0,1))') as { wkb: Buffer };
  assert.equal(poly.wkb.toString('hex'), `01030000000100000004000000${le(0, 0, 1, 0, 0, 1, 0, 0)}`);
});

test('array literals: NULLs, quoting, bounds, box\'s ";" delimiter; elements converted; multi-dimensional nested', () => {
  assert.deepEqual(parseArrayLiteral('{}'), []);
  assert.deepEqual(parseArrayLiteral('{"a,b","\\"",NULL,"NULL",""," x "}'), ['a,b', '"', null, 'NULL', '', ' x ']);
  assert.deepEqual(parseArrayLiteral('[2:3]={7,8}'), ['7', '8']);
  // array_out leaves elements with non-ASCII white space unquoted; they keep it
  assert.deepEqual(parseArrayLiteral('{\u00a0x\ufeff,\u2028}'), ['\u00a0x\ufeff', '\u2028']);
  assert.deepEqual(parseArrayLiteral('{(1,2),(0,0);(3,3),(2,2)}', ';'), ['(1,2),(0,0)', '(3,3),(2,2)']);
  assert.deepEqual(parseArrayLiteral('{{1,2},{3,NULL}}'), [['1', '2'], ['3', null]]);
  assert.deepEqual(parseArrayLiteral('[0:1][1:2]={{"a}",b},{c,"{d"}}'), [['a}', 'b'], ['c', '{d']]);
  assert.deepEqual(parseArrayLiteral('{{{1},{2}},{{3},{4}}}'), [[['1'], ['2']], [['3'], ['4']]]);
  assert.throws(() => parseArrayLiteral('{1,2}x'), /malformed/);
  assert.throws(() => parseArrayLiteral('{1,2'), /malformed/);
  const conv2 = (oid: number, dims: number) => makeConverter(mapPgType(oid, -1, fakeTypes, { dims }) as ColumnMapping)!;
  assert.deepEqual(conv2(OID._int8, 2)('{{1,9007199254740993},{NULL,-1}}'), [[1, 9007199254740993n], [null, -1]]);
  assert.deepEqual(conv2(OID._int4, 2)('{}'), []);
  assert.throws(() => conv(OID._int4)('{{1,2},{3,4}}'), /2-dimensional value in a column declared with 1 dimension \(integer\[\]\).*TYPE integer\[\]\[\]/);
  assert.throws(() => conv2(OID._int4, 2)('{1,2}'), /1-dimensional value in a column declared with 2 dimensions/);
  assert.deepEqual(conv(OID._int4)('{1,NULL,-3}'), [1, null, -3]);
  assert.deepEqual(conv(OID._numeric, numericMod(5, 2))('{1.50,NULL}'), [Buffer.from([0x00, 0x96]), null]);
  assert.deepEqual(conv(OID._date)('{2024-02-29,infinity}'), [jsDays(2024, 2, 29), INFINITY_DATE_DAYS]);
  assert.deepEqual(conv(OID._bytea)('{"\\\\x0102",NULL}'), [Buffer.from([1, 2]), null]);
  assert.deepEqual(conv(OID._text)('{"😀 𝄞"}'), ['😀 𝄞']);
  assert.deepEqual(conv(OID._mood)('{sad,"happy, really"}'), ['sad', 'happy, really']);
  assert.deepEqual((conv(OID._box)('{(1,2),(0,0)}') as Array<{ extensions: object }>)[0]!.extensions, { type: 'box' });
});

test('fallback values for NOT NULL columns an event does not carry', () => {
  const fb = (oid: number, mod = -1) => fallbackValue(mapPgType(oid, mod, fakeTypes) as ColumnMapping);
  assert.equal(fb(OID.int4), 0);
  assert.equal(fb(OID.text), '');
  assert.equal(fb(OID.bool), false);
  assert.deepEqual(fb(OID.numeric, numericMod(10, 2)), Buffer.from([0]));
  assert.deepEqual(fb(OID.numeric), { scale: 0, value: Buffer.from([0]) });
  assert.equal(fb(OID.timestamptz), '1970-01-01T00:00:00Z');
  assert.deepEqual(fb(OID._int4), []);
  assert.equal((fb(OID.point) as { wkb: Buffer }).wkb.length, 21);
});

test('the sinks recognise the ±infinity sentinels this source emits (runtime/src/relational/wire-values.ts)', async () => {
  const { INFINITY_SENTINELS } = await import('../../../../runtime/src/relational/wire-values.ts');
  assert.deepEqual(INFINITY_SENTINELS.dateDays, { pos: dateToDays('infinity'), neg: dateToDays('-infinity') });
  assert.deepEqual(INFINITY_SENTINELS.micros, { pos: timestampToMicros('infinity'), neg: timestampToMicros('-infinity') });
  assert.deepEqual([timestampToMillis('infinity'), timestampToMillis('-infinity')], [INFINITY_SENTINELS.micros.pos / 1000n, INFINITY_SENTINELS.micros.neg / 1000n]);
});
