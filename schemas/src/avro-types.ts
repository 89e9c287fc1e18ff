/**
 * avsc types for Ferry's schemas: an exact int64 ("long") that accepts number and bigint, and a parser
 * that tolerates Debezium names avsc would reject.
 *
 * The long type writes every value in [-2^63, 2^63-1] exactly, from a safe-integer number or a bigint, and
 * reads back a number when the value is a safe integer and a bigint otherwise. It overrides avsc's
 * AbstractLongType read/write hooks directly (no per-value 8-byte buffer), so a number costs the same as
 * avsc's built-in long.
 */
import avsc from 'avsc';
import type { Type } from 'avsc';
import { FerryError } from '../../core/src/errors.ts';
import type { AvroSchema } from './avro-mapping.ts';

const INT64_MIN = -(1n << 63n);
const INT64_MAX = (1n << 63n) - 1n;
const UINT64_MASK = (1n << 64n) - 1n;
const MIN_SAFE = BigInt(Number.MIN_SAFE_INTEGER);
const MAX_SAFE = BigInt(Number.MAX_SAFE_INTEGER);

/** An int64 value as Ferry carries it. */
export type Int64 = number | bigint;

function isInt64(v: unknown): v is Int64 {
  if (typeof v === 'number') return Number.isSafeInteger(v);
  if (typeof v === 'bigint') return v >= INT64_MIN && v <= INT64_MAX;
  return false;
}

/** A bigint as a number when that is exact, else the bigint. */
export function normalizeInt64(v: bigint): Int64 {
  return v >= MIN_SAFE && v <= MAX_SAFE ? Number(v) : v;
}

function toBig(v: unknown): bigint {
  if (typeof v === 'bigint') return v;
  if (typeof v === 'number') return BigInt(v);
  if (typeof v === 'string') return BigInt(v);
  throw new TypeError(`not an int64: ${String(v)}`);
}

// The subset of avsc's Tap that the hooks use.
interface Tap {
  buf: Buffer;
  pos: number;
  writeLong(n: number): void;
}

// avsc's Tap#writeLong zig-zags in double arithmetic, which is exact only while 2|v|+1 < 2^53.
const FAST_LIMIT = 2 ** 52;
const FAST_LIMIT_BIG = 1n << 52n;

const lastBig: [bigint | undefined, bigint | undefined] = [undefined, undefined];
const lastLo = new Float64Array(2);
const lastHi = new Float64Array(2);

function writeInt64(tap: Tap, val: unknown): void {
  let v: bigint;
  if (typeof val === 'number') {
    if (val > -FAST_LIMIT && val < FAST_LIMIT && Number.isInteger(val)) {
      tap.writeLong(val);
      return;
    }
    if (!Number.isSafeInteger(val)) throw new Error(`invalid "long": ${val} (not a safe integer; pass a bigint)`);
    v = BigInt(val);
  } else if (typeof val === 'bigint' && val >= INT64_MIN && val <= INT64_MAX) {
    if (val > -FAST_LIMIT_BIG && val < FAST_LIMIT_BIG) {
      tap.writeLong(Number(val));
      return;
    }
    v = val;
  } else {
    throw new Error(`invalid "long": ${String(val)} (outside [-2^63, 2^63-1])`);
  }
  // Zig-zag, then base-128 varint from the two 32-bit halves (a few BigInt operations instead of two per byte:
  // every event carries ts_ns). Writes past the buffer end are dropped and avsc retries with a larger one.
  // The halves of the last two values are kept: consecutive events mostly repeat their envelope's and their source
  // block's ts_ns, and then no BigInt operation is needed at all.
  let lo: number;
  let hi: number;
  if (v === lastBig[0]) {
    lo = lastLo[0]!;
    hi = lastHi[0]!;
  } else if (v === lastBig[1]) {
    lo = lastLo[1]!;
    hi = lastHi[1]!;
  } else {
    const z = v >= 0n ? v << 1n : ((-v) << 1n) - 1n;
    lo = Number(z & 0xffffffffn);
    hi = Number(z >> 32n);
    lastBig[1] = lastBig[0];
    lastLo[1] = lastLo[0]!;
    lastHi[1] = lastHi[0]!;
    lastBig[0] = v;
    lastLo[0] = lo;
    lastHi[0] = hi;
  }
  const buf = tap.buf;
  let pos = tap.pos;
  while (hi !== 0 || lo >= 0x80) {
    buf[pos++] = (lo & 0x7f) | 0x80;
    lo = ((lo >>> 7) | ((hi & 0x7f) << 25)) >>> 0;
    hi >>>= 7;
  }
  buf[pos++] = lo;
  tap.pos = pos;
}

function readInt64(tap: Tap): Int64 {
  const buf = tap.buf;
  let pos = tap.pos;
  let b = buf[pos++]!;
  let n = b & 0x7f;
  let mul = 128;
  let i = 1;
  // Up to 7 bytes (49 bits) accumulate exactly in a double.
  while (b & 0x80 && i < 7) {
    b = buf[pos++]!;
    n += (b & 0x7f) * mul;
    mul *= 128;
    i++;
  }
  if (!(b & 0x80)) {
    tap.pos = pos;
    return n % 2 ? -(n + 1) / 2 : n / 2;
  }
  let z = BigInt(n);
  let shift = 49n;
  do {
    b = buf[pos++]!;
    z |= BigInt(b & 0x7f) << shift;
    shift += 7n;
  } while (b & 0x80 && shift < 70n);
  tap.pos = pos;
  z &= UINT64_MASK;
  return normalizeInt64((z >> 1n) ^ -(z & 1n));
}

function makeLongType(): Type {
  const base = avsc.types.LongType.__with({
    fromBuffer: (buf: Buffer): Int64 => normalizeInt64(buf.readBigInt64LE(0)),
    toBuffer: (v: Int64): Buffer => {
      const b = Buffer.alloc(8);
      b.writeBigInt64LE(toBig(v));
      return b;
    },
    fromJSON: (v: unknown): Int64 => (typeof v === 'number' ? v : normalizeInt64(toBig(v))),
    toJSON: (v: Int64): Int64 => v,
    isValid: isInt64,
    compare: (a: Int64, b: Int64): number => {
      const x = toBig(a);
      const y = toBig(b);
      return x < y ? -1 : x > y ? 1 : 0;
    },
  });
  // The instance is frozen, but these hooks live on its prototype: shadow them on a child object.
  const t = Object.create(base) as Record<string, unknown>;
  t._write = writeInt64;
  t._read = readInt64;
  t._check = (val: unknown, _flags: unknown, hook?: (v: unknown, type: unknown) => void): boolean => {
    const ok = isInt64(val);
    if (!ok && hook) hook(val, t);
    return ok;
  };
  return t as unknown as Type;
}

/** The shared exact int64 avsc type. */
export const LONG_TYPE: Type = makeLongType();

const longHook = (sch: unknown): Type | undefined => (sch === 'long' || (typeof sch === 'object' && sch !== null && (sch as { type?: unknown }).type === 'long') ? LONG_TYPE : undefined);

/**
 * A value already encoded with its type (one record's Avro bytes). A type made by avscType with `preEncodedField`
 * writes it as it is in that field: an envelope's source block, shared by the events of a snapshot chunk, is then
 * encoded once and copied (schemas/src/event-encoder.ts).
 */
export class AvroBytes {
  readonly bytes: Buffer;
  constructor(bytes: Buffer) {
    this.bytes = bytes;
  }
}

interface BytesTap { writeFixed(buf: Buffer, len: number): void }

function acceptingAvroBytes(base: Type): Type {
  // The instance is frozen: shadow its writer on a child object, as for the long type.
  const write = (base as unknown as { _write(tap: BytesTap, val: unknown): void })._write;
  // (defineProperty: the record's writer is an own read-only property of the frozen instance, which plain
  // assignment on a child object may not shadow.)
  const t = Object.create(base) as object;
  Object.defineProperty(t, '_write', {
    value: (tap: BytesTap, val: unknown): void => {
      if (val instanceof AvroBytes) tap.writeFixed(val.bytes, val.bytes.length);
      else write.call(base, tap, val);
    },
  });
  return t as unknown as Type;
}

const NAME_PART = /^[A-Za-z_][A-Za-z0-9_]*$/;
const PRIMITIVES = new Set(['null', 'boolean', 'int', 'long', 'float', 'double', 'bytes', 'string']);

function safeName(name: string): string {
  return name.split('.').map((p) => (NAME_PART.test(p) ? p : `_${p.replace(/[^A-Za-z0-9_]/g, '_')}`)).join('.');
}

function needsRename(schema: unknown): boolean {
  if (typeof schema === 'string') return !PRIMITIVES.has(schema) && !schema.split('.').every((p) => NAME_PART.test(p));
  if (Array.isArray(schema)) return schema.some(needsRename);
  if (schema === null || typeof schema !== 'object') return false;
  const o = schema as Record<string, unknown>;
  if (o.type === 'record' || o.type === 'error' || o.type === 'enum' || o.type === 'fixed') {
    if (typeof o.name === 'string' && needsRename(o.name)) return true;
    if (typeof o.namespace === 'string' && o.namespace !== '' && needsRename(o.namespace)) return true;
    if (Array.isArray(o.fields)) return o.fields.some((f: { type?: unknown }) => needsRename(f.type));
    return false;
  }
  return needsRename(o.items) || needsRename(o.values) || (typeof o.type === 'object' && needsRename(o.type));
}

function renameAll(schema: unknown): unknown {
  if (typeof schema === 'string') return PRIMITIVES.has(schema) ? schema : safeName(schema);
  if (Array.isArray(schema)) return schema.map(renameAll);
  if (schema === null || typeof schema !== 'object') return schema;
  const o = { ...(schema as Record<string, unknown>) };
  if (o.type === 'record' || o.type === 'error' || o.type === 'enum' || o.type === 'fixed') {
    if (typeof o.name === 'string') o.name = safeName(o.name);
    if (typeof o.namespace === 'string' && o.namespace !== '') o.namespace = safeName(o.namespace);
    if (Array.isArray(o.fields)) o.fields = o.fields.map((f: Record<string, unknown>) => ({ ...f, type: renameAll(f.type) }));
    return o;
  }
  if (o.items !== undefined) o.items = renameAll(o.items);
  if (o.values !== undefined) o.values = renameAll(o.values);
  if (typeof o.type === 'object') o.type = renameAll(o.type);
  return o;
}

/**
 * Parses Avro schema JSON into an avsc Type using Ferry's int64. Logical types are not interpreted: values
 * stay in their wire representation (Decimal → Buffer, timestamps → numbers, ...).
 * Names that Debezium allows but avsc rejects (a dotted part starting with a digit, as in `srv.1db.t.Value`)
 * are rewritten for avsc only; names never reach the binary encoding, so the bytes are unaffected.
 */
export function avscType(schema: AvroSchema | object, options: { readonly preEncodedField?: string } = {}): Type {
  const s = needsRename(schema) ? renameAll(schema) : schema;
  // The record type of one field of the top record also writes an AvroBytes value as it is (see AvroBytes).
  const field = options.preEncodedField;
  const fieldSchema = field === undefined ? undefined : (s as { fields?: Array<{ name: string; type: unknown }> }).fields?.find((f) => f.name === field)?.type;
  const preEncodable = typeof fieldSchema === 'object' && fieldSchema !== null && (fieldSchema as { type?: unknown }).type === 'record' ? fieldSchema : undefined;
  try {
    return avsc.Type.forSchema(s as Parameters<typeof avsc.Type.forSchema>[0], {
      typeHook: (sch) => (sch === preEncodable ? acceptingAvroBytes(avsc.Type.forSchema(sch as Parameters<typeof avsc.Type.forSchema>[0], { typeHook: longHook })) : longHook(sch)),
    });
  } catch (e: unknown) {
    throw new FerryError('FERRY_INTERNAL', `avsc cannot parse the Avro schema: ${e instanceof Error ? e.message : String(e)}`, { cause: e });
  }
}
