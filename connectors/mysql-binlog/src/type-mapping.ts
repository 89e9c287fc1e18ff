/**
 * MySQL/MariaDB column types → Debezium field types, as Debezium's MySQL and MariaDB connectors build them with
 * their defaults plus the modes Ferry fixes:
 *   time.precision.mode=adaptive_time_microseconds, decimal.handling.mode=precise,
 *   bigint.unsigned.handling.mode=precise, binary.handling.mode=bytes
 * (debezium/debezium: BinlogValueConverters#schemaBuilder, JdbcValueConverters#schemaBuilder,
 * MariaDbValueConverters). The table is in docs/sources/mysql.md.
 *
 * Every column is described by its canonical information_schema COLUMN_TYPE text ('decimal(10,2) unsigned',
 * "enum('a','b')", 'datetime(6)'); the DDL parser normalises DDL type spellings to that same text, so one
 * mapping serves snapshots, the binlog and schema changes.
 */
import type { FieldType } from '../../../core/src/types.ts';

/** How a value of the column is converted from the drivers' representation (see value-conversion.ts). */
export type ValueKind =
  | 'int' // number in, number out (TINYINT..INT UNSIGNED)
  | 'int64' // BIGINT: number/string in, number or bigint out
  | 'float32'
  | 'float64'
  | 'decimal' // DECIMAL and BIGINT UNSIGNED: decimal string in, unscaled two's complement Buffer out
  | 'bit1' // BIT(1): Buffer in, boolean out
  | 'bits' // BIT(n>1): big-endian Buffer in, little-endian Buffer out
  | 'string'
  | 'bytes'
  | 'date' // io.debezium.time.Date
  | 'datetime-ms' // io.debezium.time.Timestamp
  | 'datetime-us' // io.debezium.time.MicroTimestamp
  | 'timestamp' // io.debezium.time.ZonedTimestamp
  | 'time' // io.debezium.time.MicroTime
  | 'year'
  | 'enum'
  | 'set'
  | 'json'
  | 'geometry' // io.debezium.data.geometry.Geometry {wkb, srid}
  | 'point'; // io.debezium.data.geometry.Point {x, y, wkb, srid}

/** A column as Ferry keeps it: what information_schema says, in a form the DDL parser can also produce. */
export interface MySqlColumnDef {
  readonly name: string;
  /** Canonical COLUMN_TYPE text, lower case: 'int(10) unsigned', "enum('a','b')", 'datetime(6)'. */
  readonly columnType: string;
  readonly nullable: boolean;
  /** CHARACTER_SET_NAME of text columns (utf8mb4, latin1, ...); null for every other column. */
  readonly charset: string | null;
  /** MariaDB JSON: a LONGTEXT with a json_valid() check; MySQL JSON columns say so in columnType. */
  readonly json?: boolean;
  /** The column default as the server prints it, unquoted ('abc', '5', '2020-01-01 00:00:00'); absent = none. */
  readonly defaultText?: string;
  /**
   * Earlier names from RENAME COLUMN / CHANGE COLUMN, most recent first. Kept in the schema history, so a restart
   * between the DDL and the first event that needs it still tells the sinks (TableSchema Column.renamedFrom).
   */
  readonly renamedFrom?: readonly string[];
}

/** A table as Ferry keeps it; its TableSchema (runtime) is derived from this (mysql-schema.ts). */
export interface MySqlTableDef {
  readonly schema: string;
  readonly table: string;
  readonly columns: readonly MySqlColumnDef[];
  readonly primaryKey: readonly string[];
  /** The table's default character set, for columns a later ADD COLUMN creates without one. */
  readonly charset: string | null;
}

export interface ParsedType {
  /** The type name, lower case: 'int', 'varchar', 'decimal', 'enum', ... */
  readonly base: string;
  /** The arguments in parentheses: numbers as written, ENUM/SET values unquoted. */
  readonly args: readonly string[];
  readonly unsigned: boolean;
  readonly zerofill: boolean;
}

export interface ColumnMapping {
  readonly fieldType: FieldType;
  readonly kind: ValueKind;
  /** decimal: the scale. */
  readonly scale: number;
  /** bits: bytes of the value; datetime/time/timestamp: fractional-second digits. */
  readonly size: number;
}

/** Parses information_schema COLUMN_TYPE text (and what the DDL parser produces). */
export function parseColumnType(columnType: string): ParsedType {
  const text = columnType.replace(/\/\*.*?\*\//g, '').trim();
  let i = 0;
  while (i < text.length && /[A-Za-z0-9_]/.test(text[i]!)) i++;
  const base = text.slice(0, i).toLowerCase();
  const args: string[] = [];
  while (i < text.length && text[i] === ' ') i++;
  if (text[i] === '(') {
    i++;
    let cur = '';
    let quoted = false;
    for (; i < text.length; i++) {
      const c = text[i]!;
      if (quoted) {
        if (c === '\'' && text[i + 1] === '\'') { cur += '\''; i++; }
        else if (c === '\\' && i + 1 < text.length) { cur += unescapeChar(text[i + 1]!); i++; }
        else if (c === '\'') quoted = false;
        else cur += c;
      } else if (c === '\'') quoted = true;
      else if (c === ',') { args.push(cur.trim()); cur = ''; }
      else if (c === ')') { args.push(quotedArgs(base) ? cur : cur.trim()); i++; break; }
      else if (c !== ' ' || !quotedArgs(base)) cur += c;
    }
  }
  const rest = text.slice(i).toLowerCase();
  return { base, args, unsigned: /\bunsigned\b/.test(rest), zerofill: /\bzerofill\b/.test(rest) };
}

function quotedArgs(base: string): boolean {
  return base === 'enum' || base === 'set';
}

function unescapeChar(c: string): string {
  switch (c) {
    case 'n': return '\n';
    case 't': return '\t';
    case 'r': return '\r';
    case '0': return '\0';
    case 'Z': return '\x1a';
    default: return c;
  }
}

/** Canonical COLUMN_TYPE text for a parsed type (quotes ENUM/SET values the way information_schema does). */
export function formatColumnType(t: ParsedType): string {
  let s = t.base;
  if (t.args.length > 0) {
    s += quotedArgs(t.base) ? `(${t.args.map((a) => `'${a.replace(/'/g, '\'\'')}'`).join(',')})` : `(${t.args.join(',')})`;
  }
  if (t.unsigned) s += ' unsigned';
  if (t.zerofill) s += ' zerofill';
  return s;
}

const TEXT_TYPES = new Set(['char', 'varchar', 'tinytext', 'text', 'mediumtext', 'longtext']);
const BINARY_TYPES = new Set(['binary', 'varbinary', 'tinyblob', 'blob', 'mediumblob', 'longblob']);
const GEOMETRY_TYPES = new Set(['geometry', 'linestring', 'polygon', 'multipoint', 'multilinestring', 'multipolygon', 'geometrycollection', 'geomcollection']);

const DATE: FieldType = { type: 'int32', logical: 'io.debezium.time.Date', version: 1 };
const TIMESTAMP_MS: FieldType = { type: 'int64', logical: 'io.debezium.time.Timestamp', version: 1 };
const TIMESTAMP_US: FieldType = { type: 'int64', logical: 'io.debezium.time.MicroTimestamp', version: 1 };
const ZONED_TIMESTAMP: FieldType = { type: 'string', logical: 'io.debezium.time.ZonedTimestamp', version: 1 };
const MICRO_TIME: FieldType = { type: 'int64', logical: 'io.debezium.time.MicroTime', version: 1 };
const YEAR: FieldType = { type: 'int32', logical: 'io.debezium.time.Year', version: 1 };
const JSON_TYPE: FieldType = { type: 'string', logical: 'io.debezium.data.Json', version: 1 };
const UUID: FieldType = { type: 'string', logical: 'io.debezium.data.Uuid', version: 1 };
const GEOMETRY: FieldType = { type: 'bytes', logical: 'io.debezium.data.geometry.Geometry' };
const POINT: FieldType = { type: 'bytes', logical: 'io.debezium.data.geometry.Point' };
const BIGINT_UNSIGNED: FieldType = { type: 'bytes', logical: 'org.apache.kafka.connect.data.Decimal', version: 1, params: { scale: '0', 'connect.decimal.precision': '20' } };

const m = (fieldType: FieldType, kind: ValueKind, scale = 0, size = 0): ColumnMapping => ({ fieldType, kind, scale, size });
const prim = (type: FieldType['type']): FieldType => ({ type });

/**
 * The Debezium field type of a column. Throws for a type Ferry does not know, naming it; the caller decides
 * whether that stops the task.
 */
export function mapColumn(col: Pick<MySqlColumnDef, 'columnType' | 'json'>): ColumnMapping {
  const t = parseColumnType(col.columnType);
  const n = (i: number, dflt: number) => (t.args[i] !== undefined && t.args[i] !== '' ? Number(t.args[i]) : dflt);
  if (col.json || t.base === 'json') return m(JSON_TYPE, 'json');
  switch (t.base) {
    case 'tinyint':
      // TINYINT(1) too: Debezium reads TINYINT as SMALLINT (BinlogFieldReader), so BOOLEAN columns are int16.
      return m(prim('int16'), 'int');
    case 'smallint':
      return m(prim(t.unsigned ? 'int32' : 'int16'), 'int');
    case 'mediumint':
      return m(prim('int32'), 'int');
    case 'int':
    case 'integer':
      return m(prim(t.unsigned ? 'int64' : 'int32'), 'int');
    case 'bigint':
      return t.unsigned ? m(BIGINT_UNSIGNED, 'decimal', 0) : m(prim('int64'), 'int64');
    case 'decimal':
    case 'numeric': {
      const precision = n(0, 10);
      const scale = n(1, 0);
      return m({ type: 'bytes', logical: 'org.apache.kafka.connect.data.Decimal', version: 1, params: { scale: String(scale), 'connect.decimal.precision': String(precision) } }, 'decimal', scale);
    }
    case 'float':
      // FLOAT and FLOAT(p<=24) are single precision; FLOAT(M,D) is read as a double (BinlogValueConverters).
      return t.args.length >= 2 || n(0, 0) > 24 ? m(prim('float64'), 'float64') : m(prim('float32'), 'float32');
    case 'double':
    case 'real':
      return m(prim('float64'), 'float64');
    case 'bit': {
      const bits = n(0, 1);
      if (bits <= 1) return m(prim('boolean'), 'bit1');
      return m({ type: 'bytes', logical: 'io.debezium.data.Bits', version: 1, params: { length: String(bits) } }, 'bits', 0, Math.ceil(bits / 8));
    }
    case 'date':
      return m(DATE, 'date');
    case 'datetime': {
      const fsp = n(0, 0);
      return fsp <= 3 ? m(TIMESTAMP_MS, 'datetime-ms', 0, fsp) : m(TIMESTAMP_US, 'datetime-us', 0, fsp);
    }
    case 'timestamp':
      return m(ZONED_TIMESTAMP, 'timestamp', 0, n(0, 0));
    case 'time':
      return m(MICRO_TIME, 'time', 0, n(0, 0));
    case 'year':
      return m(YEAR, 'year');
    case 'enum':
      return m({ type: 'string', logical: 'io.debezium.data.Enum', version: 1, params: { allowed: t.args.join(',') } }, 'enum');
    case 'set':
      return m({ type: 'string', logical: 'io.debezium.data.EnumSet', version: 1, params: { allowed: t.args.join(',') } }, 'set');
    case 'uuid':
      return m(UUID, 'string');
    case 'inet4':
    case 'inet6':
      return m(prim('string'), 'string');
    case 'point':
      return m(POINT, 'point');
    default:
      if (TEXT_TYPES.has(t.base)) return m(prim('string'), 'string');
      if (BINARY_TYPES.has(t.base) || t.base === 'vector') return m(prim('bytes'), 'bytes');
      if (GEOMETRY_TYPES.has(t.base)) return m(GEOMETRY, 'geometry');
      throw new Error(`unsupported column type "${col.columnType}"`);
  }
}

/** Whether the column holds character data (decoded with its charset in the binlog). */
export function isTextType(columnType: string): boolean {
  const base = parseColumnType(columnType).base;
  return TEXT_TYPES.has(base) || base === 'enum' || base === 'set' || base === 'json';
}

/** Whether values must be selected through an expression in snapshots (see snapshot-reader.ts). */
export function snapshotSelectExpr(col: MySqlColumnDef, quoted: string): string {
  const base = parseColumnType(col.columnType).base;
  if (base === 'point' || GEOMETRY_TYPES.has(base)) return `CAST(${quoted} AS BINARY)`; // SRID + WKB, not mysql2's parsed object
  if (base === 'float' || base === 'double' || base === 'real') return approximateNumberText(quoted);
  return quoted;
}

/**
 * FLOAT and DOUBLE as text with every digit of the stored value, parsed exactly by the converter
 * (value-conversion.ts), so the snapshot carries the binlog's value:
 *  - mysql2 parses a DOUBLE field of the text protocol as digits / 10^k, which can be an ulp off when the digits
 *    exceed 2^53 (975.0656480900943 → …944; ~1% of random doubles); a string is parsed by Number(), exactly;
 *  - `* 1E0` widens a FLOAT to its exact double, and drops the fixed decimals of FLOAT(M,D) and DOUBLE(M,D), which
 *    the server would print rounded (a DOUBLE(24,6) holds -1.3662640000000001, printed -1.366264); x * 1 is exact;
 *  - the server prints negative zero as 0, the binlog carries -0 (a FLOAT underflow stores it): the sign is tested.
 */
function approximateNumberText(q: string): string {
  return `IF(${q} = 0 AND ATAN2(${q}, -1) < 0, '-0', CAST(${q} * 1E0 AS CHAR))`;
}
