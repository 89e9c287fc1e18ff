/**
 * DMS source filters (selection rule "filters"), evaluated with SQLite as DMS does: within a filter the conditions
 * are ORed, filters are ANDed, and a row whose filter column is NULL passes only `null` (SQL three-valued logic).
 * The filter value is compared with the column's SQLite affinity: numeric columns compare numerically
 * (CAST(value AS NUMERIC)), other columns as text — dates as 'YYYY-MM-DD' / 'YYYY-MM-DD HH:MM:SS' text, as DMS documents.
 *
 * Which image: inserts, snapshot reads and updates are filtered on the row after the change, deletes on the row
 * before it (the delete's before image). An UPDATE that moves a row out of the filter range is therefore dropped
 * (the target keeps the old row), and one that moves a row into the range arrives as an update of a row the target
 * never had — DMS's documented caveat: filter only on columns that do not change.
 */
import type { FilterCondition, SelectionRule } from '../config/table-mapping-schema.ts';
import { FerryError } from '../../../core/src/errors.ts';
import type { Row, TableSchema } from '../../../core/src/types.ts';
import { evaluateSql, prepare } from './expression.ts';
import { isNumeric, toSqlValue, type SqlValue } from './sql-values.ts';

type Filter = NonNullable<SelectionRule['filters']>[number];

/** Whether a row passes; `null` from compileFilters means every row does. */
export type RowPredicate = (row: Row) => boolean;

/** One SQL condition for a filter condition on parameter `$c`, with its values as parameters `$<prefix>a`, `$<prefix>b`. */
export function conditionSql(c: FilterCondition, col: string, prefix: string, numeric: boolean): { sql: string; values: Record<string, SqlValue> } {
  const v = (name: string) => (numeric ? `CAST($${prefix}${name} AS NUMERIC)` : `$${prefix}${name}`);
  const lit = (x: string | number): SqlValue => String(x);
  switch (c['filter-operator']) {
    case 'eq': return { sql: `${col} = ${v('a')}`, values: { [`${prefix}a`]: lit(c.value) } };
    case 'noteq': return { sql: `${col} <> ${v('a')}`, values: { [`${prefix}a`]: lit(c.value) } };
    case 'lte': case 'ste': return { sql: `${col} <= ${v('a')}`, values: { [`${prefix}a`]: lit(c.value) } };
    case 'gte': return { sql: `${col} >= ${v('a')}`, values: { [`${prefix}a`]: lit(c.value) } };
    case 'between': return { sql: `${col} BETWEEN ${v('a')} AND ${v('b')}`, values: { [`${prefix}a`]: lit(c['start-value']), [`${prefix}b`]: lit(c['end-value']) } };
    case 'notbetween': return { sql: `${col} NOT BETWEEN ${v('a')} AND ${v('b')}`, values: { [`${prefix}a`]: lit(c['start-value']), [`${prefix}b`]: lit(c['end-value']) } };
    case 'null': return { sql: `${col} IS NULL`, values: {} };
    case 'notnull': return { sql: `${col} IS NOT NULL`, values: {} };
  }
}

/**
 * The predicate of one include rule's filters for one table (source column names). Throws when a filter names a
 * column the table does not have.
 */
export function compileRuleFilters(filters: readonly Filter[], table: TableSchema, ruleId: string): RowPredicate {
  const parts: string[] = [];
  const constants: Record<string, SqlValue> = {};
  const columns: { param: string; name: string; type: TableSchema['columns'][number]['type'] }[] = [];
  filters.forEach((f, fi) => {
    const column = table.columns.find((c) => c.name === f['column-name']);
    if (!column) {
      throw new FerryError('FERRY_UNSUPPORTED', `selection rule ${ruleId}: the source filter column "${f['column-name']}" is not a column of ${table.id.schema}.${table.id.table} (columns: ${table.columns.map((c) => c.name).join(', ')}); names are case-sensitive`);
    }
    const param = `c${fi}`;
    columns.push({ param, name: column.name, type: column.type });
    const ors = f['filter-conditions'].map((c, ci) => {
      const { sql, values } = conditionSql(c, `$${param}`, `f${fi}_${ci}_`, isNumeric(column.type));
      Object.assign(constants, values);
      return `(${sql})`;
    });
    parts.push(`(${ors.join(' OR ')})`);
  });
  const st = prepare(`SELECT CASE WHEN ${parts.join(' AND ')} THEN 1 ELSE 0 END AS v`);
  return (row) => {
    const params: Record<string, SqlValue> = { ...constants };
    for (const c of columns) {
      // A delete whose before image lacks the column (PostgreSQL without REPLICA IDENTITY FULL) cannot be judged: it passes.
      if (!(c.name in row)) return true;
      params[c.param] = toSqlValue(row[c.name], c.type);
    }
    return evaluateSql(st, params, 'c') === 1;
  };
}

/**
 * The row filter of a table: a row passes when any matching include rule accepts it (a matching rule without
 * filters accepts every row). Returns null when no filter applies.
 */
export function compileTableFilter(rules: readonly { readonly ruleId: string; readonly filters: readonly Filter[] | undefined }[], table: TableSchema): RowPredicate | null {
  if (rules.length === 0 || rules.some((r) => !r.filters || r.filters.length === 0)) return null;
  const preds = rules.map((r) => compileRuleFilters(r.filters!, table, r.ruleId));
  return preds.length === 1 ? preds[0]! : (row) => preds.some((p) => p(row));
}
