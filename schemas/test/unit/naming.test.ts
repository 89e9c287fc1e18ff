import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  adjustFieldName, adjustSchemaName, dataTopic, heartbeatTopic, isValidSchemaName, keySubject, recordName,
  sanitizeTopicName, schemaChangeTopic, splitFullName, transactionTopic, valueSubject,
} from '../../src/naming.ts';

describe('adjustSchemaName (Debezium schema.name.adjustment.mode=avro)', () => {
  const cases: Array<[string, string]> = [
    ['dbserver1.inventory.customers.Value', 'dbserver1.inventory.customers.Value'],
    ['SERVER5432-emp.public.t.Key', 'SERVER5432_emp.public.t.Key'],
    // A leading digit is kept behind an added '_' (ReplacementFunction + SchemaNameAdjuster#validFullname).
    ['1abc.db.t.Value', '_1abc.db.t.Value'],
    ['24ColumnName', '_24ColumnName'],
    // Any other invalid first character is replaced.
    ['-abc.db.t', '_abc.db.t'],
    ['$x', '_x'],
    // Only the first character of the whole name counts as "leading".
    ['srv.1db.t.Value', 'srv.1db.t.Value'],
    ['a$b%c.d', 'a_b_c.d'],
    ['srv.db.tåble.Key', 'srv.db.t_ble.Key'],
    ['', ''],
  ];
  for (const [input, expected] of cases) {
    it(`${JSON.stringify(input)} → ${JSON.stringify(expected)}`, () => {
      assert.equal(adjustSchemaName(input), expected);
    });
  }
  it('isValidSchemaName agrees', () => {
    assert.equal(isValidSchemaName('a.b_c.D1'), true);
    assert.equal(isValidSchemaName('a-b'), false);
    assert.equal(isValidSchemaName('9a'), false);
  });
});

describe('adjustFieldName (Debezium field.name.adjustment.mode=avro)', () => {
  const cases: Array<[string, string]> = [
    ['id', 'id'],
    ['first name', 'first_name'],
    ['my-col', 'my_col'],
    ['a.b', 'a_b'],
    ['2nd', '_2nd'],
    ['_ok', '_ok'],
    ['prix€', 'prix_'],
  ];
  for (const [input, expected] of cases) {
    it(`${JSON.stringify(input)} → ${JSON.stringify(expected)}`, () => {
      assert.equal(adjustFieldName(input), expected);
    });
  }
});

describe('topics', () => {
  it('data topic is <prefix>.<db|schema>.<table>', () => {
    assert.equal(dataTopic('dbserver1', { schema: 'inventory', table: 'customers' }), 'dbserver1.inventory.customers');
    assert.equal(dataTopic('pg-main', { schema: 'public', table: 'orders' }), 'pg-main.public.orders');
  });
  it('blank parts are skipped (mkString)', () => {
    assert.equal(dataTopic('srv', { schema: '', table: 't' }), 'srv.t');
  });
  it('sanitizes like AbstractTopicNamingStrategy', () => {
    assert.equal(sanitizeTopicName('srv.db.tåble'), 'srv.db.t_ble');
    assert.equal(sanitizeTopicName('srv.my db.my$table'), 'srv.my_db.my_table');
    assert.equal(sanitizeTopicName('a-b_c.D9'), 'a-b_c.D9');
    assert.equal(sanitizeTopicName('.'), '_');
    assert.equal(sanitizeTopicName('..'), '__');
    assert.equal(sanitizeTopicName('x'.repeat(300)).length, 249);
  });
  it('transaction, heartbeat and schema-change topics', () => {
    assert.equal(transactionTopic('dbserver1'), 'dbserver1.transaction');
    assert.equal(heartbeatTopic('dbserver1'), '__debezium-heartbeat.dbserver1');
    assert.equal(schemaChangeTopic('dbserver1'), 'dbserver1');
  });
});

describe('record names and subjects', () => {
  it('record names are <topic>.Key|Value|Envelope, adjusted', () => {
    assert.equal(recordName('dbserver1.inventory.customers', 'Key'), 'dbserver1.inventory.customers.Key');
    assert.equal(recordName('SERVER5432-emp.public.t', 'Value'), 'SERVER5432_emp.public.t.Value');
    assert.equal(recordName('9srv.db.t', 'Envelope'), '_9srv.db.t.Envelope');
  });
  it('subjects follow TopicNameStrategy', () => {
    assert.equal(keySubject('dbserver1.inventory.customers'), 'dbserver1.inventory.customers-key');
    assert.equal(valueSubject('dbserver1.inventory.customers'), 'dbserver1.inventory.customers-value');
  });
  it('splitFullName splits at the last dot, as AvroData does', () => {
    assert.deepEqual(splitFullName('a.b.c.Value'), { namespace: 'a.b.c', name: 'Value' });
    assert.deepEqual(splitFullName('Value'), { namespace: null, name: 'Value' });
  });
});
