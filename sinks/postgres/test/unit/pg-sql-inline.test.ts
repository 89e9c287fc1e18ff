// Script mode writes multi-row statements with their values written in (pg-sql.ts insertValuesInline, deleteKeysInline):
// the text must be exactly what inline() makes of the parameterised statement, for every value shape.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as sql from '../../src/pg-sql.ts';
import type { PgColumn } from '../../src/pg-types.ts';

const ref = { schema: 'sh op', table: 'or"ders' };
const cols: PgColumn[] = [
  { name: 'id', type: 'bigint', nullable: false },
  { name: 'code', type: 'character(3)', nullable: true },
  { name: 'note', type: 'character varying(20)', nullable: true },
  { name: 'amount', type: 'numeric(12,2)', nullable: true },
];
const rows: (string | null)[][] = [
  ['1', 'abc', "it's", '1.50'],
  ['2', null, 'back\\slash ; -- $1 $$', null],
  ['3', '', '\u00e9\u4e2d\ud83d\ude00', '-0.01'],
];

test('insertValuesInline and deleteKeysInline are inline() of the parameterised statements', () => {
  for (const pk of [['id'], null, ['id', 'code']]) {
    assert.equal(sql.insertValuesInline(ref, cols, rows, pk), sql.inline(sql.insertValues(ref, cols, rows.length, pk), rows.flat()));
  }
  assert.equal(sql.insertValuesInline(ref, cols, rows.slice(0, 1), ['id']), sql.inline(sql.insertValues(ref, cols, 1, ['id']), rows[0]!));
  const keys = cols.slice(0, 2);
  const keyRows = rows.map((r) => r.slice(0, 2));
  assert.equal(sql.deleteKeysInline(ref, keys, keyRows), sql.inline(sql.deleteKeys(ref, keys, keyRows.length), keyRows.flat()));
  assert.equal(
    sql.deleteKeysInline(ref, keys, keyRows.slice(0, 2)),
    `DELETE FROM "sh op"."or""ders" WHERE ("id", "code") IN (('1'::bigint, 'abc'::text), ('2'::bigint, NULL::text))`,
  );
  assert.equal(
    sql.insertValuesInline(ref, cols.slice(2), [[rows[1]![2]!, null]], null),
    `INSERT INTO "sh op"."or""ders" ("note", "amount") VALUES ('back\\slash ; -- $1 $$'::character varying, NULL::numeric)`,
  );
});
