/**
 * The schema conversion's tables as relational sinks create them (core/src/record-sink.ts TargetTableDefinition):
 * the parts of each CREATE TABLE (columns with their clauses, primary key, unique keys, checks, table options), the
 * types and sequences it needs first (made safe to run again), and its secondary indexes. Foreign keys, views,
 * triggers and routines are not part of it: they stay with `ferry convert-schema --apply` (docs/schema-conversion.md).
 */
import type { TargetTableDefinition } from '../../../core/src/record-sink.ts';
import { adjustFieldName } from '../../../schemas/src/naming.ts';
import type { ConvertedSchema } from './convert.ts';
import { isMySqlFamily, quoteIdent, type Dialect } from './quoting.ts';

/** A statement of the 'Types and sequences' section in a form that does nothing when the object exists. */
export function repeatable(d: Dialect, statement: string): string {
  if (/^CREATE SEQUENCE /.test(statement)) return statement.replace(/^CREATE SEQUENCE /, 'CREATE SEQUENCE IF NOT EXISTS ');
  if (d === 'postgres' && /^CREATE TYPE /.test(statement)) {
    let tag = '$ferry$';
    for (let i = 2; statement.includes(tag); i++) tag = `$ferry${i}$`;
    return `DO ${tag} BEGIN ${statement}; EXCEPTION WHEN duplicate_object THEN NULL; END ${tag}`;
  }
  if (isMySqlFamily(d) && /^CREATE DATABASE /.test(statement) && !/IF NOT EXISTS/.test(statement)) return statement.replace(/^CREATE DATABASE /, 'CREATE DATABASE IF NOT EXISTS ');
  return statement;
}

/** The converted tables of `c` as sink table definitions. */
export function tableDefinitions(c: ConvertedSchema): TargetTableDefinition[] {
  return c.tables.map((t) => {
    return {
      source: t.source,
      schema: t.names.schema,
      table: t.names.table,
      columns: t.ddl.columns,
      primaryKey: t.names.primaryKey,
      constraints: t.ddl.constraints,
      tableOptions: t.ddl.tableOptions,
      before: t.needs.map((s) => repeatable(c.target, s)),
      after: t.ddl.after,
      indexes: t.ddl.indexes,
    };
  });
}

/**
 * A definition with its columns named as the change events name them. Ferry's events name a column `naïve ☃` by its
 * source name (the field `na_ve__` carries it in `__debezium.source.column.name`, and the sinks map it first:
 * runtime/src/relational/source-column-names.ts), so this changes nothing for them. Topics of real Debezium without
 * `column.propagate.source.type` carry only the adjusted field name, which the sink writes as the column name; a column
 * created under the source's name would stay empty beside it. So a column whose events carry the adjusted name (and
 * not the source's) is created under that name, and its quoted name in the keys, checks, indexes and the statements
 * after the table is rewritten to match. Unchanged when every name is valid Avro.
 */
export function alignToEvents(def: TargetTableDefinition, eventColumns: ReadonlySet<string>, d: Dialect): TargetTableDefinition {
  const renames = new Map<string, string>();
  for (const c of def.columns) {
    if (eventColumns.has(c.name)) continue;
    const adjusted = adjustFieldName(c.name);
    if (adjusted !== c.name && eventColumns.has(adjusted) && !def.columns.some((x) => x.name === adjusted)) renames.set(c.name, adjusted);
  }
  if (renames.size === 0) return def;
  const rewrite = (sql: string): string => {
    let out = sql;
    for (const [from, to] of renames) out = out.split(quoteIdent(d, from)).join(quoteIdent(d, to));
    return out;
  };
  return {
    ...def,
    columns: def.columns.map((c) => {
      const to = renames.get(c.name);
      if (to === undefined) return c;
      return { ...c, name: to, ...(c.check !== undefined ? { check: rewrite(c.check) } : {}), ...(c.generated !== undefined ? { generated: rewrite(c.generated) } : {}) };
    }),
    primaryKey: def.primaryKey.map((k) => renames.get(k) ?? k),
    constraints: def.constraints.map((k) => ({ kind: k.kind, sql: rewrite(k.sql) })),
    after: def.after.map(rewrite),
    indexes: def.indexes.map(rewrite),
  };
}
