/**
 * Validation against a target without canonical SQL (docs/validation.md#kafka-topics-lakes-and-redshift): a Kafka
 * topic, a lake or a Redshift table, whose latest state per key is rebuilt in Ferry (topic-state.ts, the app's lake
 * and Redshift readers) as canonical texts, held in memory keyed by the canonical key. The source side stays SQL: its
 * rows are streamed as canonical texts (canonical.ts) in key ranges (an integer first key column) or key-hash
 * buckets, and matched against the state: MISSING_TARGET (only in the source), MISSING_SOURCE (left in the state at
 * the end), RECORD_DIFF with the columns.
 */
import { FerryError } from '../../../core/src/errors.ts';
import { canonicalInNode, familyOf, render } from './canonical.ts';
import { andWhere, bucketWhere, estimateRows, keyAfterSql, keyWalkSql, rangeWhere, readColumns, rowsSql, tableSql, type Rendered } from './engine-sql.ts';
import { rowKey } from './key-rows.ts';
import { throwIfAborted, type RowRate } from './limits.ts';
import { NODE_FAMILIES, type ColumnPair, type Mismatch, type SkippedColumn, type SqlClient, type TableRef, type TableValidationResult, type ValidationMethod } from './model.ts';
import type { TablePlanInput } from './table-plan.ts';
import type { CanonicalSpec } from './wire-canonical.ts';

/** A compared column: source and target (field) names, family; no target catalog type (the target has none). */
export interface StatePair extends CanonicalSpec {
  readonly source: string;
  readonly target: string;
  readonly sourceType: ColumnPair['sourceType'];
}

export interface StatePlan {
  readonly source: TableRef;
  readonly target: TableRef;
  readonly pairs: readonly StatePair[];
  readonly keyCount: number;
  readonly skipped: readonly SkippedColumn[];
  readonly sourceExprs: readonly Rendered[];
  /** The raw first key column, when it is an integer (source rows are then read in key ranges). */
  readonly rangeColumn?: string;
  /** The task's source filters as a SQL condition of the source: only those rows are compared. */
  readonly sourceFilter?: string;
}

/**
 * The latest state of a target table: canonical key (rowKey of the key texts) → the row's canonical texts in
 * plan order (key columns first). `absent`: pair indexes the target never carried (not compared, listed as skipped).
 */
export interface TargetState {
  readonly rows: Map<string, (string | null)[]>;
  readonly absent: ReadonlySet<number>;
  /** Change records (or lake rows) read to build the state. */
  readonly records: number;
}

/**
 * Most rows a target state may hold (default of validate-data). Measured: a row of five columns with ~70 characters
 * of canonical text takes ~270 bytes of heap, a topic adds ~200 per key (topic-state.ts: where its last change was),
 * so 2M keys take ~0.5–1 GB. A larger table is reported as `Not supported` rather than read on.
 */
export const DEFAULT_MAX_STATE_ROWS = 2_000_000;

const INT_TYPES = new Set(['tinyint', 'smallint', 'mediumint', 'int', 'integer', 'bigint', 'int2', 'int4', 'int8']);

/** The source side of a state comparison: each copied column's family from the source catalog (the target has none). */
export async function planSourceState(source: SqlClient, input: TablePlanInput): Promise<StatePlan> {
  const cols = await readColumns(source, input.source);
  const name = `${input.source.schema}.${input.source.table}`;
  if (cols.length === 0) throw new FerryError('FERRY_SOURCE_ERROR', `the source table ${name} does not exist (or the user cannot see it)`);
  if (input.key.length === 0) throw new FerryError('FERRY_UNSUPPORTED', `${name} has no primary key: validation compares rows by key`);
  const skipped: SkippedColumn[] = [...(input.skipped ?? [])];
  const skippedNames = new Set(skipped.map((s) => s.column));
  const pairs: StatePair[] = [];
  for (const c of input.columns) {
    if (skippedNames.has(c.source)) continue;
    const st = cols.find((x) => x.name === c.source);
    if (!st) throw new FerryError('FERRY_SOURCE_ERROR', `the source table ${name} has no column ${c.source}`);
    const family = familyOf(source.engine, st);
    const isKey = input.key.includes(c.source);
    if (typeof family === 'object') {
      if (isKey) throw new FerryError('FERRY_UNSUPPORTED', `key column ${c.source} of ${name} cannot be compared: ${family.unsupported}`);
      skipped.push({ column: c.source, reason: family.unsupported });
      continue;
    }
    if (isKey && NODE_FAMILIES.has(family)) throw new FerryError('FERRY_UNSUPPORTED', `key column ${c.source} of ${name} is ${st.columnType}: float and json keys cannot be matched`);
    const rtrim = family === 'text' && (st.dataType === 'char' || st.dataType === 'bpchar');
    const bits = family === 'bits' ? st.length : undefined;
    pairs.push({ source: c.source, target: c.target, family, rtrim, ...(bits !== undefined ? { bits } : {}), sourceType: st });
  }
  const missingKey = input.key.filter((k) => !pairs.some((p) => p.source === k));
  if (missingKey.length > 0) throw new FerryError('FERRY_UNSUPPORTED', `key column ${missingKey.join(', ')} of ${name} does not reach the target unchanged: rows cannot be matched by key`);
  const ordered = [...input.key.map((k) => pairs.find((p) => p.source === k)!), ...pairs.filter((p) => !input.key.includes(p.source))];
  const first = ordered[0]!;
  const ranged = INT_TYPES.has(first.sourceType.dataType) || ((first.sourceType.dataType === 'decimal' || first.sourceType.dataType === 'numeric') && first.sourceType.scale === 0);
  return {
    source: input.source, target: input.target, pairs: ordered, keyCount: input.key.length, skipped,
    sourceExprs: ordered.map((p) => ({ expr: render(source.engine, p, p.source, p.sourceType), family: p.family })),
    ...(ranged ? { rangeColumn: first.source } : {}),
    ...(input.sourceFilter !== undefined ? { sourceFilter: input.sourceFilter } : {}),
  };
}

export interface CompareStateOptions {
  readonly source: SqlClient;
  readonly rate: RowRate;
  /** Source rows per query (default 20,000). */
  readonly chunkRows?: number;
  readonly maxFailures?: number;
  readonly signal?: AbortSignal;
  readonly onRows?: (rows: number) => void;
}

type Row = readonly (string | null)[];

/**
 * Compares the source table with a target state; the state is consumed (matched rows are removed from it).
 * `method` names the target kind in the result ('topic-state', 'lake-state').
 */
export async function compareWithState(plan: StatePlan, state: TargetState, method: ValidationMethod, o: CompareStateOptions): Promise<TableValidationResult> {
  const started = Date.now();
  const max = o.maxFailures ?? 10_000;
  const mismatches: Mismatch[] = [];
  let failures = 0;
  let sourceRows = 0;
  let ranges = 0;
  const targetRows = state.rows.size;
  const node = plan.pairs.map((p) => NODE_FAMILIES.has(p.family));
  const keyObject = (row: Row): Record<string, string> => Object.fromEntries(plan.pairs.slice(0, plan.keyCount).map((p, i) => [p.source, row[i] ?? '']));
  const add = (m: Mismatch): void => {
    failures++;
    if (mismatches.length < max) mismatches.push(m);
  };
  const consume = (rows: readonly Row[]): void => {
    for (const r of rows) {
      const k = rowKey(plan, r);
      const t = state.rows.get(k);
      if (!t) { add({ type: 'MISSING_TARGET', key: keyObject(r), columns: [] }); continue; }
      state.rows.delete(k);
      const differ: string[] = [];
      for (let i = plan.keyCount; i < r.length; i++) {
        if (state.absent.has(i)) continue;
        const s = node[i] ? canonicalInNode(plan.pairs[i]!.family, r[i] ?? null) : r[i] ?? null;
        if (s !== t[i]) differ.push(plan.pairs[i]!.source);
      }
      if (differ.length > 0) add({ type: 'RECORD_DIFF', key: keyObject(r), columns: differ });
    }
    sourceRows += rows.length;
    o.rate.charge(rows.length);
    o.onRows?.(rows.length);
  };
  const se = o.source.engine;
  const chunk = o.chunkRows ?? 20_000;
  const query = async (sql: string): Promise<readonly Row[]> => {
    await o.rate.wait(o.signal);
    throwIfAborted(o.signal);
    return o.source.query(sql, o.signal);
  };
  if (plan.rangeColumn) {
    // Ranges [lo, hi) of the first key column, `chunk` rows each, from a walk of the source's key index.
    let lo: string | null = null;
    for (;;) {
      let hi: string | null = (await query(keyWalkSql(se, plan.source, plan.rangeColumn, lo, chunk)))[0]?.[0] ?? null;
      if (hi !== null && hi === lo) hi = (await query(keyAfterSql(se, plan.source, plan.rangeColumn, lo!)))[0]?.[0] ?? null;
      consume(await query(rowsSql(se, plan.source, plan.sourceExprs, andWhere(rangeWhere(se, plan.rangeColumn, { lo, hi }), plan.sourceFilter))));
      ranges++;
      if (hi === null) break;
      lo = hi;
    }
  } else {
    let n = await estimateRows(o.source, plan.source);
    if (n === 0) n = Number((await query(`SELECT COUNT(*) FROM ${tableSql(se, plan.source)}`))[0]?.[0] ?? 0);
    const buckets = Math.max(1, Math.ceil(n / chunk));
    const keys = plan.sourceExprs.slice(0, plan.keyCount);
    for (let b = 0; b < buckets; b += 10) {
      const group = Array.from({ length: Math.min(10, buckets - b) }, (_, i) => b + i);
      consume(await query(rowsSql(se, plan.source, plan.sourceExprs, andWhere(buckets === 1 ? '' : bucketWhere(se, keys, buckets, group), plan.sourceFilter))));
      ranges += group.length;
    }
  }
  for (const t of state.rows.values()) add({ type: 'MISSING_SOURCE', key: keyObject(t), columns: [] });
  state.rows.clear();
  const absentSkipped: SkippedColumn[] = [...state.absent].map((i) => ({ column: plan.pairs[i]!.source, reason: `the target has no field ${plan.pairs[i]!.target}` }));
  const compared = plan.pairs.filter((_, i) => !state.absent.has(i));
  return {
    source: plan.source, target: plan.target, method, columns: compared as unknown as ColumnPair[], skippedColumns: [...plan.skipped, ...absentSkipped],
    sourceRows, targetRows, ranges, mismatchedRanges: 0, rowsCompared: sourceRows + targetRows, mismatches, failures, durationMs: Date.now() - started,
  };
}
