/**
 * Ferry's binlog client: a replication connection that streams binlog events from MySQL or MariaDB and decodes
 * the ones change capture needs (binlog/*.ts holds the pure decoders).
 *
 *  - mysql2 opens and authenticates the connection (TLS, auth plugins) and runs the replica set-up statements;
 *    then the client takes the socket over, sends COM_BINLOG_DUMP (COM_BINLOG_DUMP_GTID for MySQL GTID sets),
 *    and frames and decodes the packets itself.
 *  - Rows are decoded only for captured tables (asked once per table map), with the columns of Ferry's schema
 *    history for that table (the codec), so no query runs per table map.
 *  - Flow control is on the socket: while the consumer is behind (backpressure), while read pacing holds, or
 *    while a handler's promise is pending (a DDL being applied, a schema lookup), the socket is not read, and
 *    while a promise is pending no further event is decoded either.
 *  - CRC32 event checksums are verified when the server writes them.
 */
import mysql from 'mysql2/promise';
import type { Socket } from 'node:net';
import { crc32 } from 'node:zlib';
import { FerryError } from '../../../core/src/errors.ts';
import { pauseSocketReads, resumeSocketReads } from '../../../core/src/socket-reads.ts';
import {
  EventType, HEADER_LENGTH, parseFormatDescription, parseHeader, parseMariaDbGtid, parseMySqlGtid, parseQuery, parseRotate,
  parseTableMap, rowsBodyStart, rowsKind, rowsTableId, type RowsKind, type TableMap,
} from './binlog/binlog-events.ts';
import { MySqlGtidSet } from './binlog/gtid.ts';
import { framePacket, PacketFramer } from './binlog/packet-framer.ts';
import { decodeRows, type RowImages, type TableDecoder } from './binlog/rows-event.ts';
import { makeValueDecoder, parseColumnMeta } from './binlog/row-values.ts';
import { connectionOptions, mysqlTlsError, type MySqlConnectionConfig } from './mysql-connection.ts';
import { connectWithCredentialRefresh, isMySqlAuthFailure } from '../../../runtime/src/config/secret-refresh.ts';
import type { RowCodec } from './row-codec.ts';

export type BinlogStart = { readonly gtidSet: string } | { readonly filename: string; readonly position: number };

/** What the client reports; positions are `file` and `pos`, the position after the event (0 when unknown). */
export type BinlogEvent =
  | { readonly type: 'rows'; readonly kind: RowsKind; readonly codec: RowCodec; readonly rows: RowImages; readonly timestamp: number }
  | { readonly type: 'gtid'; readonly gtid: string; readonly serverId: number; readonly standalone: boolean; readonly timestamp: number }
  | { readonly type: 'xid' | 'xaprepare'; readonly file: string; readonly pos: number; readonly timestamp: number }
  /** A binlog file's FORMAT_DESCRIPTION event: `timestamp` is when the server began the file (cdc-start-time.ts). */
  | { readonly type: 'format'; readonly file: string; readonly timestamp: number }
  | { readonly type: 'query'; readonly schema: string; readonly query: string; readonly timestamp: number; readonly file: string; readonly pos: number };

export interface BinlogHandler {
  /** Whether rows of this table are captured (asked once per new table map). */
  captured(schema: string, table: string): boolean;
  /** The codec of a captured table's map; a promise holds the stream until it settles. */
  codecFor(map: TableMap): RowCodec | Promise<RowCodec>;
  /** One event; a promise holds the stream (nothing further is decoded) until it settles. */
  onEvent(ev: BinlogEvent): void | Promise<void>;
  /** The stream failed or ended; the client is unusable afterwards. */
  onError(err: unknown): void;
  /** Optional: the server accepted the dump and started streaming (its format description arrived). */
  onStreaming?(): void;
}

export interface BinlogClientOptions {
  readonly cfg: MySqlConnectionConfig;
  readonly serverId: number;
  readonly start: BinlogStart;
  readonly isMariaDb: boolean;
  readonly handler: BinlogHandler;
  /**
   * The server sends a heartbeat after this long without events (@master_heartbeat_period); with nothing at all
   * from it for three periods while the socket is read, the connection counts as lost (a dead peer that sent no
   * FIN or RST). Default 30 s.
   */
  readonly heartbeatMs?: number;
}

/** A table map seen in the stream; codec and decoder null for a table that is not captured. */
interface TableEntry {
  readonly schema: string;
  readonly table: string;
  readonly columnCount: number;
  readonly codec: RowCodec | null;
  readonly decoder: TableDecoder | null;
}

const ER_BINLOG_FATAL = 1236;

export class BinlogClient {
  readonly #o: BinlogClientOptions;
  #conn: mysql.Connection | null = null;
  #stream: Socket | null = null;
  #stopped = false;
  readonly #framer = new PacketFramer();
  #checksum = false;
  #postHeader: Buffer = Buffer.alloc(0);
  #file = '';
  #pos = 0;
  /** Table maps by table id. */
  readonly #tables = new Map<number, TableEntry>();
  #blocked = false;
  #backpressure = false;
  #paced = false;
  #readsOff = false;
  #lastData = Date.now();
  #watchdog: ReturnType<typeof setInterval> | null = null;

  constructor(o: BinlogClientOptions) {
    this.#o = o;
    if ('filename' in o.start) { this.#file = o.start.filename; this.#pos = o.start.position; }
    this.#open().catch((e: unknown) => this.#fail(e));
  }

  /** Backpressure: stop reading the socket while the consumer is behind. */
  pause(on: boolean): void {
    this.#backpressure = on;
    this.#updateReads();
  }

  /** Read pacing: leave the socket unread while held (already-read events are still decoded). */
  hold(on: boolean): void {
    this.#paced = on;
    this.#updateReads();
  }

  /** Forgets the table maps of a table, so that its next map is decoded with its current codec. */
  forgetTable(schema: string, table: string): void {
    for (const [id, e] of this.#tables) if (e.schema === schema && e.table === table) this.#tables.delete(id);
  }

  stop(): void {
    if (this.#stopped) return;
    this.#stopped = true;
    if (this.#watchdog) clearInterval(this.#watchdog);
    this.#stream?.removeAllListeners('data');
    this.#conn?.destroy(); // mysql2 only half-closes (end()); the server would keep streaming to a paused socket
    this.#stream?.destroy();
  }

  async #open(): Promise<void> {
    const { cfg, isMariaDb, start, serverId } = this.#o;
    let conn: mysql.Connection;
    try {
      conn = await connectWithCredentialRefresh({ connect: () => mysql.createConnection(connectionOptions(cfg)), isAuthFailure: isMySqlAuthFailure, secrets: [cfg.password] });
    } catch (e: unknown) {
      throw (await mysqlTlsError(e, cfg, 'binlog connection')) ?? e;
    }
    this.#conn = conn;
    const stream = (conn as unknown as { connection: { stream: Socket } }).connection.stream;
    if (this.#stopped) { stream.destroy(); return; }
    conn.on('error', () => undefined); // reported through the socket's close below
    this.#checksum = await negotiateChecksum(conn);
    const heartbeatMs = this.#o.heartbeatMs ?? 30000;
    await conn.query(`SET @master_heartbeat_period = ${Math.round(heartbeatMs * 1e6)}`); // nanoseconds
    if (isMariaDb) {
      await conn.query('SET @mariadb_slave_capability = 4'); // GTID events as such, not rewritten into BEGIN queries
      if ('gtidSet' in start) {
        await conn.query('SET @slave_connect_state = ?', [start.gtidSet]);
        await conn.query('SET @slave_gtid_strict_mode = 0');
        await conn.query('SET @slave_gtid_ignore_duplicates = 0');
      }
    }
    if (this.#stopped) { stream.destroy(); return; }
    this.#stream = stream;
    stream.removeAllListeners('data'); // mysql2 reads no more: the binlog packets are framed here
    stream.on('data', (chunk: Buffer) => this.#onData(chunk));
    stream.on('close', () => this.#fail(Object.assign(new Error('the binlog connection closed (server restart, KILL, or network)'), { code: 'PROTOCOL_CONNECTION_LOST' })));
    stream.on('error', (e: Error) => this.#fail(e));
    stream.write(framePacket(dumpCommand(start, serverId, isMariaDb)));
    this.#readsOff = false;
    this.#lastData = Date.now();
    this.#watchdog = setInterval(() => this.#checkAlive(3 * heartbeatMs), Math.max(50, heartbeatMs / 2));
    this.#watchdog.unref();
    this.#updateReads();
  }

  #checkAlive(limitMs: number): void {
    if (this.#readsOff || Date.now() - this.#lastData <= limitMs) return;
    this.#fail(Object.assign(new Error(`no data and no heartbeat from the server for ${Math.round(limitMs / 1000)} s: the connection is dead (network, or the server hangs)`), { code: 'PROTOCOL_CONNECTION_LOST' }));
  }

  #fail(e: unknown): void {
    if (this.#stopped) return;
    this.stop();
    this.#o.handler.onError(e);
  }

  #updateReads(): void {
    const off = this.#backpressure || this.#paced || this.#blocked;
    if (off === this.#readsOff || !this.#stream) return;
    this.#readsOff = off;
    if (off) pauseSocketReads(this.#stream);
    else {
      this.#lastData = Date.now(); // time with the socket unread does not count against the server
      resumeSocketReads(this.#stream);
    }
  }

  #onData(chunk: Buffer): void {
    this.#lastData = Date.now();
    this.#framer.push(chunk);
    this.#drain();
  }

  #drain(): void {
    try {
      while (!this.#blocked && !this.#stopped) {
        const p = this.#framer.next();
        if (p === null) return;
        this.#packet(p);
      }
    } catch (e: unknown) {
      this.#fail(e);
    }
  }

  /** Holds the stream until `p` settles. */
  #block(p: Promise<unknown>): void {
    this.#blocked = true;
    this.#updateReads();
    p.then(() => {
      this.#blocked = false;
      this.#updateReads();
      this.#drain();
    }, (e: unknown) => this.#fail(e));
  }

  #packet(p: Buffer): void {
    const first = p[0];
    if (first === 0x00) { this.#event(p, 1); return; }
    if (first === 0xff) throw serverError(p);
    if (first === 0xfe && p.length < 9) {
      throw Object.assign(new Error('the server ended the binlog stream'), { code: 'PROTOCOL_CONNECTION_LOST' });
    }
    throw new Error(`unexpected packet in the binlog stream (first byte 0x${(first ?? 0).toString(16)}, ${p.length} bytes)`);
  }

  #event(p: Buffer, off: number): void {
    const h = parseHeader(p, off);
    const whole = off + h.size;
    if (whole > p.length) throw new Error(`binlog event of ${h.size} bytes in a packet of ${p.length - off}`);
    let end = whole;
    if (this.#checksum && h.type !== EventType.FORMAT_DESCRIPTION) {
      end -= 4;
      if (crc32(p.subarray(off, end)) !== p.readUInt32LE(end)) {
        // the artificial ROTATE a dump starts with, and heartbeats, may come without a checksum
        if (!((h.type === EventType.ROTATE && h.timestamp === 0) || h.type === EventType.HEARTBEAT)) throw new Error(`binlog event checksum mismatch (type ${h.type}, at ${this.#file}:${this.#pos}): the stream is corrupt; reconnecting re-reads it`);
        end = whole;
      }
    }
    const body = off + HEADER_LENGTH;
    if (h.nextPos > 0 && h.type !== EventType.ROTATE && h.type !== EventType.TABLE_MAP && h.type !== EventType.FORMAT_DESCRIPTION && h.type !== EventType.HEARTBEAT) this.#pos = h.nextPos;
    const handler = this.#o.handler;
    let r: void | Promise<void>;
    switch (h.type) {
      case EventType.ROTATE: {
        const rot = parseRotate(p, body, end);
        this.#file = rot.file;
        this.#pos = rot.pos;
        return;
      }
      case EventType.FORMAT_DESCRIPTION: {
        const f = parseFormatDescription(p, body, whole);
        this.#postHeader = f.postHeaderLengths;
        this.#checksum = f.checksum;
        void handler.onEvent({ type: 'format', file: this.#file, timestamp: h.timestamp * 1000 });
        this.#o.handler.onStreaming?.();
        return;
      }
      case EventType.TABLE_MAP:
        this.#tableMap(parseTableMap(p, body, end, this.#postHeaderLength(h.type, 8)));
        return;
      case EventType.WRITE_ROWS_V1: case EventType.UPDATE_ROWS_V1: case EventType.DELETE_ROWS_V1:
      case EventType.WRITE_ROWS_V2: case EventType.UPDATE_ROWS_V2: case EventType.DELETE_ROWS_V2: {
        const phl = this.#postHeaderLength(h.type, h.type >= EventType.WRITE_ROWS_V2 ? 10 : 8);
        const id = rowsTableId(p, body, phl);
        const t = this.#tables.get(id);
        if (t === undefined) throw new Error(`a rows event for table id ${id} without its TABLE_MAP (at ${this.#file}:${this.#pos})`);
        if (t.codec === null || t.decoder === null) return;
        const kind = rowsKind(h.type)!;
        const rows = decodeRows(p, rowsBodyStart(p, body, h.type, phl), end, kind, t.decoder);
        r = handler.onEvent({ type: 'rows', kind, codec: t.codec, rows, timestamp: h.timestamp * 1000 });
        break;
      }
      case EventType.XID:
        r = handler.onEvent({ type: 'xid', file: this.#file, pos: this.#pos, timestamp: h.timestamp * 1000 });
        break;
      case EventType.XA_PREPARE:
        r = handler.onEvent({ type: 'xaprepare', file: this.#file, pos: this.#pos, timestamp: h.timestamp * 1000 });
        break;
      case EventType.QUERY: {
        const q = parseQuery(p, body, end);
        r = handler.onEvent({ type: 'query', schema: q.schema, query: q.query, timestamp: h.timestamp * 1000, file: this.#file, pos: this.#pos });
        break;
      }
      case EventType.MARIADB_GTID: {
        const g = parseMariaDbGtid(p, body, h.serverId);
        r = handler.onEvent({ type: 'gtid', gtid: g.gtid, serverId: h.serverId, standalone: g.standalone, timestamp: h.timestamp * 1000 });
        break;
      }
      case EventType.GTID:
        r = handler.onEvent({ type: 'gtid', gtid: parseMySqlGtid(p, body), serverId: h.serverId, standalone: false, timestamp: h.timestamp * 1000 });
        break;
      case EventType.TRANSACTION_PAYLOAD:
        throw new Error('TRANSACTION_PAYLOAD event: the binlog holds compressed transactions');
      case EventType.PARTIAL_UPDATE_ROWS:
        throw new Error('PARTIAL_UPDATE_ROWS event: the binlog holds partial JSON updates');
      case EventType.INCIDENT:
        throw new Error(`the source wrote an INCIDENT event at ${this.#file}:${this.#pos}: its binlog may be missing changes from there. Check the server's error log; re-copy the affected tables`);
      default:
        if (h.type >= EventType.MARIADB_FIRST_COMPRESSED && h.type <= EventType.MARIADB_LAST_COMPRESSED) {
          throw new Error(`MariaDB compressed binlog event (type ${h.type}): the binlog holds compressed events`);
        }
        return; // heartbeats, previous-GTIDs, GTID lists, checkpoints, annotations, anonymous GTIDs
    }
    if (r instanceof Promise) this.#block(r);
  }

  #postHeaderLength(type: number, fallback: number): number {
    return this.#postHeader[type - 1] ?? fallback;
  }

  #tableMap(map: TableMap): void {
    const known = this.#tables.get(map.tableId);
    if (known && known.schema === map.schema && known.table === map.table && known.columnCount === map.columnCount) return;
    if (this.#tables.size > 10000) this.#tables.clear();
    if (!this.#o.handler.captured(map.schema, map.table)) {
      this.#tables.set(map.tableId, { schema: map.schema, table: map.table, columnCount: map.columnCount, codec: null, decoder: null });
      return;
    }
    const attach = (codec: RowCodec) => {
      this.#tables.set(map.tableId, { schema: map.schema, table: map.table, columnCount: map.columnCount, codec, decoder: tableDecoder(map, codec) });
    };
    const codec = this.#o.handler.codecFor(map);
    if (codec instanceof Promise) this.#block(codec.then(attach));
    else attach(codec);
  }
}

/** The decoders of a table map's columns, with the names and types of Ferry's schema for the table. */
function tableDecoder(map: TableMap, codec: RowCodec): TableDecoder {
  const metas = parseColumnMeta(map.columnTypes, map.metadata);
  const cols = codec.def.columns;
  const decoders = metas.map((m, i) => {
    const col = cols[i]!;
    try {
      return makeValueDecoder(m, col);
    } catch (e: unknown) {
      throw new FerryError('FERRY_UNSUPPORTED', `cannot decode column ${col.name} of ${map.schema}.${map.table} from the binlog: ${(e as Error).message}. Exclude the table in the table mapping`, { cause: e });
    }
  });
  return { schema: map.schema, table: map.table, names: cols.map((c) => c.name), decoders };
}

/** Asks the server to send CRC32 checksums when it writes them; whether it will. */
async function negotiateChecksum(conn: mysql.Connection): Promise<boolean> {
  let alg: unknown;
  try {
    const [rows] = await conn.query<mysql.RowDataPacket[]>('SELECT @@GLOBAL.binlog_checksum AS c');
    alg = rows[0]?.c;
  } catch (e: unknown) {
    if ((e as { code?: string }).code === 'ER_UNKNOWN_SYSTEM_VARIABLE') return false;
    throw e;
  }
  if (typeof alg !== 'string' || alg.toUpperCase() === 'NONE') return false;
  await conn.query('SET @master_binlog_checksum = @@GLOBAL.binlog_checksum');
  return true;
}

/** COM_BINLOG_DUMP, or COM_BINLOG_DUMP_GTID for a MySQL GTID set (MariaDB sends its GTID state in a variable). */
function dumpCommand(start: BinlogStart, serverId: number, isMariaDb: boolean): Buffer {
  if ('gtidSet' in start && !isMariaDb) {
    const data = MySqlGtidSet.parse(start.gtidSet).encode();
    const b = Buffer.alloc(1 + 2 + 4 + 4 + 8 + 4 + data.length);
    b[0] = 0x1e;
    b.writeUInt16LE(0, 1); // flags: blocking
    b.writeUInt32LE(serverId, 3);
    b.writeUInt32LE(0, 7); // no file name: the server finds the first file the set does not cover
    b.writeBigUInt64LE(4n, 11);
    b.writeUInt32LE(data.length, 19);
    data.copy(b, 23);
    return b;
  }
  const file = 'filename' in start ? Buffer.from(start.filename, 'latin1') : Buffer.alloc(0);
  const pos = 'filename' in start ? start.position : 4;
  const b = Buffer.alloc(11 + file.length);
  b[0] = 0x12;
  b.writeUInt32LE(pos, 1);
  b.writeUInt16LE(0, 5);
  b.writeUInt32LE(serverId, 7);
  file.copy(b, 11);
  return b;
}

/** An ERR packet → an Error with the server's errno, SQL state and message (as mysql2 would report it). */
function serverError(p: Buffer): Error {
  const errno = p.readUInt16LE(1);
  const hasState = p[3] === 0x23; // '#'
  const sqlState = hasState ? p.toString('latin1', 4, 9) : '';
  const message = p.toString('utf8', hasState ? 9 : 3);
  return Object.assign(new Error(message), { errno, sqlState, code: errno === ER_BINLOG_FATAL ? 'ER_MASTER_FATAL_ERROR_READING_BINLOG' : `ER_${errno}` });
}
