/**
 * PostgreSQL column types → Debezium field types, as Debezium's PostgreSQL connector builds them
 * (PostgresValueConverter#schemaBuilder) with its defaults:
 *   decimal.handling.mode=precise, time.precision.mode=adaptive, interval.handling.mode=numeric,
 *   hstore.handling.mode=json, binary.handling.mode=bytes, money.fraction.digits=2,
 *   include.unknown.datatypes=false (columns of other types are left out of the events, with a warning).
 * decimal.handling.mode and interval.handling.mode have their Debezium alternatives as source options
 * (ValueModes); bitVaryingHandlingMode is Ferry's: `string` carries a bit varying value as its exact bit string.
 * The table, with the JS representation of each value, is in docs/sources/postgres.md.
 *
 * A column is described by its type OID and typmod, as both the catalog (pg_attribute) and pgoutput's Relation
 * message give them; domains resolve to their base type, enums and arrays through pg_type (TypeLookup).
 */
import type { FieldType } from '../../../core/src/types.ts';
import type { BinaryHandlingMode, DecimalHandlingMode, HstoreHandlingMode, IntervalHandlingMode, TimePrecisionMode, ValueHandling } from '../../../core/src/value-handling.ts';

/** One row of pg_type, with what the mapping needs. */
export interface PgType {
  readonly oid: number;
  readonly name: string;
  readonly schema: string;
  /** typtype: b base, c composite, d domain, e enum, p pseudo, r range, m multirange. */
  readonly typtype: string;
  /** typcategory: 'A' for arrays. */
  readonly category: string;
  /** typelem: the element type of an array type. */
  readonly elem: number;
  /** typbasetype / typtypmod of a domain. */
  readonly baseType: number;
  readonly baseTypmod: number;
  /** Enum labels in sort order. */
  readonly enumLabels?: readonly string[];
}

export interface TypeLookup {
  get(oid: number): PgType | undefined;
}

/** How a value's text form becomes its wire value (value-conversion.ts). */
export type ValueKind =
  | 'int' | 'int64' | 'float32' | 'float64'
  | 'decimal' // numeric(p,s): Connect Decimal bytes at `scale`
  | 'vsd' // numeric: io.debezium.data.VariableScaleDecimal {scale, value}
  | 'money' // Decimal at scale 2
  | 'bool' | 'string' | 'bytes'
  | 'date' | 'time-ms' | 'time-us' | 'timetz' | 'timestamp-ms' | 'timestamp-us' | 'timestamptz'
  | 'interval' // MicroDuration µs
  | 'interval-string' // io.debezium.time.Interval ISO 8601 text
  | 'money-double' | 'money-string' // money under decimal.handling.mode double / string
  | 'bit' | 'bits'
  | 'bit-string' // bit varying under bitVaryingHandlingMode=string: the bit string as it is
  | 'hstore'
  | 'hstore-map' // hstore under hstore.handling.mode=map: a Connect map of optional strings
  | 'bytes-text' // bytea under binary.handling.mode base64 / base64-url-safe / hex
  | 'point' | 'box' | 'lseg' | 'path' | 'polygon'
  | 'array';

/** A column's field type (`items` is the element type of an array column). */
export type PgFieldType = FieldType;

export interface ColumnMapping {
  readonly fieldType: PgFieldType;
  readonly kind: ValueKind;
  /** decimal: scale; timestamptz: digits of the fraction (0 = as few as needed). */
  readonly scale: number;
  /** arrays: the element mapping. */
  readonly element?: ColumnMapping;
  /** arrays: the number of dimensions, i.e. how deeply the Connect arrays nest (≥ 1). */
  readonly dims?: number;
  /** bytes-text: the text form (binary.handling.mode). */
  readonly binary?: Exclude<BinaryHandlingMode, 'bytes'>;
  /** The type as PostgreSQL spells it (pg_catalog.format_type style), e.g. 'numeric(10,2)'. */
  readonly sourceType: string;
  /** An upper bound of the value's stored size in bytes, or null when unbounded (see toast.ts). */
  readonly maxBytes: number | null;
}

export type MappingResult = ColumnMapping | { readonly unsupported: string };

const DECIMAL = 'org.apache.kafka.connect.data.Decimal';
const prim = (type: FieldType['type']): FieldType => ({ type });
const named = (type: FieldType['type'], logical: string, params?: Record<string, string>): FieldType =>
  ({ type, logical, version: 1, ...(params ? { params } : {}) });

const DATE = named('int32', 'io.debezium.time.Date');
const TIME_MS = named('int32', 'io.debezium.time.Time');
const MICRO_TIME = named('int64', 'io.debezium.time.MicroTime');
const TIMESTAMP_MS = named('int64', 'io.debezium.time.Timestamp');
const MICRO_TIMESTAMP = named('int64', 'io.debezium.time.MicroTimestamp');
const ZONED_TIMESTAMP = named('string', 'io.debezium.time.ZonedTimestamp');
const ZONED_TIME = named('string', 'io.debezium.time.ZonedTime');
const MICRO_DURATION = named('int64', 'io.debezium.time.MicroDuration');
const JSON_T = named('string', 'io.debezium.data.Json');
const UUID = named('string', 'io.debezium.data.Uuid');
const XML = named('string', 'io.debezium.data.Xml');
const VSD: FieldType = { type: 'bytes', logical: 'io.debezium.data.VariableScaleDecimal', version: 1 };
const POINT: FieldType = { type: 'bytes', logical: 'io.debezium.data.geometry.Point', version: 1 };
const GEOMETRY: FieldType = { type: 'bytes', logical: 'io.debezium.data.geometry.Geometry', version: 2 };
const CONNECT_DATE = named('int32', 'org.apache.kafka.connect.data.Date');
const CONNECT_TIME = named('int32', 'org.apache.kafka.connect.data.Time');
const CONNECT_TIMESTAMP = named('int64', 'org.apache.kafka.connect.data.Timestamp');
const MONEY: FieldType = { type: 'bytes', logical: DECIMAL, version: 1, params: { scale: '2' } };

/** Bytes per character in the worst case (UTF-8). */
const MAX_CHAR_BYTES = 4;

const m = (fieldType: PgFieldType, kind: ValueKind, sourceType: string, maxBytes: number | null, scale = 0): ColumnMapping =>
  ({ fieldType, kind, scale, sourceType, maxBytes });

/** Precision and scale of a numeric typmod (PostgreSQL 15 allows a negative scale). */
export function numericTypmod(typmod: number): { precision: number; scale: number } | null {
  if (typmod < 4) return null;
  const t = typmod - 4;
  return { precision: (t >> 16) & 0xffff, scale: (((t & 0x7ff) ^ 1024) - 1024) };
}

/** Fractional-second digits of a time/timestamp typmod; 6 when unspecified. */
export function timePrecision(typmod: number): number {
  return typmod < 0 ? 6 : typmod;
}

const BUILTIN_STRINGS: Readonly<Record<string, string>> = {
  text: 'text', varchar: 'character varying', bpchar: 'character', name: 'name', char: '"char"', citext: 'citext',
  inet: 'inet', cidr: 'cidr', macaddr: 'macaddr', macaddr8: 'macaddr8',
  int4range: 'int4range', int8range: 'int8range', numrange: 'numrange', tsrange: 'tsrange', tstzrange: 'tstzrange', daterange: 'daterange',
};

/**
 * How values of some types travel (source options, Debezium's names): decimal.handling.mode (precise: Connect
 * Decimal / VariableScaleDecimal, and a NaN or ±Infinity stops the task (as Debezium); double: float64; string: the decimal text,
 * 'NaN', 'Infinity', '-Infinity'), interval.handling.mode (numeric: MicroDuration µs; string: ISO 8601 text) and
 * bitVaryingHandlingMode (bits: Debezium Bits, bytes without the bit count; string: the exact bit string).
 */
export interface ValueModes {
  readonly decimal: DecimalHandlingMode;
  readonly interval: IntervalHandlingMode;
  readonly bitVarying: 'bits' | 'string';
  /** time.precision.mode (default adaptive). */
  readonly time?: TimePrecisionMode;
  /** binary.handling.mode for bytea (default bytes). */
  readonly binary?: BinaryHandlingMode;
  /** hstore.handling.mode (default json). */
  readonly hstore?: HstoreHandlingMode;
  /** column.propagate.source.type: regular expressions over <schema>.<table>.<column>. */
  readonly propagateSourceType?: readonly string[];
}

export const DEFAULT_VALUE_MODES: ValueModes = { decimal: 'precise', interval: 'numeric', bitVarying: 'bits', time: 'adaptive', binary: 'bytes', hstore: 'json' };

/**
 * The value modes of a source block: its `valueHandling` (the task's settings, resolved by app/src/task-file/
 * value-handling.ts), else its older options decimalHandlingMode / intervalHandlingMode; defaults: Debezium's.
 */
export function valueModesOf(c: { readonly valueHandling?: unknown; readonly decimalHandlingMode?: ValueModes['decimal'] | undefined; readonly intervalHandlingMode?: ValueModes['interval'] | undefined; readonly bitVaryingHandlingMode?: ValueModes['bitVarying'] | undefined }): ValueModes {
  const v = c.valueHandling as ValueHandling | undefined;
  return {
    decimal: v?.decimal ?? c.decimalHandlingMode ?? DEFAULT_VALUE_MODES.decimal,
    interval: v?.interval ?? c.intervalHandlingMode ?? DEFAULT_VALUE_MODES.interval,
    bitVarying: c.bitVaryingHandlingMode ?? DEFAULT_VALUE_MODES.bitVarying,
    time: v?.time ?? 'adaptive',
    binary: v?.binary ?? 'bytes',
    hstore: v?.hstore ?? 'json',
    propagateSourceType: v?.propagateSourceType ?? [],
  };
}

/** The logical name of a bit string carried as text (bitVaryingHandlingMode=string); `length` is the declared maximum. */
export const BIT_STRING = 'io.ferry.data.BitString';

export interface MapOptions {
  /** Value representations (default DEFAULT_VALUE_MODES). */
  readonly modes?: ValueModes;
  /**
   * Declared dimensions of an array column (pg_attribute.attndims: 2 for int[][]; 0 or 1 mean one). A column's
   * Connect type nests one array per dimension; PostgreSQL does not enforce the declaration, so a value with more
   * dimensions than declared is a conversion error that names the fix (value-conversion.ts).
   */
  readonly dims?: number;
}

/** Maps a column type. Unknown and unsupported types come back as { unsupported: why }. */
export function mapPgType(typeOid: number, typmod: number, types: TypeLookup, options: MapOptions = {}): MappingResult {
  let t = types.get(typeOid);
  if (!t) return { unsupported: `type oid ${typeOid} is not in pg_type` };
  let mod = typmod;
  for (let depth = 0; t.typtype === 'd'; depth++) {
    if (depth > 20) return { unsupported: `domain ${t.name} nests too deeply` };
    if (mod < 0) mod = t.baseTypmod;
    const base = types.get(t.baseType);
    if (!base) return { unsupported: `base type ${t.baseType} of domain ${t.name} is not in pg_type` };
    t = base;
  }
  if (t.typtype === 'e') {
    const labels = t.enumLabels ?? [];
    return m(named('string', 'io.debezium.data.Enum', { allowed: labels.join(',') }), 'string', t.name, 4);
  }
  if (t.category === 'A' && t.elem !== 0) {
    const el = mapPgType(t.elem, mod, types, options);
    if ('unsupported' in el) return { unsupported: `array of ${el.unsupported}` };
    if (el.kind === 'array') return { unsupported: 'nested array types' };
    // Connect arrays whose elements are optional values of `items`, nested once per declared dimension.
    const dims = Math.max(1, options.dims ?? 1);
    let arrayType: FieldType = { type: 'array', items: el.fieldType };
    for (let d = 1; d < dims; d++) arrayType = { type: 'array', items: arrayType };
    return { ...m(arrayType, 'array', `${el.sourceType}${'[]'.repeat(dims)}`, null), element: el, dims };
  }
  if (t.typtype !== 'b' && t.typtype !== 'r') return { unsupported: `${t.name} (${t.typtype === 'c' ? 'composite' : 'pseudo or multirange'} type)` };
  const modes = options.modes ?? DEFAULT_VALUE_MODES;
  const ext = t.schema !== 'pg_catalog';
  if (ext) {
    if (t.name === 'citext') return m(prim('string'), 'string', 'citext', null);
    if (t.name === 'hstore') {
      if (modes.hstore === 'map') return m({ type: 'map', items: prim('string') }, 'hstore-map', 'hstore', null);
      return m(JSON_T, 'hstore', 'hstore', null);
    }
    if (t.name === 'ltree') return m(named('string', 'io.debezium.data.Ltree'), 'string', 'ltree', null);
    if (t.name === 'isbn' || t.name === 'isbn13') return m(prim('string'), 'string', t.name, null);
    return { unsupported: `${t.schema}.${t.name} (extension type)` };
  }
  switch (t.name) {
    case 'int2': return m(prim('int16'), 'int', 'smallint', 2);
    case 'int4': return m(prim('int32'), 'int', 'integer', 4);
    case 'int8': return m(prim('int64'), 'int64', 'bigint', 8);
    case 'oid': return m(prim('int64'), 'int64', 'oid', 4);
    case 'float4': return m(prim('float32'), 'float32', 'real', 4);
    case 'float8': return m(prim('float64'), 'float64', 'double precision', 8);
    case 'bool': return m(prim('boolean'), 'bool', 'boolean', 1);
    case 'numeric': {
      const n = numericTypmod(mod);
      const src = n === null ? 'numeric' : `numeric(${n.precision},${n.scale})`;
      const maxBytes = n === null ? null : 8 + 2 * (Math.ceil(n.precision / 4) + 2);
      // decimal.handling.mode double / string: Debezium's float64 / string schemas (NaN and ±Infinity carried)
      if (modes.decimal === 'double') return m(prim('float64'), 'float64', src, maxBytes);
      if (modes.decimal === 'string') return m(prim('string'), 'string', src, maxBytes);
      if (n === null) return m(VSD, 'vsd', src, null);
      if (n.scale < 0) return m(VSD, 'vsd', src, maxBytes);
      return m({ type: 'bytes', logical: DECIMAL, version: 1, params: { scale: String(n.scale), 'connect.decimal.precision': String(n.precision) } }, 'decimal', src, maxBytes, n.scale);
    }
    case 'money':
      if (modes.decimal === 'double') return m(prim('float64'), 'money-double', 'money', 8);
      if (modes.decimal === 'string') return m(prim('string'), 'money-string', 'money', 8);
      return m(MONEY, 'money', 'money', 8);
    case 'bytea':
      if (modes.binary !== undefined && modes.binary !== 'bytes') return { ...m(prim('string'), 'bytes-text', 'bytea', null), binary: modes.binary };
      return m(prim('bytes'), 'bytes', 'bytea', null);
    case 'date': return m(modes.time === 'connect' ? CONNECT_DATE : DATE, 'date', 'date', 4);
    case 'time': {
      const p = timePrecision(mod);
      const src = mod < 0 ? 'time without time zone' : `time(${p}) without time zone`;
      // connect: Kafka Connect Time (ms); adaptive_time_microseconds: MicroTime whatever the precision
      if (modes.time === 'connect') return m(CONNECT_TIME, 'time-ms', src, 8);
      const ms = p <= 3 && modes.time !== 'adaptive_time_microseconds';
      return m(ms ? TIME_MS : MICRO_TIME, ms ? 'time-ms' : 'time-us', src, 8);
    }
    case 'timetz': return m(ZONED_TIME, 'timetz', mod < 0 ? 'time with time zone' : `time(${mod}) with time zone`, 12);
    case 'timestamp': {
      const p = timePrecision(mod);
      const src = mod < 0 ? 'timestamp without time zone' : `timestamp(${p}) without time zone`;
      if (modes.time === 'connect') return m(CONNECT_TIMESTAMP, 'timestamp-ms', src, 8);
      return m(p <= 3 ? TIMESTAMP_MS : MICRO_TIMESTAMP, p <= 3 ? 'timestamp-ms' : 'timestamp-us', src, 8);
    }
    case 'timestamptz': return m(ZONED_TIMESTAMP, 'timestamptz', mod < 0 ? 'timestamp with time zone' : `timestamp(${mod}) with time zone`, 8, timePrecision(mod));
    case 'interval':
      if (modes.interval === 'string') return m(named('string', 'io.debezium.time.Interval'), 'interval-string', 'interval', 16);
      return m(MICRO_DURATION, 'interval', 'interval', 16);
    case 'uuid': return m(UUID, 'string', 'uuid', 16);
    case 'json': return m(JSON_T, 'string', 'json', null);
    case 'jsonb': return m(JSON_T, 'string', 'jsonb', null);
    case 'xml': return m(XML, 'string', 'xml', null);
    case 'tsvector': return m(named('string', 'io.debezium.data.TsVector'), 'string', 'tsvector', null);
    case 'bit':
    case 'varbit': {
      const len = mod < 0 ? (t.name === 'bit' ? 1 : 2147483647) : mod;
      const src = t.name === 'bit' ? `bit(${len})` : mod < 0 ? 'bit varying' : `bit varying(${len})`;
      const maxBytes = mod < 0 && t.name === 'varbit' ? null : 8 + Math.ceil(len / 8);
      if (t.name === 'varbit' && modes.bitVarying === 'string') {
        return m({ type: 'string', logical: BIT_STRING, version: 1, ...(mod < 0 ? {} : { params: { length: String(len) } }) }, 'bit-string', src, maxBytes);
      }
      if (len <= 1) return m(prim('boolean'), 'bit', src, maxBytes);
      return m({ type: 'bytes', logical: 'io.debezium.data.Bits', version: 1, params: { length: String(len) } }, 'bits', src, maxBytes);
    }
    case 'point': return m(POINT, 'point', 'point', 16);
    case 'box': return m(GEOMETRY, 'box', 'box', 32);
    case 'lseg': return m(GEOMETRY, 'lseg', 'lseg', 32);
    case 'path': return m(GEOMETRY, 'path', 'path', null);
    case 'polygon': return m(GEOMETRY, 'polygon', 'polygon', null);
    default: {
      const s = BUILTIN_STRINGS[t.name];
      if (s === undefined) return { unsupported: t.name };
      const bounded = (t.name === 'varchar' || t.name === 'bpchar') && mod >= 4;
      const src = bounded ? `${s}(${mod - 4})` : t.name === 'bpchar' ? 'bpchar' : s;
      const maxBytes = bounded ? 4 + (mod - 4) * MAX_CHAR_BYTES
        : t.name === 'name' ? 64 : t.name === 'char' ? 1
          : t.name === 'inet' || t.name === 'cidr' ? 24 : t.name === 'macaddr' ? 6 : t.name === 'macaddr8' ? 8 : null;
      return m(prim('string'), 'string', src, maxBytes);
    }
  }
}
