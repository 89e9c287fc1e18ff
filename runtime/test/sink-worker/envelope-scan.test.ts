// The envelope scanner and the decoder's lazy mode 'snapshot-reads': over the sink kit's workload (every column kind
// of the fixture, reads, inserts, updates, deletes, two schema versions), the scan finds the op, source.ts_ms and the
// after-image; snapshot reads stay undecoded yet decode on access to exactly the eager envelope; every other record is
// decoded when read; truncated or padded bytes are poison at the decode stage.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { EventEncoder } from '../../../schemas/src/event-encoder.ts';
import { afterImageAt, opOf, RecordDecoder, sourceMsOf } from '../../src/sink-worker/record-decoder.ts';
import { AvroReader, EnvelopeScan, envelopeScanner } from '../../src/sink-worker/envelope-scan.ts';
import type { IncomingRecord } from '../../src/kafka/kafka-client.ts';
import type { SinkRecord } from '../../../core/src/record-sink.ts';
import { FakeRegistry } from '../../../test/helpers/sink-kit/fake-registry.ts';
import { fixture, workload } from '../../../test/helpers/sink-kit/fixtures.ts';

const fx = fixture();
const w = workload(fx, { prefix: 'p', rows: 20, snapshotRows: 12, changesV1: 30, changesV2: 30 });
const SOURCE_FIELDS = ['ts_ms', 'db', 'table', 'file', 'pos', 'snapshot'];

async function raws(): Promise<{ registry: FakeRegistry; raws: IncomingRecord[] }> {
  const registry = new FakeRegistry();
  const enc = new EventEncoder({ connector: 'mariadb', topicPrefix: 'p' });
  const out: IncomingRecord[] = [];
  for (const [i, e] of w.events.entries()) {
    const x = await enc.encodeRegistered(e, registry);
    out.push({ topic: x.topic, partition: 0, offset: BigInt(i), key: x.key, value: x.value, timestampMs: 1, headers: new Map() });
  }
  return { registry, raws: out };
}

const canon = (x: unknown): string => JSON.stringify(x, (_k, v: unknown) => (typeof v === 'bigint' ? `${v}n` : v));

async function decodeAll(d: RecordDecoder, rs: readonly IncomingRecord[]) {
  const out = [];
  for (const r of rs) {
    let o = d.decode(r, 'p.shop.orders/0');
    if (o.kind === 'missing') {
      await d.prefetch(o.ids);
      o = d.decode(r, 'p.shop.orders/0');
    }
    out.push(o);
  }
  return out;
}

test("lazy 'snapshot-reads': reads stay Avro bytes with their after-image offset, op and source time; the rest decode when read; all decode to the eager envelope", async () => {
  const { registry, raws: rs } = await raws();
  const eager = (await decodeAll(new RecordDecoder({ registry, sourceFields: SOURCE_FIELDS }), rs)).map((o) => (o as { record: SinkRecord }).record);
  const lazy = (await decodeAll(new RecordDecoder({ registry, sourceFields: SOURCE_FIELDS, lazy: 'snapshot-reads' }), rs)).map((o) => {
    assert.equal(o.kind, 'record');
    return (o as { record: SinkRecord }).record;
  });
  const ops = w.events.map((e) => e.op);
  assert.ok(ops.includes('r') && ops.includes('c') && ops.includes('u') && ops.includes('d'));
  let undecoded = 0;
  for (const [i, r] of lazy.entries()) {
    const e = eager[i]!;
    if (ops[i] === 'r' && i > 0) {
      // (the first record of a version is decoded eagerly: the decoder learns the table's names from it)
      assert.ok(afterImageAt(r) > 5, `read ${i} keeps its after-image offset`);
      assert.equal(opOf(r), 'r');
      assert.equal(sourceMsOf(r), e.envelope.source.ts_ms);
      undecoded++;
    } else {
      assert.equal(afterImageAt(r), -1, `${ops[i]} ${i} is decoded when read`);
    }
    // (two decoders compile two avsc types, whose record classes differ: compare the values)
    assert.equal(canon(r.envelope), canon(e.envelope), `record ${i} decodes to the eager envelope`);
    assert.equal(canon(r.key), canon(e.key));
  }
  assert.equal(undecoded, ops.filter((op) => op === 'r').length - 1);
});

test('the scanner finds op, source.ts_ms and the after-image of every event, and refuses truncated or padded bytes', async () => {
  const { registry, raws: rs } = await raws();
  const records = (await decodeAll(new RecordDecoder({ registry, sourceFields: SOURCE_FIELDS }), rs)).map((o) => (o as { record: SinkRecord }).record);
  const reader = new AvroReader();
  const s = new EnvelopeScan();
  for (const [i, r] of records.entries()) {
    const scanner = envelopeScanner(r.table)!;
    assert.ok(scanner !== null);
    const v = rs[i]!.value!;
    assert.equal(scanner.scan(v, reader, s), true, `event ${i}`);
    assert.equal(String.fromCharCode(s.op), w.events[i]!.op);
    assert.equal(s.tsMs, w.events[i]!.source.tsMs);
    assert.equal(s.afterAt >= 0, w.events[i]!.after !== null);
    assert.equal(scanner.scan(v.subarray(0, v.length - 1), reader, s), false, `event ${i} truncated`);
    assert.equal(scanner.scan(Buffer.concat([v, Buffer.from([0])]), reader, s), false, `event ${i} with a trailing byte`);
  }
  // In the decoder: poison at the decode stage, as without lazy decoding.
  const d = new RecordDecoder({ registry, sourceFields: SOURCE_FIELDS, lazy: 'snapshot-reads' });
  await decodeAll(d, rs.slice(0, 2));
  const read = rs.findIndex((_r, i) => i > 0 && w.events[i]!.op === 'r');
  const bad = { ...rs[read]!, value: rs[read]!.value!.subarray(0, rs[read]!.value!.length - 3) };
  const out = d.decode(bad, 'p.shop.orders/0');
  assert.equal(out.kind, 'poison');
  assert.match((out as { reason: string }).reason, /cannot decode the Avro payload .*truncated or corrupt/);
});
