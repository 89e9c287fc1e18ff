import { test } from 'node:test';
import assert from 'node:assert/strict';
import { addTables, escapeDmsPattern, removeTables } from '../../../src/tasks-api/selection-edit.ts';
import { createTableSelector } from '../../../../runtime/src/mapping/table-selection.ts';
import type { TableMapping } from '../../../../runtime/src/config/table-mapping-schema.ts';

const def = (rules: unknown[]) => ({ name: 't', tableMappings: { rules } });
const inc = (id: string, schema: string, table: string, action = 'include') => ({ 'rule-type': 'selection', 'rule-id': id, 'rule-name': `r${id}`, 'rule-action': action, 'object-locator': { 'schema-name': schema, 'table-name': table } });
const selects = (d: Record<string, unknown>, schema: string, table: string) => createTableSelector(d.tableMappings as TableMapping).includes({ schema, table });

test('add and remove tables by editing the selection rules', () => {
  const start = def([inc('1', 'shop', 'orders')]);
  const added = addTables(start, ['shop.items', 'shop.orders']);
  assert.ok(!('problem' in added));
  assert.ok(selects(added.definition, 'shop', 'items') && selects(added.definition, 'shop', 'orders'));
  assert.deepEqual(added.changed, ['shop.items', 'shop.orders']);
  const removed = removeTables(added.definition, ['shop.items', 'shop.orders']);
  assert.ok(!('problem' in removed));
  assert.ok(!selects(removed.definition, 'shop', 'items') && !selects(removed.definition, 'shop', 'orders'));
  // the API's own add rule is dropped, not excluded; the user's include gets an exclude
  const rules = (removed.definition.tableMappings as { rules: { 'rule-name': string; 'rule-action': string }[] }).rules;
  assert.deepEqual(rules.map((r) => r['rule-name']), ['r1', 'ferry-api-remove:shop.orders']);
  // adding back drops the API's exclude
  const back = addTables(removed.definition, ['shop.orders']);
  assert.ok(!('problem' in back));
  assert.deepEqual((back.definition.tableMappings as { rules: unknown[] }).rules, [inc('1', 'shop', 'orders')]);
});

test('a wildcard include with a user exclude: removal escapes wildcards, a user-excluded table cannot be added', () => {
  const d = def([inc('1', 'shop', '%'), inc('2', 'shop', 'secret%', 'exclude')]);
  const r = removeTables(d, ['shop.a_b']);
  assert.ok(!('problem' in r));
  assert.ok(!selects(r.definition, 'shop', 'a_b'));
  assert.ok(selects(r.definition, 'shop', 'axb'), 'the escaped _ matches only itself');
  assert.equal(escapeDmsPattern('a_b%[c'), 'a[_]b[%][[]c');
  const a = addTables(d, ['shop.secret_x']);
  assert.ok('problem' in a && /excluded/.test(a.problem));
  const bad = addTables(d, ['nodot']);
  assert.ok('problem' in bad);
  const notSel = removeTables(d, ['other.x']);
  assert.ok('problem' in notSel && /not selected/.test(notSel.problem));
});
