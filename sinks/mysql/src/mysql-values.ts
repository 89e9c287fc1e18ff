/**
 * One wire value (docs/event-format.md §5) → a MySQL SQL literal for a given target column, checked against what the
 * column can hold. A value the column would store altered (rounded, truncated, clipped, a character its character
 * set lacks) throws RejectedValue: the record goes to the dead-letter queue with the reason, never written changed.
 * The session runs with an explicit strict sql_mode (MySqlSink), so anything these checks miss fails loudly too.
 */
import type { SinkFieldType } from '../../../core/src/record-sink.ts';
import { converterOf, dateText, RejectedValue, type Hooks, type SqlValue } from '../../../runtime/src/relational/wire-values.ts';
import { parseType, type ServerInfo } from './mysql-types.ts';

/** A target column as read from information_schema. */
export interface TargetColumn {
  readonly name: string;
  /** normalizeType spelling. */
  readonly type: string;
  readonly nullable: boolean;
  /** CHARACTER_SET_NAME (null for non-text columns). */
  readonly charset: string | null;
}

export type MySqlEncoder = (v: unknown) => string;

/** A MySQL string literal (backslash escapes; the session's sql_mode has no NO_BACKSLASH_ESCAPES). */
export function quote(s: string): string {
  if (!NEEDS_ESCAPE.test(s)) return `'${s}'`;
  // eslint-disable-next-line no-control-regex -- NUL and Ctrl-Z are exactly what must be escaped
  return `'${s.replace(/[\0\n\r\x1a'"\\]/g, (c) => ESC[c]!)}'`;
}
// eslint-disable-next-line no-control-regex -- the characters quote() escapes
const NEEDS_ESCAPE = /[\0\n\r\x1a'"\\]/;
const ESC: Readonly<Record<string, string>> = { '\0': '\\0', '\n': '\\n', '\r': '\\r', '\x1a': '\\Z', "'": "\\'", '"': '\\"', '\\': '\\\\' };

export function hexLiteral(b: Uint8Array): string {
  return `X'${Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('hex')}'`;
}

const INT_RANGE: Readonly<Record<string, readonly [bigint, bigint]>> = {
  tinyint: [-128n, 127n], smallint: [-32768n, 32767n], mediumint: [-8388608n, 8388607n], int: [-2147483648n, 2147483647n], bigint: [-(2n ** 63n), 2n ** 63n - 1n],
};
const UINT_MAX: Readonly<Record<string, bigint>> = { tinyint: 255n, smallint: 65535n, mediumint: 16777215n, int: 4294967295n, bigint: 2n ** 64n - 1n };
/** The same ranges as numbers, for safe-integer values (exact: every bound is a safe integer or beyond them all). */
const INT_RANGE_NUM: Readonly<Record<string, readonly [number, number]>> = Object.fromEntries(Object.entries(INT_RANGE).map(([k, [lo, hi]]) => [k, [Number(lo), Number(hi)]]));
const UINT_MAX_NUM: Readonly<Record<string, number>> = Object.fromEntries(Object.entries(UINT_MAX).map(([k, hi]) => [k, Number(hi)]));
/** MySQL TIME spans -838:59:59 to 838:59:59. */
const TIME_MAX_SECONDS = 838 * 3600 + 59 * 60 + 59;
const TEXT_BYTES: Readonly<Record<string, number>> = { tinytext: 255, text: 65_535, mediumtext: 16_777_215, tinyblob: 255, blob: 65_535, mediumblob: 16_777_215 };

/** A plain decimal text ('-12.340', '7') as [sign, integer digits without leading zeros, fraction digits]. */
function decimalParts(s: string): [string, string, string] {
  const m = /^([+-]?)(\d*)(?:\.(\d*))?$/.exec(s.trim());
  if (!m) throw new RejectedValue(`'${s}' is not a decimal number`);
  return [m[1] === '-' ? '-' : '', m[2]!.replace(/^0+/, ''), m[3] ?? ''];
}

/** Checks a decimal text against decimal(p,s); returns the literal without digits beyond the scale (they are zeros). */
function decimalLiteral(s: string, p: number, scale: number, what: string): string {
  const [sign, int, frac0] = decimalParts(s);
  const frac = frac0.replace(/0+$/, '');
  if (frac.length > scale) throw new RejectedValue(`${what}: ${s} has ${frac.length} fraction digits; the target column is decimal(${p},${scale}) and would round it`);
  if (int.length > p - scale) throw new RejectedValue(`${what}: ${s} is out of range for decimal(${p},${scale}) (${int.length} integer digits, at most ${p - scale})`);
  const body = `${int || '0'}${frac ? `.${frac}` : ''}`;
  return body === '0' ? '0' : `${sign}${body}`;
}

/**
 * decimalLiteral(bytesToDecimal(bytes, sourceScale), p, scale) for a Decimal of at most 6 bytes, without BigInt or
 * regular expressions; null when the value would be rejected (the caller takes the checked path for the reason).
 */
function smallDecimalLiteral(bytes: Uint8Array, sourceScale: number, p: number, scale: number): string | null {
  const n = bytes.length;
  let u = 0;
  for (let i = 0; i < n; i++) u = u * 256 + bytes[i]!;
  if ((bytes[0]! & 0x80) !== 0) u -= 2 ** (8 * n);
  const neg = u < 0;
  let a = neg ? -u : u;
  let ss = sourceScale;
  while (ss > 0 && a % 10 === 0) {
    a /= 10;
    ss--;
  }
  if (a === 0) return '0';
  if (ss > scale) return null;
  const digits = String(a);
  const intDigits = digits.length > ss ? digits.length - ss : 0;
  if (intDigits > p - scale) return null;
  const sign = neg ? '-' : '';
  if (ss === 0) return sign + digits;
  return intDigits > 0 ? `${sign}${digits.slice(0, intDigits)}.${digits.slice(intDigits)}` : `${sign}0.${digits.padStart(ss, '0')}`;
}

/** An integer value (number, bigint or integral decimal text) checked against an integer column type. */
function intLiteral(v: SqlValue, base: string, unsigned: boolean, what: string): string {
  if (typeof v === 'number' && Number.isSafeInteger(v)) {
    const lo = unsigned ? 0 : INT_RANGE_NUM[base]![0];
    const hi = unsigned ? UINT_MAX_NUM[base]! : INT_RANGE_NUM[base]![1];
    if (v >= lo && v <= hi) return String(v); // String(-0) is '0', as BigInt(-0).toString()
  }
  let n: bigint;
  if (typeof v === 'bigint') n = v;
  else if (typeof v === 'number') {
    if (!Number.isInteger(v)) throw new RejectedValue(`${what}: ${v} is not an integer; the target column is ${base}`);
    n = BigInt(v);
  } else if (typeof v === 'boolean') n = v ? 1n : 0n;
  else {
    const [sign, int, frac] = decimalParts(String(v));
    if (/[1-9]/.test(frac)) throw new RejectedValue(`${what}: ${String(v)} has a fraction; the target column is ${base}`);
    n = BigInt(`${sign}${int || '0'}`);
  }
  const [lo, hi] = unsigned ? [0n, UINT_MAX[base]!] : INT_RANGE[base]!;
  if (n < lo || n > hi) throw new RejectedValue(`${what}: ${n} is out of range for ${base}${unsigned ? ' unsigned' : ''} (${lo}..${hi})`);
  return n.toString();
}

/** Checks the fraction digits of a temporal text against the column's fractional-second precision. */
function fsp(text: string, digits: number, what: string, type: string): string {
  const dot = text.lastIndexOf('.');
  if (dot >= 0 && text.length - dot - 1 === digits && allDigits(text, dot + 1)) return text; // exactly the column's digits
  if (dot < 0 || !/^\d+$/.test(text.slice(dot + 1))) return text;
  const f = text.slice(dot + 1);
  if (/[1-9]/.test(f.slice(digits))) throw new RejectedValue(`${what}: ${text} has more fractional-second digits than ${type} keeps (it would be rounded)`);
  return digits === 0 ? text.slice(0, dot) : `${text.slice(0, dot)}.${f.slice(0, digits)}`;
}

/** Whether text[from, to) is all ASCII digits (true when empty). */
function allDigits(text: string, from: number, to = text.length): boolean {
  for (let i = from; i < to; i++) {
    const c = text.charCodeAt(i);
    if (c < 48 || c > 57) return false;
  }
  return true;
}

/** 'YYYY-…' with a year MySQL DATE/DATETIME can hold (0001..9999). */
function yearOk(text: string, what: string, type: string): void {
  if (text.length > 4 && text.charCodeAt(4) === 45 && allDigits(text, 0, 4) && !text.startsWith('0000')) return;
  const y = /^(\d{4})-/.exec(text);
  if (!y || Number(y[1]) < 1) throw new RejectedValue(`${what}: ${text} is outside the range of ${type} (years 0001..9999; BC dates, ±infinity and zero dates are not stored)`);
}

/** A ZonedTimestamp ISO text → UTC 'YYYY-MM-DD HH:MM:SS.ffffff'. */
export function zonedToUtc(iso: string, what: string): string {
  const m = /^(\d{4,})-(\d\d)-(\d\d)T(\d\d):(\d\d):(\d\d)(?:\.(\d{1,9}))?(Z|[+-]\d\d:\d\d(?::\d\d)?)$/.exec(iso);
  if (!m) throw new RejectedValue(`${what}: '${iso}' is not a timestamp with a zone the sink can read (or is beyond year 9999)`);
  const frac = (m[7] ?? '').padEnd(9, '0');
  if (/[1-9]/.test(frac.slice(6))) throw new RejectedValue(`${what}: ${iso} has sub-microsecond digits; datetime(6) would round it`);
  let offsetSec = 0;
  if (m[8] !== 'Z') {
    const [h, mi, s = '0'] = m[8]!.slice(1).split(':');
    offsetSec = (m[8]![0] === '-' ? -1 : 1) * (Number(h) * 3600 + Number(mi) * 60 + Number(s));
  }
  const d = new Date(0);
  d.setUTCFullYear(Number(m[1]), Number(m[2]) - 1, Number(m[3]));
  d.setUTCHours(Number(m[4]), Number(m[5]), Number(m[6]) - offsetSec, 0);
  const y = d.getUTCFullYear();
  if (y < 1 || y > 9999) throw new RejectedValue(`${what}: ${iso} is outside the range of datetime (years 0001..9999)`);
  const p2 = (n: number): string => String(n).padStart(2, '0');
  return `${String(y).padStart(4, '0')}-${p2(d.getUTCMonth() + 1)}-${p2(d.getUTCDate())} ${p2(d.getUTCHours())}:${p2(d.getUTCMinutes())}:${p2(d.getUTCSeconds())}.${frac.slice(0, 6)}`;
}

const TWO_DIGITS = Array.from({ length: 60 }, (_, i) => String(i).padStart(2, '0'));

/**
 * The literal of a MicroTimestamp (µs since the epoch) for datetime(digits) / timestamp(digits): what `checked` (the
 * general path: timestampText, yearOk, fsp, quote) returns, built without its intermediate strings for safe-integer
 * values of years 0001..9999 that keep their fraction; anything else (and every rejection) goes through `checked`.
 */
function microTimestampLiteral(digits: number, checked: (v: unknown) => string): MySqlEncoder {
  const unit = 10 ** (6 - Math.min(Math.max(digits, 0), 6));
  let lastDay = NaN;
  let lastDate = '';
  return (v) => {
    if (typeof v !== 'number' || !Number.isSafeInteger(v) || digits < 0 || digits > 6) return checked(v);
    const day = Math.floor(v / 86_400_000_000);
    if (day !== lastDay) {
      const d = dateText(day);
      if (!(d.length === 10 && d.charCodeAt(4) === 45 && allDigits(d, 0, 4) && !d.startsWith('0000'))) return checked(v);
      lastDay = day;
      lastDate = d;
    }
    const us = v - day * 86_400_000_000;
    const secs = Math.floor(us / 1_000_000);
    const frac = us % 1_000_000;
    if (frac % unit !== 0) return checked(v);
    const clock = `${TWO_DIGITS[Math.floor(secs / 3600)]}:${TWO_DIGITS[Math.floor(secs / 60) % 60]}:${TWO_DIGITS[secs % 60]}`;
    return digits === 0 ? `'${lastDate} ${clock}'` : `'${lastDate} ${clock}.${String(1_000_000 + frac).slice(1, 1 + digits)}'`;
  };
}

/** Text checked against a text column's character set and length. */
function textLiteral(s: string, col: TargetColumn, base: string, len: number, what: string): string {
  if (!s.isWellFormed()) throw new RejectedValue(`${what} holds an unpaired UTF-16 surrogate, which is not valid UTF-8`);
  const cs = col.charset ?? 'utf8mb4';
  if (cs === 'utf8mb3' || cs === 'utf8') {
    const m = /[\u{10000}-\u{10FFFF}]/u.exec(s);
    if (m) throw new RejectedValue(`${what} holds ${m[0]} (U+${m[0].codePointAt(0)!.toString(16).toUpperCase()}), a 4-byte character that the target column's character set ${cs} cannot store; ALTER the column to CHARACTER SET utf8mb4`);
  } else if (cs === 'ascii' && [...s].some((ch) => ch.charCodeAt(0) > 0x7f)) {
    throw new RejectedValue(`${what} holds non-ASCII characters; the target column's character set is ascii`);
  }
  if ((base === 'varchar' || base === 'char') && len > 0) {
    if (s.length <= len) return quote(s); // no more characters than UTF-16 code units
    let n = 0;
    for (const _ of s) n++;
    if (n > len) throw new RejectedValue(`${what}: ${n} characters do not fit ${base}(${len}); widen the target column`);
  } else if (base in TEXT_BYTES && s.length * 3 > TEXT_BYTES[base]! && Buffer.byteLength(s) > TEXT_BYTES[base]!) {
    throw new RejectedValue(`${what}: ${Buffer.byteLength(s)} bytes do not fit ${base}`);
  }
  return quote(s);
}

/** MySQL's DATE, DATETIME and TIMESTAMP have no ±infinity: such a value is refused, named, with the fix. */
function refuseInfinity(what: string, type: string): Hooks {
  return {
    infinity(sign) {
      throw new RejectedValue(`${what}: PostgreSQL's ${sign < 0 ? '-' : ''}infinity cannot be stored in MySQL ${type}, which has no infinite values; `
        + `replace it at the source (e.g. UPDATE … SET … = '${sign < 0 ? '0001-01-01' : '9999-12-31'}'), or give the target column a text type`);
    },
  };
}

/** NaN and ±Infinity (numeric under decimalHandlingMode double or string) have no MySQL DECIMAL or DOUBLE form. */
function refuseSpecialNumber(what: string, value: string, type: string): never {
  throw new RejectedValue(`${what}: ${value} cannot be stored in MySQL ${type}, which has no NaN or ±Infinity; `
    + 'replace it at the source (e.g. with NULL), or give the target column a text type (varchar) to keep it as text');
}

/** The encoder of a source column type into a target column. */
export function mysqlEncoder(t: SinkFieldType, col: TargetColumn, server: ServerInfo): MySqlEncoder {
  const what = `column ${col.name}`;
  const hooks = refuseInfinity(what, col.type);
  const P = parseType(col.type);
  const base = P.base;
  const arg = (i: number): number => Number(P.args[i] ?? 0);
  if (t.logical === 'io.debezium.data.geometry.Geometry' || t.logical === 'io.debezium.data.geometry.Geography' || t.logical === 'io.debezium.data.geometry.Point') {
    const neutral = converterOf(t);
    return (v) => {
      const wkb = neutral(v) as Buffer;
      const srid = (v as { srid?: number | null }).srid;
      if (base === 'geometry' || base === 'point' || base.endsWith('string') || base.endsWith('polygon') || base.startsWith('multi') || base === 'geometrycollection') {
        return srid ? `ST_GeomFromWKB(${hexLiteral(wkb)}, ${Number(srid)}${server.mariadb ? '' : ", 'axis-order=long-lat'"})` : `ST_GeomFromWKB(${hexLiteral(wkb)})`;
      }
      return hexLiteral(wkb);
    };
  }
  if (t.logical === 'io.debezium.time.ZonedTimestamp' && (base === 'datetime' || base === 'timestamp')) {
    return (v) => {
      const s = String(v);
      if (s === 'infinity' || s === '-infinity') hooks.infinity(s === 'infinity' ? 1 : -1, 'timestamp');
      return quote(fsp(zonedToUtc(s, what), arg(0), what, col.type));
    };
  }
  const neutral = converterOf(t, hooks);
  const isTimeSource = /^(io\.debezium\.time\.(Micro|Nano)?Time|org\.apache\.kafka\.connect\.data\.Time)$/.test(t.logical ?? '');
  switch (base) {
    case 'tinyint': case 'smallint': case 'mediumint': case 'int': case 'bigint':
      if (col.type === 'tinyint(1)' && t.connect === 'boolean') return (v) => (v ? '1' : '0');
      return (v) => intLiteral(neutral(v), base, P.unsigned, what);
    case 'decimal': case 'numeric': {
      const sourceScale = t.logical === 'org.apache.kafka.connect.data.Decimal' ? Number(t.params?.scale ?? 0) : -1;
      return (v) => {
        if (sourceScale >= 0 && v instanceof Uint8Array && v.length > 0 && v.length <= 6) {
          const lit = smallDecimalLiteral(v, sourceScale, arg(0), arg(1));
          if (lit !== null) return lit;
        }
        const x = neutral(v);
        if (typeof x === 'number' && !Number.isFinite(x)) refuseSpecialNumber(what, String(x), col.type);
        if (x === 'NaN' || x === 'Infinity' || x === '-Infinity') refuseSpecialNumber(what, x, col.type);
        return decimalLiteral(String(x), arg(0), arg(1), what);
      };
    }
    case 'float': case 'double': case 'real':
      return (v) => {
        const x = neutral(v);
        const n = typeof x === 'number' ? x : Number(x);
        if (!Number.isFinite(n)) refuseSpecialNumber(what, String(x), base);
        if (typeof x === 'bigint' && BigInt(n) !== x) throw new RejectedValue(`${what}: ${x} is not exact in ${base}`);
        if (Object.is(n, -0)) return '-0e0';
        const text = String(n);
        return text.includes('e') || text.includes('.') ? text : `${text}e0`;
      };
    case 'bit':
      return (v) => {
        const x = neutral(v);
        if (typeof x === 'boolean') return x ? "b'1'" : "b'0'";
        // MySQL BIT holds a number of n bits: a bit string is written as its value (leading zeros, and so a bit
        // varying value's length, are not kept: the assessment warns); the empty bit string is the value 0
        const bits = String(x).replace(/^0+(?=.)/, '') || '0';
        if (!/^[01]+$/.test(bits) || bits.length > arg(0)) throw new RejectedValue(`${what}: bits ${String(x)} do not fit bit(${arg(0)})`);
        return `b'${bits}'`;
      };
    case 'year':
      return (v) => {
        const n = Number(neutral(v));
        if (!(n === 0 || (n >= 1901 && n <= 2155))) throw new RejectedValue(`${what}: ${n} is out of range for year (1901..2155)`);
        return String(n);
      };
    case 'date':
      return (v) => {
        const s = String(neutral(v));
        yearOk(s, what, 'date');
        if (s.length > 10) throw new RejectedValue(`${what}: ${s} has a time of day; the target column is date`);
        return quote(s);
      };
    case 'datetime': case 'timestamp': {
      if (t.logical === 'io.debezium.time.MicroTimestamp') {
        const checked = (v: unknown): string => {
          const s = String(neutral(v));
          yearOk(s, what, col.type);
          return quote(fsp(s, arg(0), what, col.type));
        };
        return microTimestampLiteral(arg(0), checked);
      }
      return (v) => {
        const s = String(neutral(v));
        yearOk(s, what, col.type);
        return quote(fsp(s, arg(0), what, col.type));
      };
    }
    case 'time':
      return (v) => {
        const s = String(neutral(v));
        const h = /^-?(\d+):(\d\d):(\d\d)(?:\.(\d+))?$/.exec(s);
        if (!h || Number(h[1]) * 3600 + Number(h[2]) * 60 + Number(h[3]) + (/[1-9]/.test(h[4] ?? '') ? 0.5 : 0) > TIME_MAX_SECONDS) throw new RejectedValue(`${what}: ${s} is out of range for time (-838:59:59..838:59:59)`);
        return quote(fsp(s, arg(0), what, col.type));
      };
    case 'binary': case 'varbinary': case 'tinyblob': case 'blob': case 'mediumblob': case 'longblob':
      return (v) => {
        const x = neutral(v);
        const b = Buffer.isBuffer(x) ? x : Buffer.from(String(x));
        if ((base === 'varbinary' || base === 'binary') && b.length > arg(0)) throw new RejectedValue(`${what}: ${b.length} bytes do not fit ${col.type}; widen the target column`);
        if (base in TEXT_BYTES && b.length > TEXT_BYTES[base]!) throw new RejectedValue(`${what}: ${b.length} bytes do not fit ${base}`);
        return hexLiteral(b);
      };
    case 'enum': case 'set':
      return (v) => {
        const s = String(neutral(v));
        const parts = base === 'set' ? (s === '' ? [] : s.split(',')) : [s];
        const bad = parts.find((p) => !P.args.includes(p));
        if (bad !== undefined) throw new RejectedValue(`${what}: '${bad}' is not a member of ${col.type}; add it to the target column`);
        return quote(s);
      };
    case 'uuid':
      return (v) => {
        const s = String(neutral(v));
        if (!/^[0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{12}$/i.test(s)) throw new RejectedValue(`${what}: '${s}' is not a UUID`);
        return quote(s);
      };
  }
  // Text: varchar, char, text types, json, and anything else the target declares (strict mode refuses what it cannot take).
  return (v) => {
    const x = neutral(v);
    if (isTimeSource && typeof x === 'string') return quote(x);
    if (Buffer.isBuffer(x)) return hexLiteral(x);
    if (typeof x === 'boolean') return x ? '1' : '0';
    if (typeof x === 'number' || typeof x === 'bigint') return quote(String(x));
    return textLiteral(String(x ?? ''), col, base, arg(0), what);
  };
}
