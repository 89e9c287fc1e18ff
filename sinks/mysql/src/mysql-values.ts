/**
 * One wire value (docs/event-format.md §5) → a MySQL SQL literal for a given target column, checked against what the
 * column can hold. A value the column would store altered (rounded, truncated, clipped, a character its character
 * set lacks) throws RejectedValue: the record goes to the dead-letter queue with the reason, never written changed.
 * The session runs with an explicit strict sql_mode (MySqlSink), so anything these checks miss fails loudly too.
 */
import type { SinkFieldType } from '../../../core/src/record-sink.ts';
import { converterOf, RejectedValue, type Hooks, type SqlValue } from '../../../runtime/src/relational/wire-values.ts';
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
  // eslint-disable-next-line no-control-regex -- NUL and Ctrl-Z are exactly what must be escaped
  return `'${s.replace(/[\0\n\r\x1a'"\\]/g, (c) => ESC[c]!)}'`;
}
const ESC: Readonly<Record<string, string>> = { '\0': '\\0', '\n': '\\n', '\r': '\\r', '\x1a': '\\Z', "'": "\\'", '"': '\\"', '\\': '\\\\' };

export function hexLiteral(b: Uint8Array): string {
  return `X'${Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('hex')}'`;
}

const INT_RANGE: Readonly<Record<string, readonly [bigint, bigint]>> = {
  tinyint: [-128n, 127n], smallint: [-32768n, 32767n], mediumint: [-8388608n, 8388607n], int: [-2147483648n, 2147483647n], bigint: [-(2n ** 63n), 2n ** 63n - 1n],
};
const UINT_MAX: Readonly<Record<string, bigint>> = { tinyint: 255n, smallint: 65535n, mediumint: 16777215n, int: 4294967295n, bigint: 2n ** 64n - 1n };
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

/** An integer value (number, bigint or integral decimal text) checked against an integer column type. */
function intLiteral(v: SqlValue, base: string, unsigned: boolean, what: string): string {
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
  if (dot < 0 || !/^\d+$/.test(text.slice(dot + 1))) return text;
  const f = text.slice(dot + 1);
  if (/[1-9]/.test(f.slice(digits))) throw new RejectedValue(`${what}: ${text} has more fractional-second digits than ${type} keeps (it would be rounded)`);
  return digits === 0 ? text.slice(0, dot) : `${text.slice(0, dot)}.${f.slice(0, digits)}`;
}

/** 'YYYY-…' with a year MySQL DATE/DATETIME can hold (0001..9999). */
function yearOk(text: string, what: string, type: string): void {
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
    let n = 0;
    for (const _ of s) n++;
    if (n > len) throw new RejectedValue(`${what}: ${n} characters do not fit ${base}(${len}); widen the target column`);
  } else if (base in TEXT_BYTES && Buffer.byteLength(s) > TEXT_BYTES[base]!) {
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
    case 'decimal': case 'numeric':
      return (v) => {
        const x = neutral(v);
        if (typeof x === 'number' && !Number.isFinite(x)) refuseSpecialNumber(what, String(x), col.type);
        if (x === 'NaN' || x === 'Infinity' || x === '-Infinity') refuseSpecialNumber(what, x, col.type);
        return decimalLiteral(String(x), arg(0), arg(1), what);
      };
    case 'float': case 'double': case 'real':
      return (v) => {
        const x = neutral(v);
        const n = typeof x === 'number' ? x : Number(x);
        if (!Number.isFinite(n)) refuseSpecialNumber(what, String(x), base);
        if (typeof x === 'bigint' && BigInt(n) !== x) throw new RejectedValue(`${what}: ${x} is not exact in ${base}`);
        return Object.is(n, -0) ? '-0e0' : `${String(n)}${/[e.]/.test(String(n)) ? '' : 'e0'}`;
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
    case 'datetime': case 'timestamp':
      return (v) => {
        const s = String(neutral(v));
        yearOk(s, what, col.type);
        return quote(fsp(s, arg(0), what, col.type));
      };
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
