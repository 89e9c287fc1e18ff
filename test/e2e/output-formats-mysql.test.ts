// settings.format and settings.flatten (docs/formats.md) over every MariaDB/MySQL type Ferry maps: real change events of
// the binlog source's all-types fixture (snapshot reads, streamed inserts, an update and a delete), written by
// KafkaEventSink in each format and read back by readers that are not Ferry's (JSON.parse, ajv with the registry's
// JSON Schema, Python's google.protobuf with the registry's .proto, avsc with the registry's Avro schema), every value
// compared with the fixture's literal values.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { Ajv } from 'ajv';
import type { ChangeEvent } from '../../core/src/types.ts';
import { KafkaEventSink } from '../../runtime/src/kafka/KafkaEventSink.ts';
import { createAdmin, createProducer, readTopicToEnd, type IncomingRecord } from '../../runtime/src/kafka/kafka-client.ts';
import { PromMetrics } from '../../runtime/src/metrics/metrics.ts';
import { ConfluentRegistryClient } from '../../schemas/src/ConfluentRegistryClient.ts';
import type { OutputFormat } from '../../schemas/src/formats/event-formatter.ts';
import type { FlattenOptions } from '../../schemas/src/flatten.ts';
import { collect, createDatabase, events as allEvents, sourceOptions } from '../../connectors/mysql-binlog/test/integration/helpers.ts';
import { ALL_TYPES_DDL, allTypesExpected, allTypesValues, COLUMNS } from '../../connectors/mysql-binlog/test/integration/fixtures.ts';
import { decodeWire } from '../helpers/topic-reader.ts';
import { services } from '../helpers/services.ts';
import { assertExactInt64, assertRow, connectJson, normProto, protoJson, readProtobuf, registrySchema } from '../helpers/format-readers.ts';

let db: Awaited<ReturnType<typeof createDatabase>>;
let events: ChangeEvent[] = [];

before(async () => {
  db = await createDatabase('formats_my');
  await db.conn.query(ALL_TYPES_DDL);
  await db.conn.query(`INSERT INTO all_types VALUES ${allTypesValues()}`);
  let dml: Promise<unknown> | null = null;
  const { batches } = await collect(await sourceOptions(db.db), null, (bs) => {
    if (dml === null && bs.some((b) => b.snapshotDone)) {
      const set = COLUMNS.filter((c) => c !== 'id').map((c) => `a.${c} = b.${c}`).join(', ');
      dml = (async () => {
        await db.conn.query(`INSERT INTO all_types VALUES ${allTypesValues(10)}`);
        await db.conn.query(`UPDATE all_types a JOIN all_types b ON b.id = 12 SET ${set} WHERE a.id = 11`);
        await db.conn.query('DELETE FROM all_types WHERE id = 13');
      })();
    }
    return allEvents(bs).some((e) => e.op === 'd');
  }, 45000);
  await dml;
  events = allEvents(batches).filter((e) => e.table.id.table === 'all_types');
  assert.deepEqual(events.map((e) => e.op).join(''), 'rrrcccud');
});

after(async () => { await db.drop(); });

function expectedRow(id: number, op: string): Record<string, unknown> {
  const base = id >= 10 ? (op === 'u' ? 12 : id) - 10 : id;
  const row: Record<string, unknown> = { ...allTypesExpected(0)[base - 1]!, id };
  // The Geometry struct's optional extensions field (a null the fixture leaves out).
  if (row.c_geom) row.c_geom = { ...(row.c_geom as object), extensions: null };
  return row;
}

const OPS = [
  { op: 'r', id: 1 }, { op: 'r', id: 2 }, { op: 'r', id: 3 }, { op: 'c', id: 11 }, { op: 'c', id: 12 }, { op: 'c', id: 13 }, { op: 'u', id: 11 }, { op: 'd', id: 13 },
] as const;

async function write(format: OutputFormat, flatten: FlattenOptions | null, tag: string): Promise<IncomingRecord[]> {
  const prefix = `formats_${tag}_${db.db}`;
  const clientId = `ferry-test-${prefix}`;
  const sink = new KafkaEventSink({
    producer: createProducer({ brokers: services.brokers, clientId }), admin: createAdmin({ brokers: services.brokers, clientId }),
    registry: new ConfluentRegistryClient({ url: services.registryUrl }), connector: 'mariadb', topicPrefix: prefix, partitions: 1, replicationFactor: 1,
    tombstonesOnDelete: true, metrics: new PromMetrics({ collectProcessMetrics: false }), output: { format, flatten: () => flatten },
  });
  try {
    await sink.write(events, { endsAtTransactionBoundary: true } as never);
  } finally {
    await sink.close();
  }
  return readTopicToEnd({ brokers: services.brokers, clientId: 'ferry-test-formats-reader', topic: `${prefix}.${db.db}.all_types`, timeoutMs: 60000 });
}

test('json: JsonConverter layout with the embedded schema, every MariaDB type', { timeout: 60000 }, async () => {
  const records = await write('json', null, 'json');
  assert.equal(records.length, OPS.length + 1);
  for (const [i, { op, id }] of OPS.entries()) {
    const v = JSON.parse(records[i]!.value!.toString('utf8')) as { schema: { name: string }; payload: Record<string, unknown> };
    assert.equal(v.schema.name, `${records[i]!.topic}.Envelope`);
    assert.equal(v.payload.op, op);
    assert.deepStrictEqual(v.payload[op === 'd' ? 'before' : 'after'], connectJson(expectedRow(id, op)), `${op} row ${id}`);
    assert.deepEqual((JSON.parse(records[i]!.key!.toString('utf8')) as { payload: unknown }).payload, { id });
  }
  assert.equal(records[OPS.length]!.value, null);
  assertExactInt64(records.map((r) => r.value?.toString('utf8') ?? '').join('\n'), [9223372036854775807n, -9223372036854775808n, -30610224000000000n]);
});

test('json-schema: every payload validates against the registry’s JSON Schema and holds the fixture values', { timeout: 60000 }, async () => {
  const records = await write('json-schema', null, 'jsonschema');
  const ajv = new Ajv({ strict: false, allErrors: true });
  const stored = await registrySchema(records[0]!.value!.readUInt32BE(1));
  assert.equal(stored.schemaType, 'JSON');
  const validate = ajv.compile(JSON.parse(stored.schema) as object);
  for (const [i, { op, id }] of OPS.entries()) {
    const payload = JSON.parse(records[i]!.value!.subarray(5).toString('utf8')) as Record<string, unknown>;
    assert.ok(validate(payload), `${op} ${id}: ${JSON.stringify(validate.errors)}`);
    assert.deepStrictEqual(payload[op === 'd' ? 'before' : 'after'], connectJson(expectedRow(id, op)), `${op} row ${id}`);
  }
});

test('protobuf: decoded by Google’s protobuf runtime with the registry’s .proto', { timeout: 120000 }, async () => {
  const records = await write('protobuf', null, 'proto');
  const stored = await registrySchema(records[0]!.value!.readUInt32BE(1));
  assert.equal(stored.schemaType, 'PROTOBUF');
  const decoded = readProtobuf(stored.schema, 'Envelope', records.slice(0, OPS.length).map((r) => r.value!));
  for (const [i, { op, id }] of OPS.entries()) {
    assert.deepEqual(decoded[i]!.indexes, [0]);
    const row = { ...(decoded[i]!.value[op === 'd' ? 'before' : 'after'] as Record<string, unknown>) };
    const want = protoJson(expectedRow(id, op)) as Record<string, unknown>;
    if (want.c_float !== undefined && row.c_float !== undefined) {
      assert.equal(Math.fround(Number(row.c_float)), Math.fround(Number(want.c_float)), `${op} row ${id} c_float`);
      delete row.c_float; delete want.c_float;
    }
    assert.deepStrictEqual(normProto(row), normProto(want), `${op} row ${id}`);
  }
  const keys = readProtobuf((await registrySchema(records[0]!.key!.readUInt32BE(1))).schema, 'Key', [records[0]!.key!]);
  assert.deepEqual(keys[0]!.value, { id: 1 });
});

test('cloudevents: MySQL/MariaDB id (name;file;pos) and iodebezium attributes', { timeout: 60000 }, async () => {
  const records = await write('cloudevents', null, 'ce');
  for (const [i, { op, id }] of OPS.entries()) {
    const ce = JSON.parse(records[i]!.value!.toString('utf8')) as Record<string, unknown>;
    const e = events[i]!;
    assert.equal(ce.id, `name:${e.source.name};file:${String(ce.iodebeziumfile)};pos:${String(ce.iodebeziumpos)}`);
    assert.match(String(ce.iodebeziumfile), /^mariadb-bin\.\d+$/);
    assert.match(String(ce.iodebeziumpos), /^\d+$/);
    assert.equal(ce.type, 'io.debezium.connector.mariadb.DataChangeEvent');
    assert.equal(ce.source, `/debezium/mariadb/${e.source.name}`);
    assert.equal(ce.iodebeziumop, op);
    assert.equal(ce.iodebeziumdb, db.db);
    assert.equal(typeof ce.iodebeziumserverid, 'string', 'int64 attributes as strings');
    assert.deepStrictEqual((ce.data as { payload: Record<string, unknown> }).payload[op === 'd' ? 'before' : 'after'], connectJson(expectedRow(id, op)));
  }
});

test('flatten (avro), rewrite: __deleted, __op, __db; the delete rewritten from before, no tombstone', { timeout: 60000 }, async () => {
  const records = await write('avro', { deleteHandling: 'rewrite', addFields: ['op', 'source.db:db'], addFieldsPrefix: '__' }, 'flat');
  assert.equal(records.length, OPS.length);
  for (const [i, { op, id }] of OPS.entries()) {
    const { __op, __deleted, __db, ...row } = (await decodeWire(records[i]!.value!)).value as Record<string, unknown>;
    assert.equal(__op, op);
    assert.equal(__deleted, op === 'd' ? 'true' : 'false');
    assert.equal(__db, db.db);
    assertRow(row, expectedRow(id, op), `${op} ${id}`);
  }
});
