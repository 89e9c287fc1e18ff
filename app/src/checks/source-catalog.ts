/**
 * The source catalog as `ferry validate`, `ferry plan` and `ferry run` (at start) see it: the selected tables'
 * definitions (the source plugin's read-only catalog reader), and the names of every table it listed, selected or
 * not, for the "no table selected" error and its suggestions.
 *
 * The catalog readers list the catalog's tables (system schemas aside) and ask the selector about each, so a
 * selector that records the names it is asked about sees the whole catalog without another query.
 */
import type { ResolvedTask } from '../task-file/load-task.ts';
import type { TableId, TableSchema } from '../../../core/src/types.ts';
import { FerryError } from '../../../core/src/errors.ts';
import type { TableSelector } from '../../../core/src/table-selector.ts';
import { createTableSelector } from '../../../runtime/src/mapping/table-selection.ts';
import type { SelectionRule } from '../../../runtime/src/config/table-mapping-schema.ts';
import { sourcePlugin } from '../plugins.ts';
import { closestNames, patternText, quotedList } from './name-suggestions.ts';

export interface SourceCatalog {
  /** The selected tables' definitions. */
  readonly tables: readonly TableSchema[];
  /** Selected tables (or columns) the source cannot capture as they are. */
  readonly problems: readonly { readonly table: string; readonly message: string }[];
  /** Every table the catalog reader listed, selected or not (system schemas are not listed). */
  readonly listed: readonly TableId[];
  /** The listed tables the selection rules include (with or without a problem). */
  readonly selected: readonly TableId[];
}

/** Reads the catalog; null when the source plugin has no catalog reader. */
export async function readSourceCatalog(task: ResolvedTask): Promise<SourceCatalog | null> {
  const plugin = sourcePlugin(task.source.engine);
  if (!plugin.describeTables) return null;
  const inner = createTableSelector(task.tableMappings);
  const listed = new Map<string, TableId>();
  const selected = new Map<string, TableId>();
  const selector: TableSelector = {
    includes(id) {
      const key = `${id.schema}\u0000${id.table}`;
      const yes = inner.includes(id);
      listed.set(key, { schema: id.schema, table: id.table });
      if (yes) selected.set(key, { schema: id.schema, table: id.table });
      return yes;
    },
    schemaPatterns: () => inner.schemaPatterns(),
    loadOrder: (id) => inner.loadOrder(id),
  };
  const d = await plugin.describeTables({ source: task.source, taskName: task.name, selector });
  // A reader that does not ask the selector about every table still gives its tables as selected.
  for (const t of d.tables) selected.set(`${t.id.schema}\u0000${t.id.table}`, t.id);
  return { tables: d.tables, problems: d.problems, listed: [...listed.values()], selected: [...selected.values()] };
}

function selectionRules(task: ResolvedTask): SelectionRule[] {
  return task.tableMappings.rules.filter((r): r is SelectionRule => r['rule-type'] === 'selection');
}

function describeRule(r: SelectionRule): string {
  return `rule ${r['rule-id']} (${r['rule-action']} schema-name "${r['object-locator']['schema-name']}", table-name "${r['object-locator']['table-name']}")`;
}

/** Whether an include/explicit rule's schema-name matches `schema` (its table-name aside). */
function schemaMatcher(r: SelectionRule): (schema: string) => boolean {
  const pattern = r['object-locator']['schema-name'];
  if (r['rule-action'] === 'explicit') return (s) => s === pattern;
  const one = createTableSelector({ rules: [{ ...r, 'rule-action': 'include', 'object-locator': { 'schema-name': pattern, 'table-name': '%' } }] });
  return (s) => one.includes({ schema: s, table: 'x' });
}

/** Why one include/explicit rule selects nothing, with the closest names. */
function whyNothing(r: SelectionRule, listed: readonly TableId[], excluders: readonly SelectionRule[]): string {
  const loc = r['object-locator'];
  const schemas = [...new Set(listed.map((t) => t.schema))].sort();
  const inSchema = schemaMatcher(r);
  const matched = schemas.filter(inSchema);
  if (matched.length === 0) {
    const close = closestNames(patternText(loc['schema-name']), schemas);
    if (close.length > 0) return `${describeRule(r)}: no schema is named like "${loc['schema-name']}"; did you mean ${quotedList(close)}?`;
    return `${describeRule(r)}: no schema is named like "${loc['schema-name']}"; ${schemas.length === 0 ? 'the source user sees no table in any schema' : `schemas with tables: ${quotedList(schemas)}`}`;
  }
  const one = createTableSelector({ rules: [r] });
  const candidates = listed.filter((t) => inSchema(t.schema));
  const hits = candidates.filter((t) => one.includes(t));
  if (hits.length === 0) {
    const close = closestNames(patternText(loc['table-name']), candidates.map((t) => t.table));
    const where = `schema${matched.length === 1 ? '' : 's'} ${quotedList(matched)} ${matched.length === 1 ? 'has' : 'have'} no table named like "${loc['table-name']}"`;
    if (close.length > 0) return `${describeRule(r)}: ${where}; did you mean ${quotedList(close)}?`;
    return `${describeRule(r)}: ${where}; ${candidates.length === 0 ? 'they hold no table' : `tables there: ${quotedList([...new Set(candidates.map((t) => t.table))].sort())}`}`;
  }
  const by = excluders.filter((x) => hits.some((t) => createTableSelector({ rules: [{ ...x, 'rule-action': 'include' }] }).includes(t)));
  return `${describeRule(r)}: its ${hits.length} table${hits.length === 1 ? ' is' : 's are'} excluded by ${by.map((x) => `rule ${x['rule-id']}`).join(', ') || 'an exclude rule'}`;
}

/**
 * FERRY_NO_TABLES_SELECTED: names each include rule, why it selects nothing, and the closest existing schema (or
 * table) names. A task of any migration type must select at least one existing table (as DMS, which fails such a
 * task); a table created later is captured when a selection rule matches it.
 */
export function noTablesSelected(task: ResolvedTask, listed: readonly TableId[]): { readonly message: string; readonly fix: string } {
  const rules = selectionRules(task);
  const excluders = rules.filter((r) => r['rule-action'] === 'exclude');
  const reasons = rules.filter((r) => r['rule-action'] !== 'exclude').map((r) => whyNothing(r, listed, excluders));
  const where = task.source.engine === 'postgres'
    ? `schema-name is a PostgreSQL schema${task.source.database ? ` of database "${task.source.database}"` : ''}`
    : 'schema-name is the MySQL/MariaDB database';
  return {
    message: `the table mapping selects no table of the ${task.source.engine} source at ${task.source.host}:${task.source.port}: ${reasons.join('; ')}`,
    fix: `correct the selection rules (${where}; names are case-sensitive); a task must select at least one existing table, whatever its migrationType`,
  };
}

export function noTablesSelectedError(task: ResolvedTask, listed: readonly TableId[]): FerryError {
  const n = noTablesSelected(task, listed);
  return new FerryError('FERRY_NO_TABLES_SELECTED', `${n.message}${/[.?]$/.test(n.message) ? '' : '.'} Fix: ${n.fix}`, { details: { rules: selectionRules(task).map((r) => r['rule-id']) } });
}
