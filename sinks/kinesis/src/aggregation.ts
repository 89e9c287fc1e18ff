/**
 * The KPL aggregated record format, so many small user records travel as one Kinesis record:
 *
 *   0xF3 0x89 0x9A 0xC2  |  protobuf AggregatedRecord  |  MD5 of the protobuf bytes (16 bytes)
 *
 *   message AggregatedRecord {
 *     repeated string partition_key_table     = 1;
 *     repeated string explicit_hash_key_table = 2;
 *     repeated Record records                 = 3;
 *   }
 *   message Record {
 *     required uint64 partition_key_index     = 1;
 *     optional uint64 explicit_hash_key_index = 2;
 *     required bytes  data                    = 3;
 *     repeated Tag    tags                    = 4;
 *   }
 *
 * The KCL (and aws-kinesis-agg for Lambda, Python, Go...) recognise the magic and de-aggregate; a record without the
 * magic is a plain record. Ferry puts every user record of an aggregate under the aggregate's partition key (index 0).
 */
import { createHash } from 'node:crypto';

export const KPL_MAGIC = Buffer.from([0xf3, 0x89, 0x9a, 0xc2]);
const MD5_BYTES = 16;

function varintSize(n: number): number {
  let s = 1;
  while (n >= 0x80) { n = Math.floor(n / 128); s++; }
  return s;
}

function writeVarint(buf: Buffer, at: number, n: number): number {
  while (n >= 0x80) {
    buf[at++] = (n & 0x7f) | 0x80;
    n = Math.floor(n / 128);
  }
  buf[at++] = n;
  return at;
}

/** Bytes one user record adds to the protobuf: field 3 (tag, length, Record{ pk index 0, data }). */
export function aggregatedEntrySize(dataBytes: number): number {
  const inner = 2 + 1 + varintSize(dataBytes) + dataBytes; // 0x08 0x00, 0x1A len data
  return 1 + varintSize(inner) + inner;
}

/** Fixed bytes of an aggregate with one partition key: magic, the key table entry, the MD5 trailer. */
export function aggregateOverhead(partitionKey: string): number {
  const k = Buffer.byteLength(partitionKey);
  return KPL_MAGIC.length + 1 + varintSize(k) + k + MD5_BYTES;
}

/** Encodes user records under one partition key as a KPL aggregated record. */
export function encodeAggregate(partitionKey: string, records: readonly Uint8Array[]): Buffer {
  const key = Buffer.from(partitionKey);
  let size = aggregateOverhead(partitionKey);
  for (const r of records) size += aggregatedEntrySize(r.length);
  const buf = Buffer.allocUnsafe(size);
  KPL_MAGIC.copy(buf, 0);
  let at = KPL_MAGIC.length;
  buf[at++] = 0x0a;
  at = writeVarint(buf, at, key.length);
  at += key.copy(buf, at);
  for (const r of records) {
    const inner = 2 + 1 + varintSize(r.length) + r.length;
    buf[at++] = 0x1a;
    at = writeVarint(buf, at, inner);
    buf[at++] = 0x08;
    buf[at++] = 0x00;
    buf[at++] = 0x1a;
    at = writeVarint(buf, at, r.length);
    buf.set(r, at);
    at += r.length;
  }
  createHash('md5').update(buf.subarray(KPL_MAGIC.length, at)).digest().copy(buf, at);
  at += MD5_BYTES;
  if (at !== size) throw new Error(`aggregate size ${at} != ${size}`);
  return buf;
}
