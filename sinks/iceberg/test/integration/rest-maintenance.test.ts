/**
 * Snapshot expiry and orphan-file removal on a table of the real Iceberg REST catalog (infra/iceberg-rest.sh). The
 * table's history is made here with spec-shaped manifests and manifest lists (avsc), the commits go through
 * RestCatalog, and what is left is read back independently: the metadata file the Java catalog wrote, and the files
 * on disk.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { mkdir, readdir, readFile, rm, utimes, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import avro from 'avsc';
import type { LoadedTable } from '../../src/catalog/catalog.ts';
import { RestCatalog } from '../../src/catalog/rest-catalog.ts';
import type { IcebergSchema, Snapshot } from '../../src/metadata/table-metadata.ts';
import { expireSnapshots } from '../../src/maintenance/expire-snapshots.ts';
import { removeOrphanFiles } from '../../src/maintenance/remove-orphans.ts';
import { DefaultTableFiles, normaliseLocation } from '../../src/maintenance/table-files.ts';
import { uniqueName } from '../../../../test/helpers/services.ts';
import { restServer, restServerUp } from '../helpers/rest-server.ts';

const ns = [uniqueName('ferry_maint')];
let id = { namespace: ns, name: 'events' };
const schema: IcebergSchema = { type: 'struct', 'schema-id': 0, fields: [{ id: 1, name: 'id', required: true, type: 'long' }] };
const cat = new RestCatalog({ type: 'rest', uri: restServer.uri, auth: { type: 'bearer', token: restServer.token } });
const files = new DefaultTableFiles();
let location = '';

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

async function writeAvro(path: string, type: avro.Type, records: unknown[]): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  await new Promise<void>((resolve, reject) => {
    const enc = avro.createFileEncoder(path, type, { writeHeader: 'always', codec: 'deflate' } as never);
    enc.on('error', reject);
    (enc as unknown as { on(e: string, f: () => void): void }).on('finish', () => setTimeout(resolve, 30));
    for (const r of records) enc.write(r);
    enc.end();
  });
}

const local = (l: string) => normaliseLocation(l);
/** A data file (its bytes do not matter to maintenance). */
async function dataFile(name: string): Promise<string> {
  const p = `${local(location)}/data/${name}.parquet`;
  await mkdir(dirname(p), { recursive: true });
  await writeFile(p, `PAR1 ${name}`);
  return p;
}
/** A manifest with entries [status, file] (1 ADDED, 2 DELETED). */
async function manifest(name: string, snapshotId: number, seq: number, entries: [number, string][]): Promise<string> {
  const p = `${local(location)}/metadata/${name}-${randomUUID()}-m0.avro`;
  await writeAvro(p, entryType, entries.map(([status, path]) => ({
    status, snapshot_id: snapshotId, sequence_number: seq, file_sequence_number: seq,
    data_file: { content: 0, file_path: path, file_format: 'PARQUET', partition: {}, record_count: 1, file_size_in_bytes: 10 },
  })));
  return p;
}

let nextId = 5_000 + Math.floor(Math.random() * 1e9);
/** Commits a snapshot whose manifest list holds `manifests`. */
async function snapshot(t: LoadedTable, operation: Snapshot['summary']['operation'], manifests: string[], positions?: string): Promise<{ t: LoadedTable; s: Snapshot }> {
  const sid = nextId++;
  const seq = t.metadata['last-sequence-number'] + 1;
  const list = `${local(location)}/metadata/snap-${sid}-1-${randomUUID()}.avro`;
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
  const next = await cat.commitTable({
    identifier: id, base: t, metadata: t.metadata,
    requirements: [{ type: 'assert-ref-snapshot-id', ref: 'main', 'snapshot-id': parent != null && parent >= 0 ? parent : null }],
    updates: [{ action: 'add-snapshot', snapshot: s }, { action: 'set-snapshot-ref', 'ref-name': 'main', type: 'branch', 'snapshot-id': sid }],
  });
  return { t: next, s };
}

async function filesOnDisk(): Promise<string[]> {
  const out: string[] = [];
  for (const sub of ['data', 'metadata']) {
    const dir = `${local(location)}/${sub}`;
    for (const f of await readdir(dir).catch(() => [] as string[])) if (!f.endsWith('.crc')) out.push(join(dir, f));
  }
  return out.sort();
}
/** Snapshot ids in the metadata file the Java catalog wrote last. */
async function javaSnapshotIds(): Promise<number[]> {
  const t = await cat.loadTable(id);
  const m = JSON.parse(await readFile(local(t!.metadataLocation), 'utf8')) as { snapshots: Snapshot[] };
  return m.snapshots.map((s) => s['snapshot-id']);
}

before(async () => { await restServerUp(); });
const locations: string[] = [];
after(async () => {
  for (const t of await cat.listTables(ns).catch(() => [])) await cat.dropTable(t).catch(() => false);
  for (const l of locations) await rm(local(l), { recursive: true, force: true });
  await files.close();
});

test('snapshot expiry deletes exactly the files only expired snapshots referenced, after the metadata swap; orphan removal honours the safety age', async () => {
  let t = await cat.createTable({ identifier: id, schema, partitionSpec: { 'spec-id': 0, fields: [] } });
  location = t.metadata.location;
  locations.push(location);
  const [A, B, C, D, E] = await Promise.all(['a', 'b', 'c', 'd', 'e'].map(dataFile)) as [string, string, string, string, string];

  // S1 append A; S2 append B (Ferry's positions); S3 replace A+B by C (another engine: no positions); S4 append D
  const m1 = await manifest('m1', nextId, 1, [[1, A]]);
  const s1 = await snapshot(t, 'append', [m1], '{"s":"1"}'); t = s1.t;
  const m2 = await manifest('m2', nextId, 2, [[1, B]]);
  const s2 = await snapshot(t, 'append', [m1, m2], '{"s":"2"}'); t = s2.t;
  const m3 = await manifest('m3', nextId, 3, [[1, C]]);
  const m3d = await manifest('m3d', nextId, 3, [[2, A], [2, B]]);
  const s3 = await snapshot(t, 'replace', [m3, m3d]); t = s3.t;
  const m4 = await manifest('m4', nextId, 4, [[1, D]]);
  const s4 = await snapshot(t, 'append', [m3, m4]); t = s4.t;
  const list = (s: { s: Snapshot }) => s.s['manifest-list'];
  const before = await filesOnDisk();

  // dry run: the same answer, nothing changed
  const dry = await expireSnapshots(cat, id, { files, olderThanMs: Date.now() + 1, retainLast: 1, dryRun: true });
  assert.deepEqual(dry.expiredSnapshotIds, [s1.s['snapshot-id'], s3.s['snapshot-id']]);
  assert.deepEqual(dry.deletedFiles, [list(s1), list(s3), m3d].sort());
  assert.deepEqual(await filesOnDisk(), before);
  assert.equal((await javaSnapshotIds()).length, 4);

  // keep main's newest (S4) and the newest with Ferry's positions (S2): S1 and S3 go, and only what they alone held
  const r1 = await expireSnapshots(cat, id, { files, olderThanMs: Date.now() + 1, retainLast: 1 });
  assert.deepEqual(r1.expiredSnapshotIds, [s1.s['snapshot-id'], s3.s['snapshot-id']]);
  assert.deepEqual(r1.deletedFiles, [list(s1), list(s3), m3d].sort());
  assert.deepEqual(await javaSnapshotIds(), [s2.s['snapshot-id'], s4.s['snapshot-id']]);
  const notJson = (l: string[]) => l.filter((f) => !f.endsWith('.metadata.json')); // the expiry's commit wrote one more
  assert.deepEqual(notJson(await filesOnDisk()), notJson(before).filter((f) => ![list(s1), list(s3), m3d].includes(f)));

  // S5 append E with positions: now S2 and S4 expire, and with them A, B and the manifests only they used
  const m5 = await manifest('m5', nextId, 5, [[1, E]]);
  const s5 = await snapshot(t, 'append', [m3, m4, m5], '{"s":"5"}');
  const r2 = await expireSnapshots(cat, id, { files, olderThanMs: Date.now() + 1, retainLast: 1 });
  assert.deepEqual(r2.expiredSnapshotIds.sort(), [s2.s['snapshot-id'], s4.s['snapshot-id']].sort());
  assert.deepEqual(r2.deletedFiles, [list(s2), list(s4), m1, m2, A, B].sort());
  assert.deepEqual(await javaSnapshotIds(), [s5.s['snapshot-id']]);
  const metadataFiles = (await filesOnDisk()).filter((f) => f.endsWith('.metadata.json'));
  assert.deepEqual(await filesOnDisk(), [C, D, E, list(s5), m3, m4, m5, ...metadataFiles].sort());

  // orphans: an old stray file goes, a fresh one (a writer's uncommitted file) stays, referenced files all stay
  const oldStray = await dataFile('stray-old');
  const newStray = await dataFile('stray-new');
  const tenDaysAgo = new Date(Date.now() - 10 * 24 * 3600_000);
  await utimes(oldStray, tenDaysAgo, tenDaysAgo);
  const dryO = await removeOrphanFiles(cat, id, { files, dryRun: true });
  assert.deepEqual(dryO.orphans, [oldStray]);
  assert.deepEqual(dryO.tooRecent, [newStray]);
  assert.ok((await filesOnDisk()).includes(oldStray));
  const o = await removeOrphanFiles(cat, id, { files, olderThanMs: Date.now() - 24 * 3600_000 });
  assert.deepEqual(o.orphans, [oldStray]);
  assert.deepEqual(await filesOnDisk(), [C, D, E, newStray, list(s5), m3, m4, m5, ...metadataFiles].sort());
  // with no safety age the fresh stray goes too, and still nothing referenced
  const o2 = await removeOrphanFiles(cat, id, { files, olderThanMs: Date.now() + 1 });
  assert.deepEqual(o2.orphans, [newStray]);
  assert.deepEqual(await filesOnDisk(), [C, D, E, list(s5), m3, m4, m5, ...metadataFiles].sort());
  assert.deepEqual(await javaSnapshotIds(), [s5.s['snapshot-id']]);
});

test('expiry while a writer keeps committing: every append lands, and every file a kept snapshot references is still there', async () => {
  id = { namespace: ns, name: 'busy' };
  let t = await cat.createTable({ identifier: id, schema, partitionSpec: { 'spec-id': 0, fields: [] } });
  location = t.metadata.location;
  locations.push(location);
  const appended: number[] = [];
  let writing = true;
  const writer = (async () => {
    const manifests: string[] = [];
    for (let i = 0; i < 12; i++) {
      manifests.push(await manifest(`w${i}`, nextId, i + 1, [[1, await dataFile(`w${i}`)]]));
      const r = await snapshot(t, 'append', [...manifests], `{"w":"${i}"}`);
      t = r.t;
      appended.push(r.s['snapshot-id']);
    }
    writing = false;
  })();
  const expiries: number[][] = [];
  while (writing) {
    const r = await expireSnapshots(cat, id, { files, olderThanMs: Date.now() + 1, retainLast: 2 });
    expiries.push(r.expiredSnapshotIds);
    await new Promise((res) => setTimeout(res, 40));
  }
  await writer;
  const final = await expireSnapshots(cat, id, { files, olderThanMs: Date.now() + 1, retainLast: 2 });
  expiries.push(final.expiredSnapshotIds);
  const kept = await javaSnapshotIds();
  assert.deepEqual(kept, appended.slice(-2), 'the two newest appends are kept');
  assert.deepEqual([...expiries.flat()].sort(), appended.slice(0, -2).sort(), 'every other append expired exactly once');
  // every data file was appended once and is referenced by the newest manifest list: none may be gone
  const onDisk = await filesOnDisk();
  for (let i = 0; i < 12; i++) assert.ok(onDisk.includes(`${local(location)}/data/w${i}.parquet`), `w${i}`);
  const current = (await cat.loadTable(id))!.metadata.snapshots!.at(-1)!;
  assert.ok(onDisk.includes(local(current['manifest-list'])));
});
