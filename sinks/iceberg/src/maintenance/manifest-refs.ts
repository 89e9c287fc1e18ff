/**
 * What a snapshot references, read from its manifest list and manifests (Avro container files, codecs null and
 * deflate, decoded with the writer's schema by avsc): the manifest list, the manifests, and the data and delete files
 * of their live entries (ADDED or EXISTING). A DELETED entry records that its snapshot removed the file: the file is
 * referenced only by the snapshots where it is still live.
 */
import { Readable } from 'node:stream';
import avro from 'avsc';
import type { Snapshot } from '../metadata/table-metadata.ts';
import { normaliseLocation, type TableFiles } from './table-files.ts';

/** The records of an Avro container file. */
export async function readAvroRecords(buf: Buffer): Promise<Record<string, unknown>[]> {
  const out: Record<string, unknown>[] = [];
  const decoder = Readable.from([buf]).pipe(new avro.streams.BlockDecoder());
  for await (const r of decoder) out.push(r as Record<string, unknown>);
  return out;
}

export interface ManifestRef { location: string; content: number }

export async function readManifestList(files: TableFiles, location: string): Promise<ManifestRef[]> {
  return (await readAvroRecords(await files.read(location))).map((r) => ({
    location: normaliseLocation(String(r['manifest_path'])), content: Number(r['content'] ?? 0),
  }));
}

export interface EntryRef { status: number; location: string; content: number; recordCount: number }

export async function readManifestEntries(files: TableFiles, location: string): Promise<EntryRef[]> {
  return (await readAvroRecords(await files.read(location))).map((r) => {
    const f = r['data_file'] as Record<string, unknown>;
    return { status: Number(r['status']), location: normaliseLocation(String(f['file_path'])), content: Number(f['content'] ?? 0), recordCount: Number(f['record_count'] ?? 0) };
  });
}

/** Every file the snapshots reference: manifest lists, manifests, data and delete files (normalised locations).
 *  Manifests shared by several snapshots are read once. */
export async function referencedFiles(files: TableFiles, snapshots: readonly Snapshot[], cache = new Map<string, string[]>()): Promise<Set<string>> {
  const out = new Set<string>();
  for (const s of snapshots) {
    const list = normaliseLocation(s['manifest-list']);
    out.add(list);
    for (const m of await readManifestList(files, list)) {
      out.add(m.location);
      let entries = cache.get(m.location);
      if (!entries) cache.set(m.location, (entries = (await readManifestEntries(files, m.location)).filter((e) => e.status !== 2).map((e) => e.location)));
      for (const e of entries) out.add(e);
    }
  }
  return out;
}
