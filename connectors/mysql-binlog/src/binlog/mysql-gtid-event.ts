/**
 * MySQL GTID events (libbinlogevents control_events.h, Gtid_event).
 *
 * GTID_LOG_EVENT (type 33), post-header of 42 bytes: flags (1), source UUID (16), GNO (8, little-endian),
 * logical clock type code (1, value 2), last_committed (8), sequence_number (8). The body that MySQL 8.0 adds,
 * each part optional (older writers stop earlier): immediate_commit_timestamp (7 bytes, microseconds; its top bit
 * set means original_commit_timestamp follows in 7 more bytes, else the original is the immediate one),
 * transaction_length (packed integer, 8.0.2+), immediate_server_version (4 bytes; top bit set means
 * original_server_version follows in 4 more), then fields Ferry does not need (commit_group_ticket).
 *
 * GTID_TAGGED_LOG_EVENT (type 42, MySQL 8.4 with `SET gtid_next='AUTOMATIC:<tag>'` or a tagged GTID) is written
 * in the mysql::serialization format instead; Ferry does not decode it and stops with a coded error rather
 * than lose the GTID (see parseTaggedGtidEvent).
 */
import { FerryError } from '../../../../core/src/errors.ts';

export interface MySqlGtidEvent {
  /** 'uuid:gno' */
  readonly gtid: string;
  readonly flags: number;
  /** Commit-order dependency (logical clock); -1 when the writer did not record it. */
  readonly lastCommitted: bigint;
  readonly sequenceNumber: bigint;
  /** Microseconds since the epoch; 0 when absent (before 8.0.1). */
  readonly immediateCommitTimestamp: bigint;
  readonly originalCommitTimestamp: bigint;
  /** The transaction's size in bytes (GTID event included); 0 when absent. */
  readonly transactionLength: number;
  readonly immediateServerVersion: number;
  readonly originalServerVersion: number;
}

const POST_HEADER = 42;
const TOP_BIT_56 = 1n << 55n;
const TOP_BIT_32 = 0x80000000;

function uuidText(b: Buffer, off: number): string {
  const h = b.toString('hex', off, off + 16);
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

/** The GTID event whose body is [off, end) (checksum excluded). */
export function parseMySqlGtidEvent(b: Buffer, off: number, end: number): MySqlGtidEvent {
  if (end - off < 25) throw new Error(`GTID event of ${end - off} bytes, at least 25 expected`);
  const flags = b[off]!;
  const gtid = `${uuidText(b, off + 1)}:${b.readBigUInt64LE(off + 17)}`;
  let lastCommitted = -1n;
  let sequenceNumber = -1n;
  if (end - off >= POST_HEADER && b[off + 25] === 2) {
    lastCommitted = b.readBigInt64LE(off + 26);
    sequenceNumber = b.readBigInt64LE(off + 34);
  }
  let pos = off + POST_HEADER;
  let immediate = 0n;
  let original = 0n;
  let transactionLength = 0;
  let immediateServerVersion = 0;
  let originalServerVersion = 0;
  if (pos + 7 <= end) {
    immediate = BigInt(b.readUIntLE(pos, 6)) | (BigInt(b[pos + 6]!) << 48n);
    pos += 7;
    original = immediate;
    if (immediate & TOP_BIT_56) {
      immediate &= TOP_BIT_56 - 1n;
      if (pos + 7 > end) throw new Error('GTID event truncated in original_commit_timestamp');
      original = BigInt(b.readUIntLE(pos, 6)) | (BigInt(b[pos + 6]!) << 48n);
      pos += 7;
    }
    if (pos < end) {
      const c = { pos };
      transactionLength = packedInt(b, c, end);
      pos = c.pos;
    }
    if (pos + 4 <= end) {
      immediateServerVersion = b.readUInt32LE(pos);
      pos += 4;
      originalServerVersion = immediateServerVersion;
      if (immediateServerVersion & TOP_BIT_32) {
        immediateServerVersion = (immediateServerVersion & ~TOP_BIT_32) >>> 0;
        if (pos + 4 > end) throw new Error('GTID event truncated in original_server_version');
        originalServerVersion = b.readUInt32LE(pos);
      }
    }
  }
  return {
    gtid, flags, lastCommitted, sequenceNumber, immediateCommitTimestamp: immediate, originalCommitTimestamp: original,
    transactionLength, immediateServerVersion, originalServerVersion,
  };
}

function packedInt(b: Buffer, c: { pos: number }, end: number): number {
  const first = b[c.pos]!;
  const width = first < 0xfb ? 0 : first === 0xfc ? 2 : first === 0xfd ? 3 : first === 0xfe ? 8 : -1;
  if (width < 0 || c.pos + 1 + width > end) throw new Error(`GTID event: bad transaction_length at byte ${c.pos - 0}`);
  c.pos += 1 + width;
  if (width === 0) return first;
  if (width === 8) return Number(b.readBigUInt64LE(c.pos - 8));
  return b.readUIntLE(c.pos - width, width);
}

/**
 * GTID_TAGGED_LOG_EVENT (MySQL 8.4): not decoded. Skipping it would leave the transaction's GTID out of the
 * checkpoint's GTID set, and a resume by GTID would then re-read or mis-order transactions; so it is an error
 * naming the fix.
 */
export function parseTaggedGtidEvent(_b: Buffer, _off: number, _end: number, where: string): never {
  throw new FerryError('FERRY_SOURCE_PREREQUISITE',
    `the binlog holds a tagged GTID (GTID_TAGGED_LOG_EVENT, MySQL 8.4) at ${where}, which Ferry cannot decode yet. ` +
    "Stop assigning tagged GTIDs on the source (SET gtid_next='AUTOMATIC:<tag>' or 'uuid:tag:n' in sessions or by replication), " +
    'then start the task again from a position after these transactions (`ferry offsets reset` and full-load-and-cdc)',
    { details: { position: where } });
}
