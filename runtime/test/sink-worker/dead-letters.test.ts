// Poison records: garbage bytes in a data topic (undecodable) and a change the sink refuses go to <prefix>.dlq with
// their original bytes and error headers; the worker continues past them and commits.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readTopicToEnd } from '../../src/kafka/kafka-client.ts';
import { runSinkWorker } from '../../src/sink-worker/SinkWorker.ts';
import { DLQ_HEADERS } from '../../src/sink-worker/dead-letter.ts';
import { PromMetrics } from '../../src/metrics/metrics.ts';
import { S3LakeSink } from '../../../sinks/s3-lake/src/S3LakeSink.ts';
import { checksum, expectedRows, fixture, workload } from '../../../test/helpers/sink-kit/fixtures.ts';
import { download, latestState } from '../../../sinks/s3-lake/test/helpers/read-lake.ts';
import { caughtUp, createBucket, endOffsets, produceEvents, produceRaw, quietLog, registry, S3, services, uniqueName } from '../../../test/helpers/sink-kit/services.ts';

const fx = fixture();

test('garbage bytes and a record the sink rejects go to the DLQ with headers; everything else is written', { timeout: 120000 }, async () => {
  const prefix = uniqueName('dlq');
  const bucket = prefix.replace(/_/g, '-');
  await createBucket(bucket);
  const topic = `${prefix}.shop.orders`;
  const w = workload(fx, { prefix, rows: 200, changesV1: 200, changesV2: 0 });
  await produceEvents(w.events.slice(0, 200), { prefix, partitions: 1 });
  const garbage = Buffer.from('this is not Avro');
  await produceRaw([
    { topic, key: Buffer.from('k1'), value: garbage, headers: new Map([['origin', Buffer.from('test')]]) },
    { topic, key: null, value: Buffer.from([0, 0, 0, 0x7f, 0xff, 1, 2, 3]) }, // wire header with an id the registry lacks
  ]);
  // A new row whose TIME value is outside one day (a MySQL TIME used as a duration): the lake cannot store it.
  const bad = { ...w.events[0]!, op: 'c' as const, key: { id: 999999 }, after: { ...w.events[0]!.after!, id: 999999, alarm: -36_000_000_000 } };
  await produceEvents([bad, ...w.events.slice(200)], { prefix, partitions: 1 });
  const ends = await endOffsets(topic);

  const committed = new Map<string, bigint>();
  const metrics = new PromMetrics({ collectProcessMetrics: false });
  const stop = new AbortController();
  const sink = new S3LakeSink({ name: 'lake', config: { location: `s3://${bucket}/lake`, s3: S3, partitioning: { by: 'none' }, maxFileAgeMs: 200 } });
  const run = runSinkWorker({
    brokers: services.brokers, registry: registry(), groupId: `${prefix}-g`, topicPrefix: prefix, sink, log: quietLog(), metrics, batch: { maxRecords: 150 },
    onCommit: ({ offsets }) => { for (const o of offsets) committed.set(`${o.topic}/${o.partition}`, o.offset); },
  }, stop.signal);
  const deadline = Date.now() + 60000;
  while (!caughtUp(committed, ends) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 200));
  stop.abort();
  const result = await run;
  assert.ok(caughtUp(committed, ends), 'the worker committed past the poison records');
  assert.equal(result.deadLetters, 3);

  const dlq = await readTopicToEnd({ brokers: services.brokers, clientId: 'ferry-test-dlq', topic: `${prefix}.dlq` });
  assert.equal(dlq.length, 3);
  const h = (i: number, name: string) => dlq[i]!.headers.get(name)?.toString();
  assert.deepEqual(dlq[0]!.value, garbage, 'the original value bytes');
  assert.equal(dlq[0]!.key?.toString(), 'k1', 'the original key bytes');
  assert.equal(h(0, 'origin'), 'test', 'the original headers are kept');
  assert.equal(h(0, DLQ_HEADERS.topic), topic);
  assert.equal(h(0, DLQ_HEADERS.partition), '0');
  assert.equal(h(0, DLQ_HEADERS.offset), '200');
  assert.equal(h(0, DLQ_HEADERS.stage), 'decode');
  assert.equal(h(0, DLQ_HEADERS.connector), 'lake');
  assert.match(h(0, DLQ_HEADERS.message)!, /not in Confluent wire format/);
  assert.ok(h(0, DLQ_HEADERS.failedAt));
  assert.equal(h(1, DLQ_HEADERS.offset), '201');
  assert.match(h(1, DLQ_HEADERS.message)!, /schema id 32767/);
  assert.equal(h(2, DLQ_HEADERS.stage), 'sink');
  assert.equal(h(2, DLQ_HEADERS.offset), '202');
  assert.match(h(2, DLQ_HEADERS.message)!, /outside one day/);
  assert.equal(dlq[2]!.value![0], 0, 'the rejected record keeps its wire-format value');

  const reader = new S3LakeSink({ config: { location: `s3://${bucket}/lake`, s3: S3 } });
  const { dir } = await download(await reader.store());
  await reader.close();
  await sink.close();
  const state = await latestState(`${dir}/shop/orders/*.parquet`, 'kafka');
  assert.equal(checksum(state.rows), checksum(expectedRows(w)), 'the rejected row is not in the lake; everything else is');
  const text = await metrics.text();
  assert.match(text, /ferry_sink_dead_letters_total\{sink="lake",stage="decode"\} 2/);
  assert.match(text, /ferry_sink_dead_letters_total\{sink="lake",stage="sink"\} 1/);
});
