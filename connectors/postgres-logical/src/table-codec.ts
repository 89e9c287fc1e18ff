/**
 * One version of one captured table, precomputed once: its TableSchema, a converter per column, the primary key,
 * the COPY select list and the fallbacks of NOT NULL columns. The same codec converts pgoutput tuples (streaming)
 * and COPY text rows (snapshot), so both paths give identical values.
 *
 * SchemaTracker hands out codecs with stable version numbers per table: the same column list (names, types,
 * typmods, nullability, defaults, key) always gets the same version within a task run, and a new one gets the
 * next number (schema changes detected from pgoutput Relation messages, see change-stream.ts).
 */
import type { Column, Logger, Row, TableId, TableSchema } from '../../../core/src/types.ts';
import { FerryError, errorMessage } from '../../../core/src/errors.ts';
import { UNCHANGED_TOAST, type Tuple } from './protocol/pgoutput-decoder.ts';
import { DEFAULT_VALUE_MODES, mapPgType, numericTypmod, type ColumnMapping, type TypeLookup, type ValueModes } from './type-mapping.ts';
import { sourceTypeMatcher, withSourceTypeParams, type SourceTypeInfo } from '../../../schemas/src/propagate-source-type.ts';
import { fallbackValue, makeConverter, type Converter } from './value-conversion.ts';
import { quoteIdent } from './pg-connection.ts';
import { tableKey } from './pg-catalog.ts';

/** A column as a codec needs it: from pg_attribute (snapshot) or a Relation message plus pg_attribute. */
export interface CodecColumn {
  readonly name: string;
  readonly typeOid: number;
  readonly typmod: number;
  readonly notNull: boolean;
  readonly defaultExpr: string | null;
  /** Declared array dimensions (pg_attribute.attndims); absent or 0 = one. */
  readonly dims?: number;
}

export interface CodecInput extends TableId {
  /** In tuple order: the table's non-dropped, non-generated columns (what pgoutput sends). */
  readonly columns: readonly CodecColumn[];
  readonly primaryKey: readonly string[];
}

/**
 * A column's type for column.propagate.source.type, as Debezium's PostgreSQL connector names it: pg_type's name
 * ('int4', 'varchar', '_int4'), with the length and scale its typmod declares (numeric(p,s): p and s; character
 * types and bit strings: the length; time types: the fractional-second digits as the scale).
 */
export function pgSourceTypeInfo(c: Pick<CodecColumn, 'typeOid' | 'typmod'>, types: TypeLookup): SourceTypeInfo {
  const t = types.get(c.typeOid);
  const name = t?.name ?? String(c.typeOid);
  const base = t && t.category === 'A' ? types.get(t.elem)?.name ?? name : name;
  if (c.typmod < 0) return { typeName: name };
  if (base === 'numeric') {
    const n = numericTypmod(c.typmod);
    return n === null ? { typeName: name } : { typeName: name, length: n.precision, scale: n.scale };
  }
  if (base === 'varchar' || base === 'bpchar') return { typeName: name, length: c.typmod - 4 };
  if (base === 'bit' || base === 'varbit') return { typeName: name, length: c.typmod };
  if (base === 'time' || base === 'timetz' || base === 'timestamp' || base === 'timestamptz') return { typeName: name, scale: c.typmod };
  return { typeName: name };
}

/** A null arrived in a column the codec has as NOT NULL (the catalog was read after a later ALTER … SET NOT NULL). */
export class NullInRequiredColumn extends Error {
  readonly column: string;
  constructor(column: string) {
    super(`null in NOT NULL column ${column}`);
    this.column = column;
  }
}

const LITERAL = /^'((?:[^']|'')*)'(?:::[\w\s."[\]()]+)?$/;
const NUMBER = /^\(?(-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?)\)?(?:::[\w\s."[\]()]+)?$/;

/** A column default in wire form when the expression is a plain literal (as Debezium's default value converter), else undefined. */
export function parseDefault(expr: string | null, conv: Converter | null): unknown {
  if (expr === null) return undefined;
  let text: string | undefined;
  const lit = LITERAL.exec(expr);
  if (lit) text = lit[1]!.replace(/''/g, "'");
  else {
    const num = NUMBER.exec(expr);
    if (num) text = num[1]!;
    else if (expr === 'true' || expr === 'false') text = expr === 'true' ? 't' : 'f';
  }
  if (text === undefined) return undefined;
  try {
    return conv === null ? text : conv(text);
  } catch {
    return undefined;
  }
}

const bigintSafe = (_k: string, v: unknown) => (typeof v === 'bigint' ? `${v}n` : v);

export class TableCodec {
  readonly id: TableId;
  readonly key: string;
  readonly schema: TableSchema;
  readonly primaryKey: readonly string[];
  /** Structure without the version: equal signatures ⇔ same TableSchema. */
  readonly signature: string;
  /** Columns left out of events (types Debezium cannot map either), with the reason. */
  readonly skipped: readonly { readonly name: string; readonly reason: string }[];
  /** COPY select list of the included columns, in order. */
  readonly selectList: string;
  readonly input: CodecInput;
  readonly #names: string[] = [];
  readonly #positions: number[] = [];
  readonly #convs: (Converter | null)[] = [];
  readonly #required: boolean[] = [];
  readonly #fallbacks: unknown[] = [];
  readonly mappings: ColumnMapping[] = [];

  /** `modes`: how decimals, intervals and bit varying values travel (the source options; type-mapping.ts). */
  constructor(input: CodecInput, version: number, types: TypeLookup, modes: ValueModes = DEFAULT_VALUE_MODES) {
    this.input = input;
    this.id = { schema: input.schema, table: input.table };
    this.key = tableKey(this.id);
    const columns: Column[] = [];
    const skipped: { name: string; reason: string }[] = [];
    const propagate = sourceTypeMatcher(modes.propagateSourceType);
    input.columns.forEach((c, pos) => {
      const m = mapPgType(c.typeOid, c.typmod, types, { dims: c.dims ?? 0, modes });
      if ('unsupported' in m) {
        skipped.push({ name: c.name, reason: m.unsupported });
        return;
      }
      const conv = makeConverter(m);
      const dflt = parseDefault(c.defaultExpr, conv);
      const nullable = !c.notNull;
      const type = propagate?.(input.schema, input.table, c.name) ? withSourceTypeParams(m.fieldType, c.name, pgSourceTypeInfo(c, types)) : m.fieldType;
      columns.push({ name: c.name, type, nullable, sourceType: m.sourceType, ...(dflt !== undefined ? { defaultValue: dflt } : {}) });
      this.mappings.push(m);
      this.#names.push(c.name);
      this.#positions.push(pos);
      this.#convs.push(conv);
      this.#required.push(!nullable);
      this.#fallbacks.push(dflt !== undefined ? dflt : fallbackValue(m));
    });
    const included = new Set(this.#names);
    const missingKey = input.primaryKey.filter((k) => !included.has(k));
    if (missingKey.length > 0) {
      throw new FerryError('FERRY_UNSUPPORTED', `cannot capture ${this.key}: its primary key column(s) ${missingKey.join(', ')} have a type Ferry cannot map (${skipped.filter((s) => missingKey.includes(s.name)).map((s) => s.reason).join('; ')}). Exclude the table in the table mapping`);
    }
    this.primaryKey = [...input.primaryKey];
    this.skipped = skipped;
    this.schema = { id: this.id, version, columns, primaryKey: this.primaryKey };
    this.signature = JSON.stringify({ columns, pk: this.primaryKey }, bigintSafe);
    this.selectList = this.#names.map(quoteIdent).join(', ');
  }

  get columnCount(): number {
    return this.#names.length;
  }

  /** A pgoutput tuple (all columns, relation order) → row. UNCHANGED_TOAST must have been resolved by the caller. */
  convertTuple(t: Tuple): Row {
    const names = this.#names;
    const pos = this.#positions;
    const convs = this.#convs;
    const row: Row = {};
    let i = 0;
    try {
      for (; i < names.length; i++) {
        const v = t[pos[i]!];
        if (v === null || v === undefined) {
          if (this.#required[i]) throw new NullInRequiredColumn(names[i]!);
          row[names[i]!] = null;
        } else if (v === UNCHANGED_TOAST) {
          throw new FerryError('FERRY_INTERNAL', `unresolved unchanged TOAST value in ${this.key}.${names[i]}`);
        } else {
          const c = convs[i] as Converter | null;
          row[names[i]!] = c === null ? v : c(v as string);
        }
      }
    } catch (e: unknown) {
      throw this.#wrap(e, i, t[pos[i]!]);
    }
    return row;
  }

  /** A COPY text row (included columns, in order; null for \N) → row. */
  convertFields(f: readonly (string | null)[]): Row {
    const names = this.#names;
    const convs = this.#convs;
    const row: Row = {};
    let i = 0;
    try {
      for (; i < names.length; i++) {
        const v = f[i];
        if (v === null || v === undefined) row[names[i]!] = null;
        else {
          const c = convs[i] as Converter | null;
          row[names[i]!] = c === null ? v : c(v);
        }
      }
    } catch (e: unknown) {
      throw this.#wrap(e, i, f[i]);
    }
    return row;
  }

  /**
   * An old-key tuple ('K': key columns set, the rest null) → before image: NOT NULL columns it lacks get their
   * default or Debezium's fallback value, so the image fits the schema.
   */
  convertKeyTuple(t: Tuple): Row {
    const names = this.#names;
    const pos = this.#positions;
    const row: Row = {};
    for (let i = 0; i < names.length; i++) {
      const v = t[pos[i]!];
      if (v === null || v === undefined || v === UNCHANGED_TOAST) row[names[i]!] = this.#required[i] ? this.#fallbacks[i] : null;
      else {
        const c = this.#convs[i] as Converter | null;
        try {
          row[names[i]!] = c === null ? v : c(v as string);
        } catch (e: unknown) {
          throw this.#wrap(e, i, v);
        }
      }
    }
    return row;
  }

  keyOf(row: Row): Row | null {
    const pk = this.primaryKey;
    if (pk.length === 0) return null;
    const key: Row = {};
    for (let i = 0; i < pk.length; i++) key[pk[i]!] = row[pk[i]!];
    return key;
  }

  #wrap(e: unknown, i: number, value: unknown): Error {
    if (e instanceof NullInRequiredColumn) return e;
    const col = this.#names[i] ?? '?';
    const shown = typeof value === 'string' ? JSON.stringify(value.length > 80 ? `${value.slice(0, 80)}…` : value) : String(value);
    if (e instanceof FerryError) return new FerryError(e.code, `${this.key}.${col}: ${e.message}`, { cause: e, disposition: e.disposition });
    return new FerryError('FERRY_INTERNAL', `cannot convert ${this.key}.${col} value ${shown} (${this.mappings[i]?.sourceType}): ${errorMessage(e)}`, { cause: e });
  }
}

/** Codecs by table and structure, with stable version numbers. */
export class SchemaTracker {
  readonly #types: TypeLookup;
  readonly #log: Logger;
  readonly #modes: ValueModes;
  readonly #tables = new Map<string, { bySignature: Map<string, TableCodec>; next: number; current: TableCodec | null }>();

  constructor(types: TypeLookup, log: Logger, modes: ValueModes = DEFAULT_VALUE_MODES) {
    this.#types = types;
    this.#log = log;
    this.#modes = modes;
  }

  /** The codec of a table structure: the existing version if seen before, else the next version. */
  codec(input: CodecInput, cause: string): TableCodec {
    const key = tableKey(input);
    let t = this.#tables.get(key);
    if (!t) this.#tables.set(key, (t = { bySignature: new Map(), next: 1, current: null }));
    const probe = new TableCodec(input, 0, this.#types, this.#modes);
    let codec = t.bySignature.get(probe.signature);
    if (!codec) {
      codec = new TableCodec(input, t.next++, this.#types, this.#modes);
      t.bySignature.set(codec.signature, codec);
      if (codec.skipped.length > 0) {
        this.#log.warn({ table: key, columns: codec.skipped }, `${key}: ${codec.skipped.map((s) => `${s.name} (${s.reason})`).join(', ')} left out of events: Ferry cannot map these types`);
      }
    }
    const prev = t.current;
    if (prev !== codec) {
      t.current = codec;
      if (prev !== null) this.#log.info({ table: key, version: codec.schema.version, cause, change: describeChange(prev, codec) }, `schema of ${key} changed (${cause}): version ${codec.schema.version}`);
    }
    return codec;
  }

  current(id: TableId): TableCodec | null {
    return this.#tables.get(tableKey(id))?.current ?? null;
  }

  /** The codec with `column` nullable: a null arrived where the catalog (read later) says NOT NULL. */
  relax(codec: TableCodec, column: string): TableCodec {
    const input: CodecInput = { ...codec.input, columns: codec.input.columns.map((c) => (c.name === column ? { ...c, notNull: false } : c)) };
    return this.codec(input, `a null in ${column}, NOT NULL only later`);
  }
}

function describeChange(a: TableCodec, b: TableCodec): string {
  const before = new Map(a.schema.columns.map((c) => [c.name, c]));
  const after = new Map(b.schema.columns.map((c) => [c.name, c]));
  const parts: string[] = [];
  for (const n of after.keys()) if (!before.has(n)) parts.push(`+${n}`);
  for (const n of before.keys()) if (!after.has(n)) parts.push(`-${n}`);
  for (const [n, c] of after) {
    const o = before.get(n);
    if (o && (o.sourceType !== c.sourceType || o.nullable !== c.nullable)) parts.push(`~${n} ${o.sourceType}${o.nullable ? '' : ' not null'} → ${c.sourceType}${c.nullable ? '' : ' not null'}`);
  }
  if (a.primaryKey.join(',') !== b.primaryKey.join(',')) parts.push(`key (${a.primaryKey.join(',')}) → (${b.primaryKey.join(',')})`);
  return parts.join(', ') || 'defaults';
}
