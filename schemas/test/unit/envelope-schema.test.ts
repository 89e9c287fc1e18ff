import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { avroSchemaToString } from '../../src/avro-mapping.ts';
import { buildTableSchemas, heartbeatSchemas, TableSchemaCache, transactionSchemas } from '../../src/envelope-schema.ts';
import { MYSQL_ALL_TYPES } from './fixtures.ts';

function assertSchema(actual: unknown, expected: unknown): void {
  assert.deepEqual(actual, expected);
  assert.equal(avroSchemaToString(actual as object), JSON.stringify(expected));
}

const NS = 'ferry_test.inventory.all_types';
const opt = (t: unknown) => ({ type: ['null', t], default: null });
const v1 = (type: string, name: string) => ({ type, 'connect.version': 1, 'connect.name': name });
const decimal = (scale: number, precision: number) => ({
  type: 'bytes', scale, precision, 'connect.version': 1,
  'connect.parameters': { scale: String(scale), 'connect.decimal.precision': String(precision) },
  'connect.name': 'org.apache.kafka.connect.data.Decimal', logicalType: 'decimal',
});

/** Derived by hand from TableSchemaBuilder, the MySQL value converters, SchemaFactory and AvroData (see docs/event-format.md). */
const EXPECTED_VALUE_FIELDS = [
  { name: 'id', type: 'int' },
  { name: 'code', type: 'string' },
  { name: 'tiny', ...opt({ type: 'int', 'connect.type': 'int16' }) },
  { name: 'flag', type: { type: 'boolean', 'connect.default': false }, default: false },
  { name: 'qty', type: { type: 'long', 'connect.default': 0 }, default: 0 },
  { name: 'big', ...opt('long') },
  { name: 'ubig', ...opt(decimal(0, 20)) },
  // Decimal default 0.00: unscaled 0 as BigInteger.toByteArray() = [0x00], written as an ISO-8859-1 string.
  { name: 'price', type: { type: 'bytes', scale: 2, precision: 10, 'connect.version': 1,
    'connect.parameters': { scale: '2', 'connect.decimal.precision': '10' }, 'connect.default': '\u0000',
    'connect.name': 'org.apache.kafka.connect.data.Decimal', logicalType: 'decimal' }, default: '\u0000' },
  { name: 'ratio', ...opt('float') },
  { name: 'score', ...opt('double') },
  { name: 'bits', ...opt({ type: 'bytes', 'connect.version': 1, 'connect.parameters': { length: '10' }, 'connect.name': 'io.debezium.data.Bits' }) },
  { name: 'name', type: { type: 'string', 'connect.default': 'n/a' }, default: 'n/a' },
  { name: 'notes', ...opt('string') },
  { name: 'blob', ...opt('bytes') },
  { name: 'born', ...opt(v1('int', 'io.debezium.time.Date')) },
  { name: 'alarm', ...opt(v1('long', 'io.debezium.time.MicroTime')) },
  { name: 'created', type: v1('long', 'io.debezium.time.Timestamp') },
  { name: 'updated', ...opt(v1('long', 'io.debezium.time.MicroTimestamp')) },
  { name: 'seen', type: { type: 'string', 'connect.version': 1, 'connect.default': '1970-01-01T00:00:00Z', 'connect.name': 'io.debezium.time.ZonedTimestamp' },
    default: '1970-01-01T00:00:00Z' },
  { name: 'yr', ...opt(v1('int', 'io.debezium.time.Year')) },
  { name: 'color', ...opt({ type: 'string', 'connect.version': 1, 'connect.parameters': { allowed: 'red,green' }, 'connect.name': 'io.debezium.data.Enum' }) },
  { name: 'tags', ...opt({ type: 'string', 'connect.version': 1, 'connect.parameters': { allowed: 'a,b,c' }, 'connect.name': 'io.debezium.data.EnumSet' }) },
  { name: 'doc', ...opt(v1('string', 'io.debezium.data.Json')) },
  { name: 'shape', ...opt({
    type: 'record', name: 'Geometry', namespace: 'io.debezium.data.geometry',
    fields: [{ name: 'wkb', type: 'bytes' }, { name: 'srid', type: ['null', 'int'], default: null },
      { name: 'extensions', type: ['null', { type: 'map', values: 'string' }], default: null }],
    'connect.doc': 'Geometry', 'connect.version': 2, 'connect.name': 'io.debezium.data.geometry.Geometry',
  }) },
  { name: 'loc', ...opt({
    type: 'record', name: 'Point', namespace: 'io.debezium.data.geometry',
    fields: [{ name: 'x', type: 'double' }, { name: 'y', type: 'double' },
      { name: 'wkb', type: ['null', 'bytes'], default: null }, { name: 'srid', type: ['null', 'int'], default: null }],
    'connect.doc': 'Geometry (POINT)', 'connect.version': 1, 'connect.name': 'io.debezium.data.geometry.Point',
  }) },
  // Geometry.builder() is optional, so a NOT NULL POLYGON is nullable too; the repeated record is a reference.
  { name: 'area', ...opt('io.debezium.data.geometry.Geometry') },
  // Adjusted names keep the column's name in Debezium's __debezium.source.column.name (as column.propagate.source.type writes it).
  { name: 'my_col', ...opt({ type: 'string', 'connect.parameters': { '__debezium.source.column.name': 'my-col' } }) },
  { name: '_2nd', ...opt({ type: 'int', 'connect.parameters': { '__debezium.source.column.name': '2nd' } }) },
];

const EXPECTED_MYSQL_SOURCE = {
  type: 'record', name: 'Source', namespace: 'io.debezium.connector.mysql',
  fields: [
    { name: 'version', type: 'string' },
    { name: 'connector', type: 'string' },
    { name: 'name', type: 'string' },
    { name: 'ts_ms', type: 'long' },
    { name: 'snapshot', type: [{ type: 'string', 'connect.version': 1,
      'connect.parameters': { allowed: 'true,first,first_in_data_collection,last_in_data_collection,last,false,incremental' },
      'connect.default': 'false', 'connect.name': 'io.debezium.data.Enum' }, 'null'], default: 'false' },
    { name: 'db', type: 'string' },
    { name: 'sequence', type: ['null', 'string'], default: null },
    { name: 'ts_us', type: ['null', 'long'], default: null },
    { name: 'ts_ns', type: ['null', 'long'], default: null },
    { name: 'table', type: ['null', 'string'], default: null },
    { name: 'server_id', type: 'long' },
    { name: 'gtid', type: ['null', 'string'], default: null },
    { name: 'file', type: 'string' },
    { name: 'pos', type: 'long' },
    { name: 'row', type: 'int' },
    { name: 'thread', type: ['null', 'long'], default: null },
    { name: 'query', type: ['null', 'string'], default: null },
  ],
  'connect.version': 1, 'connect.name': 'io.debezium.connector.mysql.Source',
};

const EXPECTED_ENVELOPE = {
  type: 'record', name: 'Envelope', namespace: NS,
  fields: [
    { name: 'before', type: ['null', { type: 'record', name: 'Value', fields: EXPECTED_VALUE_FIELDS, 'connect.name': `${NS}.Value` }], default: null },
    { name: 'after', type: ['null', 'Value'], default: null },
    { name: 'source', type: EXPECTED_MYSQL_SOURCE },
    { name: 'transaction', type: ['null', { type: 'record', name: 'block', namespace: 'event',
      fields: [{ name: 'id', type: 'string' }, { name: 'total_order', type: 'long' }, { name: 'data_collection_order', type: 'long' }],
      'connect.version': 1, 'connect.name': 'event.block' }], default: null },
    { name: 'op', type: 'string' },
    { name: 'ts_ms', type: ['null', 'long'], default: null },
    { name: 'ts_us', type: ['null', 'long'], default: null },
    { name: 'ts_ns', type: ['null', 'long'], default: null },
  ],
  'connect.version': 2, 'connect.name': `${NS}.Envelope`,
};

describe('MySQL table schemas', () => {
  const s = buildTableSchemas(MYSQL_ALL_TYPES, { connector: 'mysql', topicPrefix: 'ferry-test' });

  it('topic and subjects', () => {
    assert.equal(s.topic, 'ferry-test.inventory.all_types');
    assert.equal(s.keySubject, 'ferry-test.inventory.all_types-key');
    assert.equal(s.valueSubject, 'ferry-test.inventory.all_types-value');
  });
  it('Key: the primary-key columns in key order', () => {
    assertSchema(s.key, { type: 'record', name: 'Key', namespace: NS, fields: [{ name: 'id', type: 'int' }, { name: 'code', type: 'string' }], 'connect.name': `${NS}.Key` });
  });
  it('Envelope: before, after, source, transaction, op, ts_ms, ts_us, ts_ns — exactly', () => {
    assertSchema(s.envelope, EXPECTED_ENVELOPE);
  });
  it('Value on its own', () => {
    assertSchema(s.value, { type: 'record', name: 'Value', namespace: NS, fields: EXPECTED_VALUE_FIELDS, 'connect.name': `${NS}.Value` });
  });
  it('field names are adjusted and mapped back to columns', () => {
    assert.deepEqual(s.valueFields.filter((f) => f.column !== f.field), [{ column: 'my-col', field: 'my_col' }, { column: '2nd', field: '_2nd' }]);
    assert.deepEqual(s.keyFields, [{ column: 'id', field: 'id' }, { column: 'code', field: 'code' }]);
  });
  it('MariaDB differs only in the source record name', () => {
    const m = buildTableSchemas(MYSQL_ALL_TYPES, { connector: 'mariadb', topicPrefix: 'ferry-test' });
    const src = m.envelope.fields[2]!.type as unknown as { namespace: string; 'connect.name': string };
    assert.equal(src.namespace, 'io.debezium.connector.mariadb');
    assert.equal(src['connect.name'], 'io.debezium.connector.mariadb.Source');
    assert.deepEqual({ ...src, namespace: 'x', 'connect.name': 'x' }, { ...EXPECTED_MYSQL_SOURCE, namespace: 'x', 'connect.name': 'x' });
  });
  it('a table without a primary key has a null key', () => {
    const t = buildTableSchemas({ ...MYSQL_ALL_TYPES, primaryKey: [] }, { connector: 'mysql', topicPrefix: 'p' });
    assert.equal(t.key, null);
  });
  it('two columns that adjust to the same field name are refused', () => {
    const t = { ...MYSQL_ALL_TYPES, primaryKey: [], columns: [MYSQL_ALL_TYPES.columns[26]!, { ...MYSQL_ALL_TYPES.columns[26]!, name: 'my_col' }] };
    assert.throws(() => buildTableSchemas(t, { connector: 'mysql', topicPrefix: 'p' }), { code: 'FERRY_SCHEMA_INCOMPATIBLE' });
  });
});

describe('PostgreSQL table schemas', () => {
  const s = buildTableSchemas({
    id: { schema: 'public', table: 'orders' }, version: 3, primaryKey: ['id'],
    columns: [
      { name: 'id', type: { type: 'int64' }, nullable: false, sourceType: 'bigint' },
      { name: 'amount', type: { type: 'bytes', logical: 'io.debezium.data.VariableScaleDecimal' }, nullable: true, sourceType: 'numeric' },
      { name: 'ref', type: { type: 'string', logical: 'io.debezium.data.Uuid' }, nullable: false, sourceType: 'uuid' },
    ],
  }, { connector: 'postgresql', topicPrefix: 'pg' });

  it('topic is <prefix>.<schema>.<table>', () => {
    assert.equal(s.topic, 'pg.public.orders');
    assert.equal(s.envelope.namespace, 'pg.public.orders');
  });
  it('source is io.debezium.connector.postgresql.Source with schema, table, txId, lsn, xmin, origin, origin_lsn', () => {
    const src = s.envelope.fields[2]!.type;
    assertSchema(src, {
      type: 'record', name: 'Source', namespace: 'io.debezium.connector.postgresql',
      fields: [
        ...EXPECTED_MYSQL_SOURCE.fields.slice(0, 9),
        { name: 'schema', type: 'string' },
        { name: 'table', type: 'string' },
        { name: 'txId', type: ['null', 'long'], default: null },
        { name: 'lsn', type: ['null', 'long'], default: null },
        { name: 'xmin', type: ['null', 'long'], default: null },
        { name: 'origin', type: ['null', 'string'], default: null },
        { name: 'origin_lsn', type: ['null', 'long'], default: null },
      ],
      'connect.version': 1, 'connect.name': 'io.debezium.connector.postgresql.Source',
    });
  });
  it('VariableScaleDecimal and Uuid columns', () => {
    assertSchema(s.value.fields.slice(1), [
      { name: 'amount', type: ['null', { type: 'record', name: 'VariableScaleDecimal', namespace: 'io.debezium.data',
        fields: [{ name: 'scale', type: 'int' }, { name: 'value', type: 'bytes' }],
        'connect.doc': 'Variable scaled decimal', 'connect.version': 1, 'connect.name': 'io.debezium.data.VariableScaleDecimal' }], default: null },
      { name: 'ref', type: { type: 'string', 'connect.version': 1, 'connect.name': 'io.debezium.data.Uuid' } },
    ]);
  });
});

describe('transaction and heartbeat schemas', () => {
  it('TransactionMetadataKey / TransactionMetadataValue', () => {
    const t = transactionSchemas();
    assertSchema(t.key, { type: 'record', name: 'TransactionMetadataKey', namespace: 'io.debezium.connector.common',
      fields: [{ name: 'id', type: 'string' }], 'connect.version': 1, 'connect.name': 'io.debezium.connector.common.TransactionMetadataKey' });
    assertSchema(t.value, {
      type: 'record', name: 'TransactionMetadataValue', namespace: 'io.debezium.connector.common',
      fields: [
        { name: 'status', type: 'string' },
        { name: 'id', type: 'string' },
        { name: 'event_count', type: ['null', 'long'], default: null },
        { name: 'data_collections', type: ['null', { type: 'array', items: ['null', { type: 'record', name: 'collection', namespace: 'event',
          fields: [{ name: 'data_collection', type: 'string' }, { name: 'event_count', type: 'long' }],
          'connect.version': 1, 'connect.name': 'event.collection' }] }], default: null },
        { name: 'ts_ms', type: 'long' },
      ],
      'connect.version': 1, 'connect.name': 'io.debezium.connector.common.TransactionMetadataValue',
    });
  });
  it('ServerNameKey / Heartbeat', () => {
    const h = heartbeatSchemas();
    assertSchema(h.key, { type: 'record', name: 'ServerNameKey', namespace: 'io.debezium.connector.common',
      fields: [{ name: 'serverName', type: 'string' }], 'connect.version': 1, 'connect.name': 'io.debezium.connector.common.ServerNameKey' });
    assertSchema(h.value, { type: 'record', name: 'Heartbeat', namespace: 'io.debezium.connector.common',
      fields: [{ name: 'ts_ms', type: 'long' }], 'connect.version': 1, 'connect.name': 'io.debezium.connector.common.Heartbeat' });
  });
});

describe('TableSchemaCache', () => {
  it('caches per (table id, version)', () => {
    const cache = new TableSchemaCache({ connector: 'mysql', topicPrefix: 'p' });
    const a = cache.get(MYSQL_ALL_TYPES);
    assert.equal(cache.get({ ...MYSQL_ALL_TYPES }), a);
    const b = cache.get({ ...MYSQL_ALL_TYPES, version: 2, columns: MYSQL_ALL_TYPES.columns.slice(0, 3) });
    assert.notEqual(b, a);
    assert.equal(b.value.fields.length, 3);
    cache.evictOlder(MYSQL_ALL_TYPES.id, 2);
    assert.notEqual(cache.get(MYSQL_ALL_TYPES), a);
  });
});
