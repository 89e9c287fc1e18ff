/**
 * Constructs that the task schema accepts (they are valid DMS / Ferry grammar) but that this build of Ferry
 * cannot carry out yet. They are rejected at validation, never silently ignored.
 */
import type { ConfigProblem } from './config-problems.ts';
import type { Task } from './task-schema.ts';

/** Sink types implemented in this build. Each sink adds itself here when it lands. */
export const IMPLEMENTED_TARGETS: ReadonlySet<string> = new Set<string>(['parquet', 'csv', 'redshift', 'dynamodb', 'kinesis', 'kafka']);

export function unsupportedConstructs(task: Task): ConfigProblem[] {
  const out: ConfigProblem[] = [];
  task.targets.forEach((t, i) => {
    if (!IMPLEMENTED_TARGETS.has(t.type)) {
      out.push({ path: `targets[${i}].type`, message: `the "${t.type}" sink is not available in this version of Ferry; remove this target (change events still go to Kafka)` });
    }
  });
  task.tableMappings.rules.forEach((r, i) => {
    const at = `tableMappings.rules[${i}]`;
    if (r['rule-type'] === 'selection') {
      if (r.filters) out.push({ path: `${at}.filters`, message: 'source filters are not supported in this version of Ferry yet; remove them (they would otherwise be ignored)' });
      if (r['object-locator']['table-type'] && r['object-locator']['table-type'] !== 'table') {
        out.push({ path: `${at}.object-locator.table-type`, message: `table-type "${r['object-locator']['table-type']}" is not supported yet; only "table"` });
      }
    } else {
      out.push({ path: `${at}.rule-type`, message: `"${r['rule-type']}" rules are not supported in this version of Ferry yet; only selection rules are applied (remove the rule rather than have it ignored)` });
    }
  });
  return out;
}
