/**
 * Reading a Kafka record's Avro envelope (Confluent wire format) without decoding it into objects: the op, where the
 * after-image starts, and source.ts_ms. The decoder's lazy mode 'snapshot-reads' (record-decoder.ts) scans every
 * record with it; sinks that turn a snapshot read's after-image bytes straight into their output (the PostgreSQL
 * sink's binary COPY) use the Avro primitives below.
 *
 * Compiled once per table version from the registered (writer) schema. The whole payload is walked, so a record whose
 * bytes are truncated or have trailing garbage is reported (scan returns false) as avsc would refuse it.
 */
import type { SinkTable } from '../../../core/src/record-sink.ts';

type Obj = Record<string, unknown>;

/** Read state over one buffer. `big` holds a long beyond ±2^53 (readLong then returns NaN). */
export class AvroReader {
  buf: Buffer = Buffer.alloc(0);
  pos = 0;
  end = 0;
  big = 0n;
}

const TWO53 = 9007199254740992;

/** An Avro int or long (zig-zag varint). Beyond ±2^53 returns NaN and leaves the exact value in r.big. */
export function readLong(r: AvroReader): number {
  const buf = r.buf;
  let pos = r.pos;
  if (pos >= r.end) throw new RangeError('truncated Avro value');
  let b = buf[pos++]!;
  if ((b & 0x80) === 0) {
    r.pos = pos;
    return (b >> 1) ^ -(b & 1);
  }
  const start = pos - 1;
  let u = b & 0x7f;
  let mul = 128;
  do {
    if (pos >= r.end) throw new RangeError('truncated Avro long');
    b = buf[pos++]!;
    u += (b & 0x7f) * mul;
    mul *= 128;
  } while (b & 0x80);
  r.pos = pos;
  if (u < TWO53) return u % 2 === 0 ? u / 2 : -(u + 1) / 2;
  let x = 0n;
  let shift = 0n;
  for (let p = start; p < pos; p++) {
    x |= BigInt(buf[p]! & 0x7f) << shift;
    shift += 7n;
  }
  x = BigInt.asUintN(64, x);
  r.big = (x >> 1n) ^ -(x & 1n);
  return NaN;
}

/** A length prefix (bytes, string), checked against the buffer. */
export function readLength(r: AvroReader): number {
  const n = readLong(r);
  if (!(n >= 0) || r.pos + n > r.end) throw new RangeError('truncated or corrupt Avro length');
  return n;
}

export type Skip = (r: AvroReader) => void;

/** Named types (records, enums, fixed) of a schema by full and short name. */
export function namedTypes(schema: unknown, out = new Map<string, Obj>()): Map<string, Obj> {
  if (Array.isArray(schema)) {
    for (const s of schema) namedTypes(s, out);
    return out;
  }
  if (typeof schema !== 'object' || schema === null) return out;
  const o = schema as Obj;
  if ((o.type === 'record' || o.type === 'enum' || o.type === 'fixed') && typeof o.name === 'string') {
    out.set(o.name, o);
    out.set(o.name.split('.').pop()!, o);
    if (typeof o.namespace === 'string' && !o.name.includes('.')) out.set(`${o.namespace}.${o.name}`, o);
  }
  if (Array.isArray(o.fields)) for (const f of o.fields as Obj[]) namedTypes(f.type, out);
  if (typeof o.type === 'object') namedTypes(o.type, out);
  if (o.items !== undefined) namedTypes(o.items, out);
  if (o.values !== undefined) namedTypes(o.values, out);
  return out;
}

/** A function that steps over one value of `schema` (writer schema, named types resolved through `named`). */
export function skipperOf(schema: unknown, named: Map<string, Obj>): Skip {
  if (typeof schema === 'string') {
    switch (schema) {
      case 'null': return () => {};
      case 'boolean': return (r) => { r.pos += 1; };
      case 'int': case 'long': return (r) => { readLong(r); };
      case 'float': return (r) => { r.pos += 4; };
      case 'double': return (r) => { r.pos += 8; };
      case 'bytes': case 'string': return (r) => { const n = readLength(r); r.pos += n; };
    }
    const t = named.get(schema);
    if (!t) throw new Error(`undefined Avro type ${schema}`);
    let s: Skip | undefined;
    return (r) => (s ??= skipperOf(t, named))(r);
  }
  if (Array.isArray(schema)) {
    const branches = schema.map((b) => skipperOf(b, named));
    return (r) => {
      const b = branches[readLong(r)];
      if (b === undefined) throw new RangeError('bad Avro union index');
      b(r);
    };
  }
  const o = schema as Obj;
  switch (o.type) {
    case 'record': case 'error': {
      const fs = (o.fields as { type: unknown }[]).map((f) => skipperOf(f.type, named));
      return (r) => { for (const f of fs) f(r); };
    }
    case 'enum': return (r) => { readLong(r); };
    case 'fixed': { const size = Number(o.size); return (r) => { r.pos += size; }; }
    case 'array': case 'map': {
      const item = skipperOf(o.type === 'array' ? o.items : o.values, named);
      const isMap = o.type === 'map';
      return (r) => {
        for (;;) {
          let n = readLong(r);
          if (n === 0) return;
          if (n < 0) { const size = readLength(r); r.pos += size; continue; }
          for (; n > 0; n--) { if (isMap) { const k = readLength(r); r.pos += k; } item(r); }
        }
      };
    }
    default: return skipperOf(o.type, named);
  }
}

/** What scan() found; reused between records. */
export class EnvelopeScan {
  /** The op letter's char code ('c' = 99, 'r' = 114, ...), 0 when absent or not one letter. */
  op = 0;
  /** Offset in the buffer of the after-image record's first field; -1 when after is null. */
  afterAt = -1;
  /** source.ts_ms, null when absent. */
  tsMs: number | null = null;
}

/** The value record (type of `after`) of an Envelope schema, with its union's null branch index. */
export function afterRecordOf(envelope: Obj, named: Map<string, Obj>): { readonly record: Obj; readonly nullIndex: number } {
  const f = (envelope.fields as { name: string; type: unknown }[]).find((x) => x.name === 'after');
  if (f === undefined) throw new Error('the Envelope has no after field');
  const branches = Array.isArray(f.type) ? (f.type as unknown[]) : [f.type];
  const i = branches.findIndex((b) => b !== 'null');
  const t = branches[i];
  const record = (typeof t === 'string' ? named.get(t) : t) as Obj | undefined;
  if (record === undefined || record.type !== 'record') throw new Error('the Envelope after field is not a record');
  return { record, nullIndex: Array.isArray(f.type) ? branches.indexOf('null') : -1 };
}

// Scan program opcodes (a flat Int32Array walked by one loop: no closure call per field).
const VARINT = 0;
const LEN = 1;
const FIXED = 2; // size
const UNION = 3; // nullIndex, valueIndex, length of the value's block (skipped when the null branch is taken)
const CALL = 4; // index of a skipper closure (arrays, maps, other unions, recursive types)
const MARK_AFTER = 5;
const OP = 6;
const TS = 7;

const PRIMITIVE_OPS: Readonly<Record<string, readonly number[]>> = {
  null: [], boolean: [FIXED, 1], int: [VARINT], long: [VARINT], float: [FIXED, 4], double: [FIXED, 8], bytes: [LEN], string: [LEN],
};

/** The compiled scanner of one table version's Envelope. */
export class EnvelopeScanner {
  readonly #prog: Int32Array;
  readonly #calls: Skip[] = [];

  constructor(table: SinkTable) {
    const env = table.valueSchema as unknown as Obj;
    const named = namedTypes(env);
    const out: number[] = [];
    const emit = (schema: unknown, depth: number, mark?: number): void => {
      if (mark !== undefined) out.push(mark);
      if (typeof schema === 'string') {
        const prim = PRIMITIVE_OPS[schema];
        if (prim !== undefined) {
          out.push(...prim);
          return;
        }
        const t = named.get(schema);
        if (t === undefined) throw new Error(`undefined Avro type ${schema}`);
        if (depth > 8) {
          out.push(CALL, this.#calls.push(skipperOf(t, named)) - 1);
          return;
        }
        emit(t, depth + 1);
        return;
      }
      if (Array.isArray(schema)) {
        const nullIdx = schema.indexOf('null');
        if (schema.length === 2 && nullIdx >= 0) {
          const valueIdx = 1 - nullIdx;
          const at = out.length;
          out.push(UNION, nullIdx, valueIdx, 0);
          emit(schema[valueIdx], depth);
          out[at + 3] = out.length - at - 4;
          return;
        }
        out.push(CALL, this.#calls.push(skipperOf(schema, named)) - 1);
        return;
      }
      const o = schema as Obj;
      switch (o.type) {
        case 'record': case 'error':
          for (const f of o.fields as { type: unknown }[]) emit(f.type, depth + 1);
          return;
        case 'enum': out.push(VARINT); return;
        case 'fixed': out.push(FIXED, Number(o.size)); return;
        case 'array': case 'map': out.push(CALL, this.#calls.push(skipperOf(o, named)) - 1); return;
        default: emit(o.type, depth);
      }
    };
    /** A field whose value (inside an optional union, if any) is one special opcode. */
    const special = (type: unknown, op: number, ok: (inner: unknown) => boolean): boolean => {
      const union = Array.isArray(type) ? (type as unknown[]) : null;
      const inner = union === null ? type : union.length === 2 && union.includes('null') ? union.find((b) => b !== 'null') : undefined;
      if (!ok(inner)) return false;
      if (union !== null) out.push(UNION, union.indexOf('null'), 1 - union.indexOf('null'), 1);
      out.push(op);
      return true;
    };
    for (const f of env.fields as { name: string; type: unknown }[]) {
      if (f.name === 'after') {
        const union = Array.isArray(f.type) ? (f.type as unknown[]) : null;
        if (union !== null && !(union.length === 2 && union.includes('null'))) throw new Error('unsupported after union');
        if (union === null) {
          emit(f.type, 0, MARK_AFTER);
        } else {
          const nullIdx = union.indexOf('null');
          const at = out.length;
          out.push(UNION, nullIdx, 1 - nullIdx, 0);
          emit(union[1 - nullIdx], 0, MARK_AFTER);
          out[at + 3] = out.length - at - 4;
        }
      } else if (f.name === 'op' && special(f.type, OP, (t) => t === 'string')) {
        // emitted
      } else if (f.name === 'source' && typeof f.type === 'object' && !Array.isArray(f.type) && (f.type as Obj).type === 'record') {
        for (const sf of (f.type as Obj).fields as { name: string; type: unknown }[]) {
          if (sf.name === 'ts_ms' && special(sf.type, TS, (t) => t === 'long' || t === 'int')) continue;
          emit(sf.type, 1);
        }
      } else {
        emit(f.type, 0);
      }
    }
    this.#prog = Int32Array.from(out);
  }

  /** Scans `buf` (Confluent wire format: 5 header bytes, then the Avro envelope). False when the bytes are corrupt. */
  scan(buf: Buffer, r: AvroReader, s: EnvelopeScan): boolean {
    s.op = 0;
    s.afterAt = -1;
    s.tsMs = null;
    r.buf = buf;
    r.end = buf.length;
    const end = buf.length;
    const prog = this.#prog;
    let pos = 5;
    let i = 0;
    try {
      while (i < prog.length) {
        switch (prog[i]) {
          case VARINT: {
            let b: number;
            do {
              if (pos >= end) return false;
              b = buf[pos++]!;
            } while (b & 0x80);
            i++;
            break;
          }
          case LEN: {
            r.pos = pos;
            const n = readLength(r);
            pos = r.pos + n;
            i++;
            break;
          }
          case FIXED:
            pos += prog[i + 1]!;
            if (pos > end) return false;
            i += 2;
            break;
          case UNION: {
            r.pos = pos;
            const u = readLong(r);
            pos = r.pos;
            if (u === prog[i + 1]) i += 4 + prog[i + 3]!;
            else if (u === prog[i + 2]) i += 4;
            else return false;
            break;
          }
          case CALL:
            r.pos = pos;
            this.#calls[prog[i + 1]!]!(r);
            pos = r.pos;
            i += 2;
            break;
          case MARK_AFTER:
            s.afterAt = pos;
            i++;
            break;
          case OP: {
            r.pos = pos;
            const len = readLength(r);
            s.op = len === 1 ? buf[r.pos]! : 0;
            pos = r.pos + len;
            i++;
            break;
          }
          case TS: {
            r.pos = pos;
            const v = readLong(r);
            s.tsMs = v === v ? v : Number(r.big);
            pos = r.pos;
            i++;
            break;
          }
          default: return false;
        }
      }
    } catch {
      return false;
    }
    r.pos = pos;
    return pos === end;
  }
}

const scanners = new WeakMap<SinkTable, EnvelopeScanner | null>();

/** The scanner of a table version, or null when its schema is not one it reads. Cached per version. */
export function envelopeScanner(table: SinkTable): EnvelopeScanner | null {
  let s = scanners.get(table);
  if (s === undefined) {
    try {
      s = new EnvelopeScanner(table);
    } catch {
      s = null;
    }
    scanners.set(table, s);
  }
  return s;
}
