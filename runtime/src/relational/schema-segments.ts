/**
 * Where a batch must be cut so a relational sink can rename or drop target columns between its parts.
 *
 * A sink reconciles the target with every schema version of a batch before it writes the batch's rows, and writes
 * each row with the columns the target has. That is right for added columns and wider types, but not once a version
 * loses a column name (RENAME COLUMN b TO c, or DROP COLUMN b): rows of the older version that still carry `b` must
 * be written before the target column is renamed or dropped, or their value of `b` is lost (a rename) or lands in a
 * new column that took the name (a drop, then ADD COLUMN b). So the batch is cut before the first record of a version
 * that lacks a column name an earlier version of the same table in the same part has; each part is reconciled and
 * written in turn, in log order.
 */
import type { SinkRecord, SinkTable } from '../../../core/src/record-sink.ts';

/** Whether `next` lacks a column name that `prev` has (a column renamed or dropped between them). */
export function losesColumns(prev: SinkTable, next: SinkTable): boolean {
  if (prev === next) return false;
  const names = new Set(next.columns.map((c) => c.name));
  return prev.columns.some((c) => !names.has(c.name));
}

/**
 * The records in log order, cut into consecutive parts within which no table's version loses a column name that an
 * earlier version of that table in the part has. Usually one part (the same array).
 */
export function splitAtColumnLosses(records: readonly SinkRecord[], tableKey: (t: SinkTable) => string = (t) => `${t.schema}\u0000${t.table}`): (readonly SinkRecord[])[] {
  const parts: (readonly SinkRecord[])[] = [];
  let start = 0;
  // Per table: the versions met in the current part.
  let versions = new Map<string, SinkTable[]>();
  let last: SinkTable | null = null; // runs of one version are the common case: skip them cheaply
  for (let i = 0; i < records.length; i++) {
    const t = records[i]!.table;
    if (t === last) continue;
    last = t;
    const k = tableKey(t);
    let vs = versions.get(k);
    if (vs === undefined) versions.set(k, (vs = []));
    if (vs.includes(t)) continue;
    if (vs.some((v) => losesColumns(v, t))) {
      parts.push(records.slice(start, i));
      start = i;
      versions = new Map([[k, [t]]]);
      continue;
    }
    vs.push(t);
  }
  if (start === 0) return [records];
  parts.push(records.slice(start));
  return parts;
}
