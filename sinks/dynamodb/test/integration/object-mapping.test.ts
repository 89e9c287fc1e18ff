// DMS object-mapping rules on the DynamoDB sink, with the AWS DMS guide's own examples ("Using an Amazon DynamoDB
// database as a target": the customer table and its rules, Example 1's nfl_data and sport_team), against moto. The
// sink is built through its plugin descriptor with the task's table mapping (as `ferry run` / `ferry sink` do), the
// changes go through the real Avro encoder and decoder, and the items are read back with GetItem / Scan / DescribeTable
// by a client of the test's own and compared value by value with the guide's expected items: insert, update, an update
// that changes the rule-computed key (the item moves), delete, and a redelivered batch.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DeleteTableCommand, DescribeTableCommand, DynamoDBClient, GetItemCommand, type AttributeValue } from '@aws-sdk/client-dynamodb';
import type { RecordSink, SinkRecord } from '../../../../core/src/record-sink.ts';
import { uniqueName } from '../../../../test/helpers/services.ts';
import { kafkaRecords } from '../../../../test/helpers/sink-kit/records.ts';
import {
  ALLEN, COLTS, customerTable, ddbAttributeMappingRule, ddbMapRule, GuideLog, include, NFL_ITEM, nflRules, nflTable, RANDY, sportTeamTable, TEAM_ITEM,
} from '../../../../runtime/test/unit/mapping/object-mapping-guide.ts';
import { dynamoDbSink } from '../../src/descriptor.ts';
import { DDB, ctx, scanAll } from '../helpers/dynamo.ts';

type Item = Record<string, AttributeValue>;

const client = new DynamoDBClient({ endpoint: DDB.endpoint, region: DDB.region, credentials: { accessKeyId: 'test', secretAccessKey: 'test' } });

/** An item as plain values (S → string, N → number, M → object, BOOL, NULL), without Ferry's _ferry_pos. */
function plain(v: AttributeValue): unknown {
  if (v.S !== undefined) return v.S;
  if (v.N !== undefined) return Number(v.N);
  if (v.BOOL !== undefined) return v.BOOL;
  if (v.NULL) return null;
  if (v.M) return Object.fromEntries(Object.entries(v.M).map(([k, x]) => [k, plain(x)]));
  if (v.L) return v.L.map(plain);
  throw new Error(`unexpected ${JSON.stringify(v)}`);
}
const plainItem = (i: Item | undefined) => (i ? Object.fromEntries(Object.entries(i).filter(([k]) => k !== '_ferry_pos').map(([k, v]) => [k, plain(v)])) : undefined);

async function getItem(table: string, key: Item): Promise<Item | undefined> {
  return (await client.send(new GetItemCommand({ TableName: table, Key: key, ConsistentRead: true }))).Item;
}

async function keySchema(table: string): Promise<string> {
  const t = (await client.send(new DescribeTableCommand({ TableName: table }))).Table!;
  const types = new Map(t.AttributeDefinitions!.map((a) => [a.AttributeName, a.AttributeType]));
  return t.KeySchema!.map((k) => `${k.AttributeName}:${k.KeyType}:${types.get(k.AttributeName)}`).join(',');
}

async function drop(...tables: string[]): Promise<void> {
  for (const t of tables) await client.send(new DeleteTableCommand({ TableName: t })).catch(() => {});
}

async function sinkFor(rules: unknown[], options: Record<string, unknown> = {}): Promise<RecordSink> {
  return dynamoDbSink.create({ name: 'ddb', type: 'dynamodb', options: { client: DDB, ...options }, tableMappings: { rules } });
}

async function write(sink: RecordSink, records: readonly SinkRecord[]): Promise<string[]> {
  const out = (await sink.write(records, ctx())) ?? {};
  return (out.rejected ?? []).map((r) => r.reason);
}

test('the guide\'s attribute-mapping example: CustomerName + StoreId key, ContactDetails text; update, key change, delete', { timeout: 60000 }, async () => {
  const schema = uniqueName('om');
  const target = `${schema}_customer_t`;
  const table = customerTable(schema, 'customer', false);
  const log = new GuideLog(schema);
  let row = log.insert(table, RANDY);
  row = log.update(table, row, { HomePhone: '5550001111' });
  const moved = log.update(table, row, { LastName: 'Marshall' });
  log.delete(table, moved);
  const { records } = await kafkaRecords(log.events, { prefix: schema, sourceFields: ['ts_ms', 'file', 'pos', 'lsn'] });
  const sink = await sinkFor([include(schema), ddbAttributeMappingRule(schema, target)]);
  try {
    const randyKey = { CustomerName: { S: 'Randy,Marsh' }, StoreId: { S: '5' } };
    assert.deepEqual(await write(sink, records.slice(0, 1)), []);
    assert.equal(await keySchema(target), 'CustomerName:HASH:S,StoreId:RANGE:S');
    // The guide's DynamoDB structure: CustomerName, StoreId, ContactDetails, DateOfBirth; the excluded columns are gone.
    assert.deepEqual(plainItem(await getItem(target, randyKey)), {
      CustomerName: 'Randy,Marsh', StoreId: '5', DateOfBirth: '02/29/1988',
      ContactDetails: '{"Name":"Randy","Home":{"Address":"221B Baker Street","Phone":"1234567890"}, "Work":{"Address":"31 Spooner Street, Quahog","Phone":"9876543210"}}',
    });
    assert.deepEqual(await write(sink, records.slice(1, 2)), []);
    assert.match(String(plainItem(await getItem(target, randyKey))!.ContactDetails), /"Phone":"5550001111"/);
    // Redelivering the same batch changes nothing.
    const before = await scanAll(target);
    assert.deepEqual(await write(sink, records.slice(0, 2)), []);
    assert.deepEqual(await scanAll(target), before);
    // LastName changes the partition key: the item moves, the old key becomes a tombstone.
    assert.deepEqual(await write(sink, records.slice(2, 3)), []);
    const old = await getItem(target, randyKey);
    assert.equal(old?._ferry_deleted?.BOOL, true);
    assert.deepEqual(Object.keys(old!).sort(), ['CustomerName', 'StoreId', '_ferry_deleted', '_ferry_expires', '_ferry_pos']);
    const marshallKey = { CustomerName: { S: 'Randy,Marshall' }, StoreId: { S: '5' } };
    assert.equal(plainItem(await getItem(target, marshallKey))!.CustomerName, 'Randy,Marshall');
    // The delete finds the item by the key computed from the before image.
    assert.deepEqual(await write(sink, records.slice(3)), []);
    assert.equal((await getItem(target, marshallKey))?._ferry_deleted?.BOOL, true);
    assert.equal((await scanAll(target)).length, 2);
  } finally {
    await sink.close();
    await drop(target);
  }
});

for (const action of ['map-record-to-record', 'map-record-to-document'] as const) {
  test(`the guide's rule-action example, ${action}: ContactDetails as a dynamodb-map, NickName and income ${action === 'map-record-to-record' ? 'as attributes' : 'in _doc'}`, { timeout: 60000 }, async () => {
    const schema = uniqueName('om');
    const target = `${schema}_customer_t`;
    const table = customerTable(schema, 'customer', true);
    const log = new GuideLog(schema);
    const row = log.insert(table, { ...RANDY, NickName: 'Randy M', income: 50000 });
    log.update(table, row, { NickName: null, income: 61000 });
    log.delete(table, { ...row, NickName: null, income: 61000 });
    const { records } = await kafkaRecords(log.events, { prefix: schema, sourceFields: ['ts_ms', 'file', 'pos', 'lsn'] });
    const sink = await sinkFor([include(schema), ddbMapRule(schema, target, action)], { deletes: 'delete' });
    const key = { CustomerName: { S: 'Randy,Marsh' } };
    const contact = { Home: { Address: '221B Baker Street', Phone: '1234567890' }, Work: { Address: '31 Spooner Street, Quahog', Phone: '9876543210' } };
    try {
      assert.deepEqual(await write(sink, records.slice(0, 1)), []);
      assert.equal(await keySchema(target), 'CustomerName:HASH:S');
      const rest = { StoreId: '5', DateOfBirth: '02/29/1988', NickName: 'Randy M', income: 50000 };
      const inserted = await getItem(target, key);
      assert.deepEqual(plainItem(inserted), action === 'map-record-to-record' ? { CustomerName: 'Randy,Marsh', ContactDetails: contact, ...rest } : { CustomerName: 'Randy,Marsh', ContactDetails: contact, _doc: rest });
      assert.equal((action === 'map-record-to-record' ? inserted!.income : inserted!._doc!.M!.income)!.N, '50000');
      // A NULL column is no attribute (DMS ignores NULL data on the target).
      assert.deepEqual(await write(sink, records.slice(1, 2)), []);
      const updated = plainItem(await getItem(target, key))!;
      const restAfter = { StoreId: '5', DateOfBirth: '02/29/1988', income: 61000 };
      assert.deepEqual(updated, action === 'map-record-to-record' ? { CustomerName: 'Randy,Marsh', ContactDetails: contact, ...restAfter } : { CustomerName: 'Randy,Marsh', ContactDetails: contact, _doc: restAfter });
      assert.deepEqual(await write(sink, records.slice(2)), []);
      assert.equal(await getItem(target, key), undefined, 'deletes: delete removes the item found by the mapped key');
    } finally {
      await sink.close();
      await drop(target);
    }
  });
}

test('the guide\'s Example 1: nfl_data → NFLTeams and sport_team → SportTeams, items equal to its sample output', { timeout: 60000 }, async () => {
  const schema = uniqueName('om');
  const nflTarget = `${schema}_NFLTeams`;
  const teamTarget = `${schema}_SportTeams`;
  const nfl = nflTable(schema);
  const team = sportTeamTable(schema);
  const log = new GuideLog(schema);
  const allen = log.insert(nfl, ALLEN);
  const colts = log.insert(team, COLTS);
  log.update(nfl, allen, { status: 'IR', stat1_val: '74' });
  log.delete(team, colts);
  const { records } = await kafkaRecords(log.events, { prefix: schema, sourceFields: ['ts_ms', 'file', 'pos', 'lsn'] });
  const sink = await sinkFor([include(schema, 'nfl_data'), { ...include(schema, 'sport_team'), 'rule-id': '2', 'rule-name': '2' }, ...nflRules(schema, nflTarget, teamTarget)], { deletes: 'delete' });
  try {
    assert.deepEqual(await write(sink, records.slice(0, 2)), []);
    assert.equal(await keySchema(nflTarget), 'Team:HASH:S,PlayerName:RANGE:S');
    assert.equal(await keySchema(teamTarget), 'TeamName:HASH:S');
    const playerKey = { Team: { S: 'NE' }, PlayerName: { S: 'Allen, Ryan' } };
    assert.deepEqual(plainItem(await getItem(nflTarget, playerKey)), NFL_ITEM);
    const teamItem = await getItem(teamTarget, { TeamName: { S: 'Indianapolis Colts' } });
    assert.deepEqual(plainItem(teamItem), TEAM_ITEM);
    assert.equal(teamItem!.home_field_id!.N, '53', 'a smallint column keeps its type: N');
    assert.deepEqual(await write(sink, records.slice(2)), []);
    assert.deepEqual(plainItem(await getItem(nflTarget, playerKey)), { ...NFL_ITEM, status: 'IR', stat1_val: '74', PlayerInfo: NFL_ITEM.PlayerInfo.replace('ACT', 'IR').replace('PUNTS:73', 'PUNTS:74') });
    assert.deepEqual(await scanAll(teamTarget), [], 'the deleted team is gone');
    assert.equal((await scanAll(nflTarget)).length, 1);
  } finally {
    await sink.close();
    await drop(nflTarget, teamTarget);
  }
});

test('a rule whose key attribute is a document, or whose template names an absent column, stops the sink before writing', { timeout: 60000 }, async () => {
  const schema = uniqueName('om');
  const table = customerTable(schema, 'customer', false);
  const log = new GuideLog(schema);
  log.insert(table, RANDY);
  const { records } = await kafkaRecords(log.events, { prefix: schema, sourceFields: ['ts_ms', 'file', 'pos', 'lsn'] });
  const docKey = ddbMapRule(schema, `${schema}_x`, 'map-record-to-record');
  docKey['mapping-parameters']['partition-key-name'] = 'ContactDetails';
  const s1 = await sinkFor([include(schema), docKey]);
  await assert.rejects(s1.write(records, ctx()), /object-mapping rule 3 on .*\.customer \(dynamodb target\): partition-key-name "ContactDetails" is a document; a DynamoDB key is a scalar/);
  await s1.close();
  const absent = ddbAttributeMappingRule(schema, `${schema}_y`);
  absent['mapping-parameters']['attribute-mappings'][0]!.value = '${FirstName},${Surname}';
  const s2 = await sinkFor([include(schema), absent]);
  await assert.rejects(s2.write(records, ctx()), (e: unknown) => (e as { code?: string }).code === 'FERRY_CONFIG_INVALID' && /names column "Surname", which the table does not have/.test(String(e)));
  await s2.close();
});
