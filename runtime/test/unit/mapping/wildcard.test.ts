// DMS wildcards (Wildcards page): % zero or more, _ exactly one, [_] a literal underscore, [ab] a set, [a-d] a range.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { matchesDmsPattern } from '../../../src/mapping/wildcard.ts';
import { createTableSelector } from '../../../src/mapping/table-selection.ts';
import { include, mapping } from './helpers.ts';

test('each wildcard, exactly as DMS documents it', () => {
  const cases: [string, string, boolean][] = [
    ['%', '', true], ['DMS%', 'DMS', true], ['DMS%', 'DMSX_1', true], ['DMS%', 'dms_x', false],
    ['a_c', 'abc', true], ['a_c', 'a_c', true], ['a_c', 'ac', false], ['a_c', 'abbc', false], ['___', 'é€x', true],
    ['TEST[_]T%', 'TEST_T1', true], ['TEST[_]T%', 'TESTxT1', false],
    ['[ab]x', 'ax', true], ['[ab]x', 'bx', true], ['[ab]x', 'cx', false], ['[ab]x', 'abx', false],
    ['t[a-d]', 'ta', true], ['t[a-d]', 'td', true], ['t[a-d]', 'te', false], ['t[a-d]', 't-', false],
    ['v[0-9][0-9]', 'v07', true], ['v[0-9][0-9]', 'v7', false],
    ['a%b%c', 'aXXbYYc', true], ['a%b%c', 'acb', false], ['%.%', 'x.y', true], ['a$b', 'a$b', true], ['a(b)', 'a(b)', true],
  ];
  for (const [p, name, expected] of cases) assert.equal(matchesDmsPattern(p, name), expected, `${p} ~ ${JSON.stringify(name)}`);
});

test('selection: DMS example "all tables except those starting with DMS"; exclusion wins whatever the order', () => {
  const s = createTableSelector(mapping(include('Test', '%'), { ...include('Test', 'DMS%'), 'rule-id': '2', 'rule-name': 'x', 'rule-action': 'exclude' }));
  assert.deepEqual(['Customer', 'DMS_log', 'DMSx', 'dms_lower'].map((t) => s.includes({ schema: 'Test', table: t })), [true, false, false, true]);
  const before = createTableSelector(mapping({ ...include('Test', 'DMS%'), 'rule-action': 'exclude' }, { ...include('Test', '%'), 'rule-id': '2', 'rule-name': 'y' }));
  assert.equal(before.includes({ schema: 'Test', table: 'DMS_log' }), false);
});

test('load-order: higher loads first (DMS example: loadfirst 2, loadsecond 1)', () => {
  const s = createTableSelector(mapping(include('Test', 'loadsecond', { 'load-order': '1' }), { ...include('Test', 'loadfirst', { 'load-order': '2' }), 'rule-id': '2', 'rule-name': 'b' }));
  assert.deepEqual(['loadfirst', 'loadsecond'].map((t) => s.loadOrder({ schema: 'Test', table: t })), [2, 1]);
});
