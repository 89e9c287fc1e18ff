// DMS source filters as source SQL for validation (runtime/src/validation/filter-sql.ts): the exact text per engine,
// rules ORed, filters ANDed, conditions ORed; what it refuses.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { filterSql } from '../../../src/validation/filter-sql.ts';
import type { TableSchema } from '../../../../core/src/types.ts';

const table = {
  id: { schema: 'db', table: 't' }, version: 1, primaryKey: ['id'],
  columns: [
    { name: 'id', type: { type: 'int32' }, nullable: false },
    { name: 'r', type: { type: 'string' }, nullable: true },
    { name: 'd', type: { type: 'int32', logical: 'io.debezium.time.Date' }, nullable: true },
    { name: 'ok', type: { type: 'boolean' }, nullable: true },
    { name: 'j', type: { type: 'string', logical: 'io.debezium.data.Json' }, nullable: true },
  ],
} as unknown as TableSchema;

test('one rule: filters ANDed, conditions ORed, per engine', () => {
  const rule = { ruleId: '1', filters: [
    { 'column-name': 'id', 'filter-conditions': [{ 'filter-operator': 'between', 'start-value': '1', 'end-value': '9' }, { 'filter-operator': 'null' }] },
    { 'column-name': 'r', 'filter-conditions': [{ 'filter-operator': 'eq', value: "it's" }] },
  ] } as const;
  assert.equal(filterSql('mysql', [rule as never], table), "((`id` BETWEEN 1 AND 9) OR (`id` IS NULL)) AND ((CONVERT(`r` USING utf8mb4) COLLATE utf8mb4_bin = 'it''s' COLLATE utf8mb4_bin))");
  assert.equal(filterSql('postgres', [rule as never], table), `(("id" BETWEEN 1 AND 9) OR ("id" IS NULL)) AND ((("r")::text COLLATE "C" = 'it''s' COLLATE "C"))`);
});

test('rules ORed; dates as text; booleans as numbers on PostgreSQL; a rule without filters selects everything', () => {
  const a = { ruleId: '1', filters: [{ 'column-name': 'd', 'filter-conditions': [{ 'filter-operator': 'gte', value: '2026-01-01' }] }] };
  const b = { ruleId: '2', filters: [{ 'column-name': 'ok', 'filter-conditions': [{ 'filter-operator': 'eq', value: '1' }] }] };
  assert.equal(filterSql('postgres', [a, b] as never, table), `(((to_char("d", 'YYYY-MM-DD') >= '2026-01-01' COLLATE "C"))) OR (((("ok")::int = 1)))`);
  assert.equal(filterSql('mysql', [a, { ruleId: '3', filters: undefined }] as never, table), null);
});

test('refused: a JSON column, a non-number for a numeric column, an unknown column', () => {
  assert.throws(() => filterSql('mysql', [{ ruleId: '1', filters: [{ 'column-name': 'j', 'filter-conditions': [{ 'filter-operator': 'eq', value: 'x' }] }] }] as never, table), /column j \(io\.debezium\.data\.Json\) is not supported/);
  assert.throws(() => filterSql('mysql', [{ ruleId: '1', filters: [{ 'column-name': 'id', 'filter-conditions': [{ 'filter-operator': 'eq', value: '1; DROP TABLE t' }] }] }] as never, table), /is not a number/);
  assert.throws(() => filterSql('mysql', [{ ruleId: '1', filters: [{ 'column-name': 'nope', 'filter-conditions': [{ 'filter-operator': 'null' }] }] }] as never, table), /"nope" is not a column/);
});
