/**
 * Row-by-row comparison of the rows of one range or bucket, pulled from both sides as canonical texts (in plan
 * order: key columns first). Rows are matched by their canonical key; the kinds are DMS's: MISSING_TARGET (only in
 * the source), MISSING_SOURCE (only in the target), RECORD_DIFF (both, with the source names of the columns that differ).
 */
import { canonicalInNode } from './canonical.ts';
import { NODE_FAMILIES, type Mismatch } from './model.ts';
import type { ValidationTablePlan } from './table-plan.ts';

type Rows = readonly (readonly (string | null)[])[];

export function compareRows(plan: Pick<ValidationTablePlan, 'pairs' | 'keyCount'>, source: Rows, target: Rows): Mismatch[] {
  const node = plan.pairs.map((p) => NODE_FAMILIES.has(p.family));
  const canon = (row: readonly (string | null)[]): (string | null)[] => row.map((v, i) => (node[i] ? canonicalInNode(plan.pairs[i]!.family, v) : v));
  const keyOf = (row: readonly (string | null)[]): string => JSON.stringify(row.slice(0, plan.keyCount));
  const keyObject = (row: readonly (string | null)[]): Record<string, string> =>
    Object.fromEntries(plan.pairs.slice(0, plan.keyCount).map((p, i) => [p.source, row[i] ?? '']));
  const byKey = new Map<string, (string | null)[]>();
  for (const r of target) byKey.set(keyOf(r), canon(r));
  const out: Mismatch[] = [];
  for (const r of source) {
    const k = keyOf(r);
    const t = byKey.get(k);
    if (!t) {
      out.push({ type: 'MISSING_TARGET', key: keyObject(r), columns: [] });
      continue;
    }
    byKey.delete(k);
    const s = canon(r);
    const differ: string[] = [];
    for (let i = plan.keyCount; i < s.length; i++) if (s[i] !== t[i]) differ.push(plan.pairs[i]!.source);
    if (differ.length > 0) out.push({ type: 'RECORD_DIFF', key: keyObject(r), columns: differ });
  }
  for (const t of byKey.values()) out.push({ type: 'MISSING_SOURCE', key: keyObject(t), columns: [] });
  return out;
}
