// Every transformation rule-action on schema, table and column, with DMS's documented examples and precedence.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { applyNameAction, compileMapping } from '../../../src/mapping/transform-rules.ts';
import { col, include, mapping, table, tr } from './helpers.ts';

test('name actions, one by one (DMS examples)', () => {
  const cases: [Record<string, string>, string, string][] = [
    [{ 'rule-action': 'rename', value: 'Test1' }, 'Test', 'Test1'],
    [{ 'rule-action': 'convert-lowercase' }, 'ACTOR', 'actor'],
    [{ 'rule-action': 'convert-uppercase' }, 'first_name', 'FIRST_NAME'],
    [{ 'rule-action': 'add-prefix', value: 'DMS_' }, 'actor', 'DMS_actor'],
    [{ 'rule-action': 'remove-prefix', value: 'DMS_' }, 'DMS_actor', 'actor'],
    [{ 'rule-action': 'remove-prefix', value: 'DMS_' }, 'actor', 'actor'],
    [{ 'rule-action': 'replace-prefix', value: 'NewPre_', 'old-value': 'Pre_' }, 'Pre_col', 'NewPre_col'],
    [{ 'rule-action': 'replace-prefix', value: 'NewPre_', 'old-value': 'Pre_' }, 'col_Pre_', 'col_Pre_'],
    [{ 'rule-action': 'add-suffix', value: '_DMS' }, 'actor', 'actor_DMS'],
    [{ 'rule-action': 'remove-suffix', value: '_DMS' }, 'actor_DMS', 'actor'],
    [{ 'rule-action': 'remove-suffix', value: '_DMS' }, 'actor_DMSX', 'actor_DMSX'],
    [{ 'rule-action': 'replace-suffix', value: '_new', 'old-value': '_old' }, 'tbl_old', 'tbl_new'],
    [{ 'rule-action': 'replace-suffix', value: '_new', 'old-value': '_old' }, 'tbl_older', 'tbl_older'],
  ];
  for (const [r, name, expected] of cases) assert.equal(applyNameAction(r as never, name), expected, `${r['rule-action']} ${name}`);
});

const actor = table('Test', 'Actor', [col('id', 'int32'), col('first_name'), col('last_name'), col('col1'), col('col2')]);

test('schema, table and column renames apply together (different objects)', () => {
  const m = compileMapping(mapping(include('Test'),
    tr('schema', 'rename', { 'schema-name': 'Test' }, { value: 'Test1' }),
    tr('table', 'rename', { 'schema-name': 'Test', 'table-name': 'Actor' }, { value: 'Actor1' }),
    tr('column', 'rename', { 'schema-name': 'Test', 'table-name': 'Actor', 'column-name': 'first_name' }, { value: 'fname' })));
  const p = m.plan(actor);
  assert.deepEqual(p.target.id, { schema: 'Test1', table: 'Actor1' });
  assert.deepEqual(p.target.columns.map((c) => c.name), ['id', 'fname', 'last_name', 'col1', 'col2']);
  assert.deepEqual(p.target.primaryKey, ['id']);
  assert.equal(p.rowsUnchanged, false);
  assert.deepEqual(m.targetId({ schema: 'Test', table: 'Actor' }), { schema: 'Test1', table: 'Actor1' });
  assert.deepEqual(m.targetId({ schema: 'Other', table: 'Actor' }), { schema: 'Other', table: 'Actor' });
});

test('object locators are case-sensitive source names with wildcards', () => {
  const m = compileMapping(mapping(include(), tr('table', 'convert-lowercase', { 'schema-name': 'test', 'table-name': 'ACTOR' }), tr('table', 'add-prefix', { 'schema-name': 'T%', 'table-name': '%' }, { value: 'DMS_' })));
  assert.deepEqual(m.plan(table('test', 'ACTOR', [col('id', 'int32')])).target.id, { schema: 'test', table: 'actor' });
  assert.deepEqual(m.plan(table('Test', 'Actor', [col('id', 'int32')])).target.id, { schema: 'Test', table: 'DMS_Actor' });
  assert.deepEqual(m.plan(table('test', 'Actor', [col('id', 'int32')])).target.id, { schema: 'test', table: 'Actor' });
});

test('column name actions over all columns (convert-uppercase, replace-prefix examples)', () => {
  const up = compileMapping(mapping(include(), tr('column', 'convert-uppercase', { 'schema-name': '%', 'table-name': '%', 'column-name': '%' })));
  assert.deepEqual(up.plan(actor).target.columns.map((c) => c.name), ['ID', 'FIRST_NAME', 'LAST_NAME', 'COL1', 'COL2']);
  assert.deepEqual(up.plan(actor).target.primaryKey, ['ID']);
  const pre = compileMapping(mapping(include(), tr('column', 'replace-prefix', { 'schema-name': '%', 'table-name': '%', 'column-name': '%' }, { value: 'NewPre_', 'old-value': 'Pre_' })));
  assert.deepEqual(pre.plan(table('s', 't', [col('id', 'int32'), col('Pre_a'), col('b')])).target.columns.map((c) => c.name), ['id', 'NewPre_a', 'b']);
});

test('remove-column with a pattern (DMS example: col%)', () => {
  const m = compileMapping(mapping(include(), tr('column', 'remove-column', { 'schema-name': 'Test', 'table-name': 'Actor', 'column-name': 'col%' })));
  assert.deepEqual(m.plan(actor).target.columns.map((c) => c.name), ['id', 'first_name', 'last_name']);
});

test('include-column keeps only the included columns', () => {
  const m = compileMapping(mapping(include(), tr('column', 'include-column', { 'schema-name': 'Test', 'table-name': 'Actor', 'column-name': 'id' }), tr('column', 'include-column', { 'schema-name': 'Test', 'table-name': 'Actor', 'column-name': '%_name' })));
  assert.deepEqual(m.plan(actor).target.columns.map((c) => c.name), ['id', 'first_name', 'last_name']);
});

test('removing a primary-key column without a new key is refused', () => {
  const m = compileMapping(mapping(include(), tr('column', 'remove-column', { 'schema-name': '%', 'table-name': '%', 'column-name': 'id' })));
  assert.throws(() => m.plan(actor), /primary-key column "id" is removed/);
});

test('define-primary-key (target column names) re-keys the table', () => {
  const m = compileMapping(mapping(include(),
    tr('column', 'rename', { 'schema-name': '%', 'table-name': '%', 'column-name': 'last_name' }, { value: 'surname' }),
    tr('table', 'define-primary-key', { 'schema-name': 'Test', 'table-name': 'Actor' }, { 'primary-key-def': { name: 'pk', columns: ['first_name', 'surname'] } })));
  const p = m.plan(actor);
  assert.deepEqual(p.target.primaryKey, ['first_name', 'surname']);
  assert.equal(p.target.columns.find((c) => c.name === 'surname')!.nullable, false);
  const bad = compileMapping(mapping(include(), tr('table', 'define-primary-key', { 'schema-name': '%', 'table-name': '%' }, { 'primary-key-def': { name: 'pk', columns: ['nope'] } })));
  assert.throws(() => bad.plan(actor), /define-primary-key names "nope"/);
});

test('add-column: target type from data-type; duplicate names are refused; unknown $columns are refused', () => {
  const m = compileMapping(mapping(include(), tr('column', 'add-column', { 'schema-name': 'Test', 'table-name': 'Actor' }, { value: 'FULL_NAME', expression: "$first_name||'_'||$last_name", 'data-type': { type: 'string', length: 50 } }),
    tr('column', 'add-column', { 'schema-name': 'Test', 'table-name': 'Actor' }, { value: 'last_updated', 'data-type': { type: 'datetime', precision: 6 } })));
  const p = m.plan(actor);
  assert.deepEqual(p.target.columns.slice(-2).map((c) => [c.name, c.type]), [['FULL_NAME', { type: 'string' }], ['last_updated', { type: 'int64', logical: 'io.debezium.time.MicroTimestamp', version: 1 }]]);
  const dup = compileMapping(mapping(include(), tr('column', 'add-column', { 'schema-name': '%', 'table-name': '%' }, { value: 'col1', expression: '1', 'data-type': { type: 'int4' } })));
  assert.throws(() => dup.plan(actor), /names a column the target table already has/);
  const unknown = compileMapping(mapping(include(), tr('column', 'add-column', { 'schema-name': '%', 'table-name': '%' }, { value: 'x', expression: '$FIRST_NAME', 'data-type': { type: 'string' } })));
  assert.throws(() => unknown.plan(actor), /refers to \$FIRST_NAME, which is not a column of Test.Actor/);
});

test('change-data-type by column name and by object-locator data-type', () => {
  const t = table('dbo', 'dms', [col('id', 'int32'), col('SALE_AMOUNT', 'int32'), col('qty', 'int16')]);
  const m = compileMapping(mapping(include(), tr('column', 'change-data-type', { 'schema-name': 'dbo', 'table-name': 'dms', 'column-name': 'SALE_AMOUNT' }, { 'data-type': { type: 'int8' } }),
    tr('column', 'change-data-type', { 'schema-name': 'dbo', 'table-name': 'dms', 'column-name': '%', 'data-type': 'int2' }, { 'data-type': { type: 'string' } })));
  assert.deepEqual(m.plan(t).target.columns.map((c) => [c.name, c.type.type]), [['id', 'int32'], ['SALE_AMOUNT', 'int64'], ['qty', 'string']]);
});

test('add-before-image-columns (DMS example: BI_ prefix, pk-only)', () => {
  const m = compileMapping(mapping(include(), tr('column', 'add-before-image-columns', { 'schema-name': '%', 'table-name': 'employees' }, { 'before-image-def': { 'column-prefix': 'BI_', 'column-suffix': '', 'column-filter': 'pk-only' } })));
  const p = m.plan(table('hr', 'employees', [col('emp_no', 'int32'), col('name')], ['emp_no']));
  assert.deepEqual(p.target.columns.map((c) => c.name), ['emp_no', 'name', 'BI_emp_no']);
});

test('precedence: one action per object, the lower rule-id wins; masking combines; schema+table+column all apply', () => {
  const m = compileMapping(mapping(include(),
    { ...tr('column', 'rename', { 'schema-name': '%', 'table-name': '%', 'column-name': 'first_name' }, { value: 'late' }), 'rule-id': '9' },
    { ...tr('column', 'convert-uppercase', { 'schema-name': '%', 'table-name': '%', 'column-name': 'first%' }), 'rule-id': '3' },
    { ...tr('table', 'rename', { 'schema-name': '%', 'table-name': 'Actor' }, { value: 'B' }), 'rule-id': '8' },
    { ...tr('table', 'rename', { 'schema-name': '%', 'table-name': 'Act%' }, { value: 'A' }), 'rule-id': '4' },
    { ...tr('column', 'remove-column', { 'schema-name': '%', 'table-name': '%', 'column-name': 'last_name' }), 'rule-id': '20' },
    { ...tr('column', 'rename', { 'schema-name': '%', 'table-name': '%', 'column-name': 'last_name' }, { value: 'ln' }), 'rule-id': '5' },
    { ...tr('column', 'data-masking-hash-mask', { 'schema-name': '%', 'table-name': '%', 'column-name': 'first_name' }), 'rule-id': '30' }));
  const p = m.plan(actor);
  assert.deepEqual(p.target.id, { schema: 'Test', table: 'A' });
  // rename (5) and remove-column (20) on last_name are in different groups: the column is removed.
  assert.deepEqual(p.target.columns.map((c) => [c.name, c.type.type]), [['id', 'int32'], ['FIRST_NAME', 'string'], ['col1', 'string'], ['col2', 'string']]);
  assert.deepEqual(p.shadowed.map((s) => [s.ruleId, s.object, s.by]), [['8', 'table', '4'], ['9', 'column first_name', '3']]);
  assert.ok(p.applied.some((a) => a.ruleId === '30' && a.action === 'data-masking-hash-mask'));
});

test('a mapping without transformation rules or filters transforms nothing', () => {
  const m = compileMapping(mapping(include()));
  assert.equal(m.transforms, false);
  const p = m.plan(actor);
  assert.equal(p.rowsUnchanged, true);
  assert.deepEqual(p.target, actor);
});
