/**
 * One maintenance pass over tables of an Iceberg catalog: snapshot expiry, then orphan-file removal (in that order,
 * so that the files expiry leaves after a crash are found by the orphan scan). What `ferry lake maintain` runs.
 */
import type { IcebergCatalog, TableIdentifier } from '../catalog/catalog.ts';
import { expireSnapshots, type ExpireResult } from './expire-snapshots.ts';
import { removeOrphanFiles, type OrphanResult } from './remove-orphans.ts';
import type { TableFiles } from './table-files.ts';

export interface MaintainOptions {
  catalog: IcebergCatalog;
  files: TableFiles;
  tables: readonly TableIdentifier[];
  /** Expire snapshots older than this time (ms since the epoch), keeping `retainLast`. */
  expire?: { olderThanMs: number; retainLast: number };
  /** Remove unreferenced files last modified before this time. */
  orphans?: { olderThanMs: number };
  dryRun?: boolean;
  signal?: AbortSignal;
}

export interface TableMaintenance {
  table: string;
  expire?: ExpireResult;
  orphans?: OrphanResult;
}

export async function maintainTables(o: MaintainOptions): Promise<TableMaintenance[]> {
  const out: TableMaintenance[] = [];
  const sig = o.signal ? { signal: o.signal } : {};
  for (const id of o.tables) {
    const r: TableMaintenance = { table: [...id.namespace, id.name].join('.') };
    if (o.expire) r.expire = await expireSnapshots(o.catalog, id, { files: o.files, ...o.expire, dryRun: o.dryRun === true, ...sig });
    if (o.orphans) r.orphans = await removeOrphanFiles(o.catalog, id, { files: o.files, ...o.orphans, dryRun: o.dryRun === true, ...sig });
    out.push(r);
  }
  return out;
}
