// Unit tests for binlog/json-binary.ts: MySQL binary JSON to MySQL-style JSON text, and binary DECIMAL decoding.
// Fixtures are hand-written bytes or built by the small encoders below (written here, independently of the decoder).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decodeBinaryDecimal, jsonBinaryToText } from '../../src/binlog/json-binary.ts';

type J =
  | null | boolean | string
  | { int16: number } | { uint16: number } | { int32: number } | { uint32: number }
  | { int64: bigint } | { uint64: bigint } | { double: number }
  | { opaque: number; data: Buffer }
  | { object: Array<[string, J]>; large?: boolean }
  | { array: J[]; large?: boolean };

/** The variable-length length: 7 bits per byte, low first, high bit = more. */
function varLen(n: number): Buffer {
  const out: number[] = [];
  do {
    out.push((n & 0x7f) | (n >= 0x80 ? 0x80 : 0));
    n = Math.floor(n / 128);
  } while (n > 0);
  return Buffer.from(out);
}

function le(n: number | bigint, bytes: number, signed = false): Buffer {
  const b = Buffer.alloc(bytes);
  if (bytes === 8 && signed) b.writeBigInt64LE(BigInt(n));
  else if (bytes === 8) b.writeBigUInt64LE(BigInt(n));
  else if (signed) b.writeIntLE(Number(n), 0, bytes);
  else b.writeUIntLE(Number(n), 0, bytes);
  return b;
}

/** [type byte, data] of a value. */
function encodeValue(v: J): [number, Buffer] {
  if (v === null) return [0x04, Buffer.from([0])];
  if (v === true) return [0x04, Buffer.from([1])];
  if (v === false) return [0x04, Buffer.from([2])];
  if (typeof v === 'string') {
    const s = Buffer.from(v, 'utf8');
    return [0x0c, Buffer.concat([varLen(s.length), s])];
  }
  if ('int16' in v) return [0x05, le(v.int16, 2, true)];
  if ('uint16' in v) return [0x06, le(v.uint16, 2)];
  if ('int32' in v) return [0x07, le(v.int32, 4, true)];
  if ('uint32' in v) return [0x08, le(v.uint32, 4)];
  if ('int64' in v) return [0x09, le(v.int64, 8, true)];
  if ('uint64' in v) return [0x0a, le(v.uint64, 8)];
  if ('double' in v) {
    const b = Buffer.alloc(8);
    b.writeDoubleLE(v.double);
    return [0x0b, b];
  }
  if ('opaque' in v) return [0x0f, Buffer.concat([Buffer.from([v.opaque]), varLen(v.data.length), v.data])];
  const large = v.large ?? false;
  if ('object' in v) return [large ? 0x01 : 0x00, encodeContainer(v.object, large, true)];
  return [large ? 0x03 : 0x02, encodeContainer(v.array.map((x) => ['', x] as [string, J]), large, false)];
}

/** A container: count, size, key entries, value entries, then keys, then non-inlined values. */
function encodeContainer(entries: Array<[string, J]>, large: boolean, isObject: boolean): Buffer {
  const os = large ? 4 : 2;
  const n = entries.length;
  const header = 2 * os + (isObject ? n * (os + 2) : 0) + n * (1 + os);
  const keys = entries.map(([k]) => Buffer.from(k, 'utf8'));
  const keyEntries: Buffer[] = [];
  const valueEntries: Buffer[] = [];
  const tail: Buffer[] = [...(isObject ? keys : [])];
  let offset = header + (isObject ? keys.reduce((s, k) => s + k.length, 0) : 0);
  let keyOffset = header;
  for (let i = 0; i < n; i++) {
    if (isObject) {
      keyEntries.push(Buffer.concat([le(keyOffset, os), le(keys[i]!.length, 2)]));
      keyOffset += keys[i]!.length;
    }
    const [type, data] = encodeValue(entries[i]![1]);
    const inlined = type === 0x04 || type === 0x05 || type === 0x06 || (large && (type === 0x07 || type === 0x08));
    if (inlined) {
      valueEntries.push(Buffer.concat([Buffer.from([type]), data, Buffer.alloc(os - data.length)]));
    } else {
      valueEntries.push(Buffer.concat([Buffer.from([type]), le(offset, os)]));
      tail.push(data);
      offset += data.length;
    }
  }
  return Buffer.concat([le(n, os), le(offset, os), ...keyEntries, ...valueEntries, ...tail]);
}

function doc(v: J): Buffer {
  const [type, data] = encodeValue(v);
  return Buffer.concat([Buffer.from([type]), data]);
}

const text = (v: J) => jsonBinaryToText(doc(v));

/** MySQL's binary DECIMAL of a decimal string (test-side encoder). */
function encodeDecimal(value: string, precision: number, scale: number): Buffer {
  const negative = value.startsWith('-');
  const [intPart = '', fracPart = ''] = value.replace('-', '').split('.');
  const intg = precision - scale;
  const digits = intPart.replace(/^0+/, '').padStart(intg, '0') + fracPart.padEnd(scale, '0');
  const sizes = [0, 1, 1, 2, 2, 3, 3, 4, 4, 4];
  const groups: Array<[string, number]> = [];
  if (intg % 9) groups.push([digits.slice(0, intg % 9), sizes[intg % 9]!]);
  for (let i = intg % 9; i < intg; i += 9) groups.push([digits.slice(i, i + 9), 4]);
  for (let i = 0; i + 9 <= scale; i += 9) groups.push([digits.slice(intg + i, intg + i + 9), 4]);
  if (scale % 9) groups.push([digits.slice(intg + scale - (scale % 9)), sizes[scale % 9]!]);
  const out = Buffer.concat(groups.map(([d, bytes]) => {
    const b = Buffer.alloc(bytes);
    b.writeUIntBE(Number(d), 0, bytes);
    return b;
  }));
  out[0]! ^= 0x80;
  if (negative) for (let i = 0; i < out.length; i++) out[i] = out[i]! ^ 0xff;
  return out;
}

const decimalOpaque = (value: string, p: number, s: number): J => ({ opaque: 246, data: Buffer.concat([Buffer.from([p, s]), encodeDecimal(value, p, s)]) });

/** MySQL's packed int64 for DATETIME/TIMESTAMP/DATE and for TIME. */
function packedDatetime(y: number, mo: number, d: number, h = 0, mi = 0, s = 0, us = 0): Buffer {
  const ymd = BigInt(((y * 13 + mo) << 5) | d);
  return le((((ymd << 17n) | BigInt((h << 12) | (mi << 6) | s)) << 24n) | BigInt(us), 8, true);
}
function packedTime(negative: boolean, h: number, mi: number, s: number, us = 0): Buffer {
  const v = (BigInt((h << 12) | (mi << 6) | s) << 24n) | BigInt(us);
  return le(negative ? -v : v, 8, true);
}

test('hand-written fixtures: a small object and a small array', () => {
  // {"a": 1}: type 00; count 1, size 12; key entry (offset 11, length 1); value entry int16 1 inlined; key 'a'
  assert.equal(jsonBinaryToText(Buffer.from('0001000c000b0001000501006' + '1', 'hex')), '{"a": 1}');
  // [1, "x"]: type 02; count 2, size 12; int16 1 inlined; string at offset 10; then 01 'x'
  assert.equal(jsonBinaryToText(Buffer.from('0202000c000501000c0a000178', 'hex')), '[1, "x"]');
  // the encoder agrees with the hand-written bytes
  assert.equal(doc({ object: [['a', { int16: 1 }]] }).toString('hex'), '0001000c000b00010005010061');
  // {} and []: count 0, size 4
  assert.equal(jsonBinaryToText(Buffer.from('0000000400', 'hex')), '{}');
  assert.equal(jsonBinaryToText(Buffer.from('0200000400', 'hex')), '[]');
  assert.equal(jsonBinaryToText(Buffer.alloc(0)), 'null'); // SQL NULL
});

test('scalars: literals and exact integers', () => {
  assert.equal(text(null), 'null');
  assert.equal(text(true), 'true');
  assert.equal(text(false), 'false');
  assert.equal(text({ int16: -32768 }), '-32768');
  assert.equal(text({ uint16: 65535 }), '65535');
  assert.equal(text({ int32: -2147483648 }), '-2147483648');
  assert.equal(text({ uint32: 4294967295 }), '4294967295');
  assert.equal(text({ int64: -9223372036854775808n }), '-9223372036854775808');
  assert.equal(text({ int64: 9007199254740993n }), '9007199254740993');
  assert.equal(text({ uint64: 18446744073709551615n }), '18446744073709551615');
  assert.equal(text({ array: [{ uint64: 18446744073709551615n }, { int32: -7 }, { uint32: 7 }] }), '[18446744073709551615, -7, 7]');
});

test('doubles print as MySQL prints them', () => {
  const cases: Array<[number, string]> = [
    [1, '1.0'], [-2.5, '-2.5'], [0.1, '0.1'], [0, '0.0'], [-0, '-0.0'], [100, '100.0'], [3.14159, '3.14159'],
    [1e14, '100000000000000.0'], [123456789012345, '123456789012345.0'], [1e15, '1e15'], [1e20, '1e20'],
    [1234567890123456.8, '1234567890123456.8'], [123456789012345680, '1.2345678901234568e17'],
    [0.0001, '0.0001'], [1.5e-7, '0.00000015'], [1e-15, '0.000000000000001'], [1e-16, '1e-16'],
    [-1.2345678901234567e-20, '-1.2345678901234567e-20'], [5e-324, '5e-324'],
    [1.7976931348623157e308, '1.7976931348623157e308'], [-1e-300, '-1e-300'], [2.5e-5, '0.000025'],
  ];
  for (const [d, expected] of cases) assert.equal(text({ double: d }), expected, String(d));
});

test('strings: JSON escaping as MySQL does it, unicode as is, multi-byte lengths', () => {
  assert.equal(text(''), '""');
  assert.equal(text('say "hi"\\ok'), '"say \\"hi\\"\\\\ok"');
  assert.equal(text('a\nb\r\tc\b\f'), '"a\\nb\\r\\tc\\b\\f"');
  assert.equal(text('\u0000\u0001\u001f\u007f/'), '"\\u0000\\u0001\\u001f\u007f/"');
  assert.equal(text('é€😀 ünïcödé'), '"é€😀 ünïcödé"');
  const long = 'x'.repeat(200); // 2-byte length
  assert.equal(text(long), `"${long}"`);
  const longer = 'y'.repeat(20000); // 3-byte length
  assert.equal(text(longer), `"${longer}"`);
  assert.equal(doc(longer).subarray(1, 4).toString('hex'), 'a09c01');
  assert.equal(text({ object: [['k"\n', 'v']] }), '{"k\\"\\n": "v"}'); // keys are escaped too
});

test('nested containers keep stored key order and use ", " / ": "', () => {
  const v: J = { object: [['a', { array: [{ int16: 1 }, { object: [['b', null]] }, { array: [] }] }], ['cc', 'x'], ['ddd', { double: 2 }]] };
  assert.equal(text(v), '{"a": [1, {"b": null}, []], "cc": "x", "ddd": 2.0}');
  assert.equal(text({ array: [{ object: [] }, true, false, null, ''] }), '[{}, true, false, null, ""]');
});

test('large containers: 4-byte offsets, int32/uint32 inlined', () => {
  const v: J = { large: true, object: [['n', { int32: -5 }], ['u', { uint32: 4000000000 }], ['s', 'str'], ['arr', { large: true, array: [{ int16: 1 }, null, { int64: 5n }] }]] };
  const b = doc(v);
  assert.equal(b[0], 0x01);
  assert.equal(jsonBinaryToText(b), '{"n": -5, "u": 4000000000, "s": "str", "arr": [1, null, 5]}');
  // a genuinely large document: more than 64 KiB needs 4-byte offsets
  const big = 'z'.repeat(70000);
  assert.equal(text({ large: true, array: [big, { int16: 2 }, big] }), `["${big}", 2, "${big}"]`);
  // a small array nested in a large one: offsets relative to each container
  assert.equal(text({ large: true, array: [{ array: ['a', { int32: 70000 }] }, 'b'] }), '[["a", 70000], "b"]');
});

test('opaque values: decimals, dates and times, base64 and strings', () => {
  assert.equal(text(decimalOpaque('12.50', 4, 2)), '12.50');
  assert.equal(text(decimalOpaque('-12.50', 4, 2)), '-12.50');
  assert.equal(text({ array: [decimalOpaque('0.05', 3, 2), decimalOpaque('-1234567890.1234', 14, 4)] }), '[0.05, -1234567890.1234]');
  assert.equal(text({ opaque: 10, data: packedDatetime(2024, 1, 2) }), '"2024-01-02"');
  assert.equal(text({ opaque: 12, data: packedDatetime(2024, 1, 2, 12, 34, 56) }), '"2024-01-02 12:34:56.000000"');
  assert.equal(text({ opaque: 12, data: packedDatetime(999, 12, 31, 23, 59, 59, 123456) }), '"0999-12-31 23:59:59.123456"');
  assert.equal(text({ opaque: 7, data: packedDatetime(2038, 1, 19, 3, 14, 7, 500) }), '"2038-01-19 03:14:07.000500"');
  assert.equal(text({ opaque: 11, data: packedTime(false, 12, 34, 56) }), '"12:34:56.000000"');
  assert.equal(text({ opaque: 11, data: packedTime(true, 838, 59, 59, 10) }), '"-838:59:59.000010"');
  assert.equal(text({ opaque: 11, data: packedTime(false, 1, 2, 3, 999999) }), '"01:02:03.999999"');
  assert.equal(text({ opaque: 252, data: Buffer.from([0, 1, 2, 0xff]) }), '"base64:type252:AAEC/w=="');
  assert.equal(text({ opaque: 15, data: Buffer.from('hi') }), '"base64:type15:aGk="');
  assert.equal(text({ opaque: 253, data: Buffer.from('plain "text"') }), '"plain \\"text\\""');
  // MySQL's base64 breaks lines every 76 characters: 57 bytes fill one line exactly, 58 start a second
  const line = Buffer.alloc(57, 0xab).toString('base64');
  assert.equal(text({ opaque: 249, data: Buffer.alloc(57, 0xab) }), `"base64:type249:${line}"`);
  const two = Buffer.alloc(60, 0xab).toString('base64');
  assert.equal(text({ opaque: 249, data: Buffer.alloc(60, 0xab) }), `"base64:type249:${two.slice(0, 76)}\\n${two.slice(76)}"`);
});

test('corrupt input throws an error naming the byte offset', () => {
  const nested = doc({ object: [['a', { array: [{ int16: 1 }, 'xyz', { double: 1.5 }] }], ['b', { int64: 1n }]] });
  assert.equal(jsonBinaryToText(nested), '{"a": [1, "xyz", 1.5], "b": 1}');
  for (let n = 1; n < nested.length; n++) {
    assert.throws(() => jsonBinaryToText(nested.subarray(0, n)), /corrupt binary JSON at byte \d+/, `prefix of ${n} bytes`);
  }
  assert.throws(() => jsonBinaryToText(Buffer.from([0x0d, 0])), /at byte 0: unknown value type 0xd/);
  assert.throws(() => jsonBinaryToText(Buffer.from('0201000800' + '0e0700' + '00', 'hex')), /at byte 5: unknown value type 0xe/);
  assert.throws(() => jsonBinaryToText(Buffer.from('0201000700' + '040300', 'hex')), /at byte 6: unknown literal 0x3/);
  // a value offset pointing back into the header
  assert.throws(() => jsonBinaryToText(Buffer.from('02010009000c020000' + '0178', 'hex')), /at byte 5: value at offset 2 outside its container/);
  // a key running past its object
  assert.throws(() => jsonBinaryToText(Buffer.from('0001000c000b0005000501006' + '1', 'hex')), /at byte 5: key at offset 11/);
  // more entries than the container size allows
  assert.throws(() => jsonBinaryToText(Buffer.from('0205000700' + '050100', 'hex')), /at byte 1: 5 entries do not fit/);
  // a length with more than 5 bytes
  assert.throws(() => jsonBinaryToText(Buffer.from('0cffffffffff01', 'hex')), /at byte 1: length longer than 5 bytes/);
  assert.throws(() => jsonBinaryToText(Buffer.from('0c05616263', 'hex')), /at byte 2: string needs 5 bytes, 3 left/);
  // opaque decimal whose length does not match its precision, date of the wrong size, a NaN double
  assert.throws(() => jsonBinaryToText(Buffer.from('0ff603040280', 'hex')), /DECIMAL\(4,2\) takes 2 bytes, the value has 1/);
  assert.throws(() => jsonBinaryToText(Buffer.from('0f0a0400000000', 'hex')), /packed date\/time of 4 bytes/);
  assert.throws(() => jsonBinaryToText(doc({ double: NaN })), /at byte 1: double NaN/);
  // nesting: 100 levels are fine, 101 are not
  let deep: J = { int16: 0 };
  for (let i = 0; i < 100; i++) deep = { array: [deep] };
  assert.equal(text(deep), `${'['.repeat(100)}0${']'.repeat(100)}`);
  assert.throws(() => text({ array: [deep] }), /nested deeper than 100 levels/);
});

test('decodeBinaryDecimal: hand-written layouts', () => {
  // DECIMAL(14,4) 1234567890.1234: '1' in 1 byte, 234567890 in 4, 1234 in 2; sign bit set for positive
  assert.deepEqual(decodeBinaryDecimal(Buffer.from('810dfb38d204d2', 'hex'), 0, 14, 4), { text: '1234567890.1234', length: 7 });
  // the negative value: every byte inverted
  assert.deepEqual(decodeBinaryDecimal(Buffer.from('7ef204c72dfb2d', 'hex'), 0, 14, 4), { text: '-1234567890.1234', length: 7 });
  // DECIMAL(4,2) 12.50 / -12.50 at an offset inside a larger buffer
  assert.deepEqual(decodeBinaryDecimal(Buffer.from('ffff8c32ff', 'hex'), 2, 4, 2), { text: '12.50', length: 2 });
  assert.deepEqual(decodeBinaryDecimal(Buffer.from('73cd', 'hex'), 0, 4, 2), { text: '-12.50', length: 2 });
  assert.deepEqual(decodeBinaryDecimal(Buffer.from('8005', 'hex'), 0, 3, 2), { text: '0.05', length: 2 });
  assert.deepEqual(decodeBinaryDecimal(Buffer.from('807b', 'hex'), 0, 3, 0), { text: '123', length: 2 });
  assert.deepEqual(decodeBinaryDecimal(Buffer.from('7fff', 'hex'), 0, 4, 2), { text: '0.00', length: 2 }); // -0 prints as 0
  // DECIMAL(20,0) 1000000000: leading-zero groups ('00', '000000001', '000000000')
  assert.deepEqual(decodeBinaryDecimal(Buffer.from('80' + '00000001' + '00000000', 'hex'), 0, 20, 0), { text: '1000000000', length: 9 });
  // DECIMAL(20,18) 0.000000000000000001: a zero fraction group before the last
  assert.deepEqual(decodeBinaryDecimal(Buffer.from('80' + '00000000' + '00000001', 'hex'), 0, 20, 18), { text: '0.000000000000000001', length: 9 });
  // DECIMAL(10,10): no integer digits at all; the sign bit sits on the first fraction byte
  assert.deepEqual(decodeBinaryDecimal(Buffer.from('8000000000', 'hex'), 0, 10, 10), { text: '0.0000000000', length: 5 });
});

test('decodeBinaryDecimal: round trips across precisions and scales', () => {
  let seed = 7;
  const random = (n: number) => (seed = (seed * 1103515245 + 12345) % 2147483648) % n;
  const digit = () => String(random(10));
  for (let i = 0; i < 500; i++) {
    const precision = 1 + random(65);
    const scale = random(Math.min(30, precision) + 1);
    const intg = precision - scale;
    const intText = Array.from({ length: random(intg + 1) }, digit).join('').replace(/^0+/, '') || '0';
    const fracText = Array.from({ length: scale }, digit).join('');
    const zero = !/[1-9]/.test(intText + fracText);
    const value = `${random(2) && !zero ? '-' : ''}${intText}${scale ? `.${fracText}` : ''}`;
    const bytes = encodeDecimal(value, precision, scale);
    assert.deepEqual(decodeBinaryDecimal(bytes, 0, precision, scale), { text: value, length: bytes.length }, `DECIMAL(${precision},${scale}) ${value}`);
  }
  const max = `-${'9'.repeat(35)}.${'9'.repeat(30)}`;
  assert.equal(decodeBinaryDecimal(encodeDecimal(max, 65, 30), 0, 65, 30).text, max);
});

test('decodeBinaryDecimal: bad arguments and corrupt bytes throw', () => {
  assert.throws(() => decodeBinaryDecimal(Buffer.from('8c', 'hex'), 0, 4, 2), /DECIMAL\(4,2\) at byte 0 needs 2 bytes, 1 left/);
  assert.throws(() => decodeBinaryDecimal(Buffer.alloc(10), 0, 4, 5), /invalid DECIMAL\(4,5\)/);
  assert.throws(() => decodeBinaryDecimal(Buffer.alloc(40), 0, 66, 0), /invalid DECIMAL\(66,0\)/);
  assert.throws(() => decodeBinaryDecimal(Buffer.alloc(40), 0, 0, 0), /invalid DECIMAL\(0,0\)/);
  // DECIMAL(2,0) stores 2 digits in 1 byte: 100 does not fit
  assert.throws(() => decodeBinaryDecimal(Buffer.from('e4', 'hex'), 0, 2, 0), /at byte 0: 100 does not fit in 2 digits/);
  assert.throws(() => decodeBinaryDecimal(Buffer.from('80ffffffff', 'hex'), 0, 10, 0), /at byte 1: 4294967295 does not fit in 9 digits/);
});
