/**
 * Byte fixtures of MySQL 8 binlog events, built by hand from MySQL's documented formats (libbinlogevents and
 * sql/json_binary.cc, sql/json_diff.cc), for the MySQL 8 unit tests (no MySQL 8 server runs here).
 */
import { crc32, zstdCompressSync } from 'node:zlib';
import { EventType } from '../../src/binlog/binlog-events.ts';

/** A v4 event: 19-byte header + body (+ CRC32 when `checksum`). */
export function event(type: number, body: Buffer, o: { nextPos?: number; ts?: number; checksum?: boolean } = {}): Buffer {
  const size = 19 + body.length + (o.checksum ? 4 : 0);
  const h = Buffer.alloc(19);
  h.writeUInt32LE(o.ts ?? 1700000000, 0);
  h[4] = type;
  h.writeUInt32LE(1, 5);
  h.writeUInt32LE(size, 9);
  h.writeUInt32LE(o.nextPos ?? 0, 13);
  const e = Buffer.concat([h, body]);
  if (!o.checksum) return e;
  const c = Buffer.alloc(4);
  c.writeUInt32LE(crc32(e));
  return Buffer.concat([e, c]);
}

/** A dump-stream packet: OK byte + event. */
export const packet = (ev: Buffer): Buffer => Buffer.concat([Buffer.from([0]), ev]);

/** A MySQL packed integer (net_store_length). */
export function packedInt(n: number): Buffer {
  if (n < 0xfb) return Buffer.from([n]);
  if (n < 0x10000) { const b = Buffer.alloc(3); b[0] = 0xfc; b.writeUInt16LE(n, 1); return b; }
  if (n < 0x1000000) { const b = Buffer.alloc(4); b[0] = 0xfd; b.writeUIntLE(n, 1, 3); return b; }
  const b = Buffer.alloc(9); b[0] = 0xfe; b.writeBigUInt64LE(BigInt(n), 1); return b;
}

/** FORMAT_DESCRIPTION of a MySQL 8.0 server with CRC32 checksums. */
export function formatDescription(version = '8.0.36'): Buffer {
  const post = Buffer.alloc(42); // post-header lengths of types 1..42
  post[EventType.QUERY - 1] = 13;
  post[EventType.ROTATE - 1] = 8;
  post[EventType.XID - 1] = 0;
  post[EventType.TABLE_MAP - 1] = 8;
  for (const t of [EventType.WRITE_ROWS_V2, EventType.UPDATE_ROWS_V2, EventType.DELETE_ROWS_V2, EventType.PARTIAL_UPDATE_ROWS]) post[t - 1] = 10;
  post[EventType.GTID - 1] = 42;
  post[EventType.TRANSACTION_PAYLOAD - 1] = 0;
  const body = Buffer.alloc(57);
  body.writeUInt16LE(4, 0);
  body.write(version, 2, 'latin1');
  body[56] = 19;
  return event(EventType.FORMAT_DESCRIPTION, Buffer.concat([body, post, Buffer.from([1])]), { checksum: true, nextPos: 126 });
}

export function rotate(file: string, pos = 4): Buffer {
  const b = Buffer.alloc(8);
  b.writeBigUInt64LE(BigInt(pos));
  return event(EventType.ROTATE, Buffer.concat([b, Buffer.from(file)]), { ts: 0 });
}

/** A QUERY event (BEGIN, DDL). */
export function queryBody(schema: string, sql: string): Buffer {
  const post = Buffer.alloc(13);
  post[8] = schema.length;
  return Buffer.concat([post, Buffer.from(schema), Buffer.from([0]), Buffer.from(sql)]);
}

/** GTID_LOG_EVENT body with the MySQL 8.0 fields. */
export function gtidBody(uuid: string, gno: number, o: { lastCommitted?: number; seq?: number; immediateUs?: number; originalUs?: number; txLength?: number; serverVersion?: number; originalServerVersion?: number } = {}): Buffer {
  const b = Buffer.alloc(42);
  b[0] = 1;
  Buffer.from(uuid.replace(/-/g, ''), 'hex').copy(b, 1);
  b.writeBigUInt64LE(BigInt(gno), 17);
  b[25] = 2;
  b.writeBigInt64LE(BigInt(o.lastCommitted ?? 0), 26);
  b.writeBigInt64LE(BigInt(o.seq ?? 1), 34);
  const parts: Buffer[] = [b];
  if (o.immediateUs !== undefined) {
    const ts = (v: number, top: boolean) => { const t = Buffer.alloc(7); t.writeUIntLE(v % 2 ** 48, 0, 6); t[6] = Math.floor(v / 2 ** 48) | (top ? 0x80 : 0); return t; };
    const hasOriginal = o.originalUs !== undefined && o.originalUs !== o.immediateUs;
    parts.push(ts(o.immediateUs, hasOriginal));
    if (hasOriginal) parts.push(ts(o.originalUs!, false));
    parts.push(packedInt(o.txLength ?? 0));
    const v = Buffer.alloc(4);
    const hasOrigVer = o.originalServerVersion !== undefined && o.originalServerVersion !== o.serverVersion;
    v.writeUInt32LE(((o.serverVersion ?? 80036) | (hasOrigVer ? 0x80000000 : 0)) >>> 0);
    parts.push(v);
    if (hasOrigVer) { const w = Buffer.alloc(4); w.writeUInt32LE(o.originalServerVersion!); parts.push(w); }
  }
  return Buffer.concat(parts);
}

export type TableCol = { type: number; meta: Buffer };

/** TABLE_MAP body (post-header 8), with optional metadata (TLV) after the null bitmap. */
export function tableMapBody(tableId: number, schema: string, table: string, cols: TableCol[], optional: Buffer = Buffer.alloc(0)): Buffer {
  const id = Buffer.alloc(8);
  id.writeUIntLE(tableId, 0, 6);
  const meta = Buffer.concat(cols.map((c) => c.meta));
  return Buffer.concat([
    id, Buffer.from([schema.length]), Buffer.from(`${schema}\0`), Buffer.from([table.length]), Buffer.from(`${table}\0`),
    packedInt(cols.length), Buffer.from(cols.map((c) => c.type)), packedInt(meta.length), meta,
    Buffer.alloc((cols.length + 7) >> 3, 0xff), optional,
  ]);
}

/** A v2 rows event's post-header (table id, flags, extra-data length 2 = none). */
export function rowsHeader(tableId: number): Buffer {
  const b = Buffer.alloc(10);
  b.writeUIntLE(tableId, 0, 6);
  b.writeUInt16LE(2, 8);
  return b;
}

export function xidBody(xid: number): Buffer {
  const b = Buffer.alloc(8);
  b.writeBigUInt64LE(BigInt(xid));
  return b;
}

export const int32 = (v: number): Buffer => { const b = Buffer.alloc(4); b.writeInt32LE(v); return b; };
export const varchar = (s: string): Buffer => Buffer.concat([Buffer.from([Buffer.byteLength(s)]), Buffer.from(s)]);
export const json = (bin: Buffer): Buffer => Buffer.concat([int32(bin.length), bin]);

/** TRANSACTION_PAYLOAD body: TLV header (compression, uncompressed size, payload size, end mark), then data. */
export function payloadBody(inner: Buffer[], compression: 'zstd' | 'none'): Buffer {
  const raw = Buffer.concat(inner);
  const data = compression === 'zstd' ? zstdCompressSync(raw) : raw;
  const field = (type: number, value: number) => { const v = packedInt(value); return Buffer.concat([packedInt(type), packedInt(v.length), v]); };
  return Buffer.concat([
    field(2, compression === 'zstd' ? 0 : 255),
    ...(compression === 'zstd' ? [field(3, raw.length)] : []),
    field(1, data.length), Buffer.from([0]), data,
  ]);
}

// ---- MySQL binary JSON (sql/json_binary.cc), small containers only ----

export type J = null | boolean | number | string | J[] | { [k: string]: J };

function varLen(n: number): Buffer {
  const out: number[] = [];
  do { let byte = n & 0x7f; n = Math.floor(n / 128); if (n > 0) byte |= 0x80; out.push(byte); } while (n > 0);
  return Buffer.from(out);
}

/** MySQL's key order: shorter first, then bytewise. */
export function mysqlKeyOrder(keys: string[]): string[] {
  return [...keys].sort((a, b) => { const x = Buffer.from(a); const y = Buffer.from(b); return x.length - y.length || Buffer.compare(x, y); });
}

/** [type, data]; int16 and literals are inlined in containers. */
function enc(v: J): [number, Buffer, boolean] {
  if (v === null) return [0x04, Buffer.from([0]), true];
  if (v === true) return [0x04, Buffer.from([1]), true];
  if (v === false) return [0x04, Buffer.from([2]), true];
  if (typeof v === 'number') {
    if (!Number.isInteger(v) || v < -32768 || v > 32767) throw new Error('fixture encoder: int16 only');
    const b = Buffer.alloc(2); b.writeInt16LE(v); return [0x05, b, true];
  }
  if (typeof v === 'string') { const s = Buffer.from(v); return [0x0c, Buffer.concat([varLen(s.length), s]), false]; }
  if (Array.isArray(v)) return [0x02, container(v.map((x) => [null, x])), false];
  return [0x00, container(mysqlKeyOrder(Object.keys(v)).map((k) => [k, v[k]!])), false];
}

function container(entries: Array<[string | null, J]>): Buffer {
  const isObject = entries.length > 0 && entries[0]![0] !== null;
  const n = entries.length;
  const keyBytes = entries.map(([k]) => (k === null ? Buffer.alloc(0) : Buffer.from(k)));
  const headerSize = 4 + (isObject ? n * 4 : 0) + n * 3;
  const keysSize = keyBytes.reduce((s, k) => s + k.length, 0);
  const encoded = entries.map(([, v]) => enc(v));
  const valuesSize = encoded.reduce((s, [, d, inl]) => s + (inl ? 0 : d.length), 0);
  const size = headerSize + keysSize + valuesSize;
  const b = Buffer.alloc(size);
  b.writeUInt16LE(n, 0);
  b.writeUInt16LE(size, 2);
  let keyAt = headerSize;
  let valueAt = headerSize + keysSize;
  for (let i = 0; i < n; i++) {
    if (isObject) {
      b.writeUInt16LE(keyAt, 4 + i * 4);
      b.writeUInt16LE(keyBytes[i]!.length, 6 + i * 4);
      keyBytes[i]!.copy(b, keyAt);
      keyAt += keyBytes[i]!.length;
    }
    const entry = 4 + (isObject ? n * 4 : 0) + i * 3;
    const [type, data, inlined] = encoded[i]!;
    b[entry] = type;
    if (inlined) data.copy(b, entry + 1);
    else { b.writeUInt16LE(valueAt, entry + 1); data.copy(b, valueAt); valueAt += data.length; }
  }
  return b;
}

/** A binary JSON document. */
export function jdoc(v: J): Buffer {
  const [type, data] = enc(v);
  return Buffer.concat([Buffer.from([type]), data]);
}

/** A Json_diff_vector as PARTIAL_UPDATE_ROWS carries it: 4-byte length, then the edits. */
export function jsonDiffs(diffs: Array<{ op: 0 | 1 | 2; path: string; value?: J }>): Buffer {
  const body = Buffer.concat(diffs.map((d) => {
    const path = Buffer.from(d.path);
    const parts = [Buffer.from([d.op]), packedInt(path.length), path];
    if (d.op !== 2) { const v = jdoc(d.value ?? null); parts.push(packedInt(v.length), v); }
    return Buffer.concat(parts);
  }));
  return Buffer.concat([int32(body.length), body]);
}
