/**
 * Source columns → an Iceberg schema with field ids, and its evolution (table spec §Schema Evolution): a column
 * keeps its field id across versions (found by name, or by an earlier name after a RENAME), a new column gets the
 * next id (never a reused one), a dropped column leaves the schema (its id stays retired), and a type changes only
 * by the promotions Iceberg allows (int→long, float→double, decimal(P,S)→decimal(P',S) with P'≥P). A narrower
 * source type keeps the wider Iceberg type (values are cast up). Any other type change makes a new column (a new
 * id) under the same name: readers see it from then on, the old column's values are left behind with the old id.
 */
import { FerryError } from '../../../core/src/errors.ts';
import type { SinkTable } from '../../../core/src/record-sink.ts';
import { BIGINT_CODEC, columnCodec, INSTANT_MICROS, INTEGER_CODEC, VARCHAR_CODEC, type ColumnCodec } from '../../../runtime/src/columnar/column-types.ts';
import type { IcebergSchema, NestedField, PrimitiveType } from './metadata/table-metadata.ts';

/** A table column as the writer stages it: the source value's codec and the Iceberg field it lands in. */
export interface MappedColumn {
  /** The Iceberg (and source) column name. */
  readonly name: string;
  readonly id: number;
  readonly type: PrimitiveType;
  /** How values are staged in DuckDB (the source type). */
  readonly codec: ColumnCodec;
  /** Where a column comes from: the source row, or a change-metadata column (append mode). */
  readonly source: 'row' | 'op' | 'commit_ts' | 'position' | 'event' | 'partition' | 'offset';
}

/** The Iceberg type of a DuckDB staging type. */
export function icebergTypeOf(sql: string): PrimitiveType {
  switch (sql) {
    case 'BOOLEAN': return 'boolean';
    case 'TINYINT': case 'SMALLINT': case 'INTEGER': return 'int';
    case 'BIGINT': return 'long';
    case 'FLOAT': return 'float';
    case 'DOUBLE': return 'double';
    case 'DATE': return 'date';
    case 'TIME': return 'time';
    case 'TIMESTAMP': case 'TIMESTAMP_NS': return 'timestamp';
    case 'TIMESTAMPTZ': return 'timestamptz';
    case 'VARCHAR': return 'string';
    case 'BLOB': return 'binary';
  }
  const d = /^DECIMAL\((\d+),(\d+)\)$/.exec(sql);
  if (d) return `decimal(${Number(d[1])}, ${Number(d[2])})`;
  throw new Error(`no Iceberg type for DuckDB type ${sql}`);
}

/** The DuckDB type of an Iceberg primitive (what a staged value is cast to when written). */
export function duckTypeOf(t: PrimitiveType): string {
  switch (t) {
    case 'boolean': return 'BOOLEAN';
    case 'int': return 'INTEGER';
    case 'long': return 'BIGINT';
    case 'float': return 'FLOAT';
    case 'double': return 'DOUBLE';
    case 'date': return 'DATE';
    case 'time': return 'TIME';
    case 'timestamp': return 'TIMESTAMP';
    case 'timestamptz': return 'TIMESTAMPTZ';
    case 'string': return 'VARCHAR';
    case 'binary': return 'BLOB';
    case 'uuid': return 'UUID';
  }
  const d = /^decimal\((\d+),\s*(\d+)\)$/.exec(t);
  if (d) return `DECIMAL(${d[1]},${d[2]})`;
  throw new Error(`no DuckDB type for Iceberg type ${t}`);
}

const decimalOf = (t: string) => {
  const d = /^decimal\((\d+),\s*(\d+)\)$/.exec(t);
  return d ? { p: Number(d[1]), s: Number(d[2]) } : null;
};

/** Whether a column of Iceberg type `from` can hold values of `to` by a promotion (or they are equal). */
export function promotes(from: PrimitiveType, to: PrimitiveType): boolean {
  if (from === to) return true;
  if (from === 'int' && to === 'long') return true;
  if (from === 'float' && to === 'double') return true;
  const a = decimalOf(from);
  const b = decimalOf(to);
  return a !== null && b !== null && a.s === b.s && b.p >= a.p;
}

/** The change-metadata columns of append mode, before the row's columns. */
export function appendMetaColumns(o: { opColumn: string; timestampColumn: string }): { name: string; codec: ColumnCodec; source: MappedColumn['source'] }[] {
  return [
    { name: o.opColumn, codec: VARCHAR_CODEC, source: 'op' },
    { name: o.timestampColumn, codec: INSTANT_MICROS, source: 'commit_ts' },
    { name: '_source_position', codec: VARCHAR_CODEC, source: 'position' },
    { name: '_source_event', codec: INTEGER_CODEC, source: 'event' },
    { name: '_kafka_partition', codec: INTEGER_CODEC, source: 'partition' },
    { name: '_kafka_offset', codec: BIGINT_CODEC, source: 'offset' },
  ];
}

export interface SchemaPlan {
  /** The Iceberg schema for this source table version (with the current schema's id when unchanged). */
  readonly schema: IcebergSchema;
  readonly columns: readonly MappedColumn[];
  /** Whether `schema` differs from the current one (add-schema + set-current-schema). */
  readonly changed: boolean;
  readonly lastColumnId: number;
}

/**
 * Maps a source table version onto the table's current schema (undefined: a new table), assigning field ids.
 * `upsert`: the primary key columns are the identifier fields (required).
 */
export function planSchema(table: SinkTable, current: { schema: IcebergSchema; lastColumnId: number } | undefined,
  o: { mode: 'upsert' | 'append'; opColumn: string; timestampColumn: string }): SchemaPlan {
  const wanted: { name: string; codec: ColumnCodec; source: MappedColumn['source']; renamedFrom: readonly string[] }[] = [];
  if (o.mode === 'append') for (const m of appendMetaColumns(o)) wanted.push({ ...m, renamedFrom: [] });
  const taken = new Set(wanted.map((w) => w.name));
  for (const c of table.columns) {
    if (taken.has(c.name)) {
      throw new FerryError('FERRY_CONFIG_INVALID', `table ${table.schema}.${table.table} has a column named ${c.name}, which the Iceberg sink's append mode uses for change metadata; set opColumn/timestampColumn to other names`);
    }
    wanted.push({ name: c.name, codec: columnCodec(c), source: 'row', renamedFrom: c.renamedFrom ?? [] });
  }
  const old = current?.schema.fields ?? [];
  const byName = new Map(old.map((f) => [f.name, f]));
  const claimed = new Set<number>();
  let last = current?.lastColumnId ?? 0;
  const pk = new Set(o.mode === 'upsert' ? table.primaryKey : []);
  const columns: MappedColumn[] = [];
  const fields: NestedField[] = [];
  for (const w of wanted) {
    const srcType = icebergTypeOf(w.codec.sql);
    let f = byName.get(w.name);
    if (f === undefined || claimed.has(f.id)) {
      f = undefined;
      for (const n of w.renamedFrom) {
        const g = byName.get(n);
        if (g !== undefined && !claimed.has(g.id) && !wanted.some((x) => x.name === n)) { f = g; break; }
      }
    }
    let id: number;
    let type: PrimitiveType;
    if (f !== undefined && typeof f.type === 'string' && promotes(f.type, srcType)) {
      id = f.id; type = srcType;
    } else if (f !== undefined && typeof f.type === 'string' && promotes(srcType, f.type)) {
      id = f.id; type = f.type;
    } else {
      id = ++last; type = srcType;
    }
    claimed.add(id);
    columns.push({ name: w.name, id, type, codec: w.codec, source: w.source });
    fields.push({ id, name: w.name, required: pk.has(w.name), type });
  }
  const identifier = o.mode === 'upsert' ? table.primaryKey.map((k) => columns.find((c) => c.name === k)!.id) : [];
  const cur = current?.schema;
  const same = cur !== undefined && JSON.stringify(cur.fields) === JSON.stringify(fields)
    && JSON.stringify(cur['identifier-field-ids'] ?? []) === JSON.stringify(identifier);
  const schema: IcebergSchema = {
    type: 'struct', 'schema-id': same ? cur['schema-id'] : (cur === undefined ? 0 : cur['schema-id'] + 1), fields,
    ...(identifier.length > 0 ? { 'identifier-field-ids': identifier } : {}),
  };
  return { schema, columns, changed: !same, lastColumnId: last };
}
