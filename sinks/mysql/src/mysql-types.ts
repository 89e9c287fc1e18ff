/**
 * Debezium column types → MySQL/MariaDB column types, and which type changes the target can take in place
 * (docs/sinks/mysql.md#type-map). Types are spelled as information_schema.COLUMNS.COLUMN_TYPE prints them, after
 * `normalizeType` (lower case; no integer display widths except tinyint(1); MariaDB's JSON is longtext), so a created
 * column reads back as it was asked for and type changes compare as strings.
 */
import type { SinkColumn, SinkFieldType, SinkTable } from '../../../core/src/record-sink.ts';
import { decimalOf } from '../../../runtime/src/sink-worker/avro-table.ts';

/** What the sink learned about the server at connect time. */
export interface ServerInfo {
  readonly mariadb: boolean;
  /** [major, minor, patch] */
  readonly version: readonly [number, number, number];
}

export interface MySqlColumn {
  readonly name: string;
  /** As normalizeType spells it, e.g. 'decimal(12,2)', 'datetime(6)', "enum('a','b')". */
  readonly type: string;
  readonly nullable: boolean;
}

/** MySQL's DECIMAL limits. */
export const MAX_DECIMAL_PRECISION = 65;
export const MAX_DECIMAL_SCALE = 30;
/** The longest VARCHAR the sink creates (in characters; utf8mb4 rows are at most 65,535 bytes). */
export const MAX_VARCHAR = 16_383;
/** InnoDB's longest index key (DYNAMIC row format), in bytes: the budget of a primary key's text and binary columns. */
export const MAX_KEY_BYTES = 3072;

const atLeast = (s: ServerInfo, major: number, minor: number, patch: number): boolean => {
  const [a, b, c] = s.version;
  return a !== major ? a > major : b !== minor ? b > minor : c >= patch;
};

/** MariaDB ≥ 10.7 has a native UUID type. */
export function hasUuidType(s: ServerInfo): boolean {
  return s.mariadb && atLeast(s, 10, 7, 0);
}

/** The collation of text columns the sink creates: binary and NO PAD, so distinct source strings stay distinct keys. */
export function textCollation(s: ServerInfo): string {
  if (s.mariadb) return 'utf8mb4_nopad_bin';
  return atLeast(s, 8, 0, 17) ? 'utf8mb4_0900_bin' : 'utf8mb4_bin';
}

/** MySQL ≥ 8.0.19 takes `INSERT … AS new ON DUPLICATE KEY UPDATE c = new.c` (VALUES() is deprecated there). */
export function upsertAlias(s: ServerInfo): boolean {
  return !s.mariadb && atLeast(s, 8, 0, 19);
}

/** Parses `SELECT VERSION()`: '10.11.19-MariaDB-0+deb12u1-log', '8.0.36'. */
export function serverInfo(version: string): ServerInfo {
  const m = /^(\d+)\.(\d+)\.(\d+)/.exec(version);
  return { mariadb: /mariadb/i.test(version), version: m ? [Number(m[1]), Number(m[2]), Number(m[3])] : [0, 0, 0] };
}

const SOURCE_TYPE = '__debezium.source.column.type';
const SOURCE_LENGTH = '__debezium.source.column.length';

/** The source column's declared length (column.propagate.source.type), when the events carry it. */
function sourceLength(t: SinkFieldType): number | null {
  const n = Number(t.params?.[SOURCE_LENGTH]);
  return Number.isInteger(n) && n > 0 ? n : null;
}

/** An integer type with the source's unsignedness, when the events carry the source type. */
function intType(t: SinkFieldType, fallback: string): string {
  const src = (t.params?.[SOURCE_TYPE] ?? '').toUpperCase();
  const m = /^(TINYINT|SMALLINT|MEDIUMINT|INT|INTEGER|BIGINT)\b.*\bUNSIGNED\b/.exec(src);
  if (!m) return fallback;
  return `${m[1] === 'INTEGER' ? 'int' : m[1]!.toLowerCase()} unsigned`;
}

/** Quotes one ENUM/SET member as COLUMN_TYPE prints it. */
function member(s: string): string {
  return `'${s.replace(/\\/g, '\\\\').replace(/'/g, "''")}'`;
}

/** How many key bytes a fixed-size key column takes (for the text/binary key budget). */
function fixedKeyBytes(type: string): number {
  const m = /^decimal\((\d+)/.exec(type);
  if (m) return Math.ceil(Number(m[1]) / 2) + 1;
  if (type.startsWith('char(')) return 36;
  return 16;
}

export interface TypeOptions {
  readonly server: ServerInfo;
  /** For a primary-key column of text or binary type: the most characters (or bytes) it may take. */
  readonly keyLength?: number;
}

/** The MySQL type of a Debezium column type (normalizeType spelling). */
export function mysqlType(t: SinkFieldType, o: TypeOptions): string {
  switch (t.logical) {
    case 'org.apache.kafka.connect.data.Decimal': {
      if (/^BIGINT\b.*\bUNSIGNED\b/i.test(t.params?.[SOURCE_TYPE] ?? '')) return 'bigint unsigned';
      const { scale, precision } = decimalOf(t);
      if (scale < 0 || scale > MAX_DECIMAL_SCALE) return `decimal(${MAX_DECIMAL_PRECISION},${MAX_DECIMAL_SCALE})`;
      if (precision === null || precision < 1 || precision > MAX_DECIMAL_PRECISION || scale > precision) {
        return `decimal(${MAX_DECIMAL_PRECISION},${precision === null || precision > MAX_DECIMAL_PRECISION ? MAX_DECIMAL_SCALE : scale})`;
      }
      return `decimal(${precision},${scale})`;
    }
    case 'io.debezium.data.VariableScaleDecimal': return `decimal(${MAX_DECIMAL_PRECISION},${MAX_DECIMAL_SCALE})`;
    case 'io.debezium.time.Date':
    case 'org.apache.kafka.connect.data.Date': return 'date';
    case 'io.debezium.time.Time':
    case 'org.apache.kafka.connect.data.Time': return 'time(3)';
    case 'io.debezium.time.MicroTime':
    case 'io.debezium.time.NanoTime': return 'time(6)';
    case 'io.debezium.time.Timestamp':
    case 'org.apache.kafka.connect.data.Timestamp': return 'datetime(3)';
    case 'io.debezium.time.MicroTimestamp':
    case 'io.debezium.time.NanoTimestamp':
    case 'io.debezium.time.ZonedTimestamp': return 'datetime(6)';
    case 'io.debezium.time.ZonedTime': return 'varchar(32)';
    case 'io.debezium.time.MicroDuration':
    case 'io.debezium.time.NanoDuration':
    case 'io.debezium.time.Interval': return 'varchar(64)';
    case 'io.debezium.time.Year': return 'year';
    case 'io.debezium.data.Json': return o.keyLength !== undefined ? `varchar(${o.keyLength})` : 'json';
    case 'io.debezium.data.Uuid': return hasUuidType(o.server) ? 'uuid' : 'char(36)';
    case 'io.debezium.data.Enum':
    case 'io.debezium.data.EnumSet': {
      const allowed = t.params?.allowed;
      if (allowed === undefined || allowed === '') return o.keyLength !== undefined ? `varchar(${o.keyLength})` : 'longtext';
      const kind = t.logical === 'io.debezium.data.Enum' ? 'enum' : 'set';
      return `${kind}(${allowed.split(',').map(member).join(',')})`;
    }
    case 'io.debezium.data.Bits':
    case 'io.ferry.data.BitString': {
      const n = Number(t.params?.length ?? 0);
      if (n >= 1 && n <= 64) return `bit(${n})`;
      return n > 64 && n <= MAX_VARCHAR ? `varchar(${n})` : 'longtext';
    }
    case 'io.debezium.data.geometry.Geometry':
    case 'io.debezium.data.geometry.Geography': return 'geometry';
    case 'io.debezium.data.geometry.Point': return 'point';
  }
  switch (t.connect) {
    case 'int8': return intType(t, 'tinyint');
    case 'int16': return intType(t, 'smallint');
    case 'int32': return intType(t, 'int');
    case 'int64': return intType(t, 'bigint');
    case 'float32': return 'float';
    case 'float64': return 'double';
    case 'boolean': return 'tinyint(1)';
    case 'bytes': {
      const n = sourceLength(t);
      if (o.keyLength !== undefined) return `varbinary(${Math.min(n ?? o.keyLength, o.keyLength)})`;
      return n !== null && n <= 65_532 && /BINARY/i.test(t.params?.[SOURCE_TYPE] ?? '') ? `varbinary(${n})` : 'longblob';
    }
    case 'array':
    case 'map':
    case 'struct': return 'json';
    default: {
      const n = sourceLength(t);
      if (o.keyLength !== undefined) return `varchar(${Math.min(n ?? o.keyLength, o.keyLength)})`;
      return n !== null && n <= MAX_VARCHAR && /CHAR/i.test(t.params?.[SOURCE_TYPE] ?? '') ? `varchar(${n})` : 'longtext';
    }
  }
}

/** Whether a column type is text or binary of variable length (a key column of it gets a bounded VARCHAR/VARBINARY). */
function isUnboundedForKey(type: string): boolean {
  return /^(longtext|longblob|json|text|blob|mediumtext|mediumblob|varchar|varbinary)\b/.test(type);
}

/** The target columns of a table version; text and binary key columns share InnoDB's key budget (MAX_KEY_BYTES). */
export function mysqlColumns(table: SinkTable, server: ServerInfo): MySqlColumn[] {
  const pk = new Set(table.primaryKey);
  const plain = new Map(table.columns.map((c) => [c.name, mysqlType(c.type, { server })]));
  const variable = table.columns.filter((c) => pk.has(c.name) && isUnboundedForKey(plain.get(c.name)!));
  let budget = MAX_KEY_BYTES;
  for (const c of table.columns) if (pk.has(c.name) && !variable.includes(c)) budget -= fixedKeyBytes(plain.get(c.name)!);
  const per = variable.length > 0 ? Math.max(1, Math.floor(budget / variable.length)) : 0;
  return table.columns.map((c: SinkColumn) => {
    let type = plain.get(c.name)!;
    if (variable.includes(c)) type = mysqlType(c.type, { server, keyLength: c.type.connect === 'bytes' ? per : Math.floor(per / 4) });
    return { name: c.name, type, nullable: c.optional && !pk.has(c.name) };
  });
}

// ---------------------------------------------------------------- type spelling and changes

/** COLUMN_TYPE as the sink compares it: lower case, integer display widths dropped (but tinyint(1)), json ≡ longtext on MariaDB. */
export function normalizeType(columnType: string, server: ServerInfo): string {
  let t = columnType.trim().replace(/\s+/g, ' ');
  if (!/^(enum|set)\(/i.test(t)) t = t.toLowerCase();
  else t = t.replace(/^(enum|set)/i, (x) => x.toLowerCase());
  t = t.replace(/^(tinyint|smallint|mediumint|int|integer|bigint)\((\d+)\)/, (_m, base: string, w: string) => (base === 'tinyint' && w === '1' ? 'tinyint(1)' : base === 'integer' ? 'int' : base));
  t = t.replace(/^integer\b/, 'int').replace(/ zerofill$/, '');
  if (t === 'year(4)') t = 'year';
  if (t === 'boolean' || t === 'bool') t = 'tinyint(1)';
  if (server.mariadb && t === 'json') t = 'longtext';
  return t;
}

interface Parsed {
  readonly base: string;
  readonly args: readonly string[];
  readonly unsigned: boolean;
}

export function parseType(t: string): Parsed {
  const m = /^([a-z]+)(?:\((.*)\))?( unsigned)?$/.exec(t);
  if (!m) return { base: t, args: [], unsigned: false };
  const args = m[2] === undefined ? [] : /^(enum|set)$/.test(m[1]!) ? enumMembers(m[2]) : m[2].split(',').map((x) => x.trim());
  return { base: m[1]!, args, unsigned: m[3] !== undefined };
}

/** The members of an ENUM/SET argument list ('a','it''s'). */
export function enumMembers(args: string): string[] {
  const out: string[] = [];
  const re = /'((?:[^'\\]|''|\\.)*)'/g;
  for (let m = re.exec(args); m; m = re.exec(args)) out.push(m[1]!.replace(/''/g, "'").replace(/\\(.)/g, '$1'));
  return out;
}

const INT_RANK: Readonly<Record<string, number>> = { tinyint: 1, smallint: 2, mediumint: 3, int: 4, bigint: 5 };
const INT_DIGITS: Readonly<Record<string, number>> = { tinyint: 3, smallint: 5, mediumint: 8, int: 10, bigint: 20 };
const TEXT_RANK: Readonly<Record<string, number>> = { tinytext: 1, text: 2, mediumtext: 3, longtext: 4 };
const BLOB_RANK: Readonly<Record<string, number>> = { tinyblob: 1, blob: 2, mediumblob: 3, longblob: 4 };

/** Whether every value of type `b` fits type `a` unchanged (both normalizeType spellings). */
export function holds(a: string, b: string): boolean {
  if (a === b) return true;
  const A = parseType(a);
  const B = parseType(b);
  const num = (x: Parsed, i: number): number => Number(x.args[i] ?? 0);
  if (a === 'tinyint(1)' || b === 'tinyint(1)') return b === 'tinyint(1)' && A.base in INT_RANK;
  if (A.base in INT_RANK && B.base in INT_RANK) {
    if (A.unsigned === B.unsigned) return INT_RANK[A.base]! >= INT_RANK[B.base]!;
    return !A.unsigned && INT_RANK[A.base]! > INT_RANK[B.base]!;
  }
  if (A.base === 'decimal' && B.base in INT_RANK) return num(A, 0) - num(A, 1) >= INT_DIGITS[B.base]!;
  if (A.base === 'decimal' && B.base === 'decimal') return num(A, 1) >= num(B, 1) && num(A, 0) - num(A, 1) >= num(B, 0) - num(B, 1);
  if (A.base === 'double' && (B.base === 'float' || (B.base in INT_RANK && INT_RANK[B.base]! <= 4))) return true;
  if (A.base === B.base && ['varchar', 'char', 'varbinary', 'binary', 'bit', 'datetime', 'time', 'timestamp'].includes(A.base)) return num(A, 0) >= num(B, 0);
  if (A.base === 'varchar' && B.base === 'char') return num(A, 0) >= num(B, 0);
  if (A.base in TEXT_RANK && (B.base === 'varchar' || B.base === 'char' || B.base === 'enum' || B.base === 'set')) return A.base === 'longtext' || A.base === 'mediumtext';
  if (A.base in TEXT_RANK && B.base in TEXT_RANK) return TEXT_RANK[A.base]! >= TEXT_RANK[B.base]!;
  if (A.base in BLOB_RANK && (B.base === 'varbinary' || B.base === 'binary')) return A.base === 'longblob' || A.base === 'mediumblob';
  if (A.base in BLOB_RANK && B.base in BLOB_RANK) return BLOB_RANK[A.base]! >= BLOB_RANK[B.base]!;
  if ((A.base === 'enum' || A.base === 'set') && A.base === B.base) return B.args.every((x) => A.args.includes(x));
  if (A.base === 'varchar' && (B.base === 'enum' || B.base === 'set')) return num(A, 0) >= B.args.join(',').length;
  if (A.base === 'geometry' && ['point', 'linestring', 'polygon', 'multipoint', 'multilinestring', 'multipolygon', 'geometrycollection'].includes(B.base)) return true;
  return false;
}

/**
 * How a target column of type `have` relates to the type `want` of a newer source version:
 *   'same'          nothing to do (or `have` already holds every value of `want`)
 *   'widen'         MODIFY COLUMN to `want` keeps every stored value and holds the new ones
 *   'incompatible'  the target cannot take the change in place
 */
export function typeChange(have: string, want: string): 'same' | 'widen' | 'incompatible' {
  if (have === want || holds(have, want)) return 'same';
  if (holds(want, have)) return 'widen';
  return 'incompatible';
}

/** Whether a column of this type is declared with the sink's character set and collation. */
export function isTextType(type: string): boolean {
  return /^(varchar|char|tinytext|text|mediumtext|longtext|enum|set)\b/.test(type);
}
