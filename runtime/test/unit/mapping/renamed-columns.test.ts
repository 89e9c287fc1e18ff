// A column the source renamed keeps its earlier names through the table mapping, mapped the way a column of that name
// would have been, so a database target that got the mapped name renames it (Column.renamedFrom).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { compileMapping } from '../../../src/mapping/transform-rules.ts';
import { col, include, mapping, table, tr } from './helpers.ts';

// The source renamed Note → Remark and Qty → Amount (earlier: Count).
const t = table('Shop', 'Items', [col('id', 'int32'), col('Remark', 'string', { renamedFrom: ['Note'] }), col('Amount', 'int32', { renamedFrom: ['Qty', 'Count'] }), col('Other')]);

test('convert-lowercase on every column maps the earlier names too', () => {
  const p = compileMapping(mapping(include('Shop'), tr('column', 'convert-lowercase', { 'schema-name': '%', 'table-name': '%', 'column-name': '%' }))).plan(t);
  assert.deepEqual(p.target.columns.map((c) => [c.name, c.renamedFrom]), [['id', undefined], ['remark', ['note']], ['amount', ['qty', 'count']], ['other', undefined]]);
});

test('a rule for the earlier name gives the name the target has; a rename back to the current name is left out', () => {
  const p = compileMapping(mapping(include('Shop'),
    tr('column', 'rename', { 'schema-name': 'Shop', 'table-name': 'Items', 'column-name': 'Note' }, { value: 'memo' }),
    tr('column', 'rename', { 'schema-name': 'Shop', 'table-name': 'Items', 'column-name': 'Count' }, { value: 'Amount' }))).plan(t);
  assert.deepEqual(p.target.columns.map((c) => [c.name, c.renamedFrom]), [['id', undefined], ['Remark', ['memo']], ['Amount', ['Qty']], ['Other', undefined]]);
});

test('without rules for them the earlier names pass as they are, and the table is not copied', () => {
  const p = compileMapping(mapping(include('Shop'), tr('column', 'rename', { 'schema-name': 'Shop', 'table-name': 'Items', 'column-name': 'Other' }, { value: 'other2' }))).plan(t);
  assert.deepEqual(p.target.columns.map((c) => [c.name, c.renamedFrom]), [['id', undefined], ['Remark', ['Note']], ['Amount', ['Qty', 'Count']], ['other2', undefined]]);
  assert.equal(p.target.columns[1], t.columns[1], 'an unchanged column is the source column itself');
  const masked = compileMapping(mapping(include('Shop'), tr('column', 'data-masking-hash-mask', { 'schema-name': 'Shop', 'table-name': 'Items', 'column-name': 'Remark' }))).plan(t);
  assert.deepEqual(masked.target.columns[1]!.renamedFrom, ['Note'], 'a masked column keeps them');
});
