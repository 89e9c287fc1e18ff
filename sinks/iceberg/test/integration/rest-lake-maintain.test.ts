/**
 * `ferry lake maintain` end to end: the real CLI (bin/ferry.js) with a task file whose iceberg target uses the REST
 * catalog (infra/iceberg-rest.sh), token from ${env:…}. A dry run changes nothing; the real run expires the old
 * snapshots and removes an old orphan, read back from the metadata file the Java catalog wrote and from the disk.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RestCatalog } from '../../src/catalog/rest-catalog.ts';
import { startFerry } from '../../../../test/helpers/ferry-process.ts';
import { uniqueName } from '../../../../test/helpers/services.ts';
import { dataFile, filesOnDisk, ids, javaSnapshotIds, local, manifest, snapshot, state } from '../helpers/rest-history.ts';
import { restServer, restServerUp } from '../helpers/rest-server.ts';

const ns = uniqueName('ferry_lake_cli');
const cat = new RestCatalog({ type: 'rest', uri: restServer.uri, auth: { type: 'bearer', token: restServer.token } });
let dir = '';

async function ferry(args: string[]): Promise<{ code: number | null; out: string; err: string }> {
  const p = startFerry(args, { ...process.env, ICE_TOKEN: restServer.token });
  const code = await p.exited;
  return { code, out: p.stdout(), err: p.stderr() };
}

before(async () => {
  await restServerUp();
  dir = await mkdtemp(join(tmpdir(), 'ferry-lake-cli-'));
  await writeFile(join(dir, 'task.yaml'), `
name: ${ns}
source: { engine: mariadb, host: 127.0.0.1, port: 3306, user: cdc, password: cdc, database: shop }
migrationType: cdc
tableMappings:
  rules:
    - { rule-type: selection, rule-id: "1", rule-name: all, rule-action: include, object-locator: { schema-name: shop, table-name: "%" } }
targets:
  - type: iceberg
    name: lake
    warehouse: /unused
    namespace: ${ns}
    catalog: { type: rest, uri: "${restServer.uri}", auth: { type: bearer, token: "\${env:ICE_TOKEN}" } }
`);
});
after(async () => {
  for (const t of await cat.listTables([ns]).catch(() => [])) await cat.dropTable(t).catch(() => false);
  if (state.location) await rm(local(state.location), { recursive: true, force: true });
  await rm(dir, { recursive: true, force: true });
});

test('ferry lake maintain: a dry run changes nothing; then old snapshots expire and an old orphan goes; usage errors exit 2', async () => {
  state.cat = cat;
  state.id = { namespace: [ns], name: 'orders' };
  let t = await cat.createTable({ identifier: state.id, schema: { type: 'struct', 'schema-id': 0, fields: [{ id: 1, name: 'id', required: true, type: 'long' }] }, partitionSpec: { 'spec-id': 0, fields: [] } });
  state.location = t.metadata.location;
  const [A, B] = [await dataFile('a'), await dataFile('b')];
  const m1 = await manifest('m1', ids.next, 1, [[1, A]]);
  const s1 = await snapshot(t, 'append', [m1], '{"p":"1"}'); t = s1.t;
  const m2 = await manifest('m2', ids.next, 2, [[1, B]]);
  const s2 = await snapshot(t, 'append', [m1, m2], '{"p":"2"}'); t = s2.t;
  const s3 = await snapshot(t, 'append', [m1, m2], '{"p":"3"}');
  const stray = await dataFile('stray');
  const old = new Date(Date.now() - 5 * 86_400_000);
  await utimes(stray, old, old);
  const task = join(dir, 'task.yaml');
  const before = await filesOnDisk();

  const dry = await ferry(['lake', 'maintain', task, '--expire-older-than', '0s', '--remove-orphans', '--orphan-older-than', '1d', '--dry-run', '--json']);
  assert.equal(dry.code, 0, dry.err + dry.out);
  const dr = JSON.parse(dry.out) as { ok: boolean; dryRun: boolean; targets: { target: string; tables: { table: string; expire: { expiredSnapshotIds: number[]; deletedFiles: string[] }; orphans: { orphans: string[] } }[] }[] };
  assert.equal(dr.dryRun, true);
  assert.deepEqual(dr.targets.map((x) => [x.target, x.tables.map((y) => y.table)]), [['lake', [`${ns}.orders`]]]);
  assert.deepEqual(dr.targets[0]!.tables[0]!.expire.expiredSnapshotIds, [s1.s['snapshot-id'], s2.s['snapshot-id']]);
  assert.deepEqual(dr.targets[0]!.tables[0]!.expire.deletedFiles, [local(s1.s['manifest-list']), local(s2.s['manifest-list'])].sort());
  assert.deepEqual(dr.targets[0]!.tables[0]!.orphans.orphans, [stray]);
  assert.deepEqual(await filesOnDisk(), before);
  assert.equal((await javaSnapshotIds()).length, 3);
  assert.ok(!dry.out.includes(restServer.token) && !dry.err.includes(restServer.token), 'the token is not printed');

  const real = await ferry(['lake', 'maintain', task, '--expire-older-than', '0s', '--remove-orphans', '--orphan-older-than', '1d']);
  assert.equal(real.code, 0, real.err + real.out);
  assert.equal(real.out, `lake ${ns}.orders: expired 2 snapshot(s), deleted 2 file(s), 1 snapshot(s) left; removed 1 orphan file(s) (0 unreferenced but newer than the safety age)\n`);
  assert.deepEqual(await javaSnapshotIds(), [s3.s['snapshot-id']]);
  const now = await filesOnDisk();
  assert.deepEqual(now.filter((f) => !f.endsWith('.metadata.json')), [A, B, local(s3.s['manifest-list']), m1, m2].sort());

  const none = await ferry(['lake', 'maintain', task]);
  assert.equal(none.code, 2);
  assert.match(none.err, /FERRY_USAGE: ferry lake maintain: nothing to do; give --compact .*, --expire-older-than <age> .* and\/or --remove-orphans/);
  const badAge = await ferry(['lake', 'maintain', task, '--expire-older-than', '7 days']);
  assert.equal(badAge.code, 2);
  assert.match(badAge.err, /--expire-older-than "7 days": expected an age such as 7d/);
});
