/**
 * Debezium column types → PostgreSQL column types, the PostgreSQL text form of each value, and which type changes
 * PostgreSQL can take in place (docs/sinks/postgres.md#type-map). Types are spelled as format_type() prints them, so
 * a created column reads back (pg_catalog) exactly as it was asked for and type changes compare as strings.
 */
import type { SinkColumn, SinkFieldType, SinkTable } from '../../../core/src/record-sink.ts';
import { decimalOf } from '../../../runtime/src/sink-worker/avro-table.ts';
import { converterOf, RejectedValue, sourceConnectorOf, timeMicros, type Hooks, type SqlValue } from '../../../runtime/src/relational/wire-values.ts';

export type TimeType = 'auto' | 'time' | 'interval';

export interface PgColumn {
  readonly name: string;
  /** As format_type() prints it, e.g. 'numeric(12,2)', 'timestamp(6) without time zone'. */
  readonly type: string;
  readonly nullable: boolean;
}

/** PostgreSQL's numeric precision limit (numeric(p,s) with p ≤ 1000). */
const MAX_NUMERIC_PRECISION = 1000;

/** Whether time-of-day columns of this table become interval (MySQL TIME spans -838:59:59 to 838:59:59). */
export function timeAsInterval(table: SinkTable, mode: TimeType): boolean {
  if (mode !== 'auto') return mode === 'interval';
  const c = sourceConnectorOf(table.valueSchema as { fields?: readonly unknown[] });
  return c === 'mysql' || c === 'mariadb';
}

/** The PostgreSQL type of a Debezium column type. */
export function pgType(t: SinkFieldType, o: { readonly interval: boolean }): string {
  switch (t.logical) {
    case 'org.apache.kafka.connect.data.Decimal': {
      const { scale, precision } = decimalOf(t);
      if (precision === null || precision < 1 || precision > MAX_NUMERIC_PRECISION || scale < 0 || scale > precision) return 'numeric';
      return `numeric(${precision},${scale})`;
    }
    case 'io.debezium.data.VariableScaleDecimal': return 'numeric';
    case 'io.debezium.time.Date':
    case 'org.apache.kafka.connect.data.Date': return 'date';
    case 'io.debezium.time.Time':
    case 'org.apache.kafka.connect.data.Time': return o.interval ? 'interval' : 'time(3) without time zone';
    case 'io.debezium.time.MicroTime':
    case 'io.debezium.time.NanoTime': return o.interval ? 'interval' : 'time(6) without time zone';
    case 'io.debezium.time.Timestamp':
    case 'org.apache.kafka.connect.data.Timestamp': return 'timestamp(3) without time zone';
    case 'io.debezium.time.MicroTimestamp':
    case 'io.debezium.time.NanoTimestamp': return 'timestamp(6) without time zone';
    case 'io.debezium.time.ZonedTimestamp': return 'timestamp with time zone';
    case 'io.debezium.time.ZonedTime': return 'time with time zone';
    case 'io.debezium.time.MicroDuration':
    case 'io.debezium.time.NanoDuration':
    case 'io.debezium.time.Interval': return 'interval';
    case 'io.debezium.time.Year': return 'integer';
    case 'io.debezium.data.Json': return 'jsonb';
    case 'io.debezium.data.Uuid': return 'uuid';
    case 'io.debezium.data.Xml': return 'xml';
    case 'io.debezium.data.Bits':
    case 'io.ferry.data.BitString': {
      const n = Number(t.params?.length ?? 0);
      return n > 0 ? `bit varying(${n})` : 'bit varying';
    }
    case 'io.debezium.data.geometry.Geometry':
    case 'io.debezium.data.geometry.Geography':
    case 'io.debezium.data.geometry.Point': return 'bytea';
  }
  switch (t.connect) {
    case 'int8':
    case 'int16': return 'smallint';
    case 'int32': return 'integer';
    case 'int64': return 'bigint';
    case 'float32': return 'real';
    case 'float64': return 'double precision';
    case 'boolean': return 'boolean';
    case 'bytes': return 'bytea';
    case 'array':
    case 'map':
    case 'struct': return 'jsonb';
    default: return 'text';
  }
}

export function pgColumns(table: SinkTable, timeType: TimeType): PgColumn[] {
  const interval = timeAsInterval(table, timeType);
  return table.columns.map((c) => ({ name: c.name, type: pgType(c.type, { interval }), nullable: c.optional }));
}

// ---------------------------------------------------------------- type changes

interface ParsedType {
  readonly base: string;
  readonly args: readonly number[];
}

export function parseType(t: string): ParsedType {
  const m = /^([a-z ]+?)(?:\((\d+)(?:,\s*(\d+))?\))?( with(?:out)? time zone)?$/.exec(t.trim().toLowerCase());
  if (!m) return { base: t, args: [] };
  const args = [m[2], m[3]].filter((x): x is string => x !== undefined).map(Number);
  return { base: `${m[1]!.trim()}${m[4] ?? ''}`, args };
}

const INT_DIGITS: Readonly<Record<string, number>> = { smallint: 5, integer: 10, bigint: 19 };
const INT_RANK: Readonly<Record<string, number>> = { smallint: 1, integer: 2, bigint: 3 };

/**
 * How a target column of type `have` relates to the type `want` a newer source version maps to:
 *   'same'      nothing to do (or `have` already holds every value of `want`: e.g. bigint for integer)
 *   'widen'     ALTER COLUMN TYPE want keeps every stored value and holds the new ones
 *   'incompatible'  the target cannot take the change in place
 */
export function typeChange(have: string, want: string): 'same' | 'widen' | 'incompatible' {
  if (have === want) return 'same';
  if (holds(have, want)) return 'same';
  if (holds(want, have)) return 'widen';
  return 'incompatible';
}

/** Whether every value of type `b` fits type `a` unchanged. */
export function holds(a: string, b: string): boolean {
  if (a === b) return true;
  const A = parseType(a);
  const B = parseType(b);
  if (A.base in INT_RANK && B.base in INT_RANK) return INT_RANK[A.base]! >= INT_RANK[B.base]!;
  if (A.base === 'numeric' && B.base in INT_DIGITS) return A.args.length === 0 || A.args[0]! - (A.args[1] ?? 0) >= INT_DIGITS[B.base]!;
  if (A.base === 'numeric' && B.base === 'numeric') {
    if (A.args.length === 0) return true;
    if (B.args.length === 0) return false;
    const [pa, sa = 0] = A.args;
    const [pb, sb = 0] = B.args;
    return sa >= sb && pa! - sa >= pb! - sb;
  }
  if (A.base === 'double precision' && (B.base === 'real' || B.base === 'smallint' || B.base === 'integer')) return true;
  // numeric without precision takes every double (decimalHandlingMode double): finite values as their shortest
  // round-trip decimal, NaN and ±Infinity as themselves (PostgreSQL 14+)
  if (A.base === 'numeric' && A.args.length === 0 && (B.base === 'double precision' || B.base === 'real')) return true;
  const sized = ['character varying', 'bit varying', 'timestamp without time zone', 'timestamp with time zone', 'time without time zone'];
  if (A.base === B.base && sized.includes(A.base)) return A.args.length === 0 || (B.args.length > 0 && A.args[0]! >= B.args[0]!);
  if (A.base === 'text' && (B.base === 'character varying' || B.base === 'character')) return true;
  if (A.base === 'interval' && B.base === 'time without time zone') return true;
  return false;
}

// ---------------------------------------------------------------- values

/** Encodes one non-null wire value of a column as PostgreSQL input text; throws RejectedValue when it cannot. */
export type PgEncoder = (v: unknown) => string;

function noNul(s: string, what: string): string {
  if (s.includes('\u0000')) throw new RejectedValue(`${what} holds a NUL character (U+0000), which PostgreSQL text cannot store`);
  if (!s.isWellFormed()) throw new RejectedValue(`${what} holds an unpaired UTF-16 surrogate, which is not valid UTF-8`);
  return s;
}

const TIME_LIMIT = 86_400_000_000n;

/** PostgreSQL's date, timestamp and timestamptz hold ±infinity as themselves. */
const PG_HOOKS: Hooks = { infinity: (sign) => (sign > 0 ? 'infinity' : '-infinity') };

/** The encoder of a column whose target type is `pgTypeName`. */
export function pgEncoder(col: SinkColumn, pgTypeName: string): PgEncoder {
  const t = col.type;
  const neutral = converterOf(t, PG_HOOKS);
  const what = `column ${col.name}`;
  const isTime = pgTypeName.startsWith('time(') && pgTypeName.endsWith('without time zone');
  if (isTime) {
    return (v) => {
      const us = timeMicros(t, v);
      if (us < 0n || us > TIME_LIMIT) throw new RejectedValue(`${what}: the time ${String(neutral(v))} is outside 00:00–24:00, which PostgreSQL time cannot hold (set timeType: interval)`);
      return String(neutral(v));
    };
  }
  const textOf = (x: SqlValue): string => {
    if (Buffer.isBuffer(x)) return `\\x${x.toString('hex')}`;
    if (typeof x === 'boolean') return x ? 't' : 'f';
    if (typeof x === 'number') return Object.is(x, -0) ? '-0' : String(x);
    if (typeof x === 'bigint') return x.toString();
    return noNul(String(x), what);
  };
  if (t.logical === 'io.debezium.data.Json' || pgTypeName === 'jsonb') {
    return (v) => {
      const s = textOf(neutral(v));
      if (/\\u0000/i.test(s)) throw new RejectedValue(`${what}: the JSON value holds \\u0000, which PostgreSQL jsonb cannot store`);
      return s;
    };
  }
  if (pgTypeName === 'smallint' && (t.connect === 'int32' || t.connect === 'int64')) {
    return (v) => {
      const n = Number(v);
      if (n < -32768 || n > 32767) throw new RejectedValue(`${what}: ${n} is out of range for smallint`);
      return String(n);
    };
  }
  if (pgTypeName === 'numeric' || pgTypeName.startsWith('numeric(')) {
    // Text (decimalHandlingMode string) must be a decimal, NaN or ±Infinity; NaN fits numeric(p,s), ±Infinity only an
    // unconstrained numeric (else the server would fail the whole batch)
    const constrained = pgTypeName !== 'numeric';
    return (v) => {
      const s = textOf(neutral(v));
      if (typeof v === 'string' && !/^(?:[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?|NaN|[+-]?Infinity)$/.test(s)) throw new RejectedValue(`${what}: '${s}' is not a number; the target column is ${pgTypeName}`);
      if (constrained && (s === 'Infinity' || s === '-Infinity')) throw new RejectedValue(`${what}: ${s} does not fit ${pgTypeName}, which holds no infinities; ALTER the target column to numeric (no precision) to keep it`);
      return s;
    };
  }
  return (v) => textOf(neutral(v));
}

/** COPY text format: one field (backslash escapes; null → \N). */
export function copyField(s: string | null): string {
  if (s === null) return '\\N';
  if (!/[\\\n\r\t]/.test(s)) return s;
  return s.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/\r/g, '\\r').replace(/\t/g, '\\t');
}
