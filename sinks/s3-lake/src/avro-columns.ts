/**
 * The lake's columnar path: a Kafka record's Avro payload (Ferry's Envelope, Confluent wire format) decoded straight
 * into the file's column buffers (column-buffers.ts), without building row objects. Compiled once per table version
 * from the registered (writer) schema. Fixed-width types, strings and bytes are read by hand; other column types
 * (structs, arrays, zoned timestamps, ...) are decoded with avsc and written by their codec, as on the row path.
 *
 * A record this path cannot represent as the row path would (a delete with neither before nor after) throws
 * NeedsRowPath; the sink then writes the whole group on the row path.
 */
import type { Type } from 'avsc';
import { lsnPosition } from '../../../core/src/position.ts';
import type { SinkColumn, SinkTable } from '../../../core/src/record-sink.ts';
import { decimalOf } from '../../../runtime/src/sink-worker/avro-table.ts';
import { avscType } from '../../../schemas/src/avro-types.ts';
import { bytesToDecimal, bytesToUnscaled } from '../../../schemas/src/decimal.ts';
import { Col } from './column-buffers.ts';
import { columnCodec, ValueRejected } from '../../../runtime/src/columnar/column-types.ts';
import { binlogParts } from './positions.ts';
import { AvroReader, namedTypes, readLength, readLong, skipperOf } from '../../../runtime/src/sink-worker/envelope-scan.ts';

export class NeedsRowPath extends Error {}

type Obj = Record<string, unknown>;

// The Avro read primitives are the sink worker's (runtime/src/sink-worker/envelope-scan.ts).
export { AvroReader as Reader, readLong };
type Reader = AvroReader;
const TWO53 = 9007199254740992;

/** Writes one column value (the union branch already chosen) from the reader into col at row n. */
type Put = (r: Reader, col: Col, n: number) => void;

const DEC = 'org.apache.kafka.connect.data.Decimal';

function intPut(bits: 8 | 16 | 32): Put {
  const lo = -(2 ** (bits - 1));
  const hi = 2 ** (bits - 1) - 1;
  return (r, col, n) => {
    const v = readLong(r);
    if (!(v >= lo && v <= hi)) throw new ValueRejected(`cannot store a value: ${v} is out of the ${bits}-bit range`);
    if (bits === 8) col.i8[n] = v; else if (bits === 16) col.i16[n] = v; else col.i32[n] = v;
    col.valid1(n);
  };
}

const longPut = (scale: number): Put => (r, col, n) => {
  const v = readLong(r);
  if (v === v && Math.abs(v * scale) < TWO53) col.putI64(n, v * scale);
  else col.putI64Big(n, (v === v ? BigInt(v) : r.big) * BigInt(scale));
};

function copyPut(width: number): Put {
  return (r, col, n) => {
    const b = col.bytes;
    const src = r.buf;
    const o = n * width;
    const p = r.pos;
    for (let i = 0; i < width; i++) b[o + i] = src[p + i]!;
    r.pos = p + width;
    col.valid1(n);
  };
}

function decimalPut(precision: number, scale: number): Put {
  const limitNum = 10 ** precision;
  const limit = 10n ** BigInt(precision);
  return (r, col, n) => {
    const len = readLength(r);
    const p = r.pos;
    r.pos += len;
    const over = () => new ValueRejected(`decimal ${bytesToDecimal(r.buf.subarray(p, p + len), scale)} does not fit DECIMAL(${precision},${scale})`);
    if (len <= 6) {
      const v = len === 0 ? 0 : r.buf.readIntBE(p, len);
      if (v >= limitNum || v <= -limitNum) throw over();
      if (precision <= 4) { col.i16[n] = v; col.valid1(n); } else if (precision <= 9) { col.i32[n] = v; col.valid1(n); } else col.putI64(n, v);
      return;
    }
    const u = bytesToUnscaled(r.buf.subarray(p, p + len));
    if (u >= limit || u <= -limit) throw over();
    if (precision <= 4) { col.i16[n] = Number(u); col.valid1(n); } else if (precision <= 9) { col.i32[n] = Number(u); col.valid1(n); } else col.putI64Big(n, u);
  };
}

const bytesPut: Put = (r, col, n) => {
  const len = readLength(r);
  col.putBytes(n, r.buf, r.pos, len);
  r.pos += len;
};

/** The buffer kind and writer of a column, or null when the codec must write it (generic). */
function fastColumn(c: SinkColumn, avroType: unknown): { col: Col; put: Put } | null {
  const t = c.type;
  const prim = typeof avroType === 'string' ? avroType : typeof avroType === 'object' && avroType !== null ? (avroType as Obj).type : undefined;
  if (t.logical === DEC) {
    const { scale, precision } = decimalOf(t);
    if (prim !== 'bytes' || precision === null || precision < 1 || precision > 18 || scale < 0 || scale > precision) return null;
    return { col: new Col('fixed', precision <= 4 ? 2 : precision <= 9 ? 4 : 8), put: decimalPut(precision, scale) };
  }
  switch (t.logical) {
    case 'io.debezium.time.Date': case 'org.apache.kafka.connect.data.Date':
      return prim === 'int' ? { col: new Col('fixed', 4), put: intPut(32) } : null;
    case 'io.debezium.time.MicroTimestamp':
      return prim === 'long' ? { col: new Col('fixed', 8), put: longPut(1) } : null;
    case 'io.debezium.time.Timestamp': case 'org.apache.kafka.connect.data.Timestamp':
      return prim === 'long' ? { col: new Col('fixed', 8), put: longPut(1000) } : null;
    case undefined: break;
    default:
      // Other semantic types keep the codec's conversion, except plain strings (Json, Enum, Uuid, ...).
      if (!(t.connect === 'string' && prim === 'string' && columnCodec(c).sql === 'VARCHAR')) return null;
  }
  switch (t.connect) {
    case 'int8': return prim === 'int' ? { col: new Col('fixed', 1), put: intPut(8) } : null;
    case 'int16': return prim === 'int' ? { col: new Col('fixed', 2), put: intPut(16) } : null;
    case 'int32': return prim === 'int' ? { col: new Col('fixed', 4), put: intPut(32) } : null;
    case 'int64': return prim === 'long' ? { col: new Col('fixed', 8), put: longPut(1) } : null;
    case 'float32': return prim === 'float' ? { col: new Col('fixed', 4), put: copyPut(4) } : null;
    case 'float64': return prim === 'double' ? { col: new Col('fixed', 8), put: copyPut(8) } : null;
    case 'boolean': return prim === 'boolean' ? { col: new Col('fixed', 1), put: copyPut(1) } : null;
    case 'string': return prim === 'string' ? { col: new Col('str', 16), put: bytesPut } : null;
    case 'bytes': return prim === 'bytes' && columnCodec(c).sql === 'BLOB' ? { col: new Col('str', 16), put: bytesPut } : null;
    default: return null;
  }
}

interface Field {
  /** Union branch index of null, or -1 when the field is not a union. */
  readonly nullIndex: number;
  readonly put: Put;
}

function valueFields(table: SinkTable, valueRecord: Obj, valueType: Type, cols: Col[]): Field[] {
  const avroFields = valueRecord.fields as { name: string; type: unknown }[];
  const typeFields = (valueType as unknown as { fields: { type: Type }[] }).fields;
  return table.columns.map((c, i) => {
    const f = avroFields[i]!;
    if (f.name !== c.name) throw new Error(`column ${c.name} is not field ${i} of the value record`);
    let t = f.type;
    let nullIndex = -1;
    let ft = typeFields[i]!.type;
    if (Array.isArray(t)) {
      nullIndex = t.indexOf('null');
      const branch = t.findIndex((b) => b !== 'null');
      t = t[branch];
      ft = (ft as unknown as { types: Type[] }).types[branch]!;
    }
    const fast = fastColumn(c, t);
    if (fast !== null) {
      cols.push(fast.col);
      return { nullIndex, put: fast.put };
    }
    const codec = columnCodec(c);
    cols.push(new Col('generic', 0, codec));
    const type = ft;
    return {
      nullIndex,
      put: (r, col, n) => {
        const { value, offset } = type.decode(r.buf, r.pos) as { value: unknown; offset: number };
        if (offset < 0) throw new RangeError('truncated Avro value');
        r.pos = offset;
        codec.put(col.vec!, n, value);
      },
    };
  });
}

/** What the envelope said besides the columns: read into this per record. */
export class EnvelopeInfo {
  op = 0;
  tsMs: number | null = null;
  tsUs: number | null = null;
  lsn: number | null = null;
  pos: number | null = null;
  fileStart = -1;
  fileLen = 0;
}

type SourceField = 'ts_ms' | 'ts_us' | 'lsn' | 'pos' | 'file';

function sourceReader(schema: Obj, named: Map<string, Obj>): (r: Reader, e: EnvelopeInfo) => void {
  const steps = (schema.fields as { name: string; type: unknown }[]).map((f) => {
    const wanted = ['ts_ms', 'ts_us', 'lsn', 'pos', 'file'].includes(f.name) ? (f.name as SourceField) : null;
    const skip = skipperOf(f.type, named);
    let t = f.type;
    let nullIndex = -1;
    if (Array.isArray(t) && t.length === 2 && t.includes('null')) {
      nullIndex = t.indexOf('null');
      t = t.find((b) => b !== 'null');
    }
    const kind = t === 'long' || t === 'int' ? 'num' : t === 'string' ? 'str' : null;
    if (wanted === null || kind === null || (wanted === 'file') !== (kind === 'str')) return (r: Reader) => skip(r);
    return (r: Reader, e: EnvelopeInfo) => {
      if (nullIndex >= 0 && readLong(r) === nullIndex) return;
      if (kind === 'str') {
        e.fileLen = readLength(r);
        e.fileStart = r.pos;
        r.pos += e.fileLen;
        return;
      }
      const v = readLong(r);
      const x = v === v ? v : Number(r.big);
      if (wanted === 'ts_ms') e.tsMs = x; else if (wanted === 'ts_us') e.tsUs = x; else if (wanted === 'pos') e.pos = x;
      else e.lsn = v === v ? v : -1;
    };
  });
  return (r, e) => { for (const s of steps) s(r, e); };
}

/** The compiled decoder of one table version. `rowCols` and `beforeCols` (when the before-image is on) are the value columns. */
export class EnvelopeDecoder {
  readonly rowCols: Col[] = [];
  readonly beforeCols: Col[] = [];
  readonly #fields: Field[];
  readonly #before: boolean;
  readonly #steps: ((r: Reader, e: EnvelopeInfo) => void)[] = [];
  #beforeAt = -1;
  #afterNull = true;

  constructor(table: SinkTable, beforeImage: boolean) {
    const env = table.valueSchema as unknown as Obj;
    const named = new Map<string, Obj>();
    namedTypes(env, named);
    const envType = avscType(table.valueSchema) as unknown as { fields: { type: Type }[] };
    const fields = env.fields as { name: string; type: unknown }[];
    const bIdx = fields.findIndex((f) => f.name === 'before');
    const bt = fields[bIdx]!.type as unknown[];
    const branch = bt.findIndex((b) => b !== 'null');
    const valueRecord = (typeof bt[branch] === 'string' ? named.get(bt[branch] as string) : bt[branch]) as Obj;
    const valueType = (envType.fields[bIdx]!.type as unknown as { types: Type[] }).types[branch]!;
    this.#fields = valueFields(table, valueRecord, valueType, this.rowCols);
    this.#before = beforeImage;
    const biFields = beforeImage ? valueFields(table, valueRecord, valueType, this.beforeCols) : [];
    const skipValue = skipperOf(valueRecord, named);
    for (const f of fields) {
      const union = Array.isArray(f.type) ? (f.type as unknown[]) : null;
      const nullIdx = union?.indexOf('null') ?? -1;
      if (f.name === 'before') {
        this.#steps.push((r, e) => {
          void e;
          this.#beforeAt = -1;
          if (readLong(r) === nullIdx) return;
          this.#beforeAt = r.pos;
          if (this.#before) this.#read(r, biFields, this.beforeCols, this.#n);
          else skipValue(r);
        });
      } else if (f.name === 'after') {
        this.#steps.push((r) => {
          this.#afterNull = readLong(r) === nullIdx;
          if (!this.#afterNull) this.#read(r, this.#fields, this.rowCols, this.#n);
        });
      } else if (f.name === 'op') {
        this.#steps.push((r, e) => {
          const len = readLength(r);
          e.op = len === 1 ? r.buf[r.pos]! : 0;
          r.pos += len;
        });
      } else if (f.name === 'source' && typeof f.type === 'object' && !Array.isArray(f.type)) {
        this.#steps.push(sourceReader(f.type as Obj, named));
      } else {
        const s = skipperOf(f.type, named);
        this.#steps.push((r) => s(r));
      }
    }
  }

  #n = 0;

  #read(r: Reader, fields: Field[], cols: Col[], n: number): void {
    for (let i = 0; i < fields.length; i++) {
      const f = fields[i]!;
      const col = cols[i]!;
      if (f.nullIndex >= 0 && readLong(r) === f.nullIndex) col.setNull(n);
      else f.put(r, col, n);
    }
  }

  /** Decodes one envelope (r at its start) into row n. Throws ValueRejected, RangeError (corrupt) or NeedsRowPath. */
  decode(r: Reader, e: EnvelopeInfo, n: number): void {
    this.#n = n;
    e.op = 0; e.tsMs = null; e.tsUs = null; e.lsn = null; e.pos = null; e.fileStart = -1; e.fileLen = 0;
    for (const s of this.#steps) s(r, e);
    if (r.pos !== r.end) throw new RangeError(r.pos > r.end ? 'truncated Avro payload' : 'trailing bytes after the Avro payload');
    if (!this.#afterNull) {
      if (this.#before && this.#beforeAt < 0) for (const c of this.beforeCols) c.setNull(n);
      return;
    }
    if (this.#before && this.#beforeAt < 0) for (const c of this.beforeCols) c.setNull(n);
    if (e.op === 0x74 /* t */) {
      for (const c of this.rowCols) c.setNull(n);
    } else if (this.#beforeAt >= 0) {
      const end = r.pos;
      r.pos = this.#beforeAt;
      this.#read(r, this.#fields, this.rowCols, n);
      r.pos = end;
    } else {
      throw new NeedsRowPath('a change with neither a before nor an after image');
    }
  }
}

/** _source_position of a decoded envelope into a string column, as positionFromSource() renders it. */
export class PositionWriter {
  #file: Buffer | null = null;
  #head: Buffer | null = null;
  #tail: Buffer | null = null;
  #plain = false;
  readonly #scratch = Buffer.allocUnsafeSlow(256);

  put(r: Reader, e: EnvelopeInfo, col: Col, n: number): void {
    if (e.lsn !== null) {
      if (e.lsn < 0) throw new RangeError('LSN beyond 2^53');
      col.putString(n, lsnPosition(BigInt(e.lsn)));
      return;
    }
    if (e.fileStart < 0 || e.fileLen === 0 || e.pos === null) { col.setNull(n); return; }
    const f = this.#file;
    if (f === null || f.length !== e.fileLen || r.buf.compare(f, 0, f.length, e.fileStart, e.fileStart + e.fileLen) !== 0) {
      const file = r.buf.toString('utf8', e.fileStart, e.fileStart + e.fileLen);
      this.#file = Buffer.from(r.buf.subarray(e.fileStart, e.fileStart + e.fileLen));
      const parts = binlogParts(file);
      this.#plain = parts === null;
      this.#head = Buffer.from(parts === null ? `${file}:` : parts.head);
      this.#tail = Buffer.from(parts === null ? '' : parts.tail);
    }
    const head = this.#head!;
    const tail = this.#tail!;
    const p = e.pos;
    if (this.#plain || !(p >= 0 && p < 1e12) || head.length + tail.length > 200) {
      const digits = this.#plain ? String(p) : String(p).padStart(12, '0');
      col.putString(n, `${head.toString()}${digits}${tail.toString()}`);
      return;
    }
    // head, the byte position as 12 digits, tail.
    const s = this.#scratch;
    head.copy(s, 0);
    let q = p;
    for (let i = head.length + 11; i >= head.length; i--) {
      const d = q % 10;
      s[i] = 48 + d;
      q = (q - d) / 10;
    }
    tail.copy(s, head.length + 12);
    col.putBytes(n, s, 0, head.length + 12 + tail.length);
  }
}
