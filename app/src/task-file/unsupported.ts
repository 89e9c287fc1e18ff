/**
 * Constructs that the task schema accepts (they are valid DMS / Ferry grammar) but that this build of Ferry
 * cannot carry out yet. They are rejected at validation, never silently ignored.
 */
import type { ConfigProblem } from '../../../runtime/src/config/config-problems.ts';
import type { Task } from './task-schema.ts';
import { SINK_TYPES } from '../plugins.ts';
import { tableMappingProblems } from '../../../runtime/src/mapping/rule-checks.ts';


export function unsupportedConstructs(task: Task): ConfigProblem[] {
  const out: ConfigProblem[] = [];
  task.targets.forEach((t, i) => {
    if (!SINK_TYPES.includes(t.type)) {
      out.push({ path: `targets[${i}].type`, message: `the "${t.type}" sink is not available in this version of Ferry; remove this target (change events still go to Kafka)` });
    }
  });
  // Table mappings: what Ferry cannot carry out yet (runtime/src/mapping/rule-checks.ts).
  out.push(...tableMappingProblems(task.tableMappings, task.targets.map((t) => t.type)));
  return out;
}
