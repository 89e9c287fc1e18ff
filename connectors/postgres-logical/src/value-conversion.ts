/**
 * PostgreSQL text output → the wire representation of its Debezium field type (runtime FieldType), as pure
 * functions. Snapshots (COPY … TO STDOUT, text format) and pgoutput both deliver every value as the type's text
 * output, in sessions Ferry pins to DateStyle=ISO, IntervalStyle=postgres, TimeZone=UTC, bytea_output=hex,
 * extra_float_digits=1 and lc_monetary=C (pg-connection.ts), so one converter per column serves both.
 *
 * `makeConverter` picks the converter once per column; text types need none. Values follow Debezium, including
 * its sentinels: see docs/sources/postgres.md for infinities, NaN, intervals and money.
 */
import { FerryError } from '../../../core/src/errors.ts';
import type { ColumnMapping } from './type-mapping.ts';
import { arrayDepth, geometricValue, hstoreToJson, parseArrayLiteral, type ArrayTexts, pointValue, wkbLineString, wkbPoint, wkbPolygon } from './text-formats.ts';
import { unscaledToBytes } from '../../../schemas/src/decimal.ts';
import { binaryToText } from '../../../core/src/value-handling.ts';

/** Converts one non-null text value. */
export type Converter = (text: string) => unknown;

// ---- integers and decimals ----

/** An int64 from its decimal text: a number when exact, else a bigint. */
export function toInt64(s: string): number | bigint {
  if (s.length <= 15) return +s;
  const n = Number(s);
  return Number.isSafeInteger(n) ? n : BigInt(s);
}

/** Minimal big-endian two's complement (Java BigInteger#toByteArray): one implementation, in schemas/src/decimal.ts. */
export const twosComplement = unscaledToBytes;

function smallTwosComplement(v: number): Buffer {
  let len = 1;
  if (v >= 0) while (v >= 2 ** (8 * len - 1)) len++;
  else while (v < -(2 ** (8 * len - 1))) len++;
  const out = Buffer.allocUnsafe(len);
  let x = v;
  for (let i = len - 1; i >= 0; i--) {
    out[i] = ((x % 256) + 256) % 256;
    x = Math.floor(x / 256);
  }
  return out;
}

function unscaledBytes(negative: boolean, digits: string): Buffer {
  if (digits.length <= 15) {
    const v = Number(digits);
    return smallTwosComplement(negative ? -v : v);
  }
  const big = BigInt(digits);
  return twosComplement(negative ? -big : big);
}

function special(text: string): boolean {
  return text === 'NaN' || text === 'Infinity' || text === '-Infinity';
}

function specialDecimal(text: string): FerryError {
  return new FerryError('FERRY_UNSUPPORTED',
    `the numeric value ${text} cannot be carried as a Connect Decimal under decimalHandlingMode: precise (Debezium's decimal.handling.mode=precise fails on it too). `
    + "Fix: set settings.decimalHandlingMode: string (exact, NaN and ±Infinity as text) or double, or exclude the column");
}

/** A numeric's text at exactly `scale` fraction digits → Connect Decimal bytes (unscaled, two's complement). */
export function decimalToBytes(text: string, scale: number): Buffer {
  if (special(text)) throw specialDecimal(text);
  let s = text;
  const negative = s[0] === '-';
  if (negative || s[0] === '+') s = s.slice(1);
  const dot = s.indexOf('.');
  const intPart = dot < 0 ? s : s.slice(0, dot);
  let frac = dot < 0 ? '' : s.slice(dot + 1);
  if (frac.length < scale) frac = frac.padEnd(scale, '0');
  else if (frac.length > scale) frac = frac.slice(0, scale);
  const digits = (intPart === '' ? '0' : intPart) + frac;
  if (!/^\d+$/.test(digits)) throw new Error(`not a decimal: ${JSON.stringify(text)}`);
  return unscaledBytes(negative, digits);
}

/** numeric without a typmod → io.debezium.data.VariableScaleDecimal: trailing fraction zeros stripped. */
export function variableScaleDecimal(text: string): { scale: number; value: Buffer } {
  if (special(text)) throw specialDecimal(text);
  let s = text;
  const negative = s[0] === '-';
  if (negative || s[0] === '+') s = s.slice(1);
  const dot = s.indexOf('.');
  let frac = dot < 0 ? '' : s.slice(dot + 1);
  let end = frac.length;
  while (end > 0 && frac.charCodeAt(end - 1) === 48) end--;
  frac = frac.slice(0, end);
  const digits = (dot < 0 ? s : s.slice(0, dot)) + frac;
  return { scale: frac.length, value: unscaledBytes(negative, digits.replace(/^0+(?=\d)/, '')) };
}

/** money text with lc_monetary=C ("-$1,234.56") → Connect Decimal bytes at scale 2. */
export function moneyToBytes(text: string): Buffer {
  const negative = text.includes('-') || text.startsWith('(');
  return decimalToBytes((negative ? '-' : '') + text.replace(/[^0-9.]/g, ''), 2);
}

/** money text (lc_monetary=C) → its plain decimal text at scale 2 ('-1234.56'): decimal.handling.mode=string. */
export function moneyToString(text: string): string {
  const negative = text.includes('-') || text.startsWith('(');
  const digits = text.replace(/[^0-9.]/g, '');
  const [int = '0', frac = ''] = digits.split('.');
  const body = `${int.replace(/^0+(?=\d)/, '') || '0'}.${frac.padEnd(2, '0')}`;
  return negative && /[1-9]/.test(body) ? `-${body}` : body;
}

/** Connect Decimal bytes at `scale` → decimal text (tests, logs): schemas/src/decimal.ts. */
export { bytesToDecimal } from '../../../schemas/src/decimal.ts';

// ---- dates and times ----

import { civilFromDays, daysFromCivil } from '../../../core/src/civil-days.ts';

/** Day numbers: core/src/civil-days.ts. */
export { civilFromDays, daysFromCivil };

/**
 * Debezium's values for PostgreSQL's infinities (pgjdbc's DATE_POSITIVE/NEGATIVE_INFINITY sentinels, as
 * PostgresValueConverter passes them on): dates become the day numbers of -5877611-06-21 / -22, timestamps
 * those microsecond (or millisecond) counts, timestamptz the strings 'infinity' / '-infinity'.
 */
export const INFINITY_DATE_DAYS = -2147472692;
export const NEG_INFINITY_DATE_DAYS = -2147472691;
export const INFINITY_MICROS = 9223372036825200000n;
export const NEG_INFINITY_MICROS = -9223372036832400000n;

const d2 = (s: string, i: number) => (s.charCodeAt(i) - 48) * 10 + (s.charCodeAt(i + 1) - 48);

interface DateParts { readonly days: number; readonly rest: number }

/** 'YYYY-MM-DD' (year of any width) + optional ' BC' at the end of the whole value → days; `rest` = index after the date. */
function parseDate(s: string, bc: boolean): DateParts {
  const dash = s.indexOf('-', 1);
  const y = Number(s.slice(0, dash));
  const year = bc ? 1 - y : y;
  return { days: daysFromCivil(year, d2(s, dash + 1), d2(s, dash + 4)), rest: dash + 6 };
}

/** 'HH:MM:SS[.ffffff]' at `i` → microseconds of the day (24:00:00 allowed), and the index after it. */
function parseTime(s: string, i: number): [number, number] {
  let us = ((d2(s, i) * 60 + d2(s, i + 3)) * 60 + d2(s, i + 6)) * 1e6;
  let j = i + 8;
  if (s[j] === '.') {
    let k = j + 1;
    let frac = 0;
    let digits = 0;
    while (k < s.length && s.charCodeAt(k) >= 48 && s.charCodeAt(k) <= 57) {
      if (digits < 6) { frac = frac * 10 + (s.charCodeAt(k) - 48); digits++; }
      k++;
    }
    us += frac * 10 ** (6 - digits);
    j = k;
  }
  return [us, j];
}

/** '+hh[:mm[:ss]]' at `i` → offset seconds east of UTC. */
function parseOffset(s: string, i: number): number {
  const sign = s[i] === '-' ? -1 : 1;
  let secs = d2(s, i + 1) * 3600;
  if (s[i + 3] === ':') secs += d2(s, i + 4) * 60;
  if (s[i + 6] === ':') secs += d2(s, i + 7);
  return sign * secs;
}

export function dateToDays(s: string): number {
  if (s === 'infinity') return INFINITY_DATE_DAYS;
  if (s === '-infinity') return NEG_INFINITY_DATE_DAYS;
  return parseDate(s, s.endsWith(' BC')).days;
}

/** timestamp text → microseconds since the epoch (a number while exact, else a bigint). */
export function timestampToMicros(s: string): number | bigint {
  if (s === 'infinity') return INFINITY_MICROS;
  if (s === '-infinity') return NEG_INFINITY_MICROS;
  const d = parseDate(s, s.endsWith(' BC'));
  const [us] = parseTime(s, d.rest + 1);
  const secs = d.days * 86400;
  if (Math.abs(secs) < 9e9) return secs * 1e6 + us;
  return BigInt(secs) * 1000000n + BigInt(us);
}

/** timestamp(0..3) text → milliseconds since the epoch (Debezium io.debezium.time.Timestamp). */
export function timestampToMillis(s: string): number | bigint {
  if (s === 'infinity') return INFINITY_MICROS / 1000n;
  if (s === '-infinity') return NEG_INFINITY_MICROS / 1000n;
  const d = parseDate(s, s.endsWith(' BC'));
  const [us] = parseTime(s, d.rest + 1);
  const ms = d.days * 86400000 + Math.floor(us / 1000);
  return Number.isSafeInteger(ms) ? ms : BigInt(d.days) * 86400000n + BigInt(Math.floor(us / 1000));
}

const pad = (n: number, w: number) => String(n).padStart(w, '0');

/** java.time's ISO year: at least 4 digits, '+' above 9999, '-' below 0. */
function isoYear(y: number): string {
  if (y > 9999) return `+${y}`;
  if (y < 0) return `-${pad(-y, 4)}`;
  return pad(y, 4);
}

/** Fraction of a second as java.time prints it: `width` digits, or as few as needed (none for 0) when width is 0. */
function fraction(us: number, width: number): string {
  if (width > 0) return `.${pad(us, 6).slice(0, width).padEnd(width, '0')}`;
  if (us === 0) return '';
  return `.${pad(us, 6).replace(/0+$/, '')}`;
}

/** timestamptz text (any offset) → io.debezium.time.ZonedTimestamp: ISO-8601 in UTC with `width` fraction digits. */
export function timestamptzToIso(s: string, width: number): string {
  if (s === 'infinity' || s === '-infinity') return s;
  const bc = s.endsWith(' BC');
  const d = parseDate(s, bc);
  const [us, j] = parseTime(s, d.rest + 1);
  const off = parseOffset(s, j);
  let secs = d.days * 86400 + Math.floor(us / 1e6) - off;
  const micros = us % 1e6;
  const days = Math.floor(secs / 86400);
  secs -= days * 86400;
  const [y, mo, da] = civilFromDays(days);
  return `${isoYear(y)}-${pad(mo, 2)}-${pad(da, 2)}T${pad(Math.floor(secs / 3600), 2)}:${pad(Math.floor(secs / 60) % 60, 2)}:${pad(secs % 60, 2)}${fraction(micros, width)}Z`;
}

/** time text → microseconds of the day (io.debezium.time.MicroTime). */
export function timeToMicros(s: string): number {
  return parseTime(s, 0)[0];
}

/** timetz text → io.debezium.time.ZonedTime: the time in UTC ('24:00:00Z' for the end-of-day boundary). */
export function timetzToIso(s: string): string {
  const [us, j] = parseTime(s, 0);
  const off = parseOffset(s, j);
  if (us === 86400e6 && off === 0) return '24:00:00Z';
  const day = 86400e6;
  const utc = (((us - off * 1e6) % day) + day) % day;
  const secs = Math.floor(utc / 1e6);
  return `${pad(Math.floor(secs / 3600), 2)}:${pad(Math.floor(secs / 60) % 60, 2)}:${pad(secs % 60, 2)}${fraction(utc % 1e6, 0)}Z`;
}

/** An interval's fields as pgjdbc's PGInterval holds them: each with its own sign; seconds as exact µs. */
export interface IntervalParts {
  readonly years: number;
  readonly months: number;
  readonly days: number;
  readonly hours: number;
  readonly minutes: number;
  /** Seconds and fraction in µs, signed like the time part ('-04:05:06.78' → -6780000). */
  readonly micros: number;
}

/** interval text (IntervalStyle=postgres: '1 year -2 mons +3 days -04:05:06.78') → its fields. */
export function parseInterval(s: string): IntervalParts {
  let years = 0;
  let months = 0;
  let days = 0;
  let hours = 0;
  let minutes = 0;
  let micros = 0;
  const tokens = s.trim().split(/\s+/);
  for (let i = 0; i < tokens.length; i++) {
    const tok = tokens[i]!;
    if (tok.includes(':')) {
      const neg = tok[0] === '-';
      const parts = tok.replace(/^[+-]/, '').split(':');
      const sign = neg ? -1 : 1;
      const [whole, frac = ''] = (parts[2] ?? '0').split('.');
      hours = sign * Number(parts[0]);
      minutes = sign * Number(parts[1]);
      micros = sign * (Number(whole) * 1e6 + Number(frac.slice(0, 6).padEnd(6, '0')));
      continue;
    }
    const unit = tokens[i + 1] ?? '';
    const v = Number(tok);
    if (unit.startsWith('year')) years = v;
    else if (unit.startsWith('mon')) months = v;
    else if (unit.startsWith('day')) days = v;
    else throw new Error(`not an interval in IntervalStyle postgres: ${JSON.stringify(s)}`);
    i++;
  }
  return { years, months, days, hours, minutes, micros };
}

/** Microseconds in Debezium's average month (MicroDuration.DAYS_PER_MONTH_AVG = 365.25 / 12 days): an integer. */
export const MICROS_PER_MONTH = 2_629_800_000_000n;
const INT64_MAX = (1n << 63n) - 1n;
const INT64_MIN = -(1n << 63n);

/**
 * interval text (IntervalStyle=postgres) → io.debezium.time.MicroDuration: Debezium's definition
 * (MicroDuration.durationMicros: a month is 365.25/12 days, a year 12 months), computed exactly in integers.
 * Debezium computes it in double arithmetic and truncates, which can come out 1 µs short; Ferry gives the exact
 * value of the same formula. Beyond int64 it saturates, as Java's (long) cast does.
 */
export function intervalToMicros(s: string): number | bigint {
  const p = parseInterval(s);
  const total = BigInt(p.years * 12 + p.months) * MICROS_PER_MONTH
    + ((BigInt(p.days) * 24n + BigInt(p.hours)) * 60n + BigInt(p.minutes)) * 60_000_000n + BigInt(p.micros);
  if (total > INT64_MAX) return INT64_MAX;
  if (total < INT64_MIN) return INT64_MIN;
  const n = Number(total);
  return Number.isSafeInteger(n) ? n : total;
}

/**
 * interval text → io.debezium.time.Interval (interval.handling.mode=string), as Debezium's Interval.toIsoString
 * prints PGInterval's fields: 'P<years>Y<months>M<days>DT<hours>H<minutes>M<seconds>S', each field with its own
 * sign, seconds as a plain decimal without trailing zeros ('P1Y-2M3DT-4H-5M-6.78S', 'P0Y0M0DT0H0M0S'). Exact:
 * months stay months, and PostgreSQL reads the text back as the same interval.
 */
export function intervalToIso(s: string): string {
  const p = parseInterval(s);
  const neg = p.micros < 0;
  const abs = Math.abs(p.micros);
  const frac = String(abs % 1e6).padStart(6, '0').replace(/0+$/, '');
  const secs = `${neg ? '-' : ''}${Math.floor(abs / 1e6)}${frac ? `.${frac}` : ''}`;
  return `P${p.years}Y${p.months}M${p.days}DT${p.hours}H${p.minutes}M${secs}S`;
}

// ---- bits, bytes ----

/** bit/varbit text '1011' → io.debezium.data.Bits: little-endian bytes of the value, as few as its highest set bit needs. */
export function bitsToBytes(s: string): Buffer {
  const first = s.indexOf('1');
  if (first < 0) return Buffer.alloc(0);
  const nbits = s.length - first;
  const out = Buffer.alloc(Math.ceil(nbits / 8));
  for (let i = 0; i < nbits; i++) if (s.charCodeAt(s.length - 1 - i) === 49) out[i >> 3]! |= 1 << (i & 7);
  return out;
}

/** bytea text (bytea_output=hex, '\x0102') → bytes. */
export function byteaToBuffer(s: string): Buffer {
  return Buffer.from(s.slice(2), 'hex');
}

// ---- per column ----

/** The converter of a column; null when the text is the value (strings). */
export function makeConverter(m: ColumnMapping): Converter | null {
  switch (m.kind) {
    case 'int': return (s) => +s;
    case 'int64': return toInt64;
    case 'float32': return (s) => Math.fround(+s);
    case 'float64': return (s) => +s;
    case 'decimal': { const scale = m.scale; return (s) => decimalToBytes(s, scale); }
    case 'vsd': return variableScaleDecimal;
    case 'money': return moneyToBytes;
    case 'bool': return (s) => s === 't';
    case 'string': return null;
    case 'bytes': return byteaToBuffer;
    case 'date': return dateToDays;
    case 'time-ms': return (s) => Math.floor(timeToMicros(s) / 1000);
    case 'time-us': return timeToMicros;
    case 'timetz': return timetzToIso;
    case 'timestamp-ms': return timestampToMillis;
    case 'timestamp-us': return timestampToMicros;
    case 'timestamptz': { const w = m.scale; return (s) => timestamptzToIso(s, w); }
    case 'interval': return intervalToMicros;
    case 'interval-string': return intervalToIso;
    case 'money-double': return (s) => Number(moneyToString(s));
    case 'money-string': return moneyToString;
    case 'bit': return (s) => s === '1';
    case 'bits': return bitsToBytes;
    case 'bit-string': return null;
    case 'hstore': return hstoreToJson;
    case 'hstore-map': return (s) => JSON.parse(hstoreToJson(s)) as Record<string, string | null>;
    case 'bytes-text': { const text = binaryToText(m.binary ?? 'base64'); return (s) => text(byteaToBuffer(s)); }
    case 'point': return pointValue;
    case 'box': case 'lseg': case 'path': case 'polygon': { const k = m.kind; return (s) => geometricValue(k, s); }
    case 'array': {
      const el = m.element!;
      const conv = makeConverter(el);
      const delimiter = el.kind === 'box' ? ';' : ',';
      const dims = m.dims ?? 1;
      const leaves = (a: ArrayTexts): unknown[] => a.map((v) => (v === null ? null : Array.isArray(v) ? leaves(v) : conv === null ? v : conv(v)));
      return (s) => {
        const items = parseArrayLiteral(s, delimiter);
        const depth = arrayDepth(items);
        if (depth > dims) {
          throw new Error(`a ${depth}-dimensional value in a column declared with ${dims} dimension${dims === 1 ? '' : 's'} (${m.sourceType}); declare the dimensions the column holds, e.g. ALTER TABLE … ALTER COLUMN … TYPE ${el.sourceType}${'[]'.repeat(depth)}`);
        }
        if (depth !== 0 && depth < dims) {
          throw new Error(`a ${depth}-dimensional value in a column declared with ${dims} dimensions (${m.sourceType}); store ${dims}-dimensional values or declare the column as ${el.sourceType}${'[]'.repeat(depth)}`);
        }
        return leaves(items);
      };
    }
  }
}

/**
 * The value Debezium puts in a NOT NULL column whose value an event does not carry (the non-key columns of a
 * delete's before image under REPLICA IDENTITY DEFAULT): the column default when there is one, else this.
 */
export function fallbackValue(m: ColumnMapping): unknown {
  switch (m.kind) {
    case 'int': case 'int64': case 'float32': case 'float64': case 'date': case 'time-ms': case 'time-us':
    case 'timestamp-ms': case 'timestamp-us': case 'interval': case 'money-double':
      return 0;
    case 'interval-string': return 'P0Y0M0DT0H0M0S';
    case 'money-string': return '0.00';
    case 'bit-string': return '';
    case 'decimal': case 'money': return Buffer.from([0]);
    case 'vsd': return { scale: 0, value: Buffer.from([0]) };
    case 'bool': case 'bit': return false;
    case 'bytes': case 'bits': return Buffer.alloc(0);
    case 'timetz': return '00:00:00Z';
    case 'timestamptz': return '1970-01-01T00:00:00Z';
    case 'hstore': return '{}';
    case 'hstore-map': return {};
    case 'bytes-text': return '';
    case 'point': return { x: 0, y: 0, wkb: wkbPoint(0, 0), srid: null };
    case 'box': return { wkb: wkbPolygon([[0, 0], [0, 1], [1, 1], [1, 0], [0, 0]]), srid: null, extensions: { type: 'box' } };
    case 'polygon': return { wkb: wkbPolygon([[0, 0], [1, 0], [0, 1], [0, 0]]), srid: null, extensions: { type: 'polygon' } };
    case 'lseg': case 'path': return { wkb: wkbLineString([[0, 0], [1, 0]]), srid: null, extensions: { type: m.kind } };
    case 'array': return [];
    case 'string': return m.sourceType.startsWith('numeric') ? '0' : ''; // numeric under decimalHandlingMode string: Debezium's zero
  }
}
