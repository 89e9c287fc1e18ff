// Partition transforms as readers use them: tables partitioned by year, month, hour, truncate, identity and bucket (dates
// before 1970 and negative integers included), scanned by PyIceberg with row filters. PyIceberg prunes data files by
// the partition values Ferry wrote (projecting each filter through the transform), so a wrong value would drop rows:
// each filter's result equals the source rows it selects. And a source truncate in upsert mode: the table holds only
// what came after it.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PromMetrics } from '../../../../runtime/src/metrics/metrics.ts';
import type { SinkRecord } from '../../../../core/src/record-sink.ts';
import { COLUMNS_V2, expectedRows, fixture, workload } from '../../../../test/helpers/sink-kit/fixtures.ts';
import { FakeRegistry } from '../../../../test/helpers/sink-kit/fake-registry.ts';
import { quietLog } from '../../../../test/helpers/sink-kit/quiet.ts';
import { kafkaRecords } from '../../../../test/helpers/sink-kit/records.ts';
import { IcebergSink, type IcebergConfigInput } from '../../src/index.ts';
import { readWithPyIceberg, stopPyIceberg } from '../helpers/pyiceberg.ts';

after(stopPyIceberg);
const kit = fixture();
const ctx = () => ({ signal: new AbortController().signal, log: quietLog(), metrics: new PromMetrics({ collectProcessMetrics: false }), report: { file: () => {} } });
const col = (name: string) => COLUMNS_V2.findIndex((c) => c.name === name);

async function write(config: IcebergConfigInput, records: readonly SinkRecord[]): Promise<void> {
  const sink = new IcebergSink({ config });
  try {
    assert.deepEqual((await sink.write(records, ctx())).rejected ?? [], []);
  } finally {
    await sink.close();
  }
}

test('partitions by year, month, hour, truncate, identity and bucket (Murmur3): PyIceberg’s filtered scans (pruning on Ferry’s partition values) return exactly the rows each filter selects', { timeout: 240_000 }, async () => {
  const dir = await mkdtemp(join(tmpdir(), 'ferry-iceberg-parts-'));
  try {
    const base = { warehouse: join(dir, 'wh'), catalog: { type: 'sql' as const, uri: `sqlite:${join(dir, 'c.db')}`, name: 'parts' } };
    const w = workload(kit, { prefix: 'parts', rows: 60, changesV1: 40, changesV2: 0, seed: 13 });
    const { records } = await kafkaRecords(w.events, { prefix: 'parts', partitions: 1, registry: new FakeRegistry(), sourceFields: ['ts_ms', 'ts_us', 'file', 'pos', 'lsn', 'snapshot'] });
    await write({ ...base, namespace: 'a', partitioning: [{ column: 'created', transform: 'year' }, { column: 'customer', transform: 'truncate', width: 3 }] }, records);
    await write({ ...base, namespace: 'b', partitioning: [{ column: 'born', transform: 'month' }, { column: 'updated', transform: 'hour' }, { column: 'qty', transform: 'truncate', width: 1000 }, { column: 'color', transform: 'identity' }] }, records);
    await write({ ...base, namespace: 'c', partitioning: [{ column: 'id', transform: 'bucket', buckets: 8 }, { column: 'customer', transform: 'bucket', buckets: 4 }, { column: 'born', transform: 'bucket', buckets: 3 }] }, records);
    const rows = expectedRows(w).map((r) => r.split('|'));
    const ids = (pred: (r: string[]) => boolean) => rows.filter(pred).map((r) => r[col('id')]!).sort();
    const cases: { table: string; filter: string; want: string[] }[] = [
      { table: 'a.orders', filter: "created >= '2020-06-01T00:00:00'", want: ids((r) => r[col('created')]! >= '2020-06-01 00:00:00.000000') },
      { table: 'a.orders', filter: "customer < 'N'", want: ids((r) => Buffer.compare(Buffer.from(r[col('customer')]!), Buffer.from('N')) < 0) },
      { table: 'b.orders', filter: "born < '1970-01-01'", want: ids((r) => r[col('born')] !== '\\N' && r[col('born')]! < '1970-01-01') },
      { table: 'b.orders', filter: "updated >= '2024-02-10T12:00:00'", want: ids((r) => r[col('updated')] !== '\\N' && r[col('updated')]! >= '2024-02-10 12:00:00.000000') },
      { table: 'b.orders', filter: 'qty < -500', want: ids((r) => Number(r[col('qty')]) < -500) },
      { table: 'b.orders', filter: "color = 'red'", want: ids((r) => r[col('color')] === 'red') },
      { table: 'c.orders', filter: `id in (${rows.slice(0, 5).map((r) => r[col('id')]).join(', ')})`, want: ids((_r) => rows.slice(0, 5).includes(_r)) },
      { table: 'c.orders', filter: `customer = '${rows[3]![col('customer')]!.replace(/'/g, "''")}'`, want: ids((r) => r[col('customer')] === rows[3]![col('customer')]) },
      { table: 'c.orders', filter: `born = '${rows.find((r) => r[col('born')] !== '\\N')![col('born')]}'`, want: ids((r) => r[col('born')] === rows.find((x) => x[col('born')] !== '\\N')![col('born')]) },
    ];
    for (const c of cases) {
      const got = await readWithPyIceberg({ catalogUri: `sqlite:///${join(dir, 'c.db')}`, catalogName: 'parts', table: c.table, filter: c.filter, columns: [{ name: 'id', sql: 'CAST(id AS VARCHAR)' }] });
      assert.ok(c.want.length > 0 && c.want.length < rows.length, `${c.filter}: the case selects some rows (${c.want.length})`);
      assert.deepEqual(got.rows.map((r) => String(r.id)).sort(), c.want, `${c.table} where ${c.filter}`);
    }
    const all = await readWithPyIceberg({ catalogUri: `sqlite:///${join(dir, 'c.db')}`, catalogName: 'parts', table: 'b.orders', columns: [{ name: 'id', sql: 'id' }] });
    assert.equal(all.rows.length, rows.length);
    assert.ok(all.files > 10, `one file per partition (${all.files})`);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('a source truncate (upsert): the table holds only the rows written after it', { timeout: 240_000 }, async () => {
  const dir = await mkdtemp(join(tmpdir(), 'ferry-iceberg-trunc-'));
  try {
    const config: IcebergConfigInput = { warehouse: join(dir, 'wh'), catalog: { type: 'sql', uri: `sqlite:${join(dir, 'c.db')}` } };
    const w1 = workload(kit, { prefix: 'tr1', rows: 30, changesV1: 20, changesV2: 0, seed: 1 });
    const w2 = workload(kit, { prefix: 'tr2', rows: 12, changesV1: 10, changesV2: 0, seed: 2 });
    const b1 = await kafkaRecords(w1.events, { prefix: 'tr1', partitions: 1, registry: new FakeRegistry(), sourceFields: ['ts_ms', 'file', 'pos'] });
    const b2 = await kafkaRecords(w2.events, { prefix: 'tr2', partitions: 1, registry: new FakeRegistry(), sourceFields: ['ts_ms', 'file', 'pos'] });
    const r0 = b1.records[0]!;
    const truncate: SinkRecord = { ...r0, stream: 'trunc/0', offset: 0n, key: null, envelope: { ...r0.envelope, op: 't', before: null, after: null } };
    await write(config, b1.records);
    await write(config, [truncate, ...b2.records]);
    const got = await readWithPyIceberg({ catalogUri: `sqlite:///${join(dir, 'c.db')}`, catalogName: 'ferry', table: 'shop.orders', columns: [{ name: 'id', sql: 'CAST(id AS VARCHAR)' }] });
    assert.deepEqual(got.rows.map((r) => String(r.id)).sort(), [...w2.state.keys()].map(String).sort());
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
