/**
 * TRANSACTION_PAYLOAD (type 40, MySQL 8.0.20+ with binlog_transaction_compression=ON): one event that carries a
 * whole transaction's events (BEGIN query, table maps, rows events, XID), compressed together. The GTID event stays
 * outside, before it.
 *
 * Layout (libbinlogevents codecs/binary.cpp, Transaction_payload): the body starts with a header of fields, each
 * a field type, a field length and a value, all three MySQL packed integers (net_store_length, the lenenc
 * layout); type 0 ends the header. Types: 1 payload size (bytes after the header), 2 compression type (0 ZSTD,
 * 255 NONE), 3 uncompressed size (written only when compressed). Unknown types are skipped by their length. Then
 * the payload: the inner events back to back, each a full v4 event (19-byte header) without a checksum.
 *
 * Inner events carry no position of their own that a replica could resume from; MySQL reports the payload's end
 * for each of them, and so does Ferry (binlog-dispatch.ts), so a checkpoint never points inside a payload.
 */
import { zstdDecompressSync } from 'node:zlib';
import { FerryError } from '../../../../core/src/errors.ts';
import { HEADER_LENGTH } from './binlog-events.ts';

export const PayloadCompression = { ZSTD: 0, NONE: 255 } as const;

const FIELD_END = 0;
const FIELD_PAYLOAD_SIZE = 1;
const FIELD_COMPRESSION = 2;
const FIELD_UNCOMPRESSED_SIZE = 3;

/** A transaction's compressed size is bounded by max_binlog_cache_size; refuse a claimed size past 4 GiB. */
const MAX_UNCOMPRESSED = 2 ** 32;

export interface PayloadHeader {
  readonly payloadSize: number;
  readonly compression: number;
  readonly uncompressedSize: number;
  /** Where the payload bytes start. */
  readonly dataStart: number;
}

/** A packed integer (net_field_length_ll) at c.pos, bounds-checked against `end`. */
function packed(b: Buffer, c: { pos: number }, end: number, where: string): number {
  if (c.pos >= end) throw new Error(`${where}: header truncated`);
  const first = b[c.pos]!;
  const width = first < 0xfb ? 0 : first === 0xfc ? 2 : first === 0xfd ? 3 : first === 0xfe ? 8 : -1;
  if (width < 0) throw new Error(`${where}: invalid packed integer 0x${first.toString(16)}`);
  if (c.pos + 1 + width > end) throw new Error(`${where}: header truncated`);
  c.pos += 1 + width;
  if (width === 0) return first;
  if (width === 8) return Number(b.readBigUInt64LE(c.pos - 8));
  return b.readUIntLE(c.pos - width, width);
}

/** The header fields of a payload event whose body is [off, end). */
export function parsePayloadHeader(b: Buffer, off: number, end: number, where = 'TRANSACTION_PAYLOAD header'): PayloadHeader {
  const c = { pos: off };
  let payloadSize = -1;
  let compression = -1;
  let uncompressedSize = 0;
  for (;;) {
    const type = packed(b, c, end, where);
    if (type === FIELD_END) break;
    const length = packed(b, c, end, where);
    const fieldEnd = c.pos + length;
    if (fieldEnd > end) throw new Error(`${where}: header field ${type} of ${length} bytes overruns the event`);
    if (type === FIELD_PAYLOAD_SIZE) payloadSize = packed(b, c, fieldEnd, where);
    else if (type === FIELD_COMPRESSION) compression = packed(b, c, fieldEnd, where);
    else if (type === FIELD_UNCOMPRESSED_SIZE) uncompressedSize = packed(b, c, fieldEnd, where);
    c.pos = fieldEnd; // unknown fields skipped
  }
  if (payloadSize < 0) throw new Error(`${where}: no payload size in the header`);
  if (compression < 0) throw new Error(`${where}: no compression type in the header`);
  if (c.pos + payloadSize !== end) throw new Error(`${where}: payload size ${payloadSize} but ${end - c.pos} bytes follow the header`);
  return { payloadSize, compression, uncompressedSize: uncompressedSize || payloadSize, dataStart: c.pos };
}

/** One event inside a payload: [off, off + size) of `buf`. */
export interface InnerEvent { readonly buf: Buffer; readonly off: number; readonly size: number; readonly type: number }

/**
 * The events of a payload event whose body is [off, end) (checksum excluded). `where` names the event
 * (file:position) in errors. A payload that does not decompress, or whose events do not tile it exactly, is a
 * FERRY_SOURCE_ERROR (fatal: re-reading gives the same bytes).
 */
export function payloadEvents(b: Buffer, off: number, end: number, where: string): InnerEvent[] {
  try {
    const h = parsePayloadHeader(b, off, end, 'header');
    const data = b.subarray(h.dataStart, end);
    let raw: Buffer;
    if (h.compression === PayloadCompression.NONE) raw = data;
    else if (h.compression === PayloadCompression.ZSTD) {
      if (h.uncompressedSize > MAX_UNCOMPRESSED) throw new Error(`uncompressed size ${h.uncompressedSize} is implausible`);
      raw = zstdDecompressSync(data, { maxOutputLength: Math.max(h.uncompressedSize, 1) });
    } else throw new Error(`unknown compression type ${h.compression} (MySQL writes 0 for ZSTD, 255 for NONE)`);
    if (raw.length !== h.uncompressedSize) throw new Error(`decompressed to ${raw.length} bytes, the header says ${h.uncompressedSize}`);
    const out: InnerEvent[] = [];
    let pos = 0;
    while (pos < raw.length) {
      if (raw.length - pos < HEADER_LENGTH) throw new Error(`an inner event at payload offset ${pos} is shorter than its header`);
      const size = raw.readUInt32LE(pos + 9);
      if (size < HEADER_LENGTH || pos + size > raw.length) throw new Error(`an inner event at payload offset ${pos} claims ${size} bytes, ${raw.length - pos} remain`);
      out.push({ buf: raw, off: pos, size, type: raw[pos + 4]! });
      pos += size;
    }
    return out;
  } catch (e: unknown) {
    throw new FerryError('FERRY_SOURCE_ERROR',
      `cannot decode the compressed transaction (TRANSACTION_PAYLOAD event) at ${where}: ${(e as Error).message}. ` +
      'The binlog event is corrupt or in a format Ferry does not know; inspect it with `mysqlbinlog --start-position`, ' +
      'and re-copy the affected tables (or set binlog_transaction_compression=OFF and restart from a new snapshot)',
      { cause: e, disposition: 'fatal', details: { position: where } });
  }
}
