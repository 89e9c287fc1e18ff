// The lake's type mapping, partition layout, file naming and formats, written to a local folder and read back
// with DuckDB (no services needed).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { DirectSinkAdapter } from '../../../../runtime/src/sink-worker/DirectSinkAdapter.ts';
import { fileDeadLetterQueue } from '../../../../runtime/src/sink-worker/dead-letter.ts';
import { createLogger } from '../../../../runtime/src/log/logger.ts';
import { PromMetrics } from '../../../../runtime/src/metrics/metrics.ts';
import type { SinkRecord, SinkWriteContext } from '../../../../core/src/record-sink.ts';
import { S3LakeSink } from '../../src/S3LakeSink.ts';
import { zonedToMicros, microsToIso } from '../../../../runtime/src/columnar/column-types.ts';
import { escapePathPart, partitioner } from '../../src/layout.ts';
import { LocalObjectStore } from '../../../../runtime/src/storage/object-store.ts';
import { checksum, expectedRows, fixture, workload } from '../../../../test/helpers/sink-kit/fixtures.ts';
import { kafkaRecords } from '../../../../test/helpers/sink-kit/records.ts';
import { latestState, query } from '../helpers/read-lake.ts';

const quiet = () => createLogger({ destination: new Writable({ write(_c, _e, cb) { cb(); } }) });
const metrics = () => new PromMetrics({ collectProcessMetrics: false });
const fx = fixture();
const files: { bytes: number; rows: number }[] = [];
const ctx = (): SinkWriteContext => ({ signal: new AbortController().signal, log: quiet(), metrics: metrics(), report: { file: (_t, bytes, rows) => { files.push({ bytes, rows }); } } });

test('ZonedTimestamp text → µs since the epoch, with offsets and any fraction; junk → null', () => {
  assert.equal(zonedToMicros('1970-01-01T00:00:00Z'), 0n);
  assert.equal(zonedToMicros('2024-01-01T10:00:00.123456Z'), 1704103200123456n);
  assert.equal(zonedToMicros('2024-01-01T12:00:00.5+02:00'), 1704103200500000n);
  assert.equal(zonedToMicros('1969-12-31T23:59:59.999999Z'), -1n);
  assert.equal(zonedToMicros('2024-01-01 10:00:00'), null);
  assert.equal(microsToIso(-1n), '1969-12-31 23:59:59.999999');
});

test('Hive partition parts are escaped; partitions by commit date, hour and column', () => {
  assert.equal(escapePathPart('a/b=c d'), 'a%2Fb%3Dc d');
  assert.equal(escapePathPart(''), '__HIVE_DEFAULT_PARTITION__');
  const r = { envelope: { source: { ts_ms: Date.UTC(2024, 1, 29, 13, 5) }, after: { color: 'red/x', born: 19782 }, before: null, op: 'c', ts_ms: 0 }, key: null, timestampMs: 0, table: { columns: [{ name: 'born', type: { connect: 'int32', logical: 'io.debezium.time.Date' }, optional: true }] } } as unknown as SinkRecord;
  assert.equal(partitioner({ by: 'commit-date' })(r), 'date=2024-02-29');
  assert.equal(partitioner({ by: 'commit-hour' })(r), 'date=2024-02-29/hour=13');
  assert.equal(partitioner({ by: 'column', column: 'color' })(r), 'color=red%2Fx');
  assert.equal(partitioner({ by: 'column', column: 'born' })(r), 'born=2024-02-29');
  assert.equal(partitioner({ by: 'column', column: 'missing' })(r), 'missing=__HIVE_DEFAULT_PARTITION__');
});

test('Parquet files: faithful types, change columns, deterministic names, zstd, and the rebuilt state equals the source', async () => {
  const w = workload(fx, { prefix: 'p', rows: 300, changesV1: 300, changesV2: 300, snapshotRows: 100 });
  const { records } = await kafkaRecords(w.events, { prefix: 'p', partitions: 3 });
  const dir = mkdtempSync(join(tmpdir(), 'ferry-lake-'));
  const sink = new S3LakeSink({ config: { location: dir, partitioning: { by: 'commit-date' }, maxFileRows: 100, rowGroupRows: 1024 } });
  try {
    // Two batches, as the worker would deliver them.
    const half = Math.floor(records.length / 2);
    const r1 = await sink.write(records.slice(0, half), ctx());
    const r2 = await sink.write(records.slice(half), ctx());
    assert.deepEqual([...r1.rejected!, ...r2.rejected!], []);
    const keys = await new LocalObjectStore(dir).list('');
    assert.ok(keys.length > 10);
    for (const k of keys) assert.match(k, /^shop\/orders\/date=\d{4}-\d{2}-\d{2}\/part-[0-2]-\d{19}-\d{19}\.parquet$/);
    const state = await latestState(`${dir}/shop/orders/**/*.parquet`, 'kafka');
    assert.equal(state.changes, records.length);
    assert.equal(state.duplicates, 0);
    assert.equal(checksum(state.rows), checksum(expectedRows(w)));

    // Faithful Parquet types (read from the file footer by DuckDB).
    const newest = keys.at(-1)!;
    const schema = await query(`SELECT name, type, logical_type, converted_type, scale, precision FROM parquet_schema('${join(dir, newest)}')`);
    const t = (n: string) => schema.find((s) => s.name === n)!;
    assert.equal(t('amount').converted_type, 'DECIMAL');
    assert.equal(Number(t('amount').precision), 12);
    assert.equal(Number(t('amount').scale), 2);
    assert.equal(Number(t('big').precision), 30);
    assert.equal(t('wide').converted_type, 'UTF8', 'DECIMAL(50,5) does not fit Parquet DECIMAL(38): exact text');
    assert.match(String(t('created').logical_type), /TimestampType\(isAdjustedToUTC=0, unit=TimeUnit\(MILLIS=<null>, MICROS=MicroSeconds\(\)/);
    assert.match(String(t('seen').logical_type), /isAdjustedToUTC=1/);
    assert.match(String(t('_commit_ts').logical_type), /isAdjustedToUTC=1/);
    assert.equal(t('born').converted_type, 'DATE');
    assert.match(String(t('alarm').logical_type), /TimeType/);
    assert.equal(t('doc').converted_type, 'UTF8', 'JSON is a string');
    assert.equal(t('bin').type, 'BYTE_ARRAY');
    assert.equal(t('tiny').type, 'INT32');
    assert.equal(t('added').converted_type, 'UTF8', 'the added column is in files written after it was added');
    const oldest = await query(`SELECT name FROM parquet_schema('${join(dir, keys[0]!)}')`);
    const hasAdded = keys.map(async (k) => (await query(`SELECT count(*) AS n FROM parquet_schema('${join(dir, k)}') WHERE name = 'added'`))[0]!.n);
    assert.ok((await Promise.all(hasAdded)).some((n) => Number(n) === 0), 'files of version 1 have no added column');
    assert.deepEqual(oldest.slice(1, 7).map((s) => s.name), ['Op', '_commit_ts', '_source_position', '_source_event', '_kafka_partition', '_kafka_offset']);
    const meta = await query(`SELECT DISTINCT compression FROM parquet_metadata('${join(dir, newest)}')`);
    assert.deepEqual(meta.map((m) => m.compression), ['ZSTD']);
    const ops = await query(`SELECT "Op", count(*) AS n FROM read_parquet('${dir}/**/*.parquet', union_by_name = true) GROUP BY 1 ORDER BY 1`);
    assert.deepEqual(ops.map((o) => [o.Op, Number(o.n)]), [['D', w.counts.d], ['I', w.counts.c + w.counts.r], ['U', w.counts.u]]);

    // Writing the same batch again overwrites the same files: nothing is duplicated.
    await sink.write(records.slice(half), ctx());
    assert.deepEqual(await new LocalObjectStore(dir).list(''), keys);
    const again = await latestState(`${dir}/shop/orders/**/*.parquet`, 'kafka');
    assert.equal(again.duplicates, 0);
  } finally {
    await sink.close();
  }
});

test('a value the target type cannot hold is rejected (dead-lettered), the rest of the batch is written', async () => {
  const w = workload(fx, { prefix: 'p', rows: 5, changesV1: 0, changesV2: 0 });
  const events = w.events.map((e, i) => (i === 2 ? { ...e, after: { ...e.after!, alarm: -36_000_000_000 } } : e)); // MySQL TIME '-10:00:00'
  const { records } = await kafkaRecords(events, { prefix: 'p' });
  const dir = mkdtempSync(join(tmpdir(), 'ferry-lake-'));
  const sink = new S3LakeSink({ config: { location: dir, partitioning: { by: 'none' } } });
  try {
    const res = await sink.write(records, ctx());
    assert.equal(res.rejected!.length, 1);
    assert.equal(res.rejected![0]!.record, records[2]);
    assert.match(res.rejected![0]!.reason, /outside one day/);
    const [n] = await query(`SELECT count(*) AS n FROM read_parquet('${dir}/**/*.parquet')`);
    assert.equal(Number(n!.n), 4);
  } finally {
    await sink.close();
  }
});

test('a staged batch (records added as they arrive): a rejected value, a record that needs the row path; each other record in one file, a retry rewrites the same files', async () => {
  const w = workload(fx, { prefix: 'p', rows: 40, changesV1: 20, changesV2: 0 });
  assert.ok(w.events.slice(0, 40).every((e) => e.op === 'r' || e.op === 'c'));
  // Event 5: a value the column type cannot hold; event 30: a delete with neither image (the row path writes its key).
  const events = w.events.map((e, i) => (i === 5 ? { ...e, after: { ...e.after!, alarm: -36_000_000_000 } } : i === 30 ? { ...e, op: 'd' as const, before: null, after: null } : e));
  const { records } = await kafkaRecords(events, { prefix: 'p', partitions: 2 });
  const dir = mkdtempSync(join(tmpdir(), 'ferry-lake-staged-'));
  const sink = new S3LakeSink({ config: { location: dir, partitioning: { by: 'none' } } });
  try {
    const staged = sink.stage({ log: quiet() });
    const rejected: SinkRecord[] = [];
    const unstaged: SinkRecord[] = [];
    for (let i = 0; i < records.length; i += 7) {
      const out = await staged.add(records.slice(i, i + 7));
      for (const r of out.rejected) rejected.push(r.record);
      unstaged.push(...out.unstaged);
    }
    assert.deepEqual(rejected, [records[5]]);
    // From the record that needs the row path on, the table version's records of the batch take the row path.
    assert.deepEqual(unstaged, records.slice(30));
    const keys: string[][] = [];
    for (let attempt = 0; attempt < 2; attempt++) {
      const res = await sink.write(unstaged, { ...ctx(), staged });
      assert.deepEqual(res.rejected, []);
      keys.push((await new LocalObjectStore(dir).list('')).sort());
    }
    assert.deepEqual(keys[1], keys[0], 'a retried write rewrites the same files');
    const got = await query(`SELECT _kafka_partition AS p, _kafka_offset AS o, count(*) AS n FROM read_parquet('${dir}/**/*.parquet') GROUP BY ALL ORDER BY p, o`);
    const want = records.filter((_r, i) => i !== 5).map((r) => `${r.partition}/${r.offset}`).sort();
    assert.deepEqual(got.map((g) => `${g.p}/${g.o}`).sort(), want);
    assert.ok(got.every((g) => Number(g.n) === 1), 'each record once');
    const r30 = records[30]!;
    const [del] = await query(`SELECT "Op" AS op, id FROM read_parquet('${dir}/**/*.parquet') WHERE _kafka_partition = ${r30.partition} AND _kafka_offset = ${r30.offset}`);
    assert.deepEqual([del!.op, Number(del!.id)], ['D', events[30]!.key!.id]);
    await staged.discard();
    await staged.discard();
    await assert.rejects(staged.add(records.slice(0, 1)), /discarded/);
  } finally {
    await sink.close();
  }
});

test('CSV with DMS-style options: delimiter, header, quoting, null value, gzip; readable by DuckDB with the same options', async () => {
  const w = workload(fx, { prefix: 'p', rows: 50, changesV1: 50, changesV2: 0 });
  const { records } = await kafkaRecords(w.events, { prefix: 'p', partitions: 2 });
  const dir = mkdtempSync(join(tmpdir(), 'ferry-lake-csv-'));
  const sink = new S3LakeSink({ config: { location: dir, format: 'csv', partitioning: { by: 'none' }, csv: { delimiter: ';', header: true, quoteAll: true, nullValue: 'NULL', gzip: true } } });
  try {
    await sink.write(records, ctx());
    const keys = await new LocalObjectStore(dir).list('');
    for (const k of keys) assert.match(k, /^shop\/orders\/part-[01]-\d{19}-\d{19}\.csv\.gz$/);
    const { gunzipSync } = await import('node:zlib');
    const { readFileSync } = await import('node:fs');
    const text = gunzipSync(readFileSync(join(dir, keys[0]!))).toString();
    assert.match(text.split('\n')[0]!, /^"Op";"_commit_ts";"_source_position";/);
    const csv = `read_csv('${dir}/**/*.csv.gz', header = true, delim = ';', quote = '"', escape = '"', nullstr = 'NULL', all_varchar = true)`;
    const [n] = await query(`SELECT count(*) AS n FROM ${csv}`);
    assert.equal(Number(n!.n), records.length);
    const [row] = await query(`SELECT amount, bin, created FROM ${csv} WHERE id = '1' AND "Op" = 'I'`);
    const src = w.events[0]!.after!;
    assert.match(String(row!.created), /^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}/);
    assert.equal(row!.bin === null ? null : String(row!.bin).toLowerCase(), src.bin === null ? null : (src.bin as Buffer).toString('hex'), 'bytes are hex');
  } finally {
    await sink.close();
  }
});

test('direct mode writes the same lake (position/ordinal columns instead of Kafka ones) and a retried batch overwrites its files', async () => {
  const w = workload(fx, { prefix: 'p', rows: 100, changesV1: 100, changesV2: 100, snapshotRows: 50 });
  const dir = mkdtempSync(join(tmpdir(), 'ferry-lake-direct-'));
  const lake = new S3LakeSink({ config: { location: dir, partitioning: { by: 'none' } } });
  const a = new DirectSinkAdapter({ sink: lake, connector: 'mariadb', topicPrefix: 'p', deadLetters: fileDeadLetterQueue(join(dir, '..', 'dlq.jsonl')), log: quiet(), metrics: metrics() });
  const pctx = { signal: new AbortController().signal, log: quiet(), metrics: metrics() };
  try {
    await a.write(w.events.slice(0, 150), pctx);
    const keys1 = await new LocalObjectStore(dir).list('');
    await a.write(w.events.slice(150), pctx);
    const keys2 = await new LocalObjectStore(dir).list('');
    for (const k of keys2) assert.match(k, /^shop\/orders\/part-d-[0-9a-f]{16}\.parquet$/);
    // A restarted pipeline redelivers the second batch from its first transaction: same names, overwritten.
    const b = new DirectSinkAdapter({ sink: lake, connector: 'mariadb', topicPrefix: 'p', deadLetters: fileDeadLetterQueue(join(dir, '..', 'dlq.jsonl')), log: quiet(), metrics: metrics() });
    let from = 150;
    while (w.events[from]!.source.position === w.events[from - 1]!.source.position) from++;
    await b.write(w.events.slice(from), pctx);
    const keys3 = await new LocalObjectStore(dir).list('');
    assert.ok(keys1.every((k) => keys3.includes(k)));
    const state = await latestState(`${dir}/shop/orders/*.parquet`, 'direct');
    assert.equal(checksum(state.rows), checksum(expectedRows(w)));
    const [nulls] = await query(`SELECT count(_kafka_offset) AS k, count(_source_event) AS e, min(_source_event) AS mn FROM read_parquet('${dir}/**/*.parquet', union_by_name = true)`);
    assert.equal(Number(nulls!.k), 0);
    assert.equal(Number(nulls!.mn), 0);
  } finally {
    await a.close();
  }
});
