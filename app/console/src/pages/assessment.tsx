/**
 * A task's premigration assessment (GET /tasks/{name}/assessment, docs/assessment.md): the latest report's findings
 * grouped by severity, then category, each with its code, message, objects and fix; "Run assessment" (operator,
 * POST /tasks/{name}/assessment with `ferry assess`'s options).
 */
import { useState } from 'preact/hooks';
import { api, ApiError, may } from '../api.ts';
import { DocLink } from '../components/confirm.tsx';
import { count, duration, time } from '../format.ts';
import { href, usePoll } from '../hooks.ts';
import type { Me } from '../main.tsx';
import type { Finding, StoredAssessment } from '../types.ts';

const SEVERITIES = [['error', 'Errors'], ['warning', 'Warnings'], ['info', 'Information']] as const;

export const objectText = (o: Finding['objects'][number]): string =>
  [o.table ? `${o.table}${o.column ? `.${o.column}` : ''}` : o.column ?? '', o.target ? `target ${o.target}` : ''].filter(Boolean).join(' · ');

export function TaskCrumbs({ name, page }: { name: string; page: string }) {
  return <p class="crumbs"><a href={href.tasks}>Tasks</a> / <a href={href.task(name)}>{name}</a> / {page}</p>;
}

function FindingItem({ f }: { f: Finding }) {
  return (
    <li class={`finding sev-${f.severity}`} data-code={f.code} data-severity={f.severity} data-category={f.category}>
      <code class="code">{f.code}</code> <span class="message">{f.message}</span>
      {f.objects.length > 0 && <p class="objects muted">{f.objects.map(objectText).join(', ')}</p>}
      {f.fix && <p class="fix"><strong>Fix:</strong> {f.fix}</p>}
    </li>
  );
}

export function AssessmentPage({ me, name }: { me: Me; name: string }) {
  const enc = encodeURIComponent(name);
  const { data, error, refresh } = usePoll(() => api<StoredAssessment>('GET', `/tasks/${enc}/assessment`), [name]);
  const [rps, setRps] = useState('');
  const [lob, setLob] = useState('');
  const [busy, setBusy] = useState(false);
  const [runError, setRunError] = useState<string | null>(null);
  const run = async () => {
    setBusy(true);
    setRunError(null);
    try {
      await api('POST', `/tasks/${enc}/assessment`, { ...(rps ? { rowsPerSecond: Number(rps) } : {}), ...(lob ? { lobSampleRows: Number(lob) } : {}) });
      await refresh();
    } catch (e: unknown) {
      setRunError(e instanceof Error ? e.message : String(e));
    } finally {
      setBusy(false);
    }
  };
  const head = (
    <>
      <TaskCrumbs name={name} page="Assessment" />
      <div class="page-head"><h1>Assessment of {name}</h1><DocLink doc="assessment">About the assessment and its codes</DocLink></div>
    </>
  );
  if (error instanceof ApiError && error.status === 404) return <section>{head}<p class="error" role="alert">{error.message}</p></section>;
  const r = data?.report ?? null;
  const running = busy || data?.running === true;
  return (
    <section>
      {head}
      <p class="muted">The checks of <code>ferry assess</code>: the source's prerequisites, table sizes and the full-load estimate, tables without a key, LOB sizes, types, and existing tables on postgres/mysql targets. Read-only on the source.</p>
      {may(me.role, 'operator') && (
        <form class="row filters" onSubmit={(e) => { e.preventDefault(); void run(); }}>
          <label>Rows/s for the estimate <input type="number" min={1} inputMode="numeric" placeholder="50000" value={rps} onInput={(e) => setRps((e.target as HTMLInputElement).value)} /></label>
          <label>LOB sample rows <input type="number" min={1} inputMode="numeric" placeholder="100000" value={lob} onInput={(e) => setLob((e.target as HTMLInputElement).value)} /></label>
          <button type="submit" class="primary" disabled={running}>{running ? 'Assessing…' : 'Run assessment'}</button>
        </form>
      )}
      {runError && <p class="error" role="alert">{runError}</p>}
      {error && !(error instanceof ApiError && error.status === 404) && <p class="error" role="alert">{error.message}</p>}
      {!data ? <p class="muted" role="status">Loading…</p> : r === null ? (
        <p class="muted" data-testid="no-assessment">No assessment of this task yet.{may(me.role, 'operator') ? ' Run one above.' : ' An operator or admin can run one.'}</p>
      ) : (
        <>
          <dl class="figures">
            <div class="figure"><dt>Result</dt><dd data-field="ok" class={r.ok ? 'ok' : 'error'}>{r.ok ? 'No errors' : 'Errors found'}</dd></div>
            <div class="figure"><dt>Errors</dt><dd data-field="errors">{count(r.summary.errors)}</dd></div>
            <div class="figure"><dt>Warnings</dt><dd data-field="warnings">{count(r.summary.warnings)}</dd></div>
            <div class="figure"><dt>Information</dt><dd data-field="infos">{count(r.summary.infos)}</dd></div>
            {r.estimate && <div class="figure"><dt>Full-load estimate</dt><dd data-field="estimate">{count(r.estimate.rows)} rows, {duration(r.estimate.fullLoadSeconds * 1000)}</dd></div>}
          </dl>
          <p class="muted" data-field="assessed">Assessed {time(r.assessedAt)}{data.requestedBy ? ` by ${data.requestedBy}` : ''} in {duration(data.durationMs)} · {r.sourceEngine} · {r.migrationType}</p>
          {SEVERITIES.map(([sev, title]) => {
            const list = r.findings.filter((f) => f.severity === sev);
            if (list.length === 0) return null;
            const categories = [...new Set(list.map((f) => f.category))];
            return (
              <section key={sev} aria-labelledby={`sev-${sev}`} data-severity-group={sev}>
                <h2 id={`sev-${sev}`} class={`sev-${sev}`}>{title} ({list.length})</h2>
                {categories.map((c) => (
                  <div key={c} data-category-group={c}>
                    <h3>{c} ({list.filter((f) => f.category === c).length})</h3>
                    <ul class="findings">{list.filter((f) => f.category === c).map((f, i) => <FindingItem key={`${f.code}${i}`} f={f} />)}</ul>
                  </div>
                ))}
              </section>
            );
          })}
          <details class="definition">
            <summary>What was checked ({r.scope.length} areas)</summary>
            <ul>{r.scope.map((s) => <li key={s.area}><strong>{s.area}</strong>: {s.checked}</li>)}</ul>
          </details>
        </>
      )}
    </section>
  );
}
