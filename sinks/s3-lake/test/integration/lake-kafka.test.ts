// Kafka → sink worker → Parquet on S3 (moto), with real services: inserts, updates, deletes (+ tombstones), a
// snapshot, an added column, three partitions shared by two workers; the lake rebuilt with DuckDB equals the source.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { runSinkWorker, type SinkWorkerResult } from '../../../../runtime/src/sink-worker/SinkWorker.ts';
import { PromMetrics } from '../../../../runtime/src/metrics/metrics.ts';
import { S3LakeSink } from '../../src/S3LakeSink.ts';
import { checksum, expectedRows, fixture, workload } from '../../../../test/helpers/sink-kit/fixtures.ts';
import { download, latestState } from '../helpers/read-lake.ts';
import { caughtUp, createBucket, endOffsets, produceEvents, quietLog, registry, S3, services, uniqueName } from '../../../../test/helpers/sink-kit/services.ts';

const fx = fixture();

test('two workers in one group drain three partitions into Parquet on S3; the rebuilt state equals the source', { timeout: 180000 }, async () => {
  const prefix = uniqueName('lake');
  const bucket = prefix.replace(/_/g, '-');
  await createBucket(bucket);
  const w = workload(fx, { prefix, rows: 3000, changesV1: 3000, changesV2: 3000, snapshotRows: 1000 });
  const half = Math.floor(w.events.length / 2);
  await produceEvents(w.events.slice(0, half), { prefix, partitions: 3 });
  const topic = `${prefix}.shop.orders`;

  const committed = new Map<string, bigint>();
  const groupId = `${prefix}-lake`;
  const metrics = new PromMetrics({ collectProcessMetrics: false });
  const stop = new AbortController();
  const workers: Promise<SinkWorkerResult>[] = [];
  const sinks: S3LakeSink[] = [];
  const start = (name: string) => {
    const sink = new S3LakeSink({ name, config: { location: `s3://${bucket}/lake`, s3: S3, partitioning: { by: 'commit-date' }, maxFileRows: 1500, maxFileAgeMs: 300 } });
    sinks.push(sink);
    workers.push(runSinkWorker({
      brokers: services.brokers, registry: registry(), groupId, topicPrefix: prefix, sink, log: quietLog(), metrics,
      batch: { maxRecords: 1500 }, consumer: { sessionTimeoutMs: 10000, heartbeatIntervalMs: 500, rebalanceTimeoutMs: 10000 },
      onCommit: ({ offsets }) => { for (const o of offsets) if ((committed.get(`${o.topic}/${o.partition}`) ?? -1n) < o.offset) committed.set(`${o.topic}/${o.partition}`, o.offset); },
    }, stop.signal));
  };
  start('lake-a');
  while (committed.size === 0) await new Promise((r) => setTimeout(r, 50));
  start('lake-b'); // joins while a is writing: the group rebalances and both share the partitions
  // The rest arrives while both are members (slowly, so b has joined before most of it).
  for (let i = half; i < w.events.length; i += 500) {
    await produceEvents(w.events.slice(i, i + 500), { prefix, partitions: 3 });
    await new Promise((r) => setTimeout(r, 150));
  }
  const ends = await endOffsets(topic);
  assert.equal([...ends.values()].reduce((a, b) => a + b, 0n), BigInt(w.events.length + w.counts.d), 'every delete is followed by a tombstone');
  const deadline = Date.now() + 120000;
  while (!caughtUp(committed, ends) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 250));
  stop.abort();
  const results = await Promise.all(workers);
  for (const s of sinks) await s.close();
  assert.ok(caughtUp(committed, ends), `committed ${[...committed].join(' ')} of ${[...ends].join(' ')}`);
  assert.ok(results.every((r) => r.records > 0), `both workers wrote: ${JSON.stringify(results)}`);
  assert.equal(results.reduce((a, r) => a + r.skipped, 0) >= w.counts.d, true, 'tombstones are skipped');

  const reader = new S3LakeSink({ config: { location: `s3://${bucket}/lake`, s3: S3 } });
  const { dir, keys } = await download(await reader.store());
  await reader.close();
  assert.ok(keys.length > 0);
  for (const k of keys) assert.match(k, /^shop\/orders\/date=\d{4}-\d{2}-\d{2}\/part-[0-2]-\d{19}-\d{19}\.parquet$/);
  const state = await latestState(`${dir}/shop/orders/**/*.parquet`, 'kafka');
  assert.equal(state.rows.length, w.state.size);
  assert.equal(checksum(state.rows), checksum(expectedRows(w)));
  assert.ok(state.changes >= w.events.length, 'every change is in the lake (a rebalance may repeat some: readers dedupe)');

  const text = await metrics.text();
  assert.match(text, /ferry_sink_records_total\{sink="lake-a",table="shop\.orders",op="u"\} \d+/);
  assert.match(text, /ferry_sink_files_total\{sink="lake-(a|b)",table="shop\.orders"\} \d+/);
  assert.match(text, /ferry_sink_batch_seconds_count\{sink="lake-a"\} \d+/);
});
