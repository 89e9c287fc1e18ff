/**
 * pgoutput, the logical replication protocol of PostgreSQL's built-in output plugin, as pure functions over Buffers:
 *
 *   - decodePgOutput: one logical replication message (the payload of an XLogData) → a typed message
 *     (PostgreSQL docs, "Logical Replication Message Formats", protocol versions 1 and 2);
 *   - decodeCopyData / encodeStandbyStatus: the streaming replication framing inside CopyData
 *     (XLogData 'w', primary keepalive 'k' from the server; standby status update 'r' to it).
 *
 * LSNs and timestamps are bigints (LSNs are unsigned 64-bit; timestamps are microseconds since 2000-01-01).
 * Tuple values stay as the server sent them: text ('t') as a string, binary ('b') as a Buffer, null ('n') as
 * null and an unchanged out-of-line TOAST value ('u') as the UNCHANGED_TOAST marker, which callers must resolve.
 */
import { FerryError } from '../../../../core/src/errors.ts';

/** An unchanged TOASTed column ('u'): the server did not send its value. Never a real value. */
export const UNCHANGED_TOAST: unique symbol = Symbol('unchanged-toast');
export type TupleValue = string | Buffer | null | typeof UNCHANGED_TOAST;
export type Tuple = TupleValue[];

export interface BeginMessage { readonly tag: 'begin'; readonly finalLsn: bigint; readonly commitTime: bigint; readonly xid: number }
export interface CommitMessage { readonly tag: 'commit'; readonly flags: number; readonly commitLsn: bigint; readonly endLsn: bigint; readonly commitTime: bigint }
export interface OriginMessage { readonly tag: 'origin'; readonly originLsn: bigint; readonly name: string }
export interface RelationColumn {
  /** 1 = part of the replica identity key. */
  readonly flags: number;
  readonly name: string;
  readonly typeOid: number;
  readonly typmod: number;
}
export interface RelationMessage {
  readonly tag: 'relation';
  readonly xid: number | null;
  readonly relationId: number;
  readonly namespace: string;
  readonly name: string;
  /** relreplident: 'd' default, 'n' nothing, 'f' full, 'i' index. */
  readonly replicaIdentity: string;
  readonly columns: readonly RelationColumn[];
}
export interface TypeMessage { readonly tag: 'type'; readonly xid: number | null; readonly typeOid: number; readonly namespace: string; readonly name: string }
export interface InsertMessage { readonly tag: 'insert'; readonly xid: number | null; readonly relationId: number; readonly newTuple: Tuple }
export interface UpdateMessage {
  readonly tag: 'update';
  readonly xid: number | null;
  readonly relationId: number;
  /** 'K': the old key columns (replica identity DEFAULT/INDEX, only when the key changed); others null. */
  readonly keyTuple: Tuple | null;
  /** 'O': the whole old row (replica identity FULL). */
  readonly oldTuple: Tuple | null;
  readonly newTuple: Tuple;
}
export interface DeleteMessage { readonly tag: 'delete'; readonly xid: number | null; readonly relationId: number; readonly keyTuple: Tuple | null; readonly oldTuple: Tuple | null }
export interface TruncateMessage {
  readonly tag: 'truncate';
  readonly xid: number | null;
  readonly cascade: boolean;
  readonly restartIdentity: boolean;
  readonly relationIds: readonly number[];
}
export interface LogicalDecodingMessage {
  readonly tag: 'message';
  readonly xid: number | null;
  readonly transactional: boolean;
  readonly lsn: bigint;
  readonly prefix: string;
  readonly content: Buffer;
}
export interface StreamStartMessage { readonly tag: 'stream-start'; readonly xid: number; readonly firstSegment: boolean }
export interface StreamStopMessage { readonly tag: 'stream-stop' }
export interface StreamCommitMessage {
  readonly tag: 'stream-commit';
  readonly xid: number;
  readonly flags: number;
  readonly commitLsn: bigint;
  readonly endLsn: bigint;
  readonly commitTime: bigint;
}
export interface StreamAbortMessage {
  readonly tag: 'stream-abort';
  readonly xid: number;
  /** Equals xid when the whole transaction aborted; else the aborted subtransaction. */
  readonly subxid: number;
  /** Protocol 4 (parallel streaming) only. */
  readonly abortLsn?: bigint;
  readonly abortTime?: bigint;
}

export type PgOutputMessage =
  | BeginMessage | CommitMessage | OriginMessage | RelationMessage | TypeMessage | InsertMessage | UpdateMessage
  | DeleteMessage | TruncateMessage | LogicalDecodingMessage | StreamStartMessage | StreamStopMessage
  | StreamCommitMessage | StreamAbortMessage;

export interface DecodeOptions {
  /**
   * Whether the message sits between a Stream Start and a Stream Stop: there, Relation, Type, Insert, Update,
   * Delete, Truncate and Message carry the (sub)transaction's xid after the tag (protocol 2+).
   */
  readonly inStream: boolean;
}

class Reader {
  pos: number;
  readonly buf: Buffer;
  constructor(buf: Buffer, pos: number) {
    this.buf = buf;
    this.pos = pos;
  }
  need(n: number): void {
    if (this.pos + n > this.buf.length) throw malformed(this.buf, `needs ${n} more bytes at offset ${this.pos}`);
  }
  u8(): number {
    this.need(1);
    return this.buf[this.pos++]!;
  }
  i16(): number {
    this.need(2);
    const v = this.buf.readInt16BE(this.pos);
    this.pos += 2;
    return v;
  }
  i32(): number {
    this.need(4);
    const v = this.buf.readInt32BE(this.pos);
    this.pos += 4;
    return v;
  }
  u32(): number {
    this.need(4);
    const v = this.buf.readUInt32BE(this.pos);
    this.pos += 4;
    return v;
  }
  u64(): bigint {
    this.need(8);
    const v = this.buf.readBigUInt64BE(this.pos);
    this.pos += 8;
    return v;
  }
  i64(): bigint {
    this.need(8);
    const v = this.buf.readBigInt64BE(this.pos);
    this.pos += 8;
    return v;
  }
  cstring(): string {
    const end = this.buf.indexOf(0, this.pos);
    if (end < 0) throw malformed(this.buf, `unterminated string at offset ${this.pos}`);
    const s = this.buf.toString('utf8', this.pos, end);
    this.pos = end + 1;
    return s;
  }
  bytes(n: number): Buffer {
    this.need(n);
    const b = this.buf.subarray(this.pos, this.pos + n);
    this.pos += n;
    return b;
  }
}

function malformed(buf: Buffer, what: string): FerryError {
  const tag = buf.length > 0 ? String.fromCharCode(buf[0]!) : '(empty)';
  return new FerryError('FERRY_SOURCE_ERROR', `malformed pgoutput message '${tag}' (${buf.length} bytes): ${what}`, { disposition: 'fatal' });
}

function tuple(r: Reader): Tuple {
  const n = r.i16();
  const out: Tuple = new Array<TupleValue>(n);
  const buf = r.buf;
  for (let i = 0; i < n; i++) {
    const kind = r.u8();
    switch (kind) {
      case 0x74: { // 't' text
        const len = r.i32();
        r.need(len);
        out[i] = buf.toString('utf8', r.pos, r.pos + len);
        r.pos += len;
        break;
      }
      case 0x6e: // 'n' null
        out[i] = null;
        break;
      case 0x75: // 'u' unchanged TOAST
        out[i] = UNCHANGED_TOAST;
        break;
      case 0x62: { // 'b' binary
        const len = r.i32();
        out[i] = Buffer.from(r.bytes(len));
        break;
      }
      default:
        throw malformed(buf, `unknown tuple column kind 0x${kind.toString(16)} in column ${i}`);
    }
  }
  return out;
}

/** Decodes one pgoutput message. */
export function decodePgOutput(buf: Buffer, options: DecodeOptions): PgOutputMessage {
  if (buf.length === 0) throw malformed(buf, 'empty');
  const r = new Reader(buf, 1);
  const xid = (): number | null => (options.inStream ? r.u32() : null);
  switch (buf[0]) {
    case 0x42: // 'B'
      return { tag: 'begin', finalLsn: r.u64(), commitTime: r.i64(), xid: r.u32() };
    case 0x43: // 'C'
      return { tag: 'commit', flags: r.u8(), commitLsn: r.u64(), endLsn: r.u64(), commitTime: r.i64() };
    case 0x4f: // 'O'
      return { tag: 'origin', originLsn: r.u64(), name: r.cstring() };
    case 0x52: { // 'R'
      const x = xid();
      const relationId = r.u32();
      const namespace = r.cstring();
      const name = r.cstring();
      const replicaIdentity = String.fromCharCode(r.u8());
      const n = r.i16();
      const columns: RelationColumn[] = [];
      for (let i = 0; i < n; i++) columns.push({ flags: r.u8(), name: r.cstring(), typeOid: r.u32(), typmod: r.i32() });
      return { tag: 'relation', xid: x, relationId, namespace, name, replicaIdentity, columns };
    }
    case 0x59: { // 'Y'
      const x = xid();
      return { tag: 'type', xid: x, typeOid: r.u32(), namespace: r.cstring(), name: r.cstring() };
    }
    case 0x49: { // 'I'
      const x = xid();
      const relationId = r.u32();
      const marker = r.u8();
      if (marker !== 0x4e) throw malformed(buf, `expected 'N' before the new tuple, got 0x${marker.toString(16)}`);
      return { tag: 'insert', xid: x, relationId, newTuple: tuple(r) };
    }
    case 0x55: { // 'U'
      const x = xid();
      const relationId = r.u32();
      let keyTuple: Tuple | null = null;
      let oldTuple: Tuple | null = null;
      let marker = r.u8();
      if (marker === 0x4b) { keyTuple = tuple(r); marker = r.u8(); } else if (marker === 0x4f) { oldTuple = tuple(r); marker = r.u8(); }
      if (marker !== 0x4e) throw malformed(buf, `expected 'N' before the new tuple, got 0x${marker.toString(16)}`);
      return { tag: 'update', xid: x, relationId, keyTuple, oldTuple, newTuple: tuple(r) };
    }
    case 0x44: { // 'D'
      const x = xid();
      const relationId = r.u32();
      const marker = r.u8();
      if (marker === 0x4b) return { tag: 'delete', xid: x, relationId, keyTuple: tuple(r), oldTuple: null };
      if (marker === 0x4f) return { tag: 'delete', xid: x, relationId, keyTuple: null, oldTuple: tuple(r) };
      throw malformed(buf, `expected 'K' or 'O' in a delete, got 0x${marker.toString(16)}`);
    }
    case 0x54: { // 'T'
      const x = xid();
      const n = r.i32();
      const opts = r.u8();
      const relationIds: number[] = [];
      for (let i = 0; i < n; i++) relationIds.push(r.u32());
      return { tag: 'truncate', xid: x, cascade: (opts & 1) !== 0, restartIdentity: (opts & 2) !== 0, relationIds };
    }
    case 0x4d: { // 'M'
      const x = xid();
      const transactional = r.u8() === 1;
      const lsn = r.u64();
      const prefix = r.cstring();
      const len = r.i32();
      return { tag: 'message', xid: x, transactional, lsn, prefix, content: Buffer.from(r.bytes(len)) };
    }
    case 0x53: // 'S'
      return { tag: 'stream-start', xid: r.u32(), firstSegment: r.u8() === 1 };
    case 0x45: // 'E'
      return { tag: 'stream-stop' };
    case 0x63: // 'c'
      return { tag: 'stream-commit', xid: r.u32(), flags: r.u8(), commitLsn: r.u64(), endLsn: r.u64(), commitTime: r.i64() };
    case 0x41: { // 'A'
      const x = r.u32();
      const subxid = r.u32();
      if (buf.length >= r.pos + 16) return { tag: 'stream-abort', xid: x, subxid, abortLsn: r.u64(), abortTime: r.i64() };
      return { tag: 'stream-abort', xid: x, subxid };
    }
    default:
      throw malformed(buf, 'unknown message type (two-phase messages need two_phase, which Ferry does not enable)');
  }
}

/** The xid a message carries inside a stream block, read without decoding the rest (for spilling). */
export function streamedXid(buf: Buffer): number | null {
  const tag = buf[0];
  if (tag === 0x52 || tag === 0x59 || tag === 0x49 || tag === 0x55 || tag === 0x44 || tag === 0x54 || tag === 0x4d) {
    return buf.length >= 5 ? buf.readUInt32BE(1) : null;
  }
  return null;
}

// ---- streaming replication framing (CopyData payloads) ----

export interface XLogData {
  readonly kind: 'xlogdata';
  /** The WAL position of the message (for a Commit, the transaction's end LSN). */
  readonly walStart: bigint;
  /** One pgoutput message. */
  readonly data: Buffer;
}
/** XLogData with the rest of its header (the replication stream keeps only XLogData's fields while data waits). */
export interface XLogDataFrame extends XLogData { readonly walEnd: bigint; readonly sendTime: bigint }
export interface PrimaryKeepalive { readonly kind: 'keepalive'; readonly walEnd: bigint; readonly sendTime: bigint; readonly replyRequested: boolean }

/** Decodes a CopyData payload received during START_REPLICATION. */
export function decodeCopyData(buf: Buffer): XLogDataFrame | PrimaryKeepalive {
  if (buf[0] === 0x77 && buf.length >= 25) { // 'w'
    return { kind: 'xlogdata', walStart: buf.readBigUInt64BE(1), walEnd: buf.readBigUInt64BE(9), sendTime: buf.readBigInt64BE(17), data: buf.subarray(25) };
  }
  if (buf[0] === 0x6b && buf.length >= 18) { // 'k'
    return { kind: 'keepalive', walEnd: buf.readBigUInt64BE(1), sendTime: buf.readBigInt64BE(9), replyRequested: buf[17] === 1 };
  }
  throw new FerryError('FERRY_SOURCE_ERROR', `unexpected replication CopyData message 0x${(buf[0] ?? 0).toString(16)} of ${buf.length} bytes`, { disposition: 'fatal' });
}

export interface StandbyStatus {
  readonly write: bigint;
  readonly flush: bigint;
  readonly apply: bigint;
  /** Microseconds since 2000-01-01. */
  readonly clock: bigint;
  readonly replyRequested: boolean;
}

/** A standby status update ('r'): the positions the client has written, flushed (made durable) and applied. */
export function encodeStandbyStatus(s: StandbyStatus): Buffer {
  const b = Buffer.allocUnsafe(34);
  b[0] = 0x72; // 'r'
  b.writeBigUInt64BE(s.write, 1);
  b.writeBigUInt64BE(s.flush, 9);
  b.writeBigUInt64BE(s.apply, 17);
  b.writeBigInt64BE(s.clock, 25);
  b[33] = s.replyRequested ? 1 : 0;
  return b;
}

/** 2000-01-01T00:00:00Z in Unix milliseconds: PostgreSQL's epoch. */
export const PG_EPOCH_MS = 946684800000;

/** A PostgreSQL timestamp (µs since 2000-01-01) → Unix microseconds, as a number (exact until year ~2255). */
export function pgTimeToUnixMicros(t: bigint): number {
  return Number(t) + PG_EPOCH_MS * 1000;
}

/** Now, as a PostgreSQL timestamp. */
export function pgNow(nowMs = Date.now()): bigint {
  return BigInt(nowMs - PG_EPOCH_MS) * 1000n;
}
