// The producer's partitioner: murmur2 against the client's own for every key length and random bytes and Kafka's
// published values; by default the partitions Kafka's Java clients (so Debezium) choose; murmur2-unsigned keeps the
// choice of @platformatic/kafka's default partitioner (Ferry 0.1).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { murmur2 as clientMurmur2 } from '@platformatic/kafka';
import { createPartitioner, murmur2 } from '../../src/kafka/kafka-partitioner.ts';

test('murmur2 equals the client\'s for keys of 0..64 bytes (2000 random keys)', () => {
  for (let i = 0; i < 2000; i++) {
    const key = randomBytes(i % 65);
    assert.equal(murmur2(key), clientMurmur2(key), key.toString('hex'));
  }
});

test('murmur2 matches Kafka\'s own test vectors (UtilsTest.testMurmur2)', () => {
  const cases: Array<[string, number]> = [
    ['21', -973932308], ['foobar', -790332482], ['a-little-bit-long-string', -985981536],
    ['a-little-bit-longer-string', -1486304829], ['lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8', -58897971],
    ['abc', 479470107],
  ];
  for (const [s, h] of cases) assert.equal(murmur2(Buffer.from(s)), h, s);
});

// Partitions for 3, 6, 7, 12 and 1000 partitions, printed by Kafka's Java client 4.1.2
// (org.apache.kafka.clients.producer.internals.BuiltInPartitioner.partitionForKey, the default partitioner's keyed
// path) for the keys of UtilsTest.testMurmur2, run once with jshell against infra/kafka/lib.
const JAVA_PARTITIONS: Array<[string, number[]]> = [
  ['21', [0, 0, 3, 0, 340]], ['foobar', [0, 0, 0, 6, 166]], ['a-little-bit-long-string', [2, 2, 1, 8, 112]],
  ['a-little-bit-longer-string', [2, 5, 0, 11, 819]], ['lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8', [2, 5, 3, 5, 677]],
  ['abc', [0, 3, 4, 3, 107]],
];
const COUNTS = [3, 6, 7, 12, 1000];

test('by default a key gets the partition Kafka\'s Java client gives it', () => {
  const p = createPartitioner();
  for (const [key, want] of JAVA_PARTITIONS) {
    assert.deepEqual(COUNTS.map((n) => p({ topic: 't' }, Buffer.from(key)) % n), want, key);
  }
});

test('murmur2-unsigned keeps the client\'s (Ferry 0.1) choice, which differs from Java\'s for some counts that are not powers of two', () => {
  const legacy = createPartitioner('murmur2-unsigned');
  const java = createPartitioner('murmur2');
  let differ = 0;
  for (const [key] of JAVA_PARTITIONS) {
    const k = Buffer.from(key);
    assert.equal(legacy({ topic: 't' }, k), murmur2(k) >>> 0);
    for (const n of [2, 4, 8, 64]) assert.equal(legacy({ topic: 't' }, k) % n, java({ topic: 't' }, k) % n, `${key} / ${n}`);
    for (const n of COUNTS) if (legacy({ topic: 't' }, k) % n !== java({ topic: 't' }, k) % n) differ++;
  }
  assert.ok(differ > 0, 'the two choices must differ somewhere (negative hashes, odd counts)');
});

test('keyed records hash non-negative; keyless ones go round-robin per topic', () => {
  const p = createPartitioner();
  const key = Buffer.from('a-little-bit-long-string');
  assert.equal(p({ topic: 't' }, key), -985981536 & 0x7fffffff);
  assert.deepEqual([p({ topic: 't' }, undefined), p({ topic: 't' }, null), p({ topic: 'u' }, undefined), p({ topic: 't' }, undefined)], [0, 1, 0, 2]);
  assert.equal(p({ topic: 't' }, 'not a buffer'), 0);
});
