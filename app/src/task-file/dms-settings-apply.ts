/**
 * `settings.dms`: a DMS task-settings document in the task file, verbatim. Each of its settings is judged by the
 * declared mapping (dms-task-settings.ts) and, when carried over, written onto the Ferry setting it maps to before
 * the task is validated, so everything downstream sees ordinary Ferry settings. A setting that Ferry refuses or
 * does not know is a problem at its path (`settings.dms.ErrorBehavior.TableErrorPolicy`), as table-mapping rules
 * are. A Ferry setting also given by hand with a different value is a conflict, never silently overridden.
 */
import type { ConfigProblem } from '../../../runtime/src/config/config-problems.ts';
import { dmsSettingRule, isDmsSection, type JudgeContext, type Judgement, type TaskPath } from './dms-task-settings.ts';

const isRecord = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);

/** One setting of a DMS document and what became of it. */
export interface DmsSettingOutcome {
  /** Its path in the DMS document: `FullLoadSettings.CommitRate`. */
  readonly path: string;
  readonly value: unknown;
  /** carried: set on Ferry settings; same: accepted as Ferry's behaviour; refused: not carried; unknown: not a DMS setting Ferry knows. */
  readonly status: 'carried' | 'same' | 'refused' | 'unknown';
  /** The Ferry settings it set (task-document paths) and their values. */
  readonly sets: readonly { readonly at: string; readonly path: TaskPath; readonly value: unknown }[];
  /** Why (refused, unknown) or a note (carried, same). */
  readonly reason: string;
}

/** Judges every setting of a DMS task-settings document (sections walked down to the settings the table names). */
export function judgeDmsSettings(dms: Readonly<Record<string, unknown>>, ctx: Omit<JudgeContext, 'dms'>): DmsSettingOutcome[] {
  const full: JudgeContext = { ...ctx, dms };
  const out: DmsSettingOutcome[] = [];
  const visit = (path: string, value: unknown) => {
    const rule = dmsSettingRule(path);
    if (rule) {
      if (value === null) { out.push({ path, value, status: 'same', sets: [], reason: 'null: not set' }); return; }
      out.push(outcome(path, value, rule.judge(value, full)));
      return;
    }
    if (value === null && isDmsSection(path)) { out.push({ path, value, status: 'same', sets: [], reason: 'null: section not set' }); return; }
    if (isRecord(value) && Object.keys(value).length > 0) {
      for (const [k, v] of Object.entries(value)) visit(`${path}.${k}`, v);
      return;
    }
    out.push({ path, value, status: 'unknown', sets: [], reason: 'not a DMS task setting Ferry knows (docs/from-dms.md lists those it does)' });
  };
  for (const [k, v] of Object.entries(dms)) visit(k, v);
  return out;
}

function outcome(path: string, value: unknown, j: Judgement): DmsSettingOutcome {
  if (j.kind === 'refused') return { path, value, status: 'refused', sets: [], reason: j.reason };
  if (j.kind === 'same') return { path, value, status: 'same', sets: [], reason: j.note };
  return { path, value, status: 'carried', sets: j.sets.map((s) => ({ at: formatTaskPath(s.at), path: s.at, value: s.value })), reason: j.note ?? '' };
}

export function formatTaskPath(p: TaskPath): string {
  return p.map((s, i) => (typeof s === 'number' ? `[${s}]` : i === 0 ? s : `.${s}`)).join('');
}

function getAt(doc: unknown, p: TaskPath): unknown {
  let cur = doc;
  for (const s of p) {
    if (cur === null || typeof cur !== 'object') return undefined;
    cur = (cur as Record<string | number, unknown>)[s];
  }
  return cur;
}

/** Sets a value in a copy-on-write way: the objects along the path are copied, the rest shared. */
function setAt(doc: Record<string, unknown>, p: TaskPath, value: unknown): Record<string, unknown> {
  const [head, ...rest] = p;
  const copy: Record<string | number, unknown> = Array.isArray(doc) ? [...(doc as unknown[])] as unknown as Record<number, unknown> : { ...doc };
  const child = copy[head!];
  copy[head!] = rest.length === 0 ? value : setAt(child !== null && typeof child === 'object' ? child as Record<string, unknown> : {}, rest, value);
  return copy as Record<string, unknown>;
}

/**
 * Applies `settings.dms` of a parsed (not yet validated) task document: returns the document with the carried
 * settings written in, and a problem for each setting refused, unknown or in conflict with one given by hand.
 * A document without `settings.dms` comes back unchanged.
 */
export function applyDmsTaskSettings(doc: unknown): { readonly doc: unknown; readonly problems: ConfigProblem[] } {
  if (!isRecord(doc) || !isRecord(doc.settings) || doc.settings.dms === undefined) return { doc, problems: [] };
  const dms = doc.settings.dms;
  if (!isRecord(dms)) return { doc, problems: [] }; // the schema reports it (settings.dms: expected a mapping)
  const targets = Array.isArray(doc.targets) ? doc.targets : [];
  const lob = isRecord(doc.settings.lob) ? doc.settings.lob : {};
  const outcomes = judgeDmsSettings(dms, {
    targetTypes: targets.map((t) => (isRecord(t) && typeof t.type === 'string' ? t.type : '')),
    migrationType: typeof doc.migrationType === 'string' ? doc.migrationType : undefined,
    lobClaimCheck: lob.claimCheck !== undefined,
  });
  const problems: ConfigProblem[] = [];
  let out: Record<string, unknown> = doc;
  const setBy = new Map<string, string>();
  for (const o of outcomes) {
    const path = `settings.dms.${o.path}`;
    if (o.status === 'refused') problems.push({ path, message: `not supported by Ferry: ${o.reason}` });
    else if (o.status === 'unknown') problems.push({ path, message: o.reason });
    if (o.status !== 'carried') continue;
    for (const s of o.sets) {
      const given = getAt(doc, s.path);
      const at = s.at;
      if (given !== undefined && given !== s.value) {
        problems.push({ path, message: `sets ${at} to ${JSON.stringify(s.value)}, but the task gives ${at}: ${JSON.stringify(given)}; keep one of the two` });
      } else if (setBy.has(at) && getAt(out, s.path) !== s.value) {
        problems.push({ path, message: `sets ${at} to ${JSON.stringify(s.value)}, but settings.dms.${setBy.get(at)} sets it to ${JSON.stringify(getAt(out, s.path))}` });
      } else {
        out = setAt(out, s.path, s.value);
        setBy.set(at, o.path);
      }
    }
  }
  return { doc: out, problems };
}
