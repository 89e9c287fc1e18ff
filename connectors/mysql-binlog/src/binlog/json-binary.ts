/**
 * MySQL's binary JSON format (JSON columns in row events, sql-common/json_binary.cc) to JSON text, printed the
 * way MySQL prints it (JSON_EXTRACT, CAST(... AS CHAR): sql-common/json_dom.cc wrapper_to_string), and the binary
 * DECIMAL layout (strings/decimal.cc bin2decimal), which JSON decimal values and DECIMAL columns share.
 *
 * A value is a type byte followed by its data. Containers (objects, arrays) hold an element count and their byte
 * size, then key entries (objects: offset, 2-byte length), then value entries (type byte, then the value inline
 * or its offset); offsets count from the container's count field. Small containers use 2-byte counts, sizes and
 * offsets, large ones 4-byte. Literals and 16-bit ints are inlined, 32-bit ints only in large containers.
 *
 * Printing follows MySQL: ", " and ": " separators, keys in stored order, doubles as my_gcvt prints them (the
 * shortest round-trip digits; plain notation for decimal exponents -14..15, else '1.5e20' / '1e-16'; integral
 * values get '.0'), DATE as "2024-01-02", TIME/DATETIME/TIMESTAMP ALWAYS with 6 fraction digits
 * ("12:34:56.000000", "2024-01-02 12:34:56.000000", as my_TIME_to_str(t, 6) does), VAR_STRING opaques as strings
 * (MySQL 8), other opaques as "base64:type<N>:<base64>" with MySQL's line break after every 76 base64 characters.
 */
import { unscaledToDecimal } from '../../../../schemas/src/decimal.ts';

const SMALL_OBJECT = 0x00;
const LARGE_OBJECT = 0x01;
const SMALL_ARRAY = 0x02;
const LARGE_ARRAY = 0x03;
const LITERAL = 0x04;
const INT16 = 0x05;
const UINT16 = 0x06;
const INT32 = 0x07;
const UINT32 = 0x08;
const INT64 = 0x09;
const UINT64 = 0x0a;
const DOUBLE = 0x0b;
const STRING = 0x0c;
const OPAQUE = 0x0f;

/** MySQL field types that opaque values carry and that print as something other than base64. */
const FIELD_TIMESTAMP = 7;
const FIELD_DATE = 10;
const FIELD_TIME = 11;
const FIELD_DATETIME = 12;
const FIELD_VAR_STRING = 253;
const FIELD_NEWDECIMAL = 246;

/** JSON_DOCUMENT_MAX_DEPTH: MySQL refuses deeper documents; it also stops offset cycles in corrupt input. */
const MAX_DEPTH = 100;

function corrupt(offset: number, what: string): never {
  throw new Error(`corrupt binary JSON at byte ${offset}: ${what}`);
}

function need(pos: number, n: number, end: number, what: string): void {
  if (pos + n > end) corrupt(pos, `${what} needs ${n} bytes, ${Math.max(0, end - pos)} left`);
}

/** The JSON text of one binary JSON value (a column image); an empty buffer is SQL NULL and gives 'null'. */
export function jsonBinaryToText(buf: Buffer): string {
  if (buf.length === 0) return 'null';
  return valueText(buf, buf[0]!, 0, 1, buf.length, 0);
}

/** The value of type `type` (whose type byte is at `typeAt`) with data at [pos, end). */
function valueText(b: Buffer, type: number, typeAt: number, pos: number, end: number, depth: number): string {
  switch (type) {
    case SMALL_OBJECT: case LARGE_OBJECT: case SMALL_ARRAY: case LARGE_ARRAY:
      return containerText(b, pos, end, type === LARGE_OBJECT || type === LARGE_ARRAY, type <= LARGE_OBJECT, depth + 1);
    case LITERAL:
      need(pos, 1, end, 'literal');
      switch (b[pos]) {
        case 0x00: return 'null';
        case 0x01: return 'true';
        case 0x02: return 'false';
        default: return corrupt(pos, `unknown literal 0x${b[pos]!.toString(16)}`);
      }
    case INT16: need(pos, 2, end, 'int16'); return String(b.readInt16LE(pos));
    case UINT16: need(pos, 2, end, 'uint16'); return String(b.readUInt16LE(pos));
    case INT32: need(pos, 4, end, 'int32'); return String(b.readInt32LE(pos));
    case UINT32: need(pos, 4, end, 'uint32'); return String(b.readUInt32LE(pos));
    case INT64: need(pos, 8, end, 'int64'); return b.readBigInt64LE(pos).toString();
    case UINT64: need(pos, 8, end, 'uint64'); return b.readBigUInt64LE(pos).toString();
    case DOUBLE: {
      need(pos, 8, end, 'double');
      const d = b.readDoubleLE(pos);
      if (!Number.isFinite(d)) corrupt(pos, `double ${d} is not a JSON number`);
      return formatDouble(d);
    }
    case STRING: {
      const { value: length, next } = readVarLen(b, pos, end);
      need(next, length, end, 'string');
      return quote(b.toString('utf8', next, next + length));
    }
    case OPAQUE: {
      need(pos, 1, end, 'opaque value');
      const fieldType = b[pos]!;
      const { value: length, next } = readVarLen(b, pos + 1, end);
      need(next, length, end, `opaque value of field type ${fieldType}`);
      return opaqueText(b, fieldType, next, length);
    }
    default:
      return corrupt(typeAt, `unknown value type 0x${type.toString(16)}`);
  }
}

/** An object or array whose count field is at `pos`; its bytes must end by `end`. */
function containerText(b: Buffer, pos: number, end: number, large: boolean, isObject: boolean, depth: number): string {
  const parts: string[] = [];
  forEachEntry(b, pos, end, large, isObject, depth, (key, type, typeAt, vpos, vend) => {
    const text = valueText(b, type, typeAt, vpos, vend, depth);
    parts.push(key === null ? text : `${quote(key)}: ${text}`);
  });
  return isObject ? `{${parts.join(', ')}}` : `[${parts.join(', ')}]`;
}

/** Calls `fn` with each entry of a container (key null in arrays) and where its value's data lies. */
function forEachEntry(b: Buffer, pos: number, end: number, large: boolean, isObject: boolean, depth: number,
  fn: (key: string | null, type: number, typeAt: number, vpos: number, vend: number) => void): void {
  if (depth > MAX_DEPTH) corrupt(pos, `nested deeper than ${MAX_DEPTH} levels`);
  const os = large ? 4 : 2;
  const read = (at: number) => (large ? b.readUInt32LE(at) : b.readUInt16LE(at));
  need(pos, 2 * os, end, isObject ? 'object header' : 'array header');
  const count = read(pos);
  const size = read(pos + os);
  if (size > end - pos) corrupt(pos, `container of ${size} bytes, only ${end - pos} left`);
  const keyEntry = os + 2;
  const valueEntry = 1 + os;
  const valuesAt = 2 * os + (isObject ? count * keyEntry : 0);
  const header = valuesAt + count * valueEntry;
  if (header > size) corrupt(pos, `${count} entries do not fit in a container of ${size} bytes`);
  for (let i = 0; i < count; i++) {
    let key: string | null = null;
    if (isObject) {
      const entry = pos + 2 * os + i * keyEntry;
      const keyOffset = read(entry);
      const keyLength = b.readUInt16LE(entry + os);
      if (keyOffset < header || keyOffset + keyLength > size) corrupt(entry, `key at offset ${keyOffset} (${keyLength} bytes) outside its object`);
      key = b.toString('utf8', pos + keyOffset, pos + keyOffset + keyLength);
    }
    const entry = pos + valuesAt + i * valueEntry;
    const type = b[entry]!;
    if (type === LITERAL || type === INT16 || type === UINT16 || (large && (type === INT32 || type === UINT32))) {
      fn(key, type, entry, entry + 1, entry + 1 + os);
    } else {
      const offset = read(entry + 1);
      if (offset < header || offset >= size) corrupt(entry, `value at offset ${offset} outside its container`);
      fn(key, type, entry, pos + offset, pos + size);
    }
  }
}

/**
 * A JSON document as a tree whose leaves are already printed the MySQL way (json-diff.ts edits it for partial
 * updates). Object members keep their stored order, which is MySQL's key order (shorter keys first, then
 * bytewise).
 */
export type JsonNode =
  | { readonly kind: 'object'; readonly members: Array<[string, JsonNode]> }
  | { readonly kind: 'array'; readonly items: JsonNode[] }
  | { readonly kind: 'scalar'; readonly text: string };

/** The tree of one binary JSON value; an empty buffer is the JSON null literal. */
export function jsonBinaryToTree(buf: Buffer): JsonNode {
  if (buf.length === 0) return { kind: 'scalar', text: 'null' };
  return valueTree(buf, buf[0]!, 0, 1, buf.length, 0);
}

function valueTree(b: Buffer, type: number, typeAt: number, pos: number, end: number, depth: number): JsonNode {
  if (type > LARGE_ARRAY) return { kind: 'scalar', text: valueText(b, type, typeAt, pos, end, depth) };
  const large = type === LARGE_OBJECT || type === LARGE_ARRAY;
  if (type <= LARGE_OBJECT) {
    const members: Array<[string, JsonNode]> = [];
    forEachEntry(b, pos, end, large, true, depth + 1, (key, t, at, vpos, vend) => members.push([key!, valueTree(b, t, at, vpos, vend, depth + 1)]));
    return { kind: 'object', members };
  }
  const items: JsonNode[] = [];
  forEachEntry(b, pos, end, large, false, depth + 1, (_k, t, at, vpos, vend) => items.push(valueTree(b, t, at, vpos, vend, depth + 1)));
  return { kind: 'array', items };
}

/** The text of a tree, as jsonBinaryToText prints the same document. */
export function jsonTreeText(n: JsonNode): string {
  if (n.kind === 'scalar') return n.text;
  if (n.kind === 'array') return `[${n.items.map(jsonTreeText).join(', ')}]`;
  return `{${n.members.map(([k, v]) => `${quote(k)}: ${jsonTreeText(v)}`).join(', ')}}`;
}

/** A length of 1 to 5 bytes, 7 bits each, least significant first; the high bit says another byte follows. */
function readVarLen(b: Buffer, pos: number, end: number): { value: number; next: number } {
  let value = 0;
  for (let i = 0; i < 5; i++) {
    if (pos + i >= end) corrupt(pos + i, 'truncated length');
    const byte = b[pos + i]!;
    value += (byte & 0x7f) * 2 ** (7 * i);
    if ((byte & 0x80) === 0) {
      if (value > 0xffffffff) corrupt(pos, `length ${value} exceeds 32 bits`);
      return { value, next: pos + i + 1 };
    }
  }
  return corrupt(pos, 'length longer than 5 bytes');
}

const ESCAPES: Record<number, string> = { 0x22: '\\"', 0x5c: '\\\\', 0x08: '\\b', 0x09: '\\t', 0x0a: '\\n', 0x0c: '\\f', 0x0d: '\\r' };

/** A JSON string literal, escaped as MySQL's double_quote does: '"', '\\' and control characters (< 0x20) only. */
function quote(s: string): string {
  let out = '"';
  let from = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 0x20 && c !== 0x22 && c !== 0x5c) continue;
    out += s.slice(from, i) + (ESCAPES[c] ?? `\\u00${c.toString(16).padStart(2, '0')}`);
    from = i + 1;
  }
  return `${out}${s.slice(from)}"`;
}

/**
 * A double as MySQL's my_gcvt(d, MY_GCVT_ARG_DOUBLE, 34) prints it, plus '.0' for integral values: the shortest
 * digits that round-trip; plain notation when the decimal point position is -14..15 (or inside the digits),
 * otherwise 'd.ddde<exp>' with no '+' and no exponent padding.
 */
function formatDouble(d: number): string {
  if (d === 0) return Object.is(d, -0) ? '-0.0' : '0.0';
  const [mantissa, exponent] = Math.abs(d).toExponential().split('e') as [string, string];
  const digits = mantissa.replace('.', '');
  const decpt = Number(exponent) + 1; // the value is 0.<digits> * 10^decpt
  const len = digits.length;
  let s: string;
  if (decpt >= -14 && (decpt <= 15 || len > decpt)) {
    if (decpt <= 0) s = `0.${'0'.repeat(-decpt)}${digits}`;
    else if (decpt < len) s = `${digits.slice(0, decpt)}.${digits.slice(decpt)}`;
    else s = digits + '0'.repeat(decpt - len) + '.0';
  } else {
    s = `${digits[0]}${len > 1 ? `.${digits.slice(1)}` : ''}e${decpt - 1}`;
  }
  return d < 0 ? `-${s}` : s;
}

const pad = (n: number | bigint, width: number) => String(n).padStart(width, '0');

function opaqueText(b: Buffer, fieldType: number, pos: number, length: number): string {
  switch (fieldType) {
    case FIELD_NEWDECIMAL: {
      if (length < 2) corrupt(pos, `decimal of ${length} bytes`);
      const precision = b[pos]!;
      const scale = b[pos + 1]!;
      const size = decimalBinarySize(precision, scale, pos);
      if (size !== length - 2) corrupt(pos, `DECIMAL(${precision},${scale}) takes ${size} bytes, the value has ${length - 2}`);
      return decodeBinaryDecimal(b, pos + 2, precision, scale).text;
    }
    case FIELD_DATE: case FIELD_TIME: case FIELD_DATETIME: case FIELD_TIMESTAMP:
      if (length !== 8) corrupt(pos, `packed date/time of ${length} bytes, expected 8`);
      return `"${packedTimeText(fieldType, b.readBigInt64LE(pos))}"`;
    case FIELD_VAR_STRING:
      return quote(b.toString('utf8', pos, pos + length));
    default: {
      const base64 = b.toString('base64', pos, pos + length).replace(/(.{76})(?=.)/g, '$1\n');
      return quote(`base64:type${fieldType}:${base64}`);
    }
  }
}

/** A date/time in MySQL's packed int64 form (sql-common/my_time.cc TIME_from_longlong_*_packed) as text. */
function packedTimeText(fieldType: number, packed: bigint): string {
  const negative = packed < 0n;
  const v = negative ? -packed : packed;
  const micros = pad(v % (1n << 24n), 6);
  const whole = v >> 24n;
  if (fieldType === FIELD_TIME) {
    const hms = Number(whole);
    const hour = Math.floor(hms / 4096) % 1024;
    return `${negative ? '-' : ''}${pad(hour, 2)}:${pad(Math.floor(hms / 64) % 64, 2)}:${pad(hms % 64, 2)}.${micros}`;
  }
  const ymd = whole >> 17n;
  const hms = Number(whole % (1n << 17n));
  const ym = ymd >> 5n;
  const date = `${pad(ym / 13n, 4)}-${pad(ym % 13n, 2)}-${pad(ymd % 32n, 2)}`;
  if (fieldType === FIELD_DATE) return date;
  return `${date} ${pad(Math.floor(hms / 4096), 2)}:${pad(Math.floor(hms / 64) % 64, 2)}:${pad(hms % 64, 2)}.${micros}`;
}

/** Bytes for the 0..9 decimal digits left over after the 9-digit (4-byte) groups. */
const DIG2BYTES = [0, 1, 1, 2, 2, 3, 3, 4, 4, 4] as const;

/** The bytes of a binary DECIMAL(precision, scale); throws for an invalid precision or scale. */
export function decimalBinarySize(precision: number, scale: number, at: number): number {
  if (!Number.isInteger(precision) || !Number.isInteger(scale) || precision < 1 || precision > 65 || scale < 0 || scale > 30 || scale > precision) {
    throw new Error(`invalid DECIMAL(${precision},${scale}) at byte ${at}`);
  }
  const intg = precision - scale;
  return Math.floor(intg / 9) * 4 + DIG2BYTES[intg % 9]! + Math.floor(scale / 9) * 4 + DIG2BYTES[scale % 9]!;
}

/** Readers of binary DECIMAL(precision, scale) by precision * 64 + scale (binaryDecimalReader). */
const decimalReaders = new Map<number, ReturnType<typeof binaryDecimalReader>>();

/**
 * A MySQL binary DECIMAL(precision, scale) at `offset`: its exact text with exactly `scale` fraction digits
 * ('-12.50', '0.05', '123'; zero has no sign) and the bytes it takes (the layout: binaryDecimalReader).
 */
export function decodeBinaryDecimal(buf: Buffer, offset: number, precision: number, scale: number): { text: string; length: number } {
  decimalBinarySize(precision, scale, offset); // throws for an invalid precision or scale, naming the offset
  const key = precision * 64 + scale;
  let reader = decimalReaders.get(key);
  if (reader === undefined) decimalReaders.set(key, (reader = binaryDecimalReader(precision, scale)));
  return { text: unscaledToDecimal(reader.read(buf, offset), scale), length: reader.length };
}

const POW10 = [1, 10, 100, 1000, 10000, 100000, 1000000, 10000000, 100000000, 1000000000] as const;
const POW10N = POW10.map(BigInt);

/**
 * A reader of binary DECIMAL(precision, scale) values as their unscaled value: 1250 for DECIMAL(4,2) 12.50. The
 * digits are stored big-endian in groups, integer part then fraction: leftover leading integer digits first, then
 * 9 digits per 4 bytes, then the leftover trailing fraction digits; the top bit of the first byte is set for
 * non-negative values, and negative values have every byte inverted. A number while it is a safe integer, else a
 * bigint; zero (also the stored -0) is 0. The reader throws for short buffers and corrupt groups; making one
 * throws for an invalid precision or scale. `length` is the bytes a value takes.
 */
export function binaryDecimalReader(precision: number, scale: number): { length: number; read: (buf: Buffer, offset: number) => number | bigint } {
  const length = decimalBinarySize(precision, scale, 0);
  const intg = precision - scale;
  const sizes: number[] = []; // bytes, then digits, of each group in storage order
  if (intg % 9 > 0) sizes.push(DIG2BYTES[intg % 9]!, intg % 9);
  for (let i = Math.floor(intg / 9) + Math.floor(scale / 9); i > 0; i--) sizes.push(4, 9);
  if (scale % 9 > 0) sizes.push(DIG2BYTES[scale % 9]!, scale % 9);
  const read = (buf: Buffer, offset: number): number | bigint => {
    if (!(offset >= 0 && offset + length <= buf.length)) {
      throw new Error(`DECIMAL(${precision},${scale}) at byte ${offset} needs ${length} bytes, ${Math.max(0, buf.length - offset)} left`);
    }
    const mask = (buf[offset]! & 0x80) === 0 ? 0xff : 0; // negative values have every byte inverted
    let pos = offset;
    let n = 0;
    let big: bigint | null = null;
    for (let g = 0; g < sizes.length; g += 2) {
      const bytes = sizes[g]!;
      const digits = sizes[g + 1]!;
      let v = 0;
      for (let i = 0; i < bytes; i++) v = v * 256 + ((pos + i === offset ? buf[pos]! ^ 0x80 : buf[pos + i]!) ^ mask);
      if (v >= POW10[digits]!) throw new Error(`corrupt DECIMAL(${precision},${scale}) at byte ${pos}: ${v} does not fit in ${digits} digits`);
      pos += bytes;
      if (big === null) {
        const next = n * POW10[digits]! + v; // above 2^53 - 1 it is inexact, but never rounds back below
        if (next <= Number.MAX_SAFE_INTEGER) { n = next; continue; }
        big = BigInt(n);
      }
      big = big * POW10N[digits]! + BigInt(v);
    }
    if (big !== null) return mask === 0 ? big : -big;
    return mask === 0 || n === 0 ? n : -n;
  };
  return { length, read };
}
