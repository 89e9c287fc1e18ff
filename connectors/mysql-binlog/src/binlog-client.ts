/**
 * The @vlasky/zongji binlog client, set up for Ferry:
 *  - dateStrings + timezone 'Z' (+ jsonStrings): exact temporal text in UTC, JSON as text (value-conversion.ts);
 *  - table filtering before any row is decoded (zongji's per-TableMap _skipSchema hook asks the task's selector);
 *  - column metadata from Ferry's schema history instead of information_schema (zongji's _fetchTableInfo hook):
 *    rows are decoded with the columns they were written with, and no query runs per new table id;
 *  - spatial columns handed over as MySQL's raw geometry bytes (SRID + WKB) instead of zongji's parsed objects.
 * The two hooks are zongji internals (0.9.x); they are the only ones Ferry relies on, and this file is where.
 */
import ZongJi, { GtidSet, MariadbGtidPosition, type BinlogEvent, type TableMapEvent } from '@vlasky/zongji';
import type { Socket } from 'node:net';
import { pauseSocketReads, restartHandleReads, resumeSocketReads } from '../../../runtime/src/core/socket-reads.ts';
import { connectionOptions, type MySqlConnectionConfig } from './mysql-connection.ts';
import type { RowCodec } from './row-codec.ts';

/** zongji's table-map cache entry, with the codec Ferry attached. */
export interface TableMapEntryX {
  columnSchemas: unknown[];
  parentSchema: string;
  tableName: string;
  columns?: Array<{ name: string; type: number }>;
  ferryCodec?: RowCodec;
}

interface ZongJiInternals {
  tableMap: Record<number, TableMapEntryX>;
  _skipSchema(db: string, table: string): boolean;
  _fetchTableInfo(ev: TableMapEvent, next: () => void): void;
  connection: { pause(): void; resume(): void; stream?: Socket } | null;
  emit(name: string, ...args: unknown[]): boolean;
}

export interface BinlogClientHooks {
  /** Whether rows of this table are captured (asked once per TableMap; the answer should be cached). */
  captured(db: string, table: string): boolean;
  /** The codec to decode a TableMap's rows with; a promise when it must be looked up (zongji waits, paused). */
  codecFor(ev: TableMapEvent): RowCodec | Promise<RowCodec>;
  onEvent(ev: BinlogEvent): void;
  onError(err: unknown): void;
}

export type BinlogStart = { readonly gtidSet: string } | { readonly filename: string; readonly position: number };

const MYSQL_GEOMETRY = 255;
const MYSQL_BLOB = 252;
export const INCLUDE_EVENTS = ['tablemap', 'writerows', 'updaterows', 'deleterows', 'xid', 'query', 'mariadbgtid', 'gtid', 'xaprepare'];

export function createBinlogClient(cfg: MySqlConnectionConfig, serverId: number, start: BinlogStart, hooks: BinlogClientHooks): ZongJi {
  const zongji = new ZongJi({ ...connectionOptions(cfg), dateStrings: true, timezone: 'Z', jsonStrings: true });
  const z = zongji as unknown as ZongJiInternals;
  z._skipSchema = (db, table) => !hooks.captured(db, table);
  z._fetchTableInfo = (ev, next) => {
    const attach = (codec: RowCodec) => {
      z.tableMap[ev.tableId] = { columnSchemas: codec.zongjiColumns(), parentSchema: ev.schemaName, tableName: ev.tableName, ferryCodec: codec };
      next();
    };
    let r: RowCodec | Promise<RowCodec>;
    try {
      r = hooks.codecFor(ev);
    } catch (e: unknown) {
      z.emit('error', e);
      return;
    }
    if (r instanceof Promise) r.then(attach, (e: unknown) => z.emit('error', e));
    else attach(r);
  };
  zongji.on('binlog', (ev: BinlogEvent) => {
    if (ev.getEventName() === 'tablemap') prepareTableMap(z, ev as TableMapEvent, hooks);
    hooks.onEvent(ev);
  });
  zongji.on('error', (e: unknown) => hooks.onError(e));
  zongji.start({ serverId, includeEvents: INCLUDE_EVENTS, ...start });
  return zongji;
}

/**
 * After zongji merged a TableMap with its metadata: make sure the entry decodes with Ferry's codec (MySQL's
 * binlog_row_metadata=FULL path builds its own), and that spatial columns come as raw bytes (GEOMETRY and BLOB
 * values have the same length-prefixed layout).
 */
function prepareTableMap(z: ZongJiInternals, ev: TableMapEvent, hooks: BinlogClientHooks): void {
  const entry = z.tableMap[ev.tableId];
  if (!entry) return;
  if (!entry.ferryCodec) {
    const codec = hooks.codecFor(ev);
    if (codec instanceof Promise) {
      z.emit('error', new Error(`no schema for ${ev.schemaName}.${ev.tableName} at a self-describing TableMap; restart the task`));
      return;
    }
    entry.ferryCodec = codec;
    entry.columnSchemas = codec.zongjiColumns();
    ev.updateColumnInfo();
  }
  const cols = entry.columns;
  if (!cols) return;
  for (const i of entry.ferryCodec.spatialColumns) if (cols[i] && cols[i]!.type === MYSQL_GEOMETRY) cols[i]!.type = MYSQL_BLOB;
}

/** Forgets cached table maps of a table, so its next TableMap is decoded with the current codec. */
export function forgetTable(zongji: ZongJi, schema: string, table: string): void {
  const map = (zongji as unknown as ZongJiInternals).tableMap;
  for (const id of Object.keys(map)) {
    const e = map[Number(id)]!;
    if (e.parentSchema === schema && e.tableName === table) delete map[Number(id)];
  }
}

/** The GTID state `state` plus one more transaction (a DDL, whose GTID zongji only folds at the next group). */
export function addGtid(state: string | undefined, gtid: string | undefined, isMariaDb: boolean): string | undefined {
  if (state === undefined || gtid === undefined) return state;
  if (isMariaDb) {
    const m = /^(\d+)-(\d+)-(\d+)$/.exec(gtid);
    if (!m) return state;
    const p = MariadbGtidPosition.parse(state);
    p.add({ domainId: Number(m[1]), serverId: Number(m[2]), seqNo: m[3]! });
    return p.toString();
  }
  const s = GtidSet.parse(state);
  s.add(gtid);
  return s.toString();
}

export function pauseConnection(zongji: ZongJi, pause: boolean): void {
  const conn = (zongji as unknown as ZongJiInternals).connection;
  if (!conn) return;
  if (pause) conn.pause();
  else conn.resume();
}

/**
 * Read pacing on the binlog socket only: stops (held) or restarts the socket's reads and its 'data' flow, leaving
 * mysql2's own packet-level pause alone — zongji pauses and resumes the connection itself around table-map lookups,
 * and packets must stay queued while it does. The stream is resumed only when `resume` is true (no other pause).
 */
export function holdReads(zongji: ZongJi | null, held: boolean, resume: boolean): void {
  const stream = (zongji as unknown as ZongJiInternals | null)?.connection?.stream;
  if (!stream) return;
  if (held) pauseSocketReads(stream);
  else if (resume) resumeSocketReads(stream);
  else restartHandleReads(stream); // another pause holds the stream: reads resume, 'data' waits for it
}
