/** `ferry plan <task-file>`: a dry run against the live source catalog (app/src/plan/plan-task.ts). */
import { loadTaskFileAsync } from '../../task-file/load-task.ts';
import { planTask, type PlannedTable, type TaskPlan } from '../../plan/plan-task.ts';
import type { PlannedTarget } from '../../plan/target-ddl.ts';
import type { AssessmentItem } from '../../../../runtime/src/schema-conversion/assessment.ts';
import type { CheckResult } from '../../../../core/src/check-result.ts';
import { EXIT, type ExitCode } from '../exit-codes.ts';
import { err, out, outJson, reportError } from '../output.ts';

export interface PlanCommandOptions {
  readonly json?: boolean;
  readonly timeoutMs?: number;
}

const MARK = { ok: 'ok  ', warn: 'WARN', fail: 'FAIL' } as const;

export async function planCommand(file: string, options: PlanCommandOptions): Promise<ExitCode> {
  const json = options.json === true;
  let task;
  try {
    task = await loadTaskFileAsync(file);
  } catch (e: unknown) {
    return reportError(e, json);
  }
  let plan: TaskPlan;
  try {
    plan = await planTask(task, options.timeoutMs === undefined ? {} : { timeoutMs: options.timeoutMs });
  } catch (e: unknown) {
    return reportError(e, json);
  }
  if (json) outJson({ file, ...plan });
  else printPlan(file, plan);
  return plan.ok ? EXIT.OK : EXIT.CHECK_FAILED;
}

export function printPlan(file: string, plan: TaskPlan): void {
  out(`plan: task ${plan.task} (${plan.engine}) from ${file}`);
  out('');
  out('Prerequisites:');
  for (const c of plan.checks) out(`  ${checkLine(c)}`);
  out('');
  out(`Tables: ${plan.tables.length} selected`);
  for (const t of plan.tables) printTable(t);
  if (plan.databaseTargets && plan.databaseTargets.length > 0) {
    out('');
    out('Database targets (the DDL of ferry convert-schema):');
    for (const d of plan.databaseTargets) printDatabaseTarget(d);
  }
  if (plan.problems.length > 0) {
    out('');
    out('Problems:');
    for (const p of plan.problems) out(`  FAIL ${p.table}: ${p.message}`);
  }
  const subjects = plan.tables.flatMap((t) => t.subjects);
  const count = (c: string) => subjects.filter((s) => s.compatibility === c).length;
  const failed = plan.checks.filter((c) => c.status === 'fail').length;
  out('');
  const summary = `plan: ${plan.tables.length} tables, ${plan.tables.reduce((n, t) => n + t.columns.length, 0)} columns; schemas: ${count('new')} new, ${count('registered')} registered, ${count('compatible')} compatible, ${count('incompatible')} incompatible${count('unknown') ? `, ${count('unknown')} unknown` : ''}; checks: ${failed} failed; problems: ${plan.problems.length}`;
  if (plan.ok) out(summary);
  else err(summary);
}

function printTable(t: PlannedTable): void {
  out('');
  out(`  ${t.source} → ${t.target}  (topic ${t.topic})`);
  const rows = t.columns.map((c) => [`${c.name}${c.key ? ' *' : ''}`, `${c.type}${c.nullable ? '' : ' not null'}`, `${c.from}${c.sourceType ? ` [${c.sourceType}]` : ''}`]);
  const widths = [0, 1].map((i) => Math.max(i === 0 ? 6 : 4, ...rows.map((r) => r[i]!.length)));
  out(`    ${'column'.padEnd(widths[0]!)}  ${'type'.padEnd(widths[1]!)}  from`);
  for (const r of rows) out(`    ${r[0]!.padEnd(widths[0]!)}  ${r[1]!.padEnd(widths[1]!)}  ${r[2]}`);
  if (t.removed.length > 0) out(`    removed: ${t.removed.join(', ')}`);
  if (t.rules.length > 0) out(`    rules: ${t.rules.join('; ')}`);
  if (t.lob) out(`    LOB: ${t.lob.mode} (${t.lob.from}): ${t.lob.columns.join(', ')}`);
  for (const s of t.subjects) out(`    schema ${s.subject}: ${s.compatibility}${s.latestVersion !== undefined ? ` (latest version ${s.latestVersion})` : ''}${s.error ? ` — ${s.error}` : ''}`);
  for (const d of t.targets ?? []) {
    out(`    target ${d.name} (${d.type})${d.table ? ` → ${d.table}` : ': no DDL (see the assessment)'}`);
    for (const st of d.ddl) for (const line of `${st};`.split('\n')) out(`      ${line}`);
    for (const i of d.assessment) out(`      ${itemLine(i)}`);
  }
}

function printDatabaseTarget(d: PlannedTarget): void {
  const n = (k: 'total' | 'auto' | 'warning' | 'manual') => d.summary.reduce((a, s) => a + s[k], 0);
  out(`  ${d.name} (${d.type}${d.schema ? `, every table in ${d.schema}` : ''}): ${n('total')} objects, ${n('auto')} converted, ${n('warning')} with a warning, ${n('manual')} manual`);
  for (const i of d.other) out(`    ${itemLine(i)}`);
}

function itemLine(i: AssessmentItem): string {
  return `${i.outcome === 'manual' ? 'MANUAL' : 'WARN'} ${i.kind} ${i.object}${i.target ? ` → ${i.target}` : ''}: ${i.reason ?? ''}${i.fix ? ` (fix: ${i.fix})` : ''}`;
}

function checkLine(c: CheckResult): string {
  return `${MARK[c.status]} ${c.check}: ${c.message}${c.fix && c.status !== 'ok' ? ` (fix: ${c.fix})` : ''}`;
}
