/**
 * A structural check of API responses against docs/api/openapi.yaml, for the tests: finds the operation by method
 * and path, the response by status, and checks the JSON body against its schema (type incl. 3.1 type arrays, enum,
 * const, required, properties, items, minItems, allOf, $ref). Returns the differences; empty when it conforms.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';

type Schema = Record<string, unknown>;
const ROOT = join(import.meta.dirname, '..', '..', '..', '..');
export const spec = parse(readFileSync(join(ROOT, 'docs', 'api', 'openapi.yaml'), 'utf8')) as { paths: Record<string, Record<string, Schema>>; components: Schema };

function deref(s: Schema): Schema {
  let cur = s;
  while (typeof cur.$ref === 'string') {
    cur = (cur.$ref as string).replace(/^#\//, '').split('/').reduce<unknown>((o, k) => (o as Record<string, unknown>)[k], spec) as Schema;
  }
  return cur;
}

function typeOk(t: string, v: unknown): boolean {
  switch (t) {
    case 'null': return v === null;
    case 'integer': return Number.isInteger(v);
    case 'number': return typeof v === 'number';
    case 'array': return Array.isArray(v);
    case 'object': return v !== null && typeof v === 'object' && !Array.isArray(v);
    default: return typeof v === t;
  }
}

export function checkSchema(schema: Schema, v: unknown, at = '$'): string[] {
  const s = deref(schema);
  const errs: string[] = [];
  if (Array.isArray(s.allOf)) for (const sub of s.allOf as Schema[]) errs.push(...checkSchema(sub, v, at));
  if (s.type !== undefined) {
    const types = Array.isArray(s.type) ? (s.type as string[]) : [s.type as string];
    if (!types.some((t) => typeOk(t, v))) return [...errs, `${at}: expected ${types.join('|')}, got ${JSON.stringify(v)}`];
  }
  if ('const' in s && v !== s.const) errs.push(`${at}: expected ${JSON.stringify(s.const)}, got ${JSON.stringify(v)}`);
  if (Array.isArray(s.enum) && v !== null && !s.enum.includes(v)) errs.push(`${at}: ${JSON.stringify(v)} is not one of ${JSON.stringify(s.enum)}`);
  if (v !== null && typeof v === 'object' && !Array.isArray(v)) {
    const o = v as Record<string, unknown>;
    for (const r of (s.required as string[] | undefined) ?? []) if (!(r in o)) errs.push(`${at}: missing required ${r}`);
    const props = (s.properties as Record<string, Schema> | undefined) ?? {};
    for (const [k, sub] of Object.entries(props)) if (k in o) errs.push(...checkSchema(sub, o[k], `${at}.${k}`));
  }
  if (Array.isArray(v)) {
    if (typeof s.minItems === 'number' && v.length < s.minItems) errs.push(`${at}: fewer than ${s.minItems} items`);
    if (s.items) v.forEach((x, i) => errs.push(...checkSchema(s.items as Schema, x, `${at}[${i}]`)));
  }
  return errs;
}

/** The differences between a response and the spec; throws when the spec has no such operation or status. */
export function checkResponse(method: string, path: string, status: number, body: unknown): string[] {
  const template = Object.keys(spec.paths).find((t) => new RegExp(`^${t.replace(/\{[^}]+\}/g, '[^/]+')}$`).test(path.split('?')[0]!));
  if (!template) throw new Error(`no path in the spec matches ${path}`);
  const op = spec.paths[template]![method.toLowerCase()] as { responses: Record<string, Schema> } | undefined;
  if (!op) throw new Error(`the spec has no ${method} ${template}`);
  const res = op.responses[String(status)];
  if (!res) throw new Error(`the spec has no ${status} response for ${method} ${template}`);
  const schema = ((deref(res).content as Record<string, { schema: Schema }> | undefined)?.['application/json'])?.schema;
  return schema ? checkSchema(schema, body) : [];
}

/** fetch + JSON + the spec check, for the API tests. */
export async function call(base: string, token: string | null, method: string, path: string, body?: unknown): Promise<{ status: number; body: Record<string, unknown> & { error?: { code: string; message: string; problems?: { path: string; message: string }[] } } }> {
  const res = await fetch(`${base}${path}`, {
    method,
    headers: { ...(token !== null ? { authorization: `Bearer ${token}` } : {}), ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
    ...(body !== undefined ? { body: typeof body === 'string' ? body : JSON.stringify(body) } : {}),
  });
  const json = (await res.json()) as Record<string, unknown>;
  const errs = checkResponse(method, path, res.status, json);
  if (errs.length > 0) throw new Error(`${method} ${path} → ${res.status} does not match docs/api/openapi.yaml:\n${errs.join('\n')}\n${JSON.stringify(json)}`);
  return { status: res.status, body: json as never };
}
