/**
 * Column stats of a data file for its manifest entry (table spec §Manifests: value_counts, null_value_counts,
 * lower_bounds, upper_bounds), computed in DuckDB over the rows the file gets, with bounds in Iceberg's single-value
 * serialization (Appendix D): int/date 4 bytes LE, long/timestamp 8 bytes LE, string UTF-8, boolean 1 byte.
 * Bounds are written only where they are exact and cheap: strings up to 16 characters, no floats or decimals.
 */
import type { MappedColumn } from '../schema-mapping.ts';
import { ident } from './duck.ts';

const BOUNDED = new Set(['int', 'long', 'date', 'timestamp', 'timestamptz', 'string', 'boolean']);
const MAX_STRING_BOUND = 16;

function boundExpr(agg: 'min' | 'max', c: MappedColumn): string {
  const x = ident(`c${c.id}`);
  switch (c.type) {
    case 'date': return `(${agg}(${x}) - DATE '1970-01-01')`;
    case 'timestamp': return `epoch_us(${agg}(CAST(${x} AS TIMESTAMP)))`;
    case 'timestamptz': return `epoch_us(${agg}(CAST(${x} AS TIMESTAMPTZ)))`;
    case 'int': return `${agg}(CAST(${x} AS INTEGER))`;
    case 'long': return `${agg}(CAST(${x} AS BIGINT))`;
    default: return `${agg}(${x})`;
  }
}

/** SELECT expressions for the stats of `columns` (aliases s<i>_n, s<i>_lo, s<i>_hi), to be grouped by file. */
export function statsSelect(columns: readonly MappedColumn[]): string {
  return columns.map((c, i) => {
    const parts = [`count(${ident(`c${c.id}`)}) AS s${i}_n`];
    if (BOUNDED.has(c.type)) parts.push(`${boundExpr('min', c)} AS s${i}_lo`, `${boundExpr('max', c)} AS s${i}_hi`);
    return parts.join(', ');
  }).join(', ');
}

function encode(type: string, v: unknown): Buffer | undefined {
  if (v === null || v === undefined) return undefined;
  switch (type) {
    case 'int': case 'date': {
      const b = Buffer.alloc(4);
      b.writeInt32LE(Number(v));
      return b;
    }
    case 'long': case 'timestamp': case 'timestamptz': {
      const b = Buffer.alloc(8);
      b.writeBigInt64LE(BigInt(v as number | bigint));
      return b;
    }
    case 'boolean': return Buffer.from([v === true ? 1 : 0]);
    case 'string': {
      const s = String(v);
      return [...s].length <= MAX_STRING_BOUND ? Buffer.from(s, 'utf8') : undefined;
    }
  }
  return undefined;
}

export interface FileStats {
  readonly valueCounts: Map<number, number>;
  readonly nullValueCounts: Map<number, number>;
  readonly lowerBounds: Map<number, Buffer>;
  readonly upperBounds: Map<number, Buffer>;
}

/** The stats of a file of `rows` rows from a row of the statsSelect query. */
export function statsOf(columns: readonly MappedColumn[], row: Record<string, unknown>, rows: number): FileStats {
  const s: FileStats = { valueCounts: new Map(), nullValueCounts: new Map(), lowerBounds: new Map(), upperBounds: new Map() };
  columns.forEach((c, i) => {
    s.valueCounts.set(c.id, rows);
    s.nullValueCounts.set(c.id, rows - Number(row[`s${i}_n`]));
    const lo = encode(c.type, row[`s${i}_lo`]);
    const hi = encode(c.type, row[`s${i}_hi`]);
    if (lo !== undefined && hi !== undefined) {
      s.lowerBounds.set(c.id, lo);
      s.upperBounds.set(c.id, hi);
    }
  });
  return s;
}
