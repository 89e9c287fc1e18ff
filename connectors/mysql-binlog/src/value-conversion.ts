/**
 * Driver values → the wire representation of their Debezium field type (core/src/types.ts FieldType).
 *
 * Both inputs are text-like, by configuration:
 *  - snapshots: mysql2 text protocol with dateStrings, supportBigNumbers + bigNumberStrings, decimalNumbers off,
 *    jsonStrings; FLOAT and DOUBLE columns are selected as exact text (type-mapping.ts snapshotSelectExpr) and
 *    spatial columns as `CAST(col AS BINARY)`;
 *  - the binlog: Ferry's row decoder (binlog/row-values.ts) produces the same text forms (TIMESTAMP as UTC text).
 * So a DATETIME(6) is '2024-02-29 23:59:59.123456' in both, a DECIMAL an exact string, a BIGINT a number or a
 * string, BIT(n) a big-endian Buffer, TIME '-838:59:59.000000'. Binlog DATETIME2, TIMESTAMP2, DATE and DECIMAL
 * values skip the text: binlog/wire-values.ts decodes them straight to what these converters return (and
 * RowCodec.binlogConverter leaves them alone).
 *
 * Everything here is a pure function of its arguments. `makeConverter` picks one per column once, so the
 * per-row work is one indirect call per column that needs conversion (none for ints, strings, bytes).
 */
import type { ColumnMapping, MySqlColumnDef } from './type-mapping.ts';
import { unscaledToBytes } from '../../../schemas/src/decimal.ts';
import { daysFromCivil } from '../../../core/src/civil-days.ts';

/** Converts one non-null driver value. */
export type Converter = (v: unknown) => unknown;

const MAX_SAFE_DIGITS = 15;

/** The unscaled value of a decimal string at `scale` as Java's BigInteger.toByteArray() gives it (Connect Decimal). */
export function decimalToBytes(text: string, scale: number): Buffer {
  let s = text.trim();
  let negative = false;
  if (s[0] === '-') { negative = true; s = s.slice(1); } else if (s[0] === '+') s = s.slice(1);
  const dot = s.indexOf('.');
  let intPart = dot < 0 ? s : s.slice(0, dot);
  let frac = dot < 0 ? '' : s.slice(dot + 1);
  if (frac.length < scale) frac = frac.padEnd(scale, '0');
  else if (frac.length > scale) frac = frac.slice(0, scale); // MySQL always prints exactly `scale` digits
  if (intPart === '') intPart = '0';
  const digits = intPart + frac;
  if (!/^\d+$/.test(digits)) throw new Error(`not a decimal: ${JSON.stringify(text)}`);
  if (digits.length <= MAX_SAFE_DIGITS) {
    const v = Number(digits);
    return numberToTwosComplement(negative ? -v : v);
  }
  const big = BigInt(digits);
  return bigintToTwosComplement(negative ? -big : big);
}

/** 2^(8n-1) for n = 1..7: a value needs more than n bytes when it is at least this, or below its negation. */
const HALF_RANGE = [2 ** 7, 2 ** 15, 2 ** 23, 2 ** 31, 2 ** 39, 2 ** 47, 2 ** 55] as const;

/** Minimal big-endian two's complement of a safe integer. */
export function numberToTwosComplement(v: number): Buffer {
  let len = 1;
  if (v >= 0) while (v >= HALF_RANGE[len - 1]!) len++;
  else while (v < -HALF_RANGE[len - 1]!) len++;
  const out = Buffer.allocUnsafe(len);
  if (len <= 4) {
    // an int32: arithmetic shifts give the two's complement bytes
    let x = v | 0;
    for (let i = len - 1; i >= 0; i--, x >>= 8) out[i] = x & 0xff;
    return out;
  }
  let x = v;
  for (let i = len - 1; i >= 0; i--) {
    out[i] = ((x % 256) + 256) % 256;
    x = Math.floor(x / 256);
  }
  return out;
}

/** Minimal big-endian two's complement (Java BigInteger#toByteArray): one implementation, in schemas/src/decimal.ts. */
export const bigintToTwosComplement = unscaledToBytes;

/** Connect Decimal bytes at `scale` → decimal text (tests, logs): schemas/src/decimal.ts. */
export { bytesToDecimal } from '../../../schemas/src/decimal.ts';

/** An int64 as a number when exact, else a bigint. Accepts number, decimal string or bigint. */
export function toInt64(v: unknown): number | bigint {
  if (typeof v === 'number') return v;
  if (typeof v === 'bigint') return v >= -9007199254740991n && v <= 9007199254740991n ? Number(v) : v;
  const s = String(v);
  const n = Number(s);
  return Number.isSafeInteger(n) ? n : BigInt(s);
}

/** A FLOAT or DOUBLE: the binlog's number as is; the snapshot's exact text ('975.0656480900943', '-0') parsed exactly. */
export function toDouble(v: unknown): number {
  return typeof v === 'number' ? v : Number(v);
}

/** Days since 1970-01-01 of a civil date: core/src/civil-days.ts. */
export { daysFromCivil };

const d2 = (s: string, i: number) => (s.charCodeAt(i) - 48) * 10 + (s.charCodeAt(i + 1) - 48);
const d4 = (s: string, i: number) => d2(s, i) * 100 + d2(s, i + 2);

/** 'YYYY-MM-DD' (or the date part of a DATETIME) → days since the epoch; null for a zero or partly-zero date. */
export function dateToEpochDays(s: string): number | null {
  const year = d4(s, 0);
  const month = d2(s, 5);
  const day = d2(s, 8);
  if (month === 0 || day === 0 || Number.isNaN(year + month + day)) return null;
  return daysFromCivil(year, month, day);
}

/** Seconds since the epoch of 'YYYY-MM-DD HH:MM:SS...' read as UTC; null for zero dates. */
function dateTimeSeconds(s: string): number | null {
  const days = dateToEpochDays(s);
  if (days === null) return null;
  return days * 86400 + d2(s, 11) * 3600 + d2(s, 14) * 60 + d2(s, 17);
}

/** The fraction digits after position `from` ('.123' → 123000 µs). */
function fractionMicros(s: string, dot: number): number {
  if (dot >= s.length || s[dot] !== '.') return 0;
  let v = 0;
  let n = 0;
  for (let i = dot + 1; i < s.length && n < 6; i++, n++) v = v * 10 + (s.charCodeAt(i) - 48);
  for (; n < 6; n++) v *= 10;
  return v;
}

/** DATETIME text → ms since the epoch (io.debezium.time.Timestamp); null for zero dates. */
export function dateTimeToEpochMillis(s: string): number | null {
  const secs = dateTimeSeconds(s);
  if (secs === null) return null;
  return secs * 1000 + Math.floor(fractionMicros(s, 19) / 1000);
}

/** DATETIME text → µs since the epoch (io.debezium.time.MicroTimestamp), a bigint beyond ±2^53; null for zero dates. */
export function dateTimeToEpochMicros(s: string): number | bigint | null {
  const secs = dateTimeSeconds(s);
  if (secs === null) return null;
  return epochMicros(secs, fractionMicros(s, 19));
}

/** Whole seconds plus µs (0..999999) since the epoch → µs, a bigint beyond ±2^53 (io.debezium.time.MicroTimestamp). */
export function epochMicros(secs: number, micros: number): number | bigint {
  if (secs > -9e9 && secs < 9e9) return secs * 1e6 + micros;
  return BigInt(secs) * 1_000_000n + BigInt(micros);
}

/**
 * TIMESTAMP text in UTC ('2024-01-01 00:00:00.123456') → io.debezium.time.ZonedTimestamp
 * ('2024-01-01T00:00:00.123456Z'), with exactly `fsp` fraction digits as Debezium formats TIMESTAMP(fsp);
 * null for the zero timestamp.
 */
export function timestampToZoned(s: string, fsp: number): string | null {
  if (d2(s, 5) === 0 || d2(s, 8) === 0) return null;
  const base = `${s.slice(0, 10)}T${s.slice(11, 19)}`;
  if (fsp <= 0) return `${base}Z`;
  let frac = s.length > 20 ? s.slice(20) : '';
  frac = frac.length >= fsp ? frac.slice(0, fsp) : frac.padEnd(fsp, '0');
  return `${base}.${frac}Z`;
}

/** TIME text ('-838:59:59.000000', '100:00:00', '12:34:56.5') → µs (io.debezium.time.MicroTime; may be negative or ≥ 24 h). */
export function timeToMicros(s: string): number {
  let i = 0;
  let negative = false;
  if (s[0] === '-') { negative = true; i = 1; }
  let hours = 0;
  for (; i < s.length && s[i] !== ':'; i++) hours = hours * 10 + (s.charCodeAt(i) - 48);
  const minutes = d2(s, i + 1);
  const seconds = d2(s, i + 4);
  const v = ((hours * 60 + minutes) * 60 + seconds) * 1e6 + fractionMicros(s, i + 6);
  return negative ? -v : v;
}

/** BIT(n) big-endian bytes → Debezium's io.debezium.data.Bits: little-endian, `numBytes` long. */
export function bitsToLittleEndian(buf: Buffer, numBytes: number): Buffer {
  const out = Buffer.alloc(Math.max(numBytes, buf.length));
  for (let i = 0, j = buf.length - 1; j >= 0; i++, j--) out[i] = buf[j]!;
  return out;
}

/** MySQL's internal geometry value (4-byte little-endian SRID, then WKB) → io.debezium.data.geometry.Geometry. */
export function geometryValue(buf: Buffer): { wkb: Buffer; srid: number } {
  return { wkb: Buffer.from(buf.subarray(4)), srid: buf.readUInt32LE(0) };
}

/** The same for a POINT → io.debezium.data.geometry.Point {x, y, wkb, srid}. */
export function pointValue(buf: Buffer): { x: number; y: number; wkb: Buffer; srid: number } {
  const wkb = Buffer.from(buf.subarray(4));
  const le = wkb[0] === 1;
  const x = le ? wkb.readDoubleLE(5) : wkb.readDoubleBE(5);
  const y = le ? wkb.readDoubleLE(13) : wkb.readDoubleBE(13);
  return { x, y, wkb, srid: buf.readUInt32LE(0) };
}

const asText = (v: unknown): string => (typeof v === 'string' ? v : Buffer.isBuffer(v) ? v.toString('utf8') : String(v));
/** The ZonedTimestamp of a NOT NULL TIMESTAMP column's zero value (Debezium's fallback). */
export const EPOCH_ZONED = '1970-01-01T00:00:00Z';
const UTF8_LIKE = new Set(['utf8mb4', 'utf8mb3', 'utf8', 'ascii', null]);

/**
 * The converter for one column, or null when the driver value already is the wire value.
 * Zero dates become null, or the epoch when the column is NOT NULL (Debezium's fallback value).
 */
export function makeConverter(mapping: ColumnMapping, col: Pick<MySqlColumnDef, 'nullable' | 'charset'>): Converter | null {
  const { kind, scale, size } = mapping;
  const nullable = col.nullable;
  switch (kind) {
    case 'int':
    case 'bytes':
    case 'json':
      return null;
    case 'float64':
      return toDouble;
    case 'string':
      return UTF8_LIKE.has(col.charset) ? null : asText;
    case 'int64':
      return toInt64;
    case 'float32':
      return (v) => Math.fround(toDouble(v));
    case 'decimal':
      return (v) => decimalToBytes(typeof v === 'string' ? v : String(v), scale);
    case 'bit1':
      return (v) => (Buffer.isBuffer(v) ? v.some((b) => b !== 0) : Boolean(v));
    case 'bits':
      return (v) => bitsToLittleEndian(v as Buffer, size);
    case 'date':
      return nullable ? (v) => dateToEpochDays(v as string) : (v) => dateToEpochDays(v as string) ?? 0;
    case 'datetime-ms':
      return nullable ? (v) => dateTimeToEpochMillis(v as string) : (v) => dateTimeToEpochMillis(v as string) ?? 0;
    case 'datetime-us':
      return nullable ? (v) => dateTimeToEpochMicros(v as string) : (v) => dateTimeToEpochMicros(v as string) ?? 0;
    case 'timestamp':
      return nullable ? (v) => timestampToZoned(v as string, size) : (v) => timestampToZoned(v as string, size) ?? EPOCH_ZONED;
    case 'time':
      return (v) => timeToMicros(v as string);
    case 'year':
      // 1900 cannot be a YEAR value (1901..2155 and 0): some readers decode YEAR 0000 as 1900
      return (v) => { const y = Number(v); return y === 1900 ? 0 : y; };
    case 'enum':
      return (v) => (v === undefined ? '' : v); // an invalid ENUM value is stored as index 0, the empty string
    case 'set':
      return null;
    case 'geometry':
      return (v) => geometryValue(v as Buffer);
    case 'point':
      return (v) => pointValue(v as Buffer);
  }
}

/**
 * A column default in the wire representation, from the server's text of it (unquoted); undefined when it
 * has none Ferry can state (expressions such as CURRENT_TIMESTAMP, binary literals).
 */
export function defaultValue(mapping: ColumnMapping, col: MySqlColumnDef): unknown {
  const text = col.defaultText;
  if (text === undefined) return undefined;
  try {
    switch (mapping.kind) {
      case 'int':
      case 'float64': {
        const n = Number(text);
        return Number.isFinite(n) ? n : undefined;
      }
      case 'float32': {
        const n = Number(text);
        return Number.isFinite(n) ? Math.fround(n) : undefined;
      }
      case 'int64':
        return /^-?\d+$/.test(text) ? toInt64(text) : undefined;
      case 'decimal':
        return /^[-+]?\d*\.?\d+$/.test(text) ? decimalToBytes(text, mapping.scale) : undefined;
      case 'date':
      case 'datetime-ms':
      case 'datetime-us':
      case 'timestamp':
        return /^\d{4}-\d\d-\d\d/.test(text) ? makeConverter(mapping, col)!(text) ?? undefined : undefined;
      case 'time':
        return /^-?\d+:\d\d:\d\d/.test(text) ? timeToMicros(text) : undefined;
      case 'year':
        return /^\d+$/.test(text) ? Number(text) : undefined;
      case 'string':
      case 'enum':
      case 'set':
      case 'json':
        return text;
      case 'bit1': {
        const b = /^b'([01]+)'$/i.exec(text);
        return b ? /1/.test(b[1]!) : undefined;
      }
      default:
        return undefined;
    }
  } catch {
    return undefined;
  }
}
