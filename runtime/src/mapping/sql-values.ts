/**
 * Between Ferry's wire values (docs/event-format.md) and SQLite values, for expressions, source filters and
 * change-data-type. DMS evaluates all three with SQLite, seeing a row the way its SQLite engine does: temporal values
 * as ISO text ('YYYY-MM-DD HH:MM:SS[.ffffff]'), decimals and integers as numbers, booleans as 1/0, binary as BLOBs.
 * It also maps DMS data types ("data-type": { "type": "int8" }) to Ferry column types, and source columns back to
 * the DMS type names object-locator "data-type" selects by.
 */
import type { Column, FieldType } from '../../../core/src/types.ts';
import { bytesToDecimal } from '../../../schemas/src/decimal.ts';

export type SqlValue = null | number | bigint | string | Uint8Array;

const DECIMAL = 'org.apache.kafka.connect.data.Decimal';
const VARIABLE_SCALE_DECIMAL = 'io.debezium.data.VariableScaleDecimal';

const INTEGER_TYPES: ReadonlySet<string> = new Set(['int8', 'int16', 'int32', 'int64']);

const pad = (n: number, w = 2) => String(n).padStart(w, '0');

/** 'YYYY-MM-DD' of a day count since the epoch. */
export function daysToDate(days: number): string {
  return new Date(days * 86_400_000).toISOString().slice(0, 10);
}

/** 'HH:MM:SS[.ffffff]' of a time of day in microseconds. */
export function microsToTime(us: bigint): string {
  const s = us / 1_000_000n;
  const frac = Number(us % 1_000_000n);
  const base = `${pad(Number(s / 3600n))}:${pad(Number((s / 60n) % 60n))}:${pad(Number(s % 60n))}`;
  return frac === 0 ? base : `${base}.${pad(frac, 6)}`;
}

/** 'YYYY-MM-DD HH:MM:SS[.ffffff]' (UTC) of microseconds since the epoch. */
export function microsToDateTime(us: bigint): string {
  const ms = us / 1000n - (us % 1000n < 0n ? 1n : 0n);
  const d = new Date(Number(ms));
  const frac = Number(((us % 1_000_000n) + 1_000_000n) % 1_000_000n);
  const base = d.toISOString().slice(0, 19).replace('T', ' ');
  return frac === 0 ? base : `${base}.${pad(frac, 6)}`;
}

/** Microseconds since the epoch of 'YYYY-MM-DD[ HH:MM[:SS[.f...]]]' (UTC); undefined when not in that form. */
export function dateTimeToMicros(text: string): bigint | undefined {
  const m = /^(-?\d{4,})-(\d\d)-(\d\d)(?:[ T](\d\d):(\d\d)(?::(\d\d)(?:\.(\d{1,9}))?)?)?(Z|[+-]00:?00)?$/.exec(text.trim());
  if (!m) return undefined;
  const ms = Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]), Number(m[4] ?? 0), Number(m[5] ?? 0), Number(m[6] ?? 0));
  if (Number.isNaN(ms)) return undefined;
  return BigInt(ms) * 1000n + BigInt((m[7] ?? '').padEnd(6, '0').slice(0, 6) || '0');
}

function big(v: unknown): bigint {
  return typeof v === 'bigint' ? v : BigInt(Math.trunc(Number(v)));
}

/** A column value (wire representation of `type`) as SQLite sees it. */
export function toSqlValue(value: unknown, type: FieldType): SqlValue {
  if (value === null || value === undefined) return null;
  switch (type.logical) {
    case DECIMAL: {
      const scale = Number(type.params?.scale ?? 0);
      const text = bytesToDecimal(value as Uint8Array, scale);
      return scale === 0 ? BigInt(text) : Number(text);
    }
    case VARIABLE_SCALE_DECIMAL: {
      const v = value as { scale: number; value: Uint8Array };
      return Number(bytesToDecimal(v.value, v.scale));
    }
    case 'io.debezium.time.Date': case 'org.apache.kafka.connect.data.Date': return daysToDate(Number(value));
    case 'io.debezium.time.Time': case 'org.apache.kafka.connect.data.Time': return microsToTime(big(value) * 1000n);
    case 'io.debezium.time.MicroTime': return microsToTime(big(value));
    case 'io.debezium.time.NanoTime': return microsToTime(big(value) / 1000n);
    case 'io.debezium.time.Timestamp': case 'org.apache.kafka.connect.data.Timestamp': return microsToDateTime(big(value) * 1000n);
    case 'io.debezium.time.MicroTimestamp': return microsToDateTime(big(value));
    case 'io.debezium.time.NanoTimestamp': return microsToDateTime(big(value) / 1000n);
    case 'io.debezium.time.ZonedTimestamp': return String(value).replace('T', ' ').replace(/Z$/, '');
    default: break;
  }
  if (typeof value === 'boolean') return value ? 1 : 0;
  // node:sqlite binds every JS number as REAL; integer columns must be INTEGER for SQLite's integer arithmetic and text.
  if (typeof value === 'number' && INTEGER_TYPES.has(type.type) && Number.isInteger(value)) return BigInt(value);
  if (typeof value === 'number' || typeof value === 'bigint' || typeof value === 'string') return value;
  if (value instanceof Uint8Array) return value;
  return JSON.stringify(value, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v && typeof v === 'object' && (v as { type?: string }).type === 'Buffer' ? Buffer.from((v as { data: number[] }).data).toString('hex') : v));
}

/** The text form of a column value (hash masking, digit masking). */
export function toText(value: unknown, type: FieldType): string | null {
  const v = toSqlValue(value, type);
  if (v === null) return null;
  if (v instanceof Uint8Array) return Buffer.from(v).toString('hex');
  return String(v);
}

/** A DMS data type ("data-type" of add-column / change-data-type) as Ferry knows it. */
export interface DmsType {
  readonly type: string;
  readonly precision?: number;
  readonly scale?: number;
  readonly length?: number;
}

/** How a value of each DMS type is produced from SQLite: the SQL wrapped around the expression, and the wire type. */
interface TargetSpec {
  readonly field: (t: DmsType) => FieldType;
  /** SQL producing the SQLite value to convert; `x` is the expression. */
  readonly sql: (x: string, t: DmsType) => string;
  readonly bigints?: boolean;
}

const int = (type: 'int8' | 'int16' | 'int32' | 'int64'): TargetSpec => ({ field: () => ({ type }), sql: (x) => `CAST((${x}) AS INTEGER)`, bigints: type === 'int64' });
const text: TargetSpec = { field: () => ({ type: 'string' }), sql: (x) => `CAST((${x}) AS TEXT)` };
const bytes: TargetSpec = { field: () => ({ type: 'bytes' }), sql: (x) => `CAST((${x}) AS BLOB)` };

export const DMS_TYPES: Readonly<Record<string, TargetSpec>> = {
  string: text, wstring: text, clob: text, nclob: text,
  int1: int('int8'), int2: int('int16'), int4: int('int32'), int8: int('int64'),
  uint1: int('int16'), uint2: int('int32'), uint4: int('int64'), uint8: int('int64'),
  real4: { field: () => ({ type: 'float32' }), sql: (x) => `CAST((${x}) AS REAL)` },
  real8: { field: () => ({ type: 'float64' }), sql: (x) => `CAST((${x}) AS REAL)` },
  numeric: {
    field: (t) => ({ type: 'bytes', logical: DECIMAL, version: 1, params: { scale: String(t.scale ?? 0), 'connect.decimal.precision': String(t.precision ?? 38) } }),
    // printf gives the exact decimal text of SQLite's value rounded to the scale (no exponent).
    sql: (x, t) => `printf('%.${t.scale ?? 0}f', (${x}))`,
  },
  boolean: { field: () => ({ type: 'boolean' }), sql: (x) => `CAST((${x}) AS INTEGER)` },
  date: { field: () => ({ type: 'int32', logical: 'io.debezium.time.Date', version: 1 }), sql: (x) => `date(${x})` },
  time: { field: () => ({ type: 'int64', logical: 'io.debezium.time.MicroTime', version: 1 }), sql: (x) => `CAST((${x}) AS TEXT)` },
  datetime: { field: () => ({ type: 'int64', logical: 'io.debezium.time.MicroTimestamp', version: 1 }), sql: (x) => `CAST((${x}) AS TEXT)` },
  bytes, blob: bytes,
};

/** A rule's "data-type" as numbers; an empty string (DMS's own examples write "scale": "") means not given. */
export function dmsType(dt: { type: string; precision?: string | number | undefined; scale?: string | number | undefined; length?: string | number | undefined }): DmsType {
  const given = (v: string | number | undefined) => v !== undefined && v !== '';
  return {
    type: dt.type,
    ...(given(dt.precision) ? { precision: Number(dt.precision) } : {}),
    ...(given(dt.scale) ? { scale: Number(dt.scale) } : {}),
    ...(given(dt.length) ? { length: Number(dt.length) } : {}),
  };
}

/** The DMS type name of a source column, for object-locator "data-type". */
export function dmsTypeOf(column: Column): string {
  const t = column.type;
  switch (t.logical) {
    case DECIMAL: case VARIABLE_SCALE_DECIMAL: return 'numeric';
    case 'io.debezium.time.Date': case 'org.apache.kafka.connect.data.Date': return 'date';
    case 'io.debezium.time.Time': case 'io.debezium.time.MicroTime': case 'io.debezium.time.NanoTime': case 'org.apache.kafka.connect.data.Time': return 'time';
    case 'io.debezium.time.Timestamp': case 'io.debezium.time.MicroTimestamp': case 'io.debezium.time.NanoTimestamp':
    case 'io.debezium.time.ZonedTimestamp': case 'org.apache.kafka.connect.data.Timestamp': return 'datetime';
    default: break;
  }
  switch (t.type) {
    case 'int8': return 'int1';
    case 'int16': return 'int2';
    case 'int32': return 'int4';
    case 'int64': return 'int8';
    case 'float32': return 'real4';
    case 'float64': return 'real8';
    case 'boolean': return 'boolean';
    case 'bytes': return /blob/i.test(column.sourceType) ? 'blob' : 'bytes';
    case 'string': return /text|clob|json|xml/i.test(column.sourceType) ? 'clob' : 'string';
    default: return 'string';
  }
}

/** Whether a column is a LOB in DMS's sense (BLOB/CLOB/TEXT/JSON...). */
export function isLob(column: Column): boolean {
  return /blob|text|clob|json|xml|bytea|longvarchar/i.test(column.sourceType);
}

/** Whether SQLite should compare the column as a number (NUMERIC affinity) when filtering. */
export function isNumeric(type: FieldType): boolean {
  if (type.logical === DECIMAL || type.logical === VARIABLE_SCALE_DECIMAL || type.logical === 'io.debezium.time.Year') return true;
  if (type.logical !== undefined) return false;
  return ['int8', 'int16', 'int32', 'int64', 'float32', 'float64', 'boolean'].includes(type.type);
}
