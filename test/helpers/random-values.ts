/**
 * Seeded random values for property tests over database types: a PRNG whose seed is printed so a failure can be
 * replayed (`FERRY_TEST_SEED=<seed>`), and generators for the awkward cases of numbers and text (doubles with
 * 15, 16 and 17 significant digits, subnormals, extreme exponents, negative zero; strings with quotes,
 * backslashes, control characters, combining marks and astral characters).
 */

export interface Random {
  readonly seed: number;
  /** Uniform in [0, 1). */
  next(): number;
  /** Integer in [lo, hi] (inclusive; safe integers). */
  int(lo: number, hi: number): number;
  /** True with probability p. */
  chance(p: number): boolean;
  pick<T>(items: readonly T[]): T;
  /** A bigint of `bits` random bits, in [0, 2^bits). */
  bits(bits: number): bigint;
}

/** mulberry32, seeded from FERRY_TEST_SEED when set, else at random. */
export function seededRandom(seed = process.env.FERRY_TEST_SEED ? Number(process.env.FERRY_TEST_SEED) : Math.floor(Math.random() * 2 ** 32)): Random {
  let a = seed >>> 0;
  const next = (): number => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const r: Random = {
    seed,
    next,
    int: (lo, hi) => lo + Math.floor(next() * (hi - lo + 1)),
    chance: (p) => next() < p,
    pick: (items) => items[Math.floor(next() * items.length)]!,
    bits: (n) => {
      let v = 0n;
      for (let i = 0; i < n; i += 16) v = (v << 16n) | BigInt(Math.floor(next() * 65536));
      return v & ((1n << BigInt(n)) - 1n);
    },
  };
  return r;
}

const view = new DataView(new ArrayBuffer(8));

/** Any finite double from 64 random bits: every exponent, subnormals included. */
export function anyDouble(r: Random): number {
  for (;;) {
    view.setBigUint64(0, r.bits(64));
    const x = view.getFloat64(0);
    if (Number.isFinite(x)) return x;
  }
}

/** Any finite single-precision float, from 32 random bits. */
export function anyFloat32(r: Random): number {
  for (;;) {
    view.setUint32(0, Number(r.bits(32)));
    const x = view.getFloat32(0);
    if (Number.isFinite(x)) return x;
  }
}

/** A double written with exactly `digits` significant digits and a decimal exponent in [minExp, maxExp]. */
export function decimalDigitsDouble(r: Random, digits: number, minExp = -20, maxExp = 20): number {
  let d = String(r.int(1, 9));
  for (let i = 1; i < digits; i++) d += String(r.int(0, 9));
  const sign = r.chance(0.3) ? '-' : '';
  return Number(`${sign}${d[0]}.${d.slice(1)}e${r.int(minExp, maxExp)}`);
}

/** Doubles whose shortest decimal form has 15, 16 or 17 digits, and the extremes. */
export const DOUBLE_EXTREMES: readonly number[] = [
  Number.MAX_VALUE, -Number.MAX_VALUE, Number.MIN_VALUE, -Number.MIN_VALUE, 2.2250738585072014e-308, 2.225073858507201e-308,
  Number.MAX_SAFE_INTEGER, 2 ** 53 + 2, 0.1, 0.30000000000000004, 1 / 3, 975.0656480900943, 96644591307267.55, 1e21, 1e-7, 123456789012345680000,
];

/** A double for a property test: mostly 15-17 significant digits, often extreme, sometimes any bit pattern. */
export function testDouble(r: Random): number {
  const p = r.next();
  if (p < 0.1) return r.pick(DOUBLE_EXTREMES);
  if (p < 0.3) return anyDouble(r);
  if (p < 0.35) return decimalDigitsDouble(r, r.int(1, 14), -30, 30);
  return decimalDigitsDouble(r, r.int(15, 17), r.chance(0.8) ? -8 : -300, r.chance(0.8) ? 16 : 300);
}

/** Code points of a few kinds: ASCII with quotes and backslashes, Latin-1, combining marks, CJK, astral. */
const RANGES: ReadonlyArray<readonly [number, number]> = [
  [0x20, 0x7e], [0x20, 0x7e], [0x00, 0x1f], [0xa0, 0xff], [0x100, 0x17f], [0x300, 0x36f], [0x400, 0x4ff], [0x3040, 0x30ff], [0x4e00, 0x9fff], [0xff01, 0xff5e],
  [0x1f300, 0x1f6ff], [0x1d400, 0x1d7ff], [0x20000, 0x2a6df],
];
const SPECIAL = ["'", '"', '\\', '%', '_', '\n', '\r', '\t', '\u0000', ' ', '\u00a0', '\u2028', '\ufeff'];

/** A string of up to `max` characters of the given repertoire ('bmp' excludes astral characters, 'ascii' keeps 0..127). */
export function testString(r: Random, max: number, repertoire: 'unicode' | 'bmp' | 'ascii' = 'unicode'): string {
  const n = r.int(0, max);
  let s = '';
  let chars = 0;
  while (chars < n) {
    let c: string;
    if (r.chance(0.15)) c = r.pick(SPECIAL);
    else {
      const ranges = repertoire === 'unicode' ? RANGES : repertoire === 'bmp' ? RANGES.filter(([, hi]) => hi <= 0xffff) : RANGES.slice(0, 3);
      const [lo, hi] = r.pick(ranges);
      c = String.fromCodePoint(r.int(lo, hi));
    }
    if (repertoire === 'ascii' && c.charCodeAt(0) > 0x7f) continue;
    s += c;
    chars++;
  }
  return s;
}

/** `n` random bytes. */
export function testBytes(r: Random, n: number): Buffer {
  const b = Buffer.alloc(n);
  for (let i = 0; i < n; i++) b[i] = r.int(0, 255);
  return b;
}

/** A decimal string with up to `precision` digits, `scale` of them after the point. */
export function testDecimal(r: Random, precision: number, scale: number): string {
  const intDigits = r.int(0, precision - scale);
  let i = '';
  for (let k = 0; k < intDigits; k++) i += String(r.int(0, 9));
  let f = '';
  for (let k = 0; k < scale; k++) f += String(r.int(0, 9));
  if (r.chance(0.1)) { i = '9'.repeat(precision - scale); f = '9'.repeat(scale); }
  return `${r.chance(0.4) ? '-' : ''}${i || '0'}${scale > 0 ? `.${f}` : ''}`;
}

/** An integer in [lo, hi] as a bigint, often one of the extremes. */
export function testInteger(r: Random, lo: bigint, hi: bigint): bigint {
  const p = r.next();
  if (p < 0.2) return r.pick([lo, hi, 0n < lo ? lo : 0n, lo < -1n ? -1n : lo, lo + 1n, hi - 1n]);
  if (p < 0.3 && lo <= -(2n ** 53n) && hi >= 2n ** 53n) return r.pick([2n ** 53n, 2n ** 53n + 1n, -(2n ** 53n) - 1n]);
  const span = hi - lo + 1n;
  const bitsNeeded = span.toString(2).length + 8;
  return lo + (r.bits(bitsNeeded) % span);
}
