/**
 * MySQL/MariaDB incremental snapshots: the chunk queries and watermarks (MySqlChunkSource) for the shared
 * snapshotter (runtime/src/snapshot/incremental-snapshotter.ts; read-only DBLog-style watermarks, SHOW MASTER STATUS).
 */
import type { Connection, RowDataPacket } from 'mysql2/promise';
import { FerryError } from '../../../core/src/errors.ts';
import type { ChangeEvent, Position, Row } from '../../../core/src/types.ts';
import type { ChunkSource } from '../../../runtime/src/snapshot/incremental-snapshotter.ts';
import { IncrementalSnapshotter, readIncrementalState as readState, type JobState, type SnapshotterOptions } from '../../../runtime/src/snapshot/incremental-snapshotter.ts';
import { currentBinlogPosition, mariaDbGtidAt, withGtid } from './binlog-position.ts';
import { hasPassed } from './incremental-snapshot-window.ts';
import { openMySql, type MySqlConnectionConfig } from './mysql-connection.ts';
import { quoteId } from './mysql-schema.ts';
import { codecFor, type RowCodec } from './row-codec.ts';
import type { SchemaHistory } from './schema-history.ts';
import { keyCondition, keyParams } from './snapshot.ts';
import { decodeKeyValue, encodeKeyValue, STATE_VERSION, type EncodedKey } from './snapshot-state.ts';

export { IncrementalSnapshotter, type ChunkSource, type JobState };

/** Pending and running incremental snapshots in a stored MySQL offset's state. */
export function readIncrementalState(state: Readonly<Record<string, unknown>> | undefined): JobState[] {
  return readState(state, STATE_VERSION);
}

/** The snapshotter with MySQL's state version and log order. */
export function mysqlSnapshotter(options: Omit<SnapshotterOptions, 'stateVersion' | 'hasPassed'>): IncrementalSnapshotter {
  return new IncrementalSnapshotter({ ...options, stateVersion: STATE_VERSION, hasPassed });
}

export interface MySqlChunkSourceOptions {
  readonly cfg: MySqlConnectionConfig;
  readonly isMariaDb: boolean;
  readonly history: SchemaHistory;
  readonly connector: 'mysql' | 'mariadb';
  readonly topicPrefix: string;
  /** Registers a cleanup for SourceConnector.close(); returns its unregistration. */
  readonly onClose: (f: () => Promise<void>) => () => void;
}

/**
 * Chunks and watermarks from MySQL/MariaDB, on a connection of its own. MySQL: plain autocommit reads. MariaDB: each
 * chunk in a short START TRANSACTION WITH CONSISTENT SNAPSHOT, whose binlog_snapshot_file/position is the exact
 * position the read saw (ChunkSource.readChunk `at`), which closes the race between a transaction's binlog write and
 * its engine commit (docs/sources/mysql.md "Lock-free snapshots").
 */
export class MySqlChunkSource implements ChunkSource {
  readonly #o: MySqlChunkSourceOptions;
  #conn: Connection | null = null;
  #unregister: (() => void) | null = null;
  #closed = false;
  readonly #codecs = new Map<string, RowCodec>();

  constructor(options: MySqlChunkSourceOptions) {
    this.#o = options;
  }

  async #connection(): Promise<Connection> {
    if (this.#conn) return this.#conn;
    if (this.#closed) throw new FerryError('FERRY_ABORTED', 'the source is closing');
    const conn = await openMySql(this.#o.cfg, 'snapshot connection');
    if (this.#closed) { conn.destroy(); throw new FerryError('FERRY_ABORTED', 'the source is closing'); }
    this.#conn = conn;
    this.#unregister = this.#o.onClose(async () => { conn.destroy(); });
    return conn;
  }

  watermark(): Promise<Position> {
    return this.#connection().then((c) => currentBinlogPosition(c, this.#o.isMariaDb));
  }

  /** The stream has replayed the table's creation: it is in the schema history. */
  ready(table: string): boolean {
    return this.#entry(table) !== undefined;
  }

  #entry(table: string) {
    const e = this.#o.history.stateAt('\uffff').get(table);
    return e?.def ? e : undefined;
  }

  version(table: string): number | null {
    return this.#entry(table)?.version ?? null;
  }

  async readChunk(table: string, after: EncodedKey | null, limit: number, condition?: string): Promise<{ events: ChangeEvent[]; last: EncodedKey | null; version: number; at?: Position }> {
    const e = this.#entry(table);
    if (!e) throw new FerryError('FERRY_SOURCE_ERROR', `${table} is no longer in the schema history (dropped?)`, { disposition: 'fatal' });
    let codec = this.#codecs.get(table);
    if (!codec || codec.schema.version !== e.version) this.#codecs.set(table, (codec = codecFor(e.def!, e.version)));
    const pk = codec.primaryKey;
    if (pk.length === 0) throw new FerryError('FERRY_UNSUPPORTED', `${table} has no primary key: incremental snapshots need one`, { disposition: 'fatal' });
    const id = { schema: e.def!.schema, table: e.def!.table };
    const params: unknown[] = [];
    const conds = [...(after ? [keyCondition(pk, '>', keyParams(codec, after.map(decodeKeyValue)), params)] : []), ...(condition ? [`(${condition})`] : [])];
    const where = conds.length > 0 ? ` WHERE ${conds.join(' AND ')}` : '';
    const order = pk.map(quoteId).join(', ');
    const sql = `SELECT ${codec.selectList} FROM ${quoteId(id.schema)}.${quoteId(id.table)}${where} ORDER BY ${order} LIMIT ${limit}`;
    const conn = await this.#connection();
    let rows: RowDataPacket[];
    let at: Position | undefined;
    if (this.#o.isMariaDb) {
      await conn.query('START TRANSACTION WITH CONSISTENT SNAPSHOT, READ ONLY');
      try {
        at = await snapshotPosition(conn);
        [rows] = await conn.query<RowDataPacket[]>({ sql, values: params });
      } finally {
        await conn.query('COMMIT');
      }
    } else {
      [rows] = await conn.query<RowDataPacket[]>({ sql, values: params });
    }
    const now = Date.now();
    const events = rows.map((row): ChangeEvent => {
      const a = codec.convert(row as Row);
      return {
        op: 'r', key: codec.keyOf(a), before: null, after: a, tsMs: now, table: codec.schema,
        source: { connector: this.#o.connector, name: this.#o.topicPrefix, tsMs: now, snapshot: 'incremental', db: id.schema, table: id.table, position: '' as Position },
      };
    });
    const lastRow = rows[rows.length - 1];
    const last = rows.length === limit && lastRow ? pk.map((c) => encodeKeyValue(lastRow[c])) : null;
    return { events, last, version: e.version, ...(at !== undefined ? { at } : {}) };
  }

  /** Closes the connection for good: a chunk read still under way fails instead of opening another. */
  close(): void {
    this.#closed = true;
    this.reset();
  }

  reset(): void {
    this.#conn?.destroy();
    this.#conn = null;
    this.#unregister?.();
    this.#unregister = null;
  }
}

/** MariaDB, inside a consistent-snapshot transaction: the binlog position of its snapshot, with the GTID state there. */
async function snapshotPosition(conn: Connection): Promise<Position | undefined> {
  const [rows] = await conn.query<RowDataPacket[]>("SHOW STATUS LIKE 'binlog_snapshot_%'");
  const v = new Map(rows.map((r) => [String(r.Variable_name).toLowerCase(), String(r.Value)]));
  const file = v.get('binlog_snapshot_file') ?? '';
  if (file === '') return undefined;
  const pos = Number(v.get('binlog_snapshot_position') ?? 0);
  return withGtid({ file, pos }, await mariaDbGtidAt(conn, file, pos));
}
