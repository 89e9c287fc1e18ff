/**
 * Constructs that the task schema accepts (they are valid DMS / Ferry grammar) but that this build of Ferry
 * cannot carry out yet. They are rejected at validation, never silently ignored, and reported together with the
 * file's other problems: when the document as a whole fails validation, each target and each table-mapping rule
 * that is valid by itself is still checked (unsupportedInInvalidTask).
 */
import type { ConfigProblem } from '../../../runtime/src/config/config-problems.ts';
import { tableMappingRule, type TableMapping } from '../../../runtime/src/config/table-mapping-schema.ts';
import { targetSchema, TARGET_TYPES, type Task } from './task-schema.ts';
import { SINK_TYPES } from '../plugins.ts';
import { tableMappingProblems } from '../../../runtime/src/mapping/rule-checks.ts';
import { valueHandlingProblems } from './value-handling.ts';

function targetProblem(type: string, index: number): ConfigProblem[] {
  if (SINK_TYPES.includes(type)) return [];
  return [{ path: `targets[${index}].type`, message: `the "${type}" sink is not available in this version of Ferry; remove this target (change events still go to Kafka)` }];
}

export function unsupportedConstructs(task: Task): ConfigProblem[] {
  const out: ConfigProblem[] = [];
  task.targets.forEach((t, i) => out.push(...targetProblem(t.type, i)));
  // Table mappings: what Ferry cannot carry out yet (runtime/src/mapping/rule-checks.ts).
  out.push(...tableMappingProblems(task.tableMappings, task.targets.map((t) => t.type)));
  out.push(...valueHandlingProblems(task));
  return out;
}

const isRecord = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);

/**
 * The checks of unsupportedConstructs on a document that failed validation: every target and every table-mapping
 * rule that no validation issue points into is validated by itself and, if valid, checked. `issuePaths` are the
 * paths of the validation issues.
 */
export function unsupportedInInvalidTask(doc: Record<string, unknown>, issuePaths: readonly (readonly PropertyKey[])[]): ConfigProblem[] {
  const failedTargets = new Set<number>();
  const failedRules = new Set<number>();
  for (const p of issuePaths) {
    if (p[0] === 'targets' && typeof p[1] === 'number') failedTargets.add(p[1]);
    if (p[0] === 'tableMappings' && p[1] === 'rules' && typeof p[2] === 'number') failedRules.add(p[2]);
  }
  const out: ConfigProblem[] = [];
  const targets = doc.targets === undefined ? [] : doc.targets;
  // Targets that are not a list: their problem is reported already; judge the rules as if every sink were there.
  const targetTypes: string[] = Array.isArray(targets) ? [] : [...TARGET_TYPES];
  if (Array.isArray(targets)) {
    targets.forEach((t: unknown, i) => {
      const type = isRecord(t) ? t.type : undefined;
      if (typeof type === 'string') targetTypes.push(type);
      if (failedTargets.has(i)) return;
      const parsed = targetSchema.safeParse(t);
      if (parsed.success) out.push(...targetProblem(parsed.data.type, i));
    });
  }
  const rules = isRecord(doc.tableMappings) ? doc.tableMappings.rules : undefined;
  if (Array.isArray(rules)) {
    rules.forEach((rule: unknown, i) => {
      if (failedRules.has(i)) return;
      const parsed = tableMappingRule.safeParse(rule);
      if (!parsed.success) return;
      const one: TableMapping = { rules: [parsed.data] };
      for (const p of tableMappingProblems(one, targetTypes)) {
        out.push({ path: p.path.replace(/^tableMappings\.rules\[0\]/, `tableMappings.rules[${i}]`), message: p.message });
      }
    });
  }
  return out;
}

/** Cross-field rules of the task that hold whatever else is wrong with it. */
export function crossFieldProblems(doc: Record<string, unknown>): ConfigProblem[] {
  const settings = isRecord(doc.settings) ? doc.settings : {};
  if (settings.offsetStore === 'kafka' && doc.kafka === undefined) {
    return [{ path: 'settings.offsetStore', message: 'is "kafka", but the task has no kafka block; add one or use "sqlite"' }];
  }
  return [];
}
