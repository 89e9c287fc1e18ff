// docs/grafana/ferry.json is a valid Grafana dashboard whose every expression names a metric Ferry declares, and
// docs/metrics.md lists every metric Ferry declares. "Declared" is read from the source: every
// metrics.counter/gauge/histogram('<name>', ...) call under core, runtime, connectors, sinks and app, the DMS
// metric tables (runtime/src/metrics/dms-metrics.ts), and prom-client's process metrics as a PromMetrics serves them.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { PromMetrics } from '../../runtime/src/metrics/metrics.ts';
import { DMS_TASK_METRICS, DMS_VALIDATION_METRICS } from '../../runtime/src/metrics/dms-metrics.ts';

const root = join(import.meta.dirname, '..', '..');

function sourceFiles(dir: string, out: string[] = []): string[] {
  for (const name of readdirSync(dir)) {
    if (name === 'node_modules' || name === 'test') continue;
    const p = join(dir, name);
    if (statSync(p).isDirectory()) sourceFiles(p, out);
    else if (p.endsWith('.ts')) out.push(p);
  }
  return out;
}

/** ferry_<name> → type, for every metric the code declares. */
async function declared(): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  const dirs = ['core/src', 'runtime/src', 'app/src', ...['connectors', 'sinks'].flatMap((d) => readdirSync(join(root, d)).map((p) => `${d}/${p}/src`))];
  for (const d of dirs) {
    let files: string[];
    try { files = sourceFiles(join(root, d)); } catch { continue; }
    for (const f of files) {
      for (const m of readFileSync(f, 'utf8').matchAll(/\.(counter|gauge|histogram)\(\s*'([a-z0-9_]+)'/g)) out.set(`ferry_${m[2]}`, m[1]!);
    }
  }
  for (const d of [...DMS_TASK_METRICS, ...DMS_VALIDATION_METRICS]) out.set(`ferry_${d.prom}`, 'gauge');
  return out;
}

async function processMetrics(): Promise<Map<string, string>> {
  const text = await new PromMetrics().text();
  return new Map([...text.matchAll(/^# TYPE (\S+) (\S+)$/gm)].map((m) => [m[1]!, m[2]!]));
}

interface Panel { id: number; type: string; title: string; gridPos: { x: number; y: number; w: number; h: number }; datasource?: unknown; targets?: { expr: string; refId: string }[] }

test('docs/grafana/ferry.json: a Grafana dashboard with lag, throughput, full-load and error panels over metrics Ferry exports', async () => {
  const dash = JSON.parse(readFileSync(join(root, 'docs/grafana/ferry.json'), 'utf8')) as { title: string; uid: string; schemaVersion: number; panels: Panel[]; templating: { list: { name: string; query?: unknown; definition?: string }[] } };
  assert.equal(typeof dash.title, 'string');
  assert.ok(dash.uid && dash.schemaVersion >= 30, 'uid and a current schemaVersion');
  const rows = dash.panels.filter((p) => p.type === 'row').map((p) => p.title);
  assert.deepEqual(rows, ['Lag', 'Throughput', 'Full load', 'Errors']);
  const ids = new Set<number>();
  for (const p of dash.panels) {
    assert.ok(!ids.has(p.id), `panel id ${p.id} is unique`);
    ids.add(p.id);
    assert.ok(p.gridPos.x >= 0 && p.gridPos.x + p.gridPos.w <= 24 && p.gridPos.h > 0, `${p.title}: inside the 24-column grid`);
    if (p.type === 'row') continue;
    assert.ok(p.datasource, `${p.title}: has a data source`);
    assert.ok((p.targets ?? []).length > 0, `${p.title}: has queries`);
  }
  const known = new Map([...(await declared()), ...(await processMetrics())]);
  const exprs = [...dash.panels.flatMap((p) => (p.targets ?? []).map((t) => t.expr)), ...dash.templating.list.map((v) => v.definition ?? '').filter(Boolean)];
  const used = new Set<string>();
  for (const e of exprs) {
    let depth = 0;
    for (const c of e) { depth += c === '(' || c === '{' || c === '[' ? 1 : c === ')' || c === '}' || c === ']' ? -1 : 0; assert.ok(depth >= 0, `balanced: ${e}`); }
    assert.equal(depth, 0, `balanced: ${e}`);
    const names = [...e.matchAll(/\bferry_[a-z0-9_]+/g)].map((m) => m[0]);
    assert.ok(names.length > 0, `names a Ferry metric: ${e}`);
    for (const n of names) {
      const base = n.replace(/_(bucket|sum|count)$/, '');
      const ok = known.has(n) || (known.get(base) === 'histogram' && base !== n);
      assert.ok(ok, `${n} (in ${e}) is a metric Ferry exports`);
      used.add(base);
    }
  }
  for (const n of ['ferry_dms_cdc_latency_source_seconds', 'ferry_dms_cdc_latency_target_seconds', 'ferry_events_total', 'ferry_snapshot_rows_copied', 'ferry_sink_dead_letters_total']) {
    assert.ok(used.has(n), `the dashboard shows ${n}`);
  }
});

test('docs/metrics.md lists every metric Ferry declares', async () => {
  const doc = readFileSync(join(root, 'docs/metrics.md'), 'utf8');
  const missing = [...(await declared()).keys()].filter((n) => !doc.includes(`\`${n}\``)).sort();
  assert.deepEqual(missing, [], 'metrics missing from docs/metrics.md');
  for (const d of [...DMS_TASK_METRICS, ...DMS_VALIDATION_METRICS]) {
    assert.match(doc, new RegExp(`\\| \`${d.name}\` \\| \`ferry_${d.prom}\` \\| ${d.unit.replace('/', '\\/')} \\|`), `${d.name}: its Prometheus name and unit in the table`);
  }
});
