/**
 * Snapshot expiry and orphan-file removal on a table of the real Iceberg REST catalog (infra/iceberg-rest.sh). The
 * table's history is made here with spec-shaped manifests and manifest lists (avsc), the commits go through
 * RestCatalog, and what is left is read back independently: the metadata file the Java catalog wrote, and the files
 * on disk.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { rm, utimes } from 'node:fs/promises';
import { RestCatalog } from '../../src/catalog/rest-catalog.ts';
import type { IcebergSchema, Snapshot } from '../../src/metadata/table-metadata.ts';
import { expireSnapshots } from '../../src/maintenance/expire-snapshots.ts';
import { removeOrphanFiles } from '../../src/maintenance/remove-orphans.ts';
import { DefaultTableFiles } from '../../src/maintenance/table-files.ts';
import { dataFile, filesOnDisk, ids, javaSnapshotIds, local, manifest, snapshot, state } from '../helpers/rest-history.ts';
import { uniqueName } from '../../../../test/helpers/services.ts';
import { restServer, restServerUp } from '../helpers/rest-server.ts';

const ns = [uniqueName('ferry_maint')];
let id = { namespace: ns, name: 'events' };
state.id = id;
const schema: IcebergSchema = { type: 'struct', 'schema-id': 0, fields: [{ id: 1, name: 'id', required: true, type: 'long' }] };
const cat = new RestCatalog({ type: 'rest', uri: restServer.uri, auth: { type: 'bearer', token: restServer.token } });
const files = new DefaultTableFiles();
state.cat = cat;
let location = '';
const setLocation = (l: string) => { location = l; state.location = l; };


before(async () => { await restServerUp(); });
const locations: string[] = [];
after(async () => {
  for (const t of await cat.listTables(ns).catch(() => [])) await cat.dropTable(t).catch(() => false);
  for (const l of locations) await rm(local(l), { recursive: true, force: true });
  await files.close();
});

test('snapshot expiry deletes exactly the files only expired snapshots referenced, after the metadata swap; orphan removal honours the safety age', async () => {
  let t = await cat.createTable({ identifier: id, schema, partitionSpec: { 'spec-id': 0, fields: [] } });
  setLocation(t.metadata.location);
  locations.push(location);
  const [A, B, C, D, E] = await Promise.all(['a', 'b', 'c', 'd', 'e'].map(dataFile)) as [string, string, string, string, string];

  // S1 append A; S2 append B (Ferry's positions); S3 replace A+B by C (another engine: no positions); S4 append D
  const m1 = await manifest('m1', ids.next, 1, [[1, A]]);
  const s1 = await snapshot(t, 'append', [m1], '{"s":"1"}'); t = s1.t;
  const m2 = await manifest('m2', ids.next, 2, [[1, B]]);
  const s2 = await snapshot(t, 'append', [m1, m2], '{"s":"2"}'); t = s2.t;
  const m3 = await manifest('m3', ids.next, 3, [[1, C]]);
  const m3d = await manifest('m3d', ids.next, 3, [[2, A], [2, B]]);
  const s3 = await snapshot(t, 'replace', [m3, m3d]); t = s3.t;
  const m4 = await manifest('m4', ids.next, 4, [[1, D]]);
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
  const m5 = await manifest('m5', ids.next, 5, [[1, E]]);
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
  state.id = id;
  let t = await cat.createTable({ identifier: id, schema, partitionSpec: { 'spec-id': 0, fields: [] } });
  setLocation(t.metadata.location);
  locations.push(location);
  const appended: number[] = [];
  let writing = true;
  const writer = (async () => {
    const manifests: string[] = [];
    for (let i = 0; i < 12; i++) {
      manifests.push(await manifest(`w${i}`, ids.next, i + 1, [[1, await dataFile(`w${i}`)]]));
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
