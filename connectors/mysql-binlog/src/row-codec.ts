/**
 * One table version's row handling, precomputed once: the TableSchema, the converters of the columns that need
 * one, the primary key and the snapshot SELECT list. (Binlog row images are decoded with its column definitions:
 * binlog-client.ts.)
 * Per row the work is: convert the few non-identity columns in place, and copy the key columns.
 */
import type { Row, TableSchema } from '../../../core/src/types.ts';
import { mapColumn, snapshotSelectExpr, type MySqlTableDef } from './type-mapping.ts';
import { makeConverter, type Converter } from './value-conversion.ts';
import { quoteId, tableKey, toTableSchema } from './mysql-schema.ts';
import { FerryError } from '../../../core/src/errors.ts';

export class RowCodec {
  readonly def: MySqlTableDef;
  readonly schema: TableSchema;
  readonly columnNames: readonly string[];
  readonly primaryKey: readonly string[];
  /** `SELECT` list for snapshots: every column, through an expression where the driver needs one. */
  readonly selectList: string;
  readonly #convNames: string[] = [];
  readonly #convs: Converter[] = [];

  constructor(def: MySqlTableDef, version: number) {
    this.def = def;
    this.schema = toTableSchema(def, version);
    this.columnNames = def.columns.map((c) => c.name);
    this.primaryKey = def.primaryKey;
    def.columns.forEach((c) => {
      const mapping = mapColumn(c);
      const conv = makeConverter(mapping, c);
      if (conv) {
        this.#convNames.push(c.name);
        this.#convs.push(conv);
      }
    });
    this.selectList = def.columns.map((c) => {
      const q = quoteId(c.name);
      const expr = snapshotSelectExpr(c, q);
      return expr === q ? q : `${expr} AS ${q}`;
    }).join(', ');
  }

  /** Converts a driver row (snapshot or binlog) to wire values, in place, and returns it. */
  convert(row: Row): Row {
    const names = this.#convNames;
    const convs = this.#convs;
    for (let i = 0; i < names.length; i++) {
      const name = names[i]!;
      const v = row[name];
      if (v !== null) row[name] = convs[i]!(v);
    }
    return row;
  }

  /** The key struct of a converted row; null when the table has no primary key. */
  keyOf(row: Row): Row | null {
    const pk = this.primaryKey;
    if (pk.length === 0) return null;
    const key: Row = {};
    for (let i = 0; i < pk.length; i++) key[pk[i]!] = row[pk[i]!];
    return key;
  }
}

/** Whether two key values are equal (numbers, strings, bigints, Buffers). */
export function keyValueEquals(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (Buffer.isBuffer(a) && Buffer.isBuffer(b)) return a.equals(b);
  return false;
}

/** A table's codec, or FERRY_UNSUPPORTED naming the column whose type Ferry cannot map. */
export function codecFor(def: MySqlTableDef, version: number): RowCodec {
  try {
    return new RowCodec(def, version);
  } catch (e: unknown) {
    throw new FerryError('FERRY_UNSUPPORTED', `cannot capture table ${tableKey(def)}: ${(e as Error).message}. Exclude the table in the table mapping`, { cause: e });
  }
}
