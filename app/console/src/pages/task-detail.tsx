/**
 * One task: its state and actions, summary figures, charts of the last hour (GET /tasks/{name}/history), per-table
 * statistics, recent errors with their codes, its state changes, and its definition (secrets masked by the server).
 */
import { api, ApiError } from '../api.ts';
import { LineChart } from '../components/chart.tsx';
import { DocLink } from '../components/confirm.tsx';
import { TaskActions } from '../components/task-actions.tsx';
import { count, duration, rate, time } from '../format.ts';
import { href, usePoll } from '../hooks.ts';
import type { Me } from '../main.tsx';
import type { TableStatistics, TaskDetail, TaskHistory, TaskStatus } from '../types.ts';
import { Progress, sourceOf, StateBadge, targetsOf } from './tasks.tsx';
import { TableStats } from './table-stats.tsx';

interface Loaded { status: TaskStatus; detail: TaskDetail; tables: TableStatistics[]; history: TaskHistory }

async function load(name: string): Promise<Loaded> {
  const enc = encodeURIComponent(name);
  const [status, detail, stats, history] = await Promise.all([
    api<TaskStatus>('GET', `/tasks/${enc}/status`),
    api<{ task: TaskDetail }>('GET', `/tasks/${enc}`),
    api<{ tables: TableStatistics[] }>('GET', `/tasks/${enc}/stats`),
    api<TaskHistory>('GET', `/tasks/${enc}/history`),
  ]);
  return { status, detail: detail.task, tables: stats.tables, history };
}

function Figure({ label, value, field }: { label: string; value: string; field: string }) {
  return <div class="figure"><dt>{label}</dt><dd data-field={field}>{value}</dd></div>;
}

export function TaskPage({ me, name }: { me: Me; name: string }) {
  const { data, error, refresh } = usePoll(() => load(name), [name]);
  if (error instanceof ApiError && error.status === 404) {
    return <section><h1>{name}</h1><p class="error" role="alert">{error.message}</p><p><a href={href.tasks}>All tasks</a></p></section>;
  }
  if (!data) return <section><h1>{name}</h1>{error ? <p class="error" role="alert">{error.message}</p> : <p class="muted" role="status">Loading…</p>}</section>;
  const { status: s, detail: d, tables, history: h } = data;
  const times = h.samples.map((x) => Date.parse(x.time));
  const errors = h.events.filter((e) => e.state === 'failed').reverse();
  const running = s.status === 'running';
  return (
    <section>
      <p class="crumbs"><a href={href.tasks}>Tasks</a> / {name}</p>
      <div class="page-head">
        <h1>{name} <StateBadge state={s.status} reason={s.reason} /></h1>
        <TaskActions me={me} task={s} started={s.fullLoad.state !== 'not started' || s.reason !== 'created'} onDone={(deleted) => { if (deleted) location.hash = href.tasks; else void refresh(); }} />
      </div>
      {error && <p class="error" role="alert">{error.message}</p>}
      <p class="muted">{s.reason ? `${s.reason} · ` : ''}since {time(s.since)} · {s.migrationType} · from {sourceOf(d)} to {targetsOf(d).join(', ') || 'no target'}</p>
      <dl class="figures">
        <div class="figure wide"><dt>Full load</dt><dd><Progress f={s.fullLoad} />{s.fullLoad.etaSeconds ? <span class="muted"> · ETA {duration(s.fullLoad.etaSeconds * 1000)}</span> : null}</dd></div>
        <Figure label="Source latency" value={duration(s.latency.sourceMs)} field="sourceLatency" />
        <Figure label="Target latency" value={duration(s.latency.targetMs)} field="targetLatency" />
        <Figure label="Events/s" value={rate(s.eventsPerSecond)} field="eventsPerSecond" />
        <Figure label="Tables" value={`${count(s.tables.total)} (${count(s.tables.completed)} completed, ${count(s.tables.fullLoad)} loading, ${count(s.tables.error)} in error)`} field="tables" />
      </dl>
      <nav class="row reports" aria-label="Reports">
        <a href={href.assessment(name)}>Assessment</a>
        <a href={href.schema(name)}>Schema conversion</a>
        <a href={href.failures(name)}>Validation failures</a>
      </nav>
      {s.pendingReloads.length > 0 && <p class="muted">Waiting for their copy: {s.pendingReloads.join(', ')}</p>}

      <section aria-labelledby="charts-h">
        <div class="page-head"><h2 id="charts-h">Last hour</h2><DocLink doc="console" anchor="charts">How these are sampled</DocLink></div>
        <div class="charts">
          <LineChart title="CDC latency" times={times} windowMs={3600_000} format={(v) => duration(v)}
            series={[{ label: 'source', className: 's1', values: h.samples.map((x) => x.sourceLatencyMs) }, { label: 'target', className: 's2', values: h.samples.map((x) => x.targetLatencyMs) }]} />
          <LineChart title="Throughput (events/s)" times={times} windowMs={3600_000} format={(v) => v.toFixed(v < 10 ? 1 : 0)}
            series={[{ label: 'events/s', className: 's1', values: h.samples.map((x) => x.eventsPerSecond) }]} />
        </div>
      </section>

      <TableStats me={me} task={name} running={running} tables={tables} onReload={() => void refresh()} />

      <section aria-labelledby="errors-h">
        <div class="page-head"><h2 id="errors-h">Recent errors</h2><DocLink doc="errors">Error codes</DocLink></div>
        {errors.length === 0 ? <p class="muted">No failure since this server started.</p> : (
          <ul class="events">
            {errors.map((e) => (
              <li key={e.time} class="error-item">
                <strong>{e.code ?? 'failed'}</strong> <span class="muted">{time(e.time)}{e.disposition ? ` · ${e.disposition}` : ''}</span>
                <p>{e.reason}</p>
                {e.meaning && <p class="muted">{e.meaning} {e.disposition === 'fatal' ? 'Fix the cause, then resume the task.' : 'Ferry retried this before giving up.'}</p>}
              </li>
            ))}
          </ul>
        )}
      </section>

      <section aria-labelledby="events-h">
        <div class="page-head"><h2 id="events-h">Events</h2><DocLink doc="notifications">Notifications</DocLink></div>
        {h.events.length === 0 ? <p class="muted">No state change since this server started.</p> : (
          <ol class="events" reversed>
            {[...h.events].reverse().map((e) => <li key={`${e.time}${e.state}`}><StateBadge state={e.state} /> <span class="muted">{time(e.time)}</span> {e.reason}</li>)}
          </ol>
        )}
      </section>

      <details class="definition">
        <summary>Definition</summary>
        <p class="muted">As created; secret values are shown as <code>***</code> and references as written. <DocLink doc="configuration">Task file reference</DocLink></p>
        <pre tabIndex={0}>{JSON.stringify(d.definition, null, 2)}</pre>
      </details>
    </section>
  );
}
