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

export function describeFound(v: unknown, hide: boolean): string {
  if (v === undefined) return 'nothing';
  if (v === null) return 'null';
  if (hide) return `a ${Array.isArray(v) ? 'list' : typeof v} (value hidden: secret field)`;
  if (typeof v === 'string') return JSON.stringify(v.length > 60 ? `${v.slice(0, 57)}...` : v);
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

/** One ConfigProblem per zod issue (unknown keys: one per key). */
export function problemsFromIssues(schema: z.ZodType, issues: readonly core.$ZodIssue[], data: unknown): ConfigProblem[] {
  const root = jsonSchemaOf(schema);
  const out: ConfigProblem[] = [];
  for (const issue of issues) {
    const at = schemaAt(root, issue.path, data);
    const hide = at?.secret === true;
    const input = (issue as { input?: unknown }).input;
    const path = formatPath(issue.path);
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
          out.push({ path: p, message: value === undefined ? `required field is missing (expected one of ${(disc.options ?? []).map(String).join(', ')})` : `expected one of ${(disc.options ?? []).map(String).join(', ')}, found ${describeFound(value, false)}` });
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
