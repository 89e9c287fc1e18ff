/**
 * Turns zod issues into one line per problem: "<path>: expected <what>, found <what>".
 * What is expected is read from the JSON Schema of the task declaration, so the wording matches the reference docs.
 */
import { z } from 'zod';
import type { core } from 'zod';

export interface ConfigProblem {
  /** Dotted path with [i] for list items, e.g. "tableMappings.rules[0].rule-type"; "(root)" for the file itself. */
  readonly path: string;
  readonly message: string;
}

export function formatPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const p of path) {
    if (typeof p === 'number') out += `[${p}]`;
    else out += out === '' ? String(p) : `.${String(p)}`;
  }
  return out === '' ? '(root)' : out;
}

export function formatProblem(p: ConfigProblem): string {
  return `${p.path}: ${p.message}`;
}

type JsonSchema = {
  type?: string | string[]; properties?: Record<string, JsonSchema>; items?: JsonSchema; oneOf?: JsonSchema[]; anyOf?: JsonSchema[];
  enum?: unknown[]; const?: unknown; minimum?: number; maximum?: number; minLength?: number; minItems?: number; pattern?: string;
  format?: string; secret?: boolean; additionalProperties?: unknown; $ref?: string; $defs?: Record<string, JsonSchema>;
};

let currentRoot: JsonSchema = {};
function deref(s: JsonSchema | undefined): JsonSchema | undefined {
  let cur = s;
  for (let i = 0; cur?.$ref !== undefined && i < 10; i++) {
    const name = /^#\/\$defs\/(.+)$/.exec(cur.$ref)?.[1];
    cur = name === undefined ? undefined : currentRoot.$defs?.[name];
  }
  return cur;
}

/** Finds the JSON Schema that describes `path` in `data`, following union options that match the data. */
function schemaAt(root: JsonSchema, path: readonly PropertyKey[], data: unknown): JsonSchema | undefined {
  currentRoot = root;
  let s: JsonSchema | undefined = root;
  let d: unknown = data;
  for (const step of path) {
    s = pickOption(s, d);
    if (s === undefined) return undefined;
    if (typeof step === 'number') s = deref(s.items);
    else s = deref(s.properties?.[String(step)]);
    d = d !== null && typeof d === 'object' ? (d as Record<PropertyKey, unknown>)[step as string] : undefined;
  }
  return s === undefined ? undefined : pickOption(s, d);
}

function pickOption(input: JsonSchema | undefined, d: unknown): JsonSchema | undefined {
  const s = deref(input);
  const options = s?.oneOf ?? s?.anyOf;
  if (s === undefined || options === undefined) return s;
  if (d !== null && typeof d === 'object') {
    for (const ref of options) {
      const o = deref(ref) ?? {};
      const props = o.properties ?? {};
      const discriminated = Object.entries(props).filter(([, v]) => v.const !== undefined);
      if (discriminated.length > 0 && discriminated.every(([k, v]) => v.const === (d as Record<string, unknown>)[k])) return o;
    }
  }
  return s;
}

export function describeExpected(s: JsonSchema | undefined): string {
  if (s === undefined) return 'a valid value';
  if (s.const !== undefined) return JSON.stringify(s.const);
  if (s.enum) return `one of ${s.enum.map(String).join(', ')}`;
  const options = s.oneOf ?? s.anyOf;
  if (options) {
    const consts = options.map((o) => Object.values(o.properties ?? {}).find((v) => v.const !== undefined)?.const).filter((c) => c !== undefined);
    if (consts.length === options.length) return `a mapping whose type is one of ${consts.map(String).join(', ')}`;
    return options.map(describeExpected).join(' or ');
  }
  const t = Array.isArray(s.type) ? s.type[0] : s.type;
  switch (t) {
    case 'integer':
    case 'number': {
      const noun = t === 'integer' ? 'an integer' : 'a number';
      if (s.minimum !== undefined && s.maximum !== undefined) return `${noun} from ${s.minimum} to ${s.maximum}`;
      if (s.minimum !== undefined) return `${noun} >= ${s.minimum}`;
      if (s.maximum !== undefined) return `${noun} <= ${s.maximum}`;
      return noun;
    }
    case 'string':
      if (s.format === 'uri') return 'a URL';
      return s.minLength ? 'a non-empty string' : 'a string';
    case 'boolean': return 'true or false';
    case 'array': return s.minItems ? `a list of at least ${s.minItems} item${s.minItems === 1 ? '' : 's'}` : 'a list';
    case 'object': return 'a mapping (key: value)';
    default: return 'a valid value';
  }
}

/** A long value is shown as its first 57 characters and "...". */
function truncated(v: string): string {
  return v.length > 60 ? `${v.slice(0, 57)}...` : v;
}

export function describeFoundValue(v: unknown, hide: boolean): string {
  if (v === undefined) return 'nothing';
  if (v === null) return 'null';
  if (hide) return `a ${Array.isArray(v) ? 'list' : typeof v} (value hidden: secret field)`;
  if (typeof v === 'string') return JSON.stringify(truncated(v));
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  if (Array.isArray(v)) return v.length === 0 ? 'an empty list' : `a list of ${v.length} item${v.length === 1 ? '' : 's'}`;
  if (typeof v === 'object') return 'a mapping';
  return typeof v;
}

function closest(word: string, candidates: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestD = Infinity;
  for (const c of candidates) {
    const d = levenshtein(word.toLowerCase(), c.toLowerCase());
    if (d < bestD) { bestD = d; best = c; }
  }
  return bestD <= Math.max(2, Math.floor(word.length / 3)) ? best : undefined;
}

function levenshtein(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let prev = row[0]!;
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const tmp = row[j]!;
      row[j] = Math.min(row[j]! + 1, row[j - 1]! + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
      prev = tmp;
    }
  }
  return row[b.length]!;
}

const jsonSchemaCache = new WeakMap<z.ZodType, JsonSchema>();
function jsonSchemaOf(schema: z.ZodType): JsonSchema {
  let js = jsonSchemaCache.get(schema);
  if (!js) {
    js = z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' }) as JsonSchema;
    jsonSchemaCache.set(schema, js);
  }
  return js;
}

export interface IssueOptions {
  /**
   * For a path (as formatPath writes it) that held a ${env:…}/${file:…} reference: the text it held before
   * resolution. A problem there names that text, never the resolved value.
   */
  readonly referenceAt?: (path: string) => string | undefined;
}

/** What a problem says it found at a path that held a reference: the reference, never its value. */
export function describeReference(raw: string): string {
  return /^\$\{[A-Za-z0-9_-]+:[^}]*\}$/.test(raw) ? `the value of ${raw}` : `the value of ${JSON.stringify(raw)}`;
}

/** The paths of the problems problemsFromIssues makes of `issue`, without their messages (cheap, for counting). */
export function problemPathsOf(issue: core.$ZodIssue): string[] {
  if (issue.code === 'unrecognized_keys') return issue.keys.map((k) => formatPath([...issue.path, k]));
  const disc = (issue as { discriminator?: string }).discriminator;
  if (issue.code === 'invalid_union' && disc !== undefined) return [formatPath([...issue.path.filter((x) => x !== disc), disc])];
  return [formatPath(issue.path)];
}

/** One ConfigProblem per zod issue (unknown keys: one per key). */
export function problemsFromIssues(schema: z.ZodType, issues: readonly core.$ZodIssue[], data: unknown, options: IssueOptions = {}): ConfigProblem[] {
  const root = jsonSchemaOf(schema);
  const out: ConfigProblem[] = [];
  for (const issue of issues) {
    const at = schemaAt(root, issue.path, data);
    const hide = at?.secret === true;
    const input = (issue as { input?: unknown }).input;
    const path = formatPath(issue.path);
    const ref = options.referenceAt?.(path);
    const describeFound = (v: unknown, hidden: boolean) => (ref !== undefined && typeof v === 'string' ? describeReference(ref) : describeFoundValue(v, hidden));
    switch (issue.code) {
      case 'invalid_type':
        out.push({ path, message: input === undefined ? `required field is missing (expected ${describeExpected(at)})` : `expected ${describeExpected(at)}, found ${describeFound(input, hide)}` });
        break;
      case 'invalid_value':
        out.push({ path, message: `expected ${issue.values.length === 1 ? JSON.stringify(issue.values[0]) : `one of ${issue.values.map(String).join(', ')}`}, found ${describeFound(input, hide)}` });
        break;
      case 'too_small':
      case 'too_big':
        out.push({ path, message: `expected ${describeExpected(at)}, found ${describeFound(input, hide)}` });
        break;
      case 'invalid_format':
        out.push({ path, message: issue.format === 'regex' && !issue.message.startsWith('Invalid') ? `${issue.message}, found ${describeFound(input, hide)}` : `expected ${describeExpected(at)}, found ${describeFound(input, hide)}` });
        break;
      case 'unrecognized_keys': {
        const allowed = Object.keys(at?.properties ?? {});
        for (const key of issue.keys) {
          const guess = closest(key, allowed);
          out.push({ path: formatPath([...issue.path, key]), message: `unknown field${guess ? ` (did you mean "${guess}"?)` : allowed.length ? ` (allowed: ${allowed.join(', ')})` : ''}` });
        }
        break;
      }
      case 'invalid_union': {
        const disc = (issue as { discriminator?: string; options?: unknown[] });
        if (disc.discriminator !== undefined) {
          const value = input !== null && typeof input === 'object' ? (input as Record<string, unknown>)[disc.discriminator] : undefined;
          const p = formatPath([...issue.path.filter((x) => x !== disc.discriminator), disc.discriminator]);
          const discRef = options.referenceAt?.(p);
          const found = discRef !== undefined && typeof value === 'string' ? describeReference(discRef) : describeFoundValue(value, false);
          out.push({ path: p, message: value === undefined ? `required field is missing (expected one of ${(disc.options ?? []).map(String).join(', ')})` : `expected one of ${(disc.options ?? []).map(String).join(', ')}, found ${found}` });
        } else {
          out.push({ path, message: `expected ${describeExpected(at)}, found ${describeFound(input, hide)}` });
        }
        break;
      }
      default:
        out.push({ path, message: issue.message });
    }
  }
  return out;
}

/** A value no problem may show, and what to show instead (a reference such as ${env:DB_PASSWORD}, or ***). */
export interface HiddenValue {
  readonly value: string;
  readonly shownAs: string;
  /** Replace the value's whole forms only, not its fragments (a string that holds a secret among plain text). */
  readonly wholeOnly?: boolean;
}

/** Values shorter than this are hidden by their field only (replacing "1" in every message would garble them). */
export const MIN_HIDDEN_LENGTH = 4;
/** A message that still holds this many consecutive characters of a hidden value is replaced as a whole. */
const FRAGMENT = 8;
const FRAGMENT_SCAN_LIMIT = 64 * 1024;

function escapeForms(v: string): string[] {
  return [...new Set([...valueForms(v), ...(v.length > 60 ? valueForms(truncated(v)) : [])])].sort((a, b) => b.length - a.length);
}

/** The forms a message may carry `v` in: raw, JSON-escaped (once or twice), URL-encoded. */
function valueForms(v: string): string[] {
  const json = JSON.stringify(v).slice(1, -1);
  let url = v;
  try {
    url = encodeURIComponent(v);
  } catch { /* a lone surrogate: no URL form */ }
  return [v, json, JSON.stringify(json).slice(1, -1), url].filter((f) => f.length > 0);
}

function fragments(v: string): Set<string> {
  const out = new Set<string>();
  const text = v.length > FRAGMENT_SCAN_LIMIT ? v.slice(0, FRAGMENT_SCAN_LIMIT) : v;
  for (const form of escapeForms(text)) for (let i = 0; i + FRAGMENT <= form.length; i++) out.add(form.slice(i, i + FRAGMENT));
  return out;
}

/**
 * The problems with every hidden value taken out of their messages: each form a message may carry it in (raw,
 * JSON-escaped, URL-encoded) is replaced by what to show instead; a message that would still show a part of one
 * (a truncated echo, an excerpt) is replaced as a whole by one that names only the path and the reference.
 */
export function hideValues(problems: readonly ConfigProblem[], hidden: readonly HiddenValue[]): ConfigProblem[] {
  const usable = hidden.filter((h) => h.value.length >= MIN_HIDDEN_LENGTH).sort((a, b) => b.value.length - a.value.length);
  if (usable.length === 0) return [...problems];
  const prepared = usable.map((h) => ({ ...h, forms: escapeForms(h.value), fragments: h.value.length >= FRAGMENT && h.wholeOnly !== true ? fragments(h.value) : new Set<string>() }));
  return problems.map((p) => {
    let message = p.message;
    for (const h of prepared) for (const f of h.forms) if (message.includes(f)) message = message.split(f).join(h.shownAs);
    for (const h of prepared) {
      for (let i = 0; i + FRAGMENT <= message.length; i++) {
        if (h.fragments.has(message.slice(i, i + FRAGMENT))) {
          return { path: p.path, message: `the problem found here is not shown, because it would show part of ${h.shownAs === '***' ? 'a secret field’s value' : `the value of ${h.shownAs}`}; check that value` };
        }
      }
    }
    return message === p.message ? p : { path: p.path, message };
  });
}
