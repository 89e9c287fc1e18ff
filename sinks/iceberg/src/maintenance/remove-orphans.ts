/**
 * Orphan-file removal: deletes files under a table's location that nothing in its metadata references and that are
 * older than a safety age. Referenced: the current metadata file and those in its metadata log, every snapshot's
 * manifest list, manifests, the data and delete files live in it, and statistics files. A Hadoop checksum
 * sidecar (`.name.crc`) goes with its file. The safety age (default 3 days, as Iceberg's) protects what a writer has
 * written but not committed yet: the sink writes its data files and manifests before its commit, seconds earlier.
 */
import { basename, dirname } from 'node:path';
import { FerryError } from '../../../../core/src/errors.ts';
import type { IcebergCatalog, TableIdentifier } from '../catalog/catalog.ts';
import { referencedFiles } from './manifest-refs.ts';
import { normaliseLocation, type TableFiles } from './table-files.ts';

export interface OrphanOptions {
  files: TableFiles;
  /** Only files last modified before this time (ms since the epoch) are removed; default 3 days ago. */
  olderThanMs?: number;
  dryRun?: boolean;
  signal?: AbortSignal;
}

export interface OrphanResult {
  /** Files deleted (or, in a dry run, that would be). */
  orphans: string[];
  /** Unreferenced files left because they are newer than the safety age. */
  tooRecent: string[];
  referencedCount: number;
}

export async function removeOrphanFiles(catalog: IcebergCatalog, id: TableIdentifier, o: OrphanOptions): Promise<OrphanResult> {
  const olderThanMs = o.olderThanMs ?? Date.now() - 3 * 24 * 3600_000;
  const t = await catalog.loadTable(id, o.signal ? { signal: o.signal } : {});
  if (!t) throw new FerryError('FERRY_CONFIG_INVALID', `Iceberg table ${[...id.namespace, id.name].join('.')} does not exist in the catalog; check the namespace and name`);
  const m = t.metadata;
  const live = await referencedFiles(o.files, m.snapshots ?? []);
  live.add(normaliseLocation(t.metadataLocation));
  for (const e of m['metadata-log'] ?? []) live.add(normaliseLocation(e['metadata-file']));
  for (const s of (m.statistics ?? []) as { 'statistics-path'?: string }[]) if (s['statistics-path']) live.add(normaliseLocation(s['statistics-path']));
  const listed = await o.files.list(m.location);
  const orphans: string[] = [];
  const tooRecent: string[] = [];
  for (const f of listed) {
    if (live.has(f.location)) continue;
    const crcOf = /^\.(.+)\.crc$/.exec(basename(f.location));
    if (crcOf && live.has(`${dirname(f.location)}/${crcOf[1]}`)) continue;
    (f.lastModifiedMs < olderThanMs ? orphans : tooRecent).push(f.location);
  }
  if (!o.dryRun) await o.files.delete(orphans);
  return { orphans, tooRecent, referencedCount: live.size };
}
