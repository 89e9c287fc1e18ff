/**
 * Column values of ROWS event images (MySQL 5.6+ / MariaDB 10+), as pure functions over Buffers.
 *
 * parseColumnMeta reads the TABLE_MAP column types and their metadata block; makeValueDecoder picks, once per
 * column, a decoder that reads one non-null value at a Cursor and advances it past the value. Layouts follow
 * the servers' Field::pack (sql/field.cc), rpl_utility.cc table_def (metadata) and sql-common/my_time.cc
 * (temporal packing). Integers are little-endian, temporal types of the 5.6 format and DECIMAL big-endian.
 *
 * The values are what value-conversion.ts makeConverter expects, the text forms mysql2 gives snapshots with
 * dateStrings: ints as numbers (BIGINT beyond 2^53: bigint, or exact text when unsigned), DECIMAL as exact text,
 * DATE/DATETIME/TIMESTAMP (in UTC)/TIME as MySQL prints them, ENUM/SET as their member text, character data
 * decoded with the column's charset, binary data as Buffer copies (the packet buffer is reused), JSON as text,
 * GEOMETRY as the raw SRID + WKB bytes, BIT as big-endian bytes. Nothing is parsed per value that could have
 * been worked out per column. For captured rows the dispatcher decodes DATETIME2, TIMESTAMP2, DATE and DECIMAL
 * columns with wire-values.ts instead (no text); these text decoders are what those must equal once converted.
 */
import zlib from 'node:zlib';
import { textDecoder } from './mysql-text.ts';
import { civilFromDays } from '../../../../core/src/civil-days.ts';
import { mapColumn, parseColumnType } from '../type-mapping.ts';
import { decodeBinaryDecimal, jsonBinaryToText } from './json-binary.ts';

/** A read position in a buffer; decoders advance `pos`. */
export interface Cursor { buf: Buffer; pos: number }

/**
 * One column as the TABLE_MAP event describes it. `meta` / `meta2` by type:
 *  FLOAT, DOUBLE: meta = bytes (4, 8); BLOB, GEOMETRY, JSON, BLOB_COMPRESSED, MySQL VECTOR: meta = bytes of the
 *  length prefix (1..4); VARCHAR, VARCHAR_COMPRESSED, STRING, VAR_STRING: meta = max length in bytes;
 *  ENUM, SET (realType): meta = bytes of the stored value; BIT: meta = bits, meta2 = bytes of the value;
 *  NEWDECIMAL: meta = precision, meta2 = scale; TIME2, DATETIME2, TIMESTAMP2: meta = fsp; others: 0.
 */
export interface BinlogColumnMeta {
  /** The column type byte from TABLE_MAP. */
  type: number;
  /** For STRING (and VAR_STRING): ENUM 247 / SET 248 / STRING 254 from the metadata; else = type. */
  realType: number;
  meta: number;
  meta2: number;
}

export type ValueDecoder = (c: Cursor) => unknown;

/** Ferry's column definition, as far as decoding needs it (MySqlColumnDef). */
export interface ValueColumnDef { name: string; columnType: string; charset: string | null; json?: boolean }

/** Column type codes (MariaDB: 140 BLOB_COMPRESSED, 141 VARCHAR_COMPRESSED, include/mysql_com.h). */
export const T = {
  DECIMAL: 0, TINY: 1, SHORT: 2, LONG: 3, FLOAT: 4, DOUBLE: 5, NULL: 6, TIMESTAMP: 7, LONGLONG: 8, INT24: 9,
  DATE: 10, TIME: 11, DATETIME: 12, YEAR: 13, NEWDATE: 14, VARCHAR: 15, BIT: 16, TIMESTAMP2: 17, DATETIME2: 18,
  TIME2: 19, BLOB_COMPRESSED: 140, VARCHAR_COMPRESSED: 141, VECTOR: 242, JSON: 245, NEWDECIMAL: 246, ENUM: 247,
  SET: 248, TINY_BLOB: 249, MEDIUM_BLOB: 250, LONG_BLOB: 251, BLOB: 252, VAR_STRING: 253, STRING: 254,
  GEOMETRY: 255,
} as const;

/** Bytes of TABLE_MAP metadata per column type (rpl_utility.cc table_def); 0 for the rest. */
const META_SIZE = new Uint8Array(256);
for (const t of [T.FLOAT, T.DOUBLE, T.BLOB, T.TINY_BLOB, T.MEDIUM_BLOB, T.LONG_BLOB, T.GEOMETRY, T.JSON, T.BLOB_COMPRESSED,
  T.VECTOR, T.TIME2, T.DATETIME2, T.TIMESTAMP2]) META_SIZE[t] = 1;
for (const t of [T.VARCHAR, T.VARCHAR_COMPRESSED, T.BIT, T.NEWDECIMAL, T.STRING, T.VAR_STRING, T.ENUM, T.SET]) META_SIZE[t] = 2;

/** The TABLE_MAP metadata block (consumed in column order, as the server's table_def reads it) per column. */
export function parseColumnMeta(types: Buffer, metadata: Buffer): BinlogColumnMeta[] {
  const out: BinlogColumnMeta[] = [];
  let p = 0;
  for (const type of types) {
    let realType: number = type;
    let meta = 0;
    let meta2 = 0;
    const size = META_SIZE[type]!;
    if (p + size > metadata.length) throw new Error(`TABLE_MAP metadata ends early at column ${out.length} (type ${type})`);
    if (size === 1) meta = metadata[p]!;
    else if (type === T.BIT) { meta = metadata[p + 1]! * 8 + metadata[p]!; meta2 = (meta + 7) >> 3; }
    else if (type === T.NEWDECIMAL) { meta = metadata[p]!; meta2 = metadata[p + 1]!; }
    else if (type === T.VARCHAR || type === T.VARCHAR_COMPRESSED) meta = metadata.readUInt16LE(p);
    else if (size === 2) {
      // STRING/ENUM/SET (Field_string): byte0 = real type ^ ((length & 0x300) >> 4), byte1 = length & 0xff
      const b0 = metadata[p]!;
      const b1 = metadata[p + 1]!;
      if ((b0 & 0x30) !== 0x30) { realType = b0 | 0x30; meta = b1 | (((b0 & 0x30) ^ 0x30) << 4); }
      else { realType = b0; meta = b1; }
    }
    p += size;
    out.push({ type, realType, meta, meta2 });
  }
  return out;
}

type Bytes = (b: Buffer, start: number, end: number) => unknown;

const copyBytes: Bytes = (b, s, e) => {
  const out = Buffer.allocUnsafe(e - s);
  b.copy(out, 0, s, e);
  return out;
};

/** A fixed-size binary value: the binlog strips trailing zero bytes, they are put back. */
function padded(b: Buffer, s: number, e: number, size: number): Buffer {
  const out = Buffer.alloc(Math.max(size, e - s));
  b.copy(out, 0, s, e);
  return out;
}

/** Character data in `charset` → string (mysql-text.ts); a Buffer copy when Ferry has no decoder for the charset. */
function textBytes(charset: string): Bytes {
  return textDecoder(charset) ?? copyBytes;
}

/** MariaDB UUID: the binlog carries the canonical (in-memory) byte order, whatever the record's order. */
function uuidText(b: Buffer, s: number, e: number): string {
  const h = padded(b, s, e, 16).toString('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20, 32)}`;
}

function inet4Text(b: Buffer, s: number, e: number): string {
  const v = padded(b, s, e, 4);
  return `${v[0]}.${v[1]}.${v[2]}.${v[3]}`;
}

/**
 * MariaDB INET6 text as the server prints it (Inet6::to_string): lower-case hex words, the longest run of zero
 * words (the first on a tie, even a single word) as '::', and IPv4-compatible (::a.b.c.d, word 6 non-zero) and
 * IPv4-mapped (::ffff:a.b.c.d) addresses with a dotted tail.
 */
function inet6Text(b: Buffer, s: number, e: number): string {
  const v = padded(b, s, e, 16);
  let gapPos = -1;
  let gapLen = 0;
  for (let i = 0; i < 8; i++) {
    let j = i;
    while (j < 8 && v.readUInt16BE(2 * j) === 0) j++;
    if (j - i > gapLen) { gapPos = i; gapLen = j - i; }
    i = j;
  }
  let out = '';
  for (let i = 0; i < 8; i++) {
    if (i === gapPos) {
      out += i === 0 ? '::' : ':';
      i += gapLen - 1;
    } else if (i === 6 && gapPos === 0 && (gapLen === 6 || (gapLen === 5 && v.readUInt16BE(10) === 0xffff))) {
      return `${out}${v[12]}.${v[13]}.${v[14]}.${v[15]}`;
    } else {
      out += v.readUInt16BE(2 * i).toString(16) + (i === 7 ? '' : ':');
    }
  }
  return out;
}

/** How the bytes of a CHAR/VARCHAR/BINARY/TEXT/BLOB value become the value. */
function bytesFormat(def: ValueColumnDef, base: string, args: readonly string[]): Bytes {
  if (def.charset !== null && def.charset.toLowerCase() !== 'binary') return textBytes(def.charset);
  switch (base) {
    case 'uuid': return uuidText;
    case 'inet4': return inet4Text;
    case 'inet6': return inet6Text;
    case 'binary': {
      const size = Number(args[0] ?? 1);
      return (b, s, e) => padded(b, s, e, size);
    }
    default: return copyBytes;
  }
}

/** MariaDB COMPRESSED columns (sql/field_comp.cc): a header byte, method 0 = stored, 8 = zlib. */
function uncompress(b: Buffer, s: number, e: number): Buffer {
  if (e === s) return b.subarray(s, e);
  const header = b[s]!;
  const method = header >> 4;
  if (method === 0) return b.subarray(s + 1, e);
  if (method !== 8) throw new Error(`unknown MariaDB column compression method ${method}`);
  const data = b.subarray(s + 1 + (header & 0x07), e);
  return (header & 0x08) !== 0 ? zlib.inflateRawSync(data) : zlib.inflateSync(data);
}

/** A value behind a little-endian length prefix of `lenBytes` (1..4) bytes. */
function lengthPrefixed(lenBytes: number, format: Bytes, compressed: boolean): ValueDecoder {
  return (c) => {
    const b = c.buf;
    const len = lenBytes === 1 ? b[c.pos]! : b.readUIntLE(c.pos, lenBytes);
    const s = c.pos + lenBytes;
    const e = s + len;
    if (!(e <= b.length)) throw new Error(`a ${len}-byte value runs past the end of the event`);
    c.pos = e;
    if (!compressed) return format(b, s, e);
    const raw = uncompress(b, s, e);
    return format(raw, 0, raw.length);
  };
}

const D2 = Array.from({ length: 100 }, (_, i) => (i < 10 ? `0${i}` : String(i)));
const d2 = (n: number): string => (n < 100 ? D2[n]! : String(n));
const d4 = (n: number): string => (n < 10000 ? D2[Math.floor(n / 100)]! + D2[n % 100]! : String(n));
export const dateText = (y: number, mo: number, d: number) => `${d4(y)}-${d2(mo)}-${d2(d)}`;
export const timeOfDay = (h: number, mi: number, s: number) => `${d2(h)}:${d2(mi)}:${d2(s)}`;

/** Bytes of the fraction of TIME2/DATETIME2/TIMESTAMP2 (and MariaDB hires TIMESTAMP) by fsp. */
export const FRAC_BYTES = [0, 1, 1, 2, 2, 3, 3] as const;
export const POW10 = [1, 10, 100, 1000, 10000, 100000, 1000000] as const;

/** '.ddd' with exactly fsp digits of `digits` (already scaled to fsp digits); '' for fsp 0. */
const fracText = (digits: number, fsp: number): string => (fsp === 0 ? '' : `.${String(digits).padStart(fsp, '0')}`);

/** The microseconds of a 5.6-format fraction: hundredths, 1/10000ths or microseconds by its size. */
export function readMicros(b: Buffer, p: number, bytes: number): number {
  if (bytes === 1) return b[p]! * 10000;
  if (bytes === 2) return b.readUInt16BE(p) * 100;
  return bytes === 3 ? b.readUIntBE(p, 3) : 0;
}

/** Seconds since the epoch → 'YYYY-MM-DD HH:MM:SS' in UTC. */
function utcText(secs: number): string {
  const days = Math.floor(secs / 86400);
  const sod = secs - days * 86400;
  const [year, month, day] = civilFromDays(days);
  return `${dateText(year, month, day)} ${timeOfDay(Math.floor(sod / 3600), Math.floor(sod / 60) % 60, sod % 60)}`;
}

/** A TIMESTAMP's text; the zero timestamp (0 seconds and no fraction) is '0000-00-00 00:00:00'. */
const timestampText = (secs: number, digits: number, fsp: number): string =>
  (secs === 0 && digits === 0 ? '0000-00-00 00:00:00' : utcText(secs)) + fracText(digits, fsp);

/** Hours, minutes, seconds of a TIME; hours take 3 digits above 99. */
const timeText = (neg: boolean, h: number, mi: number, s: number) => `${neg ? '-' : ''}${timeOfDay(h, mi, s)}`;

function time2Decoder(fsp: number): ValueDecoder {
  const fb = FRAC_BYTES[fsp]!;
  const div = POW10[6 - fsp]!;
  return (c) => {
    const { buf: b, pos: p } = c;
    c.pos = p + 3 + fb;
    // my_time_packed_from_binary: the packed time (int part << 24 | microseconds), stored offset by 0x800000 << 24;
    // negative values with 1..4 fraction bytes hold the fraction counted back from the next integer
    let packed: number;
    if (fb === 3) {
      packed = b.readUIntBE(p, 6) - 0x800000000000;
    } else {
      let intpart = b.readUIntBE(p, 3) - 0x800000;
      let frac = fb === 0 ? 0 : fb === 1 ? b[p + 3]! : b.readUInt16BE(p + 3);
      if (intpart < 0 && frac !== 0) {
        intpart++;
        frac -= fb === 1 ? 0x100 : 0x10000;
      }
      packed = intpart * 0x1000000 + frac * (fb === 1 ? 10000 : 100);
    }
    const neg = packed < 0;
    if (neg) packed = -packed;
    const hms = Math.floor(packed / 0x1000000);
    const micros = packed - hms * 0x1000000;
    return timeText(neg, (hms >> 12) & 0x3ff, (hms >> 6) & 0x3f, hms & 0x3f) + fracText(Math.floor(micros / div), fsp);
  };
}

function datetime2Decoder(fsp: number): ValueDecoder {
  const fb = FRAC_BYTES[fsp]!;
  const div = POW10[6 - fsp]!;
  return (c) => {
    const { buf: b, pos: p } = c;
    c.pos = p + 5 + fb;
    // 40 bits: sign (1 = non-negative), year*13+month (17), day (5), hour (5), minute (6), second (6)
    const lo = b.readUInt32BE(p + 1);
    const ymd = (b[p]! & 0x7f) * 0x8000 + (lo >>> 17);
    const hms = lo & 0x1ffff;
    const ym = ymd >>> 5;
    const text = `${dateText(Math.floor(ym / 13), ym % 13, ymd & 31)} ${timeOfDay(hms >>> 12, (hms >>> 6) & 63, hms & 63)}`;
    return fsp === 0 ? text : text + fracText(Math.floor(readMicros(b, p + 5, fb) / div), fsp);
  };
}

function timestamp2Decoder(fsp: number): ValueDecoder {
  const fb = FRAC_BYTES[fsp]!;
  const div = POW10[6 - fsp]!;
  return (c) => {
    const { buf: b, pos: p } = c;
    c.pos = p + 4 + fb;
    return timestampText(b.readUInt32BE(p), fsp === 0 ? 0 : Math.floor(readMicros(b, p + 4, fb) / div), fsp);
  };
}

/**
 * Pre-5.6 temporal types (MariaDB with mysql56_temporal_format=OFF or old tables). With fsp > 0 (known only from
 * the column definition) MariaDB writes its "hires" forms: big-endian integers scaled by 10^fsp.
 */
function legacyTemporalDecoder(type: number, fsp: number): ValueDecoder {
  const scale = POW10[fsp]!;
  if (type === T.TIMESTAMP) {
    const fb = FRAC_BYTES[fsp]!; // hires: big-endian seconds, then the fraction's fsp digits
    if (fsp === 0) return (c) => timestampText(c.buf.readUInt32LE((c.pos += 4) - 4), 0, 0);
    return (c) => { const p = (c.pos += 4 + fb) - 4 - fb; return timestampText(c.buf.readUInt32BE(p), c.buf.readUIntBE(p + 4, fb), fsp); };
  }
  if (type === T.TIME) {
    if (fsp === 0) {
      return (c) => {
        const v = c.buf.readIntLE((c.pos += 3) - 3, 3); // ±HHMMSS
        const a = Math.abs(v);
        return timeText(v < 0, Math.floor(a / 10000), Math.floor(a / 100) % 100, a % 100);
      };
    }
    const bytes = [3, 4, 4, 5, 5, 5, 6][fsp]!;
    const zero = 3020400 * scale; // (TIME_MAX_VALUE_SECONDS + 1) * 10^fsp: '00:00:00'
    return (c) => {
      let v = c.buf.readUIntBE(c.pos, bytes) - zero;
      c.pos += bytes;
      const neg = v < 0;
      if (neg) v = -v;
      const secs = Math.floor(v / scale);
      return timeText(neg, Math.floor(secs / 3600), Math.floor(secs / 60) % 60, secs % 60) + fracText(v % scale, fsp);
    };
  }
  // DATETIME
  if (fsp === 0) {
    return (c) => {
      const b = c.buf;
      const v = b.readUInt32LE(c.pos + 4) * 0x100000000 + b.readUInt32LE(c.pos); // YYYYMMDDhhmmss
      c.pos += 8;
      const date = Math.floor(v / 1000000);
      const tod = v % 1000000;
      return `${dateText(Math.floor(date / 10000), Math.floor(date / 100) % 100, date % 100)} ${timeOfDay(Math.floor(tod / 10000), Math.floor(tod / 100) % 100, tod % 100)}`;
    };
  }
  const bytes = [5, 6, 6, 7, 7, 7, 8][fsp]!;
  return (c) => {
    const { buf: b, pos: p } = c;
    c.pos = p + bytes;
    // pack_time: ((((((year*13+month)*32+day)*24+hour)*60+minute)*60+second)*10^6+µs) / 10^(6-fsp); up to 2^64,
    // so divided by 10^fsp in two exact steps
    const hi = b.readUIntBE(p, bytes - 4);
    const lo = b.readUInt32BE(p + bytes - 4);
    const rest = (hi % scale) * 0x100000000 + lo;
    const frac = rest % scale;
    let u = Math.floor(hi / scale) * 0x100000000 + Math.floor(rest / scale);
    const second = u % 60; u = Math.floor(u / 60);
    const minute = u % 60; u = Math.floor(u / 60);
    const hour = u % 24; u = Math.floor(u / 24);
    const day = u % 32; u = Math.floor(u / 32);
    return `${dateText(Math.floor(u / 13), u % 13, day)} ${timeOfDay(hour, minute, second)}${fracText(frac, fsp)}`;
  };
}

function enumDecoder(bytes: number, values: readonly string[]): ValueDecoder {
  return (c) => {
    const i = bytes === 1 ? c.buf[c.pos]! : c.buf.readUInt16LE(c.pos);
    c.pos += bytes;
    return i === 0 ? '' : (values[i - 1] ?? ''); // 0: the invalid value, stored as the empty string
  };
}

function setDecoder(bytes: number, members: readonly string[]): ValueDecoder {
  const n = Math.min(members.length, bytes * 8);
  return (c) => {
    const { buf: b, pos: p } = c;
    c.pos = p + bytes;
    const lo = bytes > 4 ? b.readUInt32LE(p) : b.readUIntLE(p, bytes);
    const hi = bytes > 4 ? b.readUIntLE(p + 4, bytes - 4) : 0;
    let out: string | null = null;
    for (let i = 0; i < n; i++) {
      if (((i < 32 ? lo >>> i : hi >>> (i - 32)) & 1) !== 0) out = out === null ? members[i]! : `${out},${members[i]!}`;
    }
    return out ?? '';
  };
}

const MAX_SAFE_HI = 0x200000; // 2^21: a high word below it keeps the value below 2^53

function intDecoder(type: number, unsigned: boolean): ValueDecoder {
  const size = type === T.TINY ? 1 : type === T.SHORT ? 2 : type === T.INT24 ? 3 : type === T.LONG ? 4 : 8;
  if (size === 1) return unsigned ? (c) => c.buf[c.pos++]! : (c) => c.buf.readInt8(c.pos++);
  if (size < 8) {
    return unsigned
      ? (c) => { c.pos += size; return c.buf.readUIntLE(c.pos - size, size); }
      : (c) => { c.pos += size; return c.buf.readIntLE(c.pos - size, size); };
  }
  if (unsigned) {
    return (c) => {
      const p = (c.pos += 8) - 8;
      const hi = c.buf.readUInt32LE(p + 4);
      return hi < MAX_SAFE_HI ? hi * 0x100000000 + c.buf.readUInt32LE(p) : c.buf.readBigUInt64LE(p).toString();
    };
  }
  return (c) => {
    const p = (c.pos += 8) - 8;
    const hi = c.buf.readInt32LE(p + 4);
    if (hi > -MAX_SAFE_HI && hi < MAX_SAFE_HI) return hi * 0x100000000 + c.buf.readUInt32LE(p);
    const v = c.buf.readBigInt64LE(p);
    return v >= -9007199254740991n && v <= 9007199254740991n ? Number(v) : v;
  };
}

/** The fsp of a TIME/DATETIME/TIMESTAMP column definition (0 for anything else). */
function columnFsp(def: ValueColumnDef): number {
  const mapping = mapColumn(def);
  const kind = mapping.kind;
  return kind === 'time' || kind === 'timestamp' || kind === 'datetime-ms' || kind === 'datetime-us' ? mapping.size : 0;
}

/**
 * The decoder of one column's values. Throws for column types the binlog cannot carry or Ferry does not
 * decode ('unsupported binlog column type N for column x').
 */
export function makeValueDecoder(col: BinlogColumnMeta, def: ValueColumnDef): ValueDecoder {
  const t = parseColumnType(def.columnType);
  // ENUM and SET travel as STRING; anything else keeps the type byte (MariaDB's own types too)
  const type = col.realType === T.ENUM || col.realType === T.SET ? col.realType : col.type;
  switch (type) {
    case T.TINY: case T.SHORT: case T.INT24: case T.LONG: case T.LONGLONG:
      return intDecoder(type, t.unsigned);
    case T.FLOAT:
      return (c) => { c.pos += 4; return c.buf.readFloatLE(c.pos - 4); };
    case T.DOUBLE:
      return (c) => { c.pos += 8; return c.buf.readDoubleLE(c.pos - 8); };
    case T.NEWDECIMAL: {
      const precision = col.meta;
      const scale = col.meta2;
      if (precision < 1 || precision > 65 || scale > 30 || scale > precision) throw new Error(`invalid DECIMAL(${precision},${scale}) for column ${def.name}`);
      return (c) => { const d = decodeBinaryDecimal(c.buf, c.pos, precision, scale); c.pos += d.length; return d.text; };
    }
    case T.BIT: {
      const bytes = col.meta2;
      return (c) => { c.pos += bytes; return copyBytes(c.buf, c.pos - bytes, c.pos); };
    }
    case T.YEAR:
      return (c) => { const v = c.buf[c.pos++]!; return v === 0 ? 0 : 1900 + v; };
    case T.DATE:
      return (c) => { const v = c.buf.readUIntLE((c.pos += 3) - 3, 3); return dateText(v >>> 9, (v >>> 5) & 15, v & 31); };
    case T.TIME2: return time2Decoder(Math.min(col.meta, 6));
    case T.DATETIME2: return datetime2Decoder(Math.min(col.meta, 6));
    case T.TIMESTAMP2: return timestamp2Decoder(Math.min(col.meta, 6));
    case T.TIME: case T.DATETIME: case T.TIMESTAMP:
      return legacyTemporalDecoder(type, Math.min(columnFsp(def), 6));
    case T.ENUM:
      if (col.meta !== 1 && col.meta !== 2) throw new Error(`invalid ENUM size ${col.meta} for column ${def.name}`);
      return enumDecoder(col.meta, t.args);
    case T.SET:
      if (col.meta < 1 || col.meta > 8) throw new Error(`invalid SET size ${col.meta} for column ${def.name}`);
      return setDecoder(col.meta, t.args);
    case T.STRING: case T.VARCHAR: case T.VAR_STRING:
      return lengthPrefixed(col.meta < 256 ? 1 : 2, bytesFormat(def, t.base, t.args), false);
    case T.VARCHAR_COMPRESSED:
      return lengthPrefixed(col.meta < 256 ? 1 : 2, bytesFormat(def, t.base, t.args), true);
    case T.BLOB: case T.TINY_BLOB: case T.MEDIUM_BLOB: case T.LONG_BLOB: case T.BLOB_COMPRESSED:
    case T.GEOMETRY: case T.VECTOR: case T.JSON: {
      if (col.meta < 1 || col.meta > 4) throw new Error(`invalid length-prefix size ${col.meta} for column ${def.name}`);
      if (type === T.JSON) return lengthPrefixed(col.meta, (b, s, e) => (e === s ? null : jsonBinaryToText(b.subarray(s, e))), false);
      const format = type === T.GEOMETRY || type === T.VECTOR ? copyBytes : bytesFormat(def, t.base, t.args);
      return lengthPrefixed(col.meta, format, type === T.BLOB_COMPRESSED);
    }
    default: // NULL, DECIMAL (pre-5.0), NEWDATE and types this decoder does not know
      throw new Error(`unsupported binlog column type ${col.type} for column ${def.name}`);
  }
}
