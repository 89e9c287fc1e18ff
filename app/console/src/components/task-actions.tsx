/**
 * A task's actions, shown only to a role that may take them (operator: start, resume, stop; admin: edit while stopped, copy, delete),
 * each disabled while it cannot apply; delete asks first, naming what is lost (its stored offset).
 */
import { useState } from 'preact/hooks';
import { api, may, messageOf } from '../api.ts';
import { href } from '../hooks.ts';
import type { Me } from '../main.tsx';
import type { TaskSummary } from '../types.ts';
import { Confirm } from './confirm.tsx';

export function TaskActions({ me, task, started, onDone, compact }: { me: Me; task: TaskSummary; started: boolean; onDone: (deleted?: boolean) => void; compact?: boolean }) {
  const [busy, setBusy] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [confirm, setConfirm] = useState(false);
  if (!may(me.role, 'operator')) return null;
  const name = task.name;
  const run = async (what: string, method: string, path: string) => {
    setBusy(what);
    setError(null);
    try {
      await api(method, path);
      onDone(what === 'delete');
    } catch (e: unknown) {
      setError(messageOf(e));
    } finally {
      setBusy(null);
    }
  };
  const running = task.status === 'running' || task.status === 'starting';
  return (
    <div class="actions">
      {!running && task.status !== 'stopping' && (
        <button type="button" class="primary" disabled={busy !== null} aria-label={`${started ? 'Resume' : 'Start'} task ${name}`}
          onClick={() => run('start', 'POST', `/tasks/${encodeURIComponent(name)}/start`)}>{started ? 'Resume' : 'Start'}</button>
      )}
      {running && (
        <button type="button" disabled={busy !== null} aria-label={`Stop task ${name}`}
          onClick={() => run('stop', 'POST', `/tasks/${encodeURIComponent(name)}/stop`)}>{busy === 'stop' ? 'Stopping…' : 'Stop'}</button>
      )}
      {may(me.role, 'admin') && !compact && !running && task.status !== 'stopping' && <a class="button" href={href.edit(name)} aria-label={`Edit task ${name}`}>Edit</a>}
      {may(me.role, 'admin') && !compact && <a class="button" href={href.copy(name)} aria-label={`Copy as new task from ${name}`}>Copy as new</a>}
      {may(me.role, 'admin') && (
        <button type="button" class="danger" disabled={busy !== null} aria-label={`Delete task ${name}`} onClick={() => setConfirm(true)}>Delete</button>
      )}
      {error && <p class="error" role="alert">{error}</p>}
      {confirm && (
        <Confirm title={`Delete task ${name}?`} confirmLabel="Delete task" danger onCancel={() => setConfirm(false)}
          onConfirm={() => { setConfirm(false); void run('delete', 'DELETE', `/tasks/${encodeURIComponent(name)}`); }}>
          <p>The task is stopped if it runs, its stored offset is forgotten and its definition deleted. A new task of the same name
            starts over with a full load. Topics and rows already written stay.</p>
        </Confirm>
      )}
    </div>
  );
}
