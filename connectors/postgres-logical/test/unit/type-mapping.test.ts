import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mapPgType, numericTypmod, type ColumnMapping, type MappingResult } from '../../src/type-mapping.ts';
import { charMod, fakeTypes, numericMod, OID } from './fake-types.ts';

function ok(r: MappingResult): ColumnMapping {
  if ('unsupported' in r) throw new Error(`unexpectedly unsupported: ${r.unsupported}`);
  return r;
}
const map = (oid: number, mod = -1, dims = 0) => ok(mapPgType(oid, mod, fakeTypes, { dims }));

test('Debezium defaults for numbers, booleans and text', () => {
  const cases: Array<[number, number, object, string]> = [
    [OID.int2, -1, { type: 'int16' }, 'int'],
    [OID.int4, -1, { type: 'int32' }, 'int'],
    [OID.int8, -1, { type: 'int64' }, 'int64'],
    [OID.oid, -1, { type: 'int64' }, 'int64'],
    [OID.float4, -1, { type: 'float32' }, 'float32'],
    [OID.float8, -1, { type: 'float64' }, 'float64'],
    [OID.bool, -1, { type: 'boolean' }, 'bool'],
    [OID.text, -1, { type: 'string' }, 'string'],
    [OID.varchar, charMod(20), { type: 'string' }, 'string'],
    [OID.bpchar, charMod(3), { type: 'string' }, 'string'],
    [OID.name, -1, { type: 'string' }, 'string'],
    [OID.char, -1, { type: 'string' }, 'string'],
    [OID.inet, -1, { type: 'string' }, 'string'],
    [OID.cidr, -1, { type: 'string' }, 'string'],
    [OID.macaddr, -1, { type: 'string' }, 'string'],
    [OID.macaddr8, -1, { type: 'string' }, 'string'],
    [OID.int4range, -1, { type: 'string' }, 'string'],
    [OID.citext, -1, { type: 'string' }, 'string'],
    [OID.bytea, -1, { type: 'bytes' }, 'bytes'],
  ];
  for (const [oid, mod, ft, kind] of cases) {
    const m = map(oid, mod);
    assert.deepEqual(m.fieldType, ft, `oid ${oid}`);
    assert.equal(m.kind, kind, `oid ${oid}`);
  }
  assert.equal(map(OID.varchar, charMod(20)).sourceType, 'character varying(20)');
});

test('numeric(p,s) → Decimal with precision; numeric → VariableScaleDecimal; money → Decimal(scale 2)', () => {
  assert.deepEqual(numericTypmod(numericMod(10, 2)), { precision: 10, scale: 2 });
  assert.deepEqual(numericTypmod(numericMod(3, -2)), { precision: 3, scale: -2 });
  assert.equal(numericTypmod(-1), null);
  const d = map(OID.numeric, numericMod(38, 9));
  assert.deepEqual(d.fieldType, { type: 'bytes', logical: 'org.apache.kafka.connect.data.Decimal', version: 1, params: { scale: '9', 'connect.decimal.precision': '38' } });
  assert.equal(d.kind, 'decimal');
  assert.equal(d.scale, 9);
  assert.equal(d.sourceType, 'numeric(38,9)');
  assert.deepEqual(map(OID.numeric).fieldType, { type: 'bytes', logical: 'io.debezium.data.VariableScaleDecimal', version: 1 });
  assert.equal(map(OID.numeric, numericMod(3, -2)).kind, 'vsd', 'a negative scale cannot be an Avro decimal');
  assert.deepEqual(map(OID.money).fieldType, { type: 'bytes', logical: 'org.apache.kafka.connect.data.Decimal', version: 1, params: { scale: '2' } });
});

test('temporal types follow time.precision.mode=adaptive', () => {
  const lt = (oid: number, mod = -1) => map(oid, mod).fieldType.logical;
  assert.equal(lt(OID.date), 'io.debezium.time.Date');
  assert.equal(lt(OID.time), 'io.debezium.time.MicroTime');
  assert.equal(lt(OID.time, 6), 'io.debezium.time.MicroTime');
  assert.equal(lt(OID.time, 4), 'io.debezium.time.MicroTime');
  assert.equal(lt(OID.time, 3), 'io.debezium.time.Time');
  assert.equal(map(OID.time, 3).fieldType.type, 'int32');
  assert.equal(lt(OID.time, 0), 'io.debezium.time.Time');
  assert.equal(lt(OID.timestamp), 'io.debezium.time.MicroTimestamp');
  assert.equal(lt(OID.timestamp, 3), 'io.debezium.time.Timestamp');
  assert.equal(lt(OID.timestamptz), 'io.debezium.time.ZonedTimestamp');
  assert.equal(map(OID.timestamptz).scale, 6);
  assert.equal(map(OID.timestamptz, 2).scale, 2);
  assert.equal(lt(OID.timetz), 'io.debezium.time.ZonedTime');
  assert.equal(lt(OID.interval), 'io.debezium.time.MicroDuration');
  assert.equal(map(OID.interval).fieldType.type, 'int64');
});

test('json, uuid, xml, enums, domains, hstore, bits, geometric types', () => {
  assert.equal(map(OID.json).fieldType.logical, 'io.debezium.data.Json');
  assert.equal(map(OID.jsonb).fieldType.logical, 'io.debezium.data.Json');
  assert.equal(map(OID.uuid).fieldType.logical, 'io.debezium.data.Uuid');
  assert.equal(map(OID.xml).fieldType.logical, 'io.debezium.data.Xml');
  assert.deepEqual(map(OID.mood).fieldType, { type: 'string', logical: 'io.debezium.data.Enum', version: 1, params: { allowed: 'sad,ok,happy, really' } });
  assert.deepEqual(map(OID.posint).fieldType, { type: 'int32' }, 'a domain maps as its base type');
  assert.equal(map(OID.shortname).sourceType, 'character varying(10)', "the domain's typmod applies");
  assert.equal(map(OID.hstore).kind, 'hstore');
  assert.equal(map(OID.hstore).fieldType.logical, 'io.debezium.data.Json');
  assert.deepEqual(map(OID.bit, 1).fieldType, { type: 'boolean' });
  assert.deepEqual(map(OID.bit, 16).fieldType, { type: 'bytes', logical: 'io.debezium.data.Bits', version: 1, params: { length: '16' } });
  assert.deepEqual(map(OID.varbit, 1).fieldType, { type: 'boolean' });
  assert.deepEqual(map(OID.point).fieldType, { type: 'bytes', logical: 'io.debezium.data.geometry.Point', version: 1 });
  for (const oid of [OID.box, OID.lseg, OID.path, OID.polygon]) assert.equal(map(oid).fieldType.logical, 'io.debezium.data.geometry.Geometry');
});

test('arrays map to Connect arrays of their element type, nested once per declared dimension', () => {
  const a = map(OID._int4);
  assert.equal(a.kind, 'array');
  assert.deepEqual(a.fieldType.items, { type: 'int32' });
  assert.equal(a.element?.kind, 'int');
  assert.equal(a.sourceType, 'integer[]');
  assert.deepEqual(map(OID._numeric, numericMod(5, 2)).fieldType.items?.params, { scale: '2', 'connect.decimal.precision': '5' });
  assert.equal(map(OID._mood).fieldType.items?.logical, 'io.debezium.data.Enum');
  assert.deepEqual(map(OID._posint).fieldType.items, { type: 'int32' });
  const m2 = map(OID._text, -1, 2);
  assert.deepEqual(m2.fieldType, { type: 'array', items: { type: 'array', items: { type: 'string' } } });
  assert.equal(m2.sourceType, 'text[][]');
  assert.equal(m2.dims, 2);
  assert.equal(map(OID._text, -1, 1).dims, 1);
});

test('types Debezium leaves out (include.unknown.datatypes=false) are reported unsupported, with the reason', () => {
  for (const [oid, why] of [[OID.circle, /circle/], [OID.line, /line/], [OID.pg_lsn, /pg_lsn/], [OID.pair, /composite/], [OID.grid, /extension type/], [424242, /not in pg_type/]] as const) {
    const r = mapPgType(oid, -1, fakeTypes);
    assert.ok('unsupported' in r, `oid ${oid}`);
    assert.match(r.unsupported, why);
  }
});

test('size bounds: bounded varlena types have one, unbounded ones do not', () => {
  assert.equal(map(OID.varchar, charMod(10)).maxBytes, 44);
  assert.equal(map(OID.text).maxBytes, null);
  assert.equal(map(OID.varchar).maxBytes, null);
  assert.equal(map(OID.jsonb).maxBytes, null);
  assert.equal(map(OID.numeric).maxBytes, null);
  assert.ok((map(OID.numeric, numericMod(12, 2)).maxBytes ?? Infinity) < 32);
  assert.equal(map(OID.int8).maxBytes, 8);
});
