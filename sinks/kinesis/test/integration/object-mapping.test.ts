// DMS object-mapping rules on the Kinesis sink, with the AWS DMS guide's own examples ("Using Amazon Kinesis Data
// Streams as a target": Test.Customers, its map-record-to-record, map-record-to-document, attribute-mapping and
// constant-key rules), against moto. The sink is built through its plugin descriptor with the task's table mapping;
// the changes (insert, update, delete) go through the real Avro encoder and decoder; the records are read back with
// GetRecords by a client of the test's own, and each partition key and `data` is compared with the guide's.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DeleteStreamCommand } from '@aws-sdk/client-kinesis';
import type { RecordSink } from '../../../../core/src/record-sink.ts';
import { uniqueName } from '../../../../test/helpers/services.ts';
import { kafkaRecords } from '../../../../test/helpers/sink-kit/records.ts';
import {
  customerTable, GuideLog, include, kinesisAttributeRule, kinesisConstantRule, kinesisDefaultRule, kinesisDocumentRule, KINESIS_DEFAULT_DATA, KINESIS_DOCUMENT_DATA, RANDY,
} from '../../../../runtime/test/unit/mapping/object-mapping-guide.ts';
import { kinesisSink } from '../../src/descriptor.ts';
import { writeContext } from '../helpers/context.ts';
import { createStream, KINESIS, readStream, sdkClient } from '../helpers/kinesis.ts';

const CONTACT = { Home: { Address: '221B Baker Street', Phone: '1234567890' }, Work: { Address: '31 Spooner Street, Quahog', Phone: '9876543210' } };
const NEW_PHONE = { Home: { Address: '221B Baker Street', Phone: '5550001111' }, Work: CONTACT.Work };

type Doc = { data: Record<string, unknown>; metadata: Record<string, unknown> };

/** Insert Randy, change his home phone, delete him; the records read back from a 1-shard stream, in order. */
async function run(rule: (schema: string) => Record<string, unknown>, options: Record<string, unknown> = {}) {
  const schema = uniqueName('Test');
  const stream = uniqueName('om');
  const table = customerTable(schema, 'Customers', false);
  const log = new GuideLog(schema);
  const row = log.insert(table, RANDY);
  const after = log.update(table, row, { HomePhone: '5550001111' });
  log.delete(table, after);
  const { records } = await kafkaRecords(log.events, { prefix: schema, sourceFields: 'all' });
  await createStream(stream, 1);
  const sink: RecordSink = await kinesisSink.create({ name: 'k', type: 'kinesis', options: { stream, client: KINESIS, parallelCalls: 1, ...options }, tableMappings: { rules: [include(schema), rule(schema)] } });
  try {
    const out = (await sink.write(records, writeContext())) ?? {};
    assert.deepEqual(out.rejected ?? [], []);
    const read = await readStream(stream);
    return { schema, read: read.map((r) => ({ partitionKey: r.partitionKey, doc: JSON.parse(r.data.toString()) as Doc })) };
  } finally {
    await sink.close();
    const c = await sdkClient();
    await c.send(new DeleteStreamCommand({ StreamName: stream })).catch(() => {});
    c.destroy();
  }
}

test('map-record-to-record without parameters: PartitionKey <schema>.<table>, data = the row (the guide\'s record)', { timeout: 60000 }, async () => {
  const { schema, read } = await run(kinesisDefaultRule);
  assert.deepEqual(read.map((r) => r.partitionKey), Array(3).fill(`${schema}.Customers`));
  assert.deepEqual(read.map((r) => r.doc.metadata.operation), ['insert', 'update', 'delete']);
  assert.deepEqual(read[0]!.doc.data, KINESIS_DEFAULT_DATA);
  assert.deepEqual(Object.keys(read[0]!.doc.data), ['FirstName', 'LastName', 'StoreId', 'HomeAddress', 'HomePhone', 'WorkAddress', 'WorkPhone', 'DateOfBirth']);
  assert.deepEqual(read[1]!.doc.data, { ...KINESIS_DEFAULT_DATA, HomePhone: '5550001111' });
  assert.deepEqual(read[2]!.doc.data, { ...KINESIS_DEFAULT_DATA, HomePhone: '5550001111' }, 'a delete carries the mapped before image');
  assert.equal(read[0]!.doc.metadata['partition-key-type'], 'schema-table');
  assert.equal(read[0]!.doc.metadata['table-name'], 'Customers');
});

test('map-record-to-document with exclude-columns in lower case: data = { _doc: FirstName, LastName, StoreId, DateOfBirth }', { timeout: 60000 }, async () => {
  const { read } = await run(kinesisDocumentRule);
  assert.equal(read.length, 3);
  for (const r of read) assert.deepEqual(r.doc.data, KINESIS_DOCUMENT_DATA);
});

test('attribute mappings with partition-key-type attribute-name: CustomerName keys the records; target-table-name names the table', { timeout: 60000 }, async () => {
  const { read } = await run(kinesisAttributeRule);
  assert.deepEqual(read.map((r) => r.partitionKey), ['Marsh, Randy', 'Marsh, Randy', 'Marsh, Randy']);
  assert.deepEqual(read[0]!.doc.data, { StoreId: '5', DateOfBirth: '02/29/1988', CustomerName: 'Marsh, Randy', ContactDetails: CONTACT });
  assert.deepEqual(read[1]!.doc.data, { StoreId: '5', DateOfBirth: '02/29/1988', CustomerName: 'Marsh, Randy', ContactDetails: NEW_PHONE });
  assert.equal(read[0]!.doc.metadata['table-name'], 'CustomerData');
  assert.equal(read[0]!.doc.metadata['partition-key-type'], 'attribute-name');
});

test('a constant partition key (map-record-to-document with untyped attribute mappings): every record keyed ConstantPartitionKey', { timeout: 60000 }, async () => {
  const { read } = await run((s) => kinesisConstantRule(s));
  assert.deepEqual(read.map((r) => r.partitionKey), Array(3).fill('ConstantPartitionKey'));
  assert.deepEqual(read[0]!.doc.data, { _doc: { StoreId: '5', DateOfBirth: '02/29/1988' }, CustomerName: 'Randy,Marsh', ContactDetails: CONTACT, DateOfBirth: '02/29/1988' });
  assert.deepEqual(read[2]!.doc.data, { _doc: { StoreId: '5', DateOfBirth: '02/29/1988' }, CustomerName: 'Randy,Marsh', ContactDetails: NEW_PHONE, DateOfBirth: '02/29/1988' });
});

test('format avro with object-mapping rules is refused when the sink is built (the rules shape JSON records)', async () => {
  await assert.rejects(kinesisSink.create({ name: 'k', type: 'kinesis', options: { stream: 's', format: 'avro', client: KINESIS }, tableMappings: { rules: [include('Test'), kinesisDefaultRule('Test')] } }),
    /the table mapping has object-mapping rules, which shape JSON records; format avro forwards the change event unchanged/);
});

test('the task\'s table mapping reaches the sink through task assembly (createRecordSink, as ferry run / ferry sink / ferry validate)', async () => {
  const { createRecordSink } = await import('../../../../app/src/task/targets.ts');
  const target = { type: 'kinesis', name: 'k', stream: 's', format: 'avro', client: KINESIS } as unknown as Parameters<typeof createRecordSink>[0];
  const tableMappings = { rules: [include('Test'), kinesisDefaultRule('Test')] } as unknown as Parameters<typeof createRecordSink>[2];
  await assert.rejects(createRecordSink(target, 0, tableMappings), /object-mapping rules, which shape JSON records/);
  const sink = await createRecordSink(target, 0);
  await sink.close();
});
