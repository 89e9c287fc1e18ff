/**
 * The optional metadata MySQL 8.0.1+ appends to TABLE_MAP events (after the null bitmap): with
 * binlog_row_metadata=MINIMAL (the default) signedness, charsets, geometry types and enum/set charsets; with FULL
 * also column names, SET/ENUM strings, the primary key and (8.0.23+) column visibility.
 *
 * Layout (libbinlogevents rows_event.h, Table_map_event::Optional_metadata_field_type): fields back to back,
 * each a type byte, a length (packed integer) and the value. Inside values every number is a packed integer,
 * strings are a packed length and bytes, bitmaps are most-significant-bit first. Types: 1 SIGNEDNESS (bit per
 * numeric column, set = UNSIGNED), 2 DEFAULT_CHARSET (default collation, then pairs of character-column ordinal
 * and collation for the exceptions), 3 COLUMN_CHARSET (collation per character column), 4 COLUMN_NAME, 5
 * SET_STR_VALUE and 6 ENUM_STR_VALUE (per column: count, then strings), 7 GEOMETRY_TYPE (per geometry column),
 * 8 SIMPLE_PRIMARY_KEY (column indexes), 9 PRIMARY_KEY_WITH_PREFIX (pairs of index and prefix length, 0 = whole
 * column), 10 ENUM_AND_SET_DEFAULT_CHARSET and 11 ENUM_AND_SET_COLUMN_CHARSET (as 2 and 3, over ENUM/SET
 * columns), 12 COLUMN_VISIBILITY (bit per column, set = visible). Unknown types are skipped by their length.
 *
 * Ferry decodes rows with its schema history (the catalog's columns in ordinal order, invisible and generated
 * columns included, as MySQL writes them in row images); the names and visibility here let it check that the
 * history matches the binlog (binlog-stream.ts).
 */

export interface TableMapMetadata {
  /** One flag per numeric column, in column order. */
  readonly unsigned?: readonly boolean[];
  readonly defaultCharset?: { readonly collation: number; readonly exceptions: ReadonlyArray<readonly [number, number]> };
  readonly columnCharsets?: readonly number[];
  readonly columnNames?: readonly string[];
  readonly setValues?: ReadonlyArray<readonly string[]>;
  readonly enumValues?: ReadonlyArray<readonly string[]>;
  readonly geometryTypes?: readonly number[];
  /** Primary key columns (indexes) with their prefix length (0: the whole column). */
  readonly primaryKey?: ReadonlyArray<readonly [number, number]>;
  readonly enumSetDefaultCharset?: { readonly collation: number; readonly exceptions: ReadonlyArray<readonly [number, number]> };
  readonly enumSetColumnCharsets?: readonly number[];
  /** One flag per column; false = INVISIBLE. */
  readonly visible?: readonly boolean[];
}

type Cur = { pos: number };

function packed(b: Buffer, c: Cur, end: number): number {
  if (c.pos >= end) throw new Error(`table map metadata truncated at byte ${c.pos}`);
  const first = b[c.pos]!;
  const width = first < 0xfb ? 0 : first === 0xfc ? 2 : first === 0xfd ? 3 : first === 0xfe ? 8 : -1;
  if (width < 0 || c.pos + 1 + width > end) throw new Error(`table map metadata: bad packed integer at byte ${c.pos}`);
  c.pos += 1 + width;
  if (width === 0) return first;
  if (width === 8) return Number(b.readBigUInt64LE(c.pos - 8));
  return b.readUIntLE(c.pos - width, width);
}

function str(b: Buffer, c: Cur, end: number): string {
  const n = packed(b, c, end);
  if (c.pos + n > end) throw new Error(`table map metadata: a ${n}-byte string runs past its field`);
  c.pos += n;
  return b.toString('utf8', c.pos - n, c.pos);
}

function list<T>(c: Cur, end: number, item: () => T): T[] {
  const out: T[] = [];
  while (c.pos < end) out.push(item());
  return out;
}

function bits(b: Buffer, from: number, end: number, count: number): boolean[] {
  const out: boolean[] = [];
  for (let i = 0; i < count && from + (i >> 3) < end; i++) out.push((b[from + (i >> 3)]! & (0x80 >> (i & 7))) !== 0);
  return out;
}

function charsetField(b: Buffer, c: Cur, end: number) {
  const collation = packed(b, c, end);
  return { collation, exceptions: list(c, end, () => [packed(b, c, end), packed(b, c, end)] as const) };
}

/**
 * The optional metadata in [off, end). `columnCount` sizes the visibility bitmap; `numericCount` the signedness
 * bitmap (the columns whose type is numeric; absent: every bit of the field).
 */
export function parseTableMapMetadata(b: Buffer, off: number, end: number, columnCount: number, numericCount?: number): TableMapMetadata {
  const m: { -readonly [K in keyof TableMapMetadata]: TableMapMetadata[K] } = {};
  const c: Cur = { pos: off };
  while (c.pos < end) {
    const type = b[c.pos++]!;
    const length = packed(b, c, end);
    const fieldEnd = c.pos + length;
    if (fieldEnd > end) throw new Error(`table map metadata field ${type} of ${length} bytes runs past the event`);
    switch (type) {
      case 1: m.unsigned = bits(b, c.pos, fieldEnd, numericCount ?? length * 8); break;
      case 2: m.defaultCharset = charsetField(b, c, fieldEnd); break;
      case 3: m.columnCharsets = list(c, fieldEnd, () => packed(b, c, fieldEnd)); break;
      case 4: m.columnNames = list(c, fieldEnd, () => str(b, c, fieldEnd)); break;
      case 5: case 6: {
        const values = list(c, fieldEnd, () => { const n = packed(b, c, fieldEnd); return Array.from({ length: n }, () => str(b, c, fieldEnd)); });
        if (type === 5) m.setValues = values; else m.enumValues = values;
        break;
      }
      case 7: m.geometryTypes = list(c, fieldEnd, () => packed(b, c, fieldEnd)); break;
      case 8: m.primaryKey = list(c, fieldEnd, () => [packed(b, c, fieldEnd), 0] as const); break;
      case 9: m.primaryKey = list(c, fieldEnd, () => [packed(b, c, fieldEnd), packed(b, c, fieldEnd)] as const); break;
      case 10: m.enumSetDefaultCharset = charsetField(b, c, fieldEnd); break;
      case 11: m.enumSetColumnCharsets = list(c, fieldEnd, () => packed(b, c, fieldEnd)); break;
      case 12: m.visible = bits(b, c.pos, fieldEnd, columnCount); break;
      default: break; // a newer field: skipped
    }
    c.pos = fieldEnd;
  }
  return m;
}

/**
 * Where the column names a TABLE_MAP carries (binlog_row_metadata=FULL) differ from Ferry's, as text
 * ('column 2 is `b` in the binlog, `c` in Ferry's schema'); null when they agree or the map has no names.
 * MySQL column names compare case-insensitively.
 */
export function columnNamesDiffer(binlogNames: readonly string[] | undefined, names: readonly string[]): string | null {
  if (!binlogNames) return null;
  if (binlogNames.length !== names.length) return `the binlog names ${binlogNames.length} columns, Ferry's schema has ${names.length}`;
  for (let i = 0; i < names.length; i++) {
    if (binlogNames[i]!.toLowerCase() !== names[i]!.toLowerCase()) return `column ${i + 1} is \`${binlogNames[i]}\` in the binlog, \`${names[i]}\` in Ferry's schema`;
  }
  return null;
}
