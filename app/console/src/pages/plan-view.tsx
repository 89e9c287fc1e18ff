/** The `ferry plan` preview (POST /plan): checks, then per table its target, topic, columns and schema compatibility. */
import { DocLink } from '../components/confirm.tsx';

interface Check { check: string; status: 'ok' | 'warn' | 'fail'; message: string; fix?: string }
interface Column { name: string; type: string; nullable: boolean; key: boolean; from: string; sourceType?: string }
interface Subject { subject: string; kind: string; compatibility: string; latestVersion?: number; error?: string }
interface Table { source: string; target: string; topic: string; columns: Column[]; removed: string[]; primaryKey: string[]; rules: string[]; subjects: Subject[] }
export interface Plan { ok: boolean; task: string; engine: string; checks: Check[]; tables: Table[]; problems: { table: string; message: string }[] }

export function PlanView({ plan }: { plan: Plan }) {
  return (
    <section class="plan" aria-labelledby="plan-h" data-testid="plan">
      <div class="page-head"><h2 id="plan-h">Plan: {plan.tables.length} table{plan.tables.length === 1 ? '' : 's'} {plan.ok ? '' : '(with problems)'}</h2><DocLink doc="cli" anchor="ferry-plan">ferry plan</DocLink></div>
      <ul class="checks">
        {plan.checks.map((c) => <li key={c.check} class={`check-${c.status}`}><strong>{c.status.toUpperCase()}</strong> {c.check}: {c.message}{c.fix && c.status !== 'ok' ? ` (fix: ${c.fix})` : ''}</li>)}
      </ul>
      {plan.problems.length > 0 && <ul class="problems">{plan.problems.map((p) => <li key={p.table + p.message} class="error">{p.table}: {p.message}</li>)}</ul>}
      {plan.tables.map((t) => (
        <details key={t.source} class="plan-table" open={plan.tables.length <= 3}>
          <summary><strong>{t.source}</strong> → {t.target} <span class="muted">(topic {t.topic}; {t.columns.length} columns)</span></summary>
          <div class="table-wrap">
            <table>
              <thead><tr><th scope="col">Column</th><th scope="col">Type</th><th scope="col">Null</th><th scope="col">From</th></tr></thead>
              <tbody>{t.columns.map((c) => <tr key={c.name}><th scope="row">{c.name}{c.key ? ' (key)' : ''}</th><td>{c.type}</td><td>{c.nullable ? 'yes' : 'no'}</td><td>{c.from}{c.sourceType ? ` [${c.sourceType}]` : ''}</td></tr>)}</tbody>
            </table>
          </div>
          {t.removed.length > 0 && <p class="muted">Removed: {t.removed.join(', ')}</p>}
          {t.rules.length > 0 && <p class="muted">Rules: {t.rules.join('; ')}</p>}
          <ul>{t.subjects.map((s) => <li key={s.subject}>schema <code>{s.subject}</code>: <strong>{s.compatibility}</strong>{s.latestVersion !== undefined ? ` (latest version ${s.latestVersion})` : ''}{s.error ? ` — ${s.error}` : ''}</li>)}</ul>
        </details>
      ))}
    </section>
  );
}
