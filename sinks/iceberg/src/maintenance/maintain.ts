/**
 * One maintenance pass over tables of an Iceberg catalog: compaction, then snapshot expiry, then orphan-file removal
 * (in that order: expiry can then remove what compaction replaced, and the orphan scan finds what an interrupted
 * expiry left). What `ferry lake maintain` runs.
 */
import type { IcebergCatalog, TableIdentifier } from '../catalog/catalog.ts';
import { compactTable, type CompactOptions, type CompactResult } from './compact.ts';
import { expireSnapshots, type ExpireResult } from './expire-snapshots.ts';
import { removeOrphanFiles, type OrphanResult } from './remove-orphans.ts';
import type { TableFiles } from './table-files.ts';

export interface MaintainOptions {
  catalog: IcebergCatalog;
  files: TableFiles;
  tables: readonly TableIdentifier[];
  /** Rewrite small data files and their delete files (the file IO and DuckDB of the target's sink). */
  compact?: Pick<CompactOptions, 'io' | 'duck' | 'minInputFiles' | 'compression'>;
  /** Expire snapshots older than this time (ms since the epoch), keeping `retainLast`. */
  expire?: { olderThanMs: number; retainLast: number };
  /** Remove unreferenced files last modified before this time. */
  orphans?: { olderThanMs: number };
  dryRun?: boolean;
  signal?: AbortSignal;
}

export interface TableMaintenance {
  table: string;
  compact?: CompactResult;
  expire?: ExpireResult;
  orphans?: OrphanResult;
}

export async function maintainTables(o: MaintainOptions): Promise<TableMaintenance[]> {
  const out: TableMaintenance[] = [];
  const sig = o.signal ? { signal: o.signal } : {};
  for (const id of o.tables) {
    const r: TableMaintenance = { table: [...id.namespace, id.name].join('.') };
    if (o.compact) r.compact = await compactTable(o.catalog, id, { ...o.compact, dryRun: o.dryRun === true, ...sig });
    if (o.expire) r.expire = await expireSnapshots(o.catalog, id, { files: o.files, ...o.expire, dryRun: o.dryRun === true, ...sig });
    if (o.orphans) r.orphans = await removeOrphanFiles(o.catalog, id, { files: o.files, ...o.orphans, dryRun: o.dryRun === true, ...sig });
    out.push(r);
  }
  return out;
}
