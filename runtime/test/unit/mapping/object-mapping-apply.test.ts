// Object-mapping rules evaluated on rows (runtime/src/mapping/object-mapping-apply.ts) and the parts refused at
// validation (object-mapping-checks.ts), with the DMS guide's rules and rows (object-mapping-guide.ts). The tables go
// through the real Avro encoder and the worker's decoder (test/helpers/sink-kit/records.ts), as the sinks get them.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FerryError } from '../../../../core/src/errors.ts';
import type { SinkRecord } from '../../../../core/src/record-sink.ts';
import { kafkaRecords } from '../../../../test/helpers/sink-kit/records.ts';
import { MappedValueRejected, ObjectMappings, mappedKeyText } from '../../../src/mapping/object-mapping-apply.ts';
import { tableMappingProblems } from '../../../src/mapping/rule-checks.ts';
import {
  customerTable, ddbMapRule, GuideLog, include, kinesisAttributeRule, kinesisConstantRule, kinesisDefaultRule, kinesisDocumentRule,
  KINESIS_DEFAULT_DATA, KINESIS_DOCUMENT_DATA, mapping, RANDY,
} from './object-mapping-guide.ts';

const customers = customerTable('Test', 'Customers', false);

async function randy(row = RANDY): Promise<SinkRecord> {
  const log = new GuideLog('om');
  log.insert(customers, row);
  return (await kafkaRecords(log.events, { prefix: 'om', sourceFields: 'all' })).records[0]!;
}

function mapped(rule: unknown, r: SinkRecord) {
  const m = new ObjectMappings(mapping([include('Test'), rule])).forTable(r.table);
  assert.ok(m, 'the rule matches Test.Customers');
  const attrs = m.apply(r.envelope.after!);
  return { m, attrs, json: m.toJson(attrs, true), key: mappedKeyText(r, m, attrs) };
}

test('map-record-to-record without parameters: every column, keyed by <schema>.<table> (the guide\'s Kinesis example)', async () => {
  const { json, key, m } = mapped(kinesisDefaultRule('Test'), await randy());
  assert.deepEqual(json, KINESIS_DEFAULT_DATA);
  assert.deepEqual(Object.keys(json), Object.keys(KINESIS_DEFAULT_DATA), 'column order');
  assert.equal(key, 'Test.Customers');
  assert.equal(m.partitionKey.type, 'schema-table');
});

test('map-record-to-document: the columns not excluded (matched ignoring case) in "_doc"', async () => {
  const { json } = mapped(kinesisDocumentRule('Test'), await randy());
  assert.deepEqual(json, KINESIS_DOCUMENT_DATA);
});

test('attribute mappings: templates, a JSON document, partition key by attribute-name', async () => {
  const { json, key, m } = mapped(kinesisAttributeRule('Test'), await randy());
  assert.deepEqual(json, {
    StoreId: '5', DateOfBirth: '02/29/1988', CustomerName: 'Marsh, Randy',
    ContactDetails: { Home: { Address: '221B Baker Street', Phone: '1234567890' }, Work: { Address: '31 Spooner Street, Quahog', Phone: '9876543210' } },
  });
  assert.equal(key, 'Marsh, Randy');
  assert.equal(m.rule.targetTableName, 'CustomerData');
});

test('a constant partition key and untyped attribute-name mappings beside "_doc"', async () => {
  const { json, key } = mapped(kinesisConstantRule('Test'), await randy());
  assert.deepEqual(json, {
    _doc: { StoreId: '5', DateOfBirth: '02/29/1988' },
    CustomerName: 'Randy,Marsh',
    ContactDetails: { Home: { Address: '221B Baker Street', Phone: '1234567890' }, Work: { Address: '31 Spooner Street, Quahog', Phone: '9876543210' } },
    DateOfBirth: '02/29/1988',
  });
  assert.equal(key, 'ConstantPartitionKey');
});

test('a NULL column gives "" in a template and null (or nothing) as an attribute; primary-key keys', async () => {
  const r = await randy({ ...RANDY, HomePhone: null, DateOfBirth: null });
  const rule = { ...kinesisAttributeRule('Test'), 'mapping-parameters': { ...kinesisAttributeRule('Test')['mapping-parameters'], 'partition-key-type': 'primary-key', 'partition-key-name': undefined } };
  delete (rule['mapping-parameters'] as Record<string, unknown>)['partition-key-name'];
  const { m, attrs, json, key } = mapped(rule, r);
  assert.deepEqual((json.ContactDetails as { Home: unknown }).Home, { Address: '221B Baker Street', Phone: '' });
  assert.equal(json.DateOfBirth, null);
  assert.equal('DateOfBirth' in m.toJson(attrs, false), false);
  assert.equal(key, 'Randy|Marsh');
});

test('a number sub-type: exact digits in JSON; text that is no number rejects the change', async () => {
  const rule = (value: string) => ({
    ...kinesisDefaultRule('Test'),
    'mapping-parameters': { 'attribute-mappings': [{ 'target-attribute-name': 'Store', 'attribute-type': 'scalar', 'attribute-sub-type': 'number', value }] },
  });
  const r = await randy({ ...RANDY, StoreId: '0012345678901234567890.50' });
  assert.equal(JSON.stringify(mapped(rule('${StoreId}'), r).json.Store), '12345678901234567890.50');
  const bad = new ObjectMappings(mapping([include('Test'), rule('${FirstName}')])).forTable(r.table)!;
  assert.throws(() => bad.apply(r.envelope.after!), (e: unknown) => e instanceof MappedValueRejected && /rule 2: attribute Store is a number, but its value "Randy" is not one/.test(e.message));
});

test('a template naming a column the table does not have stops the sink (fatal), naming the rule and the column', async () => {
  const r = await randy();
  const rule = { ...kinesisDefaultRule('Test'), 'mapping-parameters': { 'attribute-mappings': [{ 'attribute-name': 'X', value: '${Nope}' }] } };
  assert.throws(() => new ObjectMappings(mapping([include('Test'), rule])).forTable(r.table),
    (e: unknown) => e instanceof FerryError && e.code === 'FERRY_CONFIG_INVALID' && e.disposition === 'fatal' && /object-mapping rule 2 on Test.Customers: attribute-mappings\[0\] \("X"\) names column "Nope"/.test(e.message));
  const pk = { ...kinesisDefaultRule('Test'), 'mapping-parameters': { 'partition-key-type': 'attribute-name', 'partition-key-name': 'Missing' } };
  assert.throws(() => new ObjectMappings(mapping([include('Test'), pk])).forTable(r.table), /"partition-key-name" is "Missing", which is no attribute/);
});

test('the rule is looked up and compiled once per table version; other tables have none', async () => {
  const r = await randy();
  const om = new ObjectMappings(mapping([include('Test'), kinesisDefaultRule('Test')]));
  assert.equal(om.forTable(r.table), om.forTable(r.table));
  const other = customerTable('Test', 'Orders', false);
  const log = new GuideLog('om2');
  log.insert(other, RANDY);
  const o = (await kafkaRecords(log.events, { prefix: 'om2' })).records[0]!;
  assert.equal(om.forTable(o.table), null);
  assert.equal(ObjectMappings.from(undefined).forTable(r.table), null);
});

test('validation refuses each part no target of the task carries out, naming the rule id and the part', () => {
  const problems = (rule: Record<string, unknown>, targets: string[]) => tableMappingProblems(mapping([include('Test'), rule]), targets).map((p) => `${p.path}: ${p.message}`);
  const base = { 'rule-type': 'object-mapping', 'rule-id': '7', 'rule-name': 'om', 'rule-action': 'map-record-to-record', 'object-locator': { 'schema-name': 'Test', 'table-name': 'Customers' } };
  assert.deepEqual(problems({ ...base, 'mapping-parameters': { 'partition-key-name': 'a', 'condition-expression': { expression: 'attribute_not_exists(a)' } } }, ['dynamodb']),
    ['tableMappings.rules[1].mapping-parameters.condition-expression: object-mapping rule 7: "condition-expression" is not supported: every DynamoDB write of Ferry is already conditional on the change\'s source position (_ferry_pos), and a second condition would drop changes silently; remove it']);
  assert.match(problems({ ...base, 'mapping-parameters': { 'partition-key-type': 'task-id' } }, ['kinesis'])[0]!, /mapping-parameters.partition-key-type: object-mapping rule 7: "partition-key-type": "task-id" is not supported/);
  assert.match(problems({ ...base, 'mapping-parameters': { 'partition-key-name': 'a', 'sort-key-name': 'b' } }, ['kinesis']).join('\n'), /sort-key-name: object-mapping rule 7: "sort-key-name" is a DynamoDB sort key; a kinesis target has none/);
  assert.match(problems({ ...base, 'mapping-parameters': { 'partition-key-name': 'a' } }, ['kafka'])[0]!, /partition-key-name: object-mapping rule 7: "partition-key-name" keys a kafka target's records only with "partition-key-type": "attribute-name"/);
  assert.match(problems(ddbMapRule('Test', 't', 'map-record-to-record'), ['kinesis']).join('\n'), /attribute-mappings\[1\].attribute-sub-type: object-mapping rule 3: "attribute-sub-type": "dynamodb-map" is DynamoDB JSON/);
  assert.match(problems({ ...base, 'mapping-parameters': { 'partition-key-type': 'schema-table' } }, ['dynamodb'])[0]!, /"partition-key-type" keys Kinesis and Kafka records; a dynamodb target takes its item key/);
  assert.match(problems({ ...base, 'mapping-parameters': { 'partition-key': { value: 'k' } } }, ['dynamodb'])[0]!, /mapping-parameters.partition-key: object-mapping rule 7: "partition-key" \(a constant key\)/);
  assert.match(problems({ ...base, 'mapping-parameters': { 'partition-key-type': 'primary-key', 'partition-key': { value: 'k' } } }, ['kinesis'])[0]!, /partition-key: object-mapping rule 7: "partition-key" \(a constant key\) is used only with "partition-key-type": "constant" \(or none\), and the rule says "primary-key"/);
  assert.match(problems({ ...base, 'kafka-target-topic': 't' }, ['kinesis'])[0]!, /kafka-target-topic: object-mapping rule 7: "kafka-target-topic" names the topic of a kafka target/);
  assert.match(problems({ ...base, 'mapping-parameters': { 'attribute-mappings': [{ 'attribute-name': 'a', value: 'x', format: 'y' }] } }, ['kinesis'])[0]!, /attribute-mappings\[0\].format: object-mapping rule 7: "format" is not an attribute-mapping field/);
  // The guide's own rules pass for their targets.
  assert.deepEqual(problems(ddbMapRule('Test', 't', 'map-record-to-record'), ['dynamodb']), []);
  for (const r of [kinesisDefaultRule('Test'), kinesisDocumentRule('Test'), kinesisAttributeRule('Test'), kinesisConstantRule('Test')]) {
    assert.deepEqual(problems(r, ['kinesis', 'kafka']), []);
  }
});

test('object locators name the source table: a renamed table (source block Test.Customers) still gets its rule', async () => {
  // In direct mode the sink sees the renamed names (Sales.Clients) and the source block keeps the real ones.
  const log = new GuideLog('om3');
  log.insert(customers, RANDY);
  const k = (await kafkaRecords(log.events, { prefix: 'om3', sourceFields: 'all' })).records[0]!;
  const r: SinkRecord = { ...k, table: { ...k.table, schema: 'Sales', table: 'Clients' } };
  const om = new ObjectMappings(mapping([include('Test'), kinesisDocumentRule('Test')]));
  const m = om.forRecord(r);
  assert.ok(m);
  assert.deepEqual(m.toJson(m.apply(r.envelope.after!), true), KINESIS_DOCUMENT_DATA);
  const other = { ...k.table, schema: 'Sales', table: 'Clients' };
  assert.equal(om.forTable(other), null, 'by the renamed names alone the rule does not match');
});

test('validation: two rules with one target-table-name, or a table pattern with one, are refused for dynamodb targets', () => {
  const rule = (id: string, table: string) => ({ ...ddbMapRule('Test', 'Customers_t', 'map-record-to-record'), 'rule-id': id, 'rule-name': `r${id}`, 'object-locator': { 'schema-name': 'Test', 'table-name': table } });
  const problems = tableMappingProblems(mapping([include('Test'), rule('3', 'a'), rule('4', 'b'), rule('5', 'c%')]), ['dynamodb']).map((p) => `${p.path}: ${p.message}`);
  assert.deepEqual(problems, [
    'tableMappings.rules[3].target-table-name: object-mapping rule 5: "target-table-name" with the table pattern "c%" would write every matching table into one DynamoDB table; name one table in the object locator',
    'tableMappings.rules[2].target-table-name: object-mapping rule 4: "target-table-name" "Customers_t" is also the target of rule 3; two source tables would share one DynamoDB table',
    'tableMappings.rules[3].target-table-name: object-mapping rule 5: "target-table-name" "Customers_t" is also the target of rule 3; two source tables would share one DynamoDB table',
  ]);
  assert.deepEqual(tableMappingProblems(mapping([include('Test'), rule('3', 'a'), rule('4', 'b')]), ['kinesis']).filter((p) => /target-table-name/.test(p.message)), []);
});
