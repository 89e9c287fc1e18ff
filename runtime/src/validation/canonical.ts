/**
 * Canonical text forms (docs/validation.md#canonical-forms): for each column pair a family, and for each engine the
 * SQL expression that renders a column of its own type as that family's text, so the same value gives the same text
 * on MySQL/MariaDB and PostgreSQL. The families `float` and `json` cannot be rendered equally in SQL (the engines print
 * doubles and JSON differently); their raw text is canonicalized in Node (canonicalInNode).
 */
import type { CatalogColumnType, ColumnPair, Family, ValidationEngine } from './model.ts';

const MYSQL_INT = new Set(['tinyint', 'smallint', 'mediumint', 'int', 'integer', 'bigint', 'year']);
const MYSQL_TEXT = new Set(['char', 'varchar', 'tinytext', 'text', 'mediumtext', 'longtext', 'enum', 'set']);
const MYSQL_BYTES = new Set(['binary', 'varbinary', 'tinyblob', 'blob', 'mediumblob', 'longblob']);
const PG_INT = new Set(['int2', 'int4', 'int8', 'smallint', 'integer', 'bigint', 'oid']);
const PG_TEXT = new Set(['bpchar', 'varchar', 'text', 'citext', 'xml', 'name', 'cidr', 'macaddr', 'macaddr8']);

/**
 * The family a source column is compared in, from its source engine type; or a reason it is not compared.
 * The target column is rendered in the same family from its own type (render).
 */
export function familyOf(engine: ValidationEngine, t: CatalogColumnType): Family | { readonly unsupported: string } {
  const d = t.dataType;
  if (engine === 'mysql') {
    if (t.json || d === 'json') return 'json';
    if (MYSQL_INT.has(d)) return 'int';
    if (d === 'bit') return (t.length ?? 1) === 1 ? 'int' : 'bits';
    if (d === 'decimal' || d === 'numeric') return 'decimal';
    if (d === 'float' || d === 'double' || d === 'real') return 'float';
    if (MYSQL_TEXT.has(d)) return 'text';
    if (MYSQL_BYTES.has(d)) return 'bytes';
    if (d === 'date') return 'date';
    if (d === 'datetime' || d === 'timestamp') return 'timestamp';
    if (d === 'time') return 'micros';
    if (d === 'uuid') return 'uuid';
    if (d === 'inet4' || d === 'inet6') return 'inet';
    return { unsupported: `type ${t.columnType} has no canonical form yet` };
  }
  if (t.array) return 'json';
  if (t.enumType) return 'text';
  if (PG_INT.has(d)) return 'int';
  if (d === 'bool') return 'int';
  if (d === 'numeric' || d === 'money') return 'decimal';
  if (d === 'float4' || d === 'float8') return 'float';
  if (PG_TEXT.has(d)) return 'text';
  if (d === 'bytea') return 'bytes';
  if (d === 'bit' || d === 'varbit') return 'bits';
  if (d === 'date') return 'date';
  if (d === 'timestamp' || d === 'timestamptz') return 'timestamp';
  if (d === 'time' || d === 'interval') return 'micros';
  if (d === 'uuid') return 'uuid';
  // PostgreSQL inet/cidr travel as their text form ('10.0.0.0/8'), which is what a MySQL target holds.
  if (d === 'inet') return 'text';
  if (d === 'json' || d === 'jsonb') return 'json';
  return { unsupported: `type ${t.columnType} has no canonical form yet` };
}

/**
 * Why a target column cannot be rendered in the source column's family, if it cannot: a PostgreSQL interval stored
 * as text on MySQL (ISO 8601), or a target column whose type was changed to another kind.
 */
export function pairProblem(family: Family, target: CatalogColumnType, targetEngine: ValidationEngine): string | undefined {
  const d = target.dataType;
  if (family === 'micros' && targetEngine === 'mysql' && d !== 'time') return `the target column is ${target.columnType}, not a time: an interval stored as text is not compared`;
  if (family === 'micros' && targetEngine === 'postgres' && d !== 'interval' && d !== 'time') return `the target column is ${target.columnType}, not an interval or time`;
  if ((family === 'date' || family === 'timestamp') && !/^(date|datetime|timestamp|timestamptz)$/.test(d)) return `the target column is ${target.columnType}, not a date or timestamp`;
  if (family === 'bytes' && !(targetEngine === 'postgres' ? d === 'bytea' : MYSQL_BYTES.has(d))) return `the target column is ${target.columnType}, not binary`;
  return undefined;
}

export const quoteMy = (n: string): string => `\`${n.replace(/`/g, '``')}\``;
export const quotePg = (n: string): string => `"${n.replace(/"/g, '""')}"`;

/** The SQL text expression of a column in its family's canonical form on one engine (NULL stays NULL). */
export function render(engine: ValidationEngine, pair: Pick<ColumnPair, 'family' | 'rtrim' | 'bits'>, column: string, t: CatalogColumnType): string {
  return engine === 'mysql' ? renderMySql(pair, quoteMy(column), t) : renderPg(pair, quotePg(column), t);
}

function renderMySql(p: Pick<ColumnPair, 'family' | 'rtrim' | 'bits'>, c: string, t: CatalogColumnType): string {
  const d = t.dataType;
  switch (p.family) {
    case 'int': return d === 'bit' ? `CAST(${c} + 0 AS CHAR)` : `CAST(${c} AS CHAR)`;
    case 'decimal':
      if (MYSQL_INT.has(d)) return `CAST(${c} AS CHAR)`;
      return (t.scale ?? 0) > 0 ? `TRIM(TRAILING '.' FROM TRIM(TRAILING '0' FROM CAST(${c} AS CHAR)))` : `CAST(${c} AS CHAR)`;
    case 'text': {
      // utf8mb4 columns are used as they are; others are converted so the hash reads the same UTF-8 bytes as PostgreSQL.
      const s = t.charset === 'utf8mb4' && MYSQL_TEXT.has(d) ? c : `CONVERT(${MYSQL_TEXT.has(d) ? c : `CAST(${c} AS CHAR)`} USING utf8mb4)`;
      return p.rtrim ? `TRIM(TRAILING ' ' FROM ${s})` : s;
    }
    case 'bytes': return `LOWER(HEX(${c}))`;
    case 'bits': return d === 'bit' ? `LPAD(BIN(${c}), ${p.bits ?? t.length ?? 1}, '0')` : `LPAD(CONVERT(${c} USING utf8mb4), ${p.bits ?? 1}, '0')`;
    case 'date': return `DATE_FORMAT(${c}, '%Y-%m-%d')`;
    case 'timestamp': return d === 'date' ? `DATE_FORMAT(${c}, '%Y-%m-%d 00:00:00.000000')` : `DATE_FORMAT(${c}, '%Y-%m-%d %H:%i:%s.%f')`;
    case 'micros': return `CAST(CAST(TIME_TO_SEC(${c}) * 1000000 AS SIGNED) AS CHAR)`;
    case 'uuid': return `LOWER(CONVERT(CAST(${c} AS CHAR) USING utf8mb4))`;
    case 'inet': return `CONVERT(CAST(${c} AS CHAR) USING utf8mb4)`;
    // FLOAT widened to DOUBLE exactly (CAST(float AS CHAR) rounds to 6 digits); the shortest text of the double.
    case 'float': return d === 'float' ? `CAST(CAST(${c} AS DOUBLE) AS CHAR)` : `CAST(${c} AS CHAR)`;
    case 'json': return `CONVERT(CAST(${c} AS CHAR) USING utf8mb4)`;
  }
}

function renderPg(p: Pick<ColumnPair, 'family' | 'rtrim' | 'bits'>, c: string, t: CatalogColumnType): string {
  const d = t.dataType;
  switch (p.family) {
    case 'int': return d === 'bool' ? `${c}::int::text` : `${c}::text`;
    case 'decimal': return d === 'numeric' ? `trim_scale(${c})::text` : d === 'money' ? `trim_scale(${c}::numeric)::text` : `${c}::text`;
    case 'text': {
      // inet/cidr::text always adds the mask (::1/128); the output function (what drivers and CDC read) omits a host's.
      const s = d === 'inet' || d === 'cidr' ? `(CASE WHEN ${c} IS NULL THEN NULL ELSE concat(${c}) END)` : `${c}::text`;
      return p.rtrim ? `rtrim(${s}, ' ')` : s;
    }
    case 'bytes': return `encode(${c}, 'hex')`;
    case 'bits': return `lpad(${c}::text, ${p.bits ?? t.length ?? 1}, '0')`;
    // DateStyle ISO (every validation session sets it): 'YYYY-MM-DD', the same as to_char's in half its time.
    case 'date': return d === 'date' ? `${c}::text` : `to_char(${c}, 'YYYY-MM-DD')`;
    case 'timestamp': return `to_char(${c}, 'YYYY-MM-DD HH24:MI:SS.US')`;
    case 'micros': return `(extract(epoch from ${c}) * 1000000)::numeric(30,0)::text`;
    case 'uuid': return d === 'uuid' ? `${c}::text` : `lower(${c}::text)`;
    case 'inet': return d === 'inet' ? `host(${c})` : `${c}::text`;
    case 'float': return d === 'float4' ? `${c}::float8::text` : `${c}::text`;
    case 'json': return d === 'json' || d === 'jsonb' || t.array ? `to_jsonb(${c})::text` : `${c}::text`;
  }
}

/**
 * The canonical text of a value whose family is canonicalized in Node: float → the shortest decimal that reads back
 * as the same double (both engines print the shortest form, in different notations: 1e20 / 1e+20); json → the
 * parsed document re-serialized with object keys sorted (jsonb reorders keys and drops duplicate ones).
 */
export function canonicalInNode(family: Family, text: string | null): string | null {
  if (text === null) return null;
  if (family === 'float') {
    const n = Number(text);
    return Number.isNaN(n) ? text.toLowerCase() : String(n);
  }
  if (family === 'json') {
    try {
      return JSON.stringify(sortKeys(JSON.parse(text) as unknown));
    } catch {
      return text;
    }
  }
  return text;
}

function sortKeys(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(sortKeys);
  if (v !== null && typeof v === 'object') {
    const o = v as Record<string, unknown>;
    return Object.fromEntries(Object.keys(o).sort().map((k) => [k, sortKeys(o[k])]));
  }
  return v;
}

/** Families whose text can hold any character: their values are length-prefixed in the row text. */
export const FREE_TEXT: ReadonlySet<Family> = new Set(['text', 'json']);

/**
 * The canonical row text as SQL: each value followed by `|`; a value of a free-text family (text, json) as
 * `<length>:<text>` (so ('ab','c') ≠ ('a','bc') whatever the text holds); the other families' forms never contain
 * `|` or `~` (digits, signs, hex, dates); NULL is `~`, which no rendered value equals.
 */
export function rowTextSql(engine: ValidationEngine, columns: readonly { readonly expr: string; readonly family: Family }[]): string {
  if (engine === 'mysql') {
    return `CONCAT(${columns.map(({ expr: e, family }) => (FREE_TEXT.has(family) ? `IFNULL(CONCAT(CHAR_LENGTH(${e}), ':', ${e}), '~'), '|'` : `IFNULL(${e}, '~'), '|'`)).join(', ')})`;
  }
  return columns.map(({ expr: e, family }) => (FREE_TEXT.has(family) ? `coalesce(length(${e})::text || ':' || ${e}, '~') || '|'` : `coalesce(${e}, '~') || '|'`)).join(' || ');
}
