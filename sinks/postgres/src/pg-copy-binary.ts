/**
 * The full load's fast path: a snapshot read's after-image, as Avro bytes (Kafka mode, lazily decoded records), turned
 * straight into a tuple of PostgreSQL's binary COPY format, without row objects or value strings. Compiled per table
 * version and target column types (as format_type prints them). Binary COPY measured faster than text for both sides:
 * no number → text conversion here, no text parsing in the server (bench/RESULTS.md, database targets).
 *
 * Only column types whose binary form is exactly what the text path would make PostgreSQL store are compiled:
 *   Avro int / long (int8, int16, int32, int64, Year)   smallint, integer, bigint (out of range: text path)
 *   float / double                                      real, double precision (IEEE bits as they are)
 *   boolean                                             boolean
 *   string (no semantic type, Enum, EnumSet)            text, character varying[(n)] (NUL, invalid UTF-8: text path)
 *   bytes (no semantic type)                            bytea
 *   Decimal (scale ≥ 0)                                 numeric[(p,s)] (the server applies the typmod as for text)
 *   Date                                                date (years 1–9999; else text path)
 *   MicroTimestamp, Timestamp                           timestamp[(n)] with or without time zone (years 1–9999)
 * A table version with any other column compiles to null (the whole version takes the text path). A value outside
 * what this path handles makes encode() return false, and the record takes the text path (pg-types.ts), which also
 * decides whether it is rejected.
 */
import { isUtf8 } from 'node:buffer';
import type { SinkColumn, SinkTable } from '../../../core/src/record-sink.ts';
import { afterRecordOf, AvroReader, namedTypes, readLength, readLong, skipperOf, type Skip } from '../../../runtime/src/sink-worker/envelope-scan.ts';
import { decimalOf } from '../../../runtime/src/sink-worker/avro-table.ts';
import { adjustFieldName } from '../../../schemas/src/naming.ts';

type Obj = Record<string, unknown>;

const EMPTY = Buffer.alloc(0);

/** Where tuples are written: a growing buffer, handed out in chunks. */
export class BinaryOut {
  buf: Buffer = EMPTY;
  pos = 0;
  readonly #size: number;

  /** `size`: the first allocation (a COPY of a few rows should not allocate a whole chunk). */
  constructor(size = 512 * 1024) {
    this.#size = Math.max(64, size);
  }

  ensure(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    const next = Buffer.allocUnsafe(Math.max(this.buf.length * 2, this.#size, this.pos + n));
    this.buf.copy(next, 0, 0, this.pos);
    this.buf = next;
  }

  /** The bytes written so far; the next writes go to a fresh buffer (allocated when they come). */
  take(): Buffer {
    const out = this.buf.subarray(0, this.pos);
    this.buf = EMPTY;
    this.pos = 0;
    return out;
  }
}

/** The binary COPY header (signature, flags, no extension) and trailer. */
export const COPY_BINARY_HEADER = Buffer.from([0x50, 0x47, 0x43, 0x4f, 0x50, 0x59, 0x0a, 0xff, 0x0d, 0x0a, 0x00, 0, 0, 0, 0, 0, 0, 0, 0]);
export const COPY_BINARY_TRAILER = Buffer.from([0xff, 0xff]);

type Put = (r: AvroReader, w: BinaryOut) => boolean;

const TWO32 = 4294967296;
/** µs from the Unix epoch to PostgreSQL's (2000-01-01). */
const PG_EPOCH_US = 946_684_800_000_000;
const PG_EPOCH_DAYS = 10_957;
/** 0001-01-01 and 10000-01-01 in µs / days since the Unix epoch. */
const MIN_US = -62_135_596_800_000_000;
const MAX_US = 253_402_300_800_000_000;
const MIN_DAYS = -719_162;
const MAX_DAYS = 2_932_897;

function putI32(w: BinaryOut, v: number): void {
  const b = w.buf;
  const p = w.pos;
  b[p] = v >>> 24;
  b[p + 1] = v >>> 16;
  b[p + 2] = v >>> 8;
  b[p + 3] = v;
  w.pos = p + 4;
}

/** A safe integer as int64 big-endian. */
function putI64(w: BinaryOut, v: number): void {
  const hi = Math.floor(v / TWO32);
  putI32(w, hi | 0);
  putI32(w, (v - hi * TWO32) >>> 0);
}

function intPut(bytes: 2 | 4 | 8): Put {
  const lo = bytes === 2 ? -32768 : bytes === 4 ? -2147483648 : -Infinity;
  const hi = bytes === 2 ? 32767 : bytes === 4 ? 2147483647 : Infinity;
  return (r, w) => {
    const v = readLong(r);
    w.ensure(12);
    if (v !== v) {
      if (bytes !== 8) return false;
      putI32(w, 8);
      w.buf.writeBigInt64BE(r.big, w.pos);
      w.pos += 8;
      return true;
    }
    if (v < lo || v > hi) return false;
    putI32(w, bytes);
    if (bytes === 2) {
      w.buf[w.pos] = v >>> 8;
      w.buf[w.pos + 1] = v;
      w.pos += 2;
    } else if (bytes === 4) putI32(w, v);
    else putI64(w, v);
    return true;
  };
}

/** IEEE bits, little-endian (Avro) → big-endian (PostgreSQL). */
function reversePut(width: 4 | 8): Put {
  return (r, w) => {
    const src = r.buf;
    const p = r.pos;
    if (p + width > r.end) throw new RangeError('truncated Avro value');
    w.ensure(4 + width);
    putI32(w, width);
    const b = w.buf;
    const o = w.pos;
    for (let i = 0; i < width; i++) b[o + i] = src[p + width - 1 - i]!;
    w.pos = o + width;
    r.pos = p + width;
    return true;
  };
}

const floatToDouble: Put = (r, w) => {
  const v = r.buf.readFloatLE(r.pos);
  r.pos += 4;
  w.ensure(12);
  putI32(w, 8);
  w.buf.writeDoubleBE(v, w.pos);
  w.pos += 8;
  return true;
};

const boolPut: Put = (r, w) => {
  const v = r.buf[r.pos++]!;
  w.ensure(5);
  putI32(w, 1);
  w.buf[w.pos++] = v === 0 ? 0 : 1;
  return true;
};

/** Strings up to this many bytes are checked and copied in one loop (Buffer.copy costs more than the bytes here). */
const SHORT = 64;

function bytesPut(text: boolean): Put {
  return (r, w) => {
    const len = readLength(r);
    const src = r.buf;
    const p = r.pos;
    if (len <= SHORT) {
      w.ensure(4 + len);
      const b = w.buf;
      const o = w.pos + 4;
      let high = 0;
      for (let i = 0; i < len; i++) {
        const c = src[p + i]!;
        if (text && c === 0) return false;
        high |= c;
        b[o + i] = c;
      }
      if (text && high >= 0x80 && !isUtf8(src.subarray(p, p + len))) return false;
      putI32(w, len);
      w.pos += len;
      r.pos = p + len;
      return true;
    }
    if (text) {
      let ascii = true;
      for (let i = p; i < p + len; i++) {
        const c = src[i]!;
        if (c === 0) return false;
        if (c >= 0x80) ascii = false;
      }
      if (!ascii && !isUtf8(src.subarray(p, p + len))) return false;
    }
    w.ensure(4 + len);
    putI32(w, len);
    src.copy(w.buf, w.pos, p, p + len);
    w.pos += len;
    r.pos = p + len;
    return true;
  };
}

const POW10 = [1, 10, 100, 1000, 10_000, 100_000, 1_000_000, 10_000_000, 100_000_000];
/** Base-10000 digits of a small decimal, most significant first (smallNumericPut's scratch). */
const GROUPS = new Int32Array(8);

/**
 * Decimal (two's-complement unscaled bytes, scale ≥ 0) → numeric's binary form (base-10000 digits). Unscaled values
 * of up to 6 bytes with a scale up to 8 are split into digits arithmetically, without strings; the rest as below.
 */
function numericPut(scale: number): Put {
  const general = generalNumericPut(scale);
  if (scale > 8) return general;
  const pow = POW10[scale]!;
  const fracGroups = Math.ceil(scale / 4);
  const fracShift = POW10[fracGroups * 4 - scale]!;
  return (r, w) => {
    const at = r.pos;
    const len = readLength(r);
    if (len > 6) {
      r.pos = at;
      return general(r, w);
    }
    const p = r.pos;
    r.pos += len;
    const v = len === 0 ? 0 : r.buf.readIntBE(p, len);
    const neg = v < 0;
    const a = neg ? -v : v;
    let ip = Math.floor(a / pow);
    const fp = (a - ip * pow) * fracShift; // the fraction's digits, padded to whole groups (< 10^8)
    let nInt = 0;
    while (ip > 0) {
      GROUPS[3 - nInt++] = ip % 10_000; // at most 4 groups: a < 2^47 < 10^16
      ip = Math.floor(ip / 10_000);
    }
    // Digits: the integer groups (GROUPS[4 - nInt … 3]), then the fraction's (GROUPS[4 …]).
    if (fracGroups === 2) {
      GROUPS[4] = Math.floor(fp / 10_000);
      GROUPS[5] = fp % 10_000;
    } else if (fracGroups === 1) GROUPS[4] = fp;
    let first = 4 - nInt;
    let last = 4 + fracGroups;
    let weight = nInt - 1;
    while (first < last && GROUPS[first] === 0) {
      first++;
      weight--;
    }
    while (last > first && GROUPS[last - 1] === 0) last--;
    const n = last - first;
    w.ensure(12 + 2 * n);
    putI32(w, 8 + 2 * n);
    const b = w.buf;
    let o = w.pos;
    const zero = n === 0;
    b.writeInt16BE(n, o);
    b.writeInt16BE(zero ? 0 : weight, o + 2);
    b.writeUInt16BE(neg && !zero ? 0x4000 : 0, o + 4);
    b.writeInt16BE(scale, o + 6);
    o += 8;
    for (let g = first; g < last; g++) {
      const d = GROUPS[g]!;
      b[o] = d >>> 8;
      b[o + 1] = d;
      o += 2;
    }
    w.pos = o;
    return true;
  };
}

function generalNumericPut(scale: number): Put {
  return (r, w) => {
    const len = readLength(r);
    const p = r.pos;
    r.pos += len;
    let neg: boolean;
    let digits: string;
    if (len <= 6) {
      const v = len === 0 ? 0 : r.buf.readIntBE(p, len);
      neg = v < 0;
      digits = String(neg ? -v : v);
    } else {
      let u = 0n;
      for (let i = p; i < p + len; i++) u = (u << 8n) | BigInt(r.buf[i]!);
      u = BigInt.asIntN(8 * len, u);
      neg = u < 0n;
      digits = (neg ? -u : u).toString();
    }
    const intLen = digits.length - scale;
    let ip = intLen > 0 ? digits.slice(0, intLen) : '';
    let fp = intLen >= 0 ? digits.slice(intLen) : `${'0'.repeat(-intLen)}${digits}`;
    if (ip.length % 4 !== 0) ip = ip.padStart(ip.length + 4 - (ip.length % 4), '0');
    if (fp.length % 4 !== 0) fp = fp.padEnd(fp.length + 4 - (fp.length % 4), '0');
    const all = ip + fp;
    let first = 0;
    let last = all.length / 4;
    let weight = ip.length / 4 - 1;
    while (first < last && all.charCodeAt(first * 4) === 48 && all.startsWith('0000', first * 4)) {
      first++;
      weight--;
    }
    while (last > first && all.startsWith('0000', (last - 1) * 4)) last--;
    const n = last - first;
    w.ensure(12 + 2 * n);
    putI32(w, 8 + 2 * n);
    const b = w.buf;
    let o = w.pos;
    const zero = n === 0;
    b.writeInt16BE(n, o);
    b.writeInt16BE(zero ? 0 : weight, o + 2);
    b.writeUInt16BE(neg && !zero ? 0x4000 : 0, o + 4);
    b.writeInt16BE(scale, o + 6);
    o += 8;
    for (let g = first; g < last; g++) {
      const at = g * 4;
      const d = (all.charCodeAt(at) - 48) * 1000 + (all.charCodeAt(at + 1) - 48) * 100 + (all.charCodeAt(at + 2) - 48) * 10 + (all.charCodeAt(at + 3) - 48);
      b[o] = d >>> 8;
      b[o + 1] = d;
      o += 2;
    }
    w.pos = o;
    return true;
  };
}

function timestampPut(unitUs: 1 | 1000): Put {
  return (r, w) => {
    const raw = readLong(r);
    const us = raw * unitUs;
    if (!(us >= MIN_US && us < MAX_US) || !Number.isSafeInteger(us)) return false;
    w.ensure(12);
    putI32(w, 8);
    putI64(w, us - PG_EPOCH_US);
    return true;
  };
}

const datePut: Put = (r, w) => {
  const d = readLong(r);
  if (!(d >= MIN_DAYS && d < MAX_DAYS)) return false;
  w.ensure(8);
  putI32(w, 4);
  putI32(w, d - PG_EPOCH_DAYS);
  return true;
};

const STRING_LOGICAL = new Set([undefined, 'io.debezium.data.Enum', 'io.debezium.data.EnumSet']);

/** The writer of one column (Avro primitive `prim` → target type `pg`), or null when this path does not handle it. */
function columnPut(c: SinkColumn, prim: unknown, pg: string): Put | null {
  const t = c.type;
  const base = pg.replace(/\(\d+(,\s*\d+)?\)/, '');
  switch (t.logical) {
    case 'org.apache.kafka.connect.data.Decimal': {
      const { scale } = decimalOf(t);
      return prim === 'bytes' && base === 'numeric' && Number.isInteger(scale) && scale >= 0 && scale <= 1000 ? numericPut(scale) : null;
    }
    case 'io.debezium.time.Date':
    case 'org.apache.kafka.connect.data.Date': return prim === 'int' && base === 'date' ? datePut : null;
    case 'io.debezium.time.MicroTimestamp':
    case 'io.debezium.time.Timestamp':
    case 'org.apache.kafka.connect.data.Timestamp':
      return prim === 'long' && (base === 'timestamp without time zone' || base === 'timestamp with time zone')
        ? timestampPut(t.logical === 'io.debezium.time.MicroTimestamp' ? 1 : 1000) : null;
    case undefined:
    case 'io.debezium.time.Year':
    case 'io.debezium.data.Enum':
    case 'io.debezium.data.EnumSet': break;
    default: return null;
  }
  switch (t.connect) {
    case 'int8': case 'int16': case 'int32': case 'int64':
      if (prim !== 'int' && prim !== 'long') return null;
      return base === 'smallint' ? intPut(2) : base === 'integer' ? intPut(4) : base === 'bigint' ? intPut(8) : null;
    case 'float32':
      if (prim !== 'float') return null;
      return base === 'real' ? reversePut(4) : base === 'double precision' ? floatToDouble : null;
    case 'float64': return prim === 'double' && base === 'double precision' ? reversePut(8) : null;
    case 'boolean': return prim === 'boolean' && base === 'boolean' ? boolPut : null;
    case 'string':
      return prim === 'string' && STRING_LOGICAL.has(t.logical) && (base === 'text' || base === 'character varying') ? bytesPut(true) : null;
    case 'bytes': return prim === 'bytes' && t.logical === undefined && base === 'bytea' ? bytesPut(false) : null;
    default: return null;
  }
}

interface Field {
  /** The union's null branch (-1: not a union), and the value branch. */
  readonly nullIndex: number;
  readonly valueIndex: number;
  /** null: the target has no such column (the value is skipped). */
  readonly put: Put | null;
  readonly skip: Skip;
}

/** The compiled encoder of one table version into one target shape. */
export class BinaryRowEncoder {
  /** The target columns a tuple holds, in order (the version's columns the target has). */
  readonly columns: readonly string[];
  readonly #fields: readonly Field[];
  readonly #r = new AvroReader();

  constructor(columns: readonly string[], fields: readonly Field[]) {
    this.columns = columns;
    this.#fields = fields;
  }

  /**
   * Appends the tuple of the after-image at `at` in `buf` to `w`. False (and nothing appended) when a value needs the
   * text path; throws RangeError on corrupt bytes.
   */
  encode(buf: Buffer, at: number, w: BinaryOut): boolean {
    const r = this.#r;
    r.buf = buf;
    r.pos = at;
    r.end = buf.length;
    const start = w.pos;
    w.ensure(2);
    w.buf.writeInt16BE(this.columns.length, w.pos);
    w.pos += 2;
    const fields = this.#fields;
    for (let i = 0; i < fields.length; i++) {
      const f = fields[i]!;
      if (f.nullIndex >= 0) {
        const u = readLong(r);
        if (u === f.nullIndex) {
          if (f.put !== null) {
            w.ensure(4);
            putI32(w, -1);
          }
          continue;
        }
        if (u !== f.valueIndex) throw new RangeError('bad Avro union index');
      }
      if (f.put === null) f.skip(r);
      else if (!f.put(r, w)) {
        w.pos = start;
        return false;
      }
    }
    return true;
  }
}

const compiled = new WeakMap<SinkTable, Map<string, BinaryRowEncoder | null>>();

/** The binary encoder of a table version into a target whose columns have `types`, or null when a column is not one this path handles. */
export function binaryRowEncoder(table: SinkTable, types: ReadonlyMap<string, string>): BinaryRowEncoder | null {
  let byTarget = compiled.get(table);
  if (byTarget === undefined) compiled.set(table, (byTarget = new Map()));
  const key = table.columns.map((c) => `${c.name}\u0000${types.get(c.name) ?? ''}`).join('\u0001');
  let enc = byTarget.get(key);
  if (enc === undefined) {
    enc = compile(table, types);
    byTarget.set(key, enc);
  }
  return enc;
}

function compile(table: SinkTable, types: ReadonlyMap<string, string>): BinaryRowEncoder | null {
  let record: Obj;
  let named: Map<string, Obj>;
  try {
    named = namedTypes(table.valueSchema);
    record = afterRecordOf(table.valueSchema as unknown as Obj, named).record;
  } catch {
    return null;
  }
  const avroFields = record.fields as { name: string; type: unknown }[];
  if (avroFields.length !== table.columns.length) return null;
  const fields: Field[] = [];
  const columns: string[] = [];
  for (let i = 0; i < table.columns.length; i++) {
    const c = table.columns[i]!;
    const f = avroFields[i]!;
    if (f.name !== c.name && f.name !== adjustFieldName(c.name)) return null; // c: source-named (source-column-names.ts)
    const union = Array.isArray(f.type) ? (f.type as unknown[]) : null;
    const valueIndex = union === null ? -1 : union.findIndex((b) => b !== 'null');
    if (union !== null && (union.length > 2 || valueIndex < 0)) return null;
    const inner = union === null ? f.type : union[valueIndex];
    const prim = typeof inner === 'string' ? inner : typeof inner === 'object' && inner !== null ? (inner as Obj).type : undefined;
    const skip = skipperOf(inner, named);
    const pg = types.get(c.name);
    if (pg === undefined) {
      fields.push({ nullIndex: union === null ? -1 : union.indexOf('null'), valueIndex, put: null, skip });
      continue;
    }
    const put = columnPut(c, prim, pg);
    if (put === null) return null;
    fields.push({ nullIndex: union === null ? -1 : union.indexOf('null'), valueIndex, put, skip });
    columns.push(c.name);
  }
  return columns.length === 0 ? null : new BinaryRowEncoder(columns, fields);
}
