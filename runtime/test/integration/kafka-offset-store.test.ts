// Offsets in a compacted Kafka topic, against the real local broker.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { KafkaOffsetStore } from '../../src/offsets/KafkaOffsetStore.ts';
import { createAdmin } from '../../src/kafka/kafka-client.ts';
import { binlogPosition } from '../../../core/src/position.ts';

const brokers = [`127.0.0.1:${process.env.FERRY_KAFKA_PORT ?? 9092}`];

test('commit then read back, latest per task wins, across store instances; the topic is compacted', async () => {
  const topic = `ferry-it-offsets-${Date.now()}`;
  const a = new KafkaOffsetStore({ brokers, clientId: 'ferry-it', topic, replicationFactor: 1 });
  assert.equal(await a.read('t1'), null);
  await a.commit('t1', { position: binlogPosition({ file: 'b.000001', pos: 100 }), snapshotDone: false, formatVersion: 1, state: { tables: { 'db.t': { lastKey: [42] } } } });
  await a.commit('t2', { position: binlogPosition({ file: 'b.000001', pos: 50 }), snapshotDone: true, formatVersion: 1 });
  await a.commit('t1', { position: binlogPosition({ file: 'b.000002', pos: 4, gtid: '0-1-9' }), snapshotDone: true, formatVersion: 1 });
  await a.close();
  const b = new KafkaOffsetStore({ brokers, clientId: 'ferry-it-2', topic, replicationFactor: 1 });
  assert.deepEqual(await b.read('t1'), { position: 'mysql:0000000002:000000000004:b:0-1-9', snapshotDone: true, formatVersion: 1 });
  assert.deepEqual(await b.read('t2'), { position: 'mysql:0000000001:000000000050:b', snapshotDone: true, formatVersion: 1 });
  assert.equal(await b.read('t3'), null);
  await b.close();
  const admin = createAdmin({ brokers, clientId: 'ferry-it' });
  assert.equal(await admin.partitionCount(topic), 1);
  assert.equal((await admin.topicConfig(topic))['cleanup.policy'], 'compact');
  await admin.deleteTopics([topic]);
  await admin.close();
});

test('an unreachable broker is a coded, retryable error naming the address', async () => {
  const s = new KafkaOffsetStore({ brokers: ['127.0.0.1:1'], clientId: 'ferry-it', topic: 'x', replicationFactor: 1, timeoutMs: 2000 });
  await assert.rejects(s.read('t'), (e: unknown) => {
    const err = e as { code?: string; disposition?: string; message: string };
    return err.code === 'FERRY_KAFKA_UNREACHABLE' && err.disposition === 'retry' && err.message.startsWith('cannot reach Kafka at 127.0.0.1:1');
  });
  await s.close();
});
