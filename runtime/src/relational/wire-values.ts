/**
 * Debezium wire values (docs/event-format.md §5) → engine-neutral SQL values, for the relational sinks
 * (sinks/postgres, sinks/mysql). Nothing here knows a target engine: each value becomes the SQL-standard text form
 * that PostgreSQL and MySQL/MariaDB both parse for the natural column type, or a JS primitive the dialect encodes.
 *
 *   Decimal / VariableScaleDecimal        '-12.340' (plain decimal text, exact, never an exponent)
 *   Date / connect Date                   'YYYY-MM-DD' (years beyond 9999 and before 1 kept: 'YYYYY-…' / ' BC' is the dialect's)
 *   Timestamp / Micro / Nano / connect    'YYYY-MM-DD HH:MM:SS.ffffff' (no zone); sub-µs nanoseconds are refused
 *   Time / MicroTime / NanoTime           '[-]H…H:MM:SS.ffffff' (MySQL TIME may be negative or beyond 24 h: see timeMicros)
 *   MicroDuration / NanoDuration          the same '[-]H…H:MM:SS.ffffff' text (an interval)
 *   Interval (PG interval.handling.mode=string)  the ISO 8601 text as sent ('P1Y2M3DT4H5M6.78S')
 *   io.ferry.data.BitString               the bit string as sent ('01')
 *   Date / Timestamp ±infinity sentinels  the dialect's Hooks.infinity (PostgreSQL: 'infinity'; MySQL: RejectedValue)
 *   ZonedTimestamp / ZonedTime            the ISO-8601 text as sent
 *   Bits                                  '0101…' most significant bit first, `length` digits
 *   Geometry / Geography / Point          Buffer: the WKB (a Point without WKB gets one built from x, y)
 *   bytes                                 Buffer
 *   array / map                           JSON text (Buffers as base64, as Debezium's JSON converter does)
 *   boolean / numbers / strings           as they are (int64 may be a bigint)
 *
 * A value no engine-neutral form can carry exactly throws RejectedValue; the sink dead-letters that record.
 */
import { civilFromDays } from '../../../core/src/civil-days.ts';
import type { SinkFieldType } from '../../../core/src/record-sink.ts';
import { bytesToDecimal } from '../../../schemas/src/decimal.ts';

/** A value the target cannot hold exactly: the record goes to the dead-letter queue with this reason. */
export class RejectedValue extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'RejectedValue';
  }
}

export type SqlValue = string | number | bigint | boolean | Buffer | null;

/** The engine-neutral form of one non-null wire value. */
export type ValueConverter = (v: unknown) => SqlValue;

const p2 = (n: number): string => String(n).padStart(2, '0');
const toBig = (v: unknown): bigint => (typeof v === 'bigint' ? v : BigInt(v as number));

/** Days since the epoch → 'YYYY-MM-DD' (astronomical year numbering; years outside 0..9999 keep their digits). */
export function dateText(days: number): string {
  const [y, m, d] = civilFromDays(days);
  const year = y < 0 ? `-${String(-y).padStart(4, '0')}` : String(y).padStart(4, '0');
  return `${year}-${p2(m)}-${p2(d)}`;
}

/** µs since the epoch → 'YYYY-MM-DD HH:MM:SS.ffffff'. */
export function timestampText(micros: bigint | number): string {
  if (typeof micros === 'number') {
    if (Number.isSafeInteger(micros)) {
      const day = Math.floor(micros / 86_400_000_000);
      const us = micros - day * 86_400_000_000;
      const secs = Math.floor(us / 1_000_000);
      const h = Math.floor(secs / 3600);
      return `${dateText(day)} ${p2(h)}:${p2(Math.floor(secs / 60) % 60)}:${p2(secs % 60)}.${String(us % 1_000_000).padStart(6, '0')}`;
    }
    micros = BigInt(micros);
  }
  const day = micros / 86_400_000_000n - (micros % 86_400_000_000n < 0n ? 1n : 0n);
  const inDay = micros - day * 86_400_000_000n;
  return `${dateText(Number(day))} ${clockText(inDay)}`;
}

/** µs within a day (0 ≤ us) → 'HH:MM:SS.ffffff' (hours may exceed 23). */
function clockText(us: bigint): string {
  const secs = us / 1_000_000n;
  const frac = String(us % 1_000_000n).padStart(6, '0');
  const h = secs / 3600n;
  const m = (secs / 60n) % 60n;
  const s = secs % 60n;
  return `${h.toString().padStart(2, '0')}:${p2(Number(m))}:${p2(Number(s))}.${frac}`;
}

/** A signed duration in µs → '[-]HH:MM:SS.ffffff' (MySQL TIME, PostgreSQL interval and time all parse it). */
export function durationText(micros: bigint): string {
  return micros < 0n ? `-${clockText(-micros)}` : clockText(micros);
}

/** Debezium Bits (little-endian bytes, BitSet.toByteArray) → '0101…', most significant bit first. */
export function bitsText(b: Uint8Array, length: number): string {
  let s = '';
  for (let i = length - 1; i >= 0; i--) s += ((b[i >> 3] ?? 0) >> (i & 7)) & 1 ? '1' : '0';
  for (let i = length; i < b.length * 8; i++) {
    if (((b[i >> 3]! >> (i & 7)) & 1) === 1) throw new RejectedValue(`a BIT value has bit ${i} set, beyond its declared length ${length}`);
  }
  return s;
}

/** WKB of a point (little-endian, type 1). */
export function pointWkb(x: number, y: number): Buffer {
  const b = Buffer.alloc(21);
  b[0] = 1;
  b.writeUInt32LE(1, 1);
  b.writeDoubleLE(x, 5);
  b.writeDoubleLE(y, 13);
  return b;
}

function jsonReplacer(_k: string, v: unknown): unknown {
  if (typeof v === 'bigint') return Number.isSafeInteger(Number(v)) ? Number(v) : v.toString();
  if (v !== null && typeof v === 'object' && (v as { type?: unknown }).type === 'Buffer' && Array.isArray((v as { data?: unknown }).data)) {
    return Buffer.from((v as { data: number[] }).data).toString('base64');
  }
  if (v instanceof Map) return Object.fromEntries(v);
  return v;
}

/** A nanosecond count → µs, refusing to drop non-zero nanoseconds. */
function nanosToMicros(n: bigint, what: string): bigint {
  if (n % 1000n !== 0n) throw new RejectedValue(`${what} ${n} ns has sub-microsecond digits; the target keeps microseconds (the value would be altered)`);
  return n / 1000n;
}

/** Microseconds of a Time/MicroTime/NanoTime wire value (may be negative or ≥ 24 h for MySQL TIME). */
export function timeMicros(t: SinkFieldType, v: unknown): bigint {
  switch (t.logical) {
    case 'io.debezium.time.Time':
    case 'org.apache.kafka.connect.data.Time': return toBig(v) * 1000n;
    case 'io.debezium.time.NanoTime': return nanosToMicros(toBig(v), 'a time of');
    default: return toBig(v);
  }
}

const DECIMAL = 'org.apache.kafka.connect.data.Decimal';

/**
 * Debezium's values for PostgreSQL's ±infinity (PostgresValueConverter, pgjdbc's DATE_POSITIVE/NEGATIVE_INFINITY
 * sentinels): the day numbers of -5877611-06-21 / -22 for a date, those microsecond counts for MicroTimestamp (÷1000
 * for Timestamp); a ZonedTimestamp carries the strings 'infinity' / '-infinity'. No real date or timestamp of
 * PostgreSQL's range has these values.
 */
export const INFINITY_SENTINELS = {
  dateDays: { pos: -2147472692, neg: -2147472691 },
  micros: { pos: 9223372036825200000n, neg: -9223372036832400000n },
} as const;

/** What the target does with ±infinity: a value to write, or throw RejectedValue (the target cannot hold it). */
export interface Hooks {
  infinity(sign: 1 | -1, kind: 'date' | 'timestamp'): SqlValue;
}

/** Without a dialect's hooks: ±infinity is refused. */
const REFUSE: Hooks = {
  infinity(sign, kind) {
    throw new RejectedValue(`PostgreSQL's ${sign < 0 ? '-' : ''}infinity ${kind} (Debezium's sentinel value) has no form in this target`);
  },
};

/** ±1 when `v` (days) is a date sentinel, else 0. */
function dateInfinity(v: unknown): 0 | 1 | -1 {
  const d = Number(v);
  return d === INFINITY_SENTINELS.dateDays.pos ? 1 : d === INFINITY_SENTINELS.dateDays.neg ? -1 : 0;
}

/** ±1 when `micros` is a timestamp sentinel, else 0. */
function timestampInfinity(micros: bigint): 0 | 1 | -1 {
  return micros === INFINITY_SENTINELS.micros.pos ? 1 : micros === INFINITY_SENTINELS.micros.neg ? -1 : 0;
}

/** µs → timestamp text, or the hook's value for a ±infinity sentinel (huge values only: the check costs nothing else). */
function timestampOrInfinity(micros: bigint | number, hooks: Hooks): SqlValue {
  if (typeof micros === 'number' && Number.isSafeInteger(micros)) return timestampText(micros);
  const big = toBig(micros);
  const inf = timestampInfinity(big);
  return inf === 0 ? timestampText(big) : hooks.infinity(inf, 'timestamp');
}

/** The converter of a column type; cache it per SinkTable column. `hooks`: the target dialect's (default: refuse ±infinity). */
export function converterOf(t: SinkFieldType, hooks: Hooks = REFUSE): ValueConverter {
  switch (t.logical) {
    case DECIMAL: {
      const scale = Number(t.params?.scale ?? 0);
      return (v) => bytesToDecimal(v as Uint8Array, scale);
    }
    case 'io.debezium.data.VariableScaleDecimal':
      return (v) => {
        const x = v as { scale: number; value: Uint8Array };
        return bytesToDecimal(x.value, x.scale);
      };
    case 'io.debezium.time.Date':
    case 'org.apache.kafka.connect.data.Date':
      return (v) => {
        const inf = dateInfinity(v);
        return inf === 0 ? dateText(Number(v)) : hooks.infinity(inf, 'date');
      };
    case 'io.debezium.time.Timestamp':
    case 'org.apache.kafka.connect.data.Timestamp': return (v) => timestampOrInfinity(toBig(v) * 1000n, hooks);
    case 'io.debezium.time.MicroTimestamp': return (v) => timestampOrInfinity(typeof v === 'number' ? v : toBig(v), hooks);
    case 'io.debezium.time.NanoTimestamp': return (v) => timestampText(nanosToMicros(toBig(v), 'a timestamp of'));
    case 'io.debezium.time.Time':
    case 'io.debezium.time.MicroTime':
    case 'io.debezium.time.NanoTime':
    case 'org.apache.kafka.connect.data.Time': return (v) => durationText(timeMicros(t, v));
    case 'io.debezium.time.MicroDuration': return (v) => durationText(toBig(v));
    case 'io.debezium.time.NanoDuration': return (v) => durationText(nanosToMicros(toBig(v), 'a duration of'));
    case 'io.debezium.data.Bits': {
      const length = Number(t.params?.length ?? 0);
      return (v) => bitsText(v as Uint8Array, length > 0 ? length : (v as Uint8Array).length * 8);
    }
    case 'io.debezium.data.geometry.Geometry':
    case 'io.debezium.data.geometry.Geography': return (v) => Buffer.from((v as { wkb: Uint8Array }).wkb);
    case 'io.debezium.data.geometry.Point':
      return (v) => {
        const p = v as { x: number; y: number; wkb: Uint8Array | null };
        return p.wkb ? Buffer.from(p.wkb) : pointWkb(p.x, p.y);
      };
  }
  switch (t.connect) {
    case 'bytes': return (v) => (Buffer.isBuffer(v) ? v : Buffer.from(v as Uint8Array));
    case 'array':
    case 'map':
    case 'struct': return (v) => JSON.stringify(v, jsonReplacer);
    case 'boolean': return (v) => Boolean(v);
    case 'string': return (v) => String(v);
    default: return (v) => v as number | bigint;
  }
}

/**
 * The source connector of a table's events, read from the Envelope schema's `source` struct name
 * (io.debezium.connector.<connector>.Source, as Ferry and Debezium write it): 'mysql', 'mariadb', 'postgresql', or
 * null when the schema does not say. Type maps use it where one Debezium type covers different source types
 * (MicroTime: MySQL TIME, which may be negative or beyond 24 h, vs PostgreSQL time).
 */
export function sourceConnectorOf(valueSchema: { readonly fields?: readonly unknown[] }): string | null {
  const f = (valueSchema.fields ?? []).find((x) => (x as { name?: unknown }).name === 'source') as { type?: unknown } | undefined;
  const t = f?.type as { 'connect.name'?: unknown; name?: unknown; namespace?: unknown } | undefined;
  if (t === undefined || typeof t !== 'object') return null;
  const full = typeof t['connect.name'] === 'string' ? t['connect.name']
    : typeof t.namespace === 'string' && typeof t.name === 'string' ? `${t.namespace}.${t.name}` : typeof t.name === 'string' ? t.name : '';
  const m = /^io\.debezium\.connector\.([a-z0-9]+)\.Source$/.exec(full);
  return m ? m[1]! : null;
}
