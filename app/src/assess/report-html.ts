/**
 * The assessment as one self-contained HTML page: inline CSS, no script, no external asset; every value from the
 * task, the databases or a finding is escaped (escapeHtml of the schema-conversion report).
 */
import { escapeHtml } from '../../../runtime/src/schema-conversion/report.ts';
import type { AssessmentReport, Severity } from './finding.ts';
import { objectText, summaryLine } from './report-text.ts';

const e = (v: string | number | boolean | null | undefined): string => escapeHtml(String(v ?? ''));
const LABEL: Readonly<Record<Severity, string>> = { error: 'Errors', warning: 'Warnings', info: 'Info' };

export function htmlReport(r: AssessmentReport): string {
  const title = `Premigration assessment: ${r.task}`;
  const sections = (['error', 'warning', 'info'] as const).map((sev) => {
    const of = r.findings.filter((f) => f.severity === sev);
    if (of.length === 0) return '';
    const rows = of.map((f) => `<tr class="${sev}"><td><code>${e(f.code)}</code></td><td>${e(objectText(f))}</td><td>${e(f.message)}</td><td>${e(f.fix)}</td></tr>`).join('\n');
    return `<h2>${LABEL[sev]} (${of.length})</h2>
<table><thead><tr><th>code</th><th>objects</th><th>finding</th><th>fix</th></tr></thead><tbody>
${rows}
</tbody></table>`;
  }).filter(Boolean).join('\n');
  const scope = r.scope.map((s) => `<tr><td>${e(s.area)}</td><td>${e(s.checked)}</td></tr>`).join('\n');
  const estimate = r.estimate
    ? `<p>Estimate: ${e(r.estimate.rows)} rows, ${e((r.estimate.bytes / 1048576).toFixed(1))} MiB in ${e(r.estimate.tables.length)} tables; full load about ${e(r.estimate.fullLoadSeconds)} s at ${e(r.estimate.rowsPerSecond)} rows/s.</p>`
    : '';
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${e(title)}</title>
<style>body{font:14px/1.4 system-ui,sans-serif;margin:2em}table{border-collapse:collapse;margin:1em 0}td,th{border:1px solid #ccc;padding:4px 8px;text-align:left;vertical-align:top}
tr.error td:first-child{background:#fde0e0}tr.warning td:first-child{background:#fff4d6}tr.info td:first-child{background:#e6f0fb}.summary{font-weight:bold}</style></head>
<body><h1>${e(title)}</h1>
<p>Source: ${e(r.sourceEngine)}; migration type ${e(r.migrationType)}; assessed ${e(r.assessedAt)} (profile ${e(r.profile)}).</p>
<p class="summary">${e(summaryLine(r))}${r.summary.errors > 0 ? ' — ferry run refuses to start until the errors are fixed (or is given --skip-assessment)' : ''}</p>
${estimate}
${sections || '<p>No findings.</p>'}
<h2>What was checked</h2>
<table><thead><tr><th>area</th><th>checked</th></tr></thead><tbody>
${scope}
</tbody></table></body></html>
`;
}
