// The producer's partitioner must assign exactly the partitions of @platformatic/kafka's default one (which it replaces
// for speed): murmur2 against the client's own for every key length and random bytes, and Kafka's published values.
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

test('keyed records hash unsigned; keyless ones go round-robin per topic', () => {
  const p = createPartitioner();
  const key = Buffer.from('a-little-bit-long-string');
  assert.equal(p({ topic: 't' }, key), -985981536 >>> 0);
  assert.deepEqual([p({ topic: 't' }, undefined), p({ topic: 't' }, null), p({ topic: 'u' }, undefined), p({ topic: 't' }, undefined)], [0, 1, 0, 2]);
  assert.equal(p({ topic: 't' }, 'not a buffer'), 0);
});
