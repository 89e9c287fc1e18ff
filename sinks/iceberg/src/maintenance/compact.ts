/**
 * Compaction: rewrites the small data files of a partition, with the delete files that apply to them, into one data
 * file per partition, and commits that as a `replace` snapshot. Safe while the sink keeps committing:
 *
 * - The rewritten rows are read at the starting snapshot S0 (data sequence number seq0): a row is dropped when a
 *   position delete with a sequence number >= its file's, or an equality delete with a greater one, matches it.
 * - The new file's data sequence number is seq0 (written explicitly in its manifest entry), so an equality delete
 *   committed after S0 (sequence > seq0) still applies to it, and one committed before does not apply again.
 * - A position delete names a file: one committed after S0 against a rewritten file would be lost. Before every commit
 *   attempt the delete files added since S0 are read; if one names a rewritten file, the rewrite starts over from
 *   the new state (Iceberg's own validation), up to `maxAttempts`.
 * - Delete files are removed only when nothing left can need them: a position delete file whose every target was
 *   rewritten; an equality delete file when no remaining data file has a smaller sequence number.
 * - The commit requires main to be where it was built (`assert-ref-snapshot-id`); after a CommitConflictError the
 *   manifests are rebuilt on the new current snapshot and the commit sent again. The summary keeps the current
 *   snapshot's `ferry.positions`, so the sink's exactly-once check reads the same positions after a compaction.
 *   The sink's own next commit then fails its requirement, and it retries on the compacted table (rebuilding its
 *   key index).
 * Rewritten files stay on storage until snapshot expiry removes them.
 */
import { randomUUID } from 'node:crypto';
import { stat, writeFile } from 'node:fs/promises';
import { CommitConflictError, type IcebergCatalog, type LoadedTable, type TableIdentifier } from '../catalog/catalog.ts';
import { FerryError } from '../../../../core/src/errors.ts';
import type { FileIO } from '../io.ts';
import { readManifest, readManifestList, writeManifest, writeManifestList, type DataFile, type ManifestEntry, type ManifestFile } from '../metadata/manifests.ts';
import type { IcebergSchema, PartitionSpec, PrimitiveType, Snapshot } from '../metadata/table-metadata.ts';
import { duckTypeOf } from '../schema-mapping.ts';
import { ident, literal, type Duck } from '../writer/duck.ts';
import { POSITIONS_SUMMARY_KEY } from './expire-snapshots.ts';

export interface CompactOptions {
  io: FileIO;
  duck: Duck;
  /** Rewrite a partition when it has at least this many data files (or any delete file applies to it); default 2. */
  minInputFiles?: number;
  compression?: 'zstd' | 'snappy' | 'gzip' | 'uncompressed';
  dryRun?: boolean;
  /** Rewrites started over (a concurrent position delete on a rewritten file) or commits sent again; default 10. */
  maxAttempts?: number;
  signal?: AbortSignal;
}

export interface CompactResult {
  rewrittenDataFiles: string[];
  removedDeleteFiles: string[];
  addedDataFiles: string[];
  rowsWritten: number;
  /** The replace snapshot (undefined when nothing needed compaction, or a dry run). */
  snapshotId?: number;
  attempts: number;
}

interface LiveEntry { entry: ManifestEntry; manifest: ManifestFile }

async function liveEntries(io: FileIO, snapshot: Snapshot | undefined): Promise<{ manifests: ManifestFile[]; entries: LiveEntry[] }> {
  if (!snapshot) return { manifests: [], entries: [] };
  const manifests = readManifestList(await io.get(snapshot['manifest-list']));
  const entries: LiveEntry[] = [];
  for (const m of manifests) {
    for (const e of readManifest(await io.get(m.manifestPath), { sequenceNumber: m.sequenceNumber, snapshotId: m.addedSnapshotId })) {
      if (e.status !== 2) entries.push({ entry: e, manifest: m });
    }
  }
  return { manifests, entries };
}

const currentOf = (t: LoadedTable): Snapshot | undefined =>
  (t.metadata.snapshots ?? []).find((s) => s['snapshot-id'] === t.metadata['current-snapshot-id']);
const partitionKey = (specId: number, p: DataFile['partition']) => `${specId}|${JSON.stringify(p, (_k, v: unknown) => (Buffer.isBuffer(v) ? v.toString('hex') : v))}`;

export async function compactTable(catalog: IcebergCatalog, id: TableIdentifier, o: CompactOptions): Promise<CompactResult> {
  const maxAttempts = o.maxAttempts ?? 10;
  const sig = o.signal ? { signal: o.signal } : {};
  for (let attempt = 1; ; attempt++) {
    const t0 = await catalog.loadTable(id, sig);
    if (!t0) throw new FerryError('FERRY_CONFIG_INVALID', `Iceberg table ${[...id.namespace, id.name].join('.')} does not exist in the catalog; check the namespace and name`);
    const s0 = currentOf(t0);
    const none: CompactResult = { rewrittenDataFiles: [], removedDeleteFiles: [], addedDataFiles: [], rowsWritten: 0, attempts: attempt };
    if (!s0) return none;
    const plan = await planRewrite(t0, s0, o);
    if (plan.groups.length === 0 || o.dryRun) {
      return { ...none, rewrittenDataFiles: plan.groups.flatMap((g) => g.data.map((d) => d.entry.dataFile.filePath)), removedDeleteFiles: plan.removedDeletes };
    }
    const added = await writeGroups(plan, o);
    // Commit; after a conflict, rebuild on the new current snapshot unless a new position delete names a rewritten file.
    let base = t0;
    for (let send = 1; ; send++) {
      const verdict = await validate(base, s0, plan, o);
      if (verdict !== 'ok') break; // start over from the new state
      try {
        const snapshot = await commitReplace(catalog, base, s0, plan, added, o);
        return {
          rewrittenDataFiles: plan.rewritten, removedDeleteFiles: plan.removedDeletes, addedDataFiles: added.map((a) => a.filePath),
          rowsWritten: added.reduce((n, a) => n + a.recordCount, 0), snapshotId: snapshot, attempts: attempt,
        };
      } catch (e) {
        if (!(e instanceof CommitConflictError) || send >= maxAttempts) throw e;
        base = (await catalog.loadTable(id, sig)) ?? base;
      }
    }
    await o.io.delete(added.map((a) => a.filePath)).catch(() => {}); // never referenced: safe to remove
    if (attempt >= maxAttempts) {
      throw new FerryError('FERRY_SINK_ERROR', `Iceberg compaction of ${[...id.namespace, id.name].join('.')}: the table kept changing the rewritten files (position deletes on them) in ${maxAttempts} attempts; run it again later`, { disposition: 'retry' });
    }
  }
}

interface Group { specId: number; partition: DataFile['partition']; data: LiveEntry[] }
interface Plan {
  schema: IcebergSchema;
  groups: Group[];
  rewritten: string[];
  positionDeletes: LiveEntry[];
  equalityDeletes: LiveEntry[];
  removedDeletes: string[];
}

async function planRewrite(t: LoadedTable, s0: Snapshot, o: CompactOptions): Promise<Plan> {
  const m = t.metadata;
  const schema = m.schemas.find((s) => s['schema-id'] === m['current-schema-id'])!;
  const { entries } = await liveEntries(o.io, s0);
  const data = entries.filter((e) => e.entry.dataFile.content === 0);
  const positionDeletes = entries.filter((e) => e.entry.dataFile.content === 1);
  const equalityDeletes = entries.filter((e) => e.entry.dataFile.content === 2);
  // which data files each position delete file targets
  const targets = new Map<string, Set<string>>();
  for (const d of positionDeletes) targets.set(d.entry.dataFile.filePath, await positionTargets(o, d.entry.dataFile.filePath));
  const deleted = new Set([...targets.values()].flatMap((s) => [...s]));
  const byPartition = new Map<string, Group>();
  for (const d of data) {
    if (d.manifest.partitionSpecId !== m['default-spec-id']) continue; // files of an older spec are left as they are
    const key = partitionKey(d.manifest.partitionSpecId, d.entry.dataFile.partition);
    let g = byPartition.get(key);
    if (!g) byPartition.set(key, (g = { specId: d.manifest.partitionSpecId, partition: d.entry.dataFile.partition, data: [] }));
    g.data.push(d);
  }
  const eqApplies = (d: LiveEntry) => equalityDeletes.some((e) => (e.entry.sequenceNumber ?? 0) > (d.entry.sequenceNumber ?? 0));
  const minFiles = o.minInputFiles ?? 2;
  const groups = [...byPartition.values()].filter((g) => g.data.length >= minFiles || g.data.some((d) => deleted.has(d.entry.dataFile.filePath) || eqApplies(d)));
  const rewritten = new Set(groups.flatMap((g) => g.data.map((d) => d.entry.dataFile.filePath)));
  const remaining = data.filter((d) => !rewritten.has(d.entry.dataFile.filePath));
  const removedDeletes = [
    ...positionDeletes.filter((d) => [...targets.get(d.entry.dataFile.filePath)!].every((f) => rewritten.has(f) || !data.some((x) => x.entry.dataFile.filePath === f))),
    ...equalityDeletes.filter((d) => groups.length > 0 && !remaining.some((r) => (r.entry.sequenceNumber ?? 0) < (d.entry.sequenceNumber ?? 0))),
  ].map((d) => d.entry.dataFile.filePath);
  return { schema, groups, rewritten: [...rewritten], positionDeletes, equalityDeletes, removedDeletes };
}

async function localCopy(o: CompactOptions, location: string): Promise<string> {
  const p = o.duck.tempPath('parquet');
  await writeFile(p, await o.io.get(location));
  return p;
}

async function positionTargets(o: CompactOptions, location: string): Promise<Set<string>> {
  const p = await localCopy(o, location);
  return new Set((await o.duck.rows(`SELECT DISTINCT file_path FROM read_parquet(${literal(p)})`)).map((r) => String(r.file_path)));
}

/** read_parquet's `schema` parameter: columns by Iceberg field id (renamed or added columns read right). */
function fieldIdSchema(fields: readonly { id: number; name: string; type: PrimitiveType }[]): string {
  return `MAP {${fields.map((f) => `${f.id}: {name: ${literal(f.name)}, type: ${literal(duckTypeOf(f.type))}, default_value: NULL}`).join(', ')}}`;
}

async function writeGroups(plan: Plan, o: CompactOptions): Promise<DataFile[]> {
  const duck = o.duck;
  const fields = plan.schema.fields.map((f) => {
    if (typeof f.type !== 'string') throw new FerryError('FERRY_UNSUPPORTED', `Iceberg compaction: column ${f.name} is nested (${f.type.type}); only tables of primitive columns are compacted`);
    return { id: f.id, name: f.name, type: f.type };
  });
  const cols = fields.map((f) => ident(f.name)).join(', ');
  const tag = duck.uniqueName('cmp');
  // position deletes (file, pos, sequence)
  await duck.run(`CREATE OR REPLACE TABLE ${tag}_pos (file_path VARCHAR, pos BIGINT, dseq BIGINT)`);
  for (const d of plan.positionDeletes) {
    const p = await localCopy(o, d.entry.dataFile.filePath);
    await duck.run(`INSERT INTO ${tag}_pos SELECT file_path, pos, ${d.entry.sequenceNumber ?? 0} FROM read_parquet(${literal(p)})`);
  }
  const out: DataFile[] = [];
  for (const g of plan.groups) {
    await duck.run(`CREATE OR REPLACE TABLE ${tag}_data (${fields.map((f) => `${ident(f.name)} ${duckTypeOf(f.type)}`).join(', ')}, __file VARCHAR, __pos BIGINT, __seq BIGINT)`);
    for (const d of g.data) {
      const p = await localCopy(o, d.entry.dataFile.filePath);
      await duck.run(`INSERT INTO ${tag}_data SELECT ${cols}, ${literal(d.entry.dataFile.filePath)}, file_row_number, ${d.entry.sequenceNumber ?? 0}
        FROM read_parquet(${literal(p)}, schema = ${fieldIdSchema(fields)}, file_row_number = true)`);
    }
    let where = `NOT EXISTS (SELECT 1 FROM ${tag}_pos p WHERE p.file_path = d.__file AND p.pos = d.__pos AND p.dseq >= d.__seq)`;
    for (const e of plan.equalityDeletes) {
      const eqFields = (e.entry.dataFile.equalityIds ?? []).map((fid) => fields.find((f) => f.id === fid)!).filter(Boolean);
      if (eqFields.length === 0) continue;
      const p = await localCopy(o, e.entry.dataFile.filePath);
      const eqCols = eqFields.map((f) => `e.${ident(f.name)} IS NOT DISTINCT FROM d.${ident(f.name)}`).join(' AND ');
      where += ` AND NOT (${e.entry.sequenceNumber ?? 0} > d.__seq AND EXISTS (SELECT 1 FROM read_parquet(${literal(p)}, schema = ${fieldIdSchema(eqFields)}) e WHERE ${eqCols}))`;
    }
    const tmp = duck.tempPath('parquet');
    const ids = `{${fields.map((f) => `${literal(f.name)}: ${f.id}`).join(', ')}}`;
    await duck.run(`COPY (SELECT ${cols} FROM ${tag}_data d WHERE ${where} ORDER BY __seq, __file, __pos) TO ${literal(tmp)} (FORMAT parquet, COMPRESSION ${o.compression ?? 'zstd'}, FIELD_IDS ${ids})`);
    const rows = Number((await duck.rows(`SELECT count(*) AS n FROM read_parquet(${literal(tmp)})`))[0]!.n);
    const folder = g.data[0]!.entry.dataFile.filePath.replace(/\/[^/]*$/, '');
    const path = `${folder}/${randomUUID()}-compacted.parquet`;
    const size = (await stat(tmp)).size;
    await o.io.putFile(path, tmp);
    out.push({ content: 0, filePath: path, fileFormat: 'PARQUET', partition: g.partition, recordCount: rows, fileSizeInBytes: size });
  }
  await duck.run(`DROP TABLE IF EXISTS ${tag}_pos; DROP TABLE IF EXISTS ${tag}_data`);
  return out;
}

/** 'ok' when the plan still holds on `base`: its inputs are live, and no position delete added since S0 names a rewritten file. */
async function validate(base: LoadedTable, s0: Snapshot, plan: Plan, o: CompactOptions): Promise<'ok' | 'restart'> {
  const { entries } = await liveEntries(o.io, currentOf(base));
  const live = new Set(entries.map((e) => e.entry.dataFile.filePath));
  if (![...plan.rewritten, ...plan.removedDeletes].every((f) => live.has(f))) return 'restart';
  const rewritten = new Set(plan.rewritten);
  for (const e of entries) {
    if (e.entry.dataFile.content !== 1 || (e.entry.sequenceNumber ?? 0) <= s0['sequence-number']) continue;
    for (const f of await positionTargets(o, e.entry.dataFile.filePath)) if (rewritten.has(f)) return 'restart';
  }
  return 'ok';
}

async function commitReplace(catalog: IcebergCatalog, base: LoadedTable, s0: Snapshot, plan: Plan, added: DataFile[], o: CompactOptions): Promise<number> {
  const m = base.metadata;
  const current = currentOf(base)!;
  const snapshotId = Math.floor(Math.random() * 2 ** 52) + 1;
  const seq = m['last-sequence-number'] + 1;
  const seq0 = s0['sequence-number'];
  const gone = new Set([...plan.rewritten, ...plan.removedDeletes]);
  const { manifests } = await liveEntries(o.io, current);
  const specOf = (idn: number): PartitionSpec => m['partition-specs'].find((s) => s['spec-id'] === idn)!;
  const schema = plan.schema;
  const list: ManifestFile[] = [];
  const put = async (entries: ManifestEntry[], spec: PartitionSpec, content: 0 | 1): Promise<ManifestFile> => {
    const body = writeManifest(entries, spec, schema, content === 0 ? 'data' : 'deletes');
    const path = `${m.location}/metadata/${randomUUID()}-m0.avro`;
    await o.io.put(path, body);
    const live = entries.filter((e) => e.status !== 2);
    const count = (s: number) => entries.filter((e) => e.status === s);
    const rows = (es: ManifestEntry[]) => es.reduce((n, e) => n + e.dataFile.recordCount, 0);
    return {
      manifestPath: path, manifestLength: body.length, partitionSpecId: spec['spec-id'], content, sequenceNumber: seq,
      minSequenceNumber: Math.min(...live.map((e) => e.sequenceNumber ?? seq), seq), addedSnapshotId: snapshotId,
      addedFilesCount: count(1).length, existingFilesCount: count(0).length, deletedFilesCount: count(2).length,
      addedRowsCount: rows(count(1)), existingRowsCount: rows(count(0)), deletedRowsCount: rows(count(2)),
    };
  };
  for (const mf of manifests) {
    const entries = readManifest(await o.io.get(mf.manifestPath), { sequenceNumber: mf.sequenceNumber, snapshotId: mf.addedSnapshotId }).filter((e) => e.status !== 2);
    if (entries.length === 0) continue; // only DELETED entries left: the manifest no longer belongs to the table
    if (!entries.some((e) => gone.has(e.dataFile.filePath))) { list.push(mf); continue; }
    const rewrittenEntries: ManifestEntry[] = entries.map((e) => (gone.has(e.dataFile.filePath) ? { ...e, status: 2, snapshotId } : { ...e, status: 0 }));
    list.push(await put(rewrittenEntries, specOf(mf.partitionSpecId), mf.content));
  }
  list.push(await put(added.map((d) => ({ status: 1, snapshotId, sequenceNumber: seq0, fileSequenceNumber: seq, dataFile: d })), specOf(m['default-spec-id']), 0));
  const listBody = writeManifestList(list, { snapshotId, parentSnapshotId: current['snapshot-id'], sequenceNumber: seq });
  const listPath = `${m.location}/metadata/snap-${snapshotId}-1-${randomUUID()}.avro`;
  await o.io.put(listPath, listBody);
  const positions = current.summary[POSITIONS_SUMMARY_KEY];
  const snapshot: Snapshot = {
    'snapshot-id': snapshotId, 'parent-snapshot-id': current['snapshot-id'], 'sequence-number': seq, 'timestamp-ms': Date.now(),
    'manifest-list': listPath, 'schema-id': schema['schema-id'],
    summary: {
      operation: 'replace', 'ferry.compaction': 'true',
      'added-data-files': String(added.length), 'deleted-data-files': String(plan.rewritten.length), 'removed-delete-files': String(plan.removedDeletes.length),
      ...(positions !== undefined ? { [POSITIONS_SUMMARY_KEY]: positions } : {}),
    },
  };
  await catalog.commitTable({
    identifier: base.identifier, base, metadata: base.metadata,
    requirements: [{ type: 'assert-table-uuid', uuid: m['table-uuid'] }, { type: 'assert-ref-snapshot-id', ref: 'main', 'snapshot-id': current['snapshot-id'] }],
    updates: [{ action: 'add-snapshot', snapshot }, { action: 'set-snapshot-ref', 'ref-name': 'main', type: 'branch', 'snapshot-id': snapshotId }],
  }, o.signal ? { signal: o.signal } : {});
  return snapshotId;
}
