/**
 * A task's validation failures (GET /tasks/{name}/validation-failures, docs/validation.md "The failures table"): the
 * rows `ferry validate-data` and continuous validation wrote to each postgres/mysql target, filtered by table, paged.
 * Each read opens a connection to the targets, so it is not polled: Refresh reads again.
 */
import { useState } from 'preact/hooks';
import { api } from '../api.ts';
import { DocLink } from '../components/confirm.tsx';
import { time } from '../format.ts';
import { usePoll } from '../hooks.ts';
import type { TableStatistics, ValidationFailure, ValidationFailures } from '../types.ts';
import { TaskCrumbs } from './assessment.tsx';

const text = (v: string | null): string => (v === null ? 'NULL' : v);

/** The row's values now: "col: source → target" for a difference, the present side's values for a missing row. */
export function valueLines(f: ValidationFailure): string[] {
  if (!f.values) return [];
  return Object.entries(f.values).map(([c, v]) => (f.failureType === 'RECORD_DIFF' ? `${c}: ${text(v.source)} → ${text(v.target)}` : `${c}: ${text(f.failureType === 'MISSING_TARGET' ? v.source : v.target)}`));
}

const TYPES: Record<string, string> = { RECORD_DIFF: 'values differ', MISSING_TARGET: 'missing in the target', MISSING_SOURCE: 'missing in the source' };

export function ValidationFailuresPage({ name }: { name: string }) {
  const enc = encodeURIComponent(name);
  const [table, setTable] = useState('');
  const [limit, setLimit] = useState('100');
  /** The cursors of the pages before this one (the first page is ''). */
  const [pages, setPages] = useState<string[]>(['']);
  const after = pages[pages.length - 1]!;
  const { data, error, refresh } = usePoll(async () => {
    const [f, s] = await Promise.all([
      api<ValidationFailures>('GET', `/tasks/${enc}/validation-failures`, undefined, { query: { table, limit, after, values: 'true' } }),
      api<{ tables: TableStatistics[] }>('GET', `/tasks/${enc}/stats`),
    ]);
    return { f, tables: s.tables.map((t) => `${t.schemaName}.${t.tableName}`).sort() };
  }, [name, table, limit, after], 0);
  const reset = () => setPages(['']);
  return (
    <section>
      <TaskCrumbs name={name} page="Validation failures" />
      <div class="page-head"><h1>Validation failures of {name}</h1><DocLink doc="validation" anchor="the-failures-table">About validation and the failures table</DocLink></div>
      <p class="muted">The rows that differed when the task's data was last validated (<code>ferry validate-data</code>, or continuous validation), as each target's failures table holds them: the key and the columns that differ. The values are read now from the source and the target by key, so a row changed since shows its new values.</p>
      <div class="row filters">
        <label for="vf-table">Table</label> <select id="vf-table" value={table} onChange={(e) => { setTable((e.target as HTMLSelectElement).value); reset(); }}>
          <option value="">all</option>
          {(data?.tables ?? []).map((t) => <option key={t} value={t}>{t}</option>)}
        </select>
        <label for="vf-limit">Rows per page</label> <select id="vf-limit" value={limit} onChange={(e) => { setLimit((e.target as HTMLSelectElement).value); reset(); }}>
          {['20', '100', '500'].map((n) => <option key={n} value={n}>{n}</option>)}
        </select>
        <button type="button" onClick={() => void refresh()}>Refresh</button>
      </div>
      {error && <p class="error" role="alert">{error.message}</p>}
      {data?.f.valuesError && <p class="error">{data.f.valuesError}</p>}
      {!data ? (!error && <p class="muted" role="status">Reading the targets…</p>) : data.f.reason ? <p class="muted" data-testid="reason">{data.f.reason}</p> : (
        <>
          <ul class="checks" aria-label="Failures tables">
            {data.f.targets.map((t) => (
              <li key={t.name} data-target={t.name} class={t.error ? 'check-fail' : undefined}>
                Target {t.name}: <code>{t.table}</code> {t.error ? `cannot be read: ${t.error}` : t.exists === false ? '— not there yet: no validation has run on this target' : ''}
              </li>
            ))}
          </ul>
          {data.f.failures.length === 0 ? <p class="ok" data-testid="no-failures">{pages.length > 1 ? 'No more failures.' : `No validation failures${table ? ` for ${table}` : ''}.`}</p> : (
            <div class="table-wrap">
              <table class="cards failures">
                <caption class="sr-only">Validation failures, oldest first</caption>
                <thead><tr><th scope="col">Table</th><th scope="col">Key</th><th scope="col">Failure</th><th scope="col">Columns</th><th scope="col">Values now</th><th scope="col">Target</th><th scope="col">Detected</th></tr></thead>
                <tbody>
                  {data.f.failures.map((f) => (
                    <tr key={f.cursor} data-cursor={f.cursor}>
                      <th scope="row" data-label="Table" class="wrap" data-field="sourceTable">{f.sourceTable}</th>
                      <td data-label="Key" class="wrap" data-field="key"><code>{Object.entries(f.key).map(([k, v]) => `${k}=${v}`).join(', ')}</code></td>
                      <td data-label="Failure" data-field="failureType"><span><span class={`tstate sev-${f.failureType === 'RECORD_DIFF' ? 'warning' : 'error'}`}>{f.failureType}</span> <span class="muted">{TYPES[f.failureType] ?? ''}</span></span></td>
                      <td data-label="Columns" class="wrap" data-field="columns">{f.columns.length ? f.columns.join(', ') : '—'}</td>
                      <td data-label="Values now" class="wrap" data-field="values">{f.values === null ? <span class="muted">not readable</span> : <ul class="values">{valueLines(f).map((l) => <li key={l}>{l}</li>)}</ul>}</td>
                      <td data-label="Target" class="wrap" data-field="target">{f.target}: {f.targetTable}</td>
                      <td data-label="Detected" data-field="detectedAt">{time(f.detectedAt)}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          )}
          <div class="row">
            {pages.length > 1 && <button type="button" onClick={reset}>First page</button>}
            {data.f.next && <button type="button" onClick={() => setPages([...pages, data.f.next!])}>Next page</button>}
            <span class="muted" data-field="page">Page {pages.length}</span>
          </div>
        </>
      )}
    </section>
  );
}
