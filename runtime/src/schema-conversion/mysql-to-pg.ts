/**
 * MySQL/MariaDB → PostgreSQL: column types and defaults (the table in docs/schema-conversion.md).
 * Pure functions of the catalog model; each answer says whether the conversion is exact (auto), works with a
 * difference to know (warning), or needs a person (manual), and why.
 */
import type { CatalogColumn, CatalogType } from '../../../core/src/catalog.ts';
import type { Outcome } from './assessment.ts';
import { literal, quotePg } from './quoting.ts';

export interface TypeConversion {
  /** The target type as written in DDL. */
  readonly type: string;
  readonly outcome: Outcome;
  readonly reason?: string;
  readonly fix?: string;
  /** A CHECK the column needs to keep the source's domain (ENUM values), given the quoted target column name. */
  readonly check?: (column: string) => string;
}

const auto = (type: string, check?: TypeConversion['check']): TypeConversion => ({ type, outcome: 'auto', ...(check ? { check } : {}) });
const warn = (type: string, reason: string, fix: string): TypeConversion => ({ type, outcome: 'warning', reason, fix });
const manual = (type: string, reason: string, fix: string): TypeConversion => ({ type, outcome: 'manual', reason, fix });

const SPATIAL = new Set(['geometry', 'point', 'linestring', 'polygon', 'multipoint', 'multilinestring', 'multipolygon', 'geometrycollection']);

export function mysqlTypeToPg(t: CatalogType, sourceType = t.name): TypeConversion {
  const u = t.unsigned === true;
  switch (t.name) {
    case 'tinyint': return auto('smallint');
    case 'smallint': return auto(u ? 'integer' : 'smallint');
    case 'mediumint': return auto('integer');
    case 'int': case 'integer': return auto(u ? 'bigint' : 'integer');
    case 'bigint': return auto(u ? 'numeric(20)' : 'bigint');
    case 'decimal': case 'numeric': return auto(`numeric(${t.precision ?? 10},${t.scale ?? 0})`);
    case 'float': return auto('real');
    case 'double': case 'real': return auto('double precision');
    case 'bit': return (t.length ?? 1) === 1 ? auto('boolean') : auto(`bit varying(${t.length})`);
    case 'bool': case 'boolean': return auto('smallint');
    case 'date': return auto('date');
    case 'datetime': return auto(`timestamp(${t.fsp ?? 0})`);
    case 'timestamp': return auto(`timestamptz(${t.fsp ?? 0})`);
    case 'time': return auto(`interval(${t.fsp ?? 0})`);
    case 'year': return auto('smallint');
    case 'char': return auto(`char(${t.length ?? 1})`);
    case 'varchar': return auto(`varchar(${t.length ?? 255})`);
    case 'tinytext': case 'text': case 'mediumtext': case 'longtext': return auto('text');
    case 'binary': case 'varbinary': case 'tinyblob': case 'blob': case 'mediumblob': case 'longblob': return auto('bytea');
    case 'json': return auto('jsonb');
    case 'enum': {
      const values = t.values ?? [];
      return auto('text', (c) => `${c} IN (${values.map((v) => literal('postgres', v)).join(', ')})`);
    }
    case 'set': return auto('text');
    case 'uuid': return auto('uuid');
    case 'inet4': case 'inet6': return auto('inet');
    default:
      if (SPATIAL.has(t.name)) {
        return warn('bytea', `spatial type ${sourceType} becomes WKB bytes (PostGIS-free): no spatial functions or indexes`, 'install PostGIS and change the column to geometry (ALTER TABLE … ALTER COLUMN … TYPE geometry USING ST_GeomFromWKB(col))');
      }
      return manual('text', `type ${sourceType} has no PostgreSQL mapping`, 'choose a target type and change the column (or add a change-data-type rule to the task)');
  }
}

/** Whether a MySQL date/datetime default is a zero date ('0000-00-00', '2024-00-10'): PostgreSQL has none. */
export function isZeroDate(text: string): boolean {
  return /^'?\d{4}-00-|^'?\d{4}-\d{2}-00|^'?0000-00-00/.test(text);
}

export interface DefaultConversion {
  /** The target DEFAULT expression, or undefined when none is written. */
  readonly expression?: string;
  readonly outcome: Outcome;
  readonly reason?: string;
  readonly fix?: string;
}

/** A MySQL default (SQL text as catalog-reader.ts gives it) for a column of PostgreSQL type `targetType`. */
export function mysqlDefaultToPg(col: CatalogColumn, targetType: string): DefaultConversion {
  const d = col.defaultExpression;
  if (d === undefined) return { outcome: 'auto' };
  const text = d.trim();
  if (/^null$/i.test(text)) return { outcome: 'auto' };
  if (/^(current_timestamp|now|localtimestamp|localtime)(\s*\(\s*\d*\s*\))?$/i.test(text)) {
    if (/^(timestamp|timestamptz|date)/.test(targetType)) return { expression: 'CURRENT_TIMESTAMP', outcome: 'auto' };
  }
  if (/^(curdate\(\)|current_date(\(\))?)$/i.test(text) || /^\(curdate\(\)\)$/i.test(text)) return { expression: 'CURRENT_DATE', outcome: 'auto' };
  if (isZeroDate(text) && /^(date|datetime|timestamp)$/.test(col.type.name)) {
    return { outcome: 'manual', reason: `zero-date default ${text}: PostgreSQL has no zero date`, fix: 'choose a real default (or none) and map zero dates in the data (they arrive as NULL or are refused by the sink)' };
  }
  if (/^-?\d+(\.\d+)?(e[+-]?\d+)?$/i.test(text)) {
    if (targetType === 'boolean') return { expression: text === '0' ? 'false' : 'true', outcome: 'auto' };
    return { expression: text, outcome: 'auto' };
  }
  const bits = /^b'([01]*)'$/i.exec(text);
  if (bits) return targetType === 'boolean' ? { expression: /1/.test(bits[1]!) ? 'true' : 'false', outcome: 'auto' } : { expression: `B'${bits[1]}'`, outcome: 'auto' };
  const lit = /^'((?:[^'\\]|''|\\.)*)'$/s.exec(text);
  if (lit) {
    const value = lit[1]!.replace(/''/g, "'").replace(/\\(.)/gs, (_m, c: string) => ({ n: '\n', t: '\t', r: '\r', 0: '\0', Z: '\x1a' } as Record<string, string>)[c] ?? c);
    if (targetType === 'bytea') return { expression: `'\\x${Buffer.from(value, 'utf8').toString('hex')}'::bytea`, outcome: 'auto' };
    if (targetType === 'jsonb') return { expression: `${literal('postgres', value)}::jsonb`, outcome: 'auto' };
    return { expression: literal('postgres', value), outcome: 'auto' };
  }
  if (/^\(?\s*uuid\(\)\s*\)?$/i.test(text)) {
    return { expression: 'gen_random_uuid()::text', outcome: 'warning', reason: 'uuid() (version 1) became gen_random_uuid() (version 4, PostgreSQL 13+)', fix: 'none needed unless the application relies on version-1 UUIDs' };
  }
  return { outcome: 'manual', reason: `default expression ${text} is not converted`, fix: 'write the PostgreSQL equivalent: ALTER TABLE … ALTER COLUMN … SET DEFAULT …' };
}

/** The trigger a column with ON UPDATE CURRENT_TIMESTAMP needs in PostgreSQL (suggested in the assessment). */
export function onUpdateTriggerSql(schema: string, table: string, column: string): string {
  const fn = quotePg(`${table}_${column}_on_update`);
  return `CREATE FUNCTION ${quotePg(schema)}.${fn}() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN NEW.${quotePg(column)} := CURRENT_TIMESTAMP; RETURN NEW; END $$; ` +
    `CREATE TRIGGER ${fn} BEFORE UPDATE ON ${quotePg(schema)}.${quotePg(table)} FOR EACH ROW EXECUTE FUNCTION ${quotePg(schema)}.${fn}();`;
}
