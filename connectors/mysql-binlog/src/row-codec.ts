/**
 * One table version's row handling, precomputed once: the TableSchema, the converters of the columns that need
 * one, the primary key, the snapshot SELECT list and the column metadata zongji decodes binlog rows with.
 * Per row the work is: convert the few non-identity columns in place, and copy the key columns.
 */
import type { Row, TableSchema } from '../../../runtime/src/core/types.ts';
import { mapColumn, parseColumnType, snapshotSelectExpr, type MySqlTableDef } from './type-mapping.ts';
import { makeConverter, type Converter } from './value-conversion.ts';
import { quoteId, tableKey, toTableSchema } from './mysql-schema.ts';
import { FerryError } from '../../../runtime/src/core/errors.ts';

/** Column metadata in the shape zongji's INFORMATION_SCHEMA lookup returns (see binlog-client.ts). */
export interface ZongjiColumnSchema {
  COLUMN_NAME: string;
  COLLATION_NAME: string | null;
  CHARACTER_SET_NAME: string | null;
  COLUMN_COMMENT: string;
  COLUMN_TYPE: string;
  ENUM_VALUES?: string[];
  SET_VALUES?: string[];
}

export class RowCodec {
  readonly def: MySqlTableDef;
  readonly schema: TableSchema;
  readonly columnNames: readonly string[];
  readonly primaryKey: readonly string[];
  /** `SELECT` list for snapshots: every column, through an expression where the driver needs one. */
  readonly selectList: string;
  readonly #convNames: string[] = [];
  readonly #convs: Converter[] = [];
  /** Indexes (into columns) of spatial columns, which zongji must hand over as raw bytes. */
  readonly spatialColumns: readonly number[];

  constructor(def: MySqlTableDef, version: number) {
    this.def = def;
    this.schema = toTableSchema(def, version);
    this.columnNames = def.columns.map((c) => c.name);
    this.primaryKey = def.primaryKey;
    const spatial: number[] = [];
    def.columns.forEach((c, i) => {
      const mapping = mapColumn(c);
      const conv = makeConverter(mapping, c);
      if (conv) {
        this.#convNames.push(c.name);
        this.#convs.push(conv);
      }
      if (mapping.kind === 'geometry' || mapping.kind === 'point') spatial.push(i);
    });
    this.spatialColumns = spatial;
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

  #zongji: ZongjiColumnSchema[] | undefined;

  /** What zongji needs to decode this table's row images (names, charsets, exact ENUM/SET values). */
  zongjiColumns(): ZongjiColumnSchema[] {
    return (this.#zongji ??= this.def.columns.map((c) => {
      const t = parseColumnType(c.columnType);
      return {
        COLUMN_NAME: c.name,
        COLLATION_NAME: null,
        CHARACTER_SET_NAME: c.charset,
        COLUMN_COMMENT: '',
        COLUMN_TYPE: c.columnType,
        ...(t.base === 'enum' ? { ENUM_VALUES: [...t.args] } : {}),
        ...(t.base === 'set' ? { SET_VALUES: [...t.args] } : {}),
      };
    }));
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
