/**
 * A table history for maintenance tests, made without Ferry's writer: data files (their bytes do not matter),
 * spec-shaped manifests and manifest lists written with avsc, and snapshots committed through a catalog. `state`
 * names the catalog, table and location the functions work on (a test switches tables by assigning it).
 */
import { randomUUID } from 'node:crypto';
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import avro from 'avsc';
import type { IcebergCatalog, LoadedTable, TableIdentifier } from '../../src/catalog/catalog.ts';
import type { Snapshot } from '../../src/metadata/table-metadata.ts';
import { normaliseLocation } from '../../src/maintenance/table-files.ts';

export const state = { cat: undefined as unknown as IcebergCatalog, id: { namespace: [], name: '' } as TableIdentifier, location: '' };

const entryType = avro.Type.forSchema({
  type: 'record', name: 'manifest_entry', fields: [
    { name: 'status', type: 'int', 'field-id': 0 },
    { name: 'snapshot_id', type: ['null', 'long'], default: null, 'field-id': 1 },
    { name: 'sequence_number', type: ['null', 'long'], default: null, 'field-id': 3 },
    { name: 'file_sequence_number', type: ['null', 'long'], default: null, 'field-id': 4 },
    { name: 'data_file', 'field-id': 2, type: { type: 'record', name: 'r2', fields: [
      { name: 'content', type: 'int', 'field-id': 134 }, { name: 'file_path', type: 'string', 'field-id': 100 },
      { name: 'file_format', type: 'string', 'field-id': 101 },
      { name: 'partition', type: { type: 'record', name: 'r102', fields: [] }, 'field-id': 102 },
      { name: 'record_count', type: 'long', 'field-id': 103 }, { name: 'file_size_in_bytes', type: 'long', 'field-id': 104 },
    ] } },
  ],
} as never);
const listType = avro.Type.forSchema({
  type: 'record', name: 'manifest_file', fields: [
    { name: 'manifest_path', type: 'string', 'field-id': 500 }, { name: 'manifest_length', type: 'long', 'field-id': 501 },
    { name: 'partition_spec_id', type: 'int', 'field-id': 502 }, { name: 'content', type: 'int', 'field-id': 517 },
    { name: 'sequence_number', type: 'long', 'field-id': 515 }, { name: 'min_sequence_number', type: 'long', 'field-id': 516 },
    { name: 'added_snapshot_id', type: 'long', 'field-id': 503 }, { name: 'added_files_count', type: 'int', 'field-id': 504 },
    { name: 'existing_files_count', type: 'int', 'field-id': 505 }, { name: 'deleted_files_count', type: 'int', 'field-id': 506 },
    { name: 'added_rows_count', type: 'long', 'field-id': 512 }, { name: 'existing_rows_count', type: 'long', 'field-id': 513 },
    { name: 'deleted_rows_count', type: 'long', 'field-id': 514 },
  ],
} as never);

export async function writeAvro(path: string, type: avro.Type, records: unknown[]): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  await new Promise<void>((resolve, reject) => {
    const enc = avro.createFileEncoder(path, type, { writeHeader: 'always', codec: 'deflate' } as never);
    enc.on('error', reject);
    (enc as unknown as { on(e: string, f: () => void): void }).on('finish', () => setTimeout(resolve, 30));
    for (const r of records) enc.write(r);
    enc.end();
  });
}

export const local = (l: string) => normaliseLocation(l);
/** A data file (its bytes do not matter to maintenance). */
export async function dataFile(name: string): Promise<string> {
  const p = `${local(state.location)}/data/${name}.parquet`;
  await mkdir(dirname(p), { recursive: true });
  await writeFile(p, `PAR1 ${name}`);
  return p;
}
/** A manifest with entries [status, file] (1 ADDED, 2 DELETED). */
export async function manifest(name: string, snapshotId: number, seq: number, entries: [number, string][]): Promise<string> {
  const p = `${local(state.location)}/metadata/${name}-${randomUUID()}-m0.avro`;
  await writeAvro(p, entryType, entries.map(([status, path]) => ({
    status, snapshot_id: snapshotId, sequence_number: seq, file_sequence_number: seq,
    data_file: { content: 0, file_path: path, file_format: 'PARQUET', partition: {}, record_count: 1, file_size_in_bytes: 10 },
  })));
  return p;
}

export const ids = { next: 5_000 + Math.floor(Math.random() * 1e9) };
/** Commits a snapshot whose manifest list holds `manifests`. */
export async function snapshot(t: LoadedTable, operation: Snapshot['summary']['operation'], manifests: string[], positions?: string): Promise<{ t: LoadedTable; s: Snapshot }> {
  const sid = ids.next++;
  const seq = t.metadata['last-sequence-number'] + 1;
  const list = `${local(state.location)}/metadata/snap-${sid}-1-${randomUUID()}.avro`;
  await writeAvro(list, listType, manifests.map((m) => ({
    manifest_path: m, manifest_length: 100, partition_spec_id: 0, content: 0, sequence_number: seq, min_sequence_number: seq,
    added_snapshot_id: sid, added_files_count: 1, existing_files_count: 0, deleted_files_count: 0, added_rows_count: 1, existing_rows_count: 0, deleted_rows_count: 0,
  })));
  const parent = t.metadata['current-snapshot-id'];
  const s: Snapshot = {
    'snapshot-id': sid, 'sequence-number': seq, 'timestamp-ms': Date.now(), 'manifest-list': list, 'schema-id': 0,
    summary: { operation, ...(positions ? { 'ferry.positions': positions } : {}) },
    ...(parent != null && parent >= 0 ? { 'parent-snapshot-id': parent } : {}),
  };
  const next = await state.cat.commitTable({
    identifier: state.id, base: t, metadata: t.metadata,
    requirements: [{ type: 'assert-ref-snapshot-id', ref: 'main', 'snapshot-id': parent != null && parent >= 0 ? parent : null }],
    updates: [{ action: 'add-snapshot', snapshot: s }, { action: 'set-snapshot-ref', 'ref-name': 'main', type: 'branch', 'snapshot-id': sid }],
  });
  return { t: next, s };
}

export async function filesOnDisk(): Promise<string[]> {
  const out: string[] = [];
  for (const sub of ['data', 'metadata']) {
    const dir = `${local(state.location)}/${sub}`;
    for (const f of await readdir(dir).catch(() => [] as string[])) if (!f.endsWith('.crc')) out.push(join(dir, f));
  }
  return out.sort();
}
/** Snapshot ids in the metadata file the Java catalog wrote last. */
export async function javaSnapshotIds(): Promise<number[]> {
  const t = await state.cat.loadTable(state.id);
  const m = JSON.parse(await readFile(local(t!.metadataLocation), 'utf8')) as { snapshots: Snapshot[] };
  return m.snapshots.map((s) => s['snapshot-id']);
}
