// A PostgreSQL bit varying column in the schema conversion, by how the source sends its values (the PostgreSQL
// source's bitVaryingHandlingMode, seen through the described Connect types): Debezium's Bits lose a value's length,
// so the assessment warns and names the option; with the exact bit string, MySQL gets varchar(n) instead of BIT(n).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { SourceCatalog } from '../../../../core/src/catalog.ts';
import type { FieldType, TableSchema } from '../../../../core/src/types.ts';
import type { TableMapping } from '../../../src/config/table-mapping-schema.ts';
import { convertSchema } from '../../../src/schema-conversion/convert.ts';

const catalog: SourceCatalog = {
  engine: 'postgres', serverVersion: '15.0', views: [], triggers: [], routines: [], sequences: [],
  tables: [{
    schema: 'app', name: 'flags', uniqueKeys: [], indexes: [], foreignKeys: [], checks: [],
    primaryKey: { name: 'flags_pkey', columns: ['id'] },
    columns: [
      { name: 'id', ordinal: 1, sourceType: 'integer', type: { name: 'integer' }, nullable: false },
      { name: 'v', ordinal: 2, sourceType: 'bit varying(16)', type: { name: 'bit varying', length: 16 }, nullable: true },
    ],
  }],
};
const mapping = { rules: [{ 'rule-type': 'selection', 'rule-id': '1', 'rule-name': 'all', 'rule-action': 'include', 'object-locator': { 'schema-name': 'app', 'table-name': '%' } }] } as unknown as TableMapping;
const described = (v: FieldType): TableSchema[] => [{
  id: { schema: 'app', table: 'flags' }, version: 1, primaryKey: ['id'],
  columns: [{ name: 'id', type: { type: 'int32' }, nullable: false, sourceType: 'integer' }, { name: 'v', type: v, nullable: true, sourceType: 'bit varying(16)' }],
}];
const BITS: FieldType = { type: 'bytes', logical: 'io.debezium.data.Bits', version: 1, params: { length: '16' } };
const BIT_STRING: FieldType = { type: 'string', logical: 'io.ferry.data.BitString', version: 1, params: { length: '16' } };
const item = (target: 'postgres' | 'mysql', v: FieldType) => convertSchema({ catalog, described: described(v), mapping, target }).assessment.items.find((i) => i.object === 'app.flags.v');

test('PostgreSQL → PostgreSQL: bit varying with Debezium Bits warns, naming bitVaryingHandlingMode; with the bit string it is automatic', () => {
  const bits = item('postgres', BITS)!;
  assert.equal(bits.outcome, 'warning');
  assert.equal(bits.target, 'bit varying(16)');
  assert.match(bits.reason!, /Debezium Bits, which do not carry a value's bit count/);
  assert.equal(bits.fix, 'set the source option bitVaryingHandlingMode: string (the exact bit string)');
  assert.deepEqual(item('postgres', BIT_STRING), { kind: 'column type', object: 'app.flags.v', outcome: 'auto', target: 'bit varying(16)' });
});

test('PostgreSQL → MySQL: BIT(n) by default (warning naming the option), varchar(n) with the exact bit string', () => {
  const bits = item('mysql', BITS)!;
  assert.equal(bits.target, 'bit(16)');
  assert.match(bits.fix!, /bitVaryingHandlingMode: string/);
  const text = item('mysql', BIT_STRING)!;
  assert.equal(text.outcome, 'warning');
  assert.equal(text.target, 'varchar(16)');
  assert.match(text.reason!, /exact bit string/);
});
