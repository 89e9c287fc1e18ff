// Direct mode: the same RecordSink behind a source with no Kafka. Records must equal Kafka-mode records, with a
// deterministic (position, ordinal) identity; rejected records go to the dead-letter file.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { DirectSinkAdapter } from '../../src/sink-worker/DirectSinkAdapter.ts';
import { fileDeadLetterQueue } from '../../src/sink-worker/dead-letter.ts';
import { runName } from '../../src/sink-worker/record-identity.ts';
import type { RecordSink, SinkRecord } from '../../../core/src/record-sink.ts';
import { createLogger } from '../../src/log/logger.ts';
import { PromMetrics } from '../../src/metrics/metrics.ts';
import { fixture, workload } from '../../../test/helpers/sink-kit/fixtures.ts';
import { kafkaRecords } from '../../../test/helpers/sink-kit/records.ts';

const quiet = () => createLogger({ destination: new Writable({ write(_c, _e, cb) { cb(); } }) });
const fx = fixture();
const w = workload(fx, { prefix: 'p', rows: 40, changesV1: 60, changesV2: 60, snapshotRows: 10 });

function adapter(sink: RecordSink, dlqPath = join(mkdtempSync(join(tmpdir(), 'ferry-dlq-')), 'dlq.jsonl')) {
  return new DirectSinkAdapter({ sink, connector: 'mariadb', topicPrefix: 'p', deadLetters: fileDeadLetterQueue(dlqPath), log: quiet(), metrics: new PromMetrics({ collectProcessMetrics: false }) });
}

const plain = (x: unknown): unknown => JSON.parse(JSON.stringify(x, (_k, v: unknown) => (typeof v === 'bigint' ? `${v}n` : v)));

test('direct-mode records equal Kafka-mode records: same values, field names, table shape', async () => {
  const got: SinkRecord[] = [];
  const a = adapter({ name: 'mem', async write(r) { got.push(...r); }, async close() {} });
  await a.write(w.events, { signal: new AbortController().signal, log: quiet(), metrics: new PromMetrics({ collectProcessMetrics: false }) });
  const k = await kafkaRecords(w.events, { prefix: 'p', sourceFields: 'all' });
  assert.equal(got.length, k.records.length);
  for (let i = 0; i < got.length; i++) {
    const d = got[i]!;
    const kr = k.records[i]!;
    assert.deepEqual(plain(d.envelope.before), plain(kr.envelope.before));
    assert.deepEqual(plain(d.envelope.after), plain(kr.envelope.after));
    assert.equal(d.envelope.op, kr.envelope.op);
    assert.deepEqual(plain(d.key), plain(kr.key));
    assert.equal(d.topic, kr.topic);
    assert.deepEqual(d.table.columns, kr.table.columns);
    assert.deepEqual(d.table.primaryKey, kr.table.primaryKey);
    assert.equal(d.partition, null);
    assert.equal(d.offset, null);
    assert.equal(d.position, w.events[i]!.source.position);
  }
});

test('identity: snapshot reads are ordinal 0, transaction events 1..n; a retry (or redelivery) of the same events gets the same ids and names', async () => {
  const seen: SinkRecord[][] = [];
  let fail = true;
  const a = adapter({ name: 'flaky', async write(r) { seen.push([...r]); if (fail) { fail = false; throw new Error('transient'); } }, async close() {} });
  const ctx = { signal: new AbortController().signal, log: quiet(), metrics: new PromMetrics({ collectProcessMetrics: false }) };
  const batch = w.events.slice(0, 30);
  await assert.rejects(a.write(batch, ctx));
  await a.write(batch, ctx); // the pipeline's retry
  assert.deepEqual(seen[0]!.map((r) => [r.position, r.event]), seen[1]!.map((r) => [r.position, r.event]));
  assert.equal(runName(seen[0]!), runName(seen[1]!));
  const first = seen[1]!;
  for (let i = 0; i < 10; i++) assert.equal(first[i]!.event, 0, 'snapshot read');
  // Within a transaction (shared position) the ordinals count up from 1.
  for (let i = 10; i < first.length; i++) {
    const prev = first[i - 1]!;
    const cur = first[i]!;
    assert.equal(cur.event, prev.position === cur.position && prev.event !== 0 ? prev.event! + 1 : 1);
  }
  // A new adapter (restart) redelivering the same transactions numbers them the same way.
  const again: SinkRecord[] = [];
  const b = adapter({ name: 'mem', async write(r) { again.push(...r); }, async close() {} });
  const from = first.findIndex((r, i) => i >= 10 && r.event === 1);
  await b.write(batch.slice(from), ctx);
  assert.deepEqual(again.map((r) => [r.position, r.event]), first.slice(from).map((r) => [r.position, r.event]));
});

test('records the sink rejects are written to the dead-letter file and the write succeeds', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'ferry-dlq-'));
  const path = join(dir, 'dlq.jsonl');
  const a = adapter({ name: 'picky', async write(r) { return { rejected: r.filter((x) => x.envelope.op === 'd').map((x) => ({ record: x, reason: 'no deletes here' })) }; }, async close() {} }, path);
  const metrics = new PromMetrics({ collectProcessMetrics: false });
  await a.write(w.events, { signal: new AbortController().signal, log: quiet(), metrics });
  const lines = readFileSync(path, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
  assert.equal(lines.length, w.counts.d);
  assert.equal(lines[0]!.stage, 'sink');
  assert.equal(lines[0]!.reason, 'no deletes here');
  assert.equal(lines[0]!.sink, 'picky');
  assert.match(String(lines[0]!.position), /^mysql:/);
  assert.ok((lines[0]!.change as { envelope: { before: unknown } }).envelope.before);
});
