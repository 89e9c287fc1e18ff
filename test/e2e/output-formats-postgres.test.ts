// settings.format and settings.flatten (docs/formats.md) over every PostgreSQL type Ferry maps: real change events of the
// all-types fixture (snapshot reads, streamed inserts, an update and a delete), written by KafkaEventSink in each
// format, read back from Kafka by readers that are not Ferry's: JSON.parse, ajv against the JSON Schema the registry
// stores, Python's google.protobuf over the .proto the registry stores (compiled by grpcio-tools' protoc), avsc over
// the registry's Avro schema, and the CloudEvents attributes; every value compared with the fixture's literal values.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { Ajv } from 'ajv';
import type { ChangeEvent } from '../../core/src/types.ts';
import { KafkaEventSink } from '../../runtime/src/kafka/KafkaEventSink.ts';
import { createAdmin, createProducer, readTopicToEnd, type IncomingRecord } from '../../runtime/src/kafka/kafka-client.ts';
import { PromMetrics } from '../../runtime/src/metrics/metrics.ts';
import { ConfluentRegistryClient } from '../../schemas/src/ConfluentRegistryClient.ts';
import type { OutputFormat } from '../../schemas/src/formats/event-formatter.ts';
import type { DeleteHandlingMode, FlattenOptions } from '../../schemas/src/flatten.ts';
import { collect, createSchema, dataEvents, sourceOptions, type TestSchema } from '../../connectors/postgres-logical/test/integration/helpers.ts';
import { createAllTypes, EXPECTED, INSERT_COLUMNS, rowsWithIds } from '../../connectors/postgres-logical/test/fixtures/all-types.ts';
import { decodeWire } from '../helpers/topic-reader.ts';
import { runSinkWorker } from '../../runtime/src/sink-worker/SinkWorker.ts';
import { KafkaTargetSink } from '../../sinks/kafka/src/KafkaTargetSink.ts';
import { quietLog } from '../helpers/sink-kit/services.ts';
import { readTarget } from '../../sinks/kafka/test/helpers/target-reader.ts';
import { KinesisSink } from '../../sinks/kinesis/src/KinesisSink.ts';
import { createStream, KINESIS, readStream } from '../../sinks/kinesis/test/helpers/kinesis.ts';
import { services } from '../helpers/services.ts';
import { assertExactInt64, assertRow, connectJson, normProto, protoJson, readProtobuf, registrySchema } from '../helpers/format-readers.ts';

let s: TestSchema;
let events: ChangeEvent[] = [];

before(async () => {
  s = await createSchema('formats_pg');
  await createAllTypes(s.admin, s.owner, s.schema);
  let changed = false;
  const { batches } = await collect(sourceOptions(s.schema), null, (b) => dataEvents(b, 'all_types').some((e) => e.op === 'd'), {
    timeoutMs: 45000,
    onBatch: async (b) => {
      if (b.snapshotDone && !changed) {
        changed = true;
        await s.owner.query(`INSERT INTO all_types (${INSERT_COLUMNS}) VALUES ${rowsWithIds(10).join(', ')}`);
        await s.owner.query(`UPDATE all_types SET (${INSERT_COLUMNS.replace(/^id, /, '')}) = (SELECT ${INSERT_COLUMNS.replace(/^id, /, '')} FROM all_types WHERE id = 12) WHERE id = 11`);
        await s.owner.query('DELETE FROM all_types WHERE id = 13');
      }
    },
  });
  events = dataEvents(batches, 'all_types');
  assert.deepEqual(events.map((e) => e.op).join(''), 'rrrcccud');
});

after(async () => { await s.drop(); });

/** The fixture row a record must hold: snapshot rows 1-3, streamed 11-13 (row 11 updated to row 12's values). */
function expectedRow(id: number, op = 'c'): Record<string, unknown> {
  const base = id >= 10 ? (op === 'u' ? 12 : id) - 10 : id;
  return { id, ...EXPECTED[base]! };
}

const OPS = [
  { op: 'r', id: 1 }, { op: 'r', id: 2 }, { op: 'r', id: 3 }, { op: 'c', id: 11 }, { op: 'c', id: 12 }, { op: 'c', id: 13 }, { op: 'u', id: 11 }, { op: 'd', id: 13 },
] as const;

async function write(format: OutputFormat, flatten: FlattenOptions | null, tag: string): Promise<IncomingRecord[]> {
  const prefix = `formats_${tag}_${s.schema}`;
  const clientId = `ferry-test-${prefix}`;
  const sink = new KafkaEventSink({
    producer: createProducer({ brokers: services.brokers, clientId }), admin: createAdmin({ brokers: services.brokers, clientId }),
    registry: new ConfluentRegistryClient({ url: services.registryUrl }), connector: 'postgresql', topicPrefix: prefix, partitions: 1, replicationFactor: 1,
    tombstonesOnDelete: true, metrics: new PromMetrics({ collectProcessMetrics: false }), output: { format, flatten: () => flatten },
  });
  try {
    await sink.write(events, { endsAtTransactionBoundary: true } as never);
  } finally {
    await sink.close();
  }
  return readTopicToEnd({ brokers: services.brokers, clientId: 'ferry-test-formats-reader', topic: `${prefix}.${s.schema}.all_types`, timeoutMs: 60000 });
}

function jsonRows(records: IncomingRecord[], schemaEmbedded: boolean): void {
  assert.equal(records.length, OPS.length + 1, 'every event, and a tombstone after the delete');
  for (const [i, { op, id }] of OPS.entries()) {
    const text = records[i]!.value!.toString('utf8');
    const parsed = JSON.parse(text) as Record<string, unknown>;
    const value = (schemaEmbedded ? parsed.payload : parsed) as Record<string, unknown>;
    if (schemaEmbedded) assert.equal((parsed.schema as { name: string }).name, `${records[i]!.topic}.Envelope`);
    assert.equal(value.op, op);
    const row = (op === 'd' ? value.before : value.after) as Record<string, unknown>;
    assert.deepStrictEqual(row, connectJson(expectedRow(id, op)), `${op} row ${id}`);
    const key = JSON.parse(records[i]!.key!.toString('utf8')) as Record<string, unknown>;
    assert.deepEqual(schemaEmbedded ? key.payload : key, { id });
  }
  assert.equal(records[OPS.length]!.value, null, 'tombstone');
  assertExactInt64(records.map((r) => r.value?.toString('utf8') ?? '').join('\n'));
}

test('json: Kafka Connect JsonConverter layout with the embedded schema, every type', { timeout: 60000 }, async () => {
  const records = await write('json', null, 'json');
  jsonRows(records, true);
  const schema = (JSON.parse(records[0]!.value!.toString('utf8')) as { schema: { type: string; fields: { field: string; type: string; name?: string; optional: boolean }[] } }).schema;
  assert.equal(schema.type, 'struct');
  assert.deepEqual(schema.fields.map((f) => f.field), ['before', 'after', 'source', 'transaction', 'op', 'ts_ms', 'ts_us', 'ts_ns']);
  const after = schema.fields[1] as unknown as { fields: { field: string; type: string; name?: string; optional: boolean }[] };
  assert.deepEqual(after.fields.find((f) => f.field === 'c_num'), { type: 'bytes', optional: true, name: 'org.apache.kafka.connect.data.Decimal', version: 1, parameters: { scale: '9', 'connect.decimal.precision': '38' }, field: 'c_num' });
  assert.deepEqual(after.fields.find((f) => f.field === 'id'), { type: 'int32', optional: false, field: 'id' });
});

test('json-schemaless: the payload alone; the kafka target forwards it undecoded, byte for byte', { timeout: 60000 }, async () => {
  const records = await write('json-schemaless', null, 'jsonplain');
  jsonRows(records, false);
  // `ferry sink` with a kafka target: the worker forwards without decoding (runtime/src/sink-worker/pass-through.ts).
  const topic = records[0]!.topic;
  const sink = new KafkaTargetSink({ name: 'fwd', config: { brokers: [...services.brokers], topic: 'fwd.{topic}' } });
  const stop = new AbortController();
  let committed = -1n;
  const run = runSinkWorker({
    brokers: services.brokers, registry: new ConfluentRegistryClient({ url: services.registryUrl }), groupId: `${topic}-fwd`, topicPrefix: topic.split('.')[0]!, topics: [topic],
    sink, log: quietLog(), metrics: new PromMetrics({ collectProcessMetrics: false }), passThrough: true,
    onCommit: ({ offsets }) => { for (const o of offsets) if (o.offset > committed) committed = o.offset; },
  }, stop.signal);
  const deadline = Date.now() + 40000;
  while (committed < BigInt(records.length) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 200));
  stop.abort();
  const result = await run;
  await sink.close();
  assert.equal(committed, BigInt(records.length), 'the worker committed past every record');
  assert.equal(result.deadLetters, 0);
  // Read committed (the target writes in transactions), with the kafka target's independent reader.
  const forwarded = await readTarget({ brokers: [...services.brokers], topics: [`fwd.${topic}`], expect: records.length, timeoutMs: 20000, quietMs: 500 });
  assert.deepEqual(forwarded.map((r) => [r.key?.toString('hex') ?? null, r.value?.toString('hex') ?? null]), records.map((r) => [r.key?.toString('hex') ?? null, r.value?.toString('hex') ?? null]));
});

test('json-schema: every payload validates against the JSON Schema the registry holds, and holds the fixture values', { timeout: 60000 }, async () => {
  const records = await write('json-schema', null, 'jsonschema');
  assert.equal(records.length, OPS.length + 1);
  const ajv = new Ajv({ strict: false, allErrors: true });
  const validators = new Map<number, ReturnType<Ajv['compile']>>();
  for (const [i, { op, id }] of OPS.entries()) {
    for (const buf of [records[i]!.key!, records[i]!.value!]) {
      assert.equal(buf[0], 0, 'magic byte');
      const schemaId = buf.readUInt32BE(1);
      if (!validators.has(schemaId)) {
        const stored = await registrySchema(schemaId);
        assert.equal(stored.schemaType, 'JSON');
        validators.set(schemaId, ajv.compile(JSON.parse(stored.schema) as object));
      }
      const payload = JSON.parse(buf.subarray(5).toString('utf8')) as Record<string, unknown>;
      const validate = validators.get(schemaId)!;
      assert.ok(validate(payload), `${op} ${id}: ${JSON.stringify(validate.errors)}`);
    }
    const value = JSON.parse(records[i]!.value!.subarray(5).toString('utf8')) as Record<string, unknown>;
    assert.deepStrictEqual(value[op === 'd' ? 'before' : 'after'], connectJson(expectedRow(id, op)), `${op} row ${id}`);
  }
  // A payload that breaks the schema is refused by the stored schema (the check can fail).
  const v = validators.get(records[0]!.value!.readUInt32BE(1))!;
  const bad = JSON.parse(records[0]!.value!.subarray(5).toString('utf8')) as { after: Record<string, unknown> };
  bad.after.c_int4 = 'x';
  assert.equal(v(bad), false);
});

test('protobuf: decoded by Google’s protobuf runtime with the .proto the registry holds', { timeout: 120000 }, async () => {
  const records = await write('protobuf', null, 'proto');
  assert.equal(records.length, OPS.length + 1);
  const valueId = records[0]!.value!.readUInt32BE(1);
  const stored = await registrySchema(valueId);
  assert.equal(stored.schemaType, 'PROTOBUF');
  assert.match(stored.schema, /^syntax = "proto3";/);
  const decoded = readProtobuf(stored.schema, 'Envelope', records.slice(0, OPS.length).map((r) => r.value!));
  for (const [i, { op, id }] of OPS.entries()) {
    const d = decoded[i]!;
    assert.equal(d.schemaId, valueId);
    assert.deepEqual(d.indexes, [0]);
    assert.equal(d.value.op, op);
    const row = { ...(d.value[op === 'd' ? 'before' : 'after'] as Record<string, unknown>) };
    const want = protoJson(expectedRow(id, op)) as Record<string, unknown>;
    // A float field prints in float32's shortest form (3.4028235e+38): compare as float32.
    if (want.c_f4 !== undefined && row.c_f4 !== undefined) {
      assert.equal(Math.fround(Number(row.c_f4)), Math.fround(Number(want.c_f4)), `${op} row ${id} c_f4`);
      delete row.c_f4; delete want.c_f4;
    }
    assert.deepStrictEqual(normProto(row), normProto(want), `${op} row ${id}`);
    assert.equal((d.value.source as Record<string, unknown>).schema, s.schema);
  }

  // `ferry sink` with a kinesis target (format avro forwards the record's bytes): the same Protobuf records, undecoded,
  // one Kinesis record per change (tombstones are not written), partition key = the key's bytes in base64.
  const stream = `ferry-fmt-${s.schema.replace(/_/g, '-')}`;
  await createStream(stream, 2);
  const kinesis = new KinesisSink({ name: 'kin', config: { stream, format: 'avro', client: KINESIS } });
  const topic = records[0]!.topic;
  const stop = new AbortController();
  let committed = -1n;
  const run = runSinkWorker({
    brokers: services.brokers, registry: new ConfluentRegistryClient({ url: services.registryUrl }), groupId: `${topic}-kin`, topicPrefix: topic.split('.')[0]!, topics: [topic],
    sink: kinesis, log: quietLog(), metrics: new PromMetrics({ collectProcessMetrics: false }), passThrough: true,
    onCommit: ({ offsets }) => { for (const o of offsets) if (o.offset > committed) committed = o.offset; },
  }, stop.signal);
  const deadline = Date.now() + 40000;
  while (committed < BigInt(records.length) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 200));
  stop.abort();
  assert.equal((await run).deadLetters, 0);
  await kinesis.close();
  const got = await readStream(stream);
  const want = records.filter((r) => r.value !== null);
  assert.equal(got.length, want.length);
  // Per partition key (one per row key), the records in topic order, byte for byte.
  const byKey = (xs: { key: string; data: string }[]) => { const m = new Map<string, string[]>(); for (const x of xs) m.set(x.key, [...(m.get(x.key) ?? []), x.data]); return m; };
  assert.deepEqual(byKey(got.map((g) => ({ key: g.partitionKey, data: g.data.toString('hex') }))), byKey(want.map((r) => ({ key: r.key!.toString('base64'), data: r.value!.toString('hex') }))));
});

test('cloudevents: structured JSON with the CloudEvents required attributes and Debezium’s names', { timeout: 60000 }, async () => {
  const records = await write('cloudevents', null, 'ce');
  assert.equal(records.length, OPS.length + 1);
  for (const [i, { op, id }] of OPS.entries()) {
    const ce = JSON.parse(records[i]!.value!.toString('utf8')) as Record<string, unknown>;
    const e = events[i]!;
    const prefix = e.source.name; // the logical server name in the source block
    assert.equal(ce.specversion, '1.0');
    assert.equal(ce.source, `/debezium/postgresql/${prefix}`);
    assert.equal(ce.type, 'io.debezium.connector.postgresql.DataChangeEvent');
    assert.equal(ce.datacontenttype, 'application/json');
    assert.equal(ce.id, `name:${prefix};lsn:${e.source.extra?.lsn ?? 'null'};txId:${e.source.txId ?? e.source.extra?.txId ?? 'null'};sequence:${e.source.extra?.sequence ?? 'null'}`.replace(/lsn:undefined/, 'lsn:null'));
    assert.equal(ce.time, new Date(e.source.tsMs).toISOString());
    assert.equal(ce.iodebeziumop, op);
    assert.equal(ce.iodebeziumschema, s.schema);
    assert.equal(ce.iodebeziumtable, 'all_types');
    assert.equal(ce.iodebeziumtsms, String(e.source.tsMs));
    assert.equal(ce.iodebeziumconnector, 'postgresql');
    for (const attr of ['iodebeziumtxid', 'iodebeziumtxtotalorder', 'iodebeziumtxdatacollectionorder']) assert.ok(attr in ce, attr);
    const data = ce.data as { schema: { name: string }; payload: Record<string, unknown> };
    assert.equal(data.schema.name, 'io.debezium.connector.postgresql.Data');
    assert.deepStrictEqual(data.payload[op === 'd' ? 'before' : 'after'], connectJson(expectedRow(id, op)), `${op} row ${id}`);
    // Attribute names are letters and digits; Debezium keeps the case of source fields (iodebeziumtxId).
    for (const k of Object.keys(ce)) assert.match(k, /^[a-zA-Z0-9]+$/, k);
    assert.equal(ce.iodebeziumtxId, e.source.txId ?? (e.source.extra?.txId === undefined ? null : String(e.source.extra.txId)));
  }
});

/** Flattening, each delete mode, with the Avro converter: read with avsc over the registry's schema. */
const DELETE_MODES: Record<DeleteHandlingMode, { tail: ('rewritten' | 'tombstone')[] }> = {
  tombstone: { tail: ['tombstone'] },
  'delete-to-tombstone': { tail: ['tombstone'] },
  rewrite: { tail: ['rewritten'] },
  'rewrite-with-tombstone': { tail: ['rewritten', 'tombstone'] },
  drop: { tail: [] },
};

for (const [mode, { tail }] of Object.entries(DELETE_MODES) as [DeleteHandlingMode, { tail: ('rewritten' | 'tombstone')[] }][]) {
  test(`flatten (avro), delete handling ${mode}: rows with __op, __table, __source_ts_ms`, { timeout: 60000 }, async () => {
    const records = await write('avro', { deleteHandling: mode, addFields: ['op', 'table', 'source.ts_ms'], addFieldsPrefix: '__' }, `flat_${mode.replace(/-/g, '_')}`);
    const rewrite = mode.startsWith('rewrite');
    assert.equal(records.length, OPS.length - 1 + tail.length);
    const valueId = records[0]!.value!.readUInt32BE(1);
    const stored = JSON.parse((await registrySchema(valueId)).schema) as unknown[];
    // What Debezium's ExtractNewRecordState + AvroConverter register: the optional Value record, not the Envelope.
    assert.equal(stored[0], 'null');
    const rec = stored[1] as { name: string; fields: { name: string; type: unknown }[] };
    assert.equal(rec.name, 'Value');
    assert.deepEqual(rec.fields.slice(-3 - (rewrite ? 1 : 0)).map((f) => f.name), [...(rewrite ? ['__deleted'] : []), '__op', '__table', '__source_ts_ms']);
    for (const [i, { op, id }] of OPS.slice(0, -1).entries()) {
      const v = (await decodeWire(records[i]!.value!)).value as Record<string, unknown>;
      const { __op, __table, __source_ts_ms, __deleted, ...row } = v;
      assert.equal(__op, op);
      assert.equal(__table, 'all_types');
      assert.equal(Number(__source_ts_ms), events[i]!.source.tsMs);
      assert.equal(__deleted, rewrite ? 'false' : undefined);
      assertRow(row, expectedRow(id, op), `${op} ${id}`);
      assert.deepEqual((await decodeWire(records[i]!.key!)).value, { id });
    }
    for (const [j, kind] of tail.entries()) {
      const r = records[OPS.length - 1 + j]!;
      assert.deepEqual((await decodeWire(r.key!)).value, { id: 13 });
      if (kind === 'tombstone') assert.equal(r.value, null);
      else {
        const { __op, __deleted, ...row } = (await decodeWire(r.value!)).value as Record<string, unknown>;
        assert.equal(__op, 'd');
        assert.equal(__deleted, 'true');
        delete row.__table; delete row.__source_ts_ms;
        assertRow(row, expectedRow(13), 'rewritten delete');
      }
    }
  });
}

