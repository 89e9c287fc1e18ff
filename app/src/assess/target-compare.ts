/**
 * Whether an existing postgres/mysql target table can take what the task sends it: the table the schema conversion
 * would create (its columns with the types the target itself spells, see target-tables.ts) against the table as it
 * is. Pure: the findings follow what the relational sinks do with an existing table (sinks/postgres,
 * sinks/mysql table-schema.ts): a missing column is added as nullable, NOT NULL is relaxed, a narrower column is
 * widened on PostgreSQL (and on MySQL only in tables the sink created: elsewhere values that do not fit are
 * dead-lettered), a type of another kind stops the task (FERRY_TARGET_SCHEMA_CHANGE), and upserts need a unique key
 * on the primary-key columns.
 */
import { adjustFieldName } from '../../../schemas/src/naming.ts';
import { holds as pgHolds, parseType as pgParse } from '../../../sinks/postgres/src/pg-types.ts';
import { holds as myHolds, parseType as myParse } from '../../../sinks/mysql/src/mysql-types.ts';
import { finding, type Finding } from './finding.ts';

export interface TargetColumnShape {
  readonly name: string;
  /** As the target spells it: PostgreSQL format_type(), MySQL COLUMN_TYPE normalised (sinks/mysql normalizeType). */
  readonly type: string;
  readonly nullable: boolean;
  readonly hasDefault?: boolean;
  /** MySQL character set of a text column. */
  readonly charset?: string;
  /** The expected type could not be spelled by the target (a type that does not exist there yet): compared as text. */
  readonly uncertain?: boolean;
}

export interface TargetTableShape {
  readonly columns: readonly TargetColumnShape[];
  readonly primaryKey: readonly string[];
  /** Unique keys (and the primary key), each as its column names. */
  readonly uniqueKeys: readonly (readonly string[])[];
}

export interface CompareInput {
  readonly dialect: 'postgres' | 'mysql';
  readonly targetName: string;
  /** Source table 'schema.table'. */
  readonly source: string;
  /** Target table 'schema.table'. */
  readonly table: string;
  readonly expected: TargetTableShape;
  readonly actual: TargetTableShape;
  /** createTablesFrom event-schema: the sink's own types differ from the conversion's, so type findings stay warnings. */
  readonly looseTypes?: boolean;
}

type Family = 'number' | 'string' | 'binary' | 'boolean' | 'temporal' | 'json' | 'uuid';

const PG_FAMILY: Readonly<Record<string, Family>> = {
  smallint: 'number', integer: 'number', bigint: 'number', numeric: 'number', real: 'number', 'double precision': 'number',
  text: 'string', 'character varying': 'string', character: 'string', citext: 'string', bytea: 'binary', boolean: 'boolean',
  date: 'temporal', 'time without time zone': 'temporal', 'time with time zone': 'temporal', 'timestamp without time zone': 'temporal',
  'timestamp with time zone': 'temporal', interval: 'temporal', json: 'json', jsonb: 'json', uuid: 'uuid',
};
const MY_FAMILY: Readonly<Record<string, Family>> = {
  tinyint: 'number', smallint: 'number', mediumint: 'number', int: 'number', bigint: 'number', decimal: 'number', float: 'number', double: 'number',
  varchar: 'string', char: 'string', tinytext: 'string', text: 'string', mediumtext: 'string', longtext: 'string', enum: 'string', set: 'string',
  varbinary: 'binary', binary: 'binary', tinyblob: 'binary', blob: 'binary', mediumblob: 'binary', longblob: 'binary',
  date: 'temporal', datetime: 'temporal', timestamp: 'temporal', time: 'temporal', year: 'temporal', json: 'json',
};

export function familyOf(dialect: 'postgres' | 'mysql', type: string): Family | undefined {
  return dialect === 'postgres' ? PG_FAMILY[pgParse(type).base] : MY_FAMILY[myParse(type).base];
}

/** 'same' (the target holds every value), 'narrower' (same kind, fewer values), 'other' (another kind), 'unknown'. */
export function typeFit(dialect: 'postgres' | 'mysql', have: string, want: string): 'same' | 'narrower' | 'other' | 'unknown' {
  const norm = (t: string) => t.trim().replace(/\s+/g, ' ').toLowerCase();
  if (norm(have) === norm(want)) return 'same';
  const holds = dialect === 'postgres' ? pgHolds : myHolds;
  if (holds(have, want)) return 'same';
  // PostgreSQL: a type without a modifier is its widest form (numeric, varchar, interval, timestamp, time), but for
  // character and bit, which default to a length of 1
  const h = pgParse(have);
  if (dialect === 'postgres' && h.args.length === 0 && h.base === pgParse(want).base && h.base !== 'character' && h.base !== 'bit') return 'same';
  const fa = familyOf(dialect, have);
  const fb = familyOf(dialect, want);
  if (holds(want, have) || (fa !== undefined && fa === fb)) return 'narrower';
  if (fa !== undefined && fb !== undefined && fa !== fb) return 'other';
  return 'unknown';
}

const FERRY_COLUMNS = /(^__ferry_truncated$|__ferry_ref$)/;
/** Whether a target column `have` is the column `want` (the sinks name a column by its Avro-adjusted name when they differ). */
const sameName = (have: string, want: string): boolean => have === want || have === adjustFieldName(want);
const NARROW_CHARSETS = new Set(['utf8', 'utf8mb3', 'latin1', 'ascii', 'ucs2', 'cp1252', 'latin2']);

export function compareTargetTable(o: CompareInput): Finding[] {
  const out: Finding[] = [];
  const at = (column?: string) => [{ table: o.source, target: o.targetName, ...(column !== undefined ? { column } : {}) }];
  const where = `target ${o.targetName} table ${o.table}`;
  const qi = (n: string) => (o.dialect === 'postgres' ? `"${n.replace(/"/g, '""')}"` : `\`${n.replace(/`/g, '``')}\``);
  const alter = (what: string) => `ALTER TABLE ${o.table.split('.').map(qi).join('.')} ${what}`;
  const find = (name: string) => o.actual.columns.find((c) => sameName(c.name, name));
  for (const want of o.expected.columns) {
    const have = find(want.name);
    if (!have) {
      out.push(finding({
        code: 'TARGET_COLUMN_MISSING', severity: 'warning', category: 'target', objects: at(want.name),
        message: `${where} has no column ${want.name} (${want.type}${want.nullable ? '' : ' NOT NULL'}): the sink adds it as a nullable column of the event's type on its first write, without the converted type, default or NOT NULL`,
        fix: `${alter(`ADD COLUMN ${qi(want.name)} ${want.type}`)}, or set tablePreparation: drop-and-create on the target`,
        details: { expectedType: want.type },
      }));
      continue;
    }
    const fit = typeFit(o.dialect, have.type, want.type);
    if (fit === 'narrower') {
      const error = o.dialect === 'mysql' && !o.looseTypes;
      out.push(finding({
        code: 'TARGET_COLUMN_TOO_NARROW', severity: error ? 'error' : 'warning', category: 'target', objects: at(want.name),
        message: `${where} column ${have.name} is ${have.type}, narrower than the source's ${want.type}: ${o.dialect === 'postgres' ? 'the sink widens it with ALTER COLUMN … TYPE on its first write (a table rewrite under an exclusive lock)' : 'in a table the sink did not create, values that do not fit are dead-lettered'}`,
        fix: alter(o.dialect === 'postgres' ? `ALTER COLUMN ${qi(have.name)} TYPE ${want.type}` : `MODIFY COLUMN ${qi(have.name)} ${want.type}${have.nullable ? '' : ' NOT NULL'}`),
        details: { targetType: have.type, expectedType: want.type },
      }));
    } else if (fit === 'other' || (fit === 'unknown' && !want.uncertain)) {
      out.push(finding({
        code: 'TARGET_COLUMN_TYPE_MISMATCH', severity: fit === 'other' ? (o.looseTypes ? 'warning' : 'error') : 'info', category: 'target', objects: at(want.name),
        message: `${where} column ${have.name} is ${have.type} where the source's values are ${want.type}: ${fit === 'other' ? 'the sink cannot write them there and stops the task (FERRY_TARGET_SCHEMA_CHANGE)' : 'types the assessment cannot compare; check that it takes every value'}`,
        fix: `${alter(o.dialect === 'postgres' ? `ALTER COLUMN ${qi(have.name)} TYPE ${want.type} USING …` : `MODIFY COLUMN ${qi(have.name)} ${want.type}`)}, or drop the table (or set tablePreparation: drop-and-create) so the sink creates it`,
        details: { targetType: have.type, expectedType: want.type },
      }));
    }
    if (!have.nullable && want.nullable && !o.expected.primaryKey.includes(want.name)) {
      out.push(finding({
        code: 'TARGET_COLUMN_NOT_NULL', severity: 'warning', category: 'target', objects: at(want.name),
        message: `${where} column ${have.name} is NOT NULL but the source column is nullable: the sink drops NOT NULL on its first write`,
        fix: alter(o.dialect === 'postgres' ? `ALTER COLUMN ${qi(have.name)} DROP NOT NULL` : `MODIFY COLUMN ${qi(have.name)} ${have.type} NULL`),
      }));
    }
    if (o.dialect === 'mysql' && have.charset && want.charset && NARROW_CHARSETS.has(have.charset.toLowerCase()) && want.charset.toLowerCase() === 'utf8mb4') {
      out.push(finding({
        code: 'CHARSET_NOT_HELD', severity: 'warning', category: 'target', objects: at(want.name),
        message: `${where} column ${have.name} is CHARACTER SET ${have.charset}, which cannot hold every character of the source's utf8mb4 text (4-byte characters such as emoji${have.charset.startsWith('utf8') ? '' : ', and anything outside the character set'}): such values are refused by the target`,
        fix: alter(`MODIFY COLUMN ${qi(have.name)} ${have.type} CHARACTER SET utf8mb4 COLLATE utf8mb4_bin`),
        details: { targetCharset: have.charset, sourceCharset: want.charset },
      }));
    }
  }
  for (const have of o.actual.columns) {
    if (o.expected.columns.some((w) => sameName(have.name, w.name)) || FERRY_COLUMNS.test(have.name)) continue;
    if (!have.nullable && !have.hasDefault) {
      out.push(finding({
        code: 'TARGET_EXTRA_COLUMN', severity: 'warning', category: 'target', objects: at(have.name),
        message: `${where} has column ${have.name} (${have.type} NOT NULL, no default) that the source does not send: the sink makes it nullable on its first write`,
        fix: `drop the column (${alter(`DROP COLUMN ${qi(have.name)}`)}) or give it a default`,
      }));
    }
  }
  const key = o.expected.primaryKey;
  if (key.length > 0) {
    const mapped = key.map((k) => find(k)?.name ?? k);
    const same = (cols: readonly string[]) => cols.length === mapped.length && mapped.every((k) => cols.includes(k));
    if (!same(o.actual.primaryKey) && !o.actual.uniqueKeys.some(same)) {
      out.push(finding({
        code: 'TARGET_PRIMARY_KEY_MISMATCH', severity: 'error', category: 'target', objects: at(),
        message: `${where} has ${o.actual.primaryKey.length > 0 ? `primary key (${o.actual.primaryKey.join(', ')})` : 'no primary key'} and no unique key on (${mapped.join(', ')}), the source's key: upserts and deletes by key cannot be applied`,
        fix: o.actual.primaryKey.length > 0 ? `${alter(`DROP ${o.dialect === 'postgres' ? 'CONSTRAINT <pkey name>' : 'PRIMARY KEY'}, ADD PRIMARY KEY (${mapped.map(qi).join(', ')})`)}` : alter(`ADD PRIMARY KEY (${mapped.map(qi).join(', ')})`),
        details: { targetPrimaryKey: o.actual.primaryKey.join(','), sourcePrimaryKey: mapped.join(',') },
      }));
    }
  }
  return out;
}
