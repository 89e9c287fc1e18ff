/**
 * Which source tables a task captures, from the DMS selection rules of its table mapping:
 * a table is selected when at least one include/explicit rule matches it and no exclude rule does
 * (DMS: exclusion wins over inclusion, whatever the rule order).
 */
import type { TableMapping, SelectionRule } from '../config/table-mapping-schema.ts';
import { compileDmsPattern, exactName, type DmsPattern } from './wildcard.ts';
import { indexRules } from './rule-index.ts';
import type { TableSelector } from '../../../core/src/table-selector.ts';

export type { TableSelector };

interface CompiledRule {
  readonly action: SelectionRule['rule-action'];
  readonly schema: DmsPattern;
  readonly table: DmsPattern;
  readonly loadOrder: number;
  readonly schemaPattern: string;
}

export function createTableSelector(mapping: TableMapping): TableSelector {
  const rules: CompiledRule[] = mapping.rules
    .filter((r): r is SelectionRule => r['rule-type'] === 'selection')
    .map((r) => ({
      action: r['rule-action'],
      schema: r['rule-action'] === 'explicit' ? exactName(r['object-locator']['schema-name']) : compileDmsPattern(r['object-locator']['schema-name']),
      table: r['rule-action'] === 'explicit' ? exactName(r['object-locator']['table-name']) : compileDmsPattern(r['object-locator']['table-name']),
      loadOrder: Number(r['load-order'] ?? 0),
      schemaPattern: r['object-locator']['schema-name'],
    }));
  // Indexed by name (rule-index.ts): a rule per table for thousands of tables must not cost tables x rules.
  const index = indexRules(rules, (r) => r);
  const schemaPatterns = [...new Set(rules.filter((r) => r.action !== 'exclude').map((r) => r.schemaPattern))];
  return {
    includes(id) {
      const mine = index.matching(id);
      return mine.some((r) => r.action !== 'exclude') && !mine.some((r) => r.action === 'exclude');
    },
    schemaPatterns() {
      return [...schemaPatterns];
    },
    loadOrder(id) {
      return Math.max(0, ...index.matching(id).filter((r) => r.action !== 'exclude').map((r) => r.loadOrder));
    },
  };
}
