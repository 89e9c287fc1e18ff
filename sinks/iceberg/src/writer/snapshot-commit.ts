/**
 * One Iceberg commit: the new data and delete files → manifests, a manifest list (the previous snapshot's manifests
 * plus the new ones, or only the new ones after a truncate), a snapshot whose summary carries the source positions
 * applied, stated as requirements + updates and sent to the catalog. A lost race (CommitConflictError) fails the
 * batch: it is retried from fresh metadata, and the positions drop what the winning commit already holds.
 */
import { randomUUID } from 'node:crypto';
import type { IcebergCatalog, LoadedTable } from '../catalog/catalog.ts';
import type { FileIO } from '../io.ts';
import { applyUpdates } from '../metadata/apply-updates.ts';
import { readManifest, readManifestList, writeManifest, writeManifestList, type DataFile, type ManifestEntry, type ManifestFile } from '../metadata/manifests.ts';
import type { PartitionSpec } from '../metadata/table-metadata.ts';
import type { IcebergSchema, Snapshot, TableRequirement, TableUpdate } from '../metadata/table-metadata.ts';

/** The snapshot-summary property holding Ferry's applied positions (JSON: stream → last record sequence). */
export const POSITIONS_PROPERTY = 'ferry.positions';

export interface CommitInput {
  readonly base: LoadedTable;
  /** The schema the files were written with; `schemaChanged`: add it and make it current. */
  readonly schema: IcebergSchema;
  readonly schemaChanged: boolean;
  readonly lastColumnId: number;
  readonly dataFiles: readonly DataFile[];
  readonly deleteFiles: readonly DataFile[];
  /** Drop every earlier file (a source truncate). */
  readonly truncate: boolean;
  /** The previous snapshot's manifests (`undefined`: read them). */
  readonly manifests: readonly ManifestFile[] | undefined;
  readonly positions: ReadonlyMap<string, string>;
  /** Snapshots kept after this commit; the oldest beyond it are expired from the metadata. */
  readonly maxSnapshots: number;
  /** More manifests of one content than this are merged into one. */
  readonly manifestMergeThreshold: number;
}

export interface CommitOutcome {
  readonly table: LoadedTable;
  readonly manifests: readonly ManifestFile[];
}

/** A positive snapshot id below 2^53 (Avro longs are read as JS numbers). */
function snapshotId(): number {
  return Math.floor(Math.random() * 2 ** 52) + 1;
}

/** The manifests of the table's current snapshot. */
export async function currentManifests(io: FileIO, t: LoadedTable): Promise<ManifestFile[]> {
  const id = t.metadata['current-snapshot-id'];
  if (id === undefined || id === null || id === -1) return [];
  const s = t.metadata.snapshots?.find((x) => x['snapshot-id'] === id);
  if (s === undefined) throw new Error(`table ${t.metadataLocation}: current snapshot ${id} is not in its snapshots`);
  return readManifestList(await io.get(s['manifest-list']));
}

/** The positions the table holds: those of the newest snapshot that carries them. */
export function appliedPositions(t: LoadedTable): Map<string, string> {
  const snaps = [...(t.metadata.snapshots ?? [])].sort((a, b) => b['sequence-number'] - a['sequence-number']);
  for (const s of snaps) {
    const p = s.summary[POSITIONS_PROPERTY];
    if (p !== undefined) return new Map(Object.entries(JSON.parse(p) as Record<string, string>));
  }
  return new Map();
}

export async function commitSnapshot(catalog: IcebergCatalog, io: FileIO, c: CommitInput): Promise<CommitOutcome> {
  const base = c.base;
  const m = base.metadata;
  const location = m.location;
  const schemaUpdates: TableUpdate[] = c.schemaChanged
    ? [{ action: 'add-schema', schema: c.schema, 'last-column-id': c.lastColumnId }, { action: 'set-current-schema', 'schema-id': -1 }]
    : [];
  const schemaId = applyUpdates(m, schemaUpdates)['current-schema-id'];
  const schema = { ...c.schema, 'schema-id': schemaId };
  const spec = m['partition-specs'].find((s) => s['spec-id'] === m['default-spec-id'])!;
  const id = snapshotId();
  const parent = m['current-snapshot-id'] ?? null;
  const seq = m['last-sequence-number'] + 1;
  const previous = c.truncate ? [] : (c.manifests ?? await currentManifests(io, base));
  const added: ManifestFile[] = [];
  const uuid = randomUUID();
  for (const [content, files] of [[0, c.dataFiles], [1, c.deleteFiles]] as const) {
    if (files.length === 0) continue;
    const body = writeManifest(files.map((dataFile) => ({ status: 1, snapshotId: id, sequenceNumber: seq, fileSequenceNumber: seq, dataFile })), spec, schema,
      content === 0 ? 'data' : 'deletes');
    const path = `${location}/metadata/${uuid}-m${content}.avro`;
    await io.put(path, body);
    added.push({
      manifestPath: path, manifestLength: body.length, partitionSpecId: spec['spec-id'], content, sequenceNumber: seq, minSequenceNumber: seq,
      addedSnapshotId: id, addedFilesCount: files.length, existingFilesCount: 0, deletedFilesCount: 0,
      addedRowsCount: files.reduce((a, f) => a + f.recordCount, 0), existingRowsCount: 0, deletedRowsCount: 0,
    });
  }
  const manifests = [...added, ...await mergeManifests(io, previous, c.manifestMergeThreshold, { location, uuid, id, seq, spec, schema })];
  const listPath = `${location}/metadata/snap-${id}-1-${uuid}.avro`;
  await io.put(listPath, writeManifestList(manifests, { snapshotId: id, parentSnapshotId: parent === -1 ? null : parent, sequenceNumber: seq }));
  const count = (files: readonly DataFile[], content: number) => files.filter((f) => f.content === content);
  const rows = (files: readonly DataFile[]) => String(files.reduce((a, f) => a + f.recordCount, 0));
  const summary: Snapshot['summary'] = {
    operation: c.truncate ? 'overwrite' : c.deleteFiles.length > 0 ? 'overwrite' : 'append',
    'added-data-files': String(c.dataFiles.length),
    'added-records': rows(c.dataFiles),
    'added-files-size': String([...c.dataFiles, ...c.deleteFiles].reduce((a, f) => a + f.fileSizeInBytes, 0)),
    'added-delete-files': String(c.deleteFiles.length),
    'added-position-delete-files': String(count(c.deleteFiles, 1).length),
    'added-position-deletes': rows(count(c.deleteFiles, 1)),
    'added-equality-delete-files': String(count(c.deleteFiles, 2).length),
    'added-equality-deletes': rows(count(c.deleteFiles, 2)),
    ...(c.truncate ? { 'ferry.truncated': 'true' } : {}),
    [POSITIONS_PROPERTY]: JSON.stringify(Object.fromEntries([...c.positions].sort(([a], [b]) => (a < b ? -1 : 1)))),
  };
  const snapshot: Snapshot = {
    'snapshot-id': id, ...(parent === null || parent === -1 ? {} : { 'parent-snapshot-id': parent }), 'sequence-number': seq,
    'timestamp-ms': Date.now(), 'manifest-list': listPath, summary, 'schema-id': schemaId,
  };
  // Expiry keeps the metadata file small: the oldest snapshots beyond maxSnapshots leave it (never the parent).
  const old = [...(m.snapshots ?? [])].sort((a, b) => a['sequence-number'] - b['sequence-number']);
  const expire = old.slice(0, Math.max(0, old.length + 1 - c.maxSnapshots)).map((s) => s['snapshot-id']).filter((x) => x !== parent);
  const updates: TableUpdate[] = [
    ...schemaUpdates, { action: 'add-snapshot', snapshot }, { action: 'set-snapshot-ref', 'ref-name': 'main', type: 'branch', 'snapshot-id': id },
    ...(expire.length > 0 ? [{ action: 'remove-snapshots', 'snapshot-ids': expire } as const] : []),
  ];
  const requirements: TableRequirement[] = [
    { type: 'assert-table-uuid', uuid: m['table-uuid'] },
    { type: 'assert-ref-snapshot-id', ref: 'main', 'snapshot-id': parent === -1 ? null : parent },
    ...(c.schemaChanged ? [
      { type: 'assert-current-schema-id', 'current-schema-id': m['current-schema-id'] } as const,
      { type: 'assert-last-assigned-field-id', 'last-assigned-field-id': m['last-column-id'] } as const,
    ] : []),
  ];
  const table = await catalog.commitTable({ identifier: base.identifier, base, requirements, updates, metadata: applyUpdates(m, updates) });
  return { table, manifests };
}

/**
 * Merges the manifests of one content kind into one when there are more than `threshold` of them (Iceberg's "merge
 * append"): their live entries are rewritten with status EXISTING, keeping each file's snapshot id and sequence
 * numbers, so deletes apply exactly as before. Manifests of another partition spec are left as they are.
 */
async function mergeManifests(io: FileIO, previous: readonly ManifestFile[], threshold: number,
  o: { location: string; uuid: string; id: number; seq: number; spec: PartitionSpec; schema: IcebergSchema }): Promise<ManifestFile[]> {
  const out: ManifestFile[] = [];
  for (const content of [0, 1] as const) {
    const group = previous.filter((m) => m.content === content && m.partitionSpecId === o.spec['spec-id']);
    if (group.length <= threshold) continue;
    const entries: ManifestEntry[] = [];
    for (const m of group) {
      for (const e of readManifest(await io.get(m.manifestPath), { sequenceNumber: m.sequenceNumber, snapshotId: m.addedSnapshotId })) {
        if (e.status !== 2) entries.push({ ...e, status: 0 });
      }
    }
    const body = writeManifest(entries, o.spec, o.schema, content === 0 ? 'data' : 'deletes');
    const path = `${o.location}/metadata/${o.uuid}-merged-m${content}.avro`;
    await io.put(path, body);
    out.push({
      manifestPath: path, manifestLength: body.length, partitionSpecId: o.spec['spec-id'], content, sequenceNumber: o.seq,
      minSequenceNumber: entries.reduce((a, e) => Math.min(a, e.sequenceNumber ?? o.seq), o.seq), addedSnapshotId: o.id,
      addedFilesCount: 0, existingFilesCount: entries.length, deletedFilesCount: 0,
      addedRowsCount: 0, existingRowsCount: entries.reduce((a, e) => a + e.dataFile.recordCount, 0), deletedRowsCount: 0,
    });
  }
  const merged = new Set(out.map((m) => m.content));
  return [...out, ...previous.filter((m) => !(merged.has(m.content) && m.partitionSpecId === o.spec['spec-id']))];
}
