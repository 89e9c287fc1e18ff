/**
 * Opening the snapshot transactions: `count` connections, each in its own REPEATABLE READ consistent-snapshot
 * transaction, each with the exact binlog position its snapshot corresponds to.
 *
 *  - MariaDB: START TRANSACTION WITH CONSISTENT SNAPSHOT, then SHOW STATUS LIKE 'binlog_snapshot_%' gives the
 *    binlog file/offset of exactly that snapshot (the binlog and InnoDB commit in one order). No lock at all.
 *    The GTID state at that offset comes from BINLOG_GTID_POS().
 *  - MySQL: FLUSH TABLES WITH READ LOCK while every connection starts its transaction and SHOW MASTER STATUS
 *    reads the position (with Executed_Gtid_Set), then UNLOCK TABLES: writes pause for milliseconds, and every
 *    connection gets the same position. (Not testable here: only MariaDB is; see docs/sources/mysql.md.)
 *
 * `lock` (settings.snapshotLocking, resolved by snapshot-locking.ts) says which lock is held meanwhile: `global`
 * (FLUSH TABLES WITH READ LOCK, both engines), `tables` (LOCK TABLES … READ of the selected tables only, on the control
 * connection: the snapshot transactions run on the other connections, since LOCK TABLES and START TRANSACTION end each
 * other on one connection), or `none` (MariaDB, whose positions are exact without a lock; or a full load, which needs
 * no position).
 *
 * The snapshot streams from the earliest of these positions; docs/sources/mysql.md "Snapshot consistency" has
 * the argument for why that loses nothing.
 */
import type { Connection, RowDataPacket } from 'mysql2/promise';
import { FerryError } from '../../../core/src/errors.ts';
import type { Position, TableId } from '../../../core/src/types.ts';
import { openMySql, type MySqlConnectionConfig } from './mysql-connection.ts';
import { quoteId } from './mysql-schema.ts';
import { globalLockRefused, tableLockRefused } from './snapshot-locking.ts';
import { currentBinlogPosition, earliest, mariaDbGtidAt, NO_BINLOG_POSITION, withGtid } from './binlog-position.ts';

export interface SnapshotTransactions {
  readonly connections: readonly Connection[];
  /** Per connection: the binlog position its snapshot corresponds to. */
  readonly positions: readonly Position[];
  /** The earliest of them. */
  readonly position: Position;
  /** Ends every transaction and closes the connections. */
  close(): Promise<void>;
}

/** Session settings of a snapshot reader: long reads must not time out while the pipeline applies backpressure. */
async function prepareSession(conn: Connection, isMariaDb: boolean): Promise<void> {
  await conn.query('SET SESSION TRANSACTION ISOLATION LEVEL REPEATABLE READ');
  const optional = isMariaDb
    ? ['SET SESSION net_write_timeout = 3600', 'SET SESSION net_read_timeout = 3600', 'SET SESSION max_statement_time = 0']
    : ['SET SESSION net_write_timeout = 3600', 'SET SESSION net_read_timeout = 3600', 'SET SESSION max_execution_time = 0'];
  for (const sql of optional) await conn.query(sql).catch(() => undefined);
}

/** Closing the socket ends a read-only transaction at once (the server rolls it back), even mid-query. */
async function closeAll(conns: readonly Connection[]): Promise<void> {
  for (const c of conns) c.destroy();
}

/**
 * Opens `count` snapshot transactions. `needBinlog` false (full load only) tolerates binary logging being off;
 * the position is then NO_BINLOG_POSITION.
 */
/** The lock held while the snapshot transactions start and their position is read (settings.snapshotLocking). */
export type TransactionLock = { readonly kind: 'global'; readonly waitSeconds?: number } | { readonly kind: 'tables'; readonly tables: readonly TableId[] } | { readonly kind: 'none' };

export async function openSnapshotTransactions(
  cfg: MySqlConnectionConfig, count: number, isMariaDb: boolean, needBinlog: boolean, control: Connection, staggerMs = 0,
  lock: TransactionLock = { kind: isMariaDb ? 'none' : 'global' },
): Promise<SnapshotTransactions> {
  const connections: Connection[] = [];
  try {
    for (let i = 0; i < count; i++) {
      const c = await openMySql(cfg, 'snapshot connection');
      connections.push(c);
      await prepareSession(c, isMariaDb);
    }
    const positions = await underLock(control, lock, () => (isMariaDb
      ? mariaDbSnapshots(connections, control, needBinlog, staggerMs)
      : mySqlSnapshots(connections, control, needBinlog)));
    return {
      connections, positions, position: earliest(positions),
      close: () => closeAll(connections),
    };
  } catch (e: unknown) {
    await closeAll(connections);
    throw e;
  }
}

async function mariaDbSnapshots(conns: readonly Connection[], control: Connection, needBinlog: boolean, staggerMs: number): Promise<Position[]> {
  return Promise.all(conns.map(async (c, i) => {
    if (staggerMs > 0) await new Promise((r) => setTimeout(r, i * staggerMs)); // tests: make the positions differ
    await c.query('START TRANSACTION WITH CONSISTENT SNAPSHOT, READ ONLY');
    const [rows] = await c.query<RowDataPacket[]>("SHOW STATUS LIKE 'binlog_snapshot_%'");
    const v = new Map(rows.map((r) => [String(r.Variable_name).toLowerCase(), String(r.Value)]));
    const file = v.get('binlog_snapshot_file') ?? '';
    const pos = Number(v.get('binlog_snapshot_position') ?? 0);
    if (file === '') {
      if (needBinlog) throw new FerryError('FERRY_SOURCE_PREREQUISITE', 'binary logging is off on the source; change capture needs log-bin (see docs/sources/mysql.md "Setup")');
      return NO_BINLOG_POSITION;
    }
    return withGtid({ file, pos }, await mariaDbGtidAt(control, file, pos));
  }));
}

/** Runs `f` while `lock` is held on the control connection. */
async function underLock<T>(control: Connection, lock: TransactionLock, f: () => Promise<T>): Promise<T> {
  if (lock.kind === 'none') return f();
  const sql = lock.kind === 'global'
    ? 'FLUSH TABLES WITH READ LOCK'
    : `LOCK TABLES ${lock.tables.map((t) => `${quoteId(t.schema)}.${quoteId(t.table)} READ`).join(', ')}`;
  const wait = lock.kind === 'global' ? lock.waitSeconds : undefined;
  try {
    if (wait !== undefined) await control.query(`SET SESSION lock_wait_timeout = ${Math.max(1, Math.floor(wait))}`);
    await control.query(sql);
  } catch (e: unknown) {
    throw lock.kind === 'global' ? globalLockRefused(e) : tableLockRefused(e);
  } finally {
    if (wait !== undefined) await control.query('SET SESSION lock_wait_timeout = DEFAULT').catch(() => undefined);
  }
  try {
    return await f();
  } finally {
    await control.query('UNLOCK TABLES').catch(() => undefined);
  }
}

/** MySQL: the one position of every snapshot transaction, started while the lock holds writes. */
async function mySqlSnapshots(conns: readonly Connection[], control: Connection, needBinlog: boolean): Promise<Position[]> {
  await Promise.all(conns.map((c) => c.query('START TRANSACTION WITH CONSISTENT SNAPSHOT, READ ONLY')));
  let position: Position;
  try {
    position = await currentBinlogPosition(control, false);
  } catch (e: unknown) {
    if (needBinlog || !(e instanceof FerryError)) throw e;
    position = NO_BINLOG_POSITION;
  }
  return conns.map(() => position);
}
