// objectMappingFor (runtime/src/mapping/object-mapping.ts): a table's object-mapping rule is the matching rule with the
// lowest rule-id, found through the rule index; checked against a full scan of the rules in rule-id order.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { tableMappingSchema, type TableMapping } from '../../../src/config/table-mapping-schema.ts';
import { objectMappingFor } from '../../../src/mapping/object-mapping.ts';
import { compileDmsPattern } from '../../../src/mapping/wildcard.ts';

const objectRule = (id: number, schema: string, table: string) => ({
  'rule-type': 'object-mapping', 'rule-id': String(id), 'rule-name': `r${id}`, 'rule-action': 'map-record-to-record',
  'target-table-name': `target_${id}`, 'object-locator': { 'schema-name': schema, 'table-name': table },
});

const mappingOf = (rules: unknown[]): TableMapping => tableMappingSchema.parse({
  rules: [{ 'rule-type': 'selection', 'rule-id': '100000', 'rule-name': 'all', 'rule-action': 'include', 'object-locator': { 'schema-name': '%', 'table-name': '%' } }, ...rules],
});

/** The rule a scan in rule-id order finds (what objectMappingFor did before the index). */
function scanned(m: TableMapping, schema: string, table: string): string | undefined {
  return m.rules
    .filter((r) => r['rule-type'] === 'object-mapping')
    .sort((a, b) => Number(a['rule-id']) - Number(b['rule-id']))
    .find((r) => compileDmsPattern(r['object-locator']['schema-name']).test(schema) && compileDmsPattern(r['object-locator']['table-name'] || '%').test(table))?.['rule-id'];
}

test('the lowest matching rule-id wins, whatever the order of the rules in the file', () => {
  const m = mappingOf([objectRule(30, 'shop', 'orders'), objectRule(20, 'shop', 'ord%'), objectRule(10, 'sh_p', 'o_ders'), objectRule(40, '%', '%')]);
  assert.equal(objectMappingFor(m, { schema: 'shop', table: 'orders' })?.ruleId, '10');
  assert.equal(objectMappingFor(m, { schema: 'shop', table: 'ordinals' })?.ruleId, '20');
  assert.equal(objectMappingFor(m, { schema: 'shop', table: 'items' })?.ruleId, '40');
  assert.equal(objectMappingFor(m, { schema: 'other', table: 'orders' })?.ruleId, '40');
  assert.equal(objectMappingFor(mappingOf([objectRule(1, 'shop', 'orders')]), { schema: 'shop', table: 'items' }), undefined);
});

test('2,000 per-table rules with `_` in their names: each table gets its own rule, as a full scan finds', () => {
  const rules = Array.from({ length: 2000 }, (_, i) => objectRule(2000 - i, 'w6_db', `t_${String(i).padStart(4, '0')}`));
  const m = mappingOf([...rules, objectRule(5000, 'w6_db', 't%')]);
  for (let i = 0; i < 2000; i += 37) {
    const table = `t_${String(i).padStart(4, '0')}`;
    const got = objectMappingFor(m, { schema: 'w6_db', table });
    assert.equal(got?.ruleId, String(2000 - i));
    assert.equal(got?.targetTableName, `target_${2000 - i}`);
    assert.equal(got?.ruleId, scanned(m, 'w6_db', table));
  }
  assert.equal(objectMappingFor(m, { schema: 'w6_db', table: 'tother' })?.ruleId, '5000');
  assert.equal(objectMappingFor(m, { schema: 'w6_dbx', table: 't_0001' }), undefined);
});
