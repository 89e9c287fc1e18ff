/**
 * Debezium wire values → JSON values (the DMS-style JSON of the Kinesis sink, object-mapping attributes and templates),
 * per column type (cached per SinkTable):
 *
 *   Decimal, VariableScaleDecimal        exact decimal text            "12345.67"
 *   int64 beyond ±2^53                   decimal text                  "9223372036854775807"
 *   Timestamp / MicroTimestamp / Nano    ISO text without zone (UTC)   "2024-01-02T03:04:05.654321"
 *   ZonedTimestamp                       as sent                       "2024-01-02T03:04:05.654321Z"
 *   Date                                 "YYYY-MM-DD";  Time/MicroTime/NanoTime "HH:MM:SS.ffffff"
 *   bytes, Bits                          base64 (DMS writes binary as base64)
 *   Geometry, Geography, Point           { "wkb": base64, "srid": n }
 *   float NaN/±Infinity                  "NaN", "Infinity", "-Infinity"
 *   everything else (strings, JSON documents as text, booleans, small integers) as is.
 */
import { bytesToDecimal } from '../../../schemas/src/decimal.ts';
import { decimalOf } from '../sink-worker/avro-table.ts';
import type { Row } from '../../../core/src/types.ts';
import type { SinkFieldType, SinkTable } from '../../../core/src/record-sink.ts';

export type JsonConverter = (v: unknown) => unknown;

const MICROS_PER_DAY = 86_400_000_000n;

function toBig(v: unknown): bigint {
  return typeof v === 'bigint' ? v : BigInt(Math.trunc(Number(v)));
}

/** µs since the epoch → 'YYYY-MM-DDTHH:MM:SS.ffffff' (UTC, no zone). */
export function microsToText(us: bigint): string {
  let sec = us / 1_000_000n;
  let frac = us % 1_000_000n;
  if (frac < 0n) { frac += 1_000_000n; sec -= 1n; }
  const d = new Date(Number(sec) * 1000);
  return `${d.toISOString().slice(0, 19)}.${frac.toString().padStart(6, '0')}`;
}

function timeText(us: bigint): string {
  if (us < 0n || us > MICROS_PER_DAY) return us.toString();
  const p = (n: bigint, w = 2) => n.toString().padStart(w, '0');
  return `${p(us / 3_600_000_000n)}:${p((us / 60_000_000n) % 60n)}:${p((us / 1_000_000n) % 60n)}.${p(us % 1_000_000n, 6)}`;
}

function dateText(days: number): string {
  return new Date(days * 86_400_000).toISOString().slice(0, 10);
}

const b64 = (v: unknown) => Buffer.from(v as Uint8Array).toString('base64');

function float(v: unknown): unknown {
  const n = v as number;
  return Number.isFinite(n) ? n : String(n);
}

function int64(v: unknown): unknown {
  if (typeof v === 'bigint') return v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v.toString();
  return v;
}

export function jsonConverter(t: SinkFieldType): JsonConverter {
  switch (t.logical) {
    case 'org.apache.kafka.connect.data.Decimal': {
      const { scale } = decimalOf(t);
      return (v) => bytesToDecimal(v as Uint8Array, scale);
    }
    case 'io.debezium.data.VariableScaleDecimal':
      return (v) => { const x = v as { scale: number; value: Uint8Array }; return bytesToDecimal(x.value, x.scale); };
    case 'io.debezium.time.Date':
    case 'org.apache.kafka.connect.data.Date':
      return (v) => dateText(v as number);
    case 'io.debezium.time.Time':
    case 'org.apache.kafka.connect.data.Time':
      return (v) => timeText(toBig(v) * 1000n);
    case 'io.debezium.time.MicroTime':
      return (v) => timeText(toBig(v));
    case 'io.debezium.time.NanoTime':
      return (v) => timeText(toBig(v) / 1000n);
    case 'io.debezium.time.Timestamp':
    case 'org.apache.kafka.connect.data.Timestamp':
      return (v) => microsToText(toBig(v) * 1000n);
    case 'io.debezium.time.MicroTimestamp':
      return (v) => microsToText(toBig(v));
    case 'io.debezium.time.NanoTimestamp':
      return (v) => { const ns = toBig(v); const us = ns / 1000n; return `${microsToText(us)}${(((ns % 1000n) + 1000n) % 1000n).toString().padStart(3, '0')}`; };
    case 'io.debezium.data.geometry.Geometry':
    case 'io.debezium.data.geometry.Geography':
      return (v) => { const g = v as { wkb: Uint8Array; srid: number | null }; return { wkb: b64(g.wkb), srid: g.srid ?? null }; };
    case 'io.debezium.data.geometry.Point':
      return (v) => { const p = v as { x: number; y: number; wkb: Uint8Array | null; srid: number | null }; return { x: p.x, y: p.y, wkb: p.wkb ? b64(p.wkb) : null, srid: p.srid ?? null }; };
  }
  switch (t.connect) {
    case 'bytes': return b64;
    case 'int64': return int64;
    case 'float32':
    case 'float64': return float;
    case 'struct':
    case 'array':
    case 'map':
      return (v) => JSON.parse(JSON.stringify(v, (_k, x: unknown) => (typeof x === 'bigint' ? x.toString() : x instanceof Uint8Array ? b64(x) : x)) ?? 'null') as unknown;
    default: return (v) => v;
  }
}

interface TableConverters {
  readonly names: readonly string[];
  readonly convert: readonly JsonConverter[];
}

const cache = new WeakMap<SinkTable, TableConverters>();

function converters(table: SinkTable): TableConverters {
  let c = cache.get(table);
  if (c === undefined) {
    c = { names: table.columns.map((x) => x.name), convert: table.columns.map((x) => jsonConverter(x.type)) };
    cache.set(table, c);
  }
  return c;
}

/** A row as a JSON object in column order; NULL columns are kept (or left out when `includeNull` is false). */
export function rowToJson(table: SinkTable, row: Row, includeNull: boolean): Record<string, unknown> {
  const { names, convert } = converters(table);
  const out: Record<string, unknown> = {};
  for (let i = 0; i < names.length; i++) {
    const name = names[i]!;
    const v = row[name];
    if (v === null || v === undefined) {
      if (includeNull) out[name] = null;
    } else {
      out[name] = convert[i]!(v);
    }
  }
  return out;
}

/** One column's value as text (partition keys): JSON value, strings unquoted. */
export function columnText(table: SinkTable, row: Row, column: string): string | null {
  const { names, convert } = converters(table);
  const i = names.indexOf(column);
  const v = row[column];
  if (i < 0 || v === null || v === undefined) return null;
  const j = convert[i]!(v);
  return typeof j === 'string' ? j : JSON.stringify(j);
}

/** Column `index`'s (non-null) value as text: its JSON value, strings unquoted (object-mapping templates). */
export function valueText(table: SinkTable, index: number, v: unknown): string {
  const j = converters(table).convert[index]!(v);
  return typeof j === 'string' ? j : JSON.stringify(j);
}

/** Column `index`'s (non-null) value as its JSON value. */
export function valueJson(table: SinkTable, index: number, v: unknown): unknown {
  return converters(table).convert[index]!(v);
}
