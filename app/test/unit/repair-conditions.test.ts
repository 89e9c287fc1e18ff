// The SQL conditions --repair sends with its incremental snapshots (app/src/validate-data/repair.ts keyConditions):
// one integer key as BETWEEN runs and IN lists, other keys as canonical expressions equal to escaped literals, split so
// that no condition passes the control API's body limit.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { keyConditions } from '../../src/validate-data/repair.ts';
import type { ValidationTablePlan } from '../../../runtime/src/validation/table-plan.ts';

const t = (name: string) => ({ name, dataType: 'int', columnType: 'int', unsigned: false, array: false, enumType: false, json: false });
const intPlan = {
  source: { schema: 'db', table: 't' }, target: { schema: 'db', table: 't' }, method: 'range-checksum', keyCount: 1, skipped: [],
  pairs: [{ source: 'id', target: 'id', family: 'int', rtrim: false, sourceType: t('id'), targetType: t('id') }],
  sourceExprs: [{ expr: 'CAST(`id` AS CHAR)', family: 'int' }], targetExprs: [{ expr: '"id"::text', family: 'int' }],
  rangeColumn: { source: 'id', target: 'id' },
} as unknown as ValidationTablePlan;

test('an integer key: runs of three or more as BETWEEN, the rest in one IN list', () => {
  const keys = ['7', '1', '2', '3', '4', '10', '12', '13', '-5'].map((id) => ({ id }));
  assert.deepEqual(keyConditions(intPlan, 'mysql', keys), ['`id` BETWEEN 1 AND 4 OR `id` IN (-5, 7, 10, 12, 13)']);
  assert.deepEqual(keyConditions(intPlan, 'postgres', [{ id: '9' }]), ['"id" IN (9)']);
});

test('a composite or text key: canonical expressions equal to literals, escaped per engine; long lists split', () => {
  const plan = {
    ...intPlan, method: 'bucket-checksum', keyCount: 2, rangeColumn: undefined,
    pairs: [{ source: 'code', family: 'text' }, { source: 'n', family: 'int' }],
    sourceExprs: [{ expr: '`code`', family: 'text' }, { expr: 'CAST(`n` AS CHAR)', family: 'int' }],
  } as unknown as ValidationTablePlan;
  assert.deepEqual(keyConditions(plan, 'mysql', [{ code: "a'b\\c", n: '1' }]), ["(`code` = 'a''b\\\\c' AND CAST(`n` AS CHAR) = '1')"]);
  const pgPlan = { ...plan, sourceExprs: [{ expr: '"code"', family: 'text' }, { expr: '"n"::text', family: 'int' }] } as unknown as ValidationTablePlan;
  assert.deepEqual(keyConditions(pgPlan, 'postgres', [{ code: "a'b\\c", n: '1' }]), ["(\"code\" = 'a''b\\c' AND \"n\"::text = '1')"]);
  const many = Array.from({ length: 3000 }, (_, i) => ({ code: `code-${i}`, n: String(i) }));
  const parts = keyConditions(plan, 'mysql', many);
  assert.ok(parts.length > 1 && parts.every((p) => p.length <= 40_000), `${parts.length} parts`);
  assert.equal(parts.join(' OR ').split(' OR ').length, 3000);
});
