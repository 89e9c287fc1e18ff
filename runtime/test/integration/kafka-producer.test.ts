// The producers against the real local broker: the broker applies a topic's max.message.bytes to each partition's
// record batch, so a send must be split into requests whose batches stay under it, not only under the request budget.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createAdmin, createProducer, createTransactionalProducer, readTopicToEnd, type OutgoingRecord } from '../../src/kafka/kafka-client.ts';
import { FerryError } from '../../../core/src/errors.ts';

const brokers = [`127.0.0.1:${process.env.FERRY_KAFKA_PORT ?? 9092}`];
const LIMIT = 16384;

async function smallTopic(name: string): Promise<string> {
  const topic = `ferry-it-producer-${name}-${Date.now()}`;
  const admin = createAdmin({ brokers, clientId: 'ferry-it' });
  try {
    await admin.ensureTopics([{ name: topic, partitions: 1, replicationFactor: 1, config: { 'max.message.bytes': String(LIMIT) } }]);
  } finally {
    await admin.close();
  }
  return topic;
}

/** 300 records of ~500 bytes (150 KB, nine times the topic's limit), with headers, for one partition. */
const records = (topic: string): OutgoingRecord[] => Array.from({ length: 300 }, (_, i) => ({
  topic, partition: 0, key: Buffer.from(`k${i}`), value: Buffer.alloc(450, i % 256), headers: new Map([['h', Buffer.from(`v${i}`)]]),
}));

async function assertAllThere(topic: string, sent: readonly OutgoingRecord[]): Promise<void> {
  // A transaction's commit markers are written after the commit returns, so the readable end can lag a moment.
  let got = await readTopicToEnd({ brokers, clientId: 'ferry-it-reader', topic, limit: sent.length, timeoutMs: 30000 });
  for (const until = Date.now() + 30000; got.length < sent.length && Date.now() < until;) {
    await new Promise((r) => setTimeout(r, 200));
    got = await readTopicToEnd({ brokers, clientId: 'ferry-it-reader', topic, limit: sent.length, timeoutMs: 30000 });
  }
  assert.deepEqual(got.map((r) => r.key?.toString()), sent.map((r) => r.key?.toString()), 'every record, in order');
  assert.ok(got.every((r, i) => r.value!.equals(sent[i]!.value!) && r.headers.get('h')?.toString() === `v${i}`));
}

test('a send larger than the topic\'s max.message.bytes is split into batches under it', async () => {
  const topic = await smallTopic('plain');
  const producer = createProducer({ brokers, clientId: 'ferry-it', maxMessageBytes: LIMIT });
  const sent = records(topic);
  try {
    await producer.send(sent);
  } finally {
    await producer.close();
  }
  await assertAllThere(topic, sent);
});

test('the same holds inside a transaction', async () => {
  const topic = await smallTopic('tx');
  const producer = createTransactionalProducer({ brokers, clientId: 'ferry-it', transactionalId: `ferry-it-${Date.now()}`, maxMessageBytes: LIMIT });
  const sent = records(topic);
  try {
    await producer.sendInTransaction(sent);
  } finally {
    await producer.close();
  }
  await assertAllThere(topic, sent);
});

test('a record whose headers take it over the limit is refused before anything is sent', async () => {
  const topic = await smallTopic('big');
  const producer = createProducer({ brokers, clientId: 'ferry-it', maxMessageBytes: LIMIT });
  try {
    const big: OutgoingRecord = { topic, key: Buffer.from('k'), value: Buffer.alloc(LIMIT - 2000), headers: new Map([['trace', Buffer.alloc(4000)]]) };
    await assert.rejects(producer.send([big]), (e: unknown) => e instanceof FerryError && e.code === 'FERRY_EVENT_TOO_LARGE' && /over the 16384-byte limit/.test(e.message));
  } finally {
    await producer.close();
  }
});

test('records are sent as they are or converted, and read back exactly either way; the caller\'s records are not changed', async () => {
  // The producer passes a record without headers or its own timestamp to the client as it is (kafka-producer.ts,
  // toMessages) and converts the others. Frozen records fail the test if anything writes to them.
  const topic = await smallTopic('mixed');
  const producer = createProducer({ brokers, clientId: 'ferry-it', maxMessageBytes: LIMIT });
  const created = 1_700_000_000_123;
  const sent: OutgoingRecord[] = [
    { topic, key: Buffer.from('plain'), value: Buffer.from('v0') },
    { topic, key: null, value: Buffer.from('keyless'), partition: 0 },
    { topic, key: Buffer.from('with-headers'), value: Buffer.from('v2'), headers: new Map([['trace', Buffer.from('t2')], ['empty', Buffer.alloc(0)]]) },
    { topic, key: Buffer.from('with-time'), value: Buffer.from('v3'), timestampMs: created },
    { topic, key: Buffer.from('tombstone'), value: null },
    { topic, key: Buffer.from('empty-value'), value: Buffer.alloc(0) },
  ].map((r) => Object.freeze(r));
  const before = Date.now();
  try {
    await producer.send(Object.freeze(sent));
    await producer.send(Object.freeze(sent.filter((r) => r.headers === undefined && r.timestampMs === undefined)));
  } finally {
    await producer.close();
  }
  const got = await readTopicToEnd({ brokers, clientId: 'ferry-it-reader', topic, limit: 10, timeoutMs: 30000 });
  const expected = [...sent, ...sent.filter((r) => r.headers === undefined && r.timestampMs === undefined)];
  assert.equal(got.length, expected.length);
  got.forEach((r, i) => {
    const s = expected[i]!;
    assert.equal(r.key?.toString('hex') ?? null, s.key?.toString('hex') ?? null, `key of record ${i}`);
    assert.equal(r.value?.toString('hex') ?? null, s.value?.toString('hex') ?? null, `value of record ${i}`);
    assert.deepEqual([...r.headers].map(([k, v]) => [k, v.toString()]), [...(s.headers ?? [])].map(([k, v]) => [k, v.toString()]), `headers of record ${i}`);
    if (s.timestampMs !== undefined) assert.equal(r.timestampMs, created);
    else assert.ok(r.timestampMs >= before && r.timestampMs <= Date.now(), `record ${i} stamped with the send time, got ${r.timestampMs}`);
  });
});
