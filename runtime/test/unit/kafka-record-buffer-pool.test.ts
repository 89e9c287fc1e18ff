// patches/@platformatic+kafka: the record batch Buffers of produce requests come from a pool
// (protocol/record-buffer-pool.js) while Connection.send builds a request, and go back to it when the broker answers
// that request. A Buffer is handed out again only after it was given back: one leased outside a request, one whose
// request failed (dropped), or one beyond the pool's cap is never reused. The producer end to end, against the
// broker, is in runtime/test/integration/kafka/producer-send-path.test.ts.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  beginLeases, dropLeases, endLeases, leaseRecordBuffer, MIN_POOLED_BYTES, POOL_BYTES, recordBufferPoolStats, releaseRecordBuffers,
} from '../../../node_modules/@platformatic/kafka/dist/protocol/record-buffer-pool.js';

/** Leases `sizes` inside one request's collection; the Buffers and what the request would give back. */
function request(sizes: readonly number[]): { buffers: Buffer[]; leased: Buffer[] | null } {
  beginLeases();
  const buffers = sizes.map((s) => leaseRecordBuffer(s));
  return { buffers, leased: endLeases() };
}

test('outside a request, and below MIN_POOLED_BYTES, a batch Buffer is allocated as before and nothing is recorded', () => {
  const outside = leaseRecordBuffer(200_000);
  assert.equal(outside.length, 200_000);
  const { buffers, leased } = request([MIN_POOLED_BYTES - 1, 100]);
  assert.deepEqual(buffers.map((b) => b.length), [MIN_POOLED_BYTES - 1, 100]);
  assert.equal(leased, null);
  const again = request([200_000]);
  assert.notEqual(again.buffers[0]!.buffer, outside.buffer, 'a Buffer never given back is not reused');
  releaseRecordBuffers(again.leased!);
});

test('an answered request\'s Buffers are reused by later requests of a similar size, one request at a time', () => {
  const first = request([300_000, 150_000]);
  assert.equal(first.leased!.length, 2);
  assert.deepEqual(first.buffers.map((b) => b.length), [300_000, 150_000]);
  // While the first request is in flight, a second one gets other memory.
  const second = request([300_000]);
  assert.ok(first.buffers.every((b) => b.buffer !== second.buffers[0]!.buffer));
  const before = recordBufferPoolStats();
  releaseRecordBuffers(first.leased!);
  assert.equal(recordBufferPoolStats().buffers, before.buffers + 2);
  const third = request([290_000, 140_000]);
  assert.deepEqual(third.buffers.map((b) => b.buffer), first.buffers.map((b) => b.buffer), 'the answered request\'s memory, best fit first');
  assert.equal(recordBufferPoolStats().reused, before.reused + 2);
  releaseRecordBuffers(third.leased!);
  releaseRecordBuffers(second.leased!);
  // A far smaller batch does not take a large Buffer (at most 4× the size asked for).
  const large = request([1_000_000]);
  releaseRecordBuffers(large.leased!);
  const small = request([MIN_POOLED_BYTES]);
  assert.notEqual(small.buffers[0]!.buffer, large.buffers[0]!.buffer);
  releaseRecordBuffers(small.leased!);
});

test('a request that failed gives nothing back (dropLeases), so its Buffers are never handed out again', () => {
  beginLeases();
  const failed = leaseRecordBuffer(500_000);
  dropLeases();
  const later = Array.from({ length: 5 }, () => request([500_000]));
  assert.ok(later.every((r) => r.buffers[0]!.buffer !== failed.buffer));
  for (const r of later) releaseRecordBuffers(r.leased!);
});

test('the pool keeps at most POOL_BYTES of free Buffers', () => {
  const many = Array.from({ length: 12 }, () => request([1_000_000]));
  for (const r of many) releaseRecordBuffers(r.leased!);
  const stats = recordBufferPoolStats();
  assert.ok(stats.bytes <= POOL_BYTES, `${stats.bytes} bytes kept`);
  assert.ok(stats.bytes > POOL_BYTES - 1_048_576 * 2, `the pool fills up to its cap (${stats.bytes} bytes)`);
});
