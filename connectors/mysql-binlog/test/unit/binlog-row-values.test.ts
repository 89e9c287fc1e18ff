import { test } from 'node:test';
import assert from 'node:assert/strict';
import zlib from 'node:zlib';
import { makeValueDecoder, parseColumnMeta, type BinlogColumnMeta, type Cursor, type ValueColumnDef } from '../../src/binlog/row-values.ts';
import { mapColumn } from '../../src/type-mapping.ts';
import { makeConverter } from '../../src/value-conversion.ts';

// Type codes, written out here rather than imported so the tests pin the wire values.
const TINY = 1, SHORT = 2, LONG = 3, FLOAT = 4, DOUBLE = 5, TIMESTAMP = 7, LONGLONG = 8, INT24 = 9, DATE = 10;
const TIME = 11, DATETIME = 12, YEAR = 13, VARCHAR = 15, BIT = 16, TIMESTAMP2 = 17, DATETIME2 = 18, TIME2 = 19;
const BLOB_COMPRESSED = 140, VARCHAR_COMPRESSED = 141, JSON_T = 245, NEWDECIMAL = 246, ENUM = 247, SET = 248;
const BLOB = 252, VAR_STRING = 253, STRING = 254, GEOMETRY = 255;

const meta = (type: number, m = 0, m2 = 0, realType = type): BinlogColumnMeta => ({ type, realType, meta: m, meta2: m2 });
const def = (columnType: string, charset: string | null = null): ValueColumnDef => ({ name: 'c', columnType, charset });

/** Decodes `body` placed between junk bytes and checks that the decoder consumed exactly the body. */
function decode(col: BinlogColumnMeta, d: ValueColumnDef, body: Buffer | number[]): unknown {
  const bytes = Buffer.from(body);
  const buf = Buffer.concat([Buffer.from([0xaa, 0xbb, 0xcc]), bytes, Buffer.from([0xdd, 0xee])]);
  const c: Cursor = { buf, pos: 3 };
  const v = makeValueDecoder(col, d)(c);
  assert.equal(c.pos, 3 + bytes.length, `cursor after ${d.columnType} value`);
  return v;
}

/** `v` as `n` bytes, big-endian. */
function be(v: bigint | number, n: number): Buffer {
  let x = BigInt.asUintN(8 * n, BigInt(v));
  const out = Buffer.alloc(n);
  for (let i = n - 1; i >= 0; i--) { out[i] = Number(x & 0xffn); x >>= 8n; }
  return out;
}
const le = (v: bigint | number, n: number) => Buffer.from(be(v, n)).reverse();
const prefixed = (lenBytes: number, data: Buffer) => Buffer.concat([le(data.length, lenBytes), data]);

test('integers: signed and unsigned bounds of every width', () => {
  const cases: Array<[number, string, Buffer, unknown]> = [
    [TINY, 'tinyint(4)', Buffer.from([0x80]), -128],
    [TINY, 'tinyint(4)', Buffer.from([0x7f]), 127],
    [TINY, 'tinyint(3) unsigned', Buffer.from([0xff]), 255],
    [SHORT, 'smallint(6)', le(-32768, 2), -32768],
    [SHORT, 'smallint(5) unsigned', le(65535, 2), 65535],
    [INT24, 'mediumint(9)', le(-8388608, 3), -8388608],
    [INT24, 'mediumint(9)', le(-1, 3), -1],
    [INT24, 'mediumint(8) unsigned', le(16777215, 3), 16777215],
    [LONG, 'int(11)', le(-2147483648, 4), -2147483648],
    [LONG, 'int(11)', le(2147483647, 4), 2147483647],
    [LONG, 'int(10) unsigned', le(4294967295, 4), 4294967295],
    [LONGLONG, 'bigint(20)', le(-1, 8), -1],
    [LONGLONG, 'bigint(20)', le(-9223372036854775808n, 8), -9223372036854775808n],
    [LONGLONG, 'bigint(20)', le(9223372036854775807n, 8), 9223372036854775807n],
    [LONGLONG, 'bigint(20)', le(9007199254740991n, 8), 9007199254740991],
    [LONGLONG, 'bigint(20)', le(-9007199254740991n, 8), -9007199254740991],
    [LONGLONG, 'bigint(20)', le(-9007199254740992n, 8), -9007199254740992n],
    [LONGLONG, 'bigint(20)', le(9007199254740992n, 8), 9007199254740992n],
    [LONGLONG, 'bigint(20)', le(-4294967296n, 8), -4294967296],
    [LONGLONG, 'bigint(20) unsigned', le(18446744073709551615n, 8), '18446744073709551615'],
    [LONGLONG, 'bigint(20) unsigned', le(9007199254740991n, 8), 9007199254740991],
    [LONGLONG, 'bigint(20) unsigned', le(9007199254740992n, 8), '9007199254740992'],
    [LONGLONG, 'bigint(20) unsigned', le(4294967296n, 8), 4294967296],
  ];
  for (const [type, ct, bytes, want] of cases) assert.equal(decode(meta(type), def(ct), bytes), want, `${ct} ${bytes.toString('hex')}`);
});

test('FLOAT and DOUBLE', () => {
  const f = Buffer.alloc(4); f.writeFloatLE(1.1);
  assert.equal(decode(meta(FLOAT, 4), def('float'), f), Math.fround(1.1));
  const d = Buffer.alloc(8); d.writeDoubleLE(-2.5e-300);
  assert.equal(decode(meta(DOUBLE, 8), def('double'), d), -2.5e-300);
});

const DIG2BYTES = [0, 1, 1, 2, 2, 3, 3, 4, 4, 4];

/** MySQL decimal2bin, from the text. */
function encDecimal(text: string, precision: number, scale: number): Buffer {
  const neg = text.startsWith('-');
  const [ip = '', fp = ''] = text.replace('-', '').split('.');
  const intg = precision - scale;
  const intDigits = ip.padStart(intg, '0');
  const fracDigits = fp.padEnd(scale, '0');
  const parts: Buffer[] = [];
  const lead = intg % 9;
  if (lead > 0) parts.push(be(BigInt(intDigits.slice(0, lead)), DIG2BYTES[lead]!));
  for (let i = lead; i < intg; i += 9) parts.push(be(BigInt(intDigits.slice(i, i + 9)), 4));
  const full = Math.floor(scale / 9) * 9;
  for (let i = 0; i < full; i += 9) parts.push(be(BigInt(fracDigits.slice(i, i + 9)), 4));
  if (scale % 9 > 0) parts.push(be(BigInt(fracDigits.slice(full)), DIG2BYTES[scale % 9]!));
  const out = Buffer.concat(parts);
  if (neg) for (let i = 0; i < out.length; i++) out[i] = out[i]! ^ 0xff;
  out[0] = out[0]! ^ 0x80;
  return out;
}

test('NEWDECIMAL: exact text with exactly `scale` fraction digits', () => {
  const cases: Array<[string, number, number]> = [
    ['-12.50', 10, 2], ['0.05', 10, 2], ['123', 5, 0], ['-123', 5, 0], ['0', 5, 0], ['0.00', 4, 2],
    ['5.00', 20, 2], // two leading all-zero integer groups
    ['-0.000000001', 18, 9], ['99999999.99', 10, 2], ['0.12345', 5, 5],
    ['12345678901234567890123456789012345.123456789012345678901234567890', 65, 30],
    ['-99999999999999999999999999999999999.999999999999999999999999999999', 65, 30],
    ['1000000000', 19, 0], ['-1000000000.1', 19, 1],
  ];
  for (const [text, p, s] of cases) {
    assert.equal(decode(meta(NEWDECIMAL, p, s), def(`decimal(${p},${s})`), encDecimal(text, p, s)), text, `${text} (${p},${s})`);
  }
  assert.throws(() => makeValueDecoder(meta(NEWDECIMAL, 70, 2), def('decimal(70,2)')), /DECIMAL\(70,2\)/);
});

test('BIT: big-endian bytes of ceil(bits/8)', () => {
  const one = decode(meta(BIT, 1, 1), def('bit(1)'), [0x01]) as Buffer;
  assert.deepEqual(one, Buffer.from([0x01]));
  const b17 = decode(meta(BIT, 17, 3), def('bit(17)'), [0x01, 0x80, 0x01]) as Buffer;
  assert.deepEqual(b17, Buffer.from([0x01, 0x80, 0x01]));
  assert.deepEqual(makeConverter(mapColumn(def('bit(17)')), { nullable: true, charset: null })!(b17), Buffer.from([0x01, 0x80, 0x01]));
});

test('DATE and YEAR', () => {
  const date = (y: number, m: number, d: number) => le((y << 9) | (m << 5) | d, 3);
  assert.equal(decode(meta(DATE), def('date'), date(2024, 2, 29)), '2024-02-29');
  assert.equal(decode(meta(DATE), def('date'), date(0, 0, 0)), '0000-00-00');
  assert.equal(decode(meta(DATE), def('date'), date(9999, 12, 31)), '9999-12-31');
  assert.equal(decode(meta(DATE), def('date'), date(1, 1, 0)), '0001-01-00');
  assert.equal(decode(meta(YEAR), def('year(4)'), [0]), 0);
  assert.equal(decode(meta(YEAR), def('year(4)'), [255]), 2155);
  assert.equal(decode(meta(YEAR), def('year(4)'), [101]), 2001);
});

/** The 5.6 fraction: hundredths, 1/10000ths or microseconds, in 1, 2 or 3 bytes by fsp. */
function encFrac(us: number, fsp: number): Buffer {
  if (fsp === 0) return Buffer.alloc(0);
  if (fsp <= 2) return be(us / 10000, 1);
  if (fsp <= 4) return be(us / 100, 2);
  return be(us, 3);
}

function encDatetime2(y: number, mo: number, d: number, h: number, mi: number, s: number, us: number, fsp: number): Buffer {
  const ymd = BigInt(((y * 13 + mo) << 5) | d);
  const hms = BigInt((h << 12) | (mi << 6) | s);
  return Buffer.concat([be((1n << 39n) | (ymd << 17n) | hms, 5), encFrac(us, fsp)]);
}

test('DATETIME2 with fsp 0..6', () => {
  const cases: Array<[string, number, number[]]> = [
    ['2024-02-29 23:59:59', 0, [2024, 2, 29, 23, 59, 59, 0]],
    ['0000-00-00 00:00:00', 0, [0, 0, 0, 0, 0, 0, 0]],
    ['1000-01-01 00:00:00.000', 3, [1000, 1, 1, 0, 0, 0, 0]],
    ['2001-07-04 12:34:56.789', 3, [2001, 7, 4, 12, 34, 56, 789000]],
    ['9999-12-31 23:59:59.999999', 6, [9999, 12, 31, 23, 59, 59, 999999]],
    ['2020-01-02 03:04:05.000001', 6, [2020, 1, 2, 3, 4, 5, 1]],
    ['2020-01-02 03:04:05.5', 1, [2020, 1, 2, 3, 4, 5, 500000]],
    ['2020-01-02 03:04:05.05', 2, [2020, 1, 2, 3, 4, 5, 50000]],
    ['2020-01-02 03:04:05.1234', 4, [2020, 1, 2, 3, 4, 5, 123400]],
    ['2020-01-02 03:04:05.00010', 5, [2020, 1, 2, 3, 4, 5, 100]],
  ];
  for (const [text, fsp, f] of cases) {
    const [y, mo, d, h, mi, s, us] = f as [number, number, number, number, number, number, number];
    assert.equal(decode(meta(DATETIME2, fsp), def(`datetime(${fsp})`), encDatetime2(y, mo, d, h, mi, s, us, fsp)), text);
  }
});

test('TIMESTAMP2: UTC text, the zero timestamp, fractions', () => {
  const secs = (iso: string) => Date.parse(iso) / 1000;
  const ts = (s: number, us: number, fsp: number) => Buffer.concat([be(s, 4), encFrac(us, fsp)]);
  assert.equal(decode(meta(TIMESTAMP2, 0), def('timestamp'), ts(0, 0, 0)), '0000-00-00 00:00:00');
  assert.equal(decode(meta(TIMESTAMP2, 3), def('timestamp(3)'), ts(0, 0, 3)), '0000-00-00 00:00:00.000');
  assert.equal(decode(meta(TIMESTAMP2, 6), def('timestamp(6)'), ts(0, 0, 6)), '0000-00-00 00:00:00.000000');
  assert.equal(decode(meta(TIMESTAMP2, 0), def('timestamp'), ts(1, 0, 0)), '1970-01-01 00:00:01');
  // 0 seconds with a fraction is not the zero timestamp (no server writes it; the old library printed it so)
  assert.equal(decode(meta(TIMESTAMP2, 1), def('timestamp(1)'), ts(0, 500000, 1)), '1970-01-01 00:00:00.5');
  assert.equal(decode(meta(TIMESTAMP2, 0), def('timestamp'), ts(2147483647, 0, 0)), '2038-01-19 03:14:07');
  assert.equal(decode(meta(TIMESTAMP2, 0), def('timestamp'), ts(secs('2024-02-29T12:00:00Z'), 0, 0)), '2024-02-29 12:00:00');
  assert.equal(decode(meta(TIMESTAMP2, 0), def('timestamp'), ts(secs('2000-03-01T00:00:00Z'), 0, 0)), '2000-03-01 00:00:00');
  assert.equal(decode(meta(TIMESTAMP2, 0), def('timestamp'), ts(secs('2100-12-31T23:59:59Z'), 0, 0)), '2100-12-31 23:59:59');
  assert.equal(decode(meta(TIMESTAMP2, 6), def('timestamp(6)'), ts(1700000000, 123456, 6)), '2023-11-14 22:13:20.123456');
  assert.equal(decode(meta(TIMESTAMP2, 3), def('timestamp(3)'), ts(1700000000, 5000, 3)), '2023-11-14 22:13:20.005');
  assert.equal(decode(meta(TIMESTAMP2, 1), def('timestamp(1)'), ts(1700000000, 900000, 1)), '2023-11-14 22:13:20.9');
  const v = decode(meta(TIMESTAMP2, 3), def('timestamp(3)'), ts(1700000000, 5000, 3));
  assert.equal(makeConverter(mapColumn(def('timestamp(3)')), { nullable: true, charset: null })!(v), '2023-11-14T22:13:20.005Z');
});

/** MySQL my_time_packed_to_binary of TIME_to_longlong_time_packed (C semantics: >> floors, / and % truncate). */
function encTime2(neg: boolean, h: number, mi: number, s: number, us: number, fsp: number): Buffer {
  const hms = BigInt((h << 12) | (mi << 6) | s);
  let nr = (hms << 24n) + BigInt(us);
  if (neg) nr = -nr;
  if (fsp >= 5) return be(nr + 0x800000000000n, 6);
  const head = be(0x800000n + (nr >> 24n), 3);
  const frac = nr % (1n << 24n);
  if (fsp === 0) return head;
  if (fsp <= 2) return Buffer.concat([head, be(frac / 10000n, 1)]);
  return Buffer.concat([head, be(frac / 100n, 2)]);
}

test('TIME2: negatives with and without fraction, limits, 3-digit hours', () => {
  const cases: Array<[string, number, boolean, number, number, number, number]> = [
    ['00:00:00', 0, false, 0, 0, 0, 0],
    ['838:59:59', 0, false, 838, 59, 59, 0],
    ['-838:59:59', 0, true, 838, 59, 59, 0],
    ['-00:00:01', 0, true, 0, 0, 1, 0],
    ['100:00:00', 0, false, 100, 0, 0, 0],
    ['-12:34:56', 0, true, 12, 34, 56, 0],
    ['-00:00:01.5', 1, true, 0, 0, 1, 500000],
    ['-00:00:01.0', 1, true, 0, 0, 1, 0],
    ['-00:00:00.01', 2, true, 0, 0, 0, 10000],
    ['-00:00:00.99', 2, true, 0, 0, 0, 990000],
    ['-00:00:01.01', 2, true, 0, 0, 1, 10000],
    ['00:00:00.50', 2, false, 0, 0, 0, 500000],
    ['-12:34:56.789', 3, true, 12, 34, 56, 789000],
    ['-12:34:56.0001', 4, true, 12, 34, 56, 100],
    ['12:34:56.0001', 4, false, 12, 34, 56, 100],
    ['-00:00:00.000001', 6, true, 0, 0, 0, 1],
    ['-01:00:00.000001', 6, true, 1, 0, 0, 1],
    ['838:59:59.000000', 6, false, 838, 59, 59, 0],
    ['-838:59:59.000000', 6, true, 838, 59, 59, 0],
    ['-00:00:01.00000', 5, true, 0, 0, 1, 0],
  ];
  for (const [text, fsp, neg, h, mi, s, us] of cases) {
    assert.equal(decode(meta(TIME2, fsp), def(`time(${fsp})`), encTime2(neg, h, mi, s, us, fsp)), text, text);
  }
  const v = decode(meta(TIME2, 1), def('time(1)'), encTime2(true, 0, 0, 1, 500000, 1));
  assert.equal(makeConverter(mapColumn(def('time(1)')), { nullable: true, charset: null })!(v), -1_500_000);
});

test('pre-5.6 DATETIME, TIMESTAMP and TIME', () => {
  assert.equal(decode(meta(DATETIME), def('datetime'), le(20240229235958n, 8)), '2024-02-29 23:59:58');
  assert.equal(decode(meta(DATETIME), def('datetime'), le(0, 8)), '0000-00-00 00:00:00');
  assert.equal(decode(meta(TIMESTAMP), def('timestamp'), le(1700000000, 4)), '2023-11-14 22:13:20');
  assert.equal(decode(meta(TIMESTAMP), def('timestamp'), le(0, 4)), '0000-00-00 00:00:00');
  assert.equal(decode(meta(TIME), def('time'), le(8385959, 3)), '838:59:59');
  assert.equal(decode(meta(TIME), def('time'), le(-8385959, 3)), '-838:59:59');
  assert.equal(decode(meta(TIME), def('time'), le(-1, 3)), '-00:00:01');
  assert.equal(decode(meta(TIME), def('time'), le(123456, 3)), '12:34:56');
});

test('MariaDB hires DATETIME, TIMESTAMP and TIME (old type codes with fsp from the column type)', () => {
  const packTime = (y: number, mo: number, d: number, h: number, mi: number, s: number, us: number) =>
    ((((((BigInt(y) * 13n + BigInt(mo)) * 32n + BigInt(d)) * 24n + BigInt(h)) * 60n + BigInt(mi)) * 60n + BigInt(s)) * 1000000n + BigInt(us));
  const dtBytes = [5, 6, 6, 7, 7, 7, 8];
  const hiresDatetime = (fsp: number, ...f: [number, number, number, number, number, number, number]) =>
    be(packTime(...f) / 10n ** BigInt(6 - fsp), dtBytes[fsp]!);
  assert.equal(decode(meta(DATETIME), def('datetime(3) /* mariadb-5.3 */'), hiresDatetime(3, 2024, 2, 29, 23, 59, 58, 123000)), '2024-02-29 23:59:58.123');
  assert.equal(decode(meta(DATETIME), def('datetime(6)'), hiresDatetime(6, 9999, 12, 31, 23, 59, 59, 999999)), '9999-12-31 23:59:59.999999');
  assert.equal(decode(meta(DATETIME), def('datetime(1)'), hiresDatetime(1, 1970, 1, 1, 0, 0, 0, 500000)), '1970-01-01 00:00:00.5');
  assert.equal(decode(meta(DATETIME), def('datetime(5)'), hiresDatetime(5, 2000, 1, 2, 3, 4, 5, 670000)), '2000-01-02 03:04:05.67000');
  assert.equal(decode(meta(DATETIME), def('datetime(2)'), hiresDatetime(2, 0, 0, 0, 0, 0, 0, 0)), '0000-00-00 00:00:00.00');

  const tsFrac = [0, 1, 1, 2, 2, 3, 3];
  const hiresTs = (secs: number, digits: number, fsp: number) => Buffer.concat([be(secs, 4), be(digits, tsFrac[fsp]!)]);
  assert.equal(decode(meta(TIMESTAMP), def('timestamp(3)'), hiresTs(1700000000, 7, 3)), '2023-11-14 22:13:20.007');
  assert.equal(decode(meta(TIMESTAMP), def('timestamp(6)'), hiresTs(0, 0, 6)), '0000-00-00 00:00:00.000000');
  assert.equal(decode(meta(TIMESTAMP), def('timestamp(1)'), hiresTs(1700000000, 9, 1)), '2023-11-14 22:13:20.9');

  const timeBytes = [3, 4, 4, 5, 5, 5, 6];
  const hiresTime = (neg: boolean, secs: number, digits: number, fsp: number) =>
    be(3020400 * 10 ** fsp + (neg ? -1 : 1) * (secs * 10 ** fsp + digits), timeBytes[fsp]!);
  assert.equal(decode(meta(TIME), def('time(3)'), hiresTime(false, 0, 0, 3)), '00:00:00.000');
  assert.equal(decode(meta(TIME), def('time(3)'), hiresTime(true, 1, 500, 3)), '-00:00:01.500');
  assert.equal(decode(meta(TIME), def('time(6)'), hiresTime(true, 838 * 3600 + 59 * 60 + 59, 0, 6)), '-838:59:59.000000');
  assert.equal(decode(meta(TIME), def('time(1)'), hiresTime(false, 12 * 3600 + 34 * 60 + 56, 7, 1)), '12:34:56.7');
  assert.equal(decode(meta(TIME), def('time(2)'), hiresTime(true, 100 * 3600, 1, 2)), '-100:00:00.01');
});

test('ENUM and SET', () => {
  const e = def("enum('a','b','c,d')", 'utf8mb4');
  assert.equal(decode(meta(STRING, 1, 0, ENUM), e, [2]), 'b');
  assert.equal(decode(meta(STRING, 1, 0, ENUM), e, [3]), 'c,d');
  assert.equal(decode(meta(STRING, 1, 0, ENUM), e, [0]), '');
  const many = Array.from({ length: 300 }, (_, i) => `v${i}`);
  assert.equal(decode(meta(STRING, 2, 0, ENUM), def(`enum(${many.map((v) => `'${v}'`).join(',')})`, 'utf8mb4'), le(300, 2)), 'v299');

  const s = def("set('x','y','z')", 'latin1');
  assert.equal(decode(meta(STRING, 1, 0, SET), s, [0]), '');
  assert.equal(decode(meta(STRING, 1, 0, SET), s, [0b101]), 'x,z');
  const members = Array.from({ length: 64 }, (_, i) => `m${i}`);
  const s64 = def(`set(${members.map((v) => `'${v}'`).join(',')})`, 'utf8mb4');
  assert.equal(decode(meta(STRING, 8, 0, SET), s64, le(0xffffffffffffffffn, 8)), members.join(','));
  assert.equal(decode(meta(STRING, 8, 0, SET), s64, le((1n << 0n) | (1n << 31n) | (1n << 32n) | (1n << 63n), 8)), 'm0,m31,m32,m63');
  assert.equal(decode(meta(STRING, 8, 0, SET), s64, le(0, 8)), '');
  const m40 = members.slice(0, 40);
  assert.equal(decode(meta(STRING, 5, 0, SET), def(`set(${m40.map((v) => `'${v}'`).join(',')})`, 'utf8mb4'), le(1n << 39n, 5)), 'm39');
});

test('CHAR/VARCHAR text: charsets, 1- and 2-byte length prefixes', () => {
  const latin1 = Buffer.from([0x63, 0x61, 0x66, 0xe9, 0x20, 0x80]);
  assert.equal(decode(meta(STRING, 10), def('char(10)', 'latin1'), prefixed(1, latin1)), 'café €');
  assert.equal(decode(meta(VARCHAR, 255), def('varchar(255)', 'latin1'), prefixed(1, latin1)), 'café €');
  const emoji = Buffer.from('a😀é', 'utf8');
  assert.equal(decode(meta(VARCHAR, 40), def('varchar(10)', 'utf8mb4'), prefixed(1, emoji)), 'a😀é');
  const long = Buffer.from('x'.repeat(300), 'utf8');
  assert.equal(decode(meta(VARCHAR, 1000), def('varchar(250)', 'utf8mb4'), prefixed(2, long)), 'x'.repeat(300));
  assert.equal(decode(meta(VARCHAR, 256), def('varchar(64)', 'utf8mb4'), prefixed(2, Buffer.from('ab'))), 'ab');
  assert.equal(decode(meta(STRING, 1020), def('char(255)', 'utf8mb4'), prefixed(2, Buffer.from('ü'))), 'ü');
  assert.equal(decode(meta(VARCHAR, 255), def('varchar(255)', 'ascii'), prefixed(1, Buffer.from(''))), '');
  assert.equal(decode(meta(VARCHAR, 40), def('varchar(20)', 'ucs2'), prefixed(1, Buffer.from([0x00, 0xe9, 0x20, 0xac]))), 'é€');
  assert.equal(decode(meta(VARCHAR, 40), def('varchar(20)', 'utf16'), prefixed(1, Buffer.from([0xd8, 0x3d, 0xde, 0x00]))), '😀');
  assert.equal(decode(meta(VARCHAR, 40), def('varchar(20)', 'utf16le'), prefixed(1, Buffer.from([0xe9, 0x00]))), 'é');
  assert.equal(decode(meta(VARCHAR, 40), def('varchar(20)', 'utf32'), prefixed(1, Buffer.from([0, 1, 0xf6, 0x00]))), '😀');
  assert.equal(decode(meta(VARCHAR, 40), def('varchar(20)', 'cp1251'), prefixed(1, Buffer.from([0xc0, 0xff]))), 'Ая');
  assert.equal(decode(meta(VAR_STRING, 40), def('varchar(20)', 'utf8mb3'), prefixed(1, Buffer.from('ok'))), 'ok');
  // a BOM-looking first character is data
  assert.equal(decode(meta(VARCHAR, 40), def('varchar(20)', 'ucs2'), prefixed(1, Buffer.from([0xfe, 0xff, 0x00, 0x41]))), '\ufeffA');
  // the 8-bit charsets iconv-lite lacks are decoded with MariaDB's tables (dec8 0xE9 is é)
  assert.equal(decode(meta(VARCHAR, 40), def('varchar(20)', 'dec8'), prefixed(1, Buffer.from([0x41, 0xe9]))), 'Aé');
  // sjis as MySQL maps it: 0x815F is U+005C (iconv-lite: U+FF3C), 0x8160 U+301C (iconv-lite: U+FF5E)
  assert.equal(decode(meta(VARCHAR, 40), def('varchar(20)', 'sjis'), prefixed(1, Buffer.from([0x81, 0x5f, 0x81, 0x60, 0x82, 0xa0]))), '\\\u301cあ');
  // no decoder at all: the bytes
  assert.deepEqual(decode(meta(VARCHAR, 40), def('varchar(20)', 'frobnicate'), prefixed(1, Buffer.from([0x41, 0xe9]))), Buffer.from([0x41, 0xe9]));
});

test('binary strings: BINARY re-padded, VARBINARY copied, MariaDB UUID/INET4/INET6', () => {
  assert.deepEqual(decode(meta(STRING, 4), def('binary(4)'), prefixed(1, Buffer.from([1, 2]))), Buffer.from([1, 2, 0, 0]));
  assert.deepEqual(decode(meta(STRING, 4), def('binary(4)'), prefixed(1, Buffer.alloc(0))), Buffer.alloc(4));
  assert.deepEqual(decode(meta(STRING, 300), def('binary(300)'), prefixed(2, Buffer.from([9]))), Buffer.concat([Buffer.from([9]), Buffer.alloc(299)]));

  const body = prefixed(1, Buffer.from([0, 1, 2, 0]));
  const buf = Buffer.concat([body]);
  const c: Cursor = { buf, pos: 0 };
  const v = makeValueDecoder(meta(VARCHAR, 16), def('varbinary(16)'))(c) as Buffer;
  buf.fill(0x77); // the packet buffer is reused: the value must not share it
  assert.deepEqual(v, Buffer.from([0, 1, 2, 0]));

  const uuid = Buffer.from('123e4567e89b12d3a456426614174000', 'hex');
  assert.equal(decode(meta(STRING, 16), def('uuid'), prefixed(1, uuid.subarray(0, 15))), '123e4567-e89b-12d3-a456-426614174000');
  assert.equal(decode(meta(STRING, 16), def('uuid'), prefixed(1, Buffer.from('FFEEDDCCBBAA99887766554433221100', 'hex'))), 'ffeeddcc-bbaa-9988-7766-554433221100');
  assert.equal(decode(meta(STRING, 4), def('inet4'), prefixed(1, Buffer.from([192, 168]))), '192.168.0.0');
  assert.equal(decode(meta(STRING, 4), def('inet4'), prefixed(1, Buffer.from([10, 0, 0, 1]))), '10.0.0.1');

  const inet6 = (hex: string) => decode(meta(STRING, 16), def('inet6'), prefixed(1, Buffer.from(hex.replace(/0+$/, (z) => (z.length % 2 ? '0' : '')), 'hex')));
  const cases: Array<[string, string]> = [
    ['20010db8000000000000000000000001', '2001:db8::1'],
    ['00000000000000000000ffffc0000201', '::ffff:192.0.2.1'],
    ['00000000000000000000ffff00000000', '::ffff:0.0.0.0'],
    ['00000000000000000000000001020304', '::1.2.3.4'],
    ['00000000000000000000000000000001', '::1'],
    ['00000000000000000000000000000005', '::5'],
    ['00000000000000000000000000000000', '::'],
    ['00010000000200030004000500060007', '1::2:3:4:5:6:7'],
    ['00010000000000020000000000030004', '1::2:0:0:3:4'],
    ['00010002000300040005000600070000', '1:2:3:4:5:6:7::'],
    ['fe800000000000000000000000000000', 'fe80::'],
    ['ffffffffffffffffffffffffffffffff', 'ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff'],
    ['0001000000000000000000000000ffff', '1::ffff'],
  ];
  for (const [hex, text] of cases) assert.equal(inet6(hex), text, text);
});

test('latin1 text is MySQL latin1: cp1252, and the five bytes cp1252 leaves undefined are C1 controls (as the server converts them)', () => {
  const all = Buffer.from(Array.from({ length: 256 }, (_, i) => i));
  const text = decode(meta(VARCHAR, 300), def('varchar(300)', 'latin1'), prefixed(2, all)) as string;
  assert.equal(text.length, 256);
  for (const b of [0x81, 0x8d, 0x8f, 0x90, 0x9d]) assert.equal(text.charCodeAt(b), b, `byte 0x${b.toString(16)}`);
  assert.equal(text[0x80], '€');
  assert.equal(text[0x9f], 'Ÿ');
  assert.equal(text.slice(0xa0), Buffer.from(all.subarray(0xa0)).toString('latin1'));
  assert.equal(text.slice(0, 0x80), all.subarray(0, 0x80).toString('latin1'));
  assert.ok(!text.includes('\ufffd'));
});

test('BLOB/TEXT: length prefixes of 1..4 bytes, text by charset, bytes copied', () => {
  const data = Buffer.from('héllo', 'utf8');
  for (const n of [1, 2, 3, 4]) {
    assert.equal(decode(meta(BLOB, n), def('text', 'utf8mb4'), prefixed(n, data)), 'héllo', `text prefix ${n}`);
    assert.deepEqual(decode(meta(BLOB, n), def('blob'), prefixed(n, data)), data, `blob prefix ${n}`);
  }
  assert.equal(decode(meta(BLOB, 1), def('tinytext', 'latin1'), prefixed(1, Buffer.from([0xe9]))), 'é');
  assert.equal(decode(meta(BLOB, 4), { ...def('longtext', 'utf8mb4'), json: true }, prefixed(4, Buffer.from('{"a":1}'))), '{"a":1}');
  const big = Buffer.alloc(70000, 0x61);
  assert.equal((decode(meta(BLOB, 3), def('mediumtext', 'utf8mb4'), prefixed(3, big)) as string).length, 70000);
  assert.deepEqual(decode(meta(BLOB, 2), def('blob'), prefixed(2, Buffer.alloc(0))), Buffer.alloc(0));
  assert.throws(() => decode(meta(BLOB, 2), def('blob'), le(100, 2)), /past the end/);
});

test('GEOMETRY: SRID + WKB bytes, not parsed', () => {
  const wkb = Buffer.alloc(25);
  wkb.writeUInt32LE(4326, 0);
  wkb[4] = 1;
  wkb.writeUInt32LE(1, 5);
  wkb.writeDoubleLE(1.5, 9);
  wkb.writeDoubleLE(-2, 17);
  const v = decode(meta(GEOMETRY, 4), def('point'), prefixed(4, wkb)) as Buffer;
  assert.deepEqual(v, wkb);
  assert.deepEqual(makeConverter(mapColumn(def('point')), { nullable: true, charset: null })!(v), { x: 1.5, y: -2, wkb: wkb.subarray(4), srid: 4326 });
});

test('MySQL JSON: binary JSON to text; empty is null', () => {
  assert.equal(decode(meta(JSON_T, 4), def('json'), prefixed(4, Buffer.from([0x04, 0x01]))), 'true');
  assert.equal(decode(meta(JSON_T, 4), def('json'), prefixed(4, Buffer.from([0x0c, 0x02, 0x61, 0x62]))), '"ab"');
  assert.equal(decode(meta(JSON_T, 2), def('json'), prefixed(2, Buffer.from([0x05, 0xff, 0xff]))), '-1');
  assert.equal(decode(meta(JSON_T, 4), def('json'), prefixed(4, Buffer.alloc(0))), null);
});

test('MariaDB COMPRESSED columns: stored, zlib and raw deflate envelopes', () => {
  const text = 'compressible '.repeat(20);
  const raw = Buffer.from(text, 'utf8');
  const zlibEnv = Buffer.concat([Buffer.from([0x82]), be(raw.length, 2), zlib.deflateSync(raw)]);
  const rawEnv = Buffer.concat([Buffer.from([0x8a]), be(raw.length, 2), zlib.deflateRawSync(raw)]);
  const stored = Buffer.concat([Buffer.from([0x00]), Buffer.from('short')]);
  assert.equal(decode(meta(VARCHAR_COMPRESSED, 1001), def('varchar(1000) /*M!100301 COMPRESSED*/', 'utf8mb4'), prefixed(2, zlibEnv)), text);
  assert.equal(decode(meta(VARCHAR_COMPRESSED, 101), def('varchar(100)', 'latin1'), prefixed(1, stored)), 'short');
  assert.equal(decode(meta(VARCHAR_COMPRESSED, 101), def('varchar(100)', 'utf8mb4'), prefixed(1, Buffer.alloc(0))), '');
  assert.equal(decode(meta(BLOB_COMPRESSED, 2), def('text', 'utf8mb4'), prefixed(2, rawEnv)), text);
  assert.deepEqual(decode(meta(BLOB_COMPRESSED, 4), def('blob'), prefixed(4, zlibEnv)), raw);
  assert.deepEqual(decode(meta(VARCHAR_COMPRESSED, 300), def('varbinary(300)'), prefixed(2, stored)), Buffer.from('short'));
  assert.throws(() => decode(meta(BLOB_COMPRESSED, 1), def('blob'), prefixed(1, Buffer.from([0x30, 1]))), /compression method 3/);
});

test('parseColumnMeta: per-type metadata, the long CHAR quirk, ENUM/SET real types', () => {
  // Field_string::do_save_field_metadata: real type ^ ((length & 0x300) >> 4), then length & 0xff
  const strMeta = (realType: number, len: number) => [realType ^ ((len & 0x300) >> 4), len & 0xff];
  const types = [TINY, FLOAT, DOUBLE, VARCHAR, BIT, NEWDECIMAL, STRING, STRING, STRING, STRING, STRING, BLOB,
    TIMESTAMP2, DATETIME2, TIME2, JSON_T, GEOMETRY, LONG, BLOB_COMPRESSED, VARCHAR_COMPRESSED, DATE, LONGLONG, YEAR, STRING];
  const metadata = Buffer.from([
    4, 8, // FLOAT, DOUBLE
    0xe8, 0x03, // VARCHAR: 1000 bytes, little-endian
    1, 2, // BIT(17): 17 % 8, 17 / 8
    10, 2, // DECIMAL(10,2)
    ...strMeta(STRING, 1020), // CHAR(255) utf8mb4
    ...strMeta(STRING, 256), // CHAR(64) utf8mb4
    ...strMeta(STRING, 10),
    ...strMeta(ENUM, 2),
    ...strMeta(SET, 8),
    3, // MEDIUMBLOB
    3, 6, 0, // TIMESTAMP2(3), DATETIME2(6), TIME2(0)
    4, 4, // JSON, GEOMETRY
    2, // BLOB_COMPRESSED
    0x2c, 0x01, // VARCHAR_COMPRESSED: 300
    ...strMeta(STRING, 765), // CHAR(255) utf8mb3
  ]);
  assert.deepEqual(strMeta(STRING, 1020), [0xce, 0xfc]);
  const got = parseColumnMeta(Buffer.from(types), metadata);
  const row = (type: number, realType: number, m: number, m2 = 0) => ({ type, realType, meta: m, meta2: m2 });
  assert.deepEqual(got, [
    row(TINY, TINY, 0), row(FLOAT, FLOAT, 4), row(DOUBLE, DOUBLE, 8), row(VARCHAR, VARCHAR, 1000), row(BIT, BIT, 17, 3),
    row(NEWDECIMAL, NEWDECIMAL, 10, 2), row(STRING, STRING, 1020), row(STRING, STRING, 256), row(STRING, STRING, 10),
    row(STRING, ENUM, 2), row(STRING, SET, 8), row(BLOB, BLOB, 3), row(TIMESTAMP2, TIMESTAMP2, 3),
    row(DATETIME2, DATETIME2, 6), row(TIME2, TIME2, 0), row(JSON_T, JSON_T, 4), row(GEOMETRY, GEOMETRY, 4), row(LONG, LONG, 0),
    row(BLOB_COMPRESSED, BLOB_COMPRESSED, 2), row(VARCHAR_COMPRESSED, VARCHAR_COMPRESSED, 300), row(DATE, DATE, 0),
    row(LONGLONG, LONGLONG, 0), row(YEAR, YEAR, 0), row(STRING, STRING, 765),
  ]);
  assert.deepEqual(parseColumnMeta(Buffer.from([BIT]), Buffer.from([1, 0])), [row(BIT, BIT, 1, 1)]);
  assert.throws(() => parseColumnMeta(Buffer.from([VARCHAR, NEWDECIMAL]), Buffer.from([0x10, 0x00, 10])), /ends early at column 1/);
  // the decoders built from parsed metadata: a long CHAR takes a 2-byte prefix
  const [charCol] = parseColumnMeta(Buffer.from([STRING]), Buffer.from(strMeta(STRING, 1020)));
  assert.equal(decode(charCol!, def('char(255)', 'utf8mb4'), prefixed(2, Buffer.from('abc'))), 'abc');
  const [enumCol] = parseColumnMeta(Buffer.from([STRING]), Buffer.from(strMeta(ENUM, 1)));
  assert.equal(decode(enumCol!, def("enum('p','q')", 'utf8mb4'), [2]), 'q');
});

test('unsupported types throw naming the type and the column', () => {
  for (const type of [0, 6, 14, 99, 243]) {
    assert.throws(() => makeValueDecoder(meta(type), { name: 'col_x', columnType: 'int', charset: null }), new RegExp(`unsupported binlog column type ${type} for column col_x`));
  }
});

test('a row of mixed columns decodes back to back', () => {
  const cols: Array<[BinlogColumnMeta, ReturnType<typeof def>, Buffer, unknown]> = [
    [meta(LONG), def('int(11)'), le(-5, 4), -5],
    [meta(VARCHAR, 80), def('varchar(20)', 'utf8mb4'), prefixed(1, Buffer.from('ab')), 'ab'],
    [meta(NEWDECIMAL, 6, 2), def('decimal(6,2)'), encDecimal('-1.25', 6, 2), '-1.25'],
    [meta(DATETIME2, 0), def('datetime'), encDatetime2(2020, 5, 6, 7, 8, 9, 0, 0), '2020-05-06 07:08:09'],
    [meta(STRING, 1, 0, ENUM), def("enum('x','y')", 'utf8mb4'), Buffer.from([1]), 'x'],
  ];
  const buf = Buffer.concat(cols.map((c) => c[2]));
  const c: Cursor = { buf, pos: 0 };
  const got = cols.map(([m, d]) => makeValueDecoder(m, d)(c));
  assert.deepEqual(got, cols.map((x) => x[3]));
  assert.equal(c.pos, buf.length);
});
