/**
 * Keyless tables in a snapshot taken later than the stream start (a resumed snapshot, or an existing slot): the stream
 * drops their changes from before the position the snapshot was taken at (runtime/src/snapshot/resumed-keyless.ts),
 * and that position must be exact for them, or a change committed between reading it and taking the snapshot would
 * be both in the snapshot and replayed: a row twice (a keyed table converges; a keyless one has no key to converge on).
 *
 * So, for the few milliseconds between reading the position and exporting the snapshot, another connection holds a
 * SHARE lock on those tables: it waits for their open writers to commit, then keeps new ones from committing until
 * the snapshot is taken, and is released at once. Readers and every other table are not affected. The lock needs
 * UPDATE, DELETE or TRUNCATE privilege on the tables and is given up after `lockTimeoutMs` (a long writer): then the
 * snapshot goes on without it, with a warning, and such a change can still be applied twice (never lost).
 */
import type pg from 'pg';
import type { Logger } from '../../../core/src/types.ts';
import { errorMessage } from '../../../core/src/errors.ts';
import { readTableDefs, tableKey, type CatalogTable } from './pg-catalog.ts';
import { openSession, quoteIdent, type PgConnectionConfig } from './pg-connection.ts';
import type { SnapshotState } from './snapshot-state.ts';

/** The selected keyless tables a resumed snapshot still reads (those not done in `prev`). */
export async function keylessToRead(client: pg.Client, tables: readonly CatalogTable[], prev: SnapshotState | null): Promise<CatalogTable[]> {
  const defs = await readTableDefs(client, tables.map((t) => t.relid));
  return tables.filter((t) => {
    const d = defs.get(t.relid);
    return d !== undefined && d.primaryKey.length === 0 && prev?.tables[tableKey(t)]?.done !== true;
  });
}

export interface HeldLock {
  release(): Promise<void>;
}

/** SHARE-locks `tables` on a connection of its own; null when there are none or the lock could not be had. */
export async function holdKeylessWriters(cfg: PgConnectionConfig, tables: readonly CatalogTable[], log: Logger, lockTimeoutMs = 5000): Promise<HeldLock | null> {
  if (tables.length === 0) return null;
  const names = tables.map((t) => `${quoteIdent(t.schema)}.${quoteIdent(t.table)}`);
  let c: pg.Client | undefined;
  try {
    c = await openSession(cfg, { applicationName: 'ferry:keyless-lock' });
    await c.query('BEGIN');
    await c.query(`SET LOCAL lock_timeout = ${Math.max(1, Math.round(lockTimeoutMs))}`);
    await c.query(`LOCK TABLE ${names.join(', ')} IN SHARE MODE`);
  } catch (e: unknown) {
    await c?.end().catch(() => undefined);
    log.warn({ tables: tables.map(tableKey), err: errorMessage(e) }, `cannot hold off the writers of the keyless tables ${tables.map(tableKey).join(', ')} while the snapshot is taken (${errorMessage(e)}): a change committed in that moment may be applied twice there. Grant the capture user UPDATE on them to avoid it`);
    return null;
  }
  const held = c;
  return {
    release: async () => {
      await held.query('COMMIT').catch(() => undefined);
      await held.end().catch(() => undefined);
    },
  };
}
