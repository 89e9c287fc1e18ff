/**
 * Positions in a source's log. A Position is an opaque string whose lexicographic order is log order,
 * so the runtime can compare, store and take the max of positions without knowing the source.
 *
 * Encodings (fixed-width numbers make string order equal log order):
 *   MySQL/MariaDB  mysql:<file seq, 10 digits>:<byte pos, 12 digits>:<file base name>[:<gtid>]
 *                  e.g. mysql:0000000003:000000004711:mariadb-bin:0-1-42
 *   PostgreSQL     pg:<LSN as 16 upper-case hex digits>        e.g. pg:00000000016B3748
 */
import { FerryError } from './errors.ts';

export type Position = string & { readonly __brand: 'Position' };

export interface BinlogCoordinates {
  /** Binlog file name, e.g. 'mariadb-bin.000003'. */
  readonly file: string;
  /** Byte offset of the next event to read in that file. */
  readonly pos: number;
  /** GTID of the last complete transaction at this point (MariaDB 'domain-server-seq' or MySQL 'uuid:n'), if known. */
  readonly gtid?: string;
}

const FILE_RE = /^(.*)\.(\d+)$/;

export function binlogPosition(c: BinlogCoordinates): Position {
  const m = FILE_RE.exec(c.file);
  if (!m || !Number.isSafeInteger(c.pos) || c.pos < 0) {
    throw new FerryError('FERRY_POSITION_INVALID', `invalid binlog coordinates ${c.file}:${c.pos}`);
  }
  const seq = m[2]!.padStart(10, '0');
  const pos = String(c.pos).padStart(12, '0');
  return `mysql:${seq}:${pos}:${m[1]}${c.gtid ? `:${c.gtid}` : ''}` as Position;
}

export function parseBinlogPosition(p: Position | string): BinlogCoordinates {
  const m = /^mysql:(\d{10}):(\d{12}):([^:]+)(?::(.+))?$/.exec(p);
  if (!m) throw new FerryError('FERRY_POSITION_INVALID', `not a binlog position: ${p}`);
  const seqWidth = Math.max(6, String(Number(m[1])).length);
  const file = `${m[3]}.${String(Number(m[1])).padStart(seqWidth, '0')}`;
  return m[4] ? { file, pos: Number(m[2]), gtid: m[4] } : { file, pos: Number(m[2]) };
}

/** Parses 'X/Y' (PostgreSQL's LSN text form) into a bigint. */
export function parseLsnText(lsn: string): bigint {
  const m = /^([0-9A-Fa-f]{1,8})\/([0-9A-Fa-f]{1,8})$/.exec(lsn);
  if (!m) throw new FerryError('FERRY_POSITION_INVALID', `not a PostgreSQL LSN: ${lsn}`);
  return (BigInt(`0x${m[1]}`) << 32n) | BigInt(`0x${m[2]}`);
}

export function formatLsnText(lsn: bigint): string {
  return `${(lsn >> 32n).toString(16).toUpperCase()}/${(lsn & 0xffffffffn).toString(16).toUpperCase()}`;
}

export function lsnPosition(lsn: bigint | string): Position {
  const v = typeof lsn === 'string' ? parseLsnText(lsn) : lsn;
  if (v < 0n || v > 0xffffffffffffffffn) throw new FerryError('FERRY_POSITION_INVALID', `LSN out of range: ${v}`);
  return `pg:${v.toString(16).toUpperCase().padStart(16, '0')}` as Position;
}

export function parseLsnPosition(p: Position | string): bigint {
  const m = /^pg:([0-9A-F]{16})$/.exec(p);
  if (!m) throw new FerryError('FERRY_POSITION_INVALID', `not a PostgreSQL position: ${p}`);
  return BigInt(`0x${m[1]}`);
}

/** Negative when a is earlier in the log than b, 0 when equal, positive when later. */
export function comparePositions(a: Position, b: Position): number {
  if (a.slice(0, 3) !== b.slice(0, 3)) {
    throw new FerryError('FERRY_POSITION_INVALID', `cannot compare positions of different sources: ${a} vs ${b}`);
  }
  return a < b ? -1 : a > b ? 1 : 0;
}

export function maxPosition(a: Position | null, b: Position | null): Position | null {
  if (a === null) return b;
  if (b === null) return a;
  return comparePositions(a, b) >= 0 ? a : b;
}
