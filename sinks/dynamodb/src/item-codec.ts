/**
 * Debezium wire values (docs/event-format.md §5) → DynamoDB attribute values, one encoder per column type, cached per
 * table version. The mapping table is in docs/sinks/dynamodb.md.
 *
 * Numbers are exact `N` strings (int64 via bigint, decimals from bytes + scale); a Decimal declared wider than
 * DynamoDB's 38 significant digits is stored as `S` for the whole column (a column keeps one attribute type).
 */
import type { SinkColumn, SinkFieldType, SinkTable } from '../../../core/src/record-sink.ts';
import { decimalOf } from '../../../runtime/src/sink-worker/avro-table.ts';
import { bytesToDecimal } from '../../../schemas/src/decimal.ts';
import { civilFromDays } from '../../../core/src/civil-days.ts';
import type { AttributeValue } from './dynamo-api.ts';

export class ValueRejected extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ValueRejected';
  }
}

export interface CodecOptions {
  readonly json: 'string' | 'map';
  readonly temporal: 'iso' | 'epoch';
}

export type Encoder = (v: unknown) => AttributeValue;

const NULL: AttributeValue = { NULL: true };
const MAX_DIGITS = 38;

/** Significant digits of a plain decimal string (DynamoDB allows 38). */
export function significantDigits(s: string): number {
  const d = s.replace(/[-+.]/g, '').replace(/^0+/, '').replace(/0+$/, '');
  return d.length;
}

/** A JS number in plain decimal notation (no exponent), shortest round-trip digits. */
export function plainNumber(n: number, float32 = false): string {
  let s = String(n);
  if (float32) {
    for (let p = 1; p <= 9; p++) {
      const t = n.toPrecision(p);
      if (Math.fround(Number(t)) === n) { s = String(Number(t)); break; }
    }
  }
  const m = /^(-?)(\d)(?:\.(\d+))?e([+-]\d+)$/.exec(s);
  if (!m) return s;
  const [, sign, lead, fracPart = '', expText] = m;
  const digits = lead! + fracPart;
  const exp = Number(expText);
  if (exp >= 0) return sign + (exp >= fracPart.length ? digits + '0'.repeat(exp - fracPart.length) : `${digits.slice(0, exp + 1)}.${digits.slice(exp + 1)}`);
  return `${sign}0.${'0'.repeat(-exp - 1)}${digits}`;
}

/** A float as N when DynamoDB can hold it (1E-130 ≤ |x| < 1E126), else S ('NaN', 'Infinity', or the digits). */
function floatAttr(v: number, float32: boolean): AttributeValue {
  if (!Number.isFinite(v)) return { S: String(v) };
  const a = Math.abs(v);
  if (a !== 0 && (a < 1e-130 || a >= 1e126)) return { S: String(v) };
  return { N: plainNumber(v, float32) };
}

const intAttr: Encoder = (v) => ({ N: typeof v === 'bigint' ? v.toString() : String(v) });

// ---------------------------------------------------------------- temporal values (exact, any range)

const pad = (n: number | bigint, w: number) => String(n).padStart(w, '0');

/** Days since 1970-01-01 → YYYY-MM-DD (proleptic Gregorian; years beyond 9999 get more digits, before 0 a minus). */
export function isoDate(days: number): string {
  const [y, m, d] = civilFromDays(days);
  return `${y < 0 ? '-' : ''}${pad(Math.abs(y), 4)}-${pad(m, 2)}-${pad(d, 2)}`;
}

/** `units` per second (1e3, 1e6, 1e9): a count since midnight → HH:MM:SS[.fraction] (hours may exceed 23 for MySQL TIME). */
function isoTime(v: bigint, perSecond: bigint, fracDigits: number): string {
  const neg = v < 0n;
  const a = neg ? -v : v;
  const secs = a / perSecond;
  const frac = a % perSecond;
  const text = `${pad(secs / 3600n, 2)}:${pad((secs / 60n) % 60n, 2)}:${pad(secs % 60n, 2)}${fracDigits ? `.${pad(frac, fracDigits)}` : ''}`;
  return neg ? `-${text}` : text;
}

/** A count since the epoch → YYYY-MM-DDTHH:MM:SS.fraction (no zone: MySQL DATETIME / PostgreSQL timestamp). */
function isoTimestamp(v: bigint, perSecond: bigint, fracDigits: number): string {
  const perDay = perSecond * 86400n;
  let days = v / perDay;
  let rem = v % perDay;
  if (rem < 0n) { rem += perDay; days -= 1n; }
  return `${isoDate(Number(days))}T${isoTime(rem, perSecond, fracDigits)}`;
}

const big = (v: unknown): bigint => (typeof v === 'bigint' ? v : BigInt(v as number));

function temporalEncoder(logical: string, o: CodecOptions): Encoder | null {
  const epoch = o.temporal === 'epoch';
  switch (logical) {
    case 'io.debezium.time.Date':
    case 'org.apache.kafka.connect.data.Date':
      return epoch ? intAttr : (v) => ({ S: isoDate(Number(v)) });
    case 'io.debezium.time.Time':
    case 'org.apache.kafka.connect.data.Time':
      return epoch ? intAttr : (v) => ({ S: isoTime(big(v), 1000n, 3) });
    case 'io.debezium.time.MicroTime':
      return epoch ? intAttr : (v) => ({ S: isoTime(big(v), 1_000_000n, 6) });
    case 'io.debezium.time.NanoTime':
      return epoch ? intAttr : (v) => ({ S: isoTime(big(v), 1_000_000_000n, 9) });
    case 'io.debezium.time.Timestamp':
    case 'org.apache.kafka.connect.data.Timestamp':
      return epoch ? intAttr : (v) => ({ S: isoTimestamp(big(v), 1000n, 3) });
    case 'io.debezium.time.MicroTimestamp':
      return epoch ? intAttr : (v) => ({ S: isoTimestamp(big(v), 1_000_000n, 6) });
    case 'io.debezium.time.NanoTimestamp':
      return epoch ? intAttr : (v) => ({ S: isoTimestamp(big(v), 1_000_000_000n, 9) });
    case 'io.debezium.time.ZonedTimestamp':
    case 'io.debezium.time.ZonedTime':
      return (v) => ({ S: String(v) });
    default:
      return null;
  }
}

// ---------------------------------------------------------------- JSON and generic values

/** A JSON number's exact text (JSON.parse source access), told apart from any object in the document. */
class JsonNumber {
  readonly text: string;
  constructor(text: string) {
    this.text = text;
  }
}

/** JSON text → M/L/N/S/BOOL/NULL; numbers keep their exact source text (JSON.parse source access). */
export function jsonToAttr(text: string): AttributeValue {
  const reviver = function (this: unknown, _k: string, v: unknown, ctx?: { source?: string }): unknown {
    if (typeof v === 'number') return new JsonNumber(ctx?.source ?? plainNumber(v));
    return v;
  };
  const parsed = (JSON.parse as (t: string, r: typeof reviver) => unknown)(text, reviver);
  return toAttr(parsed);
}

/** A JSON number as N in plain notation when DynamoDB can hold it, else its text as S. */
function jsonNumber(text: string): AttributeValue {
  if (!/[eE]/.test(text)) return significantDigits(text) > MAX_DIGITS ? { S: text } : { N: text };
  return floatAttr(Number(text), false);
}

function toAttr(v: unknown): AttributeValue {
  if (v === null || v === undefined) return NULL;
  if (typeof v === 'string') return { S: v };
  if (typeof v === 'boolean') return { BOOL: v };
  if (typeof v === 'bigint') return { N: v.toString() };
  if (typeof v === 'number') return floatAttr(v, false);
  if (v instanceof Uint8Array) return { B: v };
  if (Array.isArray(v)) return { L: v.map(toAttr) };
  if (v instanceof JsonNumber) return jsonNumber(v.text);
  const o = v as Record<string, unknown>;
  return { M: Object.fromEntries(Object.entries(o).map(([k, x]) => [k, toAttr(x)])) };
}

function decimalEncoder(t: SinkFieldType): Encoder {
  const { scale, precision } = decimalOf(t);
  if (precision !== null && precision > MAX_DIGITS) return (v) => ({ S: bytesToDecimal(v as Uint8Array, scale) });
  return (v) => ({ N: bytesToDecimal(v as Uint8Array, scale) });
}

/** The encoder of a column type (for non-null values). */
export function encoderOf(t: SinkFieldType, o: CodecOptions): Encoder {
  const logical = t.logical ?? '';
  if (logical === 'org.apache.kafka.connect.data.Decimal') return decimalEncoder(t);
  if (logical === 'io.debezium.data.VariableScaleDecimal') {
    return (v) => {
      const x = v as { scale: number; value: Uint8Array };
      const s = bytesToDecimal(x.value, x.scale);
      return significantDigits(s) > MAX_DIGITS ? { S: s } : { N: s };
    };
  }
  if (logical === 'io.debezium.data.Json') return o.json === 'map' ? (v) => jsonToAttr(String(v)) : (v) => ({ S: String(v) });
  const temporal = temporalEncoder(logical, o);
  if (temporal) return temporal;
  switch (t.connect) {
    case 'int8': case 'int16': case 'int32': case 'int64': return intAttr;
    case 'float32': return (v) => floatAttr(v as number, true);
    case 'float64': return (v) => floatAttr(v as number, false);
    case 'boolean': return (v) => ({ BOOL: v as boolean });
    case 'string': return (v) => ({ S: v as string });
    case 'bytes': return (v) => ({ B: v as Uint8Array });
    default: return toAttr;
  }
}

export interface TableCodec {
  readonly columns: readonly SinkColumn[];
  readonly encoders: readonly Encoder[];
  /** Index of each primary-key column in `columns`. */
  readonly keyIndexes: readonly number[];
}

const codecs = new WeakMap<SinkTable, Map<string, TableCodec>>();

export function tableCodec(table: SinkTable, o: CodecOptions): TableCodec {
  const optKey = `${o.json}/${o.temporal}`;
  let byOpt = codecs.get(table);
  if (!byOpt) codecs.set(table, (byOpt = new Map()));
  let c = byOpt.get(optKey);
  if (!c) {
    c = {
      columns: table.columns,
      encoders: table.columns.map((col) => encoderOf(col.type, o)),
      keyIndexes: table.primaryKey.map((k) => table.columns.findIndex((col) => col.name === k)),
    };
    byOpt.set(optKey, c);
  }
  return c;
}

/** Encodes a row; a value that cannot be encoded throws ValueRejected naming the column. */
export function encodeRow(codec: TableCodec, row: Readonly<Record<string, unknown>>): Record<string, AttributeValue> {
  const out: Record<string, AttributeValue> = {};
  const { columns, encoders } = codec;
  for (let i = 0; i < columns.length; i++) {
    const name = columns[i]!.name;
    const v = row[name];
    if (v === null || v === undefined) { out[name] = NULL; continue; }
    try {
      out[name] = encoders[i]!(v);
    } catch (e: unknown) {
      throw new ValueRejected(`column ${name}: ${e instanceof Error ? e.message : String(e)}`);
    }
  }
  return out;
}

// ---------------------------------------------------------------- item size (DynamoDB's accounting)

const utf8 = (s: string) => Buffer.byteLength(s, 'utf8');

/** Bytes of one attribute value as DynamoDB counts them (numbers: about 1 byte per 2 significant digits + 1). */
export function valueSize(v: AttributeValue): number {
  if (v.S !== undefined) return utf8(v.S);
  if (v.N !== undefined) return Math.ceil(significantDigits(v.N) / 2) + 1;
  if (v.B !== undefined) return v.B.byteLength;
  if (v.BOOL !== undefined || v.NULL !== undefined) return 1;
  if (v.L !== undefined) return 3 + v.L.reduce((n, x) => n + 1 + valueSize(x), 0);
  if (v.M !== undefined) return 3 + Object.entries(v.M).reduce((n, [k, x]) => n + 1 + utf8(k) + valueSize(x), 0);
  if (v.SS !== undefined) return v.SS.reduce((n, x) => n + utf8(x), 0);
  return 0;
}

export function itemSize(item: Readonly<Record<string, AttributeValue>>): number {
  let n = 0;
  for (const k in item) n += utf8(k) + valueSize(item[k]!);
  return n;
}
