/**
 * Partition specs from the task (identity, year, month, day, hour, truncate) and their values, computed in DuckDB
 * from the staged columns as the table spec's transforms define them, in the form a manifest stores them
 * (table spec §Partition Transforms; dates as days since 1970-01-01, timestamps as µs).
 */
import { FerryError } from '../../../../core/src/errors.ts';
import type { PartitionFieldConfig } from '../config.ts';
import type { PartitionSpec, PrimitiveType } from '../metadata/table-metadata.ts';
import type { MappedColumn } from '../schema-mapping.ts';
import { BUCKET_TYPES } from './bucket.ts';
import { ident } from './duck.ts';

const TEMPORAL: readonly PrimitiveType[] = ['date', 'timestamp', 'timestamptz'];

/** The spec of a new table: the configured fields whose column the table has (field ids from 1000). */
export function specFor(columns: readonly MappedColumn[], fields: readonly PartitionFieldConfig[], table: string): PartitionSpec {
  const out: PartitionSpec['fields'] = [];
  for (const f of fields) {
    const c = columns.find((x) => x.name === f.column);
    if (c === undefined) continue;
    const temporal = TEMPORAL.includes(c.type);
    if (['year', 'month', 'day'].includes(f.transform) && !temporal) {
      throw new FerryError('FERRY_CONFIG_INVALID', `partitioning: ${f.transform}(${f.column}) needs a date or timestamp column, and ${table}.${f.column} is ${c.type}; use identity or truncate`);
    }
    if (f.transform === 'hour' && !(temporal && c.type !== 'date')) {
      throw new FerryError('FERRY_CONFIG_INVALID', `partitioning: hour(${f.column}) needs a timestamp column, and ${table}.${f.column} is ${c.type}`);
    }
    if (f.transform === 'truncate' && !['int', 'long', 'string'].includes(c.type)) {
      throw new FerryError('FERRY_CONFIG_INVALID', `partitioning: truncate(${f.column}) needs an integer or string column, and ${table}.${f.column} is ${c.type}`);
    }
    if (f.transform === 'identity' && !['int', 'long', 'string', 'date', 'boolean', 'timestamp', 'timestamptz'].includes(c.type)) {
      throw new FerryError('FERRY_CONFIG_INVALID', `partitioning: identity(${f.column}) of a ${c.type} column is not supported; partition on an integer, string, date, boolean or timestamp column`);
    }
    if (f.transform === 'bucket' && !BUCKET_TYPES.includes(c.type)) {
      throw new FerryError('FERRY_CONFIG_INVALID', `partitioning: bucket(${f.column}) needs an integer, date, string or binary column, and ${table}.${f.column} is ${c.type}`);
    }
    const transform = f.transform === 'truncate' ? `truncate[${f.width}]` : f.transform === 'bucket' ? `bucket[${f.buckets}]` : f.transform;
    const name = f.transform === 'identity' ? c.name : `${c.name}_${f.transform === 'truncate' ? 'trunc' : f.transform}`;
    out.push({ 'source-id': c.id, 'field-id': 1000 + out.length, name, transform });
  }
  return { 'spec-id': 0, fields: out };
}

/** SQL of a partition field's value from the staged column (named `c<id>`), in its manifest form. */
export function partitionExpr(transform: string, source: MappedColumn): string {
  const c = ident(`c${source.id}`);
  const t = source.type;
  if (transform === 'identity') {
    if (t === 'date') return `(${c} - DATE '1970-01-01')`;
    if (t === 'timestamp') return `epoch_us(CAST(${c} AS TIMESTAMP))`;
    if (t === 'timestamptz') return `epoch_us(CAST(${c} AS TIMESTAMPTZ))`;
    return `CAST(${c} AS ${t === 'int' ? 'INTEGER' : t === 'long' ? 'BIGINT' : t === 'boolean' ? 'BOOLEAN' : 'VARCHAR'})`;
  }
  if (transform === 'year') return `(year(${c}) - 1970)`;
  if (transform === 'month') return `((year(${c}) - 1970) * 12 + month(${c}) - 1)`;
  if (transform === 'day') return `(CAST(${c} AS DATE) - DATE '1970-01-01')`;
  if (transform === 'hour') return `CAST(floor(epoch_us(${c}) / 3600000000) AS INTEGER)`;
  if (bucketWidth(transform) !== null) return ident(bucketColumn(source.id, bucketWidth(transform)!));
  const w = /^truncate\[(\d+)\]$/.exec(transform);
  if (w) {
    const W = Number(w[1]);
    if (t === 'string') return `left(${c}, ${W})`;
    return `(${c} - (((${c} % ${W}) + ${W}) % ${W}))`;
  }
  throw new Error(`partition transform ${transform} is not supported`);
}

/** N of a bucket[N] transform, else null. */
export function bucketWidth(transform: string): number | null {
  const m = /^bucket\[(\d+)\]$/.exec(transform);
  return m ? Number(m[1]) : null;
}

/** The staging column holding a bucket transform's value (computed per row: DuckDB has no Murmur3). */
export function bucketColumn(sourceId: number, n: number): string {
  return `__bucket_${sourceId}_${n}`;
}

/** A partition value as the manifest's Avro record holds it (int and long as numbers). */
export function manifestValue(v: unknown): number | string | boolean | null {
  if (v === null || v === undefined) return null;
  if (typeof v === 'bigint') return Number(v);
  if (typeof v === 'number' || typeof v === 'string' || typeof v === 'boolean') return v;
  return String(v);
}

/** A folder name for a partition tuple (`name=value/…`), for humans: readers use the manifest's values. */
export function partitionPath(spec: PartitionSpec, values: Readonly<Record<string, unknown>>): string {
  return spec.fields.map((f) => `${encodeURIComponent(f.name)}=${encodeURIComponent(values[f.name] === null ? 'null' : String(values[f.name]))}`).join('/');
}
