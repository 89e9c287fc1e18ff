/** The terminal report of `ferry assess`: findings grouped by severity, each with its objects and fix, then the scope and a summary line. */
import type { AssessmentReport, Finding, Severity } from './finding.ts';

const HEADINGS: Readonly<Record<Severity, string>> = { error: 'Errors', warning: 'Warnings', info: 'Info' };
const MARK: Readonly<Record<Severity, string>> = { error: 'ERROR', warning: 'WARN ', info: 'info ' };

export function objectText(f: Finding): string {
  return f.objects.map((o) => [o.target ? `target ${o.target}` : '', o.table ? `${o.table}${o.column ? `.${o.column}` : ''}` : o.column ?? ''].filter(Boolean).join(': ')).join(', ');
}

/** One finding in two or three lines: mark, code and message; the objects; the fix. */
export function findingLines(f: Finding): string[] {
  const lines = [`${MARK[f.severity]} ${f.code}: ${f.message}`];
  const objects = objectText(f);
  if (objects) lines.push(`        on: ${objects}`);
  if (f.fix) lines.push(`        fix: ${f.fix}`);
  return lines;
}

export function summaryLine(r: Pick<AssessmentReport, 'summary'>): string {
  const s = r.summary;
  const n = (k: number, one: string) => `${k} ${one}${k === 1 ? '' : 's'}`;
  return `${n(s.errors, 'error')}, ${n(s.warnings, 'warning')}, ${n(s.infos, 'info')}`;
}

export function textReport(r: AssessmentReport): string {
  const out = [`assess: task ${r.task} (${r.sourceEngine} source, ${r.migrationType})`];
  for (const sev of ['error', 'warning', 'info'] as const) {
    const of = r.findings.filter((f) => f.severity === sev);
    if (of.length === 0) continue;
    out.push('', `${HEADINGS[sev]} (${of.length})`);
    for (const f of of) out.push(...findingLines(f).map((l) => `  ${l}`));
  }
  if (r.estimate) out.push('', `Estimate: ${r.estimate.rows} rows, ${(r.estimate.bytes / 1048576).toFixed(1)} MiB in ${r.estimate.tables.length} tables; full load about ${r.estimate.fullLoadSeconds} s at ${r.estimate.rowsPerSecond} rows/s`);
  out.push('', 'Checked:');
  for (const s of r.scope) out.push(`  ${s.area}: ${s.checked}`);
  out.push('', `assess: ${summaryLine(r)}${r.summary.errors > 0 ? ' — ferry run refuses to start until the errors are fixed (or is given --skip-assessment)' : ''}`);
  return `${out.join('\n')}\n`;
}
