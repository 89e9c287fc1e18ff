import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { FieldType } from '../../../core/src/types.ts';
import { avroSchemaToString, connectToAvro, fieldTypeToAvro } from '../../src/avro-mapping.ts';
import type { AvroSchema } from '../../src/avro-mapping.ts';

/** Same JSON and same key order (the registered text is compared byte for byte by some registries). */
function assertSchema(actual: AvroSchema, expected: unknown): void {
  assert.deepEqual(actual, expected);
  assert.equal(avroSchemaToString(actual), JSON.stringify(expected));
}

const req = { optional: false };
const opt = { optional: true };

describe('Connect primitives → Avro (AvroData#fromConnectSchema)', () => {
  it('plain primitives print as bare names', () => {
    assertSchema(fieldTypeToAvro({ type: 'int32' }), 'int');
    assertSchema(fieldTypeToAvro({ type: 'int64' }), 'long');
    assertSchema(fieldTypeToAvro({ type: 'float32' }), 'float');
    assertSchema(fieldTypeToAvro({ type: 'float64' }), 'double');
    assertSchema(fieldTypeToAvro({ type: 'boolean' }), 'boolean');
    assertSchema(fieldTypeToAvro({ type: 'string' }), 'string');
    assertSchema(fieldTypeToAvro({ type: 'bytes' }), 'bytes');
  });
  it('int8 and int16 become int with connect.type', () => {
    assertSchema(fieldTypeToAvro({ type: 'int8' }), { type: 'int', 'connect.type': 'int8' });
    assertSchema(fieldTypeToAvro({ type: 'int16' }), { type: 'int', 'connect.type': 'int16' });
    assertSchema(fieldTypeToAvro({ type: 'int16' }, opt), ['null', { type: 'int', 'connect.type': 'int16' }]);
  });
  it('optional is ["null", T]; optional with a default is [T, "null"]', () => {
    assertSchema(fieldTypeToAvro({ type: 'string' }, opt), ['null', 'string']);
    assertSchema(fieldTypeToAvro({ type: 'string' }, { optional: true, defaultValue: 'x' }), [{ type: 'string', 'connect.default': 'x' }, 'null']);
    assertSchema(fieldTypeToAvro({ type: 'string' }, { optional: false, defaultValue: 'x' }), { type: 'string', 'connect.default': 'x' });
  });
  it('bytes defaults are ISO-8859-1 strings', () => {
    assertSchema(fieldTypeToAvro({ type: 'bytes' }, { optional: false, defaultValue: Buffer.from([0x00, 0xff, 0x41]) }),
      { type: 'bytes', 'connect.default': '\u0000\u00ffA' });
  });
  it('int64 defaults beyond 2^53 stay exact in the text', () => {
    const s = fieldTypeToAvro({ type: 'int64' }, { optional: false, defaultValue: 2n ** 63n - 1n });
    assert.equal(avroSchemaToString(s), '{"type":"long","connect.default":9223372036854775807}');
    assertSchema(fieldTypeToAvro({ type: 'int64' }, { optional: false, defaultValue: 5n }), { type: 'long', 'connect.default': 5 });
  });
  it('parameters (e.g. column.propagate.source.type) become connect.parameters', () => {
    assertSchema(fieldTypeToAvro({ type: 'string', params: { '__debezium.source.column.type': 'VARCHAR', '__debezium.source.column.length': '255' } }),
      { type: 'string', 'connect.parameters': { '__debezium.source.column.type': 'VARCHAR', '__debezium.source.column.length': '255' } });
  });
});

describe('logical types', () => {
  const named = (type: string, name: string, version = 1): unknown => ({ type, 'connect.version': version, 'connect.name': name });
  const cases: Array<[string, FieldType, unknown]> = [
    ['Date', { type: 'int32', logical: 'io.debezium.time.Date' }, named('int', 'io.debezium.time.Date')],
    ['Time', { type: 'int32', logical: 'io.debezium.time.Time' }, named('int', 'io.debezium.time.Time')],
    ['MicroTime', { type: 'int64', logical: 'io.debezium.time.MicroTime' }, named('long', 'io.debezium.time.MicroTime')],
    ['NanoTime', { type: 'int64', logical: 'io.debezium.time.NanoTime' }, named('long', 'io.debezium.time.NanoTime')],
    ['Timestamp', { type: 'int64', logical: 'io.debezium.time.Timestamp' }, named('long', 'io.debezium.time.Timestamp')],
    ['MicroTimestamp', { type: 'int64', logical: 'io.debezium.time.MicroTimestamp', version: 1 }, named('long', 'io.debezium.time.MicroTimestamp')],
    ['NanoTimestamp', { type: 'int64', logical: 'io.debezium.time.NanoTimestamp' }, named('long', 'io.debezium.time.NanoTimestamp')],
    ['ZonedTimestamp', { type: 'string', logical: 'io.debezium.time.ZonedTimestamp' }, named('string', 'io.debezium.time.ZonedTimestamp')],
    ['ZonedTime', { type: 'string', logical: 'io.debezium.time.ZonedTime' }, named('string', 'io.debezium.time.ZonedTime')],
    ['MicroDuration', { type: 'int64', logical: 'io.debezium.time.MicroDuration' }, named('long', 'io.debezium.time.MicroDuration')],
    ['Interval', { type: 'string', logical: 'io.debezium.time.Interval' }, named('string', 'io.debezium.time.Interval')],
    ['Year', { type: 'int32', logical: 'io.debezium.time.Year' }, named('int', 'io.debezium.time.Year')],
    ['Json', { type: 'string', logical: 'io.debezium.data.Json' }, named('string', 'io.debezium.data.Json')],
    ['Uuid', { type: 'string', logical: 'io.debezium.data.Uuid' }, named('string', 'io.debezium.data.Uuid')],
    ['Xml', { type: 'string', logical: 'io.debezium.data.Xml' }, named('string', 'io.debezium.data.Xml')],
    ['Enum', { type: 'string', logical: 'io.debezium.data.Enum', params: { allowed: 'red,green' } },
      { type: 'string', 'connect.version': 1, 'connect.parameters': { allowed: 'red,green' }, 'connect.name': 'io.debezium.data.Enum' }],
    ['EnumSet', { type: 'string', logical: 'io.debezium.data.EnumSet', params: { allowed: 'a,b,c' } },
      { type: 'string', 'connect.version': 1, 'connect.parameters': { allowed: 'a,b,c' }, 'connect.name': 'io.debezium.data.EnumSet' }],
    ['Bits', { type: 'bytes', logical: 'io.debezium.data.Bits', params: { length: '10' } },
      { type: 'bytes', 'connect.version': 1, 'connect.parameters': { length: '10' }, 'connect.name': 'io.debezium.data.Bits' }],
    ['Decimal', { type: 'bytes', logical: 'org.apache.kafka.connect.data.Decimal', params: { scale: '2', 'connect.decimal.precision': '10' } },
      { type: 'bytes', scale: 2, precision: 10, 'connect.version': 1, 'connect.parameters': { scale: '2', 'connect.decimal.precision': '10' },
        'connect.name': 'org.apache.kafka.connect.data.Decimal', logicalType: 'decimal' }],
    ['Decimal without precision (AvroData default 64)', { type: 'bytes', logical: 'org.apache.kafka.connect.data.Decimal', params: { scale: '0' } },
      { type: 'bytes', scale: 0, precision: 64, 'connect.version': 1, 'connect.parameters': { scale: '0' },
        'connect.name': 'org.apache.kafka.connect.data.Decimal', logicalType: 'decimal' }],
    ['Connect Date', { type: 'int32', logical: 'org.apache.kafka.connect.data.Date' },
      { type: 'int', 'connect.version': 1, 'connect.name': 'org.apache.kafka.connect.data.Date', logicalType: 'date' }],
    ['Connect Time', { type: 'int32', logical: 'org.apache.kafka.connect.data.Time' },
      { type: 'int', 'connect.version': 1, 'connect.name': 'org.apache.kafka.connect.data.Time', logicalType: 'time-millis' }],
    ['Connect Timestamp', { type: 'int64', logical: 'org.apache.kafka.connect.data.Timestamp' },
      { type: 'long', 'connect.version': 1, 'connect.name': 'org.apache.kafka.connect.data.Timestamp', logicalType: 'timestamp-millis' }],
    ['VariableScaleDecimal', { type: 'bytes', logical: 'io.debezium.data.VariableScaleDecimal' },
      { type: 'record', name: 'VariableScaleDecimal', namespace: 'io.debezium.data',
        fields: [{ name: 'scale', type: 'int' }, { name: 'value', type: 'bytes' }],
        'connect.doc': 'Variable scaled decimal', 'connect.version': 1, 'connect.name': 'io.debezium.data.VariableScaleDecimal' }],
    ['Point', { type: 'bytes', logical: 'io.debezium.data.geometry.Point' },
      { type: 'record', name: 'Point', namespace: 'io.debezium.data.geometry',
        fields: [{ name: 'x', type: 'double' }, { name: 'y', type: 'double' },
          { name: 'wkb', type: ['null', 'bytes'], default: null }, { name: 'srid', type: ['null', 'int'], default: null }],
        'connect.doc': 'Geometry (POINT)', 'connect.version': 1, 'connect.name': 'io.debezium.data.geometry.Point' }],
    ['Geography', { type: 'bytes', logical: 'io.debezium.data.geometry.Geography' },
      { type: 'record', name: 'Geography', namespace: 'io.debezium.data.geometry',
        fields: [{ name: 'wkb', type: 'bytes' }, { name: 'srid', type: ['null', 'int'], default: null }],
        'connect.doc': 'Geography', 'connect.version': 1, 'connect.name': 'io.debezium.data.geometry.Geography' }],
    // Geometry.builder() is optional: even a NOT NULL column gets a nullable schema, as in Debezium.
    ['Geometry (always optional)', { type: 'bytes', logical: 'io.debezium.data.geometry.Geometry' },
      ['null', { type: 'record', name: 'Geometry', namespace: 'io.debezium.data.geometry',
        fields: [{ name: 'wkb', type: 'bytes' }, { name: 'srid', type: ['null', 'int'], default: null },
          { name: 'extensions', type: ['null', { type: 'map', values: 'string' }], default: null }],
        'connect.doc': 'Geometry', 'connect.version': 2, 'connect.name': 'io.debezium.data.geometry.Geometry' }]],
    ['an unknown logical name passes through', { type: 'string', logical: 'com.example.Thing', version: 3 },
      { type: 'string', 'connect.version': 3, 'connect.name': 'com.example.Thing' }],
  ];
  for (const [label, ft, expected] of cases) {
    it(label, () => assertSchema(fieldTypeToAvro(ft, req), expected));
  }
  it('optional logical types are ["null", T]', () => {
    assertSchema(fieldTypeToAvro({ type: 'int64', logical: 'io.debezium.time.MicroTimestamp' }, opt),
      ['null', { type: 'long', 'connect.version': 1, 'connect.name': 'io.debezium.time.MicroTimestamp' }]);
  });
  it('a ZonedTimestamp default is written in connect.default and reorders the union', () => {
    assertSchema(fieldTypeToAvro({ type: 'string', logical: 'io.debezium.time.ZonedTimestamp' }, { optional: true, defaultValue: '1970-01-01T00:00:00Z' }),
      [{ type: 'string', 'connect.version': 1, 'connect.default': '1970-01-01T00:00:00Z', 'connect.name': 'io.debezium.time.ZonedTimestamp' }, 'null']);
  });
  it('rejects a known logical type on the wrong Connect type', () => {
    assert.throws(() => fieldTypeToAvro({ type: 'int32', logical: 'io.debezium.time.MicroTimestamp' }), { code: 'FERRY_INTERNAL' });
  });
  it('rejects a Decimal without scale', () => {
    assert.throws(() => fieldTypeToAvro({ type: 'bytes', logical: 'org.apache.kafka.connect.data.Decimal' }), { code: 'FERRY_INTERNAL' });
  });
});

describe('records', () => {
  it('two structs with the same name and different fields are refused', () => {
    const a = { type: 'struct' as const, optional: false, name: 'x.S', fields: [{ name: 'a', schema: { type: 'int32' as const, optional: false } }] };
    const b = { type: 'struct' as const, optional: false, name: 'x.S', fields: [{ name: 'b', schema: { type: 'int32' as const, optional: false } }] };
    assert.throws(() => connectToAvro({ type: 'struct', optional: false, name: 'x.T', fields: [{ name: 'a', schema: a }, { name: 'b', schema: b }] }),
      { code: 'FERRY_INTERNAL' });
  });
  it('named types are written once, then referenced (relative to the namespace); a repeat with parameters carries them on the field', () => {
    const geo = (params?: Record<string, string>) => ({ type: 'struct' as const, optional: true, name: 'x.Geo',
      fields: [{ name: 'wkb', schema: { type: 'bytes' as const, optional: false } }], ...(params ? { params } : {}) });
    const inner = { type: 'struct' as const, optional: false, name: 'a.b.Inner', fields: [{ name: 'v', schema: { type: 'int32' as const, optional: false } }] };
    const s = connectToAvro({
      type: 'struct', optional: false, name: 'a.b.Outer', version: 2,
      fields: [
        { name: 'i1', schema: inner }, { name: 'i2', schema: inner },
        { name: 'g1', schema: geo({ p: '1' }) }, { name: 'g2', schema: geo({ p: '2' }) }, { name: 'g3', schema: geo() },
        { name: 'top', schema: { type: 'struct', optional: false, name: 'NoNamespace', fields: [] } },
      ],
    });
    assertSchema(s, {
      type: 'record', name: 'Outer', namespace: 'a.b',
      fields: [
        { name: 'i1', type: { type: 'record', name: 'Inner', fields: [{ name: 'v', type: 'int' }], 'connect.name': 'a.b.Inner' } },
        { name: 'i2', type: 'Inner' },
        { name: 'g1', type: ['null', { type: 'record', name: 'Geo', namespace: 'x', fields: [{ name: 'wkb', type: 'bytes' }],
          'connect.parameters': { p: '1' }, 'connect.name': 'x.Geo' }], default: null },
        { name: 'g2', type: ['null', 'x.Geo'], default: null, 'connect.parameters': { p: '2' } },
        { name: 'g3', type: ['null', 'x.Geo'], default: null },
        { name: 'top', type: { type: 'record', name: 'NoNamespace', namespace: '', fields: [], 'connect.name': 'NoNamespace' } },
      ],
      'connect.version': 2, 'connect.name': 'a.b.Outer',
    });
  });
});
