/**
 * Schema conversion: the source catalog (core/src/catalog.ts) and the task's table mapping in, the target DDL and
 * the assessment out. Order of the script: schemas, types and sequences, tables (with primary and unique keys and
 * checks), then every foreign key (after all tables exist), then indexes, then views, then triggers and routines
 * (copied natively on the same engine, as comments for a person otherwise).
 *
 * The table mapping is applied through the engine's own compiler (runtime/src/mapping/): schema, table and column
 * renames, prefixes and case conversion, removed and added columns, change-data-type and define-primary-key.
 */
import type { CatalogTable, SourceCatalog } from '../../../core/src/catalog.ts';
import type { Column, FieldType, TableSchema } from '../../../core/src/types.ts';
import { errorMessage } from '../../../core/src/errors.ts';
import type { TableMapping } from '../config/table-mapping-schema.ts';
import { MappingTransformer } from '../mapping/MappingTransformer.ts';
import { compileMapping } from '../mapping/transform-rules.ts';
import { AssessmentBuilder, type Assessment } from './assessment.ts';
import { ddlForTable, type TableDdl, type TableNames } from './ddl-table.ts';
import { sameEngine } from './expressions.ts';
import { isMySqlFamily, literal, qualified, quoteIdent, type Dialect } from './quoting.ts';
import { commentOut, pgIdent, viewDefinition } from './objects.ts';

export interface ConvertSchemaOptions {
  readonly catalog: SourceCatalog;
  /** The same tables as the source's describeTables gives them (Connect types for data-type locators); optional. */
  readonly described?: readonly TableSchema[];
  readonly mapping: TableMapping;
  readonly target: Dialect;
  /** Put every object in this schema (database), after the mapping: the target block's `schema` key. */
  readonly targetSchema?: string;
}

export interface ConvertedTable {
  readonly source: string;
  readonly target: string;
  readonly ddl: TableDdl;
  /** The target names and primary key (after the table mapping). */
  readonly names: Pick<TableNames, 'schema' | 'table' | 'primaryKey'>;
  /** Statements of the 'Types and sequences' section this table's columns need (its enum types, its serial sequences). */
  readonly needs: readonly string[];
}

export interface ConvertedSchema {
  readonly target: Dialect;
  /** The executable statements in order (without terminators), as a driver would run them one by one. */
  readonly statements: readonly string[];
  /**
   * The statements of what relational sinks do not create (foreign keys, views, triggers, routines), to run after a
   * full load created the tables (`ferry convert-schema --apply --after-load`).
   */
  readonly afterLoad: readonly string[];
  /** The script for people and for `psql` / `mysql`: sections, terminators, manual items as comments. */
  readonly sql: string;
  readonly tables: readonly ConvertedTable[];
  readonly assessment: Assessment;
}

const STRING: FieldType = { type: 'string' };

/** A TableSchema for the mapping compiler with every catalog column (described types where known). */
function mappingSchema(t: CatalogTable, described: TableSchema | undefined): TableSchema {
  const types = new Map((described?.columns ?? []).map((c) => [c.name, c]));
  const columns: Column[] = t.columns.map((c) => ({ name: c.name, type: types.get(c.name)?.type ?? STRING, nullable: c.nullable, sourceType: c.sourceType }));
  return { id: { schema: t.schema, table: t.name }, version: 1, columns, primaryKey: t.primaryKey?.columns ?? [] };
}

export function convertSchema(o: ConvertSchemaOptions): ConvertedSchema {
  const { catalog, target: d } = o;
  const a = new AssessmentBuilder();
  const transformer = new MappingTransformer(o.mapping);
  const mapped = compileMapping(o.mapping);
  const compiled = { targetId: (id: { schema: string; table: string }) => ({ ...mapped.targetId(id), ...(o.targetSchema ? { schema: o.targetSchema } : {}) }) };
  const same = sameEngine(catalog.engine, d);
  const names = new Map<string, TableNames>();
  const described = new Map((o.described ?? []).map((t) => [`${t.id.schema}.${t.id.table}`, t]));
  for (const t of catalog.tables) {
    const key = `${t.schema}.${t.name}`;
    try {
      const p = transformer.plan(mappingSchema(t, described.get(key)));
      names.set(key, {
        schema: o.targetSchema ?? p.target.id.schema, table: p.target.id.table, primaryKey: p.target.primaryKey,
        columns: p.columns.map((tc) => {
          const v = tc.value;
          if (v.kind === 'copy') {
            const from = t.columns.find((c) => c.name === v.from)!;
            return { name: tc.column.name, from, fieldType: v.valueType, ...(v.convert ? { retyped: true } : {}) };
          }
          return { name: tc.column.name, fieldType: v.kind === 'expression' ? v.valueType : v.fromType };
        }),
      });
    } catch (e: unknown) {
      a.manual('table', key, `the table mapping cannot be applied: ${errorMessage(e)}`, 'fix the transformation rules');
    }
  }
  const q = (n: string) => quoteIdent(d, n);
  const schemas = [...new Set([...names.values()].map((n) => n.schema))];
  const sections: { title: string; statements: string[]; comments: string[] }[] = [];
  const section = (title: string) => { const s = { title, statements: [] as string[], comments: [] as string[] }; sections.push(s); return s; };

  const head = section('Schemas');
  for (const s of schemas) head.statements.push(d === 'postgres' ? `CREATE SCHEMA IF NOT EXISTS ${q(s)}` : `CREATE DATABASE IF NOT EXISTS ${q(s)} CHARACTER SET utf8mb4`);

  const types = section('Types and sequences');
  const needs = new Map<string, string[]>();
  const need = (table: string, statement: string) => {
    let l = needs.get(table);
    if (!l) needs.set(table, (l = []));
    if (!l.includes(statement)) l.push(statement);
  };
  if (d === 'postgres' && same) {
    const enums = new Map<string, string>();
    for (const t of catalog.tables) {
      const n = names.get(`${t.schema}.${t.name}`);
      if (!n) continue;
      for (const c of n.columns) {
        if (c.from?.type.userDefined !== 'enum' || c.retyped) continue;
        const k = qualified(d, n.schema, c.from.type.name);
        if (!enums.has(k)) enums.set(k, `CREATE TYPE ${k} AS ENUM (${(c.from.type.values ?? []).map((v) => literal(d, v)).join(', ')})`);
        need(`${t.schema}.${t.name}`, enums.get(k)!);
      }
    }
    types.statements.push(...enums.values());
  }
  const selectedOwner = (ownedBy: string | undefined) => {
    if (!ownedBy) return undefined;
    const parts = ownedBy.split('.');
    return names.get(parts.slice(0, 2).join('.')) ? { table: catalog.tables.find((t) => `${t.schema}.${t.name}` === parts.slice(0, 2).join('.'))!, column: parts[2]! } : undefined;
  };
  for (const s of catalog.sequences) {
    const owner = selectedOwner(s.ownedBy);
    const ownerColumn = owner?.table.columns.find((c) => c.name === owner.column);
    if (s.ownedBy && !owner) continue; // a sequence of a table the task does not select
    if (ownerColumn?.identity) continue; // created by the identity clause
    if (owner && !same) continue; // serial → AUTO_INCREMENT, reported with the column
    const schema = owner ? names.get(`${owner.table.schema}.${owner.table.name}`)!.schema : compiled.targetId({ schema: s.schema, table: s.name }).schema;
    const object = `${s.schema}.${s.name}`;
    if (d === 'mysql' && !same) {
      a.manual('sequence', object, 'MySQL has no sequences', 'use an AUTO_INCREMENT column or a counter table');
      types.comments.push(`-- manual: sequence ${object} (next value ${s.next})`);
      continue;
    }
    const typ = d === 'postgres' ? ` AS ${s.dataType}` : s.dataType === 'bigint' ? '' : ` AS ${s.dataType === 'integer' ? 'int' : s.dataType}`;
    // MariaDB's sequence range is one short of BIGINT's at both ends
    const [min, max] = d === 'postgres' ? [s.min, s.max] : [BigInt(s.min) < -9223372036854775807n ? '-9223372036854775807' : s.min, BigInt(s.max) > 9223372036854775806n ? '9223372036854775806' : s.max];
    types.statements.push(`CREATE SEQUENCE ${qualified(d, schema, s.name)}${typ} START WITH ${s.next} INCREMENT BY ${s.increment} MINVALUE ${min} MAXVALUE ${max}${s.cycle ? ' CYCLE' : d === 'postgres' ? ' NO CYCLE' : ' NOCYCLE'}`);
    if (owner) need(`${owner.table.schema}.${owner.table.name}`, types.statements.at(-1)!);
    a.auto('sequence', object, `START WITH ${s.next}`);
  }

  const tablesSection = section('Tables');
  const fkSection = section('Foreign keys (after every table exists)');
  const indexSection = section('Indexes');
  const used = new Map<string, Set<string>>();
  const tables: ConvertedTable[] = [];
  for (const t of catalog.tables) {
    const n = names.get(`${t.schema}.${t.name}`);
    if (!n) continue;
    // PostgreSQL index names are unique per schema; MySQL foreign-key names are unique per database.
    let u = used.get(n.schema);
    if (!u) used.set(n.schema, (u = new Set()));
    const ddl = ddlForTable(t, {
      sourceEngine: catalog.engine, target: d, names: n, sequences: catalog.sequences, assessment: a, usedNames: u,
      resolve: (s, tb) => names.get(`${s}.${tb}`),
    });
    tables.push({ source: `${t.schema}.${t.name}`, target: `${n.schema}.${n.table}`, ddl, names: { schema: n.schema, table: n.table, primaryKey: n.primaryKey }, needs: needs.get(`${t.schema}.${t.name}`) ?? [] });
    tablesSection.statements.push(ddl.create, ...ddl.after);
    tablesSection.comments.push(...ddl.comments);
    fkSection.statements.push(...ddl.foreignKeys);
    indexSection.statements.push(...ddl.indexes);
  }

  const viewSection = section('Views');
  const renamedTables = [...names].filter(([k, n]) => k.split('.')[1] !== n.table).map(([k]) => k.split('.')[1]!);
  for (const v of catalog.views) {
    const schema = compiled.targetId({ schema: v.schema, table: v.name }).schema;
    const name = compiled.targetId({ schema: v.schema, table: v.name }).table;
    const object = `${v.schema}.${v.name}`;
    const body = viewDefinition(v, catalog.engine, d, schema);
    if (body === null) {
      a.manual('view', object, `the view's SELECT uses syntax Ferry does not translate from ${catalog.engine} to ${d}`, 'rewrite the SELECT in the target dialect and create the view');
      viewSection.comments.push(commentOut(`view ${object}`, v.definition));
      continue;
    }
    const stale = renamedTables.filter((r) => new RegExp(`\\b${r.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\b`).test(v.definition));
    // unqualified names in the SELECT resolve in the view's own schema
    viewSection.statements.push(d === 'postgres' ? `SET search_path = ${q(schema)}` : `USE ${q(schema)}`);
    viewSection.statements.push(`CREATE VIEW ${qualified(d, schema, name)} AS ${body}`);
    if (stale.length > 0) a.warn('view', object, `the view refers to ${stale.join(', ')}, renamed by the table mapping; its SELECT keeps the source names`, 'edit the view to use the target names', `${schema}.${name}`);
    else if (same) a.auto('view', object, `${schema}.${name}`);
    else a.warn('view', object, 'the SELECT is translated token by token', 'review that it returns the same rows', `${schema}.${name}`);
  }
  if (d === 'postgres' && catalog.views.length > 0 && viewSection.statements.length > 0) viewSection.statements.push('RESET search_path');

  const codeSection = section(same ? 'Routines and triggers (copied natively)' : 'Routines and triggers (not converted: see assessment)');
  for (const r of catalog.routines) {
    const object = `${r.schema}.${r.name}`;
    const schema = compiled.targetId({ schema: r.schema, table: r.name }).schema;
    if (r.definition.trim() === '') {
      a.manual(r.kind, object, `its body is not visible to the catalog user (not its definer, no privilege to read routines)`, 'grant the privilege the assessment names, or copy the routine by hand');
      continue;
    }
    if (same) {
      if (d === 'postgres') {
        const def = r.definition.replace(new RegExp(`^(CREATE OR REPLACE (?:FUNCTION|PROCEDURE) )${escapeRe(pgIdent(r.schema))}\\.`), `$1${q(schema)}.`);
        codeSection.statements.push(def);
      } else {
        codeSection.statements.push(`USE ${q(schema)}`, r.definition);
      }
      if (schema !== r.schema) a.warn(r.kind, object, 'the body is copied verbatim and may name the source schema', `check the body for ${r.schema}.`, `${schema}.${r.name}`);
      else a.auto(r.kind, object, `${schema}.${r.name}`);
      continue;
    }
    const lang = r.language.toLowerCase() === 'sql' && catalog.engine === 'postgres' ? 'SQL' : r.language;
    a.manual(r.kind, object, `${r.kind} bodies (${lang}) are not converted between ${catalog.engine} and ${d}`,
      d === 'postgres' ? `rewrite it in PL/pgSQL: CREATE ${r.kind === 'procedure' ? 'PROCEDURE' : 'FUNCTION'} ${q(schema)}.${q(r.name)}(…) LANGUAGE plpgsql AS $$ … $$`
        : `rewrite it in MySQL's SQL/PSM: CREATE ${r.kind === 'procedure' ? 'PROCEDURE' : 'FUNCTION'} ${q(schema)}.${q(r.name)}(…) BEGIN … END`);
    codeSection.comments.push(commentOut(`${r.kind} ${object}`, r.definition));
  }
  for (const tg of catalog.triggers) {
    const object = `${tg.schema}.${tg.table}.${tg.name}`;
    const n = names.get(`${tg.schema}.${tg.table}`);
    if (!n) continue;
    if (same) {
      if (d === 'postgres') {
        let def = tg.definition.replace(/ ON (?:ONLY )?\S+ /, ` ON ${qualified(d, n.schema, n.table)} `);
        if (tg.function) {
          const [fs, fn] = [tg.function.slice(0, tg.function.indexOf('.')), tg.function.slice(tg.function.indexOf('.') + 1)];
          const target = compiled.targetId({ schema: fs, table: fn }).schema;
          def = def.replace(new RegExp(`EXECUTE (FUNCTION|PROCEDURE) (?:${escapeRe(pgIdent(fs))}\\.)?${escapeRe(pgIdent(fn))}\\(`), `EXECUTE $1 ${q(target)}.${q(fn)}(`);
        }
        codeSection.statements.push(def);
      } else {
        codeSection.statements.push(`CREATE TRIGGER ${qualified(d, n.schema, tg.name)} ${tg.timing} ${tg.event} ON ${qualified(d, n.schema, n.table)} FOR EACH ROW ${tg.definition}`);
      }
      a.auto('trigger', object, `${n.schema}.${n.table}.${tg.name}`);
      continue;
    }
    a.manual('trigger', object, `trigger ${tg.timing} ${tg.event} on ${tg.table}: ${catalog.engine === 'postgres' ? `it executes ${tg.function ?? 'a PL/pgSQL function'}, which is not converted` : 'its body is MySQL procedural SQL, which is not converted'}`,
      d === 'postgres' ? `write a PL/pgSQL trigger function, then CREATE TRIGGER ${q(tg.name)} ${tg.timing} ${tg.event} ON ${qualified(d, n.schema, n.table)} FOR EACH ROW EXECUTE FUNCTION …()`
        : `CREATE TRIGGER ${q(tg.name)} ${tg.timing} ${tg.event.split(' OR ')[0]} ON ${qualified(d, n.schema, n.table)} FOR EACH ROW BEGIN … END (one trigger per event in MySQL)`);
    codeSection.comments.push(commentOut(`trigger ${object}`, tg.definition));
  }

  // What the source's user could not see (catalog-privileges.ts): the report must not read as "none there".
  for (const b of catalog.blindSpots ?? []) a.warn(b.kind, b.object, b.reason, b.fix);

  const statements = sections.flatMap((s) => s.statements);
  const afterLoad = [fkSection, viewSection, codeSection].flatMap((s) => s.statements);
  const assessment = a.build({ engine: catalog.engine, serverVersion: catalog.serverVersion }, d);
  return { target: d, statements, afterLoad, sql: render(sections, d, catalog, assessment), tables, assessment };
}

const escapeRe = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

function render(sections: readonly { title: string; statements: readonly string[]; comments: readonly string[] }[], d: Dialect, catalog: SourceCatalog, a: Assessment): string {
  const manual = a.issues.filter((i) => i.outcome === 'manual').length;
  const out: string[] = [
    `-- Ferry schema conversion: ${catalog.engine} (${catalog.serverVersion}) → ${d}`,
    `-- ${a.items.length} objects: ${a.items.filter((i) => i.outcome === 'auto').length} converted, ${a.issues.length - manual} with a warning, ${manual} need manual work (assessment.md)`,
    d === 'postgres' ? '-- Apply in one transaction: psql -v ON_ERROR_STOP=1 --single-transaction -f schema.sql' : '-- Apply with: mysql --default-character-set=utf8mb4 < schema.sql (MySQL/MariaDB DDL is not transactional)',
  ];
  if (isMySqlFamily(d)) out.push('SET NAMES utf8mb4;');
  for (const s of sections) {
    if (s.statements.length === 0 && s.comments.length === 0) continue;
    out.push('', `-- ${s.title}`);
    for (const st of s.statements) {
      if (isMySqlFamily(d) && /\bBEGIN\b[\s\S]*;[\s\S]*\bEND\b/i.test(st)) out.push('DELIMITER ;;', `${st} ;;`, 'DELIMITER ;');
      else out.push(`${st};`);
    }
    out.push(...s.comments);
  }
  return `${out.join('\n')}\n`;
}
