// Per-key order under partial failures and throttling, against moto through the REAL SDK client wrapped with fault
// injection (FaultyKinesisClient): whole calls throw ProvisionedThroughputExceeded, and records of a call fail with
// ProvisionedThroughputExceeded or InternalFailure while the others are written. What lands in Kinesis is read back
// over every shard; each key's changes must appear exactly once each, in source order.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { KinesisSink } from '../../src/KinesisSink.ts';
import type { KinesisConfigInput } from '../../src/config.ts';
import { fixture, workload } from '../../../../test/helpers/sink-kit/fixtures.ts';
import { kafkaRecords } from '../../../../test/helpers/sink-kit/records.ts';
import { uniqueName } from '../../../../test/helpers/sink-kit/services.ts';
import { writeContext } from '../helpers/context.ts';
import { createStream, deaggregate, FaultyKinesisClient, readStream } from '../helpers/kinesis.ts';

const fx = fixture();

interface Landed {
  readonly key: string;
  readonly seq: string;
}

async function scenario(label: string, config: Partial<KinesisConfigInput>, faults: { throttleCall: number; failRecord: number }, shards = 4): Promise<void> {
  const prefix = uniqueName('kord');
  const stream = prefix.replace(/_/g, '-');
  await createStream(stream, shards);
  // 150 rows, then 2500 changes: most keys change many times; 3 Kafka partitions.
  const w = workload(fx, { prefix, rows: 150, changesV1: 1500, changesV2: 1000 });
  const { records } = await kafkaRecords(w.events, { prefix, partitions: 3 });
  const client = new FaultyKinesisClient(faults, 7);
  const sink = new KinesisSink({
    name: 'k', client,
    config: { stream, maxRecordsPerCall: 60, parallelCalls: 3, retry: { initialDelayMs: 2, maxDelayMs: 20, giveUpAfterMs: 60000 }, ...config },
  });
  const ctx = writeContext();
  for (let i = 0; i < records.length; i += 400) {
    const out = await sink.write(records.slice(i, i + 400), ctx);
    assert.deepEqual(out.rejected ?? [], []);
  }
  await sink.close();
  assert.ok(client.injectedThrottles > 5 && client.injectedFailures > 50, `${label}: faults were injected (${client.injectedThrottles} throttled calls, ${client.injectedFailures} failed records)`);

  const landed = (await readStream(stream))
    // Within a shard, sequence numbers give the order (a key's records share a shard).
    .sort((a, b) => (a.shardId === b.shardId ? (BigInt(a.sequenceNumber) < BigInt(b.sequenceNumber) ? -1 : 1) : a.shardId < b.shardId ? -1 : 1))
    .flatMap((r) => deaggregate(r))
    .map((u): Landed => {
      const doc = JSON.parse(u.data.toString()) as { data: { id: number }; metadata: Record<string, string> };
      return { key: String(doc.data.id), seq: `${doc.metadata['source-stream']}@${doc.metadata['source-sequence']}` };
    });
  assert.equal(landed.length, records.length, `${label}: every change landed exactly once (only failed records were retried)`);
  const byKey = new Map<string, string[]>();
  for (const l of landed) byKey.set(l.key, [...(byKey.get(l.key) ?? []), l.seq]);
  const expected = new Map<string, string[]>();
  for (const r of records) {
    const key = String(r.key!.id);
    expected.set(key, [...(expected.get(key) ?? []), `${r.stream}@${String(r.offset).padStart(19, '0')}`]);
  }
  let reordered = 0;
  for (const [key, seqs] of expected) if (JSON.stringify(byKey.get(key)) !== JSON.stringify(seqs)) reordered++;
  assert.equal(reordered, 0, `${label}: no key is reordered (${reordered} of ${expected.size} keys differ)`);
  const multi = [...expected.values()].filter((s) => s.length >= 5).length;
  assert.ok(multi > 50, `${label}: many keys change many times (${multi})`);
  console.log(`# ${label}: ${records.length} changes, ${client.calls} calls, ${client.injectedThrottles} throttled calls, ${client.injectedFailures} failed records; order holds for ${expected.size} keys`);
}

test('partial failures and throttling: only failed records are retried and no key is reordered (primary-key partition keys)', { timeout: 180000 }, () =>
  scenario('primary-key', {}, { throttleCall: 0.15, failRecord: 0.25 }));

test('same with KPL aggregation and schema-table partition keys (many rows per aggregate)', { timeout: 180000 }, () =>
  scenario('aggregated schema-table', { partitionKeyType: 'schema-table', aggregation: { enabled: true, maxBytes: 8000 } }, { throttleCall: 0.15, failRecord: 0.3 }));

// A row whose partition key changes (transaction-id) moves between shards, and moto numbers each shard from 1 (its
// sequence numbers say nothing across shards): one shard makes arrival order visible. The sink sends a row's next
// change only after the previous one was acknowledged, whatever the shard.
test('same with transaction-id partition keys (a row moves between partition keys; arrival order on one shard)', { timeout: 180000 }, () =>
  scenario('transaction-id', { partitionKeyType: 'transaction-id', aggregation: { enabled: true } }, { throttleCall: 0.1, failRecord: 0.3 }, 1));
