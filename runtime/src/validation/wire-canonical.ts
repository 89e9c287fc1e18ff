/**
 * Canonical texts of values read from targets without canonical SQL (docs/validation.md#kafka-topics-lakes-and-redshift):
 * a Debezium wire value (a Kafka topic's Avro after-image), a lake file's value (DuckDB's text of a Parquet column) or
 * a Redshift value (its PostgreSQL-protocol text) → the exact text the source's SQL renders for the column's family
 * (canonical.ts), so a source row and a target row compare as canonical texts, column by column, as between two
 * databases.
 *
 * Each function takes the family chosen from the source column's type and returns null for NULL. A value that has no
 * canonical form in the family (a wire type that cannot carry it) becomes `?<family>:<text>`, which no source text
 * equals: the row is reported as RECORD_DIFF rather than dropped.
 */
import type { SinkFieldType } from '../../../core/src/record-sink.ts';
import { bytesToDecimal } from '../../../schemas/src/decimal.ts';
import { daysFromCivil } from '../../../core/src/civil-days.ts';
import { bitsText, dateText, timeMicros, timestampText } from '../relational/wire-values.ts';
import { canonicalInNode } from './canonical.ts';
import type { Family } from './model.ts';

/** What a family's rendering needs besides the family: trailing spaces of CHAR pairs, the declared bit length. */
export interface CanonicalSpec {
  readonly family: Family;
  readonly rtrim: boolean;
  readonly bits?: number;
}

const DECIMAL = 'org.apache.kafka.connect.data.Decimal';

/** µs since the epoch of an ISO-8601 timestamp with an offset (Debezium's ZonedTimestamp, any year, up to 9 fraction digits). */
export function zonedMicros(s: string): bigint | undefined {
  const m = /^([+-]?\d{4,})-(\d\d)-(\d\d)[T ](\d\d):(\d\d):(\d\d)(?:\.(\d{1,9}))?(Z|[+-]\d\d(?::?\d\d)?)$/.exec(s);
  if (!m) return undefined;
  const days = BigInt(daysFromCivil(Number(m[1]), Number(m[2]), Number(m[3])));
  const secs = days * 86_400n + BigInt(Number(m[4]) * 3600 + Number(m[5]) * 60 + Number(m[6]));
  let offset = 0n;
  if (m[8] !== 'Z') {
    const z = m[8]!.replace(':', '');
    offset = (z[0] === '-' ? -1n : 1n) * BigInt(Number(z.slice(1, 3)) * 3600 + Number(z.slice(3, 5) || '0') * 60);
  }
  return (secs - offset) * 1_000_000n + BigInt((m[7] ?? '').padEnd(6, '0').slice(0, 6));
}
const VARIABLE_DECIMAL = 'io.debezium.data.VariableScaleDecimal';

/** A decimal text without trailing fraction zeros ('1.500' → '1.5', '2.000' → '2', '-0.00' → '0'). */
export function trimDecimal(s: string): string {
  let t = s.trim();
  if (t.includes('.') && !/e/i.test(t)) t = t.replace(/0+$/, '').replace(/\.$/, '');
  if (/^-0*$/.test(t)) t = '0';
  return t;
}

const big = (v: unknown): bigint => (typeof v === 'bigint' ? v : BigInt(v as number));
const bytesOf = (v: unknown): Buffer => (Buffer.isBuffer(v) ? v : Buffer.from(v as Uint8Array));
const unknownForm = (family: Family, v: unknown): string => `?${family}:${typeof v === 'object' ? JSON.stringify(v, jsonReplacer) : String(v)}`;

function jsonReplacer(_k: string, v: unknown): unknown {
  if (typeof v === 'bigint') return Number(v);
  if (v !== null && typeof v === 'object' && (v as { type?: unknown }).type === 'Buffer' && Array.isArray((v as { data?: unknown }).data)) return Buffer.from((v as { data: number[] }).data).toString('base64');
  if (v instanceof Map) return Object.fromEntries(v);
  return v;
}

/** The decimal text of a Decimal / VariableScaleDecimal wire value, or of a number or string (decimal.handling.mode double / string). */
function decimalText(t: SinkFieldType, v: unknown): string | undefined {
  if (t.logical === DECIMAL) return bytesToDecimal(v as Uint8Array, Number(t.params?.scale ?? 0));
  if (t.logical === VARIABLE_DECIMAL) {
    const x = v as { scale: number; value: Uint8Array };
    return bytesToDecimal(x.value, x.scale);
  }
  if (typeof v === 'number' || typeof v === 'bigint') return String(v);
  if (typeof v === 'string') return v;
  return undefined;
}

/** µs since the epoch of a timestamp-like wire value; undefined when the type is not one. */
function timestampMicros(t: SinkFieldType, v: unknown): bigint | undefined {
  switch (t.logical) {
    case 'io.debezium.time.Timestamp':
    case 'org.apache.kafka.connect.data.Timestamp': return big(v) * 1000n;
    case 'io.debezium.time.MicroTimestamp': return big(v);
    case 'io.debezium.time.NanoTimestamp': return big(v) / 1000n;
    case 'io.debezium.time.ZonedTimestamp': return zonedMicros(String(v));
    case 'io.debezium.time.Date':
    case 'org.apache.kafka.connect.data.Date': return BigInt(Number(v)) * 86_400_000_000n;
  }
  return undefined;
}

/**
 * µs of an ISO 8601 interval as Debezium's Interval sends it ('P1Y2M3DT4H5M6.78S', parts may be negative), counted
 * as PostgreSQL's extract(epoch …) counts them: a year 365.25 days, a month 30 days.
 */
export function isoIntervalMicros(s: string): bigint | undefined {
  const m = /^(-)?P(?:(-?\d+)Y)?(?:(-?\d+)M)?(?:(-?\d+)W)?(?:(-?\d+)D)?(?:T(?:(-?\d+)H)?(?:(-?\d+)M)?(?:(-?)(\d+)(?:\.(\d{1,9}))?S)?)?$/.exec(s);
  if (!m || s === 'P' || s.endsWith('T')) return undefined;
  const n = (x: string | undefined): bigint => BigInt(x ?? '0');
  const secs = ((m[9] !== undefined ? BigInt(m[9]) : 0n) * 1_000_000n + BigInt((m[10] ?? '').padEnd(6, '0').slice(0, 6))) * (m[8] === '-' ? -1n : 1n);
  const us = n(m[2]) * 31_557_600_000_000n + n(m[3]) * 2_592_000_000_000n + n(m[4]) * 604_800_000_000n + n(m[5]) * 86_400_000_000n + n(m[6]) * 3_600_000_000n + n(m[7]) * 60_000_000n + secs;
  return m[1] === '-' ? -us : us;
}

/** The canonical text of a Debezium wire value (a topic's after-image field of type `t`) in the family of `spec`. */
export function wireCanonical(spec: CanonicalSpec, t: SinkFieldType, v: unknown): string | null {
  if (v === null || v === undefined) return null;
  const f = spec.family;
  switch (f) {
    case 'int': {
      if (typeof v === 'boolean') return v ? '1' : '0';
      if (typeof v === 'number' || typeof v === 'bigint') return String(v);
      const d = decimalText(t, v);
      return d === undefined ? unknownForm(f, v) : trimDecimal(d);
    }
    case 'decimal': {
      const d = decimalText(t, v);
      return d === undefined ? unknownForm(f, v) : trimDecimal(d);
    }
    case 'float':
      return typeof v === 'number' || typeof v === 'string' ? canonicalInNode('float', String(v)) : unknownForm(f, v);
    case 'text': {
      const s = typeof v === 'string' ? v : Buffer.isBuffer(v) || v instanceof Uint8Array ? bytesOf(v).toString('utf8') : String(v);
      return spec.rtrim ? s.replace(/ +$/, '') : s;
    }
    case 'bytes':
      return Buffer.isBuffer(v) || v instanceof Uint8Array ? bytesOf(v).toString('hex') : unknownForm(f, v);
    case 'bits': {
      let s: string;
      if (typeof v === 'boolean') s = v ? '1' : '0';
      else if (typeof v === 'string') s = v;
      else if (v instanceof Uint8Array) {
        const length = Number(t.params?.length ?? 0) || spec.bits || v.length * 8;
        try {
          s = bitsText(v, length);
        } catch {
          return unknownForm(f, bytesOf(v).toString('hex'));
        }
      } else return unknownForm(f, v);
      return s.padStart(spec.bits ?? s.length, '0');
    }
    case 'date':
      if (typeof v === 'number' || typeof v === 'bigint') {
        if (t.logical === undefined || t.logical.endsWith('.Date')) return dateText(Number(v));
        const us = timestampMicros(t, v);
        return us === undefined ? unknownForm(f, v) : timestampText(us).slice(0, -16);
      }
      return unknownForm(f, v);
    case 'timestamp': {
      const us = timestampMicros(t, v);
      return us === undefined ? unknownForm(f, v) : timestampText(us);
    }
    case 'micros':
      switch (t.logical) {
        case 'io.debezium.time.Time':
        case 'io.debezium.time.MicroTime':
        case 'io.debezium.time.NanoTime':
        case 'org.apache.kafka.connect.data.Time': return timeMicros(t, v).toString();
        case 'io.debezium.time.MicroDuration': return big(v).toString();
        case 'io.debezium.time.NanoDuration': return (big(v) / 1000n).toString();
        case 'io.debezium.time.Interval': return isoIntervalMicros(String(v))?.toString() ?? unknownForm(f, v);
      }
      return typeof v === 'number' || typeof v === 'bigint' ? String(v) : unknownForm(f, v);
    case 'uuid':
      return typeof v === 'string' ? v.toLowerCase() : unknownForm(f, v);
    case 'inet':
      return String(v);
    case 'json':
      return canonicalInNode('json', typeof v === 'string' ? v : JSON.stringify(v, jsonReplacer));
  }
}

/**
 * The DuckDB expression that reads a lake column (of DuckDB type `duckType`) as text for lakeCanonical: integers,
 * decimals and dates as DuckDB prints them, booleans as 0/1, floats widened to DOUBLE, blobs as lower-case hex,
 * timestamps (also WITH TIME ZONE, read in UTC, and TIMESTAMP_NS) as `YYYY-MM-DD HH:MM:SS.ffffff`, times as text.
 */
export function lakeTextSql(column: string, duckType: string): string {
  const c = `"${column.replace(/"/g, '""')}"`;
  const d = duckType.toUpperCase();
  if (d === 'BOOLEAN') return `CAST(CAST(${c} AS INTEGER) AS VARCHAR)`;
  if (d === 'FLOAT' || d === 'REAL') return `CAST(CAST(${c} AS DOUBLE) AS VARCHAR)`;
  if (d === 'BLOB') return `lower(hex(${c}))`;
  if (d.startsWith('TIMESTAMP')) return `strftime(CAST(${c} AS TIMESTAMP), '%Y-%m-%d %H:%M:%S.%f')`;
  return `CAST(${c} AS VARCHAR)`;
}

/** 'HH:MM:SS[.ffffff]' (DuckDB's TIME text) → µs. */
function clockMicros(s: string): bigint | undefined {
  const m = /^(-?)(\d+):(\d\d):(\d\d)(?:\.(\d{1,9}))?$/.exec(s);
  if (!m) return undefined;
  const us = ((BigInt(m[2]!) * 60n + BigInt(m[3]!)) * 60n + BigInt(m[4]!)) * 1_000_000n + BigInt((m[5] ?? '').padEnd(6, '0').slice(0, 6));
  return m[1] === '-' ? -us : us;
}

/** The canonical text of a lake value, from lakeTextSql's text of a column of DuckDB type `duckType`. */
export function lakeCanonical(spec: CanonicalSpec, duckType: string, text: string | null): string | null {
  if (text === null) return null;
  const d = duckType.toUpperCase();
  const f = spec.family;
  switch (f) {
    case 'int': return d.startsWith('DECIMAL') || d === 'VARCHAR' ? trimDecimal(text) : text;
    case 'decimal': return trimDecimal(text);
    case 'float': return canonicalInNode('float', text);
    case 'text': return spec.rtrim ? text.replace(/ +$/, '') : text;
    case 'bytes': return text;
    case 'bits': {
      if (d === 'BLOB') {
        const b = Buffer.from(text, 'hex');
        try {
          return bitsText(b, spec.bits ?? b.length * 8);
        } catch {
          return `?bits:${text}`;
        }
      }
      if (d === 'BOOLEAN') return text.padStart(spec.bits ?? 1, '0');
      return text.padStart(spec.bits ?? text.length, '0');
    }
    case 'date': return d.startsWith('TIMESTAMP') ? text.slice(0, 10) : text;
    case 'timestamp': return d === 'DATE' ? `${text} 00:00:00.000000` : text;
    case 'micros': {
      if (d === 'TIME') return clockMicros(text)?.toString() ?? `?micros:${text}`;
      return text;
    }
    case 'uuid': return text.toLowerCase();
    case 'inet': return text;
    case 'json': return canonicalInNode('json', text);
  }
}

/**
 * The canonical text of a value read over the PostgreSQL protocol in text form from a table without canonical SQL
 * (Redshift: no sha256, no trim_scale), with the session in UTC, DateStyle ISO and extra_float_digits 2 (floats
 * print exactly). `sqlType` is information_schema's data_type. The text is brought to the DuckDB text forms
 * lakeCanonical reads (booleans 0/1, bytes as plain hex, timestamps with 6 fraction digits, zoned ones in UTC).
 */
export function sqlTextCanonical(spec: CanonicalSpec, sqlType: string, text: string | null): string | null {
  if (text === null) return null;
  const t = sqlType.toLowerCase();
  if (t === 'boolean') return lakeCanonical(spec, 'BOOLEAN', text === 't' || text === 'true' ? '1' : '0');
  if (t === 'smallint' || t === 'integer' || t === 'bigint') return lakeCanonical(spec, 'BIGINT', text);
  if (t === 'numeric' || t === 'decimal') return lakeCanonical(spec, 'DECIMAL', text);
  // A real prints as the shortest text of its float32: read back as float32, then widened exactly (as FLOAT → DOUBLE).
  if (t === 'real') return lakeCanonical(spec, 'DOUBLE', /^-?[\d.]+(e[+-]?\d+)?$/i.test(text) ? String(Math.fround(Number(text))) : text);
  if (t === 'double precision') return lakeCanonical(spec, 'DOUBLE', text);
  if (t === 'bytea' || t === 'varbyte' || t === 'binary varying') return lakeCanonical(spec, 'BLOB', text.replace(/^\\x/, '').toLowerCase());
  if (t === 'date') return lakeCanonical(spec, 'DATE', text);
  if (t.startsWith('time without') || t === 'time') return lakeCanonical(spec, 'TIME', text);
  if (t.startsWith('timestamp with ')) {
    const us = zonedMicros(text);
    return lakeCanonical(spec, 'TIMESTAMP', us === undefined ? `?timestamp:${text}` : timestampText(us));
  }
  if (t.startsWith('timestamp')) {
    const m = /^(.*\d\d:\d\d:\d\d)(?:\.(\d+))?$/.exec(text);
    return lakeCanonical(spec, 'TIMESTAMP', m ? `${m[1]}.${(m[2] ?? '').padEnd(6, '0').slice(0, 6)}` : text);
  }
  return lakeCanonical(spec, 'VARCHAR', text);
}
