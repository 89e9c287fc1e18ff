/**
 * What is compared for one table: the source and target catalogs read, each mapped column paired with its target
 * column in a canonical family (canonical.ts), and the method — key ranges when the first key column is an integer
 * on both sides (ranges select the same rows whatever the collation), key-hash buckets otherwise; checksums in the
 * databases unless a column is JSON (its text differs between engines), then rows are streamed and compared.
 */
import { FerryError } from '../../../core/src/errors.ts';
import { familyOf, pairProblem, render } from './canonical.ts';
import { readColumns, type Rendered } from './engine-sql.ts';
import { NODE_FAMILIES, ROWS_ONLY_FAMILIES, type CatalogColumnType, type ColumnPair, type SkippedColumn, type SqlClient, type TableRef, type ValidationMethod } from './model.ts';

export interface TablePlanInput {
  readonly source: TableRef;
  readonly target: TableRef;
  /** The source columns that reach the target unchanged, with their target names, in source order. */
  readonly columns: readonly { readonly source: string; readonly target: string }[];
  /** The source primary key (source column names, key order). */
  readonly key: readonly string[];
  /** Columns already known not to be compared (mapping expressions, masks, LOB policies), with the reason. */
  readonly skipped?: readonly SkippedColumn[];
  /** The task's source filters as a SQL condition of the source (filter-sql.ts): only those source rows are compared. */
  readonly sourceFilter?: string;
}

export interface ValidationTablePlan {
  readonly source: TableRef;
  readonly target: TableRef;
  readonly method: ValidationMethod;
  /** Compared pairs, the key columns first (in key order). */
  readonly pairs: readonly ColumnPair[];
  readonly keyCount: number;
  readonly skipped: readonly SkippedColumn[];
  /** The canonical SQL of each pair on each side, pairs order. */
  readonly sourceExprs: readonly Rendered[];
  readonly targetExprs: readonly Rendered[];
  /** Range methods: the raw first key column on each side. */
  readonly rangeColumn?: { readonly source: string; readonly target: string };
  /** A SQL condition every source query adds (the task's source filters), or undefined. */
  readonly sourceFilter?: string;
}

const INT_TYPES = new Set(['tinyint', 'smallint', 'mediumint', 'int', 'integer', 'bigint', 'int2', 'int4', 'int8']);

const isIntegerKey = (t: CatalogColumnType): boolean => INT_TYPES.has(t.dataType) || ((t.dataType === 'decimal' || t.dataType === 'numeric') && t.scale === 0);

export async function planTable(source: SqlClient, target: SqlClient, input: TablePlanInput): Promise<ValidationTablePlan> {
  const [sourceCols, targetCols] = await Promise.all([readColumns(source, input.source), readColumns(target, input.target)]);
  const name = (t: TableRef) => `${t.schema}.${t.table}`;
  if (sourceCols.length === 0) throw new FerryError('FERRY_SOURCE_ERROR', `the source table ${name(input.source)} does not exist (or the user cannot see it)`);
  if (targetCols.length === 0) throw new FerryError('FERRY_SINK_ERROR', `the target table ${name(input.target)} does not exist (or the user cannot see it): nothing to validate against. Fix: run the task's full load first`);
  if (input.key.length === 0) throw new FerryError('FERRY_UNSUPPORTED', `${name(input.source)} has no primary key: validation compares rows by key`);
  const skipped: SkippedColumn[] = [...(input.skipped ?? [])];
  const pairs: ColumnPair[] = [];
  const skippedNames = new Set(skipped.map((s) => s.column));
  for (const c of input.columns) {
    if (skippedNames.has(c.source)) continue;
    const st = sourceCols.find((x) => x.name === c.source);
    const tt = targetCols.find((x) => x.name === c.target);
    const isKey = input.key.includes(c.source);
    if (!st) throw new FerryError('FERRY_SOURCE_ERROR', `the source table ${name(input.source)} has no column ${c.source}`);
    const problem = !tt ? `the target table ${name(input.target)} has no column ${c.target}` : undefined;
    const family = familyOf(source.engine, st);
    const reason = problem ?? (typeof family === 'object' ? family.unsupported : pairProblem(family, tt!, target.engine));
    if (reason !== undefined || typeof family === 'object') {
      if (isKey) throw new FerryError('FERRY_UNSUPPORTED', `key column ${c.source} of ${name(input.source)} cannot be compared: ${reason ?? 'no canonical form'}`);
      skipped.push({ column: c.source, reason: reason ?? 'no canonical form' });
      continue;
    }
    if (isKey && NODE_FAMILIES.has(family)) throw new FerryError('FERRY_UNSUPPORTED', `key column ${c.source} of ${name(input.source)} is ${st.columnType}: float and json keys cannot be matched across engines`);
    const rtrim = family === 'text' && (st.dataType === 'char' || st.dataType === 'bpchar' || tt!.dataType === 'char' || tt!.dataType === 'bpchar');
    const bits = family === 'bits' ? st.length ?? tt!.length : undefined;
    pairs.push({ source: c.source, target: c.target, family, rtrim, ...(bits !== undefined ? { bits } : {}), sourceType: st, targetType: tt! });
  }
  const missingKey = input.key.filter((k) => !pairs.some((p) => p.source === k));
  if (missingKey.length > 0) throw new FerryError('FERRY_UNSUPPORTED', `key column ${missingKey.join(', ')} of ${name(input.source)} does not reach the target unchanged: rows cannot be matched by key`);
  const ordered = [...input.key.map((k) => pairs.find((p) => p.source === k)!), ...pairs.filter((p) => !input.key.includes(p.source))];
  const nodeColumns = ordered.some((p) => ROWS_ONLY_FAMILIES.has(p.family));
  const first = ordered[0]!;
  const ranged = isIntegerKey(first.sourceType) && isIntegerKey(first.targetType);
  const method: ValidationMethod = ranged ? (nodeColumns ? 'range-rows' : 'range-checksum') : (nodeColumns ? 'bucket-rows' : 'bucket-checksum');
  return {
    source: input.source, target: input.target, method, pairs: ordered, keyCount: input.key.length, skipped,
    sourceExprs: ordered.map((p) => ({ expr: render(source.engine, p, p.source, p.sourceType), family: p.family })),
    targetExprs: ordered.map((p) => ({ expr: render(target.engine, p, p.target, p.targetType), family: p.family })),
    ...(ranged ? { rangeColumn: { source: first.source, target: first.target } } : {}),
    ...(input.sourceFilter !== undefined ? { sourceFilter: input.sourceFilter } : {}),
  };
}
