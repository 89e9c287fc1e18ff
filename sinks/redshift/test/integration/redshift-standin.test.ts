// Layer 2: the Redshift sink end to end through the TEST-ONLY PostgreSQL stand-in (see TestOnlyPgCopyExecutor.ts
// for what that proves and does not): staged files in S3 (moto), COPY, MERGE or DELETE+INSERT, the applied-position
// table. The resulting table must equal the source state by checksum.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { runSinkWorker } from '../../../../runtime/src/sink-worker/SinkWorker.ts';
import { PromMetrics } from '../../../../runtime/src/metrics/metrics.ts';
import type { SinkWriteContext } from '../../../../core/src/record-sink.ts';
import { RedshiftSink } from '../../src/RedshiftSink.ts';
import type { RedshiftConfigInput } from '../../src/config.ts';
import { checksum, expectedRows, fixture, workload } from '../../../../test/helpers/sink-kit/fixtures.ts';
import { kafkaRecords } from '../../../../test/helpers/sink-kit/records.ts';
import { caughtUp, createBucket, endOffsets, produceEvents, quietLog, registry, S3, services, uniqueName } from '../../../../test/helpers/sink-kit/services.ts';
import { dropSchema, standIn, tableRows, withPg } from '../helpers.ts';

const fx = fixture();

function config(schema: string, bucket: string, extra: Partial<RedshiftConfigInput> = {}): RedshiftConfigInput {
  return {
    connection: { host: 'unused', database: 'unused', user: 'unused', password: 'unused' },
    targetSchema: schema, stateSchema: schema,
    staging: { location: `s3://${bucket}/staging`, s3: S3 },
    copyAuth: { iamRole: 'arn:aws:iam::123456789012:role/ferry-copy' },
    ...extra,
  };
}

const ctx = (): SinkWriteContext => ({ signal: new AbortController().signal, log: quietLog(), metrics: new PromMetrics({ collectProcessMetrics: false }), report: { file() {} } });

test('Kafka → sink worker → Redshift (stand-in): snapshot by COPY, changes by MERGE, an added column; the table equals the source', { timeout: 180000 }, async () => {
  const prefix = uniqueName('rs');
  const bucket = prefix.replace(/_/g, '-');
  const schema = prefix;
  await createBucket(bucket);
  const w = workload(fx, { prefix, rows: 2000, changesV1: 2500, changesV2: 2500, snapshotRows: 1500 });
  await produceEvents(w.events, { prefix, partitions: 3 });
  const ends = await endOffsets(`${prefix}.shop.orders`);
  const exec = standIn();
  const sink = new RedshiftSink({ name: 'rs', config: config(schema, bucket), executor: exec });
  const committed = new Map<string, bigint>();
  const stop = new AbortController();
  try {
    const run = runSinkWorker({
      brokers: services.brokers, registry: registry(), groupId: `${prefix}-rs`, topicPrefix: prefix, sink, log: quietLog(), metrics: new PromMetrics({ collectProcessMetrics: false }),
      batch: { maxRecords: 1200, maxDelayMs: 300 },
      onCommit: ({ offsets }) => { for (const o of offsets) committed.set(`${o.topic}/${o.partition}`, o.offset); },
    }, stop.signal);
    const deadline = Date.now() + 150000;
    while (!caughtUp(committed, ends) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 250));
    stop.abort();
    const result = await run;
    assert.ok(caughtUp(committed, ends));
    assert.equal(result.deadLetters, 0);

    const rows = await tableRows(schema);
    assert.equal(rows.length, w.state.size);
    assert.equal(checksum(rows), checksum(expectedRows(w)));

    const s = exec.statements;
    assert.ok(s.some((x) => /^COPY "[^"]+"\."orders"\nFROM 's3:\/\//.test(x)), 'snapshot reads are COPYed straight into the table');
    assert.ok(s.some((x) => x.startsWith('MERGE INTO ')), 'changes are MERGEd');
    assert.ok(s.some((x) => /^ALTER TABLE "[^"]+"\."orders" ADD COLUMN "added" VARCHAR\(65535\)$/.test(x)), 'the added column is added');
    assert.ok(s.some((x) => /DISTKEY \("id"\) COMPOUND SORTKEY \("id"\)$/.test(x)));
    const offsets = await withPg((c) => c.query(`SELECT stream, seq FROM "${schema}"."_ferry_sink_offsets" ORDER BY stream`));
    // The applied position of each partition is its last change (tombstones after the last delete are not applied).
    for (const r of offsets.rows as { stream: string; seq: string }[]) assert.ok(BigInt(r.seq) < ends.get(r.stream)! && BigInt(r.seq) >= ends.get(r.stream)! - 2n, `${r.stream} ${r.seq}`);
    assert.equal(offsets.rows.length, ends.size);
  } finally {
    await sink.close();
    await dropSchema(schema);
  }
});

test('redelivery cut differently, a replay of everything, CSV staging and DELETE+INSERT: exactly once', { timeout: 120000 }, async () => {
  const prefix = uniqueName('rs2');
  const bucket = prefix.replace(/_/g, '-');
  const schema = prefix;
  await createBucket(bucket);
  const w = workload(fx, { prefix, rows: 500, changesV1: 700, changesV2: 700 });
  const { records } = await kafkaRecords(w.events, { prefix, partitions: 2 });
  const exec = standIn();
  const sink = new RedshiftSink({ name: 'rs', config: config(schema, bucket, { applyMode: 'delete-insert', staging: { location: `s3://${bucket}/staging`, format: 'csv', s3: S3 }, copyAuth: { accessKeyId: 'AKIA', secretAccessKey: 'secret' } }), executor: exec });
  try {
    await sink.write(records.slice(0, 800), ctx());
    // A crash after that batch was applied but before Kafka saw the commit: redelivered from earlier, cut differently.
    await sink.write(records.slice(300, 1100), ctx());
    await sink.write(records.slice(1100), ctx());
    const before = exec.statements.length;
    await sink.write(records, ctx()); // everything again
    assert.deepEqual(exec.statements.slice(before), [`SELECT "stream", "seq" FROM "${schema}"."_ferry_sink_offsets" WHERE "sink" = 'rs'`], 'nothing to apply');
    assert.equal(checksum(await tableRows(schema)), checksum(expectedRows(w)));
    assert.ok(exec.statements.some((x) => /^COPY "ferry_stage_\d+" \("id", .*\)\nFROM 's3:\/\/[^']+\.csv\.gz'\nACCESS_KEY_ID 'AKIA' SECRET_ACCESS_KEY 'secret'\nFORMAT AS CSV/.test(x)));
    assert.ok(exec.statements.some((x) => x.startsWith('INSERT INTO ') && x.includes(`WHERE "_ferry_op" <> 'D'`)));
    // Staged files are deleted once loaded.
    const store = await (await import('../../../../runtime/src/storage/object-store.ts')).openObjectStore(`s3://${bucket}`, S3);
    assert.deepEqual(await store.list('staging/'), []);
    await store.close();
  } finally {
    await sink.close();
    await dropSchema(schema);
  }
});

test('truncates delete everything before them in order; keyless tables take inserts and dead-letter the rest', { timeout: 60000 }, async () => {
  const prefix = uniqueName('rs3');
  const bucket = prefix.replace(/_/g, '-');
  const schema = prefix;
  await createBucket(bucket);
  const w = workload(fx, { prefix, rows: 10, changesV1: 0, changesV2: 0 });
  const trunc = { ...w.events[0]!, op: 't' as const, key: null, before: null, after: null };
  const after = workload(fx, { prefix, rows: 13, changesV1: 0, changesV2: 0 }).events.slice(10);
  const { records } = await kafkaRecords([...w.events, trunc, ...after], { prefix });
  const exec = standIn();
  const sink = new RedshiftSink({ name: 'rs', config: config(schema, bucket, { fullLoad: 'merge' }), executor: exec });
  try {
    await sink.write(records, ctx());
    const ids = await withPg((c) => c.query(`SELECT id FROM "${schema}"."orders" ORDER BY id`));
    assert.deepEqual(ids.rows.map((r: { id: string }) => Number(r.id)), [11, 12, 13]);
    assert.ok(exec.statements.includes(`DELETE FROM "${schema}"."orders"`));
    // A table without a primary key.
    const keyless = { ...fx.v1, id: { schema: 'shop', table: 'log' }, primaryKey: [] };
    const ev = w.events.slice(0, 3).map((e) => ({ ...e, key: null, table: keyless, source: { ...e.source, table: 'log' } }));
    const upd = { ...ev[1]!, op: 'u' as const, before: ev[1]!.after };
    const { records: kr } = await kafkaRecords([...ev, upd], { prefix });
    const res = await sink.write(kr, ctx());
    assert.equal(res.rejected?.length, 1);
    assert.match(res.rejected![0]!.reason, /no primary key/);
    const n = await withPg((c) => c.query(`SELECT count(*)::int AS n FROM "${schema}"."log"`));
    assert.equal(n.rows[0].n, 3);
  } finally {
    await sink.close();
    await dropSchema(schema);
  }
});

test('direct mode: a snapshot whose reads share one position across batches is applied in full', { timeout: 60000 }, async () => {
  // In direct mode every snapshot read of a consistent snapshot carries the same position and event 0, so the second
  // batch moves no applied position. It was skipped as "already applied": 5 of 10 rows reached the table.
  const prefix = uniqueName('rs4');
  const bucket = prefix.replace(/_/g, '-');
  const schema = prefix;
  await createBucket(bucket);
  const w = workload(fx, { prefix, rows: 10, snapshotRows: 10, changesV1: 0, changesV2: 0 });
  const { records } = await kafkaRecords(w.events, { prefix });
  const direct = records.map((r) => ({ ...r, partition: null, offset: null, position: 'mariadb-bin.000001:4', event: 0, stream: 'direct:src' }));
  assert.ok(direct.every((r) => r.envelope.op === 'r'));
  const sink = new RedshiftSink({ name: 'rs', config: config(schema, bucket), executor: standIn() });
  try {
    await sink.write(direct.slice(0, 5), ctx());
    await sink.write(direct.slice(5), ctx());
    await sink.write(direct.slice(3, 8), ctx()); // redelivered: changes nothing
    assert.deepEqual((await tableRows(schema)).sort(), [...expectedRows(w)].sort());
  } finally {
    await sink.close();
    await dropSchema(schema);
  }
});
