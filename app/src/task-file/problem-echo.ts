/**
 * What a problem about a task may show of the values it found. Never a value that came from a ${env:…} or
 * ${file:…} reference (the problem names the reference instead: "found the value of ${env:DB_PASSWORD}"), and never
 * a value of a field declared secret (`secret: true` in its declaration: the task's own, or a sink plugin's option).
 * load-task.ts builds the problems with the references (IssueOptions.referenceAt) and passes every problem it
 * reports through hideEchoedValues, which also catches messages that quote a value in their own words.
 */
import { hideValues, formatPath, type ConfigProblem, type HiddenValue } from '../../../runtime/src/config/config-problems.ts';
import { valueAt } from '../../../runtime/src/config/secret-fields.ts';
import { isSecretReference } from '../../../runtime/src/config/secrets.ts';
import { taskSecretFields } from '../task/secret-fields.ts';

const REF_RE = /\$\{[A-Za-z0-9_-]+:[^}]*\}/g;

/** The strings that held references: each path's text before resolution, and the values to hide. */
export interface ReferencedStrings {
  /** Path (as formatPath writes it) → the text it held, references and all. */
  readonly rawAt: ReadonlyMap<string, string>;
  readonly hidden: readonly HiddenValue[];
}

/**
 * Compares a document before and after reference resolution (same shape) and returns, for every string a
 * reference changed, its text before resolution and the values the references brought in.
 */
export function referencedStrings(raw: unknown, resolved: unknown): ReferencedStrings {
  const rawAt = new Map<string, string>();
  const hidden: HiddenValue[] = [];
  const stack: { r: unknown; v: unknown; path: (string | number)[] }[] = [{ r: raw, v: resolved, path: [] }];
  while (stack.length > 0) {
    const { r, v, path } = stack.pop()!;
    if (typeof r === 'string') {
      if (typeof v === 'string' && r !== v) {
        rawAt.set(formatPath(path), r);
        hidden.push({ value: v, shownAs: r, wholeOnly: true }, ...substitutedParts(r, v));
      }
    } else if (Array.isArray(r)) {
      if (Array.isArray(v)) r.forEach((x, i) => stack.push({ r: x, v: v[i], path: [...path, i] }));
    } else if (r !== null && typeof r === 'object' && v !== null && typeof v === 'object') {
      for (const [k, x] of Object.entries(r)) stack.push({ r: x, v: (v as Record<string, unknown>)[k], path: [...path, k] });
    }
  }
  return { rawAt, hidden };
}

/** What each reference in `raw` became in `resolved`, found between the literal text around the references. */
function substitutedParts(raw: string, resolved: string): HiddenValue[] {
  const refs = raw.match(REF_RE) ?? [];
  const literals = raw.split(REF_RE);
  const first = literals[0] ?? '';
  const last = literals[literals.length - 1] ?? '';
  if (!resolved.startsWith(first) || !resolved.endsWith(last) || resolved.length < first.length + last.length) return [{ value: resolved, shownAs: raw }];
  const out: HiddenValue[] = [];
  let pos = first.length;
  const end = resolved.length - last.length;
  refs.forEach((ref, i) => {
    const next = literals[i + 1] ?? '';
    // The last reference ends where the closing text starts; two references side by side cannot be told apart,
    // so the first of them is given everything up to that point.
    let stop = i === refs.length - 1 || next === '' ? end : resolved.indexOf(next, pos);
    if (stop < pos || stop > end) stop = end;
    out.push({ value: resolved.slice(pos, stop), shownAs: ref });
    pos = Math.min(stop + next.length, end);
  });
  return out.filter((h) => h.value !== '');
}

/** A URL's user info password: scheme://user:PASSWORD@… */
const USERINFO_RE = /^[a-z][a-z0-9+.-]*:\/\/[^/?#@:]*:([^@]*)@/is;

/**
 * The values of every field declared secret in the task (after resolution), the sinks' own options included
 * (app/src/task/secret-fields.ts), and the passwords in URLs' user info.
 */
export function secretValuesOfTask(doc: unknown): HiddenValue[] {
  const { secrets, urls } = taskSecretFields(doc);
  const values: string[] = [];
  for (const p of secrets) collectScalars(valueAt(doc, p), values);
  for (const p of urls) {
    const v = valueAt(doc, p);
    const pw = typeof v === 'string' ? USERINFO_RE.exec(v)?.[1] : undefined;
    if (pw) values.push(pw);
  }
  // A reference left unresolved (reported as such) is the text the user wrote, not a secret.
  return values.filter((v) => !isSecretReference(v)).map((value) => ({ value, shownAs: '***' }));
}

function collectScalars(v: unknown, out: string[]): void {
  const stack = [v];
  while (stack.length > 0 && out.length < 10_000) {
    const x = stack.pop();
    if (typeof x === 'string' || typeof x === 'number' || typeof x === 'bigint') out.push(String(x));
    else if (x !== null && typeof x === 'object') for (const y of Object.values(x)) stack.push(y);
  }
}

/** The problems with no referenced value and no secret field's value in them (see hideValues). */
export function hideEchoedValues(problems: readonly ConfigProblem[], options: { readonly references: ReferencedStrings; readonly doc: unknown }): ConfigProblem[] {
  const fromReferences = options.references.hidden;
  const known = new Set(fromReferences.map((h) => h.value));
  const fromFields = secretValuesOfTask(options.doc).filter((h) => !known.has(h.value));
  return hideValues(problems, [...fromReferences, ...fromFields]);
}
