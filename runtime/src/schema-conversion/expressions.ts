/**
 * Small translations shared by the DDL writers: the SQL type of an added or retyped column (from its Connect type),
 * and MySQL check expressions in PostgreSQL syntax. An expression is translated only when every token is one Ferry
 * knows means the same in both dialects; anything else is left for a person (null).
 */
import type { CatalogEngine } from '../../../core/src/catalog.ts';
import type { FieldType } from '../../../core/src/types.ts';
import { isMySqlFamily, quotePg, type Dialect } from './quoting.ts';

export function sameEngine(source: CatalogEngine, target: Dialect): boolean {
  return source === 'postgres' ? target === 'postgres' : isMySqlFamily(target);
}

/** The target type of a column whose value is computed (add-column, change-data-type): from its Connect type. */
export function fieldTypeToSql(t: FieldType | undefined, d: Dialect): string {
  const pg = d === 'postgres';
  if (!t) return pg ? 'text' : 'longtext';
  if (t.type === 'array') return pg ? `${fieldTypeToSql(t.items, d)}[]` : 'json';
  const p = t.params ?? {};
  switch (t.logical) {
    case 'org.apache.kafka.connect.data.Decimal': {
      const precision = p['connect.decimal.precision'] ?? '38';
      return pg ? `numeric(${precision},${p.scale ?? '0'})` : `decimal(${Math.min(65, Number(precision))},${Math.min(30, Number(p.scale ?? '0'))})`;
    }
    case 'io.debezium.time.Date': case 'org.apache.kafka.connect.data.Date': return 'date';
    case 'io.debezium.time.Timestamp': case 'io.debezium.time.MicroTimestamp': case 'io.debezium.time.NanoTimestamp': case 'org.apache.kafka.connect.data.Timestamp':
      return pg ? 'timestamp(6)' : 'datetime(6)';
    case 'io.debezium.time.ZonedTimestamp': return pg ? 'timestamptz(6)' : 'datetime(6)';
    case 'io.debezium.time.MicroTime': case 'io.debezium.time.Time': return pg ? 'interval(6)' : 'time(6)';
    case 'io.debezium.data.Json': return pg ? 'jsonb' : 'json';
    case 'io.debezium.data.Uuid': return pg ? 'uuid' : 'char(36)';
    default: break;
  }
  switch (t.type) {
    case 'int8': case 'int16': return 'smallint';
    case 'int32': return pg ? 'integer' : 'int';
    case 'int64': return 'bigint';
    case 'float32': return pg ? 'real' : 'float';
    case 'float64': return pg ? 'double precision' : 'double';
    case 'boolean': return pg ? 'boolean' : 'tinyint(1)';
    case 'bytes': return pg ? 'bytea' : 'longblob';
    default: return pg ? 'text' : 'longtext';
  }
}

const SAFE_WORDS = new Set(['and', 'or', 'not', 'in', 'between', 'is', 'null', 'like', 'true', 'false', 'char_length', 'length', 'lower', 'upper', 'abs', 'coalesce']);

/**
 * A MySQL/MariaDB CHECK expression in PostgreSQL syntax, or null when it uses anything beyond identifiers,
 * literals, comparison and arithmetic operators, AND/OR/NOT, IN, BETWEEN, IS [NOT] NULL, LIKE and a few functions.
 */
export function mysqlCheckToPg(expression: string): string | null {
  const out: string[] = [];
  const re = /\s+|`((?:[^`]|``)+)`|'((?:[^'\\]|''|\\.)*)'|(\d+(?:\.\d+)?)|([A-Za-z_][A-Za-z0-9_]*)|(<=|>=|<>|!=|[<>=+\-*/%(),])/gy;
  let m: RegExpExecArray | null;
  let pos = 0;
  while (pos < expression.length) {
    re.lastIndex = pos;
    m = re.exec(expression);
    if (!m) return null;
    pos = re.lastIndex;
    if (m[1] !== undefined) out.push(quotePg(m[1].replace(/``/g, '`')));
    else if (m[2] !== undefined) {
      if (/\\/.test(m[2])) return null;
      out.push(`'${m[2]}'`);
    } else if (m[3] !== undefined) out.push(m[3]);
    else if (m[4] !== undefined) {
      const w = m[4].toLowerCase();
      if (!SAFE_WORDS.has(w)) return null;
      out.push(w === 'length' ? 'octet_length' : w);
    } else if (m[5] !== undefined) out.push(m[5]);
    else out.push(' ');
  }
  return out.join('').replace(/\s+/g, ' ').trim();
}
