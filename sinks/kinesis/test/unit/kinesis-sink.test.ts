// Unit tests of the Kinesis sink without a service: a recording client that writes nothing (it plays Kinesis's
// PutRecords answers). Batching limits, oversize records, partition keys, the DMS JSON layout, Avro framing, and the
// KPL aggregate format checked with an independent decoder (test/helpers/kinesis.ts deaggregate, MD5 verified).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { KinesisSink } from '../../src/KinesisSink.ts';
import type { KinesisConfigInput } from '../../src/config.ts';
import type { KinesisPutClient, PutEntry, PutResult } from '../../src/kinesis-client.ts';
import { selectCall, type Entry } from '../../src/put-scheduler.ts';
import { fixture, workload } from '../../../../test/helpers/sink-kit/fixtures.ts';
import { kafkaRecords } from '../../../../test/helpers/sink-kit/records.ts';
import type { SinkRecord } from '../../../../core/src/record-sink.ts';
import { writeContext } from '../helpers/context.ts';
import { deaggregate } from '../helpers/kinesis.ts';

class RecordingClient implements KinesisPutClient {
  readonly calls: PutEntry[][] = [];
  async putRecords(_stream: string, entries: readonly PutEntry[]): Promise<readonly PutResult[]> {
    this.calls.push([...entries]);
    return entries.map((_, i) => ({ ok: true, shardId: 'shardId-0', sequenceNumber: String(i) }));
  }
  async close(): Promise<void> {}
}

const fx = fixture();
const w = workload(fx, { prefix: 'u', rows: 300, changesV1: 400, changesV2: 300, snapshotRows: 100 });
const recordsP = kafkaRecords(w.events, { prefix: 'u', partitions: 2, sourceFields: 'all' });

async function run(config: Partial<KinesisConfigInput>, records?: readonly SinkRecord[]) {
  const client = new RecordingClient();
  const sink = new KinesisSink({ client, config: { stream: 's', ...config } });
  const recs = records ?? (await recordsP).records;
  const out = await sink.write(recs, writeContext());
  const sent = client.calls.flat();
  return { client, sink, out, sent, users: sent.flatMap((e) => deaggregate({ partitionKey: e.partitionKey, data: Buffer.from(e.data) })) };
}

type Doc = { data: Record<string, unknown>; 'before-image'?: Record<string, unknown>; metadata: Record<string, unknown> };
const doc = (d: Uint8Array) => JSON.parse(Buffer.from(d).toString()) as Doc;
/** Sent JSON documents by the identity of their change (stream@sequence): calls interleave keys, not a key's changes. */
const byIdentity = (sent: readonly { data: Uint8Array }[]) => new Map(sent.map((e) => { const d = doc(e.data); return [`${String(d.metadata['source-stream'])}@${String(d.metadata['source-sequence'])}`, d]; }));
const identity = (r: SinkRecord) => `${r.stream}@${String(r.offset).padStart(19, '0')}`;

test('PutRecords calls stay within 500 records and 5 MiB, records within 1 MiB', async () => {
  const { client, sent } = await run({ parallelCalls: 1 });
  assert.equal(sent.length, (await recordsP).records.length);
  assert.ok(client.calls.every((c) => c.length <= 500));
  assert.ok(client.calls.some((c) => c.length > 100), 'calls carry many records');
  const small = await run({ maxRecordsPerCall: 7, maxBytesPerCall: 4096, parallelCalls: 2 });
  for (const c of small.client.calls) {
    assert.ok(c.length <= 7);
    assert.ok(c.reduce((n, e) => n + e.data.length + Buffer.byteLength(e.partitionKey), 0) <= 4096);
  }
});

test('a record over the per-record limit is rejected with a reason (dead-lettered), the rest are written', async () => {
  const { records } = await recordsP;
  const sizes = (await run({})).sent.map((e) => e.data.length + Buffer.byteLength(e.partitionKey)).sort((a, b) => a - b);
  const limit = sizes[Math.floor(sizes.length / 2)]!;
  const { out, sent } = await run({ maxRecordBytes: limit }, records);
  const rejected = out.rejected ?? [];
  assert.ok(rejected.length > 0 && rejected.length < records.length, `some rejected (${rejected.length} of ${records.length})`);
  assert.match(rejected[0]!.reason, /bytes as a Kinesis record \(data \+ partition key\), over the \d+-byte record limit/);
  assert.equal(sent.length + rejected.length, records.length);
  assert.ok(sent.every((e) => e.data.length + Buffer.byteLength(e.partitionKey) <= limit));
});

test('a call never carries two entries of one ordering key; later entries wait behind a held one', () => {
  const e = (pk: string, keys: string[]): Entry => ({ partitionKey: pk, data: Buffer.alloc(10), keys, count: keys.length });
  const a1 = e('a', ['a']); const b1 = e('b', ['b']); const a2 = e('a', ['a']); const agg = e('x', ['c', 'a']); const c2 = e('c', ['c']); const d1 = e('d', ['d']);
  assert.deepEqual(selectCall([a1, b1, a2, agg, c2, d1], { maxRecordsPerCall: 500, maxBytesPerCall: 1e6 }), [a1, b1, d1]);
  assert.deepEqual(selectCall([a1, b1, d1], { maxRecordsPerCall: 2, maxBytesPerCall: 1e6 }), [a1, b1]);
  assert.deepEqual(selectCall([a1, b1, d1], { maxRecordsPerCall: 500, maxBytesPerCall: 21 }), [a1]);
});

test('partition keys follow DMS partition-key-type', async () => {
  const { records } = await recordsP;
  const r = records.find((x) => x.envelope.op === 'u')!;
  const one = async (config: Partial<KinesisConfigInput>) => (await run(config, [r])).sent[0]!.partitionKey;
  assert.equal(await one({}), String(r.key!.id));
  assert.equal(await one({ partitionKeyType: 'schema-table' }), 'shop.orders');
  assert.equal(await one({ partitionKeyType: 'constant', partitionKeyConstant: 'all' }), 'all');
  assert.equal(await one({ partitionKeyType: 'attribute', partitionKeyAttribute: 'customer' }), String(r.envelope.after!.customer) || '<empty>');
  assert.equal(await one({ partitionKeyType: 'transaction-id' }), `${String(r.envelope.source.file)}:${String(r.envelope.source.pos)}`);
  assert.throws(() => new KinesisSink({ client: new RecordingClient(), config: { stream: 's', partitionKeyType: 'attribute' } }), /partitionKeyAttribute/);
});

test('JSON payload: DMS data + metadata layout, values converted exactly', async () => {
  const { records } = await recordsP;
  const { sent } = await run({ beforeImage: true, parallelCalls: 1 });
  const docs = [...byIdentity(sent).values()];
  const ids = byIdentity(sent);
  const ops = new Set(docs.map((d) => d.metadata.operation));
  assert.deepEqual([...ops].sort(), ['delete', 'insert', 'load', 'update']);
  const upd = records.findIndex((x) => x.envelope.op === 'u');
  const d = ids.get(identity(records[upd]!))!;
  assert.deepEqual(Object.keys(d.metadata), ['timestamp', 'record-type', 'operation', 'partition-key-type', 'schema-name', 'table-name', 'transaction-id', 'source-stream', 'source-sequence']);
  assert.equal(d.metadata['record-type'], 'data');
  assert.equal(d.metadata['partition-key-type'], 'primary-key');
  assert.equal(d.metadata['schema-name'], 'shop');
  assert.equal(d.metadata['table-name'], 'orders');
  assert.match(String(d.metadata.timestamp), /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$/);
  assert.equal(d.metadata['source-sequence'], String(records[upd]!.offset).padStart(19, '0'));
  assert.ok(d['before-image'] && d['before-image'].id === d.data.id);
  const del = ids.get(identity(records.find((x) => x.envelope.op === 'd')!))!;
  assert.ok(Object.keys(del.data).length > 0, 'a delete carries the deleted row in data');
});

test('JSON values: decimals, timestamps, dates, times, bytes, bits, points against the source rows', async () => {
  const { records } = await recordsP;
  const { sent } = await run({ parallelCalls: 1 });
  const idx = records.findIndex((x) => x.envelope.op === 'r' && x.envelope.after!.big !== null && x.envelope.after!.bin !== null && x.envelope.after!.alarm !== null);
  const d = byIdentity(sent).get(identity(records[idx]!))!.data;
  const id = Number(d.id);
  const { naturalRow } = await import('../../../../test/helpers/sink-kit/fixtures.ts');
  const n = naturalRow(id, id, 1);
  assert.equal(d.amount, n.amount);
  assert.equal(d.big, n.big);
  assert.equal(d.wide, n.wide);
  assert.equal(d.created, String(n.created).replace(' ', 'T'));
  assert.equal(d.born ?? null, n.born);
  assert.equal(d.alarm, n.alarm);
  assert.equal(d.bin, (n.bin as Buffer).toString('base64'));
  assert.equal(d.doc ?? null, n.doc);
  assert.equal(d.customer, n.customer);
});

test('Avro payload: the original Confluent-framed bytes (magic 0, schema id, Avro)', async () => {
  const { raws, records } = await recordsP;
  const { sent } = await run({ format: 'avro', parallelCalls: 1 });
  assert.equal(sent.length, records.length);
  const rawSet = new Set(raws.map((r) => r.value!.toString('base64')));
  assert.ok(sent.every((e) => rawSet.has(Buffer.from(e.data).toString('base64'))), 'every record is one of the original Kafka values');
  assert.equal(new Set(sent.map((e) => Buffer.from(e.data).toString('base64'))).size, rawSet.size);
  assert.equal(sent[0]!.data[0], 0);
});

test('KPL aggregation: small records pack into aggregates an independent decoder reads back (MD5 checked), in order', async () => {
  const { records } = await recordsP;
  const plain = await run({ parallelCalls: 1, partitionKeyType: 'schema-table' });
  const agg = await run({ parallelCalls: 1, partitionKeyType: 'schema-table', aggregation: { enabled: true, maxBytes: 20_000 } });
  assert.ok(agg.sent.length < records.length / 5, `aggregates hold many records (${agg.sent.length} Kinesis records for ${records.length})`);
  assert.ok(agg.sent.every((e) => e.data.length <= 20_000));
  assert.ok(agg.users.every((u) => u.aggregated && u.partitionKey === 'shop.orders'));
  // The same documents as without aggregation.
  const a = agg.users.map((u) => u.data.toString());
  assert.equal(a.length, records.length);
  assert.equal([...a].sort().join('\n'), plain.sent.map((e) => Buffer.from(e.data).toString()).sort().join('\n'));
  // Each row's changes come out in order (ordering 'row': rows of one aggregate may interleave differently).
  const perRow = new Map<string, string[]>();
  for (const d of a.map((x) => JSON.parse(x) as Doc)) {
    const k = String(d.data.id);
    perRow.set(k, [...(perRow.get(k) ?? []), `${String(d.metadata['source-stream'])}@${String(d.metadata['source-sequence'])}`]);
  }
  for (const [k, seqs] of perRow) assert.ok(seqs.every((x, i) => i === 0 || seqs[i - 1]! < x), `row ${k} in order`);
  assert.ok([...perRow.values()].some((x) => x.length > 3));
  // Records larger than an aggregate may hold go alone, as plain records.
  const big = await run({ parallelCalls: 1, aggregation: { enabled: true, maxBytes: 2200 } });
  assert.ok(big.users.some((u) => !u.aggregated) && big.users.some((u) => u.aggregated));
  assert.equal(big.users.length, records.length);
});
