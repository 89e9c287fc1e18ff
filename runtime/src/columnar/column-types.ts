/**
 * Debezium column types → DuckDB column types (and so Parquet types), with a fast writer per type that puts a
 * wire-representation value (docs/event-format.md §5) into a DuckDB vector. The table is in docs/sinks/s3-lake.md.
 *
 * A value the target type cannot hold (a Decimal wider than its declared precision, a MySQL TIME outside one day,
 * an unparsable ZonedTimestamp) throws ValueRejected: the sink rejects that record to the dead-letter queue.
 */
import {
  BIGINT, BLOB, BOOLEAN, DATE, DECIMAL, DOUBLE, FLOAT, INTEGER, SMALLINT, TIME, TIMESTAMP, TIMESTAMP_NS, TIMESTAMPTZ, TINYINT, VARCHAR,
  type DuckDBType,
} from '@duckdb/node-api';
import type { SinkColumn, SinkFieldType } from '../../../core/src/record-sink.ts';
import { decimalOf } from '../sink-worker/avro-table.ts';
import { bytesToDecimal, bytesToUnscaled } from '../../../schemas/src/decimal.ts';

export class ValueRejected extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ValueRejected';
  }
}

/** A DuckDB vector's write side (DuckDBVector subclasses; setItem takes the type's JS form). */
export interface WritableVector {
  setItem(index: number, value: unknown): void;
  flush(): void;
}

/** How one column is stored: its DuckDB type, SQL spelling and a writer for non-null values. */
export interface ColumnCodec {
  readonly duckType: DuckDBType;
  /** The SQL type, e.g. 'DECIMAL(12,2)', 'TIMESTAMP', 'VARCHAR'. */
  readonly sql: string;
  /** Writes a non-null value at `i`. */
  readonly put: (vec: WritableVector, i: number, v: unknown) => void;
  /** What the type means, for docs and errors. */
  readonly note: string;
}

const DEC = 'org.apache.kafka.connect.data.Decimal';
const MICROS_PER_DAY = 86_400_000_000;

// Scratch objects: these DuckDB vectors copy `.micros` / `.value` / `.days` / `.nanos` into their buffers at once.
const ts = { micros: 0n };
const tsNs = { nanos: 0n };
const dec = { value: 0n as bigint | number };
const day = { days: 0 };

const toBig = (v: unknown): bigint => (typeof v === 'bigint' ? v : BigInt(v as number));

/** µs since the epoch from ms (number or bigint), exact. */
function msToMicros(v: unknown): bigint {
  if (typeof v === 'number' && Math.abs(v) < 9e12) return BigInt(v * 1000);
  return toBig(v) * 1000n;
}

const putNumber = (vec: WritableVector, i: number, v: unknown) => vec.setItem(i, v);

const TWO32 = 4294967296;
const int32Views = new WeakMap<ArrayBuffer, Int32Array>();

/**
 * Writes a safe-integer number into a 64-bit DuckDB vector slot (BIGINT, TIMESTAMP[TZ], TIME, DECIMAL(≤18)) as two
 * 32-bit halves, avoiding a BigInt allocation per value (the vector's own setItem takes a BigInt). Falls back to
 * setItem when the vector does not look as expected.
 */
function putInt64Number(vec: WritableVector, i: number, n: number, wrap: (b: bigint) => unknown): void {
  const v = vec as unknown as { items?: unknown; dataView?: unknown; validity?: { setItemValid(i: number, valid: boolean): void } };
  const arr = v.items instanceof BigInt64Array ? v.items : v.dataView instanceof DataView ? v.dataView : null;
  if (arr === null || v.validity === undefined || !Number.isSafeInteger(n) || arr.byteOffset % 4 !== 0) {
    vec.setItem(i, wrap(BigInt(n)));
    return;
  }
  let view = int32Views.get(arr.buffer as ArrayBuffer);
  if (view === undefined) {
    view = new Int32Array(arr.buffer, 0, Math.floor(arr.buffer.byteLength / 4));
    int32Views.set(arr.buffer as ArrayBuffer, view);
  }
  const hi = Math.floor(n / TWO32);
  const base = (arr.byteOffset >> 2) + i * 2;
  view[base] = (n - hi * TWO32) | 0;
  view[base + 1] = hi;
  v.validity.setItemValid(i, true);
}

const putBigint = (vec: WritableVector, i: number, v: unknown) => {
  if (typeof v === 'number') putInt64Number(vec, i, v, (b) => b);
  else vec.setItem(i, toBig(v));
};
const microsValue = (b: bigint) => ({ micros: b });
const putString = (vec: WritableVector, i: number, v: unknown) => vec.setItem(i, typeof v === 'string' ? v : String(v));
// The BLOB vector keeps the value object until flush(), so this one cannot be a scratch object.
const putBlob = (vec: WritableVector, i: number, v: unknown) => vec.setItem(i, { bytes: v as Uint8Array });

/**
 * ISO-8601 instant with an offset (Debezium ZonedTimestamp: '2024-01-01T10:00:00.123456Z', '...+02:00') → µs since
 * the epoch. null when it is not one.
 */
export function zonedToMicros(s: string): bigint | null {
  const m = /^(-?\d{4,6})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?(Z|[+-]\d{2}(?::?\d{2})?)$/.exec(s);
  if (!m) return null;
  const [, y, mo, d, h, mi, se, frac, zone] = m;
  const ms = Date.UTC(Number(y), Number(mo) - 1, Number(d), Number(h), Number(mi), Number(se));
  if (!Number.isFinite(ms) || Number(mo) > 12 || Number(d) > 31 || Number(h) > 23 || Number(mi) > 59 || Number(se) > 60) return null;
  let offsetMin = 0;
  if (zone !== 'Z') {
    const z = zone!.replace(':', '');
    offsetMin = (z[0] === '-' ? -1 : 1) * (Number(z.slice(1, 3)) * 60 + Number(z.slice(3, 5) || '0'));
  }
  const micros = Number((frac ?? '').padEnd(6, '0').slice(0, 6));
  return (BigInt(ms) - BigInt(offsetMin) * 60_000n) * 1000n + BigInt(micros);
}

/** An ISO-8601 rendering of µs since the epoch ('2024-01-01 10:00:00.123456'), UTC, for partition values and CSV. */
export function microsToIso(us: bigint): string {
  const ms = Number(us / 1000n) - (us % 1000n < 0n ? 1 : 0);
  const d = new Date(ms);
  const frac = ((us % 1_000_000n) + 1_000_000n) % 1_000_000n;
  return `${d.toISOString().slice(0, 19).replace('T', ' ')}.${frac.toString().padStart(6, '0')}`;
}

/** WKB of a POINT (little endian), for Point values that come without one. */
function pointWkb(x: number, y: number): Buffer {
  const b = Buffer.alloc(21);
  b[0] = 1;
  b.writeUInt32LE(1, 1);
  b.writeDoubleLE(x, 5);
  b.writeDoubleLE(y, 13);
  return b;
}

function decimalCodec(t: SinkFieldType): ColumnCodec {
  const { scale, precision } = decimalOf(t);
  if (precision === null || precision > 38 || precision < 1 || scale > precision || scale < 0) {
    return {
      duckType: VARCHAR, sql: 'VARCHAR', note: `decimal text (precision ${precision ?? 'unknown'} does not fit Parquet DECIMAL(38))`,
      put: (vec, i, v) => vec.setItem(i, bytesToDecimal(v as Uint8Array, scale)),
    };
  }
  const limit = 10n ** BigInt(precision);
  const limitNum = precision <= 15 ? 10 ** precision : Infinity;
  const small = precision <= 9;
  return {
    duckType: DECIMAL(precision, scale), sql: `DECIMAL(${precision},${scale})`, note: 'exact decimal',
    put: (vec, i, v) => {
      const b = v as Buffer;
      if (b.length <= 6) {
        const n = b.length === 0 ? 0 : b.readIntBE(0, b.length);
        if (n >= limitNum || n <= -limitNum) throw new ValueRejected(`decimal ${bytesToDecimal(b, scale)} does not fit DECIMAL(${precision},${scale})`);
        if (precision <= 9) dec.value = n;
        else if (precision <= 18) return putInt64Number(vec, i, n, (x) => ({ value: x }));
        else dec.value = BigInt(n);
      } else {
        const u = bytesToUnscaled(b);
        if (u >= limit || u <= -limit) throw new ValueRejected(`decimal ${bytesToDecimal(b, scale)} does not fit DECIMAL(${precision},${scale})`);
        dec.value = small ? Number(u) : u;
      }
      vec.setItem(i, dec);
    },
  };
}

/** The codec of a column type. */
export function codecOf(t: SinkFieldType): ColumnCodec {
  switch (t.logical) {
    case DEC:
      return decimalCodec(t);
    case 'io.debezium.data.VariableScaleDecimal':
      return {
        duckType: VARCHAR, sql: 'VARCHAR', note: 'decimal text (variable scale)',
        put: (vec, i, v) => {
          const x = v as { scale: number; value: Uint8Array };
          vec.setItem(i, bytesToDecimal(x.value, x.scale));
        },
      };
    case 'io.debezium.time.Date':
    case 'org.apache.kafka.connect.data.Date':
      return { duckType: DATE, sql: 'DATE', note: 'days since the epoch', put: (vec, i, v) => { day.days = v as number; vec.setItem(i, day); } };
    case 'io.debezium.time.Time':
    case 'org.apache.kafka.connect.data.Time':
    case 'io.debezium.time.MicroTime':
    case 'io.debezium.time.NanoTime': {
      const unit = t.logical === 'io.debezium.time.MicroTime' ? 'us' : t.logical === 'io.debezium.time.NanoTime' ? 'ns' : 'ms';
      return {
        duckType: TIME, sql: 'TIME', note: 'time of day, µs',
        put: (vec, i, v) => {
          const n = Number(v);
          const us = unit === 'us' ? n : unit === 'ms' ? n * 1000 : Math.floor(n / 1000);
          if (!(us >= 0 && us <= MICROS_PER_DAY)) throw new ValueRejected(`time ${n} ${unit} is outside one day (a MySQL TIME used as a duration cannot be a Parquet TIME)`);
          ts.micros = BigInt(us);
          vec.setItem(i, ts);
        },
      };
    }
    case 'io.debezium.time.Timestamp':
    case 'org.apache.kafka.connect.data.Timestamp':
      return {
        duckType: TIMESTAMP, sql: 'TIMESTAMP', note: 'timestamp without zone, µs',
        put: (vec, i, v) => {
          if (typeof v === 'number' && Math.abs(v) < 9e12) putInt64Number(vec, i, v * 1000, microsValue);
          else { ts.micros = msToMicros(v); vec.setItem(i, ts); }
        },
      };
    case 'io.debezium.time.MicroTimestamp':
      return {
        duckType: TIMESTAMP, sql: 'TIMESTAMP', note: 'timestamp without zone, µs',
        put: (vec, i, v) => { if (typeof v === 'number') putInt64Number(vec, i, v, microsValue); else { ts.micros = toBig(v); vec.setItem(i, ts); } },
      };
    case 'io.debezium.time.NanoTimestamp':
      return { duckType: TIMESTAMP_NS, sql: 'TIMESTAMP_NS', note: 'timestamp without zone, ns', put: (vec, i, v) => { tsNs.nanos = toBig(v); vec.setItem(i, tsNs); } };
    case 'io.debezium.time.ZonedTimestamp':
      return {
        duckType: TIMESTAMPTZ, sql: 'TIMESTAMPTZ', note: 'instant (UTC-adjusted), µs',
        put: (vec, i, v) => {
          const us = zonedToMicros(String(v));
          if (us === null) throw new ValueRejected(`${JSON.stringify(v)} is not an ISO-8601 timestamp with an offset`);
          ts.micros = us;
          vec.setItem(i, ts);
        },
      };
    case 'io.debezium.data.Bits':
      return { duckType: BLOB, sql: 'BLOB', note: 'bits, little-endian bytes', put: putBlob };
    case 'io.debezium.data.geometry.Geometry':
    case 'io.debezium.data.geometry.Geography':
      return { duckType: BLOB, sql: 'BLOB', note: 'WKB (srid dropped)', put: (vec, i, v) => putBlob(vec, i, (v as { wkb: Uint8Array }).wkb) };
    case 'io.debezium.data.geometry.Point':
      return {
        duckType: BLOB, sql: 'BLOB', note: 'WKB (srid dropped)',
        put: (vec, i, v) => {
          const p = v as { x: number; y: number; wkb: Uint8Array | null };
          putBlob(vec, i, p.wkb ?? pointWkb(p.x, p.y));
        },
      };
  }
  switch (t.connect) {
    case 'int8': return { duckType: TINYINT, sql: 'TINYINT', note: '8-bit integer', put: putNumber };
    case 'int16': return { duckType: SMALLINT, sql: 'SMALLINT', note: '16-bit integer', put: putNumber };
    case 'int32': return { duckType: INTEGER, sql: 'INTEGER', note: '32-bit integer', put: putNumber };
    case 'int64': return { duckType: BIGINT, sql: 'BIGINT', note: '64-bit integer', put: putBigint };
    case 'float32': return { duckType: FLOAT, sql: 'FLOAT', note: '32-bit float', put: putNumber };
    case 'float64': return { duckType: DOUBLE, sql: 'DOUBLE', note: '64-bit float', put: putNumber };
    case 'boolean': return { duckType: BOOLEAN, sql: 'BOOLEAN', note: 'boolean', put: putNumber };
    case 'string': return { duckType: VARCHAR, sql: 'VARCHAR', note: 'UTF-8 string', put: putString };
    case 'bytes': return { duckType: BLOB, sql: 'BLOB', note: 'bytes', put: putBlob };
    default:
      return {
        duckType: VARCHAR, sql: 'VARCHAR', note: 'JSON text',
        put: (vec, i, v) => vec.setItem(i, JSON.stringify(v, (_k, x: unknown) => (typeof x === 'bigint' ? x.toString() : x))),
      };
  }
}

export function columnCodec(c: SinkColumn): ColumnCodec {
  return codecOf(c.type);
}

/** An instant given as µs since the epoch (bigint or number) → TIMESTAMPTZ. For commit timestamps. */
export const INSTANT_MICROS: ColumnCodec = {
  duckType: TIMESTAMPTZ, sql: 'TIMESTAMPTZ', note: 'instant (UTC-adjusted), µs',
  put: (vec, i, v) => { if (typeof v === 'number') putInt64Number(vec, i, v, microsValue); else { ts.micros = toBig(v); vec.setItem(i, ts); } },
};
export const VARCHAR_CODEC: ColumnCodec = { duckType: VARCHAR, sql: 'VARCHAR', note: 'UTF-8 string', put: putString };
export const INTEGER_CODEC: ColumnCodec = { duckType: INTEGER, sql: 'INTEGER', note: '32-bit integer', put: putNumber };
export const BIGINT_CODEC: ColumnCodec = { duckType: BIGINT, sql: 'BIGINT', note: '64-bit integer', put: putBigint };
