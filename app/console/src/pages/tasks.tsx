/** Tasks: every task with its state, type, source, targets, full-load progress, CDC latencies and events/s, live. */
import { api } from '../api.ts';
import { DocLink } from '../components/confirm.tsx';
import { TaskActions } from '../components/task-actions.tsx';
import { count, duration, rate } from '../format.ts';
import { href, usePoll } from '../hooks.ts';
import type { Me } from '../main.tsx';
import type { TaskDetail, TaskStatus, TaskSummary } from '../types.ts';
import { may } from '../api.ts';

export interface TaskRow { status: TaskStatus; detail: TaskDetail }

/** Definitions change only when updatedAt does: fetched again then, not at every poll. */
const details = new Map<string, TaskDetail>();

async function loadRows(): Promise<TaskRow[]> {
  const { tasks } = await api<{ tasks: TaskSummary[] }>('GET', '/tasks');
  return Promise.all(tasks.map(async (t) => {
    const enc = encodeURIComponent(t.name);
    const cached = details.get(t.name);
    const [status, detail] = await Promise.all([
      api<TaskStatus>('GET', `/tasks/${enc}/status`),
      cached && cached.updatedAt === t.updatedAt ? cached : api<{ task: TaskDetail }>('GET', `/tasks/${enc}`).then((r) => r.task),
    ]);
    details.set(t.name, detail);
    return { status, detail };
  }));
}

export function sourceOf(d: TaskDetail): string {
  const s = (d.definition.source ?? {}) as { engine?: string; host?: string; port?: number; database?: string };
  return `${s.engine ?? '?'} ${s.host ?? ''}${s.port ? `:${s.port}` : ''}${s.database ? `/${s.database}` : ''}`.trim();
}

export function targetsOf(d: TaskDetail): string[] {
  const def = d.definition as { kafka?: { topicPrefix?: string }; targets?: { type?: string; name?: string }[] };
  const out: string[] = [];
  if (def.kafka) out.push(`kafka${def.kafka.topicPrefix ? ` (${def.kafka.topicPrefix}.*)` : ''}`);
  for (const t of def.targets ?? []) out.push(t.name ? `${t.type} ${t.name}` : String(t.type));
  return out;
}

export function StateBadge({ state, reason }: { state: string; reason?: string | null }) {
  return <span class={`state state-${state}`} title={reason ?? undefined}>{state}</span>;
}

export function Progress({ f }: { f: TaskStatus['fullLoad'] }) {
  const pct = f.percent;
  return (
    <div class="progress-cell">
      <span data-field="fullLoadRows">{count(f.rows)}</span>{f.rowsTotalEstimate !== null && <> / ~<span data-field="rowsTotalEstimate">{count(f.rowsTotalEstimate)}</span></>} rows
      {pct !== null && <progress max={100} value={pct} aria-label={`full load ${pct}%`}>{pct}%</progress>}
      <span class="muted"> {f.state}{pct !== null ? ` · ${pct}%` : ''}</span>
    </div>
  );
}

export function TasksPage({ me }: { me: Me }) {
  const { data, error, refresh } = usePoll(loadRows, []);
  return (
    <section>
      <div class="page-head">
        <h1>Tasks</h1>
        <div class="row">
          {may(me.role, 'admin') && <a class="button primary" href={href.new}>New task</a>}
          <DocLink doc="api" anchor="task-status-get-tasksnamestatus">What these figures mean</DocLink>
        </div>
      </div>
      {error && <p class="error" role="alert">{error.message}</p>}
      {data === null && !error && <p class="muted" role="status">Loading tasks…</p>}
      {data && data.length === 0 && (
        <p>No tasks yet. {may(me.role, 'admin') ? <a href={href.new}>Create one from a task file</a> : 'An admin creates them.'}</p>
      )}
      {data && data.length > 0 && (
        <div class="table-wrap">
          <table class="tasks cards">
            <caption class="sr-only">Tasks, updated every 2 seconds</caption>
            <thead>
              <tr>
                <th scope="col">Task</th><th scope="col">State</th><th scope="col">Type</th><th scope="col">Source</th><th scope="col">Targets</th>
                <th scope="col">Full load</th><th scope="col" class="num">Source latency</th><th scope="col" class="num">Target latency</th><th scope="col" class="num">Events/s</th>
                {may(me.role, 'operator') && <th scope="col">Actions</th>}
              </tr>
            </thead>
            <tbody>
              {data.map(({ status: s, detail: d }) => (
                <tr key={s.name} data-task={s.name}>
                  <th scope="row" data-label="Task"><a href={href.task(s.name)}>{s.name}</a></th>
                  <td data-label="State"><StateBadge state={s.status} reason={s.reason} /></td>
                  <td data-label="Type">{s.migrationType ?? '—'}</td>
                  <td data-label="Source" class="wrap">{sourceOf(d)}</td>
                  <td data-label="Targets" class="wrap">{targetsOf(d).join(', ') || '—'}</td>
                  <td data-label="Full load"><Progress f={s.fullLoad} /></td>
                  <td data-label="Source latency" class="num" data-field="sourceLatency">{duration(s.latency.sourceMs)}</td>
                  <td data-label="Target latency" class="num" data-field="targetLatency">{duration(s.latency.targetMs)}</td>
                  <td data-label="Events/s" class="num" data-field="eventsPerSecond">{rate(s.eventsPerSecond)}</td>
                  {may(me.role, 'operator') && (
                    <td data-label="Actions"><TaskActions me={me} task={s} started={s.fullLoad.state !== 'not started' || s.reason !== 'created'} onDone={() => void refresh()} compact /></td>
                  )}
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}
