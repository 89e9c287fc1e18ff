/**
 * Snapshot expiry: removes old snapshots from a table's metadata, then deletes the files only they referenced.
 *
 * Kept, whatever their age: the snapshot every branch and tag points at (the current one among them), the
 * `retainLast` newest snapshots of main's history, the newest snapshot of main's history that carries Ferry's
 * source positions (`ferry.positions` in the summary: the sink reads them to recognise redelivered batches, so they
 * must survive a compaction by another engine followed by an expiry), and every snapshot newer than `olderThanMs`.
 *
 * Order: the metadata swap first (a `remove-snapshots` commit, retried on a fresh load after a CommitConflictError,
 * so it is safe while the sink keeps committing), then the files. A file is deleted only when no snapshot of the
 * committed metadata references it (as a manifest list, a manifest, or a live entry of one), so a concurrent commit,
 * which builds on a kept snapshot, never loses a file. A crash between the swap and the deletes leaves unreferenced files, which
 * orphan-file removal finds.
 */
import { CommitConflictError, type IcebergCatalog, type LoadedTable, type TableIdentifier } from '../catalog/catalog.ts';
import { FerryError } from '../../../../core/src/errors.ts';
import type { Snapshot, TableMetadataV2 } from '../metadata/table-metadata.ts';
import { referencedFiles } from './manifest-refs.ts';
import type { TableFiles } from './table-files.ts';

export const POSITIONS_SUMMARY_KEY = 'ferry.positions';

export interface ExpireOptions {
  files: TableFiles;
  /** Snapshots older than this time (ms since the epoch) may be expired; default 5 days ago (Iceberg's default age). */
  olderThanMs?: number;
  /** Always keep this many of main's newest snapshots; default 1 (Iceberg's default). */
  retainLast?: number;
  /** Say what would be expired and deleted; change nothing. */
  dryRun?: boolean;
  /** Commit attempts against concurrent writers; default 10. */
  maxAttempts?: number;
  signal?: AbortSignal;
}

export interface ExpireResult {
  expiredSnapshotIds: number[];
  keptSnapshotIds: number[];
  /** Files deleted (or, in a dry run, that would be). */
  deletedFiles: string[];
  commitAttempts: number;
}

/** main's history, newest first: the current snapshot and its ancestors. */
export function mainHistory(m: TableMetadataV2): Snapshot[] {
  const byId = new Map((m.snapshots ?? []).map((s) => [s['snapshot-id'], s]));
  const out: Snapshot[] = [];
  let id = m.refs?.['main']?.['snapshot-id'] ?? m['current-snapshot-id'] ?? undefined;
  while (id != null && id >= 0) {
    const s = byId.get(id);
    if (!s) break;
    out.push(s);
    id = s['parent-snapshot-id'];
  }
  return out;
}

/** The snapshot ids to expire under the options (see the file comment). */
export function snapshotsToExpire(m: TableMetadataV2, olderThanMs: number, retainLast: number): number[] {
  const keep = new Set<number>();
  for (const r of Object.values(m.refs ?? {})) keep.add(r['snapshot-id']);
  if (m['current-snapshot-id'] != null && m['current-snapshot-id'] >= 0) keep.add(m['current-snapshot-id']);
  const history = mainHistory(m);
  for (const s of history.slice(0, Math.max(1, retainLast))) keep.add(s['snapshot-id']);
  const withPositions = history.find((s) => s.summary[POSITIONS_SUMMARY_KEY] !== undefined);
  if (withPositions) keep.add(withPositions['snapshot-id']);
  return (m.snapshots ?? []).filter((s) => !keep.has(s['snapshot-id']) && s['timestamp-ms'] < olderThanMs).map((s) => s['snapshot-id']);
}

/** `m` with the snapshots removed, as a catalog that writes metadata files needs it. */
export function withoutSnapshots(m: TableMetadataV2, ids: readonly number[]): TableMetadataV2 {
  const gone = new Set(ids);
  return {
    ...m,
    'last-updated-ms': Date.now(),
    snapshots: (m.snapshots ?? []).filter((s) => !gone.has(s['snapshot-id'])),
    'snapshot-log': (m['snapshot-log'] ?? []).filter((e) => !gone.has(e['snapshot-id'])),
  };
}

export async function expireSnapshots(catalog: IcebergCatalog, id: TableIdentifier, o: ExpireOptions): Promise<ExpireResult> {
  const olderThanMs = o.olderThanMs ?? Date.now() - 5 * 24 * 3600_000;
  const retainLast = o.retainLast ?? 1;
  const maxAttempts = o.maxAttempts ?? 10;
  const sig = o.signal ? { signal: o.signal } : {};
  for (let attempt = 1; ; attempt++) {
    const base = await load(catalog, id, sig);
    const expired = snapshotsToExpire(base.metadata, olderThanMs, retainLast);
    const expiredSnaps = (base.metadata.snapshots ?? []).filter((s) => expired.includes(s['snapshot-id']));
    if (expired.length === 0) {
      return { expiredSnapshotIds: [], keptSnapshotIds: (base.metadata.snapshots ?? []).map((s) => s['snapshot-id']), deletedFiles: [], commitAttempts: 0 };
    }
    let after: LoadedTable;
    if (o.dryRun) {
      after = { ...base, metadata: withoutSnapshots(base.metadata, expired) };
    } else {
      try {
        after = await catalog.commitTable({
          identifier: id, base, metadata: withoutSnapshots(base.metadata, expired),
          requirements: [{ type: 'assert-table-uuid', uuid: base.metadata['table-uuid'] }],
          updates: [{ action: 'remove-snapshots', 'snapshot-ids': expired }],
        }, sig);
      } catch (e) {
        if (e instanceof CommitConflictError && attempt < maxAttempts) continue;
        throw e;
      }
    }
    // Only now, with the swap done, decide what to delete: what expired snapshots referenced and no kept one does.
    const cache = new Map<string, string[]>();
    const kept = await referencedFiles(o.files, after.metadata.snapshots ?? [], cache);
    const candidates = await referencedFiles(o.files, expiredSnaps, cache);
    const deletedFiles = [...candidates].filter((f) => !kept.has(f)).sort();
    if (!o.dryRun) await o.files.delete(deletedFiles);
    return {
      expiredSnapshotIds: expired, keptSnapshotIds: (after.metadata.snapshots ?? []).map((s) => s['snapshot-id']),
      deletedFiles, commitAttempts: o.dryRun ? 0 : attempt,
    };
  }
}

async function load(catalog: IcebergCatalog, id: TableIdentifier, sig: { signal?: AbortSignal }): Promise<LoadedTable> {
  const t = await catalog.loadTable(id, sig);
  if (!t) throw new FerryError('FERRY_CONFIG_INVALID', `Iceberg table ${[...id.namespace, id.name].join('.')} does not exist in the catalog; check the namespace and name`);
  return t;
}
