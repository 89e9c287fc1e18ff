// patches/@platformatic+kafka: the producer writes a batch's records into one Buffer instead of a Writer and small
// Buffers per record. The records must be byte for byte those of the client's own per-record encoder (createRecord),
// and the batch must read back (Reader, readRecordsBatch: CRC-covered header, records, headers, nulls, compression).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { createRecord, createRecordsBatch, readRecordsBatch, Reader } from '@platformatic/kafka';

interface Message { topic: string; partition: number; key?: Buffer | null; value?: Buffer | null; headers: Map<Buffer, Buffer>; timestamp: bigint }

let seed = 7;
const rand = (n: number) => { seed = (seed * 1103515245 + 12345) % 2147483648; return seed % n; };
const bytes = (n: number) => randomBytes(n);

function messages(count: number): Message[] {
  const base = 1_767_225_600_000n;
  const out: Message[] = [];
  for (let i = 0; i < count; i++) {
    const kind = rand(6);
    const headers = new Map<Buffer, Buffer>();
    for (let h = 0; h < (kind === 0 ? 2 : 0); h++) headers.set(Buffer.from(`h${h}`), bytes(rand(40)));
    out.push({
      topic: 't', partition: 0,
      key: kind === 1 ? null : kind === 2 ? Buffer.alloc(0) : bytes(1 + rand(30)),
      value: kind === 3 ? null : kind === 4 ? bytes(20000 + rand(500)) : bytes(rand(300)),
      headers,
      // runs of one timestamp (the encoder reuses a repeated delta), deltas of both signs, from 0 to a day
      timestamp: rand(2) === 0 ? base : base + BigInt(rand(3) === 0 ? -rand(86_400_000) : rand(3) === 0 ? rand(100) : rand(86_400_000)),
    });
  }
  return out;
}

const clone = (ms: Message[]) => ms.map((m) => ({ ...m }));

for (const count of [1, 2, 50, 700]) {
  test(`a batch of ${count} records: the records are createRecord's bytes and read back`, () => {
    const ms = messages(count);
    const batch = createRecordsBatch(clone(ms) as never, { producerId: 42n, producerEpoch: 3, sequences: undefined } as never).buffer;
    const first = ms[0]!.timestamp;
    const expected = Buffer.concat(ms.map((m, i) => createRecord(m as never, i, first).buffer));
    assert.equal(batch.length, 61 + expected.length);
    assert.ok(batch.subarray(61).equals(expected));
    const read = readRecordsBatch(Reader.from(batch));
    assert.equal(read.records.length, count);
    assert.equal(read.producerId, 42n);
    assert.equal(read.firstTimestamp, first);
    assert.equal(read.maxTimestamp, ms.reduce((a, m) => (m.timestamp > a ? m.timestamp : a), first));
    read.records.forEach((r, i) => {
      const m = ms[i]!;
      assert.equal(r.offsetDelta, i);
      assert.equal(BigInt(r.timestampDelta), m.timestamp - first);
      assert.deepEqual(r.key, m.key ?? null);
      assert.deepEqual(r.value, m.value ?? null);
      assert.deepEqual(r.headers.map(([k, v]) => [k?.toString(), v]), [...m.headers].map(([k, v]) => [k.toString(), v]));
    });
  });
}

test('a compressed batch reads back', () => {
  const ms = messages(100);
  const batch = createRecordsBatch(clone(ms) as never, { compression: 'gzip' } as never).buffer;
  const read = readRecordsBatch(Reader.from(batch));
  assert.deepEqual(read.records.map((r) => r.value), ms.map((m) => m.value ?? null));
});
