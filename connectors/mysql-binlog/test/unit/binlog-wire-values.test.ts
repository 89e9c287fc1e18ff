/**
 * The direct binlog decoders (binlog/wire-values.ts) against the text path they replace: for every input,
 * makeWireDecoder(bytes) must deep-equal makeConverter(makeValueDecoder(bytes)), and consume the same bytes.
 * Random inputs come from a seeded generator: the seed is printed, and FERRY_TEST_SEED=<n> replays it.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { makeValueDecoder, type BinlogColumnMeta, type Cursor } from '../../src/binlog/row-values.ts';
import { makeWireDecoder } from '../../src/binlog/wire-values.ts';
import { mapColumn, type MySqlColumnDef } from '../../src/type-mapping.ts';
import { makeConverter, numberToTwosComplement } from '../../src/value-conversion.ts';
import { unscaledToBytes } from '../../../../schemas/src/decimal.ts';
import { RowCodec } from '../../src/row-codec.ts';
import { seededRandom } from '../../../../test/helpers/random-values.ts';

// Type codes, written out here rather than imported so the tests pin the wire values.
const DATE = 10, TIMESTAMP2 = 17, DATETIME2 = 18, NEWDECIMAL = 246, LONGLONG = 8, DATETIME = 12;

const prng = seededRandom();
console.log(`binlog-wire-values: seed ${prng.seed} (FERRY_TEST_SEED=${prng.seed} replays it)`);
const random = prng.next;
const int = (lo: number, hi: number) => lo + Math.floor(random() * (hi - lo + 1));

const meta = (type: number, m = 0, m2 = 0): BinlogColumnMeta => ({ type, realType: type, meta: m, meta2: m2 });
const colDef = (columnType: string, nullable: boolean): MySqlColumnDef => ({ name: 'c', columnType, nullable, charset: null });

/** `v` as `n` bytes, big-endian. */
function be(v: bigint | number, n: number): Buffer {
  let x = BigInt.asUintN(8 * n, BigInt(v));
  const out = Buffer.alloc(n);
  for (let i = n - 1; i >= 0; i--) { out[i] = Number(x & 0xffn); x >>= 8n; }
  return out;
}

let compared = 0;

/** Checks direct(bytes) against convert(text(bytes)) for one column and value; returns the wire value. */
function same(col: BinlogColumnMeta, d: MySqlColumnDef, body: Buffer, what: string): unknown {
  const buf = Buffer.concat([Buffer.from([0xaa, 0xbb, 0xcc]), body, Buffer.from([0xdd, 0xee])]);
  const mapping = mapColumn(d);
  const direct = makeWireDecoder(col, mapping, d.nullable);
  assert.ok(direct, `a direct decoder for ${d.columnType}`);
  const tc: Cursor = { buf, pos: 3 };
  const text = makeValueDecoder(col, d)(tc);
  const conv = makeConverter(mapping, d);
  const expected = text === null ? null : conv ? conv(text) : text;
  const wc: Cursor = { buf, pos: 3 };
  const got = direct(wc);
  assert.deepEqual(got, expected, `${d.columnType}${d.nullable ? '' : ' NOT NULL'} ${what} (text ${JSON.stringify(text)}, bytes ${body.toString('hex')}, seed ${prng.seed})`);
  assert.equal(wc.pos, tc.pos, `cursor after ${d.columnType} ${what}`);
  assert.equal(wc.pos, 3 + body.length);
  compared++;
  return got;
}

const FRAC_BYTES = [0, 1, 1, 2, 2, 3, 3];

/** The stored fraction of `micros` at `fsp` (cut, as the server stores it): hundredths, 1/10000ths or µs. */
function fraction(micros: number, fsp: number): Buffer {
  const fb = FRAC_BYTES[fsp]!;
  if (fb === 0) return Buffer.alloc(0);
  const cut = Math.floor(micros / 10 ** (6 - fsp)) * 10 ** (6 - fsp);
  return be(fb === 1 ? cut / 10000 : fb === 2 ? cut / 100 : cut, fb);
}

const dateBytes = (y: number, m: number, d: number) => Buffer.from(be((y << 9) | (m << 5) | d, 3)).reverse();
function datetime2Bytes(y: number, mo: number, d: number, h: number, mi: number, s: number, micros: number, fsp: number): Buffer {
  const ymd = ((y * 13 + mo) << 5) | d;
  const packed = BigInt(ymd) * 2n ** 17n + BigInt((h << 12) | (mi << 6) | s) + 2n ** 39n; // sign bit set: non-negative
  return Buffer.concat([be(packed, 5), fraction(micros, fsp)]);
}
const timestamp2Bytes = (secs: number, micros: number, fsp: number) => Buffer.concat([be(secs, 4), fraction(micros, fsp)]);

const DIG2BYTES = [0, 1, 1, 2, 2, 3, 3, 4, 4, 4];

/** A binary DECIMAL(precision, scale) of a digit string of precision digits (integer digits then scale digits). */
function decimalBytes(negative: boolean, digits: string, precision: number, scale: number): Buffer {
  assert.equal(digits.length, precision);
  const intg = precision - scale;
  const parts: Buffer[] = [];
  const put = (s: string) => parts.push(be(Number(s), DIG2BYTES[s.length]!));
  let i = 0;
  if (intg % 9 > 0) { put(digits.slice(0, intg % 9)); i = intg % 9; }
  for (; i < intg; i += 9) put(digits.slice(i, i + 9));
  for (let f = 0; f + 9 <= scale; f += 9, i += 9) put(digits.slice(i, i + 9));
  if (scale % 9 > 0) put(digits.slice(i));
  const out = Buffer.concat(parts);
  out[0]! ^= 0x80;
  if (negative) for (let j = 0; j < out.length; j++) out[j]! ^= 0xff;
  return out;
}

const randomDigits = (n: number) => Array.from({ length: n }, () => String(int(0, 9))).join('');
const BOTH = [true, false] as const;

test('DATE: zero and partly zero dates, bounds, leap days and random dates, nullable and NOT NULL', () => {
  const edges: Array<[number, number, number]> = [
    [0, 0, 0], [0, 1, 0], [0, 0, 1], [2024, 0, 15], [2024, 6, 0], [0, 1, 1], [1000, 1, 1], [9999, 12, 31], [1970, 1, 1],
    [1969, 12, 31], [2024, 2, 29], [2000, 2, 29], [1900, 2, 29], [2023, 2, 30], [2023, 4, 31], [1, 1, 1],
  ];
  for (const nullable of BOTH) {
    const d = colDef('date', nullable);
    for (const [y, m, dd] of edges) same(meta(DATE), d, dateBytes(y, m, dd), `${y}-${m}-${dd}`);
    for (let n = 0; n < 3000; n++) {
      const [y, m, dd] = [int(0, 9999), int(0, 12), int(0, 31)];
      same(meta(DATE), d, dateBytes(y, m, dd), `${y}-${m}-${dd}`);
    }
  }
  assert.equal(same(meta(DATE), colDef('date', true), dateBytes(0, 0, 0), 'zero'), null);
  assert.equal(same(meta(DATE), colDef('date', false), dateBytes(0, 0, 0), 'zero'), 0);
  assert.equal(same(meta(DATE), colDef('date', true), dateBytes(2024, 2, 29), 'leap day'), 19782);
});

test('DATETIME2 at every fsp: zero dates, bounds, leap days, the µs bigint range and random values', () => {
  for (let fsp = 0; fsp <= 6; fsp++) {
    for (const nullable of BOTH) {
      const d = colDef(fsp === 0 ? 'datetime' : `datetime(${fsp})`, nullable);
      const m = meta(DATETIME2, fsp);
      const edges: Array<[number, number, number, number, number, number, number]> = [
        [0, 0, 0, 0, 0, 0, 0], [0, 0, 0, 0, 0, 0, 999999], [2024, 0, 1, 12, 0, 0, 0], [2024, 1, 0, 12, 0, 0, 0],
        [1000, 1, 1, 0, 0, 0, 0], [9999, 12, 31, 23, 59, 59, 999999], [0, 1, 1, 0, 0, 0, 0], [1970, 1, 1, 0, 0, 0, 0],
        [1970, 1, 1, 0, 0, 0, 1], [1969, 12, 31, 23, 59, 59, 999999], [2024, 2, 29, 23, 59, 59, 123456],
        [2255, 6, 5, 23, 59, 59, 999999], [2255, 6, 6, 0, 0, 0, 0], [1684, 7, 28, 0, 0, 0, 0], [1684, 7, 27, 23, 59, 59, 999999],
        [2038, 1, 19, 3, 14, 8, 0], [2023, 2, 30, 0, 0, 0, 0], [285, 1, 1, 0, 0, 0, 0], [2287, 12, 31, 0, 0, 0, 500000],
      ];
      for (const e of edges) same(m, d, datetime2Bytes(...e, fsp), e.join(' '));
      for (let n = 0; n < 1500; n++) {
        const v: [number, number, number, number, number, number, number] = [int(0, 9999), int(0, 12), int(0, 31), int(0, 23), int(0, 59), int(0, 59), int(0, 999999)];
        same(m, d, datetime2Bytes(...v, fsp), v.join(' '));
      }
    }
  }
  // spot values: ms below fsp 4, µs from fsp 4, bigint µs beyond ±2^53 (years from about 2255 and before 1685)
  assert.equal(same(meta(DATETIME2, 3), colDef('datetime(3)', true), datetime2Bytes(2024, 2, 29, 23, 59, 59, 123000, 3), ''), 1709251199123);
  assert.equal(same(meta(DATETIME2, 6), colDef('datetime(6)', true), datetime2Bytes(2024, 2, 29, 23, 59, 59, 123456, 6), ''), 1709251199123456);
  assert.equal(same(meta(DATETIME2, 6), colDef('datetime(6)', true), datetime2Bytes(9999, 12, 31, 23, 59, 59, 999999, 6), ''), 253402300799999999n);
  assert.equal(same(meta(DATETIME2, 6), colDef('datetime(6)', true), datetime2Bytes(0, 0, 0, 0, 0, 0, 0, 6), ''), null);
  assert.equal(same(meta(DATETIME2, 6), colDef('datetime(6)', false), datetime2Bytes(0, 0, 0, 0, 0, 0, 0, 6), ''), 0);
  assert.equal(same(meta(DATETIME2, 1), colDef('datetime(1)', true), datetime2Bytes(1970, 1, 1, 0, 0, 0, 900000, 1), ''), 900);
});

test('TIMESTAMP2 at every fsp: the zero timestamp, the epoch with a fraction, 2038, 2106 and random values', () => {
  for (let fsp = 0; fsp <= 6; fsp++) {
    for (const nullable of BOTH) {
      const d = colDef(fsp === 0 ? 'timestamp' : `timestamp(${fsp})`, nullable);
      const m = meta(TIMESTAMP2, fsp);
      for (const [secs, us] of [[0, 0], [0, 1], [0, 999999], [0, 100000], [1, 0], [86399, 0], [951782400, 0], [1709251199, 123456], [2147483647, 999999], [2147483648, 0], [4294967295, 999999]] as const) {
        same(m, d, timestamp2Bytes(secs, us, fsp), `${secs} ${us}`);
      }
      for (let n = 0; n < 1500; n++) {
        const secs = n % 3 === 0 ? int(0, 4294967295) : int(0, 2147483647);
        const us = int(0, 999999);
        same(m, d, timestamp2Bytes(secs, us, fsp), `${secs} ${us}`);
      }
    }
  }
  assert.equal(same(meta(TIMESTAMP2, 3), colDef('timestamp(3)', true), timestamp2Bytes(1709251199, 120000, 3), ''), '2024-02-29T23:59:59.120Z');
  assert.equal(same(meta(TIMESTAMP2, 0), colDef('timestamp', true), timestamp2Bytes(0, 0, 0), ''), null);
  assert.equal(same(meta(TIMESTAMP2, 0), colDef('timestamp', false), timestamp2Bytes(0, 0, 0), ''), '1970-01-01T00:00:00Z');
  assert.equal(same(meta(TIMESTAMP2, 6), colDef('timestamp(6)', true), timestamp2Bytes(0, 1, 6), ''), '1970-01-01T00:00:00.000001Z');
});

test('DECIMAL: every scale of small precisions, wide ones, zero and -0, negatives, 2^53 boundaries and random values', () => {
  const shapes: Array<[number, number]> = [[65, 30], [65, 0], [10, 0], [10, 2], [12, 2], [1, 0], [1, 1], [5, 5], [9, 9], [10, 10], [18, 18], [30, 30],
    [15, 0], [15, 15], [16, 0], [16, 2], [17, 0], [18, 0], [18, 9], [19, 4], [20, 0], [27, 9], [38, 10], [14, 4], [4, 2], [3, 0]];
  for (let p = 1; p <= 20; p++) for (let s = 0; s <= p; s++) shapes.push([p, s]);
  for (let n = 0; n < 60; n++) { const p = int(1, 65); shapes.push([p, int(0, Math.min(p, 30))]); }
  for (const [p, s] of shapes) {
    for (const nullable of BOTH) {
      const d = colDef(`decimal(${p},${s})`, nullable);
      const m = meta(NEWDECIMAL, p, s);
      const check = (negative: boolean, digits: string) => {
        const got = same(m, d, decimalBytes(negative, digits, p, s), `${negative ? '-' : ''}${digits}`);
        // and against an oracle that shares no code with either path: the bigint's own two's complement
        assert.deepEqual(got, unscaledToBytes(negative ? -BigInt(digits) : BigInt(digits)), `DECIMAL(${p},${s}) ${negative ? '-' : ''}${digits}`);
      };
      for (const negative of BOTH) {
        check(negative, '0'.repeat(p)); // zero and -0
        check(negative, '9'.repeat(p)); // the bounds
        check(negative, '0'.repeat(p - 1) + '1'); // the smallest step
        check(negative, '1' + '0'.repeat(p - 1));
        for (let n = 0; n < 40; n++) {
          const lead = int(0, p); // varied magnitudes: `lead` leading zeros
          check(negative, '0'.repeat(lead) + randomDigits(p - lead));
        }
      }
      // unscaled values around 2^53 (9007199254740992) and 2^63, where the number path ends
      for (const around of [9007199254740992n, 2n ** 63n, 2n ** 31n, 2n ** 15n, 2n ** 7n]) {
        for (let delta = -2n; delta <= 2n; delta++) {
          const text = (around + delta).toString();
          if (text.length <= p) for (const negative of BOTH) check(negative, text.padStart(p, '0'));
        }
      }
    }
  }
  const wire = (p: number, s: number, negative: boolean, digits: string) => same(meta(NEWDECIMAL, p, s), colDef(`decimal(${p},${s})`, true), decimalBytes(negative, digits, p, s), digits);
  assert.deepEqual(wire(4, 2, false, '1250'), Buffer.from([0x04, 0xe2]));
  assert.deepEqual(wire(4, 2, true, '1250'), Buffer.from([0xfb, 0x1e]));
  assert.deepEqual(wire(4, 2, true, '0000'), Buffer.from([0x00])); // -0.00 is zero
  assert.deepEqual(wire(16, 0, false, '9007199254740993'), Buffer.from('20000000000001', 'hex'));
  assert.deepEqual(wire(65, 30, true, '9'.repeat(65)), Buffer.from(BigInt.asUintN(224, -(10n ** 65n - 1n)).toString(16), 'hex')); // 10^65 needs 217 bits: 28 bytes
  assert.equal((wire(65, 30, false, '9'.repeat(65)) as Buffer).length, 28);
});

test('numberToTwosComplement agrees with the bigint two\'s complement at every byte-length boundary and at random', () => {
  const values: number[] = [0, Number.MAX_SAFE_INTEGER, -Number.MAX_SAFE_INTEGER];
  for (let bits = 7; bits <= 52; bits++) for (const v of [2 ** bits, -(2 ** bits)]) values.push(v - 1, v, v + 1);
  for (let n = 0; n < 20000; n++) values.push(Math.floor((random() * 2 - 1) * 2 ** int(0, 53)));
  for (const v of values) assert.deepEqual(numberToTwosComplement(v), unscaledToBytes(BigInt(v)), `${v}`);
});

test('corrupt DECIMAL groups and short buffers throw as the text decoder does', () => {
  const d = colDef('decimal(10,0)', true);
  const m = meta(NEWDECIMAL, 10, 0);
  const direct = makeWireDecoder(m, mapColumn(d), true)!;
  const bad = Buffer.from('80ffffffff', 'hex');
  assert.throws(() => makeValueDecoder(m, d)({ buf: bad, pos: 0 }), /at byte 1: 4294967295 does not fit in 9 digits/);
  assert.throws(() => direct({ buf: bad, pos: 0 }), /at byte 1: 4294967295 does not fit in 9 digits/);
  assert.throws(() => direct({ buf: Buffer.from('80', 'hex'), pos: 0 }), /DECIMAL\(10,0\) at byte 0 needs 5 bytes, 1 left/);
});

test('columns the direct decoders leave to the text path: other types, legacy temporals, a DECIMAL scale mismatch', () => {
  assert.equal(makeWireDecoder(meta(LONGLONG), mapColumn(colDef('bigint(20) unsigned', true)), true), null);
  assert.equal(makeWireDecoder(meta(DATETIME), mapColumn(colDef('datetime', true)), true), null);
  assert.equal(makeWireDecoder(meta(NEWDECIMAL, 10, 3), mapColumn(colDef('decimal(10,2)', true)), true), null);
  assert.notEqual(makeWireDecoder(meta(NEWDECIMAL, 10, 2), mapColumn(colDef('decimal(10,2)', true)), true), null);
});

test('RowCodec.binlogConverter skips the converters of directly decoded columns only', () => {
  const codec = new RowCodec({
    schema: 's', table: 't', primaryKey: ['id'], charset: 'utf8mb4',
    columns: [colDef('int', false), { ...colDef('decimal(4,2)', true), name: 'a' }, { ...colDef('datetime(6)', true), name: 'b' }, { ...colDef('date', true), name: 'c' }].map((c, i) => (i === 0 ? { ...c, name: 'id' } : c)),
  }, 1);
  const convert = codec.binlogConverter([false, true, false, true]);
  const wireA = Buffer.from([0x04, 0xe2]);
  const row = convert({ id: 1, a: wireA, b: '2024-02-29 23:59:59.123456', c: 19782 });
  assert.deepEqual(row, { id: 1, a: wireA, b: 1709251199123456, c: 19782 });
  assert.equal(codec.binlogConverter([false, true, false, true]), convert, 'one converter per set of direct columns');
  assert.deepEqual(codec.binlogConverter([false, false, false, false])({ id: 1, a: '12.50', b: null, c: '2024-02-29' }), { id: 1, a: wireA, b: null, c: 19782 });
  assert.ok(compared > 50000, `${compared} values compared`);
  console.log(`binlog-wire-values: ${compared} values compared`);
});
