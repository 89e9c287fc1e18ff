// The byte budgets (runtime/src/pipeline/BatchQueue.ts, Channel.ts, event-bytes.ts): the batch queue holds at most
// capacityBytes before the reader waits, and a merged batch stops at maxBytes, whatever the event counts allow.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BatchQueue } from '../../src/pipeline/BatchQueue.ts';
import { Channel } from '../../src/pipeline/Channel.ts';
import { batchBytes, defaultBatchMaxBytes, eventBytes } from '../../src/pipeline/event-bytes.ts';
import { binlogPosition } from '../../../core/src/position.ts';
import type { ChangeBatch, ChangeEvent, TableSchema } from '../../../core/src/types.ts';

const table: TableSchema = { id: { schema: 'db', table: 't' }, version: 1, primaryKey: ['id'], columns: [{ name: 'id', type: { type: 'int32' }, nullable: false, sourceType: 'int' }] };
const pos = (n: number) => binlogPosition({ file: 'b.000001', pos: n });
const ev = (id: number, note = ''): ChangeEvent => ({ op: 'c', key: { id }, before: null, after: { id, note }, tsMs: 0, table, source: { connector: 'mariadb', name: 'x', tsMs: 0, snapshot: 'false', db: 'db', table: 't', position: pos(id) } });
/** A source batch of `n` events that says it holds `bytes`. */
const batch = (first: number, n: number, bytes: number): ChangeBatch => ({ events: Array.from({ length: n }, (_, i) => ev(first + i)), checkpoint: pos(first + n - 1), bytes });
const tick = () => new Promise<void>((resolve) => setImmediate(resolve));

test('the queue holds at most capacityBytes: the reader waits for the writer, not for the event count', async () => {
  const q = new BatchQueue({ capacityEvents: 1000, capacityBytes: 10000 });
  const pushed: number[] = [];
  const reader = (async () => {
    for (let i = 0; i < 6; i++) {
      await q.push(batch(i * 10 + 1, 10, 4000));
      pushed.push(i);
    }
    q.close();
  })();
  await tick();
  // 2 × 4000 bytes fit in 10000; the third would make 12000.
  assert.deepEqual(pushed, [0, 1]);
  assert.equal(q.size, 20);
  assert.equal(q.bytes, 8000);
  // A merged batch of at most 4000 bytes: one source batch; the reader then gets room for one more.
  const first = await q.take({ maxEvents: 1000, maxBytes: 4000, maxDelayMs: 0 });
  assert.equal(first!.events.length, 10);
  assert.equal(first!.events[0]!.after!.id, 1);
  await tick();
  assert.deepEqual(pushed, [0, 1, 2]);
  assert.equal(q.bytes, 8000);
  // maxBytes 8000 takes both queued batches; maxEvents alone (1000) would have allowed all six.
  const second = await q.take({ maxEvents: 1000, maxBytes: 8000, maxDelayMs: 0 });
  assert.equal(second!.events.length, 20);
  assert.equal(second!.events[0]!.after!.id, 11);
  let rest = 0;
  for (let b = await q.take({ maxEvents: 1000, maxBytes: 8000, maxDelayMs: 0 }); b !== null; b = await q.take({ maxEvents: 1000, maxBytes: 8000, maxDelayMs: 0 })) rest += b.events.length;
  await reader;
  assert.equal(rest, 30);
});

test('a source batch larger than the byte capacity still goes through, alone', async () => {
  const q = new BatchQueue({ capacityEvents: 1000, capacityBytes: 1000 });
  await q.push(batch(1, 5, 5000)); // accepted: the queue was empty
  let second = false;
  const p = q.push(batch(6, 1, 10)).then(() => { second = true; });
  await tick();
  assert.equal(second, false);
  const b = await q.take({ maxEvents: 1000, maxBytes: 1000, maxDelayMs: 0 });
  assert.equal(b!.events.length, 5); // never split
  await p;
  assert.equal(second, true);
  assert.equal(q.bytes, 10);
});

test('without a byte size from the source, a batch is estimated from its first, middle and last events', () => {
  const small = ev(1);
  const wide = ev(2, 'x'.repeat(1000));
  assert.equal(eventBytes(wide) - eventBytes(small), 1000);
  const events = [small, small, wide, small, wide];
  // (small + wide + wide) / 3 × 5
  assert.equal(batchBytes({ events, checkpoint: null }), Math.round(((eventBytes(small) + 2 * eventBytes(wide)) / 3) * 5));
  assert.equal(batchBytes({ events: events.slice(0, 3), checkpoint: null }), 2 * eventBytes(small) + eventBytes(wide));
  assert.equal(batchBytes({ events: [], checkpoint: null, messages: [{ prefix: 'p', content: Buffer.alloc(0), transactional: true, lsn: '0/0' } as never] }), 256);
  assert.equal(batchBytes({ events, checkpoint: null, bytes: 42 }), 42);
});

test('a weighed channel (snapshot read-ahead) holds at most capacityWeight, and one item of any weight when empty', async () => {
  const ch = new Channel<number>(10, { weigh: (n) => n, capacityWeight: 100 });
  const put: number[] = [];
  const producer = (async () => {
    for (const n of [60, 30, 20, 500, 1]) {
      await ch.put(n);
      put.push(n);
    }
    ch.close();
  })();
  await tick();
  assert.deepEqual(put, [60, 30]); // 60 + 30 + 20 > 100
  assert.equal(await ch.take(), 60);
  await tick();
  assert.deepEqual(put, [60, 30, 20]); // 500 waits until the channel is empty
  assert.equal(await ch.take(), 30);
  assert.equal(await ch.take(), 20);
  await tick();
  assert.deepEqual(put, [60, 30, 20, 500]);
  assert.equal(await ch.take(), 500);
  assert.equal(await ch.take(), 1);
  assert.equal(await ch.take(), undefined);
  await producer;
});

test('batch.maxBytes by default: 1 MiB for the default 2,000 events, and 512 bytes per event when maxEvents is raised', () => {
  assert.equal(defaultBatchMaxBytes(2000), 1048576);
  assert.equal(defaultBatchMaxBytes(100), 1048576);
  assert.equal(defaultBatchMaxBytes(50000), 25600000); // a direct lake target's 50k-event batches of narrow rows
  // 2,000 narrow events fit in the default: the byte budget does not cut the batches that maxEvents allows
  const narrow = Array.from({ length: 2000 }, (_, i) => eventBytes(ev(i, 'x'.repeat(40))));
  assert.ok(narrow.reduce((a, b) => a + b, 0) <= defaultBatchMaxBytes(2000), `2,000 events of ${narrow[0]} bytes`);
});
