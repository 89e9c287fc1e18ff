/**
 * A task's schema conversion (GET /tasks/{name}/schema-conversion, docs/schema-conversion.md): per postgres/mysql
 * target the summary per object kind, then per table its type mappings, warnings and manual items (highlighted) and
 * its DDL. Computed on request from the source catalog, so it is not polled: Refresh reads it again.
 */
import { useState } from 'preact/hooks';
import { api, ApiError } from '../api.ts';
import { DocLink } from '../components/confirm.tsx';
import { count } from '../format.ts';
import { usePoll } from '../hooks.ts';
import type { ConversionItem, ConvertedTable, SchemaConversion } from '../types.ts';
import { TaskCrumbs } from './assessment.tsx';

/** Tables rendered at once; the filter finds the others. */
const SHOWN = 100;

function Issues({ items }: { items: ConversionItem[] }) {
  return (
    <ul class="findings">
      {items.map((i) => (
        <li key={`${i.kind}${i.object}`} class={`finding sev-${i.outcome === 'manual' ? 'error' : 'warning'}`} data-object={i.object} data-outcome={i.outcome}>
          <strong>{i.outcome === 'manual' ? 'Manual' : 'Warning'}</strong> · {i.kind} <code>{i.object}</code>{i.target ? <> → <code>{i.target}</code></> : null}
          {i.reason && <p class="message">{i.reason}</p>}
          {i.fix && <p class="fix"><strong>Fix:</strong> {i.fix}</p>}
        </li>
      ))}
    </ul>
  );
}

function TableConversion({ t }: { t: ConvertedTable }) {
  return (
    <section class="plan-table" data-table={t.source} aria-label={`${t.source} → ${t.target}`}>
      <h3><code>{t.source}</code> → <code>{t.target}</code> {t.issues.length > 0 && <span class="tstate sev-warning" data-field="issues">{t.issues.length} to review</span>}</h3>
      <div class="table-wrap">
        <table class="cards">
          <caption class="sr-only">Column types of {t.source}</caption>
          <thead><tr><th scope="col">Column</th><th scope="col">Source type</th><th scope="col">Target type</th><th scope="col">Outcome</th></tr></thead>
          <tbody>
            {t.columns.map((c) => (
              <tr key={c.column} data-column={c.column} class={c.outcome !== 'auto' ? `sev-${c.outcome === 'manual' ? 'error' : 'warning'}` : undefined}>
                <th scope="row" data-label="Column"><code>{c.column}</code></th>
                <td data-label="Source type"><code>{c.sourceType ?? '—'}</code></td>
                <td data-label="Target type"><code>{c.targetType ?? '—'}</code></td>
                <td data-label="Outcome">{c.outcome === 'auto' ? 'converted' : `${c.outcome}: ${c.reason ?? ''}`}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      {t.issues.length > 0 && <Issues items={t.issues} />}
      <details><summary>DDL ({t.ddl.length} statements)</summary><pre tabIndex={0} class="ddl">{t.ddl.map((s) => `${s};`).join('\n\n')}</pre></details>
    </section>
  );
}

export function SchemaConversionPage({ name }: { name: string }) {
  const enc = encodeURIComponent(name);
  const { data, error, refresh } = usePoll(() => api<SchemaConversion>('GET', `/tasks/${enc}/schema-conversion`), [name], 0);
  const [filter, setFilter] = useState('');
  const [onlyIssues, setOnlyIssues] = useState(false);
  return (
    <section>
      <TaskCrumbs name={name} page="Schema conversion" />
      <div class="page-head"><h1>Schema conversion of {name}</h1><DocLink doc="schema-conversion">About the schema conversion</DocLink></div>
      <p class="muted">What <code>ferry convert-schema</code> produces for each postgres/mysql target, read from the source catalog now: the DDL, each column's type, and what needs review.</p>
      <div class="row filters">
        <label>Table <input type="search" value={filter} placeholder="name contains" onInput={(e) => setFilter((e.target as HTMLInputElement).value)} /></label>
        <label class="check"><input type="checkbox" checked={onlyIssues} onChange={(e) => setOnlyIssues((e.target as HTMLInputElement).checked)} /> Only tables to review</label>
        <button type="button" onClick={() => void refresh()}>Refresh</button>
      </div>
      {error && <p class="error" role="alert">{error.message}{error instanceof ApiError && error.status !== 404 ? ' (the source must be reachable: the conversion reads its catalog)' : ''}</p>}
      {!data ? (!error && <p class="muted" role="status">Reading the source catalog…</p>) : data.reason ? <p class="muted" data-testid="reason">{data.reason}</p> : data.targets.map((t) => {
        const tables = t.tables.filter((x) => x.source.includes(filter) && (!onlyIssues || x.issues.length > 0));
        return (
          <section key={t.name} data-target={t.name} aria-labelledby={`target-${t.name}`}>
            <h2 id={`target-${t.name}`}>Target {t.name} ({t.dialect}{t.schema ? `, schema ${t.schema}` : ''})</h2>
            <p class="muted">From {t.source.engine} {t.source.serverVersion}</p>
            <div class="table-wrap">
              <table class="cards summary">
                <caption class="sr-only">Objects converted for {t.name}, per kind</caption>
                <thead><tr><th scope="col">Kind</th><th scope="col" class="num">Total</th><th scope="col" class="num">Converted</th><th scope="col" class="num">With a warning</th><th scope="col" class="num">Manual</th></tr></thead>
                <tbody>
                  {t.summary.map((s) => (
                    <tr key={s.kind} data-kind={s.kind}>
                      <th scope="row" data-label="Kind">{s.kind}</th>
                      <td data-label="Total" class="num">{count(s.total)}</td><td data-label="Converted" class="num">{count(s.auto)}</td>
                      <td data-label="With a warning" class={`num${s.warning ? ' sev-warning' : ''}`}>{count(s.warning)}</td><td data-label="Manual" class={`num${s.manual ? ' sev-error' : ''}`}>{count(s.manual)}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
            {t.other.length > 0 && <><h3>Not tied to a table</h3><Issues items={t.other} /></>}
            <p class="muted" data-field="tables-shown">{tables.length > SHOWN ? `The first ${SHOWN} of ${count(tables.length)} tables` : `${count(tables.length)} of ${count(t.tables.length)} tables`}</p>
            {tables.slice(0, SHOWN).map((x) => <TableConversion key={x.source} t={x} />)}
          </section>
        );
      })}
    </section>
  );
}
