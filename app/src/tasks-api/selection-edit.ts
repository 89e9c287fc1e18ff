/**
 * Adding and removing tables of a task by editing its DMS table mapping (the stored definition), for
 * POST/DELETE /tasks/{name}/tables:
 *   - add `db.t`: drops an exclude rule this API added for it earlier, then (unless the mapping already selects it)
 *     appends `{rule-action: "explicit", rule-name: "ferry-api-add:db.t"}`;
 *   - remove `db.t`: drops an explicit rule this API added for it, then (if the mapping still selects it) appends
 *     `{rule-action: "exclude", rule-name: "ferry-api-remove:db.t"}` with the name's wildcard characters escaped.
 * A table excluded by a rule the user wrote cannot be added (exclusion wins in DMS): edit that rule instead.
 */
import type { TableMapping } from '../../../runtime/src/config/table-mapping-schema.ts';
import type { TableId } from '../../../core/src/types.ts';
import { createTableSelector } from '../../../runtime/src/mapping/table-selection.ts';

type Rule = Record<string, unknown> & { 'rule-type'?: unknown; 'rule-name'?: unknown; 'rule-id'?: unknown };

export const ADD_PREFIX = 'ferry-api-add:';
export const REMOVE_PREFIX = 'ferry-api-remove:';

/** '<db>.<table>' → its id; the first dot separates them. Null when it is not such a name. */
export function parseTableName(name: unknown): TableId | null {
  if (typeof name !== 'string') return null;
  const dot = name.indexOf('.');
  if (dot <= 0 || dot === name.length - 1) return null;
  return { schema: name.slice(0, dot), table: name.slice(dot + 1) };
}

/** A DMS pattern that matches exactly `name`. */
export function escapeDmsPattern(name: string): string {
  return name.replace(/[%_[]/g, (c) => `[${c}]`);
}

function rulesOf(definition: Record<string, unknown>): Rule[] {
  const tm = definition.tableMappings as { rules?: unknown } | undefined;
  return Array.isArray(tm?.rules) ? [...(tm.rules as Rule[])] : [];
}

function nextRuleId(rules: readonly Rule[]): string {
  let max = 0;
  for (const r of rules) if (typeof r['rule-id'] === 'string' && /^\d+$/.test(r['rule-id'])) max = Math.max(max, Number(r['rule-id']));
  return String(max + 1);
}

function selects(rules: readonly Rule[], id: TableId): boolean {
  return createTableSelector({ rules } as unknown as TableMapping).includes(id);
}

export type EditResult = { readonly definition: Record<string, unknown>; readonly changed: readonly string[] } | { readonly problem: string };

/** The definition with `tables` added to its selection. */
export function addTables(definition: Record<string, unknown>, tables: readonly string[]): EditResult {
  let rules = rulesOf(definition);
  const changed: string[] = [];
  for (const name of tables) {
    const id = parseTableName(name);
    if (!id) return { problem: `"${String(name)}" is not a table name: write <schema>.<table>` };
    rules = rules.filter((r) => r['rule-name'] !== `${REMOVE_PREFIX}${name}`);
    if (selects(rules, id)) {
      if (!changed.includes(name)) changed.push(name);
      continue;
    }
    rules.push({ 'rule-type': 'selection', 'rule-id': nextRuleId(rules), 'rule-name': `${ADD_PREFIX}${name}`, 'rule-action': 'explicit', 'object-locator': { 'schema-name': id.schema, 'table-name': id.table } });
    if (!selects(rules, id)) return { problem: `${name} is excluded by an exclude rule of the task's table mapping (exclusion wins over inclusion); change that rule to add it` };
    changed.push(name);
  }
  return { definition: { ...definition, tableMappings: { ...(definition.tableMappings as object), rules } }, changed };
}

/** The definition with `tables` removed from its selection. */
export function removeTables(definition: Record<string, unknown>, tables: readonly string[]): EditResult {
  let rules = rulesOf(definition);
  const changed: string[] = [];
  for (const name of tables) {
    const id = parseTableName(name);
    if (!id) return { problem: `"${String(name)}" is not a table name: write <schema>.<table>` };
    if (!selects(rules, id)) return { problem: `${name} is not selected by the task's table mapping` };
    rules = rules.filter((r) => r['rule-name'] !== `${ADD_PREFIX}${name}`);
    if (selects(rules, id)) {
      rules.push({ 'rule-type': 'selection', 'rule-id': nextRuleId(rules), 'rule-name': `${REMOVE_PREFIX}${name}`, 'rule-action': 'exclude', 'object-locator': { 'schema-name': escapeDmsPattern(id.schema), 'table-name': escapeDmsPattern(id.table) } });
    }
    changed.push(name);
  }
  return { definition: { ...definition, tableMappings: { ...(definition.tableMappings as object), rules } }, changed };
}
