/**
 * PostgreSQL → MySQL/MariaDB: column types, defaults and check expressions (the table in docs/schema-conversion.md).
 * Text columns use the binary collation utf8mb4_bin, so comparisons and unique keys stay case- and
 * accent-sensitive as in PostgreSQL.
 */
import type { CatalogColumn, CatalogType } from '../../../core/src/catalog.ts';
import type { DefaultConversion, TypeConversion } from './mysql-to-pg.ts';
import { literal, quoteMy, type Dialect } from './quoting.ts';

const auto = (type: string): TypeConversion => ({ type, outcome: 'auto' });
const warn = (type: string, reason: string, fix: string): TypeConversion => ({ type, outcome: 'warning', reason, fix });
const manual = (type: string, reason: string, fix: string): TypeConversion => ({ type, outcome: 'manual', reason, fix });

/** The longest VARCHAR that fits a utf8mb4 row (65,535 bytes / 4). Longer ones become LONGTEXT. */
export const MAX_VARCHAR = 16383;

export function pgTypeToMySql(t: CatalogType, sourceType: string, dialect: Dialect): TypeConversion {
  if ((t.arrayDims ?? 0) > 0) return warn('json', `array ${sourceType} becomes a JSON array`, 'none needed if the application reads it as JSON; otherwise normalise it into a child table');
  if (t.userDefined === 'enum') {
    return auto(`enum(${(t.values ?? []).map((v) => literal(dialect, v)).join(',')})`);
  }
  if (t.userDefined === 'domain' || t.userDefined === 'composite' || t.userDefined === 'range') {
    return manual('longtext', `${t.userDefined} type ${sourceType} has no MySQL equivalent; it is created as LONGTEXT`, 'create the column with the domain\'s base type (and its check), or split the composite into columns');
  }
  switch (t.name) {
    case 'smallint': return auto('smallint');
    case 'integer': return auto('int');
    case 'bigint': return auto('bigint');
    case 'numeric': case 'decimal':
      if (t.precision === undefined) return warn('decimal(65,30)', `${sourceType} without precision becomes DECIMAL(65,30): values with more than 35 integer or 30 fractional digits, NaN and ±Infinity do not fit`, 'declare the precision the data needs (numeric(p,s)) or add a change-data-type rule');
      if (t.precision > 65 || (t.scale ?? 0) > 30) return manual('decimal(65,30)', `${sourceType} exceeds MySQL's DECIMAL(65,30)`, 'reduce the precision, or store the value as text (change-data-type string)');
      return auto(`decimal(${t.precision},${t.scale ?? 0})`);
    case 'real': return auto('float');
    case 'double precision': return auto('double');
    case 'boolean': return auto('tinyint(1)');
    // VARCHAR, not CHAR: PostgreSQL's char(n) values arrive padded to n and MySQL CHAR strips trailing spaces when read.
    case 'character': case 'char': case 'bpchar': return auto(`varchar(${t.length ?? 1})`);
    case 'character varying': case 'varchar':
      if (t.length === undefined || t.length > MAX_VARCHAR) return auto('longtext');
      return auto(`varchar(${t.length})`);
    case 'text': return auto('longtext');
    case 'bytea': return auto('longblob');
    case 'json': case 'jsonb': return auto('json');
    case 'uuid': return auto('char(36)');
    case 'date': return auto('date');
    case 'timestamp without time zone': case 'timestamp': return auto(`datetime(${t.fsp ?? 6})`);
    case 'timestamp with time zone': case 'timestamptz':
      return auto(`datetime(${t.fsp ?? 6})`);
    case 'time without time zone': case 'time': return auto(`time(${t.fsp ?? 6})`);
    case 'time with time zone': case 'timetz': return warn(`time(${t.fsp ?? 6})`, `${sourceType} loses its UTC offset`, 'store times in UTC, or keep the offset in another column');
    case 'interval': return warn('varchar(64)', "interval has no MySQL type: it is stored as text, '[-]HHH:MM:SS.ffffff' (a month as 30.4375 days) by default, or the exact ISO 8601 text P1Y2M3DT4H5M6.78S with the source option intervalHandlingMode: string", 'store a number of seconds (bigint) if the application computes with it');
    case 'inet': case 'cidr': return auto('varchar(43)');
    case 'macaddr': return auto('varchar(17)');
    case 'macaddr8': return auto('varchar(23)');
    case 'money': return warn('decimal(19,2)', 'money becomes DECIMAL(19,2): the currency symbol and lc_monetary formatting are gone', 'none needed for amounts in one currency');
    case 'bit': return (t.length ?? 1) <= 64 ? auto(`bit(${t.length ?? 1})`) : manual('longblob', `${sourceType} is longer than MySQL's BIT(64)`, 'store it as bytes or text');
    case 'bit varying': return (t.length ?? 64) <= 64 ? warn(`bit(${t.length ?? 64})`, `${sourceType} becomes fixed-length BIT(${t.length ?? 64}): shorter values are left-padded with zeros`, 'set the source option bitVaryingHandlingMode: string to keep the exact bit string (as varchar(n))') : manual('longblob', `${sourceType} is longer than MySQL's BIT(64)`, 'store it as bytes or text');
    case 'xml': return warn('longtext', 'xml becomes LONGTEXT: no XML validation or XPath indexes', 'validate XML in the application');
    case 'oid': return auto('int unsigned');
    case 'hstore': return warn('json', 'hstore becomes a JSON object of strings', 'none needed if the application reads it as JSON');
    case 'citext': return warn('longtext', 'citext becomes LONGTEXT with the binary collation: comparisons become case-sensitive', 'give the column a case-insensitive collation (utf8mb4_general_ci) if comparisons must ignore case');
    default:
      return manual('longtext', `type ${sourceType} has no MySQL mapping; it is created as LONGTEXT`, 'choose a target type and change the column (or add a change-data-type rule)');
  }
}

/** MySQL cannot index TEXT/BLOB/JSON without a prefix length. */
export function isLongType(mysqlType: string): boolean {
  return /^(longtext|mediumtext|text|tinytext|longblob|mediumblob|blob|tinyblob|json)$/i.test(mysqlType);
}

const stripCasts = (s: string): string => s.replace(/::[a-z_][a-z0-9_ ]*(\(\d+(,\d+)?\))?(\[\])*/gi, '');

/** A PostgreSQL default for a column of MySQL type `targetType`. Sequence defaults (serial) are handled as AUTO_INCREMENT by the caller. */
export function pgDefaultToMySql(col: CatalogColumn, targetType: string): DefaultConversion {
  const d = col.defaultExpression;
  if (d === undefined) return { outcome: 'auto' };
  const text = d.trim();
  const paren = isLongType(targetType);
  const lit = /^'((?:[^']|'')*)'(::[a-z0-9_ "[\]().,]+)?$/is.exec(text);
  if (lit) {
    const value = lit[1]!.replace(/''/g, "'");
    if (targetType === 'tinyint(1)' && /^(t|true|f|false)$/i.test(value)) return { expression: /^t/i.test(value) ? '1' : '0', outcome: 'auto' };
    if ((col.type.arrayDims ?? 0) > 0) {
      if (value === '{}') return { expression: "('[]')", outcome: 'auto' };
      return { outcome: 'manual', reason: `array default ${text} is not converted`, fix: 'write the JSON array default: ALTER TABLE … ALTER COLUMN … SET DEFAULT (\'[…]\')' };
    }
    if (/^(tinyint|smallint|int|bigint|decimal|float|double)\b/.test(targetType) && /^-?\d+(\.\d+)?$/.test(value)) return { expression: value, outcome: 'auto' };
    const l = literal('mysql', value);
    return { expression: paren ? `(${l})` : l, outcome: 'auto' };
  }
  if (/^(true|false)$/i.test(text)) return { expression: /^t/i.test(text) ? '1' : '0', outcome: 'auto' };
  const num = /^\(?'?(-?\d+(\.\d+)?)'?\)?$/.exec(stripCasts(text));
  if (num) return { expression: num[1]!, outcome: 'auto' };
  if (/^(now\(\)|current_timestamp|transaction_timestamp\(\)|statement_timestamp\(\)|localtimestamp|clock_timestamp\(\))$/i.test(text)) {
    if (/^(datetime|timestamp)/.test(targetType)) return { expression: `CURRENT_TIMESTAMP${/\((\d)\)/.exec(targetType) ? `(${/\((\d)\)/.exec(targetType)![1]})` : ''}`, outcome: 'auto' };
  }
  if (/^current_date$/i.test(text) && targetType === 'date') return { expression: '(CURRENT_DATE)', outcome: 'auto' };
  if (/^(gen_random_uuid|uuid_generate_v4)\(\)$/i.test(text)) {
    return { expression: '(uuid())', outcome: 'warning', reason: `${text} (version-4 UUID) became uuid() (version 1)`, fix: 'generate the UUID in the application if version 4 matters' };
  }
  return { outcome: 'manual', reason: `default expression ${text} is not converted`, fix: 'write the MySQL equivalent: ALTER TABLE … ALTER COLUMN … SET DEFAULT (…)' };
}

/**
 * A PostgreSQL CHECK expression (pg_get_constraintdef, without CHECK) in MySQL syntax, or null when it uses
 * something MySQL lacks. Casts are dropped, `x = ANY (ARRAY[…])` becomes `x IN (…)`, "names" become `names`.
 */
export function pgCheckToMySql(expression: string): string | null {
  let e = stripCasts(expression);
  e = e.replace(/=\s*ANY\s*\(\s*\(?\s*ARRAY\[([^\]]*)\]\s*\)?\s*\)/gi, (_m, list: string) => ` IN (${list})`).replace(/\s+ IN \(/g, ' IN (');
  e = e.replace(/"((?:[^"]|"")+)"/g, (_m, n: string) => quoteMy(n.replace(/""/g, '"')));
  if (/::|~|\bANY\b|\bALL\b|\bARRAY\b|\bILIKE\b|\bSIMILAR\b|\bIS DISTINCT\b|\|\||\$\d|\[/i.test(e)) return null;
  return e;
}
