/**
 * What the audit log records of a request's parameters (audit-log.ts): the task name, the tables, the token's name
 * and role (never the token), the audit query, and for a task definition the document with every secret masked
 * (maskTaskSecrets: literal secrets → "***", references such as ${env:NAME} kept as written, then every registered
 * secret value masked) and the SHA-256 of that masked document as canonical JSON. Never row data, never a token.
 */
import { createHash } from 'node:crypto';
import { redact, redactValue } from '../../../runtime/src/config/secrets.ts';
import { maskTaskSecrets } from '../task/secret-fields.ts';
import type { Authentication } from './api-tokens.ts';
import { canonicalJson } from './audit-log.ts';
import type { RouteSpec } from './routes.ts';

/** Filled in while a request is served. */
export interface AuditContext {
  route?: RouteSpec | null;
  auth?: Authentication;
  /** The {name} of the path (a task or a token). */
  name?: string;
  tables?: readonly string[];
  /** A task document as sent (POST /tasks). */
  definition?: unknown;
  /** POST /tokens: the name and role asked for. */
  token?: { readonly name?: unknown; readonly role?: unknown };
  query?: Record<string, unknown>;
}

/** A task document as the audit log keeps it. */
export function auditedDefinition(definition: unknown): { task: unknown; definition: unknown; definitionSha256: string } {
  const isObject = definition !== null && typeof definition === 'object' && !Array.isArray(definition);
  const masked = redactValue(isObject ? maskTaskSecrets(definition as Record<string, unknown>) : definition);
  const text = redact(canonicalJson(masked));
  return {
    task: isObject ? (definition as { name?: unknown }).name ?? null : null,
    definition: JSON.parse(text) as unknown,
    definitionSha256: createHash('sha256').update(text, 'utf8').digest('hex'),
  };
}

export function auditParams(ctx: AuditContext): Record<string, unknown> {
  const p: Record<string, unknown> = {};
  const onTokens = ctx.route?.action.startsWith('tokens.') === true;
  if (ctx.name !== undefined) p[onTokens ? 'token' : 'task'] = ctx.name;
  if (ctx.tables !== undefined) p.tables = ctx.tables;
  if (ctx.definition !== undefined) Object.assign(p, auditedDefinition(ctx.definition));
  if (ctx.token !== undefined) {
    if (typeof ctx.token.name === 'string') p.token = ctx.token.name.slice(0, 200);
    if (typeof ctx.token.role === 'string') p.role = ctx.token.role.slice(0, 50);
  }
  if (ctx.query !== undefined) p.query = ctx.query;
  return redactValue(p) as Record<string, unknown>;
}
