// Source filters: every operator, OR within a filter, AND across filters, NULLs, numeric vs text affinity, dates.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { compileRuleFilters, compileTableFilter } from '../../../src/mapping/source-filter.ts';
import { col, table } from './helpers.ts';

const employee = table('test', 'employee', [col('empid', 'int32'), col('dept'), { name: 'empstartdate', type: { type: 'int32', logical: 'io.debezium.time.Date' }, nullable: true, sourceType: 'date' }, col('code')], ['empid']);
type Cond = Record<string, string | undefined>;
const f = (column: string, ...conds: Cond[]) => ({ 'filter-type': 'source' as const, 'column-name': column, 'filter-conditions': conds as never });
const pass = (filters: ReturnType<typeof f>[], rows: Record<string, unknown>[]) => {
  const p = compileRuleFilters(filters, employee, '1');
  return rows.map((r) => p({ empid: null, dept: null, empstartdate: null, code: null, ...r }));
};
const ids = (...v: (number | null)[]) => v.map((empid) => ({ empid }));

test('each operator, numeric column (DMS values are strings, compared as numbers)', () => {
  const rows = ids(5, 10, 50, 60, 75, 100, 150, null);
  assert.deepEqual(pass([f('empid', { 'filter-operator': 'eq', value: '50' })], rows), [false, false, true, false, false, false, false, false]);
  assert.deepEqual(pass([f('empid', { 'filter-operator': 'noteq', value: '50' })], rows), [true, true, false, true, true, true, true, false]);
  assert.deepEqual(pass([f('empid', { 'filter-operator': 'lte', value: '10' })], rows), [true, true, false, false, false, false, false, false]);
  assert.deepEqual(pass([f('empid', { 'filter-operator': 'ste', value: '10' })], rows), [true, true, false, false, false, false, false, false]);
  assert.deepEqual(pass([f('empid', { 'filter-operator': 'gte', value: '100' })], rows), [false, false, false, false, false, true, true, false]);
  assert.deepEqual(pass([f('empid', { 'filter-operator': 'between', 'start-value': '50', 'end-value': '75' })], rows), [false, false, true, true, true, false, false, false]);
  assert.deepEqual(pass([f('empid', { 'filter-operator': 'notbetween', 'start-value': '50', 'end-value': '75' })], rows), [true, true, false, false, false, true, true, false]);
  assert.deepEqual(pass([f('empid', { 'filter-operator': 'null' })], rows), [false, false, false, false, false, false, false, true]);
  assert.deepEqual(pass([f('empid', { 'filter-operator': 'notnull' })], rows), [true, true, true, true, true, true, true, false]);
});

test('DMS example: (empid <= 10) OR (empid between 50 and 75) OR (empid >= 100)', () => {
  const conds = [{ 'filter-operator': 'lte', value: '10' }, { 'filter-operator': 'between', 'start-value': '50', 'end-value': '75' }, { 'filter-operator': 'gte', value: '100' }];
  assert.deepEqual(pass([f('empid', ...conds)], ids(5, 10, 11, 49, 50, 75, 76, 99, 100)), [true, true, false, false, true, true, false, false, true]);
});

test('DMS examples: filters are ANDed — (empid <= 100) AND (dept = tech); (empid != 50) AND (dept is not NULL)', () => {
  const rows = [{ empid: 100, dept: 'tech' }, { empid: 101, dept: 'tech' }, { empid: 1, dept: 'Tech' }, { empid: 50, dept: 'x' }, { empid: 7, dept: null }];
  assert.deepEqual(pass([f('empid', { 'filter-operator': 'lte', value: '100' }), f('dept', { 'filter-operator': 'eq', value: 'tech' })], rows), [true, false, false, false, false]);
  assert.deepEqual(pass([f('empid', { 'filter-operator': 'noteq', value: '50' }), f('dept', { 'filter-operator': 'notnull' })], rows), [true, true, true, false, false]);
});

test('text columns compare as text; dates as YYYY-MM-DD text (DMS: SQLite conventions)', () => {
  assert.deepEqual(pass([f('code', { 'filter-operator': 'gte', value: '9' })], [{ code: '10' }, { code: '9' }, { code: 'A' }]), [false, true, true]);
  // empstartdate >= 2002-01-01 (days since epoch: 2001-12-31 = 11687, 2002-01-01 = 11688)
  assert.deepEqual(pass([f('empstartdate', { 'filter-operator': 'gte', value: '2002-01-01' })], [{ empstartdate: 11687 }, { empstartdate: 11688 }, { empstartdate: 20000 }]), [false, true, true]);
});

test('a filter column the table lacks is refused; several include rules OR; a rule without filters passes all', () => {
  assert.throws(() => compileRuleFilters([f('EMPID', { 'filter-operator': 'null' })], employee, '7'), /selection rule 7: the source filter column "EMPID" is not a column of test.employee/);
  const either = compileTableFilter([{ ruleId: '1', filters: [f('empid', { 'filter-operator': 'eq', value: '1' })] }, { ruleId: '2', filters: [f('empid', { 'filter-operator': 'eq', value: '2' })] }], employee)!;
  assert.deepEqual([1, 2, 3].map((empid) => either({ empid })), [true, true, false]);
  assert.equal(compileTableFilter([{ ruleId: '1', filters: [f('empid', { 'filter-operator': 'eq', value: '1' })] }, { ruleId: '2', filters: undefined }], employee), null);
  // A key-only before image (PostgreSQL delete without REPLICA IDENTITY FULL) cannot be judged and passes.
  assert.equal(compileRuleFilters([f('dept', { 'filter-operator': 'eq', value: 'x' })], employee, '1')({ empid: 1 }), true);
});
