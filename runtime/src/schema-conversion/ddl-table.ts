/**
 * One table's target DDL: CREATE TABLE (columns, primary key, unique keys, checks), its foreign keys and its
 * indexes, for PostgreSQL or MySQL/MariaDB, from the source catalog and the table's names after the table mapping.
 * `ddlForTable` is what `ferry plan` can call to show a table's target DDL; convert.ts calls it for every table.
 */
import type { CatalogColumn, CatalogEngine, CatalogIndex, CatalogSequence, CatalogTable } from '../../../core/src/catalog.ts';
import type { TargetColumnDefinition } from '../../../core/src/record-sink.ts';
import type { FieldType } from '../../../core/src/types.ts';
import type { AssessmentBuilder, Outcome } from './assessment.ts';
import { mysqlDefaultToPg, mysqlTypeToPg, onUpdateTriggerSql, type DefaultConversion, type TypeConversion } from './mysql-to-pg.ts';
import { isLongType, MAX_VARCHAR, pgCheckToMySql, pgDefaultToMySql, pgTypeToMySql } from './pg-to-mysql.ts';
import { fitName, isMySqlFamily, qualified, quoteIdent, quotePg, type Dialect } from './quoting.ts';
import { fieldTypeToSql, mysqlCheckToPg, sameEngine } from './expressions.ts';
import { pgIdent } from './objects.ts';

/** A target column: its name after the mapping and the source column it copies (none for an added column). */
export interface TargetColumnSpec {
  readonly name: string;
  readonly from?: CatalogColumn;
  /** The value's Connect type, for added and retyped columns (change-data-type). */
  readonly fieldType?: FieldType;
  readonly retyped?: boolean;
}

/** Where a source table lands: names after the table mapping. */
export interface TableNames {
  readonly schema: string;
  readonly table: string;
  readonly columns: readonly TargetColumnSpec[];
  readonly primaryKey: readonly string[];
}

export interface TableDdlOptions {
  readonly sourceEngine: CatalogEngine;
  readonly target: Dialect;
  readonly names: TableNames;
  /** The target names of another selected source table ('schema.table'), for foreign keys; undefined when not selected. */
  readonly resolve?: (schema: string, table: string) => TableNames | undefined;
  /** Source sequences (PostgreSQL), for identity and serial start values. */
  readonly sequences?: readonly CatalogSequence[];
  /** Where findings go; omitted by callers that only want the DDL. */
  readonly assessment?: AssessmentBuilder;
  /** Constraint and index names already used in the target schema (MySQL foreign keys, PostgreSQL indexes). */
  readonly usedNames?: Set<string>;
}

export interface TableDdl {
  readonly create: string;
  readonly foreignKeys: readonly string[];
  readonly indexes: readonly string[];
  /** Statements after the table (PostgreSQL: ALTER SEQUENCE … OWNED BY). */
  readonly after: readonly string[];
  /** Commented-out statements a person must finish (partial indexes on MySQL, …). */
  readonly comments: readonly string[];
  /** The parts of `create`, for a sink that builds the table itself (sinks/postgres, sinks/mysql). */
  readonly columns: readonly TargetColumnDefinition[];
  readonly constraints: readonly { readonly kind: 'unique' | 'check'; readonly sql: string }[];
  /** Text after CREATE TABLE's closing parenthesis. */
  readonly tableOptions: string;
}

interface Report {
  add(kind: Parameters<AssessmentBuilder['add']>[0]['kind'], object: string, outcome: Outcome, target?: string, reason?: string, fix?: string): void;
}

export function ddlForTable(table: CatalogTable, o: TableDdlOptions): TableDdl {
  const d = o.target;
  const q = (n: string) => quoteIdent(d, n);
  const src = `${table.schema}.${table.name}`;
  const me = qualified(d, o.names.schema, o.names.table);
  const report: Report = {
    add(kind, object, outcome, target, reason, fix) {
      o.assessment?.add({ kind, object, outcome, ...(target !== undefined ? { target } : {}), ...(reason !== undefined ? { reason } : {}), ...(fix !== undefined ? { fix } : {}) });
    },
  };
  const same = sameEngine(o.sourceEngine, d);
  const toPg = d === 'postgres';
  const byName = new Map(o.names.columns.flatMap((c) => (c.from ? [[c.from.name, c.name] as const] : [])));
  const target = (n: string) => byName.get(n);
  // Name scopes: PostgreSQL index (and unique-constraint) names are unique per schema, MySQL foreign-key names per
  // database; the other names are unique per table.
  const schemaWide = o.usedNames ?? new Set<string>();
  const tableWide = new Set<string>();
  const uniqueName = (n: string, kind: 'index' | 'foreign key' | 'check') => {
    const used = (kind === 'index' && toPg) || (kind === 'foreign key' && !toPg) ? schemaWide : tableWide;
    let name = fitName(d, n);
    for (let i = 2; used.has(name.toLowerCase()); i++) name = fitName(d, `${n}_${i}`);
    used.add(name.toLowerCase());
    return name;
  };
  // MySQL cannot key a TEXT/BLOB column: key columns that would become one are VARCHAR(255) instead.
  const keyed = new Set<string>([...(table.primaryKey?.columns ?? []), ...table.uniqueKeys.flatMap((k) => k.columns), ...table.foreignKeys.flatMap((k) => k.columns)]);
  const lines: string[] = [];
  const columns: TargetColumnDefinition[] = [];
  const constraints: { kind: 'unique' | 'check'; sql: string }[] = [];
  const checks: string[] = [];
  const after: string[] = [];
  const comments: string[] = [];
  let hasAutoIncrement = false;
  for (const c of o.names.columns) {
    const object = c.from ? `${src}.${c.from.name}` : `${src}.${c.name} (added)`;
    let type: TypeConversion;
    if (!c.from || c.retyped) {
      type = { type: fieldTypeToSql(c.fieldType, d), outcome: 'auto' };
    } else if (same) {
      type = { type: sameEngineType(c.from, d, o.names.schema), outcome: 'auto' };
      if (toPg && c.from.type.userDefined === 'extension') type = { ...type, outcome: 'warning', reason: `type ${c.from.sourceType} comes from an extension`, fix: `CREATE EXTENSION on the target before applying (e.g. CREATE EXTENSION ${c.from.type.name})` };
      // Debezium's Bits carry bytes, not the bit count (the PostgreSQL source's default bitVaryingHandlingMode: bits)
      if (toPg && c.fieldType?.logical === 'io.debezium.data.Bits' && /^bit varying/.test(c.from.sourceType)) type = { ...type, outcome: 'warning', reason: `${c.from.sourceType} values travel as Debezium Bits, which do not carry a value's bit count: B'01' arrives padded to the declared length`, fix: 'set the source option bitVaryingHandlingMode: string (the exact bit string)' };
    } else if (toPg) {
      type = mysqlTypeToPg(c.from.type, c.from.sourceType);
    } else {
      type = pgTypeToMySql(c.from.type, c.from.sourceType, d);
      // bit varying as its exact bit string (the PostgreSQL source's bitVaryingHandlingMode: string): MySQL BIT would drop its length
      if (c.fieldType?.logical === 'io.ferry.data.BitString') type = { type: (c.from.type.length ?? Infinity) <= MAX_VARCHAR ? `varchar(${c.from.type.length})` : 'longtext', outcome: 'warning', reason: `${c.from.sourceType} becomes text holding its exact bit string ('01'), as the source option bitVaryingHandlingMode: string sends it; MySQL BIT(n) would drop a value's length`, fix: 'convert where bit arithmetic is needed (CONV(x, 2, 10))' };
      if (isLongType(type.type) && keyed.has(c.from.name)) {
        type = { type: 'varchar(255)', outcome: 'warning', reason: `${c.from.sourceType} is part of a key; MySQL cannot key ${type.type}, so it becomes VARCHAR(255) and longer values are refused`, fix: 'choose a VARCHAR length that holds the longest value' };
      }
    }
    report.add('column type', object, type.outcome, type.type, type.reason, type.fix);
    const parts: { -readonly [K in keyof TargetColumnDefinition]: TargetColumnDefinition[K] } = { name: c.name, type: type.type, nullable: true };
    let def = q(c.name) + ' ' + type.type;
    if (c.from && !same && !toPg && /char|text|enum/i.test(type.type)) parts.collation = ' COLLATE utf8mb4_bin';
    if (c.from && same && !toPg && c.from.type.charset && /char|text|enum|set/i.test(type.type)) parts.collation = ` CHARACTER SET ${c.from.type.charset}${c.from.type.collation ? ` COLLATE ${c.from.type.collation}` : ''}`;
    def += parts.collation ?? '';
    const col = c.from;
    // generated, identity, auto-increment, default
    if (col?.generated) {
      if (same) {
        parts.generated = toPg ? ` GENERATED ALWAYS AS (${col.generated.expression}) STORED` : ` GENERATED ALWAYS AS (${col.generated.expression}) ${col.generated.stored ? 'STORED' : 'VIRTUAL'}`;
        def += parts.generated;
        report.add('default', object, 'auto', 'generated column');
      } else {
        report.add('default', object, 'manual', 'plain column', `generated column (${col.generated.expression}) is created as a plain column; the load copies its values`, 'recreate the expression in the target dialect: ALTER TABLE … ADD … GENERATED ALWAYS AS (…) STORED');
      }
    } else if (col) {
      const idText = identityClause(col, table, o);
      if (idText) {
        parts.identity = toPg ? idText.sql : ' AUTO_INCREMENT';
        if (parts.identity === '') delete parts.identity;
        def += parts.identity ?? '';
        if (!toPg) hasAutoIncrement = true;
        report.add('sequence', `${src}.${col.name}`, idText.outcome, idText.describe, idText.reason, idText.fix);
      } else {
        const dc: DefaultConversion = same ? sameEngineDefault(col, d, o.names.schema, table.schema) : toPg ? mysqlDefaultToPg(col, type.type) : pgDefaultToMySql(col, type.type);
        if (dc.expression !== undefined) { def += ` DEFAULT ${dc.expression}`; parts.default = dc.expression; }
        if (col.defaultExpression !== undefined && !/^null$/i.test(col.defaultExpression)) report.add('default', object, dc.outcome, dc.expression, dc.reason, dc.fix);
      }
      if (col.onUpdate) {
        if (same) { def += ` ON UPDATE ${col.onUpdate}`; parts.onUpdate = col.onUpdate; report.add('default', `${src}.${col.name} ON UPDATE`, 'auto', `ON UPDATE ${col.onUpdate}`); }
        else {
          report.add('default', `${src}.${col.name} ON UPDATE`, 'manual', undefined,
            `ON UPDATE ${col.onUpdate} has no PostgreSQL column equivalent: the column keeps its old value on UPDATE`,
            `add a BEFORE UPDATE trigger: ${onUpdateTriggerSql(o.names.schema, o.names.table, c.name)}`);
        }
      }
    }
    const nullable = col ? col.nullable : true;
    if (!nullable || o.names.primaryKey.includes(c.name)) { def += ' NOT NULL'; parts.nullable = false; }
    if (type.check) { parts.check = type.check(q(c.name)); def += ` CHECK (${parts.check})`; }
    lines.push(def);
    columns.push(parts);
  }
  if (o.names.primaryKey.length > 0) {
    lines.push(`PRIMARY KEY (${o.names.primaryKey.map(q).join(', ')})`);
    report.add('table', src, 'auto', `${o.names.schema}.${o.names.table}`);
  } else {
    report.add('table', src, 'warning', `${o.names.schema}.${o.names.table}`, 'the table has no primary key: the sink matches updates and deletes on all columns, and duplicate rows cannot be told apart',
      'add a primary key, or a define-primary-key rule naming a unique, not-null column set');
  }
  for (const k of table.uniqueKeys) {
    const cols = k.columns.map(target);
    const object = `${src}.${k.name}`;
    if (cols.some((x) => x === undefined)) { report.add('index', object, 'warning', undefined, 'a column of the unique key is removed by the table mapping: the key is not created', 'keep the column, or create the key yourself'); continue; }
    const name = uniqueName(toPg && !same ? `${o.names.table}_${k.name}` : k.name, 'index');
    lines.push(`CONSTRAINT ${q(name)} UNIQUE (${cols.map((x) => q(x!)).join(', ')})`);
    constraints.push({ kind: 'unique', sql: lines.at(-1)! });
    report.add('index', object, 'auto', `UNIQUE ${name}`);
  }
  for (const ck of table.checks) {
    const object = `${src}.${ck.name}`;
    const expr = same ? (toPg ? retargetSchema(ck.expression, table.schema, o.names.schema) : ck.expression) : toPg ? mysqlCheckToPg(ck.expression) : pgCheckToMySql(ck.expression);
    const renamed = [...byName].some(([s, t]) => s !== t && new RegExp(`\\b${s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\b`).test(ck.expression));
    const removed = table.columns.some((c) => !byName.has(c.name) && ck.expression.includes(c.name));
    if (expr === null || renamed || removed) {
      const why = expr === null ? `the expression ${ck.expression} uses syntax Ferry does not convert` : `the expression refers to a column the table mapping renames or removes`;
      report.add('check', object, 'manual', undefined, why, `write it in the target dialect: ALTER TABLE ${me} ADD CONSTRAINT … CHECK (…)`);
      comments.push(`-- manual: CHECK ${ck.name} on ${src}: ${ck.expression}`);
      continue;
    }
    checks.push(`CONSTRAINT ${q(uniqueName(toPg && !same ? `${o.names.table}_${ck.name}` : ck.name, 'check'))} CHECK (${expr})`);
    constraints.push({ kind: 'check', sql: checks.at(-1)! });
    report.add('check', object, same ? 'auto' : 'warning', expr, same ? undefined : 'the expression is translated token by token', same ? undefined : 'review that it means the same in the target');
  }
  lines.push(...checks);
  let tableOptions = '';
  if (!toPg) {
    const engine = same && table.engine ? table.engine : 'InnoDB';
    tableOptions += ` ENGINE=${engine}${same ? ' DEFAULT CHARSET=utf8mb4' : ' DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin'}`;
    const next = same ? table.autoIncrementNext : hasAutoIncrement ? pgNextFor(table, o.sequences) : undefined;
    if (hasAutoIncrement && next !== undefined && next > 1) tableOptions += ` AUTO_INCREMENT=${next}`;
  }
  const create = `CREATE TABLE ${me} (\n  ${lines.join(',\n  ')}\n)${tableOptions}`;
  const foreignKeys = table.foreignKeys.flatMap((fk) => foreignKeyDdl(fk, table, o, report, uniqueName, target));
  const indexes = table.indexes.flatMap((ix) => indexDdl(ix, table, o, report, uniqueName, target, comments));
  if (toPg && same) {
    for (const c of o.names.columns) {
      if (c.from?.sequence && !c.from.identity) after.push(`ALTER SEQUENCE ${qualified(d, o.names.schema, c.from.sequence.split('.').pop()!.replace(/^"|"$/g, ''))} OWNED BY ${me}.${q(c.name)}`);
    }
  }
  return { create, foreignKeys, indexes, after, comments, columns, constraints, tableOptions };
}

/** Same engine: the source's own type text (PostgreSQL enum types move with the schema). */
function sameEngineType(c: CatalogColumn, d: Dialect, targetSchema: string): string {
  if (d === 'postgres' && c.type.userDefined === 'enum') return qualified(d, targetSchema, c.type.name) + '[]'.repeat(c.type.arrayDims ?? 0);
  return c.sourceType;
}

/** PostgreSQL text that names the source schema (casts to its enum types, its functions), pointed at the target schema. */
export function retargetSchema(text: string, sourceSchema: string, targetSchema: string): string {
  if (sourceSchema === targetSchema) return text;
  const src = pgIdent(sourceSchema).replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  return text.replace(new RegExp(`(^|[^\\w"$])${src}\\.`, 'g'), (_m, pre: string) => `${pre}${quotePg(targetSchema)}.`);
}

function sameEngineDefault(c: CatalogColumn, d: Dialect, targetSchema: string, sourceSchema: string): DefaultConversion {
  const e = c.defaultExpression;
  if (e === undefined) return { outcome: 'auto' };
  if (d === 'postgres' && c.sequence) {
    const seqName = c.sequence.split('.').pop()!.replace(/^"|"$/g, '');
    return { expression: `nextval('${qualified(d, targetSchema, seqName).replace(/'/g, "''")}'::regclass)`, outcome: 'auto' };
  }
  if (d === 'postgres') return { expression: retargetSchema(e, sourceSchema, targetSchema), outcome: 'auto' };
  return { expression: e, outcome: 'auto' };
}

interface Identity { sql: string; outcome: Outcome; describe: string; reason?: string; fix?: string }

function ownedSequence(table: CatalogTable, column: string, sequences: readonly CatalogSequence[] | undefined): CatalogSequence | undefined {
  return sequences?.find((s) => s.ownedBy === `${table.schema}.${table.name}.${column}`);
}

function pgNextFor(table: CatalogTable, sequences: readonly CatalogSequence[] | undefined): number | undefined {
  for (const c of table.columns) {
    const s = ownedSequence(table, c.name, sequences);
    if (s && (c.identity || c.sequence)) return Number(s.next);
  }
  return undefined;
}

/** Identity / auto-increment of a column, or null when it has none (or it is copied natively as a sequence default). */
function identityClause(c: CatalogColumn, table: CatalogTable, o: TableDdlOptions): Identity | null {
  const same = sameEngine(o.sourceEngine, o.target);
  if (isMySqlFamily(o.sourceEngine) && c.autoIncrement) {
    if (same) return { sql: '', outcome: 'auto', describe: `AUTO_INCREMENT (next ${table.autoIncrementNext ?? 1})` };
    const start = table.autoIncrementNext ?? 1;
    if (c.type.name === 'bigint' && c.type.unsigned) {
      return { sql: '', outcome: 'manual', describe: 'numeric(20)', reason: 'an unsigned BIGINT AUTO_INCREMENT becomes NUMERIC(20), which cannot be an identity column', fix: `use bigint (if values stay below 2^63) with GENERATED BY DEFAULT AS IDENTITY (START WITH ${start})` };
    }
    return { sql: ` GENERATED BY DEFAULT AS IDENTITY (START WITH ${start})`, outcome: 'auto', describe: `GENERATED BY DEFAULT AS IDENTITY (START WITH ${start})` };
  }
  if (o.sourceEngine !== 'postgres') return null;
  const seq = ownedSequence(table, c.name, o.sequences);
  if (c.identity) {
    const start = seq?.next ?? '1';
    if (o.target === 'postgres') {
      const kind = c.identity === 'always' ? 'ALWAYS' : 'BY DEFAULT';
      return { sql: ` GENERATED ${kind} AS IDENTITY (START WITH ${start})`, outcome: 'auto', describe: `GENERATED ${kind} AS IDENTITY (START WITH ${start})` };
    }
    return mysqlAuto(c, table, start);
  }
  if (c.sequence && o.target !== 'postgres' && /^(integer|bigint|smallint)$/.test(c.sourceType)) return mysqlAuto(c, table, seq?.next ?? '1');
  return null;
}

function mysqlAuto(c: CatalogColumn, table: CatalogTable, start: string): Identity {
  const autos = table.columns.filter((x) => x.identity || (x.sequence && /^(integer|bigint|smallint)$/.test(x.sourceType)));
  const keyed = table.primaryKey?.columns[0] === c.name || table.uniqueKeys.some((k) => k.columns[0] === c.name);
  if (autos.length > 1 || !keyed) {
    return { sql: '', outcome: 'warning', describe: `AUTO_INCREMENT (next ${start})`, reason: autos.length > 1 ? 'MySQL allows one AUTO_INCREMENT column per table' : 'MySQL needs the AUTO_INCREMENT column to lead a key', fix: 'keep AUTO_INCREMENT on the key column and fill the others from the application' };
  }
  return { sql: '', outcome: 'auto', describe: `AUTO_INCREMENT (next ${start})` };
}

function foreignKeyDdl(fk: CatalogTable['foreignKeys'][number], table: CatalogTable, o: TableDdlOptions, report: Report, uniqueName: (n: string, kind: 'index' | 'foreign key' | 'check') => string, target: (n: string) => string | undefined): string[] {
  const d = o.target;
  const q = (n: string) => quoteIdent(d, n);
  const object = `${table.schema}.${table.name}.${fk.name}`;
  const ref = o.resolve?.(fk.refSchema, fk.refTable);
  if (!ref) {
    report.add('foreign key', object, 'manual', undefined, `it references ${fk.refSchema}.${fk.refTable}, which the task does not select`, 'select the referenced table too, or create the foreign key after migrating it');
    return [];
  }
  const cols = fk.columns.map(target);
  const refMap = new Map(ref.columns.flatMap((c) => (c.from ? [[c.from.name, c.name] as const] : [])));
  const refCols = fk.refColumns.map((c) => refMap.get(c));
  if (cols.some((c) => c === undefined) || refCols.some((c) => c === undefined)) {
    report.add('foreign key', object, 'manual', undefined, 'a column of the foreign key is removed by the table mapping', 'keep the column, or drop the foreign key');
    return [];
  }
  let onDelete: string = fk.onDelete;
  let onUpdate: string = fk.onUpdate;
  let outcome: Outcome = 'auto';
  let reason: string | undefined;
  if (isMySqlFamily(d) && (onDelete === 'SET DEFAULT' || onUpdate === 'SET DEFAULT')) {
    onDelete = onDelete === 'SET DEFAULT' ? 'NO ACTION' : onDelete;
    onUpdate = onUpdate === 'SET DEFAULT' ? 'NO ACTION' : onUpdate;
    outcome = 'warning';
    reason = 'InnoDB does not support SET DEFAULT: it became NO ACTION';
  }
  const name = uniqueName(fk.name, 'foreign key');
  report.add('foreign key', object, outcome, `${name} → ${ref.schema}.${ref.table}`, reason, reason ? 'enforce the SET DEFAULT in the application or a trigger' : undefined);
  return [`ALTER TABLE ${qualified(d, o.names.schema, o.names.table)} ADD CONSTRAINT ${q(name)} FOREIGN KEY (${cols.map((c) => q(c!)).join(', ')}) REFERENCES ${qualified(d, ref.schema, ref.table)} (${refCols.map((c) => q(c!)).join(', ')}) ON DELETE ${onDelete} ON UPDATE ${onUpdate}`];
}

function indexDdl(ix: CatalogIndex, table: CatalogTable, o: TableDdlOptions, report: Report, uniqueName: (n: string, kind: 'index' | 'foreign key' | 'check') => string, target: (n: string) => string | undefined, comments: string[]): string[] {
  const d = o.target;
  const q = (n: string) => quoteIdent(d, n);
  const object = `${table.schema}.${table.name}.${ix.name}`;
  const me = qualified(d, o.names.schema, o.names.table);
  const same = sameEngine(o.sourceEngine, d);
  const manual = (reason: string, fix: string) => {
    report.add('index', object, 'manual', undefined, reason, fix);
    comments.push(`-- manual: index ${ix.name} on ${table.schema}.${table.name}: ${ix.definition ?? `${ix.method} (${ix.expression ?? ix.columns.join(', ')})`}`);
    return [];
  };
  if (same && d === 'postgres' && (ix.predicate !== undefined || ix.expression !== undefined || ix.method !== 'btree')) {
    const m = /^CREATE (UNIQUE )?INDEX .+? ON (?:ONLY )?.+? USING (.*)$/s.exec(ix.definition ?? '');
    if (!m) return manual('its definition could not be read', 'recreate it by hand');
    const renamed = o.names.columns.some((c) => c.from && c.from.name !== c.name);
    const name = uniqueName(ix.name, 'index');
    report.add('index', object, renamed ? 'warning' : 'auto', name, renamed ? 'copied verbatim: its expression or predicate keeps the source column names' : undefined, renamed ? 'check the expression after column renames' : undefined);
    return [`CREATE ${m[1] ?? ''}INDEX ${q(name)} ON ${me} USING ${retargetSchema(m[2]!, table.schema, o.names.schema)}`];
  }
  if (ix.predicate !== undefined) return manual(`partial index (WHERE ${ix.predicate}): ${isMySqlFamily(d) ? 'MySQL and MariaDB have no partial indexes' : 'not converted'}`, 'index the whole column (drop the WHERE), or keep the subset in its own table');
  if (ix.expression !== undefined) return manual(`expression index (${ix.expression}) is not converted`, isMySqlFamily(d) ? 'add a generated column holding the expression and index it' : 'rewrite the expression in PostgreSQL syntax and create the index');
  if (ix.fulltext && !same) return manual('FULLTEXT index: PostgreSQL full-text search works differently', `CREATE INDEX … USING gin (to_tsvector('simple', ${ix.columns.map((c) => quotePg(target(c) ?? c)).join(" || ' ' || ")}))`);
  if (ix.spatial && !same) return manual(`${ix.method} (spatial) index is not converted`, isMySqlFamily(d) ? 'store the data as GEOMETRY and create a SPATIAL index' : 'install PostGIS and create a GiST index on a geometry column');
  if (!same && !['btree', 'hash'].includes(ix.method)) return manual(`${ix.method} index has no ${isMySqlFamily(d) ? 'MySQL' : 'PostgreSQL'} equivalent`, 'choose an index type the target has');
  const cols = ix.columns.map(target);
  if (cols.some((c) => c === undefined)) {
    report.add('index', object, 'warning', undefined, 'a column of the index is removed by the table mapping: the index is not created', 'keep the column, or create the index yourself');
    return [];
  }
  let outcome = 'auto' as Outcome;
  let reason: string | undefined;
  let fix: string | undefined;
  const parts = cols.map((c, i) => {
    let p = q(c!);
    const prefix = ix.spatial ? 0 : ix.prefixLengths?.[i] ?? 0; // MariaDB reports SUB_PART 32 for spatial keys
    if (prefix > 0) {
      if (same) p += `(${prefix})`;
      else { outcome = 'warning'; reason = `the MySQL prefix index (${prefix} characters) becomes an index on the whole value`; fix = 'none needed unless values are longer than 2,700 bytes (then index a hash or a substring expression)'; }
    }
    if (!same && isMySqlFamily(d)) {
      const srcCol = table.columns.find((x) => x.name === ix.columns[i]);
      const t = srcCol ? pgTypeToMySql(srcCol.type, srcCol.sourceType, d).type : '';
      if (t === 'json') { outcome = 'manual'; reason = 'MySQL cannot index a JSON column'; fix = 'index a generated column that extracts the value'; }
      else if (isLongType(t)) { p += '(255)'; outcome = 'warning'; reason = `${srcCol!.sourceType} becomes ${t}: the index covers the first 255 characters`; fix = ix.unique ? 'uniqueness is checked on the prefix only: make the column a VARCHAR' : 'none needed for lookups by prefix'; }
    }
    if (ix.descending?.[i]) p += ' DESC';
    return p;
  });
  if (outcome === 'manual') return manual(reason!, fix!);
  const name = uniqueName(d === 'postgres' && !same ? `${o.names.table}_${ix.name}` : ix.name, 'index');
  const kind = ix.fulltext ? 'FULLTEXT ' : ix.spatial ? 'SPATIAL ' : ix.unique ? 'UNIQUE ' : '';
  const using = d === 'postgres' && ix.method === 'hash' && cols.length === 1 ? ' USING hash' : '';
  report.add('index', object, outcome, `${kind}INDEX ${name}`, reason, fix);
  return [`CREATE ${kind}INDEX ${q(name)} ON ${me}${using} (${parts.join(', ')})`];
}

