/**
 * Which fields of a value a zod declaration declares secret (`.meta({ secret: true })`, as `secret()` in
 * settings-schema.ts does), found by walking the declaration's JSON Schema together with the value. Used to mask
 * literal secrets in what the task API shows, to register them with the redactor, and to decide where a secret
 * reference may resolve in a task sent to the API. Union options are all followed (a field that is secret in any
 * option counts as secret), so the walk errs on the side of hiding.
 */
import { z } from 'zod';

export type FieldPath = readonly (string | number)[];

type Js = {
  properties?: Record<string, Js>; items?: Js | Js[]; prefixItems?: Js[]; additionalProperties?: Js | boolean;
  anyOf?: Js[]; oneOf?: Js[]; allOf?: Js[]; $ref?: string; $defs?: Record<string, Js>; secret?: unknown; format?: string;
};

export interface DeclaredFields {
  /** Fields declared secret. */
  readonly secrets: FieldPath[];
  /** Fields that hold a URL (`format: uri`): its user info may carry credentials. */
  readonly urls: FieldPath[];
}

const cache = new WeakMap<z.ZodType, Js>();
function jsonSchemaOf(schema: z.ZodType): Js {
  let js = cache.get(schema);
  if (!js) {
    js = z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' }) as Js;
    cache.set(schema, js);
  }
  return js;
}

/** The secret and URL fields of `data` under `schema`, with `prefix` before each path. */
export function declaredFields(schema: z.ZodType, data: unknown, prefix: FieldPath = []): DeclaredFields {
  const root = jsonSchemaOf(schema);
  const secrets: FieldPath[] = [];
  const urls: FieldPath[] = [];
  const deref = (s: Js | undefined): Js | undefined => {
    let cur = s;
    for (let i = 0; cur?.$ref !== undefined && i < 16; i++) {
      const name = /^#\/\$defs\/(.+)$/.exec(cur.$ref)?.[1];
      cur = cur.$ref === '#' ? root : name === undefined ? undefined : root.$defs?.[name];
    }
    return cur;
  };
  const walk = (input: Js | undefined, d: unknown, path: FieldPath, depth: number): void => {
    const s = deref(input);
    if (s === undefined || depth > 64 || d === undefined) return;
    if (s.secret === true) { secrets.push(path); return; }
    if (s.format === 'uri' && typeof d === 'string') urls.push(path);
    for (const o of [...(s.anyOf ?? []), ...(s.oneOf ?? []), ...(s.allOf ?? [])]) walk(o, d, path, depth + 1);
    if (Array.isArray(d)) {
      d.forEach((x, i) => walk(Array.isArray(s.items) ? s.items[i] : s.prefixItems?.[i] ?? (s.items as Js | undefined), x, [...path, i], depth + 1));
    } else if (d !== null && typeof d === 'object') {
      for (const [k, v] of Object.entries(d)) {
        const p = s.properties?.[k] ?? (typeof s.additionalProperties === 'object' ? s.additionalProperties : undefined);
        walk(p, v, [...path, k], depth + 1);
      }
    }
  };
  walk(root, data, prefix, 0);
  return { secrets: dedupe(secrets), urls: dedupe(urls) };
}

function dedupe(paths: FieldPath[]): FieldPath[] {
  const seen = new Map<string, FieldPath>();
  for (const p of paths) seen.set(JSON.stringify(p), p);
  return [...seen.values()];
}

export const pathKey = (p: FieldPath): string => JSON.stringify(p);

/** The value at `path` in `data`, or undefined. */
export function valueAt(data: unknown, path: FieldPath): unknown {
  let cur = data;
  for (const step of path) {
    if (cur === null || typeof cur !== 'object') return undefined;
    cur = (cur as Record<string | number, unknown>)[step];
  }
  return cur;
}

/** A copy of `data` with the value at each path replaced by `replace(old value)`. */
export function replaceAt(data: unknown, paths: readonly FieldPath[], replace: (v: unknown) => unknown): unknown {
  const copy = structuredClone(data);
  for (const path of paths) {
    if (path.length === 0) return replace(copy);
    const parent = valueAt(copy, path.slice(0, -1));
    if (parent === null || typeof parent !== 'object') continue;
    const key = path[path.length - 1]!;
    if (key in parent) (parent as Record<string | number, unknown>)[key] = replace((parent as Record<string | number, unknown>)[key]);
  }
  return copy;
}
