/** The audit log (admin): who did what, from where, with what result (GET /audit), newest first, filtered by action. */
import { useState } from 'preact/hooks';
import { api, may } from '../api.ts';
import { DocLink } from '../components/confirm.tsx';
import { time } from '../format.ts';
import { usePoll } from '../hooks.ts';
import type { Me } from '../main.tsx';
import type { AuditEntry } from '../types.ts';

const ACTIONS = ['', 'tasks.create', 'tasks.delete', 'tasks.start', 'tasks.stop', 'tasks.reloadTable', 'tasks.addTables', 'tasks.removeTables', 'tasks.plan', 'tokens.create', 'tokens.revoke', 'tokens.list', 'audit.read'];

export function AuditPage({ me }: { me: Me }) {
  const [action, setAction] = useState('');
  const [limit, setLimit] = useState('100');
  // Not polled: every read of the audit log is itself an audit entry.
  const { data, error, refresh } = usePoll(() => api<{ entries: AuditEntry[]; truncated: boolean }>('GET', '/audit', undefined, { query: { action, limit } }), [action, limit], 0);
  if (!may(me.role, 'admin')) return <section><h1>Audit log</h1><p>The audit log needs the admin role; your token has the {me.role} role.</p></section>;
  return (
    <section>
      <div class="page-head"><h1>Audit log</h1><DocLink doc="api" anchor="audit-log">About the audit log</DocLink></div>
      <p class="muted">Every action that changes state, every refused call and every read of the tokens or of this log. Reading it is itself recorded.</p>
      <div class="row filters">
        <label>Action <select value={action} onChange={(e) => setAction((e.target as HTMLSelectElement).value)}>
          {ACTIONS.map((a) => <option key={a} value={a}>{a || 'all'}</option>)}
        </select></label>
        <label>Entries <select value={limit} onChange={(e) => setLimit((e.target as HTMLSelectElement).value)}>
          {['50', '100', '500', '1000'].map((n) => <option key={n} value={n}>{n}</option>)}
        </select></label>
        <button type="button" onClick={() => void refresh()}>Refresh</button>
      </div>
      {error && <p class="error" role="alert">{error.message}</p>}
      {data && (
        <div class="table-wrap">
          <table class="audit cards">
            <caption class="sr-only">Audit log entries, newest first</caption>
            <thead><tr><th scope="col">#</th><th scope="col">Time</th><th scope="col">Who</th><th scope="col">Action</th><th scope="col">Target</th><th scope="col">Result</th><th scope="col">From</th></tr></thead>
            <tbody>
              {[...data.entries].reverse().map((e) => (
                <tr key={e.seq} data-seq={e.seq}>
                  <th scope="row" data-label="#">{e.seq}</th>
                  <td data-label="Time">{time(e.time)}</td>
                  <td data-label="Who">{e.actor.name ?? '(no valid token)'}{e.actor.role ? ` (${e.actor.role})` : ''}{e.actor.revoked ? ', revoked' : ''}</td>
                  <td data-label="Action"><code>{e.action}</code></td>
                  <td data-label="Target" class="wrap">{e.method} {e.path}</td>
                  <td data-label="Result" class={e.result.status >= 400 ? 'error' : undefined}>{e.result.status}{e.result.code ? ` ${e.result.code}` : ''}</td>
                  <td data-label="From">{e.source.address ?? '—'}</td>
                </tr>
              ))}
            </tbody>
          </table>
          {data.truncated && <p class="muted">Older entries exist: raise the number shown, or export them with <code>ferry audit export</code>.</p>}
        </div>
      )}
    </section>
  );
}
