/**
 * kill -9 chaos for the Iceberg sink (issue 28): a writer process commits a deterministic change stream (the sink
 * kit's workload: inserts, updates, deletes, an added column) in small batches, and is killed with SIGKILL at random
 * moments, again and again, mid-write and mid-commit. Each restart delivers the stream again from its first record
 * (the worst case: no offset was committed), as a worker whose Kafka offsets were lost would. At the end, a last
 * writer runs to completion, and:
 *   - PyIceberg reads exactly the source's final rows (no duplicate key, none missing, every value equal);
 *   - every file the current snapshot references exists (no metadata references a file that was not fully written);
 *   - the files left unreferenced by failed attempts are counted (orphans, for maintenance to remove).
 *
 * Usage: node bench/iceberg-chaos.ts [--kills 20] [--rows 500] [--changes 6000] [--batch 25]
 */
import { spawn } from 'node:child_process';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { PromMetrics } from '../runtime/src/metrics/metrics.ts';
import { COLUMNS_V2, expectedRows, fixture, normalizeRead, workload, duckCanonicalSql } from '../test/helpers/sink-kit/fixtures.ts';
import { FakeRegistry } from '../test/helpers/sink-kit/fake-registry.ts';
import { quietLog } from '../test/helpers/sink-kit/quiet.ts';
import { kafkaRecords } from '../test/helpers/sink-kit/records.ts';
import { IcebergSink } from '../sinks/iceberg/src/index.ts';
import { FileIO } from '../sinks/iceberg/src/io.ts';
import { readManifest, readManifestList } from '../sinks/iceberg/src/metadata/manifests.ts';
import { openSqlDriver, SqlCatalog } from '../sinks/iceberg/src/catalog/sql-catalog.ts';
import { readWithPyIceberg, stopPyIceberg } from '../sinks/iceberg/test/helpers/pyiceberg.ts';

const { values: args } = parseArgs({ options: {
  kills: { type: 'string', default: '20' }, rows: { type: 'string', default: '500' }, changes: { type: 'string', default: '6000' }, batch: { type: 'string', default: '25' },
  child: { type: 'string' },
} });
const kit = fixture();
const stream = () => workload(kit, { prefix: 'chaos', rows: Number(args.rows), changesV1: Number(args.changes) / 2, changesV2: Number(args.changes) / 2, snapshotRows: Number(args.rows) / 2, seed: 77 });
const config = (dir: string) => ({ warehouse: join(dir, 'wh'), catalog: { type: 'sql' as const, uri: `sqlite:${join(dir, 'c.db')}`, name: 'chaos' } });

if (args.child !== undefined) {
  // The writer: the whole stream from its first record, in batches.
  const dir = args.child;
  const w = stream();
  const { records } = await kafkaRecords(w.events, { prefix: 'chaos', partitions: 2, registry: new FakeRegistry(), sourceFields: ['ts_ms', 'ts_us', 'file', 'pos', 'lsn', 'snapshot'] });
  const sink = new IcebergSink({ config: config(dir) });
  const B = Number(args.batch);
  for (let i = 0; i < records.length; i += B) {
    await sink.write(records.slice(i, i + B), { signal: new AbortController().signal, log: quietLog(), metrics: new PromMetrics({ collectProcessMetrics: false }), report: { file: () => {} } });
  }
  await sink.close();
  process.exit(0);
}

const dir = await mkdtemp(join(tmpdir(), 'ferry-iceberg-chaos-'));
const runChild = (killAfterMs: number | null): Promise<'done' | 'killed'> => new Promise((resolve, reject) => {
  const child = spawn(process.execPath, [...process.execArgv, import.meta.filename, '--child', dir, '--rows', args.rows!, '--changes', args.changes!, '--batch', args.batch!], { stdio: ['ignore', 'ignore', 'inherit'] });
  const timer = killAfterMs === null ? null : setTimeout(() => child.kill('SIGKILL'), killAfterMs);
  child.on('exit', (code, signal) => {
    if (timer) clearTimeout(timer);
    if (signal === 'SIGKILL') resolve('killed');
    else if (code === 0) resolve('done');
    else reject(new Error(`the writer exited with ${code}`));
  });
});

const t0 = performance.now();
let kills = 0;
let completed = 0;
for (let i = 0; i < Number(args.kills); i++) {
  // Startup (Node, DuckDB, records) takes ~1-2 s; kill somewhere in the writing that follows.
  const r = await runChild(1200 + Math.floor(Math.random() * 4000));
  if (r === 'killed') kills++;
  else completed++;
}
await runChild(null);
const w = stream();
const got = await readWithPyIceberg({ catalogUri: `sqlite:///${join(dir, 'c.db')}`, catalogName: 'chaos', table: 'shop.orders', columns: COLUMNS_V2.map((c) => ({ name: c.name, sql: duckCanonicalSql(c) })) });
const rows = got.rows.map((row) => COLUMNS_V2.map((c) => normalizeRead(c, row[c.name] === null ? null : String(row[c.name]))).join('|'));
const want = expectedRows(w);
const ids = rows.map((r) => r.split('|')[0]!);
const dupes = ids.length - new Set(ids).size;
const have = new Set(rows);
const missing = want.filter((r) => !have.has(r)).length;

// Every file the current snapshot references exists; the rest of the folder is orphans.
const io = new FileIO();
const catalog = new SqlCatalog({ name: 'chaos', driver: await openSqlDriver(`sqlite:${join(dir, 'c.db')}`), io, warehouse: join(dir, 'wh') });
const t = (await catalog.loadTable({ namespace: ['shop'], name: 'orders' }))!;
const snap = t.metadata.snapshots!.find((s) => s['snapshot-id'] === t.metadata['current-snapshot-id'])!;
const current = new Set<string>();
let missingFiles = 0;
for (const m of readManifestList(await io.get(snap['manifest-list']))) {
  current.add(m.manifestPath);
  for (const e of readManifest(await io.get(m.manifestPath), { sequenceNumber: m.sequenceNumber, snapshotId: m.addedSnapshotId })) {
    current.add(e.dataFile.filePath);
    await io.get(e.dataFile.filePath).catch(() => { missingFiles++; });
  }
}
// What any snapshot of the table still reaches (time travel): the rest was written by attempts that never committed.
const referenced = new Set<string>();
for (const s of t.metadata.snapshots!) {
  referenced.add(s['manifest-list']);
  for (const m of readManifestList(await io.get(s['manifest-list']))) {
    referenced.add(m.manifestPath);
    for (const e of readManifest(await io.get(m.manifestPath), { sequenceNumber: m.sequenceNumber, snapshotId: m.addedSnapshotId })) referenced.add(e.dataFile.filePath);
  }
}
const onDisk = (await readdir(join(dir, 'wh'), { recursive: true })).filter((f) => /\.(parquet|avro)$/.test(f)).map((f) => join(dir, 'wh', f));
const orphans = onDisk.filter((f) => !referenced.has(f)).length;
await catalog.close();
await stopPyIceberg();
console.log(`iceberg-chaos: ${kills} writers killed with SIGKILL (${completed} finished before their kill), then one ran to completion, in ${((performance.now() - t0) / 1000).toFixed(0)} s`);
console.log(`  PyIceberg reads ${rows.length} rows for the source's ${want.length}: ${dupes} duplicate keys, ${missing} source rows missing or different`);
console.log(`  ${t.metadata.snapshots!.length} snapshots; the current one references ${current.size} files, ${missingFiles} of them missing; ${orphans} data/manifest files no snapshot references (orphans of killed attempts)`);
await rm(dir, { recursive: true, force: true });
if (dupes !== 0 || missing !== 0 || rows.length !== want.length || missingFiles !== 0) {
  console.log('  FAILED');
  process.exit(1);
}
console.log('  OK');
