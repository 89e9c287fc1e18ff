/** The assessment for people: Markdown and a self-contained HTML page (every value escaped). JSON is the Assessment itself. */
import type { Assessment, AssessmentItem } from './assessment.ts';

const mdCell = (s: string | undefined): string => (s ?? '').replace(/\\/g, '\\\\').replace(/\|/g, '\\|').replace(/\r?\n/g, ' ').replace(/`/g, '\\`').replace(/</g, '&lt;').replace(/>/g, '&gt;');

export function assessmentMarkdown(a: Assessment, title: string): string {
  const out = [`# Schema conversion assessment: ${mdCell(title)}`, '', `Source: ${a.source.engine} (${mdCell(a.source.serverVersion)}) → target: ${a.target}`, ''];
  out.push('| object kind | total | converted | with a warning | manual work |', '|---|---:|---:|---:|---:|');
  for (const s of a.summary) out.push(`| ${s.kind} | ${s.total} | ${s.auto} | ${s.warning} | ${s.manual} |`);
  const section = (label: string, items: readonly AssessmentItem[]) => {
    if (items.length === 0) return;
    out.push('', `## ${label}`, '', '| kind | object | why | suggested fix |', '|---|---|---|---|');
    for (const i of items) out.push(`| ${i.kind} | ${mdCell(i.object)} | ${mdCell(i.reason)} | ${mdCell(i.fix)} |`);
  };
  section('Needs manual work', a.issues.filter((i) => i.outcome === 'manual'));
  section('Converted with a warning', a.issues.filter((i) => i.outcome === 'warning'));
  if (a.issues.length === 0) out.push('', 'Everything converted automatically.');
  return `${out.join('\n')}\n`;
}

export function escapeHtml(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&#39;');
}

export function assessmentHtml(a: Assessment, title: string): string {
  const e = (s: string | number | undefined) => escapeHtml(String(s ?? ''));
  const rows = a.summary.map((s) => `<tr><td>${e(s.kind)}</td><td>${s.total}</td><td>${s.auto}</td><td class="w">${s.warning || ''}</td><td class="m">${s.manual || ''}</td></tr>`).join('\n');
  const issues = a.issues.map((i) => `<tr class="${i.outcome === 'manual' ? 'm' : 'w'}"><td>${e(i.outcome === 'manual' ? 'manual' : 'warning')}</td><td>${e(i.kind)}</td><td><code>${e(i.object)}</code></td><td>${e(i.reason)}</td><td>${e(i.fix)}</td></tr>`).join('\n');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${e(`Schema conversion assessment: ${title}`)}</title>
<style>body{font:14px/1.4 system-ui,sans-serif;margin:2em}table{border-collapse:collapse;margin:1em 0}td,th{border:1px solid #ccc;padding:4px 8px;text-align:left;vertical-align:top}
td.w,tr.w td:first-child{background:#fff4d6}td.m,tr.m td:first-child{background:#fde0e0}code{font-size:12px}</style></head>
<body><h1>${e(`Schema conversion assessment: ${title}`)}</h1>
<p>Source: ${e(a.source.engine)} (${e(a.source.serverVersion)}) → target: ${e(a.target)}</p>
<table><thead><tr><th>object kind</th><th>total</th><th>converted</th><th>with a warning</th><th>manual work</th></tr></thead><tbody>
${rows}
</tbody></table>
<h2>Items to review (${a.issues.length})</h2>
<table><thead><tr><th>outcome</th><th>kind</th><th>object</th><th>why</th><th>suggested fix</th></tr></thead><tbody>
${issues}
</tbody></table></body></html>
`;
}
