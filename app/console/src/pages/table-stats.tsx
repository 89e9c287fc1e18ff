/**
 * Per-table statistics as in DMS's table statistics tab: sortable by any column, filtered by name and state, for
 * hundreds of tables (the first 200 rows shown, with a count). Operators may reload a table (after a confirmation:
 * its full-load rows start over); admins may add tables to the selection and remove them (POST/DELETE
 * /tasks/{name}/tables; a running task restarts from its offset, and added tables are copied).
 */
import { useMemo, useState } from 'preact/hooks';
import { api, may, messageOf } from '../api.ts';
import { Confirm, DocLink } from '../components/confirm.tsx';
import { count, time } from '../format.ts';
import type { Me } from '../main.tsx';
import type { TableStatistics } from '../types.ts';

type Key = 'table' | 'tableState' | 'inserts' | 'updates' | 'deletes' | 'ddls' | 'fullLoadRows' | 'validationState' | 'lastUpdateTime';
const COLUMNS: { key: Key; label: string; num?: boolean }[] = [
  { key: 'table', label: 'Table' }, { key: 'tableState', label: 'State' }, { key: 'inserts', label: 'Inserts', num: true },
  { key: 'updates', label: 'Updates', num: true }, { key: 'deletes', label: 'Deletes', num: true }, { key: 'ddls', label: 'DDLs', num: true },
  { key: 'fullLoadRows', label: 'Full-load rows', num: true }, { key: 'validationState', label: 'Validation' }, { key: 'lastUpdateTime', label: 'Last update' },
];
const SHOWN = 200;

const nameOf = (t: TableStatistics) => `${t.schemaName}.${t.tableName}`;
function valueOf(t: TableStatistics, k: Key): string | number {
  if (k === 'table') return nameOf(t);
  const v = t[k];
  return v === null || v === undefined ? '' : v;
}

export function TableStats({ me, task, running, tables, onReload }: { me: Me; task: string; running: boolean; tables: TableStatistics[]; onReload: () => void }) {
  const [sort, setSort] = useState<{ key: Key; asc: boolean }>({ key: 'table', asc: true });
  const [filter, setFilter] = useState('');
  const [state, setState] = useState('');
  const [reload, setReload] = useState<string | null>(null);
  const [remove, setRemove] = useState<string | null>(null);
  const [adding, setAdding] = useState('');
  const [message, setMessage] = useState<{ ok: boolean; text: string } | null>(null);
  const states = useMemo(() => [...new Set(tables.map((t) => t.tableState))].sort(), [tables]);
  const rows = useMemo(() => {
    const f = filter.trim().toLowerCase();
    const out = tables.filter((t) => (!f || nameOf(t).toLowerCase().includes(f)) && (!state || t.tableState === state));
    out.sort((a, b) => {
      const x = valueOf(a, sort.key);
      const y = valueOf(b, sort.key);
      const c = typeof x === 'number' && typeof y === 'number' ? x - y : String(x).localeCompare(String(y));
      return sort.asc ? c || nameOf(a).localeCompare(nameOf(b)) : -c || nameOf(a).localeCompare(nameOf(b));
    });
    return out;
  }, [tables, filter, state, sort]);
  const doReload = async (table: string) => {
    setReload(null);
    try {
      await api('POST', `/tasks/${encodeURIComponent(task)}/reload-table`, { tables: [table] });
      setMessage({ ok: true, text: `Reload of ${table} queued: its rows are copied again while changes keep streaming.` });
      onReload();
    } catch (e: unknown) {
      setMessage({ ok: false, text: messageOf(e) });
    }
  };
  const canReload = may(me.role, 'operator');
  const canEdit = may(me.role, 'admin');
  const editTables = async (method: 'POST' | 'DELETE', list: string[]) => {
    setRemove(null);
    setMessage(null);
    try {
      const r = await api<{ added?: string[]; removed?: string[]; reloads?: string[] }>(method, `/tasks/${encodeURIComponent(task)}/tables`, { tables: list });
      setMessage({ ok: true, text: method === 'POST'
        ? `Added ${(r.added ?? []).join(', ') || 'nothing new'}${r.reloads && r.reloads.length ? `; their rows are copied once the task has restarted (${r.reloads.join(', ')})` : ''}.`
        : `Removed ${(r.removed ?? []).join(', ') || 'nothing'} from the selection.` });
      if (method === 'POST') setAdding('');
      onReload();
    } catch (e: unknown) {
      setMessage({ ok: false, text: messageOf(e) });
    }
  };
  const toAdd = adding.split(/[\s,]+/).map((x) => x.trim()).filter(Boolean);
  return (
    <section aria-labelledby="tables-h">
      <div class="page-head">
        <h2 id="tables-h">Table statistics</h2>
        <DocLink doc="api" anchor="table-statistics-get-tasksnamestats">About these counts</DocLink>
      </div>
      <div class="row filters">
        <label>Filter tables <input type="search" value={filter} placeholder="schema.table" onInput={(e) => setFilter((e.target as HTMLInputElement).value)} /></label>
        <label>State <select value={state} onChange={(e) => setState((e.target as HTMLSelectElement).value)}>
          <option value="">all</option>{states.map((s) => <option key={s} value={s}>{s}</option>)}
        </select></label>
        <span class="muted" role="status">{rows.length === tables.length ? `${tables.length} tables` : `${rows.length} of ${tables.length} tables`}{rows.length > SHOWN ? `, first ${SHOWN} shown` : ''}</span>
      </div>
      {canEdit && (
        <form class="row" onSubmit={(e) => { e.preventDefault(); void editTables('POST', toAdd); }}>
          <label>Add tables <input value={adding} placeholder="schema.table, …" onInput={(e) => setAdding((e.target as HTMLInputElement).value)} /></label>
          <button type="submit" disabled={toAdd.length === 0}>Add to the task</button>
          <DocLink doc="api" anchor="adding-and-removing-tables">What adding does</DocLink>
        </form>
      )}
      {message && <p class={message.ok ? 'ok' : 'error'} role={message.ok ? 'status' : 'alert'}>{message.text}</p>}
      {tables.length === 0 && <p class="muted">No table has had an event yet: tables appear here once the task reads from them.</p>}
      {tables.length > 0 && <div class="table-wrap">
        <table class="stats cards">
          <thead>
            <tr>
              {COLUMNS.map((c) => (
                <th key={c.key} scope="col" class={c.num ? 'num' : undefined} aria-sort={sort.key === c.key ? (sort.asc ? 'ascending' : 'descending') : 'none'}>
                  <button type="button" class="sort" onClick={() => setSort({ key: c.key, asc: sort.key === c.key ? !sort.asc : !c.num })}>
                    {c.label}<span aria-hidden="true">{sort.key === c.key ? (sort.asc ? ' ▲' : ' ▼') : ''}</span>
                  </button>
                </th>
              ))}
              {canReload && <th scope="col">Actions</th>}
            </tr>
          </thead>
          <tbody>
            {rows.slice(0, SHOWN).map((t) => (
              <tr key={nameOf(t)} data-table={nameOf(t)}>
                <th scope="row" data-label="Table">{nameOf(t)}</th>
                <td data-label="State"><span class={`tstate tstate-${t.tableState.replace(/\s+/g, '-').toLowerCase()}`}>{t.tableState}</span></td>
                <td data-label="Inserts" class="num" data-field="inserts">{count(t.inserts)}</td>
                <td data-label="Updates" class="num" data-field="updates">{count(t.updates)}</td>
                <td data-label="Deletes" class="num" data-field="deletes">{count(t.deletes)}</td>
                <td data-label="DDLs" class="num" data-field="ddls">{count(t.ddls)}</td>
                <td data-label="Full-load rows" class="num" data-field="fullLoadRows">{count(t.fullLoadRows)}{t.fullLoadReloaded ? ' (reloaded)' : ''}</td>
                <td data-label="Validation" title={t.validationStateDetails ?? undefined}>{t.validationState}
                  {(t.validationFailedRecords ?? 0) > 0 && <span class="muted"> · {count(t.validationFailedRecords)} failed</span>}</td>
                <td data-label="Last update">{time(t.lastUpdateTime)}</td>
                {canReload && (
                  <td data-label="Actions">
                    <div class="actions">
                      <button type="button" disabled={!running} title={running ? undefined : 'start the task to reload a table'} aria-label={`Reload table ${nameOf(t)}`} onClick={() => setReload(nameOf(t))}>Reload</button>
                      {canEdit && t.tableState !== 'Table cancelled' && <button type="button" class="danger" aria-label={`Remove table ${nameOf(t)}`} onClick={() => setRemove(nameOf(t))}>Remove</button>}
                    </div>
                  </td>
                )}
              </tr>
            ))}
          </tbody>
        </table>
      </div>}
      {remove && (
        <Confirm title={`Remove ${remove} from the task?`} confirmLabel="Remove table" danger onCancel={() => setRemove(null)} onConfirm={() => void editTables('DELETE', [remove])}>
          <p>Its changes stop being captured (a running task restarts from its offset without it); it shows as Table cancelled.
            Its topic and the events already written stay. Adding it back later copies its rows again.</p>
        </Confirm>
      )}
      {reload && (
        <Confirm title={`Reload ${reload}?`} confirmLabel="Reload table" onCancel={() => setReload(null)} onConfirm={() => void doReload(reload)}>
          <p>Its rows are copied again (an execute-snapshot signal) while changes keep streaming; its full-load row count starts over.
            Consumers see every row again as a read event.</p>
        </Confirm>
      )}
    </section>
  );
}
