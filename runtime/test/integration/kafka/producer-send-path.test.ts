// The producer's send path against the real local broker (patches/@platformatic+kafka: a request's first attempt uses
// the metadata the send has just grouped its records by, a retry looks the metadata up again; one destination
// completes without the general fan-out). Every record must reach the partition it was given or its key hashes to,
// in order, once; a partition whose cached leader is stale (a leader that moved to a broker the client does not
// know) must be retried against fresh metadata, with nothing lost or doubled.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Producer, ProduceAcks } from '@platformatic/kafka';
import { createAdmin, createProducer, readTopicToEnd, type IncomingRecord } from '../../../src/kafka/kafka-client.ts';
import { createPartitioner } from '../../../src/kafka/kafka-partitioner.ts';
import { recordBufferPoolStats } from '../../../../node_modules/@platformatic/kafka/dist/protocol/record-buffer-pool.js';

const brokers = [`127.0.0.1:${process.env.FERRY_KAFKA_PORT ?? 9092}`];
const PARTITIONS = 4;

async function topicOf(name: string): Promise<string> {
  const topic = `ferry-it-send-path-${name}-${process.pid}-${Date.now()}`;
  const admin = createAdmin({ brokers, clientId: 'ferry-it' });
  try {
    await admin.ensureTopics([{ name: topic, partitions: PARTITIONS, replicationFactor: 1, config: {} }]);
  } finally {
    await admin.close();
  }
  return topic;
}

async function readAll(topic: string, count: number): Promise<IncomingRecord[]> {
  const got = await readTopicToEnd({ brokers, clientId: 'ferry-it-reader', topic, limit: count + 1, timeoutMs: 30000 });
  return got.sort((a, b) => a.partition - b.partition || Number(a.offset - b.offset));
}

/** The keys of each partition, in offset order. */
function byPartition(records: readonly { partition: number; key: string }[]): string[][] {
  const out: string[][] = Array.from({ length: PARTITIONS }, () => []);
  for (const r of records) out[r.partition]!.push(r.key);
  return out;
}

interface SentRecord { readonly partition: number; readonly key: string; readonly value: Buffer }

/** A seeded generator (the same values every run): fractions in [0, 1) and Buffers of random bytes. */
function seeded(seed: number): { fraction: () => number; bytes: (size: number) => Buffer } {
  const fraction = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
  return {
    fraction,
    bytes(size) {
      const b = Buffer.alloc(size);
      for (let i = 0; i < size; i++) b[i] = Math.floor(fraction() * 256);
      return b;
    },
  };
}

/** Reads the topic back: every record sent, once, in each partition's send order, byte for byte. */
async function assertReadBack(topic: string, sent: readonly SentRecord[]): Promise<void> {
  const got = await readAll(topic, sent.length);
  assert.equal(got.length, sent.length);
  const expected = [...sent].sort((a, b) => a.partition - b.partition);
  got.forEach((r, i) => {
    assert.equal(r.partition, expected[i]!.partition);
    assert.equal(r.key!.toString(), expected[i]!.key, `record ${i}: key in partition order`);
    assert.ok(r.value!.equals(expected[i]!.value), `record ${expected[i]!.key}: value byte for byte (${expected[i]!.value.length} bytes)`);
  });
}

test('keyed records, several sends: each record on the partition its key hashes to, in send order, once', async () => {
  const topic = await topicOf('keyed');
  const producer = createProducer({ brokers, clientId: 'ferry-it' });
  const partitionOf = createPartitioner('murmur2');
  const sent: { partition: number; key: string }[] = [];
  try {
    for (let s = 0; s < 3; s++) {
      const records = Array.from({ length: 40 }, (_, i) => ({ topic, key: Buffer.from(`s${s}-k${i}`), value: Buffer.from(`v${s}-${i}`) }));
      await producer.send(records);
      for (const r of records) sent.push({ partition: partitionOf(r, r.key) % PARTITIONS, key: r.key.toString() });
    }
  } finally {
    await producer.close();
  }
  const got = await readAll(topic, sent.length);
  assert.equal(got.length, 120);
  assert.deepEqual(byPartition(got.map((r) => ({ partition: r.partition, key: r.key!.toString() }))), byPartition(sent));
  assert.ok(byPartition(sent).every((keys) => keys.length > 0), 'the keys spread over every partition');
  assert.ok(got.every((r) => r.value!.toString() === `v${r.key!.toString().slice(1).replace('-k', '-')}`));
});

test('large requests (written as their parts, checksummed part by part): every record byte for byte, in order', async () => {
  // Requests above 64 KiB go out as their parts in one corked write, and the record batch's CRC is computed over its
  // parts: the broker checks that CRC (a wrong one is refused as a corrupt message) and the bytes read back must equal
  // the bytes sent.
  const topic = await topicOf('large');
  const producer = createProducer({ brokers, clientId: 'ferry-it' });
  const random = seeded(12345);
  const sent: SentRecord[] = [];
  try {
    for (let s = 0; s < 4; s++) {
      // small values, values of a few KiB, and in the last sends some of 100-300 KiB
      const records = Array.from({ length: 200 }, (_, i) => {
        const size = s >= 2 && i % 50 === 7 ? 100_000 + Math.floor(random.fraction() * 200_000) : Math.floor(random.fraction() * 6000);
        return { topic, partition: i % PARTITIONS, key: Buffer.from(`s${s}-k${i}`), value: random.bytes(size) };
      });
      await producer.send(records);
      for (const r of records) sent.push({ partition: r.partition, key: r.key.toString(), value: r.value });
    }
  } finally {
    await producer.close();
  }
  await assertReadBack(topic, sent);
});

test('record batch Buffers reused once each request is answered: concurrent large sends, every record byte for byte', async () => {
  // A request's record batch Buffer (64 KiB and up) comes from a pool and goes back to it when the broker answers
  // (patches/@platformatic+kafka, record-buffer-pool.js). Sends run four at a time, one partition each, so requests
  // are in flight together while others reuse answered ones' Buffers: a Buffer given back too early, or handed to two
  // requests, would put one request's records into another's, which the broker refuses (CRC) or the reader shows.
  const topic = await topicOf('pooled');
  const producer = createProducer({ brokers, clientId: 'ferry-it' });
  const random = seeded(777);
  const sent: SentRecord[] = [];
  const before = recordBufferPoolStats();
  try {
    for (let round = 0; round < 6; round++) {
      const sends = Array.from({ length: PARTITIONS }, (_, p) => {
        // 0.3-1 MB per send: more than the socket takes at once, so requests wait in it while others are built
        const count = 150 + Math.floor(random.fraction() * 350);
        const records = Array.from({ length: count }, (_, i) => (
          { topic, partition: p, key: Buffer.from(`r${round}-p${p}-k${i}`), value: random.bytes(1000 + Math.floor(random.fraction() * 2000)) }
        ));
        for (const r of records) sent.push({ partition: r.partition, key: r.key.toString(), value: r.value });
        return producer.send(records);
      });
      await Promise.all(sends);
    }
  } finally {
    await producer.close();
  }
  const after = recordBufferPoolStats();
  assert.ok(after.reused - before.reused >= 10, `batch Buffers were reused (${after.reused - before.reused} reused, ${after.allocated - before.allocated} allocated)`);
  await assertReadBack(topic, sent);
});

for (const compression of ['gzip', 'snappy', 'lz4', 'zstd'] as const) {
  test(`${compression}: large batches compressed from pooled Buffers, concurrent sends, every record byte for byte`, async () => {
    // A compressed batch is built in a pooled Buffer too (given back when the broker answers, though the request
    // carries the compressed copy); gzip builds its request asynchronously and gives nothing back.
    const topic = await topicOf(`pooled-${compression}`);
    const producer = createProducer({ brokers, clientId: 'ferry-it', compression });
    const random = seeded(4242);
    const sent: SentRecord[] = [];
    try {
      for (let round = 0; round < 3; round++) {
        await Promise.all(Array.from({ length: PARTITIONS }, (_, p) => {
          // half random bytes, half a repeated pattern: 150-400 KB per send before compression
          const records = Array.from({ length: 100 + Math.floor(random.fraction() * 150) }, (_, i) => {
            const size = 1000 + Math.floor(random.fraction() * 1500);
            const value = i % 2 === 0 ? random.bytes(size) : Buffer.alloc(size, `r${round}p${p}i${i}`);
            return { topic, partition: p, key: Buffer.from(`r${round}-p${p}-k${i}`), value };
          });
          for (const r of records) sent.push({ partition: r.partition, key: r.key.toString(), value: r.value });
          return producer.send(records);
        }));
      }
    } finally {
      await producer.close();
    }
    await assertReadBack(topic, sent);
  });
}

for (const stale of ['one partition', 'every partition'] as const) {
  test(`a leader that moved (${stale}'s cached leader unknown): retried on fresh metadata, every record once, in order`, async () => {
    const topic = await topicOf(stale === 'one partition' ? 'stale-one' : 'stale-all');
    const producer = new Producer({ clientId: 'ferry-it', bootstrapBrokers: brokers, acks: ProduceAcks.ALL, idempotent: true, autocreateTopics: false, retries: 3, retryDelay: 50, metadataMaxAge: 120_000 });
    const attempts: number[] = [];
    producer.on('client:performWithRetry', (operation: string, attempt: number) => { if (operation === 'produce') attempts.push(attempt); });
    const message = (n: number) => ({ topic, partition: n % PARTITIONS, key: Buffer.from(`k${n}`), value: Buffer.from(`v${n}`) });
    const sent: { partition: number; key: string }[] = [];
    const send = async (from: number, to: number) => {
      const messages = Array.from({ length: to - from }, (_, i) => message(from + i));
      await producer.send({ messages });
      for (const m of messages) sent.push({ partition: m.partition, key: m.key.toString() });
    };
    try {
      await send(0, 20); // a new topic's first request may meet a leader not yet elected: not counted
      attempts.length = 0;
      await send(20, 30);
      assert.deepEqual(attempts, [0], 'one request, one attempt (one broker leads every partition)');
      // The client's cached partition records are the objects metadata() returns: a leader that is no broker of the
      // cluster is what the cache holds after a leader moved to a broker it has not seen yet.
      const metadata = await producer.metadata({ topics: [topic] });
      const partitions = metadata.topics.get(topic)!.partitions;
      const leader = partitions[0]!.leader;
      for (const p of stale === 'one partition' ? [0] : [0, 1, 2, 3]) partitions[p]!.leader = 4242;
      attempts.length = 0;
      await send(30, 60);
      // The stale destination's request fails once without reaching a broker and is sent again; with one partition
      // stale, the other three partitions' request goes out first time.
      assert.equal(attempts.length, stale === 'one partition' ? 3 : 2);
      const fresh = await producer.metadata({ topics: [topic] });
      assert.deepEqual(fresh.topics.get(topic)!.partitions.map((p) => p.leader), [leader, leader, leader, leader], 'the metadata was refreshed');
      attempts.length = 0;
      await send(60, 80);
      assert.deepEqual(attempts, [0]);
    } finally {
      await producer.close();
    }
    const got = await readAll(topic, sent.length);
    assert.equal(got.length, 80);
    assert.deepEqual(byPartition(got.map((r) => ({ partition: r.partition, key: r.key!.toString() }))), byPartition(sent));
    assert.ok(got.every((r) => r.value!.toString() === `v${r.key!.toString().slice(1)}`));
  });
}
