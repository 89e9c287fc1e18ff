/**
 * One table version's row handling, precomputed once: the TableSchema, the converters of the columns that need
 * one, the primary key and the snapshot SELECT list. (Binlog row images are decoded with its column definitions:
 * binlog-client.ts.)
 * Per row the work is: convert the few non-identity columns in place, and copy the key columns.
 */
import type { Row, TableSchema } from '../../../core/src/types.ts';
import { mapColumn, snapshotSelectExpr, type ColumnMapping, type MySqlTableDef } from './type-mapping.ts';
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
  /** Each column's mapping, in column order. */
  readonly mappings: readonly ColumnMapping[];
  readonly #convNames: string[] = [];
  readonly #convs: Converter[] = [];
  /** The column index of each converter. */
  readonly #convIndex: number[] = [];
  /** Binlog row converters by the columns they skip (binlogConverter). */
  readonly #binlogConverters = new Map<string, (row: Row) => Row>();

  constructor(def: MySqlTableDef, version: number) {
    this.def = def;
    this.schema = toTableSchema(def, version);
    this.columnNames = def.columns.map((c) => c.name);
    this.primaryKey = def.primaryKey;
    this.mappings = def.columns.map((c) => mapColumn(c));
    def.columns.forEach((c, i) => {
      const conv = makeConverter(this.mappings[i]!, c);
      if (conv) {
        this.#convNames.push(c.name);
        this.#convs.push(conv);
        this.#convIndex.push(i);
      }
    });
    this.selectList = def.columns.map((c) => {
      const q = quoteId(c.name);
      const expr = snapshotSelectExpr(c, q);
      return expr === q ? q : `${expr} AS ${q}`;
    }).join(', ');
  }

  /**
   * Converts a driver row (snapshot, or binlog rows decoded as text) to wire values, in place, and returns it.
   * Binlog rows from the dispatcher use binlogConverter instead.
   */
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

  /**
   * The converter of binlog rows whose columns flagged in `direct` (by column index) were decoded straight to
   * their wire value (binlog/wire-values.ts): `convert` without their converters. One per distinct set.
   */
  binlogConverter(direct: readonly boolean[]): (row: Row) => Row {
    const key = direct.map((d) => (d ? '1' : '0')).join('');
    let conv = this.#binlogConverters.get(key);
    if (conv !== undefined) return conv;
    const names: string[] = [];
    const convs: Converter[] = [];
    this.#convIndex.forEach((col, i) => {
      if (direct[col] !== true) {
        names.push(this.#convNames[i]!);
        convs.push(this.#convs[i]!);
      }
    });
    conv = (row) => {
      for (let i = 0; i < names.length; i++) {
        const name = names[i]!;
        const v = row[name];
        if (v !== null) row[name] = convs[i]!(v);
      }
      return row;
    };
    this.#binlogConverters.set(key, conv);
    return conv;
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
