/**
 * Ferry's binlog client: a replication connection that streams binlog events from MySQL or MariaDB; the event
 * decoding is in binlog-dispatch.ts (pure, over bytes) and binlog/*.ts.
 *
 *  - mysql2 opens and authenticates the connection (TLS, auth plugins) and runs the replica set-up statements;
 *    then the client takes the socket over, sends COM_BINLOG_DUMP (COM_BINLOG_DUMP_GTID for MySQL GTID sets),
 *    frames the packets and hands them to the dispatcher, the rest of a compressed transaction first.
 *  - Flow control is on the socket: while the consumer is behind (backpressure), while read pacing holds, or
 *    while a handler's promise is pending (a DDL being applied, a schema lookup), the socket is not read, and
 *    while a promise is pending no further event is decoded either.
 */
import mysql from 'mysql2/promise';
import type { Socket } from 'node:net';
import { pauseSocketReads, resumeSocketReads } from '../../../core/src/socket-reads.ts';
import { MySqlGtidSet } from './binlog/gtid.ts';
import { framePacket, PacketFramer } from './binlog/packet-framer.ts';
import { EventDispatcher, type BinlogHandler } from './binlog-dispatch.ts';
import { connectionOptions, mysqlTlsError, type MySqlConnectionConfig } from './mysql-connection.ts';
import { connectWithCredentialRefresh, isMySqlAuthFailure } from '../../../runtime/src/config/secret-refresh.ts';

export type BinlogStart = { readonly gtidSet: string } | { readonly filename: string; readonly position: number };

export type { BinlogEvent, BinlogHandler } from './binlog-dispatch.ts';

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

/** How long the server may take to send its first packet after the dump request, whatever the heartbeat period. */
const FIRST_ANSWER_MS = 60_000;

export class BinlogClient {
  readonly #o: BinlogClientOptions;
  #conn: mysql.Connection | null = null;
  #stream: Socket | null = null;
  #stopped = false;
  readonly #framer = new PacketFramer();
  readonly #events: EventDispatcher;
  #blocked = false;
  #backpressure = false;
  #paced = false;
  #readsOff = false;
  #lastData = Date.now();
  #lastCheck = Date.now();
  /** Whether the server sent anything since the dump request (until then it may be searching its binlogs). */
  #answered = false;
  #watchdog: ReturnType<typeof setInterval> | null = null;

  constructor(o: BinlogClientOptions) {
    this.#o = o;
    const at = 'filename' in o.start ? { file: o.start.filename, pos: o.start.position } : {};
    this.#events = new EventDispatcher({ handler: o.handler, block: (p) => this.#block(p), ...at });
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
    this.#events.forgetTable(schema, table);
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
    this.#events.checksum = await negotiateChecksum(conn);
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
    this.#answered = false;
    const everyMs = Math.max(50, heartbeatMs / 2);
    this.#lastCheck = Date.now();
    this.#watchdog = setInterval(() => this.#checkAlive(3 * heartbeatMs, everyMs), everyMs);
    this.#watchdog.unref();
    this.#updateReads();
  }

  /**
   * Declares the connection dead after `limitMs` without data or heartbeat, checked every `everyMs`. A check that
   * comes late means this process did not run meanwhile (a long GC pause, a starved CPU): timers run before the loop
   * reads its sockets, so what the server sent in that time is still unread. Such a check judges nothing; the next
   * one, after the reads, does.
   */
  #checkAlive(limitMs: number, everyMs: number): void {
    const now = Date.now();
    const late = now - this.#lastCheck > 2 * everyMs;
    this.#lastCheck = now;
    if (late || this.#readsOff) return;
    if (!this.#answered) {
      // Before its first packet the server may be reading through a binlog file to find the start GTID (seconds for
      // a 1 GB file) and sends no heartbeat meanwhile: a short heartbeat period must not turn that into a reconnect
      // loop, each reconnect starting the search again.
      if (now - this.#lastData <= Math.max(limitMs, FIRST_ANSWER_MS)) return;
      this.#fail(Object.assign(new Error(`the server did not start the binlog stream within ${Math.round(Math.max(limitMs, FIRST_ANSWER_MS) / 1000)} s of the dump request: the connection is dead (network, or the server hangs)`), { code: 'PROTOCOL_CONNECTION_LOST' }));
      return;
    }
    if (now - this.#lastData <= limitMs) return;
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
    this.#answered = true;
    this.#framer.push(chunk);
    this.#drain();
  }

  #drain(): void {
    try {
      while (!this.#blocked && !this.#stopped) {
        if (this.#events.step()) continue; // the rest of a compressed transaction first
        const p = this.#framer.next();
        if (p === null) {
          this.#framer.releaseChunks();
          return;
        }
        this.#events.packet(p);
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
