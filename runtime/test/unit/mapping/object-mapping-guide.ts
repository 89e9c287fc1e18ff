/**
 * The AWS DMS user guide's object-mapping examples, as Ferry tables and change events: the sample tables and rows of
 * "Using an Amazon DynamoDB database as a target" (customer, nfl_data, sport_team) and "Using Amazon Kinesis Data
 * Streams as a target" (Test.Customers), and the rules of those pages. The sink tests write them and compare what an
 * independent reader gets back with the guide's expected items and records.
 */
import { binlogPosition } from '../../../../core/src/position.ts';
import type { ChangeEvent, Column, Op, Row, TableSchema } from '../../../../core/src/types.ts';
import { tableMappingSchema, type TableMapping } from '../../../src/config/table-mapping-schema.ts';

const str = (name: string, nullable = true): Column => ({ name, type: { type: 'string' }, nullable, sourceType: 'varchar(40)' });
const int = (name: string, type: 'int16' | 'int32' = 'int32', nullable = true): Column => ({ name, type: { type }, nullable, sourceType: type === 'int16' ? 'smallint(6)' : 'mediumint(9)' });

const CONTACT = ['HomeAddress', 'HomePhone', 'WorkAddress', 'WorkPhone'];

/** The guide's customer table (its Oracle sample), with NickName and income of its first DynamoDB example. */
export function customerTable(schema: string, table: string, extra = true): TableSchema {
  return {
    id: { schema, table }, version: 1, primaryKey: ['FirstName', 'LastName'],
    columns: [str('FirstName', false), str('LastName', false), str('StoreId'), ...CONTACT.map((c) => str(c)), str('DateOfBirth'), ...(extra ? [str('NickName'), int('income')] : [])],
  };
}

/** The guide's row: Randy Marsh. */
export const RANDY: Row = {
  FirstName: 'Randy', LastName: 'Marsh', StoreId: '5', HomeAddress: '221B Baker Street', HomePhone: '1234567890',
  WorkAddress: '31 Spooner Street, Quahog', WorkPhone: '9876543210', DateOfBirth: '02/29/1988',
};

/** MySQL `desc nfl_data` of the guide: no primary key, every column nullable. */
export function nflTable(schema: string): TableSchema {
  return {
    id: { schema, table: 'nfl_data' }, version: 1, primaryKey: [],
    columns: [str('Position'), int('player_number', 'int16'), str('Name'), str('status'), str('stat1'), str('stat1_val'), str('stat2'), str('stat2_val'), str('stat3'), str('stat3_val'), str('stat4'), str('stat4_val'), str('team')],
  };
}

/** The guide's sample player (its NFLTeams output). */
export const ALLEN: Row = {
  Position: 'P', player_number: 6, Name: 'Allen, Ryan', status: 'ACT', stat1: 'PUNTS', stat1_val: '73', stat2: 'AVG', stat2_val: '46',
  stat3: 'LNG', stat3_val: '67', stat4: 'IN 20', stat4_val: '31', team: 'NE',
};

/** MySQL `desc sport_team` of the guide. */
export function sportTeamTable(schema: string): TableSchema {
  return {
    id: { schema, table: 'sport_team' }, version: 1, primaryKey: ['id'],
    columns: [int('id', 'int32', false), str('name', false), str('abbreviated_name'), int('home_field_id', 'int16'), str('sport_type_name', false), str('sport_league_short_name', false), str('sport_division_short_name')],
  };
}

/** The guide's sample team (its SportTeams output). */
export const COLTS: Row = {
  id: 11, name: 'Indianapolis Colts', abbreviated_name: 'IND', home_field_id: 53, sport_type_name: 'football', sport_league_short_name: 'NFL', sport_division_short_name: 'AFC South',
};

/** Builds change events of one MariaDB-like log: positions grow by 100 per event. */
export class GuideLog {
  readonly events: ChangeEvent[] = [];
  readonly prefix: string;
  #pos = 4;
  #ts = Date.UTC(2025, 0, 1, 12);

  constructor(prefix: string) {
    this.prefix = prefix;
  }

  #emit(table: TableSchema, op: Op, before: Row | null, after: Row | null): void {
    this.#pos += 100;
    this.#ts += 1000;
    const row = after ?? before!;
    const key = table.primaryKey.length ? Object.fromEntries(table.primaryKey.map((k) => [k, row[k]])) : null;
    this.events.push({
      op, key, before, after, tsMs: this.#ts, table,
      source: { connector: 'mariadb', name: this.prefix, tsMs: this.#ts, snapshot: op === 'r' ? 'true' : 'false', db: table.id.schema, table: table.id.table, position: binlogPosition({ file: 'mariadb-bin.000001', pos: this.#pos }), extra: { file: 'mariadb-bin.000001', pos: this.#pos } },
    });
  }

  insert(table: TableSchema, row: Row): Row { this.#emit(table, 'c', null, row); return row; }
  update(table: TableSchema, before: Row, change: Row): Row { const after = { ...before, ...change }; this.#emit(table, 'u', before, after); return after; }
  delete(table: TableSchema, before: Row): void { this.#emit(table, 'd', before, null); }
}

export const mapping = (rules: unknown[]): TableMapping => tableMappingSchema.parse({ rules });

export const include = (schema: string, table = '%') => ({ 'rule-type': 'selection', 'rule-id': '1', 'rule-name': '1', 'object-locator': { 'schema-name': schema, 'table-name': table }, 'rule-action': 'include' });

/** DynamoDB guide, "Using Attribute Mapping with Object Mapping": CustomerName + StoreId keys, ContactDetails as a JSON string. */
export const ddbAttributeMappingRule = (schema: string, target: string) => ({
  'rule-type': 'object-mapping', 'rule-id': '2', 'rule-name': 'TransformToDDB', 'rule-action': 'map-record-to-record',
  'object-locator': { 'schema-name': schema, 'table-name': 'customer' },
  'target-table-name': target,
  'mapping-parameters': {
    'partition-key-name': 'CustomerName', 'sort-key-name': 'StoreId',
    'exclude-columns': ['FirstName', 'LastName', 'HomeAddress', 'HomePhone', 'WorkAddress', 'WorkPhone'],
    'attribute-mappings': [
      { 'target-attribute-name': 'CustomerName', 'attribute-type': 'scalar', 'attribute-sub-type': 'string', value: '${FirstName},${LastName}' },
      { 'target-attribute-name': 'StoreId', 'attribute-type': 'scalar', 'attribute-sub-type': 'string', value: '${StoreId}' },
      { 'target-attribute-name': 'ContactDetails', 'attribute-type': 'scalar', 'attribute-sub-type': 'string', value: '{"Name":"${FirstName}","Home":{"Address":"${HomeAddress}","Phone":"${HomePhone}"}, "Work":{"Address":"${WorkAddress}","Phone":"${WorkPhone}"}}' },
    ],
  },
});

/** DynamoDB guide, the rule-action example: CustomerName key, ContactDetails as a dynamodb-map; NickName and income not excluded. */
export const ddbMapRule = (schema: string, target: string, action: 'map-record-to-record' | 'map-record-to-document') => ({
  'rule-type': 'object-mapping', 'rule-id': '3', 'rule-name': 'TransformToDDB', 'rule-action': action,
  'object-locator': { 'schema-name': schema, 'table-name': 'customer' },
  'target-table-name': target,
  'mapping-parameters': {
    'partition-key-name': 'CustomerName',
    'exclude-columns': ['FirstName', 'LastName', 'HomeAddress', 'HomePhone', 'WorkAddress', 'WorkPhone'],
    'attribute-mappings': [
      { 'target-attribute-name': 'CustomerName', 'attribute-type': 'scalar', 'attribute-sub-type': 'string', value: '${FirstName},${LastName}' },
      {
        'target-attribute-name': 'ContactDetails', 'attribute-type': 'document', 'attribute-sub-type': 'dynamodb-map',
        value: { M: { Home: { M: { Address: { S: '${HomeAddress}' }, Phone: { S: '${HomePhone}' } } }, Work: { M: { Address: { S: '${WorkAddress}' }, Phone: { S: '${WorkPhone}' } } } } },
      },
    ],
  },
});

/** DynamoDB guide, "Example 1": nfl_data → NFLTeams and sport_team → SportTeams. */
export const nflRules = (schema: string, nflTarget: string, teamTarget: string) => [
  {
    'rule-type': 'object-mapping', 'rule-id': '3', 'rule-name': 'MapNFLData', 'rule-action': 'map-record-to-record',
    'object-locator': { 'schema-name': schema, 'table-name': 'nfl_data' },
    'target-table-name': nflTarget,
    'mapping-parameters': {
      'partition-key-name': 'Team', 'sort-key-name': 'PlayerName',
      'exclude-columns': ['player_number', 'team', 'Name'],
      'attribute-mappings': [
        { 'target-attribute-name': 'Team', 'attribute-type': 'scalar', 'attribute-sub-type': 'string', value: '${team}' },
        { 'target-attribute-name': 'PlayerName', 'attribute-type': 'scalar', 'attribute-sub-type': 'string', value: '${Name}' },
        // As printed in the guide, line break inside ${…} and the missing final brace included.
        { 'target-attribute-name': 'PlayerInfo', 'attribute-type': 'scalar', 'attribute-sub-type': 'string', value: '{"Number": "${player_number}","Position": "${Position}","Status": "${status}","Stats": {"Stat1": "${stat1}:${stat1_val}","Stat2": "${stat2}:${stat2_val}","Stat3": "${stat3}:${\nstat3_val}","Stat4": "${stat4}:${stat4_val}"}' },
      ],
    },
  },
  {
    'rule-type': 'object-mapping', 'rule-id': '4', 'rule-name': 'MapSportTeam', 'rule-action': 'map-record-to-record',
    'object-locator': { 'schema-name': schema, 'table-name': 'sport_team' },
    'target-table-name': teamTarget,
    'mapping-parameters': {
      'partition-key-name': 'TeamName',
      'exclude-columns': ['name', 'id'],
      'attribute-mappings': [
        { 'target-attribute-name': 'TeamName', 'attribute-type': 'scalar', 'attribute-sub-type': 'string', value: '${name}' },
        { 'target-attribute-name': 'TeamInfo', 'attribute-type': 'scalar', 'attribute-sub-type': 'string', value: '{"League": "${sport_league_short_name}","Division": "${sport_division_short_name}"}' },
      ],
    },
  },
];

/** The guide's NFLTeams sample output (the item, as plain values). */
export const NFL_ITEM = {
  PlayerInfo: '{"Number": "6","Position": "P","Status": "ACT","Stats": {"Stat1": "PUNTS:73","Stat2": "AVG:46","Stat3": "LNG:67","Stat4": "IN 20:31"}',
  PlayerName: 'Allen, Ryan', Position: 'P', stat1: 'PUNTS', stat1_val: '73', stat2: 'AVG', stat2_val: '46', stat3: 'LNG', stat3_val: '67',
  stat4: 'IN 20', stat4_val: '31', status: 'ACT', Team: 'NE',
};

/** The guide's SportTeams sample output. */
export const TEAM_ITEM = {
  abbreviated_name: 'IND', home_field_id: 53, sport_division_short_name: 'AFC South', sport_league_short_name: 'NFL', sport_type_name: 'football',
  TeamInfo: '{"League": "NFL","Division": "AFC South"}', TeamName: 'Indianapolis Colts',
};

/** Kinesis guide: map-record-to-record with no parameters. */
export const kinesisDefaultRule = (schema: string) => ({
  'rule-type': 'object-mapping', 'rule-id': '2', 'rule-name': 'DefaultMapToKinesis', 'rule-action': 'map-record-to-record',
  'object-locator': { 'schema-name': schema, 'table-name': 'Customers' },
});

/** Kinesis guide: map-record-to-document, excluding the contact columns (written in lower case). */
export const kinesisDocumentRule = (schema: string) => ({
  'rule-type': 'object-mapping', 'rule-id': '2', 'rule-name': 'DefaultMapToKinesis', 'rule-action': 'map-record-to-document',
  'object-locator': { 'schema-name': schema, 'table-name': 'Customers' },
  'mapping-parameters': { 'exclude-columns': ['homeaddress', 'homephone', 'workaddress', 'workphone'] },
});

/** Kinesis guide, "Restructuring data with attribute mapping": partition key by the CustomerName attribute. */
export const kinesisAttributeRule = (schema: string) => ({
  'rule-type': 'object-mapping', 'rule-id': '2', 'rule-name': 'TransformToKinesis', 'rule-action': 'map-record-to-record',
  'target-table-name': 'CustomerData',
  'object-locator': { 'schema-name': schema, 'table-name': 'Customers' },
  'mapping-parameters': {
    'partition-key-type': 'attribute-name', 'partition-key-name': 'CustomerName',
    'exclude-columns': ['firstname', 'lastname', 'homeaddress', 'homephone', 'workaddress', 'workphone'],
    'attribute-mappings': [
      { 'target-attribute-name': 'CustomerName', 'attribute-type': 'scalar', 'attribute-sub-type': 'string', value: '${lastname}, ${firstname}' },
      {
        'target-attribute-name': 'ContactDetails', 'attribute-type': 'document', 'attribute-sub-type': 'json',
        value: { Home: { Address: '${homeaddress}', Phone: '${homephone}' }, Work: { Address: '${workaddress}', Phone: '${workphone}' } },
      },
    ],
  },
});

/** Kinesis guide: a constant partition key, map-record-to-document, attribute-name mappings without types. */
export const kinesisConstantRule = (schema: string, table = 'Customers') => ({
  'rule-type': 'object-mapping', 'rule-id': '2', 'rule-name': 'TransformToKinesis', 'rule-action': 'map-record-to-document',
  'object-locator': { 'schema-name': schema, 'table-name': table },
  'mapping-parameters': {
    'partition-key': { value: 'ConstantPartitionKey' },
    'exclude-columns': ['FirstName', 'LastName', 'HomeAddress', 'HomePhone', 'WorkAddress', 'WorkPhone'],
    'attribute-mappings': [
      { 'attribute-name': 'CustomerName', value: '${FirstName},${LastName}' },
      { 'attribute-name': 'ContactDetails', value: { Home: { Address: '${HomeAddress}', Phone: '${HomePhone}' }, Work: { Address: '${WorkAddress}', Phone: '${WorkPhone}' } } },
      { 'attribute-name': 'DateOfBirth', value: '${DateOfBirth}' },
    ],
  },
});

/** The guide's expected Kinesis data of the default rule (all eight columns, as text). */
export const KINESIS_DEFAULT_DATA = { ...RANDY };

/** The guide's expected `_doc` of the map-record-to-document rule. */
export const KINESIS_DOCUMENT_DATA = { _doc: { FirstName: 'Randy', LastName: 'Marsh', StoreId: '5', DateOfBirth: '02/29/1988' } };
