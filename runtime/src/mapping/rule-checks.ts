/**
 * What of a (structurally valid) DMS table mapping this build of Ferry cannot carry out, as validation problems.
 * Nothing valid-but-unsupported is ignored: it is reported here, at `ferry validate` / task start.
 */
import type { ConfigProblem } from '../config/config-problems.ts';
import type { TableMapping } from '../config/table-mapping-schema.ts';
import { expressionProblem } from './expression.ts';
import { OBJECT_MAPPING_TARGETS } from './object-mapping.ts';
import { objectMappingRuleProblems, sharedTargetTables } from './object-mapping-checks.ts';
import { DMS_TYPES, dmsType } from './sql-values.ts';

const SUPPORTED_TYPES = Object.keys(DMS_TYPES).join(', ');

export function tableMappingProblems(mapping: TableMapping, targetTypes: readonly string[]): ConfigProblem[] {
  const out: ConfigProblem[] = [];
  mapping.rules.forEach((r, i) => {
    const at = `tableMappings.rules[${i}]`;
    const add = (path: string, message: string) => out.push({ path: `${at}${path}`, message });
    switch (r['rule-type']) {
      case 'selection': {
        const tt = r['object-locator']['table-type'];
        if (tt && tt !== 'table') add('.object-locator.table-type', `table-type "${tt}" is not supported yet; only "table" (Ferry captures tables from the change log, and views have none)`);
        break;
      }
      case 'transformation': {
        const target = r['rule-target'];
        if (target === 'table-tablespace' || target === 'index-tablespace') {
          add('.rule-target', `rule-target "${target}" is not supported: tablespaces exist only on Oracle targets, and Ferry's targets (Kafka topics, lake files, Redshift) have none; remove the rule`);
          break;
        }
        if (r.expression !== undefined && r['rule-action'] !== 'add-column') {
          add('.expression', `"expression" is applied only by "add-column" rules in Ferry; "${r['rule-action']}" would ignore it — remove it, or add a column with the expression`);
        }
        if (r.expression !== undefined) {
          const p = expressionProblem(r.expression);
          if (p) add('.expression', `rule ${r['rule-id']} (${r['rule-action']}): ${p}`);
        }
        const dt = r['data-type'];
        if (dt && (r['rule-action'] === 'add-column' || r['rule-action'] === 'change-data-type')) {
          if (!DMS_TYPES[dt.type]) add('.data-type.type', `data type "${dt.type}" is not supported; use one of ${SUPPORTED_TYPES}`);
          const { scale, precision } = dmsType(dt);
          if (dt.type === 'numeric' && scale !== undefined && precision !== undefined && scale > precision) add('.data-type.scale', `scale ${scale} is larger than precision ${precision}`);
        } else if (dt) {
          add('.data-type', `"data-type" is used by add-column and change-data-type only; "${r['rule-action']}" would ignore it`);
        }
        const locType = r['object-locator']['data-type'];
        if (locType !== undefined && !DMS_TYPES[locType]) add('.object-locator.data-type', `"${locType}" is not a DMS data type Ferry can match columns by; use one of ${SUPPORTED_TYPES}`);
        if (r['rule-action'] === 'define-primary-key' && r['primary-key-def']?.origin === 'unique-index') {
          add('.primary-key-def.origin', 'origin "unique-index" is not supported: Ferry\'s targets have no indexes to create; use origin "primary-key" to key the events by these columns');
        }
        break;
      }
      case 'table-settings': {
        const pl = r['parallel-load'];
        if (pl && pl.type !== 'none') {
          add('.parallel-load.type', `parallel-load "${pl.type}" is not supported: Ferry's full load reads each table in primary-key chunks, in parallel (settings.snapshot.chunkSize and parallelism); remove "parallel-load" or use type "none"`);
        }
        // lob-settings (limited / unlimited / none, bulk-max-size) are carried out by the LOB stage: runtime/src/lob/lob-policy.ts, docs/lob.md.
        break;
      }
      case 'object-mapping': {
        if (!targetTypes.some((t) => OBJECT_MAPPING_TARGETS.has(t))) {
          add('.rule-type', 'object-mapping rules shape records for kinesis, kafka and dynamodb targets, and this task has none; remove the rule (Ferry\'s own Kafka topics use the Debezium format)');
        }
        for (const p of objectMappingRuleProblems(r, targetTypes)) add(p.path, p.message);
        break;
      }
    }
  });
  const objectRules = mapping.rules.flatMap((rule, index) => (rule['rule-type'] === 'object-mapping' ? [{ index, rule }] : []));
  for (const { index, problem } of sharedTargetTables(objectRules, targetTypes)) out.push({ path: `tableMappings.rules[${index}]${problem.path}`, message: problem.message });
  return out;
}
