// The Iceberg sink on S3 (moto) with a PostgreSQL SQL catalog and identity partitions, across sink restarts: a new sink
// builds its key index from the table (files on S3) and its later updates and deletes still remove exactly the
// replaced rows; a batch delivered again after a restart commits nothing. Append mode with hidden partitioning on
// the commit time keeps every change once. PyIceberg reads the tables through the same catalog.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { PromMetrics } from '../../../../runtime/src/metrics/metrics.ts';
import type { SinkRecord, SinkWriteContext } from '../../../../core/src/record-sink.ts';
import { COLUMNS_V2, duckCanonicalSql, expectedRows, fixture, normalizeRead, workload } from '../../../../test/helpers/sink-kit/fixtures.ts';
import { FakeRegistry } from '../../../../test/helpers/sink-kit/fake-registry.ts';
import { quietLog } from '../../../../test/helpers/sink-kit/quiet.ts';
import { kafkaRecords } from '../../../../test/helpers/sink-kit/records.ts';
import { createBucket, S3, services, uniqueName } from '../../../../test/helpers/sink-kit/services.ts';
import { IcebergSink, type IcebergConfigInput } from '../../src/index.ts';
import { readWithPyIceberg, stopPyIceberg } from '../helpers/pyiceberg.ts';

const kit = fixture();
const DB = 'ferry_iceberg_it';
const PG = `postgresql://postgres:postgres@${services.postgres.host}:${services.postgres.port}`;
const canonicalColumns = COLUMNS_V2.map((c) => ({ name: c.name, sql: duckCanonicalSql(c) }));
const ctx = (): SinkWriteContext => ({ signal: new AbortController().signal, log: quietLog(), metrics: new PromMetrics({ collectProcessMetrics: false }), report: { file: () => {} } });

async function catalogDatabase(): Promise<void> {
  const c = new pg.Client({ connectionString: `${PG}/postgres` });
  await c.connect();
  try {
    await c.query(`CREATE DATABASE ${DB}`);
  } catch (e: unknown) {
    if ((e as { code?: string }).code !== '42P04' && (e as { code?: string }).code !== '23505') throw e; // exists (or created concurrently)
  } finally {
    await c.end();
  }
}

async function write(config: IcebergConfigInput, records: readonly SinkRecord[]): Promise<void> {
  const sink = new IcebergSink({ config });
  try {
    const out = await sink.write(records, ctx());
    assert.deepEqual(out.rejected ?? [], [], 'nothing rejected');
  } finally {
    await sink.close();
  }
}

test('iceberg on S3 with a PostgreSQL catalog, identity partitions: three sink processes, a redelivery after a restart; PyIceberg reads the source state', { timeout: 240_000 }, async () => {
  await catalogDatabase();
  const name = uniqueName('ice_s3');
  const bucket = name.replace(/_/g, '-');
  await createBucket(bucket);
  const catalog = uniqueName('cat');
  const config: IcebergConfigInput = {
    warehouse: `s3://${bucket}/wh`, catalog: { type: 'sql', uri: `${PG}/${DB}`, name: catalog }, s3: { ...S3 },
    partitioning: [{ column: 'color', transform: 'identity' }],
  };
  const w = workload(kit, { prefix: name, rows: 60, changesV1: 90, changesV2: 90, snapshotRows: 30, seed: 3 });
  const batch = await kafkaRecords(w.events, { prefix: name, partitions: 2, registry: new FakeRegistry(), sourceFields: ['ts_ms', 'ts_us', 'file', 'pos', 'lsn', 'snapshot'] });
  const rs = batch.records;
  const a = Math.floor(rs.length / 3);
  const b = Math.floor((2 * rs.length) / 3);
  await write(config, rs.slice(0, a));
  await write(config, rs.slice(a, b));
  // A restart that redelivers from before the last commit, cut differently, then the rest.
  await write(config, rs.slice(a + 5, rs.length));
  const read = () => readWithPyIceberg({ catalogUri: `postgresql+psycopg2://postgres:postgres@${services.postgres.host}:${services.postgres.port}/${DB}`, catalogName: catalog, table: `${kit.v1.id.schema}.${kit.v1.id.table}`, s3Endpoint: S3.endpoint, columns: canonicalColumns });
  const got = await read();
  const rows = got.rows.map((row) => COLUMNS_V2.map((c) => normalizeRead(c, row[c.name] === null ? null : String(row[c.name]))).join('|'));
  assert.deepEqual([...rows].sort(), [...expectedRows(w)].sort(), 'PyIceberg sees exactly the source rows');
  assert.ok(got.files > 3, `data files in several partitions (${got.files})`);
  assert.ok(got.deletes > 0, 'position delete files were applied');
  const positions = JSON.parse(got.summary!['ferry.positions']!) as Record<string, string>;
  assert.deepEqual(Object.keys(positions).sort(), [`${name}.shop.orders/0`, `${name}.shop.orders/1`], 'the summary holds both streams’ positions');
  // Delivered once more in full: nothing is committed.
  const snapshotBefore = got.summary!['ferry.positions'];
  await write(config, rs);
  const again = await read();
  assert.equal(again.summary!['ferry.positions'], snapshotBefore);
  assert.equal(again.rows.length, got.rows.length);
});

test('iceberg append mode, hidden partitioning on the commit time: every change is one row with its Op, once across a redelivery; snapshots expired', { timeout: 240_000 }, async () => {
  const dir = await mkdtemp(join(tmpdir(), 'ferry-iceberg-append-'));
  try {
    const name = uniqueName('ice_app');
    const config: IcebergConfigInput = {
      warehouse: join(dir, 'wh'), catalog: { type: 'sql', uri: `sqlite:${join(dir, 'c.db')}` }, mode: 'append', maxSnapshots: 2,
      partitioning: [{ column: '_commit_ts', transform: 'day' }],
    };
    const w = workload(kit, { prefix: name, rows: 30, changesV1: 60, changesV2: 30, seed: 9 });
    const batch = await kafkaRecords(w.events, { prefix: name, partitions: 2, registry: new FakeRegistry(), sourceFields: ['ts_ms', 'ts_us', 'file', 'pos', 'lsn', 'snapshot'] });
    const half = Math.floor(batch.records.length / 2);
    await write(config, batch.records.slice(0, half));
    await write(config, batch.records); // redelivers the first half
    const got = await readWithPyIceberg({
      catalogUri: `sqlite:///${join(dir, 'c.db')}`, catalogName: 'ferry', table: 'shop.orders',
      columns: ['Op', '_kafka_partition', '_kafka_offset', 'id'].map((c) => ({ name: c, sql: `"${c}"` })),
    });
    assert.equal(got.rows.length, batch.records.length, 'one row per change');
    const keys = new Set(got.rows.map((r) => `${String(r._kafka_partition)}/${String(r._kafka_offset)}`));
    assert.equal(keys.size, batch.records.length, 'no change twice');
    const ops = (l: string) => got.rows.filter((r) => r.Op === l).length;
    assert.deepEqual([ops('I'), ops('U'), ops('D')], [w.counts.c + w.counts.r, w.counts.u, w.counts.d]);
    assert.deepEqual(got.schema.slice(0, 6), ['Op', '_commit_ts', '_source_position', '_source_event', '_kafka_partition', '_kafka_offset']);
    assert.ok(got.files > 1, `one file per commit day (${got.files})`);
    assert.ok(got.metadataLog >= 3, `three commits or more (${got.metadataLog} earlier metadata files)`);
    assert.equal(got.snapshots, 2, 'older snapshots expired from the metadata (maxSnapshots 2), their files still read');
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
after(stopPyIceberg);
