/**
 * The discovery report for people: terminal text, and one self-contained HTML file (inline CSS, no script, no
 * external asset; every value from the server is escaped, since names and comments are whatever the database holds).
 * The JSON output is the DiscoveryReport itself (model.ts).
 */
import { escapeHtml } from '../../../runtime/src/schema-conversion/report.ts';
import { FEATURE_KINDS, type DiscoveredDatabase, type DiscoveryReport, type FeatureKind } from './model.ts';

export const FEATURE_LABELS: Readonly<Record<FeatureKind, string>> = {
  views: 'views', procedures: 'procedures', functions: 'functions', triggers: 'triggers', lobColumns: 'LOB columns',
  partitionedTables: 'partitioned tables', generatedColumns: 'generated columns', foreignKeys: 'foreign keys', sequences: 'sequences',
  extensions: 'extensions', events: 'events', jsonColumns: 'JSON columns', spatialColumns: 'spatial columns', userDefinedTypes: 'user-defined types',
};

/** 1536 → "1.5 KiB". */
export function bytes(n: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB'];
  let v = n;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) { v /= 1024; i++; }
  return i === 0 ? `${n} B` : `${v.toFixed(1)} ${units[i]}`;
}

const rowsText = (t: { rows: number | null; rowsExact: boolean }) => (t.rows === null ? '?' : `${t.rowsExact ? '' : '~'}${t.rows}`);

function rateLines(r: DiscoveryReport): string[] {
  const w = r.writeRate;
  if (!w) return ['write rate: not sampled (--sample-seconds 0)'];
  const log = w.logBytesPerSecond === null ? 'unknown' : `${bytes(Math.round(w.logBytesPerSecond))}/s (${bytes(w.logBytes ?? 0)} in ${w.sampledSeconds} s)`;
  const rows = w.rowWritesPerSecond === null ? '' : `, ${w.rowWritesPerSecond} ${w.method === 'wal' ? 'row writes' : 'DML statements'}/s`;
  return [`write rate: ${w.method} growth ${log}${rows}${w.note ? ` — ${w.note}` : ''}`];
}

function databaseLines(d: DiscoveredDatabase): string[] {
  const out = [`database ${d.name}${d.schemas.length > 1 || d.schemas[0] !== d.name ? ` (schemas: ${d.schemas.join(', ') || 'none'})` : ''}: ${d.totals.tables} tables, ${d.totals.rows} rows, data ${bytes(d.totals.dataBytes)}, indexes ${bytes(d.totals.indexBytes)}${d.rowWritesPerSecond !== null ? `, ${d.rowWritesPerSecond} row writes/s` : ''}`];
  const width = Math.max(5, ...d.tables.map((t) => `${t.schema}.${t.name}`.length));
  if (d.tables.length > 0) out.push(`  ${'table'.padEnd(width)}  ${'rows'.padStart(12)}  ${'data'.padStart(10)}  ${'indexes'.padStart(10)}  pk   partitions`);
  for (const t of d.tables) {
    out.push(`  ${`${t.schema}.${t.name}`.padEnd(width)}  ${rowsText(t).padStart(12)}  ${bytes(t.dataBytes).padStart(10)}  ${bytes(t.indexBytes).padStart(10)}  ${(t.primaryKey ? 'yes' : 'NO').padEnd(3)}  ${t.partitions || ''}`);
  }
  const used = FEATURE_KINDS.filter((k) => d.features[k].length > 0);
  if (used.length > 0) {
    out.push('  features:');
    for (const k of used) out.push(`    ${FEATURE_LABELS[k]} (${d.features[k].length}): ${d.features[k].map((f) => (f.detail ? `${f.object} [${f.detail}]` : f.object)).join(', ')}`);
  }
  if (d.effort) {
    const e = d.effort;
    out.push(`  effort: ${e.level} (score ${e.score}), recommended target: ${e.recommendedTarget}`);
    for (const r of e.reasons) out.push(`    - ${r}`);
    for (const c of e.candidates) out.push(`    ${c.target.padEnd(8)} score ${String(c.score).padStart(4)} (${c.level}): ${c.auto} converted, ${c.warning} with a warning, ${c.manual} manual`);
  } else {
    out.push('  effort: unknown (the catalog could not be read; see the notes)');
  }
  return out;
}

export function discoveryText(r: DiscoveryReport): string {
  const out = [
    `discover: ${r.server.engine} ${r.server.version} at ${r.server.host}:${r.server.port}: ${r.totals.databases} databases, ${r.totals.tables} tables, ${r.totals.rows} rows, data ${bytes(r.totals.dataBytes)}, indexes ${bytes(r.totals.indexBytes)}`,
    ...rateLines(r),
  ];
  for (const d of r.databases) out.push('', ...databaseLines(d));
  if (r.notes.length > 0) out.push('', 'notes:', ...r.notes.map((n) => `  - ${n}`));
  if (r.databases.some((d) => d.tables.some((t) => !t.rowsExact))) out.push('', '~ row counts are catalog estimates; --exact-counts counts them');
  return out.join('\n');
}

export function discoveryHtml(r: DiscoveryReport): string {
  const e = (s: string | number | null | undefined) => escapeHtml(String(s ?? ''));
  const title = `Ferry discovery: ${r.server.engine} at ${r.server.host}:${r.server.port}`;
  const w = r.writeRate;
  const rate = w
    ? `<p>Write rate (${e(w.method)}, ${e(w.sampledSeconds)} s): ${w.logBytesPerSecond === null ? 'unknown' : `${e(bytes(Math.round(w.logBytesPerSecond)))}/s`}${w.rowWritesPerSecond === null ? '' : `, ${e(w.rowWritesPerSecond)} ${w.method === 'wal' ? 'row writes' : 'DML statements'}/s`}${w.note ? ` — ${e(w.note)}` : ''}</p>`
    : '<p>Write rate: not sampled.</p>';
  const dbs = r.databases.map((d) => {
    const tables = d.tables.map((t) => `<tr${t.primaryKey ? '' : ' class="m"'}><td><code>${e(`${t.schema}.${t.name}`)}</code></td><td class="n">${e(rowsText(t))}</td><td class="n">${e(bytes(t.dataBytes))}</td><td class="n">${e(bytes(t.indexBytes))}</td><td>${t.primaryKey ? 'yes' : 'no'}</td><td class="n">${t.partitions || ''}</td><td>${e(t.engine)}</td></tr>`).join('\n');
    const features = FEATURE_KINDS.filter((k) => d.features[k].length > 0).map((k) => `<tr><td>${e(FEATURE_LABELS[k])}</td><td class="n">${d.features[k].length}</td><td>${d.features[k].map((f) => `<code>${e(f.object)}</code>${f.detail ? ` <small>${e(f.detail)}</small>` : ''}`).join(', ')}</td></tr>`).join('\n');
    const ef = d.effort;
    const effort = ef
      ? `<p><b>Effort: ${e(ef.level)}</b> (score ${e(ef.score)}); recommended target: <b>${e(ef.recommendedTarget)}</b></p><ul>${ef.reasons.map((x) => `<li>${e(x)}</li>`).join('')}</ul>
<table><thead><tr><th>target</th><th>score</th><th>level</th><th>converted</th><th>with a warning</th><th>manual</th><th>main manual items</th></tr></thead><tbody>
${ef.candidates.map((c) => `<tr><td>${e(c.target)}</td><td class="n">${e(c.score)}</td><td>${e(c.level)}</td><td class="n">${e(c.auto)}</td><td class="n">${e(c.warning)}</td><td class="n">${e(c.manual)}</td><td>${c.topIssues.map((i) => `${e(i.kind)} <code>${e(i.object)}</code>: ${e(i.reason)}`).join('<br>')}</td></tr>`).join('\n')}
</tbody></table>`
      : '<p>Effort: unknown (the catalog could not be read; see the notes).</p>';
    return `<h2>Database ${e(d.name)}</h2>
<p>${e(d.totals.tables)} tables, ${e(d.totals.rows)} rows, data ${e(bytes(d.totals.dataBytes))}, indexes ${e(bytes(d.totals.indexBytes))}, ${e(d.totals.tablesWithoutPrimaryKey)} without a primary key${d.schemas.length > 0 ? `; schemas: ${e(d.schemas.join(', '))}` : ''}${d.rowWritesPerSecond !== null ? `; ${e(d.rowWritesPerSecond)} row writes/s` : ''}</p>
${effort}
<table><thead><tr><th>table</th><th>rows</th><th>data</th><th>indexes</th><th>primary key</th><th>partitions</th><th>engine</th></tr></thead><tbody>
${tables}
</tbody></table>
${features ? `<table><thead><tr><th>feature</th><th>count</th><th>objects</th></tr></thead><tbody>\n${features}\n</tbody></table>` : '<p>No views, routines, triggers or special columns.</p>'}`;
  }).join('\n');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${e(title)}</title>
<style>body{font:14px/1.4 system-ui,sans-serif;margin:2em}table{border-collapse:collapse;margin:1em 0}td,th{border:1px solid #ccc;padding:4px 8px;text-align:left;vertical-align:top}
td.n{text-align:right}tr.m td{background:#fde0e0}code{font-size:12px}small{color:#555}</style></head>
<body><h1>${e(title)}</h1>
<p>${e(r.server.engine)} ${e(r.server.version)}; discovered ${e(r.discoveredAt)}; ${e(r.totals.databases)} databases, ${e(r.totals.tables)} tables, ${e(r.totals.rows)} rows, data ${e(bytes(r.totals.dataBytes))}, indexes ${e(bytes(r.totals.indexBytes))}.${r.options.exactCounts ? '' : ' Row counts marked ~ are catalog estimates.'}</p>
${rate}
${dbs}
${r.notes.length > 0 ? `<h2>Notes</h2><ul>${r.notes.map((n) => `<li>${e(n)}</li>`).join('')}</ul>` : ''}
</body></html>
`;
}
