// DMS object-mapping rules on the Kafka target sink, with the AWS DMS guide's examples ("Using Apache Kafka as a
// target": Test.Customers with map-record-to-record, the attribute-mapping rule keyed by attribute-name, and the
// constant partition key), against the real Kafka. The sink is built through its plugin descriptor with the task's
// table mapping and handed the raw Kafka records as the worker does (ctx.input); an independent consumer
// (@platformatic/kafka, read_committed) reads the target topics and each key and JSON value is compared with the
// guide's. Tombstones of mapped tables are not forwarded; a table without a rule still goes through byte for byte.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { RawInput, RecordSink, SinkWriteContext } from '../../../../core/src/record-sink.ts';
import { PromMetrics } from '../../../../runtime/src/metrics/metrics.ts';
import { quietLog } from '../../../../test/helpers/sink-kit/quiet.ts';
import { kafkaRecords } from '../../../../test/helpers/sink-kit/records.ts';
import { services, uniqueName } from '../../../../test/helpers/sink-kit/services.ts';
import {
  customerTable, GuideLog, include, kinesisAttributeRule, kinesisConstantRule, kinesisDefaultRule, KINESIS_DEFAULT_DATA, RANDY,
} from '../../../../runtime/test/unit/mapping/object-mapping-guide.ts';
import { kafkaSink } from '../../src/descriptor.ts';
import { readTarget } from '../helpers/target-reader.ts';

const CONTACT = { Home: { Address: '221B Baker Street', Phone: '1234567890' }, Work: { Address: '31 Spooner Street, Quahog', Phone: '9876543210' } };

function context(input: readonly RawInput[]): SinkWriteContext {
  return { signal: new AbortController().signal, log: quietLog(), metrics: new PromMetrics({ collectProcessMetrics: false }), report: { file: () => {} }, input };
}

/** Insert Randy, change his phone, delete him (and the delete's tombstone); an unmapped table's insert beside them. */
async function run(rule: (schema: string) => Record<string, unknown>, extra: Record<string, unknown> = {}) {
  const schema = uniqueName('Test');
  const prefix = uniqueName('kom');
  const customers = customerTable(schema, 'Customers', false);
  const orders = customerTable(schema, 'Orders', false);
  const log = new GuideLog(prefix);
  const row = log.insert(customers, RANDY);
  const after = log.update(customers, row, { HomePhone: '5550001111' });
  log.delete(customers, after);
  log.insert(orders, RANDY);
  const { raws, records } = await kafkaRecords(log.events, { prefix, sourceFields: 'all' });
  const input: RawInput[] = raws.map((raw, i) => ({ raw, record: records[i]! }));
  // Debezium's tombstone after the delete: same key bytes, no value.
  const del = raws[2]!;
  input.splice(3, 0, { raw: { ...del, offset: del.offset + 1n, value: null }, record: null });
  const sink: RecordSink = await kafkaSink.create({
    name: 'kt', type: 'kafka', options: { brokers: services.brokers, topic: 'om.{topic}', transactionalIdPrefix: `${prefix}-`, offsetsTopic: `${prefix}-offsets` },
    tableMappings: { rules: [include(schema), { ...rule(schema), ...extra }] },
  });
  try {
    const out = (await sink.write(records, context(input))) ?? {};
    assert.deepEqual(out.rejected ?? [], []);
  } finally {
    await sink.close();
  }
  const mappedTopic = (extra['kafka-target-topic'] as string | undefined) ?? `om.${prefix}.${schema}.Customers`;
  const got = await readTarget({ brokers: [...services.brokers], topics: [mappedTopic, `om.${prefix}.${schema}.Orders`], expect: 4, quietMs: 1000, timeoutMs: 30000 });
  const mapped = got.filter((r) => r.topic === mappedTopic).map((r) => ({ key: r.key?.toString() ?? null, doc: JSON.parse(r.value!.toString()) as { data: Record<string, unknown>; metadata: Record<string, unknown> } }));
  const plain = got.filter((r) => r.topic !== mappedTopic);
  return { schema, prefix, mapped, plain, raws };
}

test('map-record-to-record without parameters: key <schema>.<table>, value DMS JSON with the row; tombstone dropped; other tables unchanged', { timeout: 90000 }, async () => {
  const { schema, mapped, plain, raws } = await run(kinesisDefaultRule);
  assert.deepEqual(mapped.map((r) => r.key), Array(3).fill(`${schema}.Customers`), 'three changes, no tombstone');
  assert.deepEqual(mapped[0]!.doc.data, KINESIS_DEFAULT_DATA);
  assert.deepEqual(mapped[2]!.doc.data, { ...KINESIS_DEFAULT_DATA, HomePhone: '5550001111' });
  assert.deepEqual(mapped.map((r) => r.doc.metadata.operation), ['insert', 'update', 'delete']);
  assert.deepEqual(mapped.map((r) => r.doc.metadata['schema-name']), Array(3).fill(schema));
  assert.equal(mapped[0]!.doc.metadata['transaction-id'], 'mariadb-bin.000001:104');
  assert.equal(plain.length, 1);
  assert.ok(plain[0]!.value!.equals(raws[3]!.value!) && plain[0]!.key!.equals(raws[3]!.key!), 'the unmapped table\'s record is forwarded byte for byte');
});

test('attribute mappings keyed by partition-key-type attribute-name, into kafka-target-topic', { timeout: 90000 }, async () => {
  const topic = uniqueName('om-customer-data');
  const { mapped } = await run(kinesisAttributeRule, { 'kafka-target-topic': topic });
  assert.deepEqual(mapped.map((r) => r.key), ['Marsh, Randy', 'Marsh, Randy', 'Marsh, Randy']);
  assert.deepEqual(mapped[0]!.doc.data, { StoreId: '5', DateOfBirth: '02/29/1988', CustomerName: 'Marsh, Randy', ContactDetails: CONTACT });
  assert.equal(mapped[0]!.doc.metadata['table-name'], 'CustomerData');
});

test('a constant partition key: every message keyed ConstantPartitionKey', { timeout: 90000 }, async () => {
  const { mapped } = await run((s) => kinesisConstantRule(s));
  assert.deepEqual(mapped.map((r) => r.key), Array(3).fill('ConstantPartitionKey'));
  assert.deepEqual(mapped[0]!.doc.data, { _doc: { StoreId: '5', DateOfBirth: '02/29/1988' }, CustomerName: 'Randy,Marsh', ContactDetails: CONTACT, DateOfBirth: '02/29/1988' });
});
