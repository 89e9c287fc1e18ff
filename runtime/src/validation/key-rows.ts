/**
 * Rows of a few keys, pulled from both sides as canonical texts: how pending records are re-checked
 * (pending-records.ts). A range plan (an integer first key column) selects them through that column's index
 * (`k IN (…)`) and keeps the exact keys in Node; a bucket plan compares the canonical key expressions, which the
 * database evaluates row by row (one scan of the table per batch of keys, so batches are large and rare).
 */
import { FerryError } from '../../../core/src/errors.ts';
import { andWhere, literal, quote, rowsSql, type Rendered } from './engine-sql.ts';
import { throwIfAborted, type RowRate, type Semaphore } from './limits.ts';
import type { Mismatch, SqlClient } from './model.ts';
import type { ValidationTablePlan } from './table-plan.ts';

export type KeyTexts = Mismatch['key'];
export type Rows = readonly (readonly (string | null)[])[];

export interface KeyRowsOptions {
  readonly source: SqlClient;
  readonly target: SqlClient;
  readonly slots: Semaphore;
  readonly rate: RowRate;
  readonly signal?: AbortSignal;
}

const INTEGER = /^-?\d{1,40}$/;

/** The key of a row (its first keyCount canonical texts) as the JSON text keys are matched by. */
export function rowKey(plan: Pick<ValidationTablePlan, 'keyCount'>, row: readonly (string | null)[]): string {
  return JSON.stringify(row.slice(0, plan.keyCount));
}

/** The same JSON text for a mismatch's key object (key columns in plan order). */
export function keyTextsKey(plan: Pick<ValidationTablePlan, 'pairs' | 'keyCount'>, key: KeyTexts): string {
  return JSON.stringify(plan.pairs.slice(0, plan.keyCount).map((p) => key[p.source] ?? null));
}

function whereOf(plan: ValidationTablePlan, engine: SqlClient['engine'], side: 'source' | 'target', keys: readonly KeyTexts[]): string {
  const pairs = plan.pairs.slice(0, plan.keyCount);
  if (plan.rangeColumn) {
    const first = pairs[0]!.source;
    const values = [...new Set(keys.map((k) => k[first] ?? ''))];
    const bad = values.find((v) => !INTEGER.test(v));
    if (bad !== undefined) throw new FerryError('FERRY_INTERNAL', `validation key ${JSON.stringify(bad)} of ${first} is not an integer`);
    return ` WHERE ${quote(engine, plan.rangeColumn[side])} IN (${values.join(', ')})`;
  }
  const exprs: readonly Rendered[] = (side === 'source' ? plan.sourceExprs : plan.targetExprs).slice(0, plan.keyCount);
  const ors = keys.map((k) => `(${pairs.map((p, i) => `${exprs[i]!.expr} = ${literal(engine, k[p.source] ?? '')}`).join(' AND ')})`);
  return ` WHERE ${ors.join(' OR ')}`;
}

/**
 * The canonical rows of `keys` on each side (at most one row per key and side), in one query per side and batch of
 * at most `batch` keys. Rows of other keys that share a range plan's first key column are dropped.
 */
export async function keyRows(plan: ValidationTablePlan, o: KeyRowsOptions, keys: readonly KeyTexts[], batch = 500): Promise<{ source: Map<string, readonly (string | null)[]>; target: Map<string, readonly (string | null)[]> }> {
  const wanted = new Set(keys.map((k) => keyTextsKey(plan, k)));
  const source = new Map<string, readonly (string | null)[]>();
  const target = new Map<string, readonly (string | null)[]>();
  for (let i = 0; i < keys.length; i += batch) {
    const part = keys.slice(i, i + batch);
    await o.rate.wait(o.signal);
    throwIfAborted(o.signal);
    const [s, t] = await o.slots.run(() => Promise.all([
      o.source.query(rowsSql(o.source.engine, plan.source, plan.sourceExprs, andWhere(whereOf(plan, o.source.engine, 'source', part), plan.sourceFilter)), o.signal),
      o.target.query(rowsSql(o.target.engine, plan.target, plan.targetExprs, whereOf(plan, o.target.engine, 'target', part)), o.signal),
    ]));
    o.rate.charge(s.length);
    for (const r of s) { const k = rowKey(plan, r); if (wanted.has(k)) source.set(k, r); }
    for (const r of t) { const k = rowKey(plan, r); if (wanted.has(k)) target.set(k, r); }
  }
  return { source, target };
}
