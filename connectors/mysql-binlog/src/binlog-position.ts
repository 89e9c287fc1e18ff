/**
 * Where the binlog is: the server's current position, the GTID state at a file/offset, and comparisons.
 *
 * Ferry's binlog Position (core/src/position.ts) is mysql:<file seq>:<offset>:<file base>[:<gtid state>],
 * where the GTID part is the complete GTID state at that point (MariaDB '0-1-42[,1-2-7]', MySQL gtid_executed
 * 'uuid:1-42[,...]'), so streaming can resume by GTID (surviving failover) and, without GTIDs, by file/offset.
 */
import type { Connection, RowDataPacket } from 'mysql2/promise';
import { binlogPosition, parseBinlogPosition, type BinlogCoordinates } from '../../../core/src/position.ts';
import { FerryError } from '../../../core/src/errors.ts';
import type { Position } from '../../../core/src/types.ts';

/** The position a full load without a binlog reports (binary logging may be off for full-load tasks). */
export const NO_BINLOG_POSITION = binlogPosition({ file: 'none.000000', pos: 0 });

/** The log-order part of a position (file sequence and offset), without the GTID state. */
export function positionKey(p: Position | string): string {
  return p.slice(0, 29);
}

/** Negative when a is earlier in the log than b (GTID parts ignored). */
export function compareLogOrder(a: Position | string, b: Position | string): number {
  const ka = positionKey(a);
  const kb = positionKey(b);
  return ka < kb ? -1 : ka > kb ? 1 : 0;
}

const fileParts = new Map<string, readonly [string, string]>();

/** binlogPosition() with the file part cached: called once per transaction while streaming. */
export function withGtid(c: BinlogCoordinates, gtid: string | undefined): Position {
  let parts = fileParts.get(c.file);
  if (!parts) {
    const p = binlogPosition({ file: c.file, pos: 0 });
    parts = [p.slice(0, 17), p.slice(29)];
    if (fileParts.size > 1000) fileParts.clear();
    fileParts.set(c.file, parts);
  }
  if (!Number.isSafeInteger(c.pos) || c.pos < 0) return binlogPosition(c);
  const pos = String(c.pos);
  return `${parts[0]}${pos.length < 12 ? '000000000000'.slice(pos.length) + pos : pos}${parts[1]}${gtid ? `:${gtid}` : ''}` as Position;
}

async function showMasterStatus(conn: Connection): Promise<RowDataPacket | undefined> {
  try {
    const [rows] = await conn.query<RowDataPacket[]>('SHOW MASTER STATUS');
    return rows[0];
  } catch (e: unknown) {
    // MySQL 8.4 removed SHOW MASTER STATUS
    if ((e as { errno?: number }).errno !== 1064) throw e;
    const [rows] = await conn.query<RowDataPacket[]>('SHOW BINARY LOG STATUS');
    return rows[0];
  }
}

/** MariaDB: the GTID state at a binlog file/offset ('' when no GTID precedes it). */
export async function mariaDbGtidAt(conn: Connection, file: string, pos: number): Promise<string | undefined> {
  const [rows] = await conn.query<RowDataPacket[]>('SELECT BINLOG_GTID_POS(?, ?) AS g', [file, pos]);
  const g = rows[0]?.g;
  return typeof g === 'string' && g.trim() !== '' ? g.trim() : undefined;
}

/** The server's current binlog end, with the GTID state there. Throws FERRY_SOURCE_PREREQUISITE when binary logging is off. */
export async function currentBinlogPosition(conn: Connection, isMariaDb: boolean): Promise<Position> {
  const row = await showMasterStatus(conn);
  if (!row || !row.File) {
    throw new FerryError('FERRY_SOURCE_PREREQUISITE', 'binary logging is off on the source (SHOW MASTER STATUS is empty); change capture reads the binlog. Enable log-bin (see docs/sources/mysql.md "Setup")');
  }
  const c = { file: String(row.File), pos: Number(row.Position) };
  if (isMariaDb) return withGtid(c, await mariaDbGtidAt(conn, c.file, c.pos));
  const executed = typeof row.Executed_Gtid_Set === 'string' ? row.Executed_Gtid_Set.replace(/\s/g, '') : '';
  return withGtid(c, executed || undefined);
}

/** The earliest of several positions. */
export function earliest(positions: readonly Position[]): Position {
  let min = positions[0]!;
  for (const p of positions) if (compareLogOrder(p, min) < 0) min = p;
  return min;
}

export { parseBinlogPosition };
