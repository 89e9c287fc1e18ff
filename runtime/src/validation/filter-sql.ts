/**
 * A table's DMS source filters (selection rule "filters") as one SQL condition of the source's engine, so validation
 * compares exactly the rows the task lets through (docs/validation.md#filtered-tables). It mirrors the row predicate
 * the task applies (runtime/src/mapping/source-filter.ts, evaluated with SQLite as DMS does): conditions of a filter
 * are ORed, filters ANDed, rules ORed; a NULL column passes only `null`; numeric columns compare as numbers, the
 * others as text in the form the task compares (code-point order, no collation): strings as they are, dates
 * 'YYYY-MM-DD', timestamps 'YYYY-MM-DD HH:MM:SS[.ffffff]'. A filter on a column of another kind throws
 * FERRY_UNSUPPORTED with the column and its type (the table is reported "Not supported").
 */
import { FerryError } from '../../../core/src/errors.ts';
import type { FieldType, TableSchema } from '../../../core/src/types.ts';
import type { FilterCondition } from '../config/table-mapping-schema.ts';
import { isNumeric } from '../mapping/sql-values.ts';
import { literal, quote } from './engine-sql.ts';
import type { ValidationEngine } from './model.ts';

export interface FilterRule {
  readonly ruleId: string;
  readonly filters: readonly { readonly 'column-name': string; readonly 'filter-conditions': readonly FilterCondition[] }[] | undefined;
}

const NUMBER = /^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/;
const TEXT_LOGICALS = new Set([undefined, 'io.debezium.data.Enum', 'io.debezium.data.EnumSet']);
const DATE_LOGICALS = new Set(['io.debezium.time.Date', 'org.apache.kafka.connect.data.Date']);
const TIMESTAMP_LOGICALS = new Set(['io.debezium.time.Timestamp', 'org.apache.kafka.connect.data.Timestamp', 'io.debezium.time.MicroTimestamp', 'io.debezium.time.NanoTimestamp']);

/** The column as the value the task's filter compares, in SQL; and whether it compares as a number. */
function operand(engine: ValidationEngine, name: string, type: FieldType, where: string): { sql: string; numeric: boolean } {
  const c = quote(engine, name);
  if (isNumeric(type)) return { sql: type.type === 'boolean' && engine === 'postgres' ? `(${c})::int` : c, numeric: true };
  if (type.type === 'string' && TEXT_LOGICALS.has(type.logical)) {
    // Code-point order, as SQLite compares UTF-8 text: binary collations.
    return { sql: engine === 'mysql' ? `CONVERT(${c} USING utf8mb4) COLLATE utf8mb4_bin` : `(${c})::text COLLATE "C"`, numeric: false };
  }
  if (type.logical !== undefined && DATE_LOGICALS.has(type.logical)) {
    return { sql: engine === 'mysql' ? `DATE_FORMAT(${c}, '%Y-%m-%d')` : `to_char(${c}, 'YYYY-MM-DD')`, numeric: false };
  }
  if (type.logical !== undefined && TIMESTAMP_LOGICALS.has(type.logical)) {
    return {
      sql: engine === 'mysql'
        ? `IF(MICROSECOND(${c}) = 0, DATE_FORMAT(${c}, '%Y-%m-%d %H:%i:%s'), DATE_FORMAT(${c}, '%Y-%m-%d %H:%i:%s.%f'))`
        : `(to_char(${c}, 'YYYY-MM-DD HH24:MI:SS') || CASE WHEN date_part('microseconds', ${c})::bigint % 1000000 = 0 THEN '' ELSE to_char(${c}, '.US') END)`,
      numeric: false,
    };
  }
  throw new FerryError('FERRY_UNSUPPORTED', `${where}: validating a table filtered on column ${name} (${type.logical ?? type.type}) is not supported: filters on numbers, strings, dates and timestamps are`);
}

function valueSql(engine: ValidationEngine, v: string | number, numeric: boolean, where: string): string {
  const s = String(v);
  if (!numeric) return engine === 'mysql' ? `${literal(engine, s)} COLLATE utf8mb4_bin` : `${literal(engine, s)} COLLATE "C"`;
  if (!NUMBER.test(s.trim())) throw new FerryError('FERRY_UNSUPPORTED', `${where}: the filter value ${JSON.stringify(s)} of a numeric column is not a number`);
  return s.trim();
}

function conditionSql(engine: ValidationEngine, c: FilterCondition, col: { sql: string; numeric: boolean }, where: string): string {
  const v = (x: string | number) => valueSql(engine, x, col.numeric, where);
  switch (c['filter-operator']) {
    case 'eq': return `${col.sql} = ${v(c.value)}`;
    case 'noteq': return `${col.sql} <> ${v(c.value)}`;
    case 'lte': case 'ste': return `${col.sql} <= ${v(c.value)}`;
    case 'gte': return `${col.sql} >= ${v(c.value)}`;
    case 'between': return `${col.sql} BETWEEN ${v(c['start-value'])} AND ${v(c['end-value'])}`;
    case 'notbetween': return `${col.sql} NOT BETWEEN ${v(c['start-value'])} AND ${v(c['end-value'])}`;
    case 'null': return `${col.sql} IS NULL`;
    case 'notnull': return `${col.sql} IS NOT NULL`;
  }
}

/** The SQL condition (source engine) of the rows the filters let through; null when a rule selects every row. */
export function filterSql(engine: ValidationEngine, rules: readonly FilterRule[], table: TableSchema): string | null {
  if (rules.length === 0 || rules.some((r) => !r.filters || r.filters.length === 0)) return null;
  const where = `${table.id.schema}.${table.id.table}`;
  const perRule = rules.map((r) => r.filters!.map((f) => {
    const column = table.columns.find((c) => c.name === f['column-name']);
    if (!column) throw new FerryError('FERRY_UNSUPPORTED', `selection rule ${r.ruleId}: the source filter column "${f['column-name']}" is not a column of ${where}`);
    const col = operand(engine, column.name, column.type, where);
    // SQL's three-valued logic: a NULL column fails every comparison, as in the task's SQLite predicate.
    return `(${f['filter-conditions'].map((c) => `(${conditionSql(engine, c, col, where)})`).join(' OR ')})`;
  }).join(' AND '));
  return perRule.length === 1 ? perRule[0]! : perRule.map((p) => `(${p})`).join(' OR ');
}
