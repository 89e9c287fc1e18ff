// The encoders' fast paths (mysql-values.ts: safe-integer ints, Decimal bytes of ≤ 6 bytes, MicroTimestamp numbers,
// quote() without escapes, varchar lengths, double text) give exactly the literal — or the rejection reason — of the
// general path. The general path is reached with the same value in another wire form (bigint instead of number,
// VariableScaleDecimal instead of Decimal) or computed here independently.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { SinkFieldType } from '../../../../core/src/record-sink.ts';
import { RejectedValue } from '../../../../runtime/src/relational/wire-values.ts';
import { serverInfo } from '../../src/mysql-types.ts';
import { mysqlEncoder, quote } from '../../src/mysql-values.ts';

const MARIA = serverInfo('10.11.19-MariaDB-0+deb12u1-log');
const enc = (ft: SinkFieldType, type: string, charset: string | null = null) => mysqlEncoder(ft, { name: 'c', type, nullable: true, charset }, MARIA);

/** The literal, or 'rejected: <reason>'. */
function outcome(f: () => string): string {
  try {
    return f();
  } catch (e: unknown) {
    if (!(e instanceof RejectedValue)) throw e;
    return `rejected: ${e.message}`;
  }
}

/** A deterministic pseudo-random generator (xorshift32). */
function random(seed: number): () => number {
  let x = seed;
  return () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return (x >>> 0) / 2 ** 32;
  };
}

/** Big-endian two's complement bytes of `v`, `n` bytes long. */
function twos(v: bigint, n: number): Buffer {
  const b = Buffer.alloc(n);
  let x = BigInt.asUintN(8 * n, v);
  for (let i = n - 1; i >= 0; i--) {
    b[i] = Number(x & 0xffn);
    x >>= 8n;
  }
  return b;
}

test('integers: a number within or beyond each integer type gives what the same bigint gives', () => {
  const ints: number[] = [0, -0, 1, -1, 127, 128, -128, -129, 255, 256, 32767, 32768, -32768, -32769, 65535, 65536, 8388607, 8388608, -8388608, -8388609,
    16777215, 16777216, 2147483647, 2147483648, -2147483648, -2147483649, 4294967295, 4294967296, Number.MAX_SAFE_INTEGER, Number.MIN_SAFE_INTEGER];
  const rnd = random(7);
  for (let i = 0; i < 2000; i++) ints.push(Math.round((rnd() - 0.5) * 2 ** (1 + Math.floor(rnd() * 53))));
  for (const base of ['tinyint', 'smallint', 'mediumint', 'int', 'bigint']) {
    for (const type of [base, `${base} unsigned`]) {
      const e = enc({ connect: 'int64' }, type);
      for (const v of ints) assert.equal(outcome(() => e(v)), outcome(() => e(BigInt(v))), `${type} ${v}`);
    }
  }
  assert.equal(enc({ connect: 'int32' }, 'tinyint')(-0), '0');
  assert.match(outcome(() => enc({ connect: 'int32' }, 'smallint unsigned')(-1)), /^rejected: column c: -1 is out of range for smallint unsigned \(0\.\.65535\)$/);
});

test('decimals: Decimal bytes of 1..6 bytes give what the same VariableScaleDecimal gives, rejections included', () => {
  const rnd = random(11);
  const targets = ['decimal(12,2)', 'decimal(6,2)', 'decimal(5,0)', 'decimal(10,4)', 'decimal(30,10)', 'decimal(4,4)', 'decimal(65,30)', 'numeric(3,1)'];
  let fast = 0;
  for (let i = 0; i < 20_000; i++) {
    const n = 1 + (i % 6);
    const edge = [0n, -1n, 1n, 2n ** BigInt(8 * n - 1) - 1n, -(2n ** BigInt(8 * n - 1)), 10n, -10n, 100n, 12345000n][i % 9]!;
    const v = i % 4 === 0 ? edge : BigInt(Math.floor((rnd() - 0.5) * 2 ** (8 * n))) % 2n ** BigInt(8 * n - 1);
    const scale = i % 7;
    const bytes = twos(v, n);
    const type = targets[i % targets.length]!;
    const viaBytes = enc({ connect: 'bytes', logical: 'org.apache.kafka.connect.data.Decimal', params: { scale: String(scale) } }, type);
    const general = enc({ connect: 'struct', logical: 'io.debezium.data.VariableScaleDecimal' }, type);
    const got = outcome(() => viaBytes(bytes));
    assert.equal(got, outcome(() => general({ scale, value: bytes })), `${type} unscaled ${v} scale ${scale}`);
    if (!got.startsWith('rejected')) fast++;
  }
  assert.ok(fast > 5000, `${fast} values written`);
  const e = enc({ connect: 'bytes', logical: 'org.apache.kafka.connect.data.Decimal', params: { scale: '2' } }, 'decimal(12,2)');
  assert.equal(e(twos(-50n, 2)), '-0.5');
  assert.equal(e(twos(123400n, 3)), '1234');
  assert.equal(e(twos(0n, 1)), '0');
  assert.equal(outcome(() => enc({ connect: 'bytes', logical: 'org.apache.kafka.connect.data.Decimal', params: { scale: '3' } }, 'decimal(6,2)')(twos(1255n, 2))),
    'rejected: column c: 1.255 has 3 fraction digits; the target column is decimal(6,2) and would round it');
});

test('MicroTimestamp: a number gives what the same bigint gives, for every fractional-second precision and year limit', () => {
  const rnd = random(5);
  const micros: number[] = [0, -0, -1, 1, 86_399_999_999, 86_400_000_000, -86_400_000_000, 1704067200000000, 1704067200123456, 1704067200120000, 1704067201000000,
    -62135596800000000, 253402300800000000, Number.MAX_SAFE_INTEGER, Number.MAX_SAFE_INTEGER - 1, Number.MIN_SAFE_INTEGER, Number.MIN_SAFE_INTEGER + 1, 2 ** 53, -(2 ** 53)];
  for (let i = 0; i < 3000; i++) {
    const x = Math.floor((rnd() - 0.3) * 4e17);
    micros.push(i % 3 === 0 ? x - (x % 1_000_000) : i % 3 === 1 ? x - (x % 1000) : x);
  }
  for (const type of ['datetime', 'datetime(1)', 'datetime(3)', 'datetime(6)', 'timestamp', 'timestamp(6)']) {
    const e = enc({ connect: 'int64', logical: 'io.debezium.time.MicroTimestamp' }, type);
    for (const v of micros) assert.equal(outcome(() => e(v)), outcome(() => e(BigInt(v))), `${type} ${v}`);
  }
  const e3 = enc({ connect: 'int64', logical: 'io.debezium.time.MicroTimestamp' }, 'datetime(3)');
  assert.equal(e3(1704067200123000), "'2024-01-01 00:00:00.123'");
  assert.equal(outcome(() => e3(1704067200123400)), 'rejected: column c: 2024-01-01 00:00:00.123400 has more fractional-second digits than datetime(3) keeps (it would be rounded)');
  const e0 = enc({ connect: 'int64', logical: 'io.debezium.time.MicroTimestamp' }, 'datetime');
  assert.equal(e0(-1_000_000), "'1969-12-31 23:59:59'");
  assert.equal(outcome(() => e0(-1)), 'rejected: column c: 1969-12-31 23:59:59.999999 has more fractional-second digits than datetime keeps (it would be rounded)');
  // Year limits lie beyond the safe integers (±285 years around 1970): such values take the general path.
  const e6 = enc({ connect: 'int64', logical: 'io.debezium.time.MicroTimestamp' }, 'datetime(6)');
  assert.equal(e6(-62135596800000000n), "'0001-01-01 00:00:00.000000'");
  assert.match(outcome(() => e6(-62135596800000001n)), /^rejected: column c: 0000-12-31 23:59:59\.999999 is outside the range of datetime\(6\)/);
  assert.equal(e6(Number.MIN_SAFE_INTEGER), "'1684-07-28 00:12:25.259009'");
  assert.equal(e6(Number.MAX_SAFE_INTEGER), "'2255-06-05 23:47:34.740991'");
});

test('quote(), varchar lengths and double text: as the escaping and counting they stand for', () => {
  const ESC: Record<string, string> = { '\0': '\\0', '\n': '\\n', '\r': '\\r', '\x1a': '\\Z', "'": "\\'", '"': '\\"', '\\': '\\\\' };
  const reference = (s: string) => `'${[...s].map((c) => ESC[c] ?? c).join('')}'`;
  const samples = ['', 'plain', 'tab\there', 'nl\n', 'cr\r', 'nul\0', 'ctrl-z\x1a', "q'", 'dq"', 'back\\slash', '😀 ü €', '\\N', 'a\tb\nc\\d\0e\x1af\'g"h'];
  for (const s of samples) assert.equal(quote(s), reference(s), JSON.stringify(s));
  const v4 = enc({ connect: 'string' }, 'varchar(4)', 'utf8mb4');
  assert.equal(v4('😀😀😀😀'), "'😀😀😀😀'"); // 8 UTF-16 code units, 4 characters: fits
  assert.equal(outcome(() => v4('😀😀😀😀x')), 'rejected: column c: 5 characters do not fit varchar(4); widen the target column');
  assert.equal(v4('abcd'), "'abcd'");
  assert.equal(outcome(() => v4('abcde')), 'rejected: column c: 5 characters do not fit varchar(4); widen the target column');
  assert.equal(outcome(() => enc({ connect: 'string' }, 'varchar(40)', 'utf8mb3')('a 😀')), "rejected: column c holds 😀 (U+1F600), a 4-byte character that the target column's character set utf8mb3 cannot store; ALTER the column to CHARACTER SET utf8mb4");
  const tiny = enc({ connect: 'string' }, 'tinytext', 'utf8mb4');
  assert.equal(tiny('€'.repeat(85)), `'${'€'.repeat(85)}'`); // 255 bytes
  assert.equal(outcome(() => tiny('€'.repeat(86))), 'rejected: column c: 258 bytes do not fit tinytext');
  const d = enc({ connect: 'float64' }, 'double');
  for (const [v, lit] of [[1, '1e0'], [-0, '-0e0'], [0.5, '0.5'], [1e21, '1e+21'], [1 / 3, '0.3333333333333333'], [-2, '-2e0'], [5e-7, '5e-7']] as const) assert.equal(d(v), lit);
});
