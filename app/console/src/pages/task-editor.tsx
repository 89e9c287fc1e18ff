/**
 * Create a task from its YAML (or JSON): validated as you type by POST /validate (the same paths and messages as
 * `ferry validate`, each problem at its line), previewed with POST /plan (`ferry plan`), then created with POST /tasks.
 * Edit (a stopped task) replaces its definition with PUT /tasks/{name}: secrets left as *** keep their values.
 * "Copy as new" opens an existing task's definition under a new name (its secrets masked: type them again).
 */
import { useEffect, useRef, useState } from 'preact/hooks';
import { api, ApiError, may, messageOf, ServerGone, type Problem } from '../api.ts';
import { DocLink } from '../components/confirm.tsx';
import { href } from '../hooks.ts';
import type { Me } from '../main.tsx';
import type { TaskDetail } from '../types.ts';
import { PlanView, type Plan } from './plan-view.tsx';

const TEMPLATE = `# A Ferry task (docs/configuration.md). Secrets: use references, e.g. \${env:FERRY_SECRET_SRC_PW}.
name: shop
source:
  engine: mariadb
  host: 127.0.0.1
  port: 3306
  user: cdc
  password: \${env:FERRY_SECRET_SRC_PW}
migrationType: full-load-and-cdc
tableMappings:
  rules:
    - { rule-type: selection, rule-id: "1", rule-name: all, rule-action: include,
        object-locator: { schema-name: shop, table-name: "%" } }
kafka:
  brokers: [127.0.0.1:9092]
  schemaRegistry: http://127.0.0.1:8081/apis/ccompat/v7
  topicPrefix: shop
`;

interface Validation { valid: boolean; problems: Problem[]; task: { name: string; engine: string; migrationType: string } | null }

export function EditorPage({ me, from, edit }: { me: Me; from?: string; edit?: string }) {
  const [text, setText] = useState(from || edit ? '' : TEMPLATE);
  const [editing, setEditing] = useState<TaskDetail | null>(null);
  const [v, setV] = useState<Validation | null>(null);
  const [checking, setChecking] = useState(false);
  const [plan, setPlan] = useState<Plan | null>(null);
  const [planError, setPlanError] = useState<string | null>(null);
  const [busy, setBusy] = useState<string | null>(null);
  const [saveError, setSaveError] = useState<ApiError | string | null>(null);
  const [start, setStart] = useState(false);
  const area = useRef<HTMLTextAreaElement>(null);
  const seq = useRef(0);

  useEffect(() => {
    const source = from ?? edit;
    if (!source) return;
    api<{ task: TaskDetail }>('GET', `/tasks/${encodeURIComponent(source)}`).then(
      (r) => {
        if (edit) {
          setEditing(r.task);
          setText(`# Task ${edit} (JSON is YAML too). Secrets shown as *** keep their values unless you replace them.\n${JSON.stringify(r.task.definition, null, 2)}\n`);
        } else {
          setText(`# A copy of task ${source}: give it a new name. Secrets show as *** — type them again or use references.\n${JSON.stringify({ ...r.task.definition, name: `${source}-copy` }, null, 2)}\n`);
        }
      },
      (e: unknown) => setSaveError(messageOf(e)),
    );
  }, [from, edit]);
  const asUpdate = edit ? { task: edit } : undefined;

  // Validation as you type: 300 ms after the last key, the newest answer wins.
  useEffect(() => {
    if (text.trim() === '') { setV(null); return; }
    const mine = ++seq.current;
    setChecking(true);
    const id = setTimeout(() => {
      api<Validation>('POST', '/validate', text, { yaml: true, ...(asUpdate ? { query: asUpdate } : {}) }).then(
        (r) => { if (seq.current === mine) { setV(r); setChecking(false); } },
        (e: unknown) => { if (seq.current === mine) { setChecking(false); if (!(e instanceof ServerGone)) setV({ valid: false, problems: [{ path: '(request)', message: messageOf(e) }], task: null }); } },
      );
    }, 300);
    return () => clearTimeout(id);
  }, [text]);

  if (!may(me.role, 'admin')) return <section><h1>{edit ? 'Edit task' : 'New task'}</h1><p>Creating and changing tasks needs the admin role; your token has the {me.role} role.</p></section>;
  const running = editing !== null && editing.status !== 'stopped' && editing.status !== 'failed';

  const goToLine = (line: number) => {
    const a = area.current;
    if (!a) return;
    const lines = a.value.split('\n');
    const startAt = lines.slice(0, line - 1).reduce((n, l) => n + l.length + 1, 0);
    a.focus();
    a.setSelectionRange(startAt, startAt + (lines[line - 1]?.length ?? 0));
  };
  const runPlan = async () => {
    setBusy('plan'); setPlan(null); setPlanError(null);
    try { setPlan((await api<{ plan: Plan }>('POST', '/plan', text, { yaml: true, ...(asUpdate ? { query: asUpdate } : {}) })).plan); } catch (e: unknown) { setPlanError(messageOf(e)); } finally { setBusy(null); }
  };
  const save = async () => {
    setBusy('save'); setSaveError(null);
    try {
      const r = edit
        ? await api<{ task: TaskDetail }>('PUT', `/tasks/${encodeURIComponent(edit)}`, text, { yaml: true })
        : await api<{ task: TaskDetail }>('POST', '/tasks', text, { yaml: true, query: { start: start ? 'true' : undefined } });
      if (edit && start) await api('POST', `/tasks/${encodeURIComponent(edit)}/start`);
      location.hash = href.task(r.task.name);
    } catch (e: unknown) { setSaveError(e instanceof ApiError ? e : messageOf(e)); } finally { setBusy(null); }
  };
  const problems = v?.problems ?? [];
  const lineCount = text.split('\n').length;
  return (
    <section>
      <p class="crumbs"><a href={href.tasks}>Tasks</a> / {edit ? <><a href={href.task(edit)}>{edit}</a> / edit</> : from ? `copy of ${from}` : 'new task'}</p>
      <div class="page-head"><h1>{edit ? `Edit task ${edit}` : from ? `Copy task ${from}` : 'New task'}</h1><DocLink doc="configuration">Task file reference</DocLink></div>
      {running && <p class="error" role="alert">Task {edit} is {editing?.status}: stop it before saving a change (its definition is in use).</p>}
      {edit && <p class="muted">Saving keeps the task's stored offset and statistics: it resumes where it stopped, with this definition. To read a different source from the start, copy it as a new task instead.</p>}
      <div class="editor">
        <label for="task-yaml">Task file (YAML or JSON)</label>
        <textarea id="task-yaml" ref={area} spellcheck={false} autoCapitalize="off" rows={Math.min(40, Math.max(16, lineCount + 2))} value={text}
          aria-describedby="validation" aria-invalid={v !== null && !v.valid} onInput={(e) => { setText((e.target as HTMLTextAreaElement).value); setPlan(null); }} />
        <div id="validation" class="validation" aria-live="polite" data-testid="validation">
          {checking && <p class="muted">Checking…</p>}
          {!checking && v?.valid && <p class="ok">Valid: task <strong>{v.task?.name}</strong> ({v.task?.engine}, {v.task?.migrationType}).</p>}
          {!checking && v && !v.valid && (
            <>
              <p class="error">{problems.length} problem{problems.length === 1 ? '' : 's'} (as <code>ferry validate</code> reports them):</p>
              <ul class="problems">
                {problems.map((p, i) => (
                  <li key={i} data-path={p.path}>
                    {typeof p.line === 'number' ? <button type="button" class="link" onClick={() => goToLine(p.line as number)}>line {p.line}</button> : null}
                    {' '}<code>{p.path}</code>: {p.message}
                  </li>
                ))}
              </ul>
            </>
          )}
        </div>
      </div>
      <div class="row">
        <button type="button" disabled={!v?.valid || busy !== null} onClick={() => void runPlan()}>{busy === 'plan' ? 'Planning…' : 'Preview plan'}</button>
        <label class="check"><input type="checkbox" checked={start} onChange={(e) => setStart((e.target as HTMLInputElement).checked)} /> {edit ? 'Resume it once saved' : 'Start it once created'}</label>
        <button type="button" class="primary" disabled={!v?.valid || busy !== null || running} onClick={() => void save()}>
          {busy === 'save' ? (edit ? 'Saving…' : 'Creating…') : edit ? 'Save changes' : 'Create task'}
        </button>
      </div>
      {saveError && <p class="error" role="alert">{typeof saveError === 'string' ? saveError : saveError.message}</p>}
      {planError && <p class="error" role="alert">{planError}</p>}
      {plan && <PlanView plan={plan} />}
    </section>
  );
}
