/**
 * Binlog events (v4 format, MySQL 5.6+ and MariaDB 10+) as pure functions over the bytes of one event: the
 * 19-byte common header, and the bodies of the events change capture reads. Row images are decoded by
 * rows-event.ts with the table's column decoders.
 *
 * Layouts: MySQL's "Binary log overview" (libbinlogevents) and MariaDB's "Replication protocol" pages. Every
 * integer is little-endian unless said otherwise. `end` is where the event's body ends (before a CRC32
 * checksum when the stream has them).
 */

import { parseTableMapMetadata, type TableMapMetadata } from './table-map-metadata.ts';

export const EventType = {
  QUERY: 2,
  STOP: 3,
  ROTATE: 4,
  FORMAT_DESCRIPTION: 15,
  XID: 16,
  TABLE_MAP: 19,
  WRITE_ROWS_V1: 23,
  UPDATE_ROWS_V1: 24,
  DELETE_ROWS_V1: 25,
  INCIDENT: 26,
  HEARTBEAT: 27,
  WRITE_ROWS_V2: 30,
  UPDATE_ROWS_V2: 31,
  DELETE_ROWS_V2: 32,
  GTID: 33,
  ANONYMOUS_GTID: 34,
  PREVIOUS_GTIDS: 35,
  XA_PREPARE: 38,
  PARTIAL_UPDATE_ROWS: 39,
  TRANSACTION_PAYLOAD: 40,
  /** MySQL 8.4: a GTID with a tag, in the mysql::serialization format. */
  GTID_TAGGED: 42,
  MARIADB_ANNOTATE_ROWS: 160,
  MARIADB_BINLOG_CHECKPOINT: 161,
  MARIADB_GTID: 162,
  MARIADB_GTID_LIST: 163,
  MARIADB_START_ENCRYPTION: 164,
  /** MariaDB log_bin_compress: QUERY_COMPRESSED (165), the rows events v1 (166–168) and v2 (169–171), compressed. */
  MARIADB_FIRST_COMPRESSED: 165,
  MARIADB_LAST_COMPRESSED: 171,
} as const;

export const HEADER_LENGTH = 19;

/** The common header of every event. */
export interface EventHeader {
  readonly timestamp: number; // seconds since the epoch
  readonly type: number;
  readonly serverId: number;
  readonly size: number; // the whole event, header and checksum included
  /** Position just after this event in its file; 0 for artificial events and (MariaDB) events inside a group. */
  readonly nextPos: number;
  readonly flags: number;
}

export function parseHeader(b: Buffer, off: number): EventHeader {
  if (b.length - off < HEADER_LENGTH) throw new Error(`binlog event shorter than its header (${b.length - off} bytes)`);
  return {
    timestamp: b.readUInt32LE(off),
    type: b[off + 4]!,
    serverId: b.readUInt32LE(off + 5),
    size: b.readUInt32LE(off + 9),
    nextPos: b.readUInt32LE(off + 13),
    flags: b.readUInt16LE(off + 17),
  };
}

/** ROTATE: the next file and the position of its first event. */
export function parseRotate(b: Buffer, off: number, end: number): { file: string; pos: number } {
  const pos = Number(b.readBigUInt64LE(off));
  return { file: b.toString('latin1', off + 8, end), pos };
}

export interface FormatDescription {
  readonly binlogVersion: number;
  readonly serverVersion: string;
  /** Post-header lengths by event type (index type - 1). */
  readonly postHeaderLengths: Buffer;
  /** Whether the events that follow end in a CRC32 checksum (binlog_checksum=CRC32). */
  readonly checksum: boolean;
}

/**
 * FORMAT_DESCRIPTION: written without a checksum flag by servers older than 5.6.1; newer ones end it with the
 * checksum algorithm byte (0 none, 1 CRC32) and the event's own 4-byte checksum. `end` is the event's end.
 */
export function parseFormatDescription(b: Buffer, off: number, end: number): FormatDescription {
  const binlogVersion = b.readUInt16LE(off);
  const serverVersion = b.toString('latin1', off + 2, off + 52).replace(/\0.*$/s, '');
  const headerLength = b[off + 56]!;
  if (headerLength !== HEADER_LENGTH) throw new Error(`unsupported binlog event header length ${headerLength} (format version ${binlogVersion})`);
  const hasAlg = serverHasChecksumAlg(serverVersion);
  const phEnd = hasAlg ? end - 5 : end;
  return {
    binlogVersion, serverVersion,
    postHeaderLengths: Buffer.from(b.subarray(off + 57, phEnd)),
    checksum: hasAlg && b[end - 5] === 1,
  };
}

/** MySQL 5.6.1+ and MariaDB 5.3+ write the checksum algorithm into FORMAT_DESCRIPTION. */
function serverHasChecksumAlg(version: string): boolean {
  const m = /^(\d+)\.(\d+)\.(\d+)/.exec(version);
  if (!m) return true;
  const [maj, min, patch] = [Number(m[1]), Number(m[2]), Number(m[3])];
  if (/mariadb/i.test(version)) return maj > 5 || (maj === 5 && min >= 3);
  return maj > 5 || (maj === 5 && (min > 6 || (min === 6 && patch >= 1)));
}

/** QUERY: the statement and the default database it ran in. */
export function parseQuery(b: Buffer, off: number, end: number): { schema: string; query: string } {
  const schemaLength = b[off + 8]!;
  const statusLength = b.readUInt16LE(off + 11);
  const schemaStart = off + 13 + statusLength;
  const schema = b.toString('utf8', schemaStart, schemaStart + schemaLength);
  return { schema, query: b.toString('utf8', schemaStart + schemaLength + 1, end) };
}

/** MariaDB GTID: 'domain-server-seq', and whether the group is standalone (DDL, no BEGIN/COMMIT). */
export function parseMariaDbGtid(b: Buffer, off: number, serverId: number): { gtid: string; standalone: boolean } {
  const seq = b.readBigUInt64LE(off);
  const domain = b.readUInt32LE(off + 8);
  const flags = b[off + 12]!;
  return { gtid: `${domain}-${serverId}-${seq}`, standalone: (flags & 1) !== 0 };
}

/** MySQL GTID: 'uuid:gno'. */
export function parseMySqlGtid(b: Buffer, off: number): string {
  const h = b.toString('hex', off + 1, off + 17);
  const gno = b.readBigUInt64LE(off + 17);
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}:${gno}`;
}

/** A length-encoded integer (lenenc) at `c.pos`; advances it. */
export function readLenenc(b: Buffer, c: { pos: number }): number {
  const first = b[c.pos]!;
  if (first < 0xfb) { c.pos += 1; return first; }
  if (first === 0xfc) { c.pos += 3; return b.readUInt16LE(c.pos - 2); }
  if (first === 0xfd) { c.pos += 4; return b.readUIntLE(c.pos - 3, 3); }
  if (first === 0xfe) { c.pos += 9; return Number(b.readBigUInt64LE(c.pos - 8)); }
  throw new Error(`invalid length-encoded integer 0x${first.toString(16)}`);
}

/** A table id: 6 bytes since MySQL 5.1 (4 in older formats, per the post-header length). */
function readTableId(b: Buffer, off: number, postHeaderLength: number): number {
  return postHeaderLength === 6 ? b.readUInt32LE(off) : b.readUIntLE(off, 6);
}

export interface TableMap {
  readonly tableId: number;
  readonly schema: string;
  readonly table: string;
  readonly columnCount: number;
  /** One type byte per column. */
  readonly columnTypes: Buffer;
  /** The per-column metadata block (sizes, precision, fsp...), see row-values.ts parseColumnMeta. */
  readonly metadata: Buffer;
  /** MySQL 8 optional metadata (binlog_row_metadata), when the event carries any. */
  readonly optional?: TableMapMetadata;
}

/** TABLE_MAP: which table the next rows events are for, with its column types. */
export function parseTableMap(b: Buffer, off: number, end: number, postHeaderLength: number): TableMap {
  const tableId = readTableId(b, off, postHeaderLength);
  const c = { pos: off + postHeaderLength };
  const schemaLength = b[c.pos]!;
  const schema = b.toString('utf8', c.pos + 1, c.pos + 1 + schemaLength);
  c.pos += 2 + schemaLength;
  const tableLength = b[c.pos]!;
  const table = b.toString('utf8', c.pos + 1, c.pos + 1 + tableLength);
  c.pos += 2 + tableLength;
  const columnCount = readLenenc(b, c);
  const columnTypes = Buffer.from(b.subarray(c.pos, c.pos + columnCount));
  c.pos += columnCount;
  const metaLength = readLenenc(b, c);
  const metadata = Buffer.from(b.subarray(c.pos, c.pos + metaLength));
  if (c.pos + metaLength > end) throw new Error(`TABLE_MAP of ${schema}.${table} is truncated`);
  const optionalStart = c.pos + metaLength + ((columnCount + 7) >> 3); // after the null bitmap
  if (optionalStart >= end) return { tableId, schema, table, columnCount, columnTypes, metadata };
  // The optional metadata (binlog_row_metadata) is parsed on first use only: a TABLE_MAP comes once per table per
  // transaction, and only a captured table new to the cache reads it (binlog-stream.ts codecFor).
  let optional: TableMapMetadata | undefined;
  return {
    tableId, schema, table, columnCount, columnTypes, metadata,
    get optional(): TableMapMetadata {
      if (optional === undefined) {
        try {
          optional = parseTableMapMetadata(b, optionalStart, end, columnCount, numericColumns(columnTypes));
        } catch (e: unknown) {
          throw new Error(`TABLE_MAP of ${schema}.${table}: ${(e as Error).message}`, { cause: e });
        }
      }
      return optional;
    },
  };
}

/** The column types the signedness bitmap covers (MySQL's is_numeric_type): TINY, SHORT, LONG, FLOAT, DOUBLE, LONGLONG, INT24, NEWDECIMAL (and the old DECIMAL). */
const NUMERIC_TYPES = new Set([0, 1, 2, 3, 4, 5, 8, 9, 246]);

function numericColumns(types: Buffer): number {
  let n = 0;
  for (const t of types) if (NUMERIC_TYPES.has(t)) n++;
  return n;
}

export type RowsKind = 'write' | 'update' | 'delete';

export function rowsKind(type: number): RowsKind | null {
  switch (type) {
    case EventType.WRITE_ROWS_V1: case EventType.WRITE_ROWS_V2: return 'write';
    case EventType.UPDATE_ROWS_V1: case EventType.UPDATE_ROWS_V2: return 'update';
    case EventType.DELETE_ROWS_V1: case EventType.DELETE_ROWS_V2: return 'delete';
    default: return null;
  }
}

/** The table id of a rows event (to find its table map before decoding anything else). */
export function rowsTableId(b: Buffer, off: number, postHeaderLength: number): number {
  return readTableId(b, off, postHeaderLength);
}

/** Where a rows event's body (column count onwards) starts: after the post-header and, in v2, the extra data. */
export function rowsBodyStart(b: Buffer, off: number, type: number, postHeaderLength: number): number {
  let pos = off + postHeaderLength;
  if (type >= EventType.WRITE_ROWS_V2 && type <= EventType.DELETE_ROWS_V2) {
    // v2 post-header ends with the length of the extra data, which counts its own two bytes
    const extra = b.readUInt16LE(off + postHeaderLength - 2);
    pos += extra - 2;
  }
  return pos;
}
