/**
 * Findings about the selected tables and the table mapping, from the source catalog `ferry validate` reads
 * (app/src/checks/source-catalog.ts): tables without a primary key (after the mapping's define-primary-key rules),
 * tables or columns the source cannot capture, and include rules that select nothing while others do.
 */
import type { TableSchema } from '../../../core/src/types.ts';
import type { SelectionRule, TableMapping } from '../../../runtime/src/config/table-mapping-schema.ts';
import { MappingTransformer } from '../../../runtime/src/mapping/MappingTransformer.ts';
import { createTableSelector } from '../../../runtime/src/mapping/table-selection.ts';
import type { SourceCatalog } from '../checks/source-catalog.ts';
import { closestNames, patternText, quotedList } from '../checks/name-suggestions.ts';
import { finding, type Finding } from './finding.ts';

export function tableFindings(catalog: SourceCatalog, mapping: TableMapping, skip: ReadonlySet<string>): Finding[] {
  const out: Finding[] = [];
  const transformer = new MappingTransformer(mapping);
  for (const p of catalog.problems) {
    out.push(finding({
      code: 'SOURCE_TABLE_UNSUPPORTED', severity: 'error', category: 'tables', objects: [{ table: p.table }],
      message: `${p.table}: ${p.message}`,
      fix: 'exclude the table (or remove the column with a remove-column transformation rule), or change it so the source can read it',
    }));
  }
  for (const t of catalog.tables) {
    const key = `${t.id.schema}.${t.id.table}`;
    if (skip.has(key) || mappedKey(transformer, t).length > 0) continue;
    out.push(finding({
      code: 'NO_PRIMARY_KEY', severity: 'warning', category: 'tables', objects: [{ table: key }],
      message: `${key} has no primary key: its change events have a null key (no per-key order across Kafka partitions, no compaction, a redelivered change cannot be told from a new one), and a database target applies its updates and deletes without a key`,
      fix: `add a primary key on the source (ALTER TABLE ${key} ADD PRIMARY KEY (…)), or give the target one with a define-primary-key transformation rule`,
    }));
  }
  return out;
}

function mappedKey(transformer: MappingTransformer, t: TableSchema): readonly string[] {
  try {
    return transformer.plan(t).target.primaryKey;
  } catch {
    return t.primaryKey;
  }
}

/** Include/explicit rules that select no listed table, when the selection as a whole selects some. */
export function emptyRuleFindings(catalog: SourceCatalog, mapping: TableMapping): Finding[] {
  if (catalog.selected.length === 0) return [];
  const rules = mapping.rules.filter((r): r is SelectionRule => r['rule-type'] === 'selection' && r['rule-action'] !== 'exclude');
  const out: Finding[] = [];
  for (const r of rules) {
    const one = createTableSelector({ rules: [{ ...r, 'rule-action': 'include' }] });
    if (catalog.listed.some((t) => one.includes(t))) continue;
    const loc = r['object-locator'];
    const close = closestNames(patternText(`${loc['schema-name']}.${loc['table-name']}`), catalog.listed.map((t) => `${t.schema}.${t.table}`));
    out.push(finding({
      code: 'RULE_SELECTS_NOTHING', severity: 'warning', category: 'mapping', objects: [],
      message: `selection rule ${r['rule-id']} (${r['rule-action']} schema-name "${loc['schema-name']}", table-name "${loc['table-name']}") matches no table of the source${close.length > 0 ? `; closest: ${quotedList(close)}` : ''}`,
      fix: 'correct the rule\'s object-locator (names are case-sensitive) or remove the rule',
      details: { ruleId: String(r['rule-id']) },
    }));
  }
  return out;
}
