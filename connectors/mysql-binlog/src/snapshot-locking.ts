/**
 * settings.snapshotLocking: how the initial snapshot of a MySQL/MariaDB table set is tied to the binlog
 * (docs/sources/mysql.md "Snapshot locking"; Debezium's snapshot.locking.mode).
 *
 *   global  FLUSH TABLES WITH READ LOCK while the snapshot transactions start and the position is read (RELOAD)
 *   tables  LOCK TABLES … READ of the selected tables only, for as long (LOCK TABLES)
 *   none    lock-free: the binlog streams from the position read at start while the tables are read in key chunks
 *           between watermarks (incremental-snapshot.ts, the initial job of the IncrementalSnapshotter)
 *   auto    global when the user has RELOAD and the lock is granted within AUTO_LOCK_WAIT_S (MariaDB: a snapshot
 *           transaction, which needs no lock there), otherwise none
 *
 * A full load (no change capture) needs no binlog position: auto and none read it in snapshot transactions without
 * any lock. Tables without a primary key cannot be chunked: `none` refuses them; `auto` reads them (with all the
 * others) in snapshot transactions on MariaDB, which tells each transaction's exact position without a lock, and
 * refuses them on MySQL, naming the fixes.
 */
import type { Connection } from 'mysql2/promise';
import { errorMessage, FerryError } from '../../../core/src/errors.ts';
import type { Logger } from '../../../core/src/types.ts';
import { readGrants, type Grant } from './catalog-privileges.ts';

export type SnapshotLocking = 'auto' | 'global' | 'tables' | 'none';

/** Seconds `auto` waits for the global read lock before it gives up and reads lock-free instead. */
export const AUTO_LOCK_WAIT_S = 10;

/** What the snapshot does: snapshot transactions under a lock (or none), or the lock-free chunked load. */
export type SnapshotPlan =
  | { readonly kind: 'transactions'; readonly lock: 'global' | 'tables' | 'none'; readonly fallback?: string | undefined }
  | { readonly kind: 'lock-free'; readonly reason: string };

const ALTERNATIVES = 'set settings.snapshotLocking: tables (LOCK TABLES … READ on the selected tables only, for milliseconds; needs GRANT LOCK TABLES) or none (lock-free: key chunks between binlog watermarks, no lock at all; every table needs a primary key)';

/** The FerryError of a refused FLUSH TABLES WITH READ LOCK. */
export function globalLockRefused(e: unknown): FerryError {
  return new FerryError('FERRY_SOURCE_PRIVILEGES',
    `FLUSH TABLES WITH READ LOCK failed (${errorMessage(e)}): settings.snapshotLocking global needs the RELOAD privilege, and managed servers (RDS, Aurora, Cloud SQL, Azure) refuse the lock even with it. GRANT RELOAD ON *.* TO the Ferry user, or ${ALTERNATIVES}`, { cause: e });
}

/** The FerryError of a refused LOCK TABLES … READ. */
export function tableLockRefused(e: unknown): FerryError {
  return new FerryError('FERRY_SOURCE_PRIVILEGES',
    `LOCK TABLES … READ of the selected tables failed (${errorMessage(e)}): settings.snapshotLocking tables needs the LOCK TABLES privilege (and SELECT) on them. GRANT LOCK TABLES ON <db>.* TO the Ferry user, or set settings.snapshotLocking: none (lock-free)`, { cause: e });
}

/** Whether the user's grants (catalog-privileges.ts readGrants: the active role's included) hold RELOAD on *.*. */
export function grantsIncludeReload(grants: readonly Grant[]): boolean {
  return grants.some((g) => g.schema === null && !g.routine && g.privileges.some((p) => p === 'RELOAD' || p === 'ALL' || p === 'ALL PRIVILEGES'));
}

function keylessRefusal(keyless: readonly string[], why: string): FerryError {
  const list = keyless.join(', ');
  return new FerryError('FERRY_SOURCE_PREREQUISITE',
    `${why}, but ${list} ha${keyless.length > 1 ? 've' : 's'} no primary key: the lock-free snapshot reads tables in primary-key chunks. Add a primary key to ${keyless.length > 1 ? 'them' : 'it'}, exclude ${keyless.length > 1 ? 'them' : 'it'} in the table mapping, or set settings.snapshotLocking: tables (GRANT LOCK TABLES) or global (GRANT RELOAD)`);
}

export interface PlanOptions {
  readonly setting: SnapshotLocking;
  readonly isMariaDb: boolean;
  /** Change capture follows the snapshot (full-load-and-cdc). */
  readonly cdc: boolean;
  /** '<db>.<table>' of the selected tables without a primary key. */
  readonly keyless: readonly string[];
  readonly control: Connection;
  readonly log: Logger;
}

/**
 * The snapshot plan for the setting. `auto` on MySQL answers `transactions` under the global lock with a `fallback`:
 * the caller tries the lock (bounded by AUTO_LOCK_WAIT_S) and, when it is refused, calls lockFreeAfterRefusal.
 */
export async function planSnapshot(o: PlanOptions): Promise<SnapshotPlan> {
  if (!o.cdc) {
    // A full load streams nothing after it, so it needs no binlog position, and no lock for one.
    return { kind: 'transactions', lock: o.setting === 'global' || o.setting === 'tables' ? o.setting : 'none' };
  }
  switch (o.setting) {
    case 'global': return { kind: 'transactions', lock: 'global' };
    case 'tables': return { kind: 'transactions', lock: 'tables' };
    case 'none':
      if (o.keyless.length > 0) throw keylessRefusal(o.keyless, 'settings.snapshotLocking is none');
      return { kind: 'lock-free', reason: 'settings.snapshotLocking is none' };
    case 'auto': {
      const { user, grants } = await readGrants(o.control, o.isMariaDb);
      const reload = grantsIncludeReload(grants);
      if (reload && o.isMariaDb) return { kind: 'transactions', lock: 'none' }; // MariaDB tells each transaction's exact position
      if (reload) return { kind: 'transactions', lock: 'global', fallback: 'auto' };
      return lockFree(o, `the user ${user || '?'} has no RELOAD privilege (as on RDS, Aurora, Cloud SQL and Azure)`);
    }
  }
}

/** auto on MySQL: the global lock was refused (or not granted in time); the lock-free plan, or the refusal. */
export function lockFreeAfterRefusal(o: PlanOptions, e: unknown): SnapshotPlan {
  const cause = e instanceof FerryError && e.cause !== undefined ? e.cause : e;
  return lockFree(o, `FLUSH TABLES WITH READ LOCK was refused (${errorMessage(cause)})`);
}

function lockFree(o: PlanOptions, why: string): SnapshotPlan {
  if (o.keyless.length === 0) {
    o.log.info({ reason: why }, `snapshotLocking auto: ${why}, so the initial snapshot is lock-free (key chunks between binlog watermarks while the binlog streams; docs/sources/mysql.md "Lock-free snapshots")`);
    return { kind: 'lock-free', reason: why };
  }
  if (o.isMariaDb) {
    o.log.info({ reason: why, keyless: o.keyless }, `snapshotLocking auto: ${why}; ${o.keyless.join(', ')} ha${o.keyless.length > 1 ? 've' : 's'} no primary key to chunk by, so the snapshot is read in snapshot transactions, which need no lock on MariaDB`);
    return { kind: 'transactions', lock: 'none' };
  }
  throw keylessRefusal(o.keyless, `the initial snapshot cannot take the global read lock: ${why}`);
}

