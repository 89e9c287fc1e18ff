/**
 * The event half of Ferry's binlog client: one binlog packet (or one event inside a compressed transaction) at a
 * time → the handler's events, with the position MySQL reports for it. No I/O: binlog-client.ts owns the
 * connection, the framing and flow control, and feeds this; unit tests feed it byte fixtures.
 *
 *  - Rows are decoded only for captured tables (asked once per table map), with the columns of Ferry's schema
 *    history for that table (the codec).
 *  - A handler promise (a DDL being applied, a schema lookup) is passed to `block`; the feeder must not call
 *    `packet`/`step` again until it settles.
 *  - TRANSACTION_PAYLOAD events (binlog_transaction_compression=ON) are expanded into their inner events, which
 *    `step` then dispatches one by one; every inner event reports the payload's end as its position.
 *  - CRC32 event checksums are verified when the server writes them (inner events have none).
 */
import { crc32 } from 'node:zlib';
import { FerryError } from '../../../core/src/errors.ts';
import {
  EventType, HEADER_LENGTH, parseFormatDescription, parseHeader, parseMariaDbGtid, parseMySqlGtid, parseQuery, parseRotate,
  parseTableMap, rowsBodyStart, rowsKind, rowsTableId, type RowsKind, type TableMap,
} from './binlog/binlog-events.ts';
import { parseTaggedGtidEvent } from './binlog/mysql-gtid-event.ts';
import { decodePartialRows } from './binlog/partial-update-rows.ts';
import { decodeRows, type RowImages, type TableDecoder } from './binlog/rows-event.ts';
import { makeValueDecoder, parseColumnMeta } from './binlog/row-values.ts';
import { payloadEvents, type InnerEvent } from './binlog/transaction-payload.ts';
import type { RowCodec } from './row-codec.ts';
import type { Row } from '../../../core/src/types.ts';
import { makeWireDecoder } from './binlog/wire-values.ts';

/** What the client reports; positions are `file` and `pos`, the position after the event (0 when unknown). */
export type BinlogEvent =
  /**
   * Rows of a captured table, decoded from the binlog; `convert` turns one image into wire values in place (the
   * codec's binlogConverter: some columns are decoded straight to their wire value, binlog/wire-values.ts).
   */
  | { readonly type: 'rows'; readonly kind: RowsKind; readonly codec: RowCodec; readonly convert: (row: Row) => Row; readonly rows: RowImages; readonly timestamp: number }
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

/** A table map seen in the stream; codec, decoder and convert null for a table that is not captured. */
interface TableEntry {
  readonly schema: string;
  readonly table: string;
  readonly columnCount: number;
  readonly codec: RowCodec | null;
  readonly decoder: TableDecoder | null;
  readonly convert: ((row: Row) => Row) | null;
  /** The TABLE_MAP body (post-header on, no checksum) this entry was made from. */
  readonly raw: Buffer;
}

const ER_BINLOG_FATAL = 1236;

export interface DispatcherOptions {
  readonly handler: BinlogHandler;
  /** Called with a pending handler promise: hold everything until it settles. */
  readonly block: (p: Promise<unknown>) => void;
  readonly file?: string;
  readonly pos?: number;
  /** Whether events end in a CRC32 checksum before the first FORMAT_DESCRIPTION says so. */
  readonly checksum?: boolean;
}

export class EventDispatcher {
  readonly #o: DispatcherOptions;
  #checksum: boolean;
  #postHeader: Buffer = Buffer.alloc(0);
  #file: string;
  #pos: number;
  /** Table maps by table id. */
  readonly #tables = new Map<number, TableEntry>();
  /** The inner events of the current TRANSACTION_PAYLOAD not yet dispatched. */
  #inner: InnerEvent[] = [];
  #innerAt = 0;

  constructor(o: DispatcherOptions) {
    this.#o = o;
    this.#file = o.file ?? '';
    this.#pos = o.pos ?? 0;
    this.#checksum = o.checksum ?? false;
  }

  get file(): string { return this.#file; }
  get pos(): number { return this.#pos; }
  set checksum(on: boolean) { this.#checksum = on; }

  /** Forgets the table maps of a table, so that its next map is decoded with its current codec. */
  forgetTable(schema: string, table: string): void {
    for (const [id, e] of this.#tables) if (e.schema === schema && e.table === table) this.#tables.delete(id);
  }

  /** Dispatches the next inner event of a compressed transaction; false when none is left. */
  step(): boolean {
    if (this.#innerAt >= this.#inner.length) {
      if (this.#inner.length > 0) this.#inner = [];
      return false;
    }
    const e = this.#inner[this.#innerAt++]!;
    this.#event(e.buf, e.off, true);
    return true;
  }

  /** One packet of the dump stream. */
  packet(p: Buffer): void {
    const first = p[0];
    if (first === 0x00) { this.#event(p, 1, false); return; }
    if (first === 0xff) throw serverError(p);
    if (first === 0xfe && p.length < 9) {
      throw Object.assign(new Error('the server ended the binlog stream'), { code: 'PROTOCOL_CONNECTION_LOST' });
    }
    throw new Error(`unexpected packet in the binlog stream (first byte 0x${(first ?? 0).toString(16)}, ${p.length} bytes)`);
  }

  #event(p: Buffer, off: number, inner: boolean): void {
    const h = parseHeader(p, off);
    const whole = off + h.size;
    if (whole > p.length) throw new Error(`binlog event of ${h.size} bytes in a packet of ${p.length - off}`);
    let end = whole;
    if (this.#checksum && !inner && h.type !== EventType.FORMAT_DESCRIPTION) {
      end -= 4;
      if (crc32(p.subarray(off, end)) !== p.readUInt32LE(end)) {
        // the artificial ROTATE a dump starts with, and heartbeats, may come without a checksum
        if (!((h.type === EventType.ROTATE && h.timestamp === 0) || h.type === EventType.HEARTBEAT)) throw new Error(`binlog event checksum mismatch (type ${h.type}, at ${this.#file}:${this.#pos}): the stream is corrupt; reconnecting re-reads it`);
        end = whole;
      }
    }
    const body = off + HEADER_LENGTH;
    // inner events of a payload keep the payload's end as their position (MySQL's end_log_pos for them)
    if (!inner && h.nextPos > 0 && h.type !== EventType.ROTATE && h.type !== EventType.TABLE_MAP && h.type !== EventType.FORMAT_DESCRIPTION && h.type !== EventType.HEARTBEAT) this.#pos = h.nextPos;
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
        handler.onStreaming?.();
        return;
      }
      case EventType.TABLE_MAP: {
        const phl = this.#postHeaderLength(h.type, 8);
        // Every transaction repeats its tables' maps: the same bytes as the entry's need no parse (the parse would
        // give the same map, and #tableMap would keep that entry).
        const known = this.#tables.get(rowsTableId(p, body, phl));
        if (known !== undefined && known.raw.length === end - body && p.compare(known.raw, 0, known.raw.length, body, end) === 0) return;
        this.#tableMap(parseTableMap(p, body, end, phl), p, body, end);
        return;
      }
      case EventType.WRITE_ROWS_V1: case EventType.UPDATE_ROWS_V1: case EventType.DELETE_ROWS_V1:
      case EventType.WRITE_ROWS_V2: case EventType.UPDATE_ROWS_V2: case EventType.DELETE_ROWS_V2:
      case EventType.PARTIAL_UPDATE_ROWS: {
        const phl = this.#postHeaderLength(h.type, h.type >= EventType.WRITE_ROWS_V2 ? 10 : 8);
        const id = rowsTableId(p, body, phl);
        const t = this.#tables.get(id);
        if (t === undefined) throw new Error(`a rows event for table id ${id} without its TABLE_MAP (at ${this.#file}:${this.#pos})`);
        if (t.codec === null || t.decoder === null || t.convert === null) return;
        if (h.type === EventType.PARTIAL_UPDATE_ROWS) {
          const rows = decodePartialRows(p, rowsBodyStart(p, body, h.type, phl), end, t.decoder, `${this.#file}:${this.#pos}`);
          r = handler.onEvent({ type: 'rows', kind: 'update', codec: t.codec, convert: t.convert, rows, timestamp: h.timestamp * 1000 });
          break;
        }
        const kind = rowsKind(h.type)!;
        const rows = decodeRows(p, rowsBodyStart(p, body, h.type, phl), end, kind, t.decoder);
        r = handler.onEvent({ type: 'rows', kind, codec: t.codec, convert: t.convert, rows, timestamp: h.timestamp * 1000 });
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
      case EventType.GTID_TAGGED:
        return parseTaggedGtidEvent(p, body, end, `${this.#file}:${this.#pos}`); // throws: not decoded (see there)
      case EventType.TRANSACTION_PAYLOAD: {
        const at = `${this.#file}:${this.#pos - h.size}`;
        if (inner) throw new FerryError('FERRY_SOURCE_ERROR', `a TRANSACTION_PAYLOAD event inside another at ${at}: the binlog is corrupt`, { disposition: 'fatal', details: { position: at } });
        this.#inner = payloadEvents(p, body, end, at);
        this.#innerAt = 0;
        return;
      }
      case EventType.INCIDENT:
        throw new Error(`the source wrote an INCIDENT event at ${this.#file}:${this.#pos}: its binlog may be missing changes from there. Check the server's error log; re-copy the affected tables`);
      default:
        if (h.type >= EventType.MARIADB_FIRST_COMPRESSED && h.type <= EventType.MARIADB_LAST_COMPRESSED) {
          throw new Error(`MariaDB compressed binlog event (type ${h.type}): the binlog holds compressed events`);
        }
        return; // heartbeats, previous-GTIDs, GTID lists, checkpoints, annotations, anonymous GTIDs
    }
    if (r instanceof Promise) this.#o.block(r);
  }

  #postHeaderLength(type: number, fallback: number): number {
    return this.#postHeader[type - 1] ?? fallback;
  }

  /** A parsed TABLE_MAP; its body is p[body, end). */
  #tableMap(map: TableMap, p: Buffer, body: number, end: number): void {
    const known = this.#tables.get(map.tableId);
    if (known && known.schema === map.schema && known.table === map.table && known.columnCount === map.columnCount) return;
    if (this.#tables.size > 10000) this.#tables.clear();
    const raw = Buffer.from(p.subarray(body, end)); // a copy: `p` is a view of a socket read
    if (!this.#o.handler.captured(map.schema, map.table)) {
      this.#tables.set(map.tableId, { schema: map.schema, table: map.table, columnCount: map.columnCount, codec: null, decoder: null, convert: null, raw });
      return;
    }
    const attach = (codec: RowCodec) => {
      const { decoder, convert } = tableDecoder(map, codec);
      this.#tables.set(map.tableId, { schema: map.schema, table: map.table, columnCount: map.columnCount, codec, decoder, convert, raw });
    };
    const codec = this.#o.handler.codecFor(map);
    if (codec instanceof Promise) this.#o.block(codec.then(attach));
    else attach(codec);
  }
}

/**
 * The decoders of a table map's columns, with the names and types of Ferry's schema for the table, and the
 * converter of its images: columns with a direct decoder (binlog/wire-values.ts) come out as wire values and skip
 * the codec's converter, the others are decoded as text and converted.
 */
function tableDecoder(map: TableMap, codec: RowCodec): { decoder: TableDecoder; convert: (row: Row) => Row } {
  const metas = parseColumnMeta(map.columnTypes, map.metadata);
  const cols = codec.def.columns;
  const direct: boolean[] = [];
  const decoders = metas.map((m, i) => {
    const col = cols[i]!;
    try {
      const text = makeValueDecoder(m, col); // also validates the column's metadata
      const wire = makeWireDecoder(m, codec.mappings[i]!, col.nullable);
      direct.push(wire !== null);
      return wire ?? text;
    } catch (e: unknown) {
      throw new FerryError('FERRY_UNSUPPORTED', `cannot decode column ${col.name} of ${map.schema}.${map.table} from the binlog: ${(e as Error).message}. Exclude the table in the table mapping`, { cause: e });
    }
  });
  return { decoder: { schema: map.schema, table: map.table, names: cols.map((c) => c.name), decoders, metas }, convert: codec.binlogConverter(direct) };
}

/** An ERR packet → an Error with the server's errno, SQL state and message (as mysql2 would report it). */
function serverError(p: Buffer): Error {
  const errno = p.readUInt16LE(1);
  const hasState = p[3] === 0x23; // '#'
  const sqlState = hasState ? p.toString('latin1', 4, 9) : '';
  const message = p.toString('utf8', hasState ? 9 : 3);
  return Object.assign(new Error(message), { errno, sqlState, code: errno === ER_BINLOG_FATAL ? 'ER_MASTER_FATAL_ERROR_READING_BINLOG' : `ER_${errno}` });
}
