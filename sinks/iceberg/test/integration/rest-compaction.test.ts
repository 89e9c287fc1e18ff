/**
 * Compaction while the sink commits: the Iceberg sink (upsert, position deletes) writes a change stream in 8 batches
 * into a table of the REST catalog while compaction runs in a loop; then a last compaction. PyIceberg reads the table
 * through the REST catalog (an independent reader applying the delete files itself): the rows equal the source's,
 * before and after; the data files go down to one and the delete files to none; every batch is one sink snapshot
 * (nothing committed twice), and a redelivered batch after compaction changes nothing.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PromMetrics } from '../../../../runtime/src/metrics/metrics.ts';
import type { RecordSink, SinkRecord } from '../../../../core/src/record-sink.ts';
import { FerryError } from '../../../../core/src/errors.ts';
import { COLUMNS_V2, duckCanonicalSql, expectedRows, fixture, normalizeRead, workload } from '../../../../test/helpers/sink-kit/fixtures.ts';
import { FakeRegistry } from '../../../../test/helpers/sink-kit/fake-registry.ts';
import { quietLog } from '../../../../test/helpers/sink-kit/quiet.ts';
import { kafkaRecords } from '../../../../test/helpers/sink-kit/records.ts';
import { uniqueName } from '../../../../test/helpers/services.ts';
import { startFerry } from '../../../../test/helpers/ferry-process.ts';
import { RestCatalog } from '../../src/catalog/rest-catalog.ts';
import { icebergSink } from '../../src/descriptor.ts';
import { FileIO } from '../../src/io.ts';
import { compactTable } from '../../src/maintenance/compact.ts';
import { Duck } from '../../src/writer/duck.ts';
import { readWithPyIcebergRest } from '../helpers/rest-pyiceberg.ts';
import { restServer, restServerUp } from '../helpers/rest-server.ts';

const ns = uniqueName('ferry_compact');
const catalogOptions = { type: 'rest', uri: restServer.uri, auth: { type: 'bearer', token: restServer.token } } as const;
const cat = new RestCatalog(catalogOptions);
const kit = fixture();
const canonicalColumns = COLUMNS_V2.map((c) => ({ name: c.name, sql: duckCanonicalSql(c) }));
let duck: Duck;
const io = new FileIO();

const ctx = () => ({ signal: new AbortController().signal, log: quietLog(), metrics: new PromMetrics({ collectProcessMetrics: false }), report: { file: () => {} } });
async function read() {
  const r = await readWithPyIcebergRest({ uri: restServer.uri, token: restServer.token, table: `${ns}.${kit.v1.id.table}`, columns: canonicalColumns });
  return { ...r, rows: r.rows.map((row) => COLUMNS_V2.map((c) => normalizeRead(c, row[c.name] === null ? null : String(row[c.name]))).join('|')).sort() };
}
/** As the sink worker does: a batch that failed (a lost commit race) is written again. */
async function writeRetrying(sink: RecordSink, records: readonly SinkRecord[]): Promise<number> {
  for (let attempt = 1; ; attempt++) {
    try {
      const r = await sink.write(records, ctx());
      assert.deepEqual(r?.rejected ?? [], []);
      return attempt;
    } catch (e) {
      if (!(e instanceof FerryError) || e.code !== 'FERRY_SINK_ERROR' || attempt >= 8) throw e;
    }
  }
}

before(async () => {
  await restServerUp();
  duck = await Duck.create({ threads: 1, memoryLimit: '256MB' });
});
after(async () => {
  for (const t of await cat.listTables([ns]).catch(() => [])) await cat.dropTable(t, { purge: true }).catch(() => false);
  await duck.close();
  await io.close();
});

test('compaction while the sink commits: rows unchanged, files down to one, no delete file left, nothing committed twice', { timeout: 120_000 }, async (tc) => {
  const sink = await icebergSink.create({ name: 'compact', type: 'iceberg', options: { warehouse: '/unused', catalog: catalogOptions, namespace: ns, mode: 'upsert' } });
  const id = { namespace: [ns], name: kit.v1.id.table };
  try {
    const w = workload(kit, { prefix: ns, rows: 60, changesV1: 240, changesV2: 0, seed: 11 });
    assert.ok(w.counts.u > 20 && w.counts.d > 5);
    const batch = await kafkaRecords(w.events, { prefix: ns, partitions: 2, registry: new FakeRegistry(), sourceFields: sink.sourceFields ?? 'all' });
    const n = 8;
    const size = Math.ceil(batch.records.length / n);
    const chunks = Array.from({ length: n }, (_, i) => batch.records.slice(i * size, (i + 1) * size));

    // two batches; a compaction; two more batches on the compacted table (the sink's table state is stale: its
    // commit loses the race and the batch is written again on the new state); then compaction in a loop while the
    // last four commit
    for (const c of chunks.slice(0, 2)) await writeRetrying(sink, c);
    const filesBefore = (await read()).files;
    assert.ok(filesBefore > 1, `several data files before compaction (${filesBefore})`);
    const compactions: number[] = [];
    const first = await compactTable(cat, id, { io, duck, minInputFiles: 2 });
    assert.ok(first.snapshotId !== undefined && first.rewrittenDataFiles.length === filesBefore);
    compactions.push(first.snapshotId);
    let sinkRetries = 0;
    for (const c of chunks.slice(2, 4)) sinkRetries += (await writeRetrying(sink, c)) - 1;
    assert.ok(sinkRetries >= 1, 'the sink lost a race to the compaction and wrote its batch again');
    let writing = true;
    const writer = (async () => {
      try {
        for (const c of chunks.slice(4, n - 1)) sinkRetries += (await writeRetrying(sink, c)) - 1;
      } finally { writing = false; }
    })();
    try {
      while (writing) {
        const r = await compactTable(cat, id, { io, duck, minInputFiles: 2 });
        if (r.snapshotId !== undefined) compactions.push(r.snapshotId);
        await new Promise((res) => setTimeout(res, 20));
      }
    } finally {
      await writer.catch(() => {}); // the writer's own failure is reported below
    }
    await writer;
    // every batch so far is exactly one sink snapshot; the compactions are the replace snapshots
    let snaps = (await cat.loadTable(id))!.metadata.snapshots ?? [];
    const bySink = snaps.filter((x) => x.summary['ferry.compaction'] === undefined);
    assert.equal(bySink.length, n - 1, `one snapshot per batch (sink retries after lost races: ${sinkRetries})`);
    assert.deepEqual(snaps.filter((x) => x.summary['ferry.compaction'] === 'true').map((x) => x['snapshot-id']).sort(), [...compactions].sort());

    // the last batch, then `ferry lake maintain --compact` with expiry and orphan removal
    await writeRetrying(sink, chunks[n - 1]!);
    const expected = expectedRows(w).sort();
    const beforeFinal = await read();
    assert.deepEqual(beforeFinal.rows, expected, 'rows after all batches, compactions among them');
    assert.ok(beforeFinal.files > 1, `the last batch added a data file (${beforeFinal.files})`);
    const positions = (await cat.loadTable(id))!.metadata.snapshots!.at(-1)!.summary['ferry.positions'];
    assert.ok(positions);
    const dir = await mkdtemp(join(tmpdir(), 'ferry-compact-cli-'));
    try {
      await writeFile(join(dir, 'task.yaml'), `name: ${ns}
source: { engine: mariadb, host: 127.0.0.1, port: 3306, user: cdc, password: cdc, database: shop }
migrationType: cdc
tableMappings: { rules: [{ rule-type: selection, rule-id: "1", rule-name: all, rule-action: include, object-locator: { schema-name: shop, table-name: "%" } }] }
targets:
  - { type: iceberg, name: lake, warehouse: /unused, namespace: ${ns}, catalog: { type: rest, uri: "${restServer.uri}", auth: { type: bearer, token: "\${env:ICE_TOKEN}" } } }
`);
      const p = startFerry(['lake', 'maintain', join(dir, 'task.yaml'), '--compact', '--expire-older-than', '0s', '--remove-orphans', '--orphan-older-than', '0s', '--json'], { ...process.env, ICE_TOKEN: restServer.token });
      const code = await p.exited;
      assert.equal(code, 0, p.stderr() + p.stdout());
      const report = JSON.parse(p.stdout()) as { targets: { tables: { compact: { rewrittenDataFiles: string[]; addedDataFiles: string[] }; expire: { expiredSnapshotIds: number[] } }[] }[] };
      const cli = report.targets[0]!.tables[0]!;
      assert.equal(cli.compact.rewrittenDataFiles.length, beforeFinal.files);
      assert.equal(cli.compact.addedDataFiles.length, 1);
      assert.equal(cli.expire.expiredSnapshotIds.length, snaps.length + 1, 'every snapshot but the compaction\'s expired');
    } finally { await rm(dir, { recursive: true, force: true }); }

    const afterFinal = await read();
    assert.deepEqual(afterFinal.rows, expected, 'rows after the last compaction');
    assert.equal(afterFinal.files, 1, 'one data file');
    assert.equal(afterFinal.deletes, 0, 'no delete file left');
    const t = (await cat.loadTable(id))!;
    snaps = t.metadata.snapshots ?? [];
    assert.deepEqual(snaps.map((x) => [x.summary.operation, x.summary['ferry.positions']]), [['replace', positions]], 'one snapshot left, with the positions');
    const onDisk = (await readdir(`${t.metadata.location.replace(/^file:/, '')}/data`)).filter((f) => f.endsWith('.parquet'));
    assert.equal(onDisk.length, 1, `expiry and orphan removal left only the current data file: ${onDisk.join(', ')}`);
    tc.diagnostic(`data files: ${filesBefore} after 2 batches, ${beforeFinal.files} after 8 (with ${compactions.length} compactions committed among them), ${afterFinal.files} after ferry lake maintain --compact; sink batches retried after a lost race: ${sinkRetries}`);

    // a batch delivered again after all that changes nothing
    await writeRetrying(sink, chunks[n - 1]!);
    assert.deepEqual((await read()).rows, expected);
    assert.equal((await cat.loadTable(id))!.metadata.snapshots!.length, 1, 'no new snapshot');
  } finally {
    await sink.close();
  }
});

test('compaction applies equality deletes by sequence number: an equality-delete table (which PyIceberg does not read) reads exactly right once compacted', { timeout: 120_000 }, async () => {
  const ns2 = `${ns}_eq`;
  const sink = await icebergSink.create({ name: 'compact-eq', type: 'iceberg', options: { warehouse: '/unused', catalog: catalogOptions, namespace: ns2, mode: 'upsert', deletes: 'equality' } });
  const id = { namespace: [ns2], name: kit.v1.id.table };
  try {
    const w = workload(kit, { prefix: ns2, rows: 50, changesV1: 150, changesV2: 0, seed: 5 });
    const batch = await kafkaRecords(w.events, { prefix: ns2, partitions: 2, registry: new FakeRegistry(), sourceFields: sink.sourceFields ?? 'all' });
    const size = Math.ceil(batch.records.length / 4);
    for (let i = 0; i < 4; i++) await writeRetrying(sink, batch.records.slice(i * size, (i + 1) * size));
    const t = (await cat.loadTable(id))!;
    const r = await compactTable(cat, id, { io, duck });
    assert.ok(r.snapshotId !== undefined);
    assert.ok(r.removedDeleteFiles.length >= 3, `the equality delete files were applied and dropped (${r.removedDeleteFiles.length})`);
    const got = await readWithPyIcebergRest({ uri: restServer.uri, token: restServer.token, table: `${ns2}.${kit.v1.id.table}`, columns: canonicalColumns });
    assert.equal(got.deletes, 0);
    assert.equal(got.files, 1);
    assert.deepEqual(got.rows.map((row) => COLUMNS_V2.map((c) => normalizeRead(c, row[c.name] === null ? null : String(row[c.name]))).join('|')).sort(), expectedRows(w).sort());
    assert.ok((t.metadata.snapshots ?? []).length >= 4);
  } finally {
    await sink.close();
    for (const x of await cat.listTables([ns2]).catch(() => [])) await cat.dropTable(x, { purge: true }).catch(() => false);
  }
});
