/**
 * Relational sinks write every column under its source name. An Avro field name holds only [A-Za-z0-9_], so a column
 * `naïve ☃` travels as the field `na_ve__` (schemas/src/naming.ts); its field schema then carries the column's name
 * in the Connect parameter `__debezium.source.column.name` (SOURCE_COLUMN_NAME_PARAM: Ferry sets it wherever the
 * names differ; Debezium sets it with `column.propagate.source.type`, and its JDBC sink reads it the same way).
 *
 * `withSourceColumnNames` gives the records of such a table version a SinkTable whose columns and key are named by
 * the parameter, and rows (key, before, after) keyed by those names; everything after it in the sink (table creation
 * from the events or from the schema conversion, ALTERs, statements' column lists, value encoders) sees source names
 * only. A field without the parameter keeps its field name: topics of real Debezium without
 * `column.propagate.source.type` land as Debezium's JDBC sink would write them. Tables whose fields all carry their
 * column's name pass through unchanged (one WeakMap lookup per table version and batch run).
 *
 * A column renamed from a name that is not a valid Avro name keeps its earlier source names in Ferry's parameter
 * `__ferry.source.column.renamed_from` (the Avro aliases hold only the adjusted forms); the view's `renamedFrom` takes
 * them, so the sink renames the source-named target column instead of adding the new one beside it.
 */
import { FerryError } from '../../../core/src/errors.ts';
import type { SinkColumn, SinkRecord, SinkTable } from '../../../core/src/record-sink.ts';
import type { Row } from '../../../core/src/types.ts';
import { SOURCE_COLUMN_NAME_PARAM, SOURCE_COLUMN_RENAMED_FROM_PARAM } from '../../../schemas/src/naming.ts';

/** The target column a field is written to: the source column name from the field schema's parameter, else the field name. */
export function sourceColumnName(c: SinkColumn): string {
  const n = c.type.params?.[SOURCE_COLUMN_NAME_PARAM];
  return n === undefined || n === '' ? c.name : n;
}

interface Renamed {
  readonly table: SinkTable;
  /** Field name → column name, for the fields whose names differ. */
  readonly names: ReadonlyMap<string, string>;
}

/** Per table version: its source-named view, or null when every field is named as its column. */
const views = new WeakMap<SinkTable, Renamed | null>();

/** A renamed column's earlier source names from SOURCE_COLUMN_RENAMED_FROM_PARAM; undefined without it (or unreadable). */
function earlierNames(c: SinkColumn): string[] | undefined {
  const p = c.type.params?.[SOURCE_COLUMN_RENAMED_FROM_PARAM];
  if (p === undefined) return undefined;
  try {
    const v: unknown = JSON.parse(p);
    return Array.isArray(v) && v.length > 0 && v.every((x) => typeof x === 'string') ? v : undefined;
  } catch {
    return undefined;
  }
}

function viewOf(t: SinkTable): Renamed | null {
  const hit = views.get(t);
  if (hit !== undefined) return hit;
  const names = new Map<string, string>();
  const earlier = new Map<string, string[]>();
  for (const c of t.columns) {
    const n = sourceColumnName(c);
    if (n !== c.name) names.set(c.name, n);
    const e = earlierNames(c);
    if (e !== undefined) earlier.set(c.name, e);
  }
  let view: Renamed | null = null;
  if (names.size > 0 || earlier.size > 0) {
    const columns = t.columns.map((c): SinkColumn => {
      const n = names.get(c.name);
      const e = earlier.get(c.name);
      return n === undefined && e === undefined ? c : { ...c, name: n ?? c.name, ...(e !== undefined ? { renamedFrom: e } : {}) };
    });
    const seen = new Set<string>();
    for (const c of columns) {
      if (seen.has(c.name)) {
        throw new FerryError('FERRY_SCHEMA_INCOMPATIBLE', `table ${t.schema}.${t.table} (topic ${t.topic}, schema version ${t.version}): two fields name the column '${c.name}' (by field name or by the ${SOURCE_COLUMN_NAME_PARAM} parameter); a table cannot have the column twice. Fix: correct the producer's schema, or exclude one of the columns in the source`, { disposition: 'fatal', details: { topic: t.topic, column: c.name } });
      }
      seen.add(c.name);
    }
    view = { table: { ...t, columns, primaryKey: t.primaryKey.map((k) => names.get(k) ?? k) }, names };
  }
  views.set(t, view);
  return view;
}

function renameRow(x: Row | null, names: ReadonlyMap<string, string>): Row | null {
  if (x === null) return null;
  const o: Row = {};
  for (const k in x) o[names.get(k) ?? k] = x[k];
  return o;
}

/** The source-named view of a table version (the same object when no field is renamed). */
export function sourceNamedTable(t: SinkTable): SinkTable {
  return viewOf(t)?.table ?? t;
}

/**
 * The records with field names replaced by source column names where a field schema names its column; the same array
 * when no record needs it. The view of a table version is one object per version, so caches keyed by SinkTable hold.
 */
export function withSourceColumnNames(records: readonly SinkRecord[]): readonly SinkRecord[] {
  let out: SinkRecord[] | null = null;
  let last: SinkTable | null = null;
  let view: Renamed | null = null;
  for (let i = 0; i < records.length; i++) {
    const r = records[i]!;
    if (r.table !== last) {
      last = r.table;
      view = viewOf(r.table);
    }
    if (view === null) {
      out?.push(r);
      continue;
    }
    out ??= records.slice(0, i);
    const env = r.envelope;
    out.push({
      ...r, table: view.table, key: renameRow(r.key, view.names),
      envelope: { ...env, before: renameRow(env.before, view.names), after: renameRow(env.after, view.names) },
    });
  }
  return out ?? records;
}
