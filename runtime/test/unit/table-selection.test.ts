import { test } from 'node:test';
import assert from 'node:assert/strict';
import { matchesDmsPattern } from '../../src/mapping/wildcard.ts';
import { createTableSelector } from '../../src/mapping/table-selection.ts';
import type { TableMapping } from '../../src/config/table-mapping-schema.ts';

test('DMS wildcards: %, _, [_], sets and ranges', () => {
  const cases: [string, string, boolean][] = [
    ['%', '', true], ['%', 'anything', true], ['tmp%', 'tmp_orders', true], ['tmp%', 'xtmp', false],
    ['a_c', 'abc', true], ['a_c', 'ac', false], ['a_c', 'abbc', false],
    ['tmp[_]%', 'tmp_x', true], ['tmp[_]%', 'tmpAx', false],
    ['t[ab]', 'ta', true], ['t[ab]', 'tc', false], ['t[a-d]x', 'tcx', true], ['t[a-d]x', 'tex', false],
    ['Orders', 'orders', false], ['a.b', 'a.b', true], ['a.b', 'axb', false], ['x+y', 'x+y', true],
  ];
  for (const [p, name, expected] of cases) assert.equal(matchesDmsPattern(p, name), expected, `${p} ~ ${name}`);
});

test('selection: include and exclude, exclusion wins, explicit is exact, load-order', () => {
  const mapping: TableMapping = { rules: [
    { 'rule-type': 'selection', 'rule-id': '1', 'rule-name': 'inc', 'rule-action': 'include', 'object-locator': { 'schema-name': 'sales', 'table-name': '%' }, 'load-order': '5' },
    { 'rule-type': 'selection', 'rule-id': '2', 'rule-name': 'exc', 'rule-action': 'exclude', 'object-locator': { 'schema-name': 'sales', 'table-name': 'tmp[_]%' } },
    { 'rule-type': 'selection', 'rule-id': '3', 'rule-name': 'exp', 'rule-action': 'explicit', 'object-locator': { 'schema-name': 'crm', 'table-name': 'orders' } },
  ] };
  const s = createTableSelector(mapping);
  assert.equal(s.includes({ schema: 'sales', table: 'orders' }), true);
  assert.equal(s.includes({ schema: 'sales', table: 'tmp_x' }), false);
  assert.equal(s.includes({ schema: 'sales', table: 'tmpx' }), true);
  assert.equal(s.includes({ schema: 'crm', table: 'orders' }), true);
  assert.equal(s.includes({ schema: 'crm', table: 'orders2' }), false);
  assert.equal(s.includes({ schema: 'hr', table: 'people' }), false);
  assert.equal(s.loadOrder({ schema: 'sales', table: 'orders' }), 5);
  assert.equal(s.loadOrder({ schema: 'crm', table: 'orders' }), 0);
  assert.deepEqual(s.schemaPatterns(), ['sales', 'crm']);
});
