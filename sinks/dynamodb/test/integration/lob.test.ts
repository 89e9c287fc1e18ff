// Rows whose item would exceed DynamoDB's 400 KB (a 500 KB text, a 450 KB binary) under each lob.mode, on moto:
// dlq rejects them with the reason, truncate cuts and flags them, s3 offloads the values and stores {uri, sha256, size}.
// The other rows of the batch are written in every mode; nothing is dropped silently.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import type { ChangeEvent } from '../../../../core/src/types.ts';
import { fixture, workload } from '../../../../test/helpers/sink-kit/fixtures.ts';
import { kafkaRecords } from '../../../../test/helpers/sink-kit/records.ts';
import { createBucket, S3 } from '../../../../test/helpers/sink-kit/services.ts';
import { openObjectStore } from '../../../../runtime/src/storage/object-store.ts';
import { uniqueName } from '../../../../test/helpers/services.ts';
import { DynamoDbSink } from '../../src/DynamoDbSink.ts';
import { itemSize } from '../../src/item-codec.ts';
import type { DynamoConfigInput } from '../../src/config.ts';
import { DDB, scanAll, writeAll } from '../helpers/dynamo.ts';

const fx = fixture();
const BIG_TEXT = 'é'.repeat(250_000); // 500,000 UTF-8 bytes
const BIG_BIN = Buffer.alloc(450_000, 7);

async function run(prefix: string, lob: DynamoConfigInput['lob']) {
  const w = workload(fx, { prefix, rows: 5, changesV1: 0, changesV2: 0 });
  const events: ChangeEvent[] = w.events.map((e) => {
    const id = e.key!.id as number;
    if (id === 2) return { ...e, after: { ...e.after!, note: BIG_TEXT } };
    if (id === 4) return { ...e, after: { ...e.after!, bin: BIG_BIN, note: 'small' } };
    return e;
  });
  const { records } = await kafkaRecords(events, { prefix, sourceFields: ['ts_ms', 'file', 'pos', 'lsn'] });
  const sink = new DynamoDbSink({ name: 'ddb', config: { client: DDB, tableName: `${prefix}_{table}`, lob } });
  try {
    const reasons = await writeAll(sink, records);
    const items = new Map((await scanAll(`${prefix}_orders`)).map((i) => [Number(i.id!.N), i]));
    return { reasons, items };
  } finally {
    await sink.close();
  }
}

test('lob.mode dlq: the oversized rows are rejected with the reason, the rest written', { timeout: 60000 }, async () => {
  const { reasons, items } = await run(uniqueName('ddblobd'), { mode: 'dlq' });
  assert.equal(reasons.length, 2);
  for (const r of reasons) assert.match(r, /item is \d+ bytes, over the 400000-byte DynamoDB item limit \(lob.mode dlq\)/);
  assert.deepEqual([...items.keys()].sort(), [1, 3, 5]);
});

test('lob.mode truncate: the largest attribute is cut to fit and flagged in _ferry_truncated', { timeout: 60000 }, async () => {
  // moto counts a binary attribute at its base64 length (DynamoDB: the raw bytes), so leave it room here.
  const { reasons, items } = await run(uniqueName('ddblobt'), { mode: 'truncate', maxItemBytes: 300_000 });
  assert.deepEqual(reasons, []);
  assert.equal(items.size, 5);
  const text = items.get(2)!;
  assert.deepEqual(text._ferry_truncated?.SS, ['note']);
  assert.ok(BIG_TEXT.startsWith(text.note!.S!) && text.note!.S!.length > 100_000, 'a prefix of the text, cut on a character boundary');
  assert.ok(itemSize(text) <= 300_000 && itemSize(text) > 250_000);
  const bin = items.get(4)!;
  assert.deepEqual(bin._ferry_truncated?.SS, ['bin']);
  assert.ok(Buffer.from(bin.bin!.B!).equals(BIG_BIN.subarray(0, bin.bin!.B!.length)) && bin.bin!.B!.length > 250_000);
  assert.equal(items.get(1)!._ferry_truncated, undefined, 'rows that fit are untouched');
});

test('lob.mode s3: the large values are offloaded to S3 and referenced by {uri, sha256, size}', { timeout: 60000 }, async () => {
  const prefix = uniqueName('ddblobs');
  const bucket = prefix.replace(/_/g, '-');
  await createBucket(bucket);
  const { reasons, items } = await run(prefix, { mode: 's3', s3: { location: `s3://${bucket}/lob`, client: S3 } });
  assert.deepEqual(reasons, []);
  assert.equal(items.size, 5);
  const store = await openObjectStore(`s3://${bucket}`, S3);
  try {
    for (const [id, col, body] of [[2, 'note', Buffer.from(BIG_TEXT, 'utf8')], [4, 'bin', BIG_BIN]] as const) {
      const item = items.get(id)!;
      assert.deepEqual(item._ferry_offloaded?.SS, [col]);
      const ref = item[col]!.M!;
      const sha = createHash('sha256').update(body).digest('hex');
      assert.equal(ref.sha256!.S, sha);
      assert.equal(ref.size!.N, String(body.length));
      assert.equal(ref.uri!.S, `s3://${bucket}/lob/${prefix}_orders/${sha}`);
      const got = await store.get(`lob/${prefix}_orders/${sha}`);
      assert.ok(got.equals(body), 'the object holds the exact value');
    }
  } finally {
    await store.close();
  }
});
