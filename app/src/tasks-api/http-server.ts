/**
 * The task REST API (docs/api.md, docs/api/openapi.yaml) on node:http, or node:https with a certificate and key.
 * Its endpoints, the role each requires and what the audit log records are one table (routes.ts).
 *
 * Every request but GET /healthz needs `Authorization: Bearer <token>` with a live token (api-tokens.ts): none, an
 * unknown or a revoked token → 401; a token whose role is below the endpoint's → 403 naming the role needed. Errors are
 * JSON `{"error": {"code", "message", "problems"?}}`. Requests are logged by method, path and status, never headers.
 * Every call that changes state, every refused call and the token and audit endpoints are written to the audit log
 * (audit-log.ts) before the answer is sent; when the audit log cannot be written, such calls are refused (503).
 */
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { http } from '../../../core/src/node-http.ts';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { errorMessage } from '../../../core/src/errors.ts';
import { redact, redactValue } from '../../../runtime/src/config/secrets.ts';
import type { Logger } from '../../../core/src/types.ts';
import { ApiError, badRequest } from './api-error.ts';
import { ApiTokens, type Authentication } from './api-tokens.ts';
import { auditParams, type AuditContext } from './audit-params.ts';
import { queryAuditFile, type AuditLog } from './audit-log.ts';
import { ConsoleAssets } from './console-assets.ts';
import { locateProblems, readBodyText, readTaskBody } from './task-documents.ts';
import { matchRoute, roleAllows, type RouteAction, type RouteSpec } from './routes.ts';
import type { TaskManager } from './task-manager.ts';
import { failuresQuery, TaskReports } from './task-reports.ts';

export interface TaskApiServerOptions {
  readonly manager: TaskManager;
  /** The bootstrap admin token (`ferry serve --token`), when `tokens` is not given. */
  readonly token?: string;
  /** The token table; default: the bootstrap `token` alone, in memory. */
  readonly tokens?: ApiTokens;
  /** Where control-plane actions are recorded; null or absent: not recorded (and GET /audit answers 404). */
  readonly audit?: AuditLog | null;
  /** Serve HTTPS with this certificate (chain) and private key, PEM. */
  readonly tls?: { readonly cert: string | Buffer; readonly key: string | Buffer };
  readonly host: string;
  readonly port: number;
  readonly log: Logger;
  /** The web console's files served at `/` (console-assets.ts); default: the build in app/console/dist; null: none. */
  readonly console?: ConsoleAssets | null;
  /** Assessment reports, schema conversion, validation failures (task-reports.ts); default: assessments kept in memory. */
  readonly reports?: TaskReports;
}

export interface TaskApiServer {
  readonly url: string;
  close(): Promise<void>;
}

/** Why a request is not authorized, in words that never say whether a token sent with another scheme is right. */
export function unauthorizedMessage(header: string | undefined, auth?: Authentication): string {
  if (!header) return 'send the API token as "Authorization: Bearer <token>"';
  const scheme = /^(\S+)/.exec(header)?.[1] ?? '';
  if (scheme.toLowerCase() !== 'bearer') return 'the Authorization header does not use the Bearer scheme (the token is not checked); send the API token as "Authorization: Bearer <token>"';
  if (!/^Bearer[ ]+\S+\s*$/i.test(header)) return 'send the API token as "Authorization: Bearer <token>" (one token after "Bearer ")';
  if (auth && !auth.ok && auth.reason === 'revoked') return `the API token "${auth.name}" was revoked; ask an admin for a new one (\`ferry tokens create\`)`;
  return 'the API token is wrong';
}

/** Every answer is JSON with every secret masked: in its values before serialisation, and in the text after. */
function send(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' });
  const plain = JSON.parse(JSON.stringify(body) ?? 'null') as unknown;
  res.end(`${redact(JSON.stringify(redactValue(plain)))}\n`);
}

/** A path segment decoded; a malformed percent-encoding is a 400, not a 500. */
function decodeSegment(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    throw badRequest('the path has a malformed percent-encoding (each % must start a UTF-8 byte as %XX)');
  }
}

async function readJson(req: IncomingMessage): Promise<unknown> {
  const text = await readBodyText(req);
  if (text.trim() === '') throw badRequest('the request needs a JSON body');
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw badRequest('the body is not valid JSON');
  }
}

/** `{"tables": ["db.t", ...]}` or `{"table": "db.t"}` → the names. */
async function tablesOf(req: IncomingMessage, ctx: AuditContext): Promise<string[]> {
  const body = await readJson(req);
  const o = (body !== null && typeof body === 'object' && !Array.isArray(body) ? body : {}) as { table?: unknown; tables?: unknown };
  const list = o.tables !== undefined ? o.tables : o.table !== undefined ? [o.table] : undefined;
  if (!Array.isArray(list) || list.length === 0 || !list.every((t) => typeof t === 'string' && /^[^.]+\..+$/.test(t))) {
    throw badRequest('send {"tables": ["<schema>.<table>", ...]} (or {"table": "<schema>.<table>"}) with at least one table');
  }
  const tables = [...new Set(list as string[])];
  ctx.tables = tables;
  return tables;
}

/** An answer: status and JSON body, or a JSON-lines stream (the audit export). */
type Answer = readonly [number, unknown] | { readonly jsonl: Iterable<unknown> | AsyncIterable<unknown> };
type Handler = (req: IncomingMessage, name: string, url: URL, ctx: AuditContext) => Promise<Answer>;

export function auditQuery(url: URL, ctx: AuditContext): { since?: Date; actions?: string[]; limit?: number; jsonl: boolean } {
  const q = url.searchParams;
  const since = q.get('since');
  const action = q.get('action');
  const limit = q.get('limit');
  const format = q.get('format') ?? 'json';
  if (since !== null && Number.isNaN(Date.parse(since))) throw badRequest('"since" must be a time in ISO 8601 (e.g. 2026-01-31T12:00:00Z)');
  if (limit !== null && !/^[1-9][0-9]{0,4}$/.test(limit)) throw badRequest('"limit" must be an integer from 1 to 99999');
  if (format !== 'json' && format !== 'jsonl') throw badRequest('"format" must be json or jsonl');
  ctx.query = { ...(since !== null ? { since } : {}), ...(action !== null ? { action } : {}), ...(limit !== null ? { limit: Number(limit) } : {}), format };
  return {
    ...(since !== null ? { since: new Date(since) } : {}),
    ...(action !== null ? { actions: action.split(',').map((a) => a.trim()).filter(Boolean) } : {}),
    ...(format === 'json' ? { limit: limit === null ? 100 : Number(limit) } : limit !== null ? { limit: Number(limit) } : {}),
    jsonl: format === 'jsonl',
  };
}

/** One handler per action of the route table (the type makes a route without a handler a compile error). */
function handlers(m: TaskManager, tokens: ApiTokens, audit: AuditLog | null, reports: TaskReports): Record<RouteAction, Handler> {
  return {
    'health': async () => [200, { status: 'ok' }],
    'tasks.list': async () => [200, { tasks: m.list() }],
    'whoami': async (_r, _n, _u, ctx) => {
      const auth = ctx.auth;
      return [200, auth?.ok ? { name: auth.name, role: auth.role } : { name: null, role: null }];
    },
    'tasks.create': async (req, _n, url, ctx) => {
      const { document, text } = await readTaskBody(req);
      ctx.definition = document;
      try {
        return [201, { task: await m.create(document, { start: url.searchParams.get('start') === 'true' }) }];
      } catch (e: unknown) {
        if (e instanceof ApiError && e.problems && text !== null) throw new ApiError(e.status, e.code, e.message, locateProblems(text, e.problems));
        throw e;
      }
    },
    'tasks.validate': async (req, _n, url) => {
      let body: Awaited<ReturnType<typeof readTaskBody>>;
      try {
        body = await readTaskBody(req);
      } catch (e: unknown) {
        // YAML that does not parse: answered like any invalid document, each syntax error at its line.
        if (e instanceof ApiError && e.code === 'invalid_task') return [200, { valid: false, problems: e.problems ?? [], task: null }];
        throw e;
      }
      const replacing = url.searchParams.get('task');
      const r = await m.validate(body.document, replacing === null || replacing === '' ? undefined : replacing);
      return [200, { ...r, problems: locateProblems(body.text, r.problems) }];
    },
    'tasks.plan': async (req, _n, url, ctx) => {
      const { document, text } = await readTaskBody(req);
      ctx.definition = document;
      const replacing = url.searchParams.get('task');
      try {
        return [200, { plan: await m.plan(document, replacing === null || replacing === '' ? undefined : replacing) }];
      } catch (e: unknown) {
        if (e instanceof ApiError && e.problems && text !== null) throw new ApiError(e.status, e.code, e.message, locateProblems(text, e.problems));
        throw e;
      }
    },
    'tasks.history': async (_r, name) => [200, m.taskHistory(name)],
    'tasks.get': async (_r, name) => [200, { task: m.get(name) }],
    'tasks.update': async (req, name, _u, ctx) => {
      m.get(name);
      const { document, text } = await readTaskBody(req);
      ctx.definition = document;
      try {
        return [200, { task: await m.update(name, document) }];
      } catch (e: unknown) {
        if (e instanceof ApiError && e.problems && text !== null) throw new ApiError(e.status, e.code, e.message, locateProblems(text, e.problems));
        throw e;
      }
    },
    'tasks.delete': async (_r, name) => { await m.delete(name); reports.forget(name); return [200, { deleted: name }]; },
    'tasks.assess': async (req, name, _u, ctx) => {
      const task = await m.resolvedTask(name);
      const text = await readBodyText(req);
      let body: unknown = {};
      if (text.trim() !== '') { try { body = JSON.parse(text) as unknown; } catch { throw badRequest('the body is not valid JSON (send {} or the options of docs/api.md)'); } }
      ctx.query = body !== null && typeof body === 'object' ? body as Record<string, unknown> : {};
      return [200, await reports.assess(task, body, ctx.auth?.ok ? ctx.auth.name : null)];
    },
    'tasks.assessment': async (_r, name) => { m.get(name); return [200, reports.latest(name)]; },
    'tasks.schemaConversion': async (_r, name) => [200, await reports.schemaConversion(await m.resolvedTask(name))],
    'tasks.validationFailures': async (_r, name, url) => { const q = failuresQuery(url); return [200, await reports.validationFailures(await m.resolvedTask(name), q)]; },
    'tasks.start': async (_r, name) => [200, { task: await m.start(name) }],
    'tasks.stop': async (_r, name) => [200, { task: await m.stop(name) }],
    'tasks.reloadTable': async (req, name, _u, ctx) => { m.get(name); return [202, { signal: await m.reloadTables(name, await tablesOf(req, ctx)) }]; },
    'tasks.addTables': async (req, name, _u, ctx) => { m.get(name); return [200, await m.addTables(name, await tablesOf(req, ctx))]; },
    'tasks.removeTables': async (req, name, _u, ctx) => { m.get(name); return [200, await m.removeTables(name, await tablesOf(req, ctx))]; },
    'tasks.stats': async (_r, name) => [200, await m.stats(name)],
    'tasks.status': async (_r, name) => [200, await m.status(name)],
    'tokens.list': async () => [200, { tokens: tokens.list() }],
    'tokens.create': async (req, _n, _u, ctx) => {
      const body = await readJson(req);
      const o = (body !== null && typeof body === 'object' && !Array.isArray(body) ? body : {}) as { name?: unknown; role?: unknown };
      ctx.token = { name: o.name, role: o.role };
      const { token, view } = tokens.create(o);
      return [201, { token, ...view }];
    },
    'tokens.revoke': async (_r, name, _u, ctx) => { ctx.token = { name }; return [200, tokens.revoke(name)]; },
    'audit.read': async (_r, _n, url, ctx) => {
      if (!audit) throw new ApiError(404, 'not_found', 'this server keeps no audit log');
      const q = auditQuery(url, ctx);
      const { entries, truncated } = await queryAuditFile(audit.file, q);
      if (q.jsonl) return { jsonl: entries } as Answer;
      return [200, { entries, truncated }] as const;
    },
  };
}

export async function startTaskApiServer(o: TaskApiServerOptions): Promise<TaskApiServer> {
  if (o.token !== undefined && o.token.length < 16) throw new Error('the API token must be at least 16 characters');
  const tokens = o.tokens ?? new ApiTokens({ stateDir: null, ...(o.token !== undefined ? { bootstrapToken: o.token } : {}) });
  const audit = o.audit ?? null;
  const table = handlers(o.manager, tokens, audit, o.reports ?? new TaskReports(null));
  const consoleAssets = o.console === undefined ? new ConsoleAssets() : o.console;

  /** Serves one request; returns what the audit log needs to know of it. */
  const handle = async (req: IncomingMessage, res: ServerResponse, ctx: AuditContext): Promise<number> => {
    let url: URL;
    try {
      url = new URL(req.url ?? '/', 'http://localhost');
    } catch {
      throw badRequest('the request target is not a valid path');
    }
    const match = matchRoute(req.method ?? '', url.pathname);
    ctx.route = match?.route ?? null;
    // The target is recorded for refused calls too.
    if (match?.rawName !== undefined) { try { ctx.name = decodeURIComponent(match.rawName); } catch { /* a 400 below */ } }
    if (match?.route?.role === 'public') return answer(res, await table[match.route.action as RouteAction](req, '', url, ctx));
    const auth = tokens.authenticate(req.headers.authorization);
    ctx.auth = auth;
    if (!auth.ok) {
      res.setHeader('www-authenticate', 'Bearer realm="ferry"');
      throw new ApiError(401, 'unauthorized', unauthorizedMessage(req.headers.authorization, auth));
    }
    if (!match) throw new ApiError(404, 'not_found', `no such endpoint: ${url.pathname} (see docs/api.md)`);
    if (!match.route) {
      res.setHeader('allow', match.allowed.join(', '));
      throw new ApiError(405, 'method_not_allowed', `${req.method} is not allowed on ${url.pathname}; use ${match.allowed.join(' or ')}`);
    }
    const route: RouteSpec = match.route;
    if (!roleAllows(auth.role, route.role)) {
      throw new ApiError(403, 'forbidden', `${route.method} ${route.path} needs the ${route.role} role; the token "${auth.name}" has the ${auth.role} role (an admin issues tokens with \`ferry tokens create --role ${route.role}\`)`);
    }
    if (route.audited && audit?.failed) {
      throw new ApiError(503, 'audit_unavailable', `the audit log cannot be written (${audit.failed.message}), so no audited call is carried out; fix the state folder and restart \`ferry serve\``);
    }
    const name = match.rawName === undefined ? '' : decodeSegment(match.rawName);
    return answer(res, await table[route.action as RouteAction](req, name, url, ctx));
  };

  /** Writes the audit entry of a finished request, if it is one to record; resolves when it is on disk. */
  const record = async (req: IncomingMessage, ctx: AuditContext, status: number, code?: string): Promise<void> => {
    if (!audit) return;
    const refused = status === 401 || status === 403;
    if (!refused && !ctx.route?.audited) return;
    const auth = ctx.auth;
    const actor = auth === undefined ? { name: null, role: null }
      : auth.ok ? { name: auth.name, role: auth.role }
        : auth.reason === 'revoked' ? { name: auth.name ?? null, role: auth.role ?? null, revoked: true as const } : { name: null, role: null };
    await audit.append({
      time: new Date().toISOString(), actor, source: { address: req.socket.remoteAddress ?? null },
      action: ctx.route?.action ?? 'unknown', method: req.method ?? '', path: (req.url ?? '').split('?')[0]!,
      params: auditParams(ctx), result: { status, ...(code !== undefined ? { code } : {}) },
    });
  };

  /** The answer goes out only after its audit entry is on disk; an entry that cannot be written turns it into a 500. */
  const pending = new WeakMap<ServerResponse, Answer>();
  const answer = (res: ServerResponse, a: Answer): number => {
    pending.set(res, a);
    return Array.isArray(a) ? (a as [number, unknown])[0] : 200;
  };
  const deliver = async (res: ServerResponse, a: Answer): Promise<void> => {
    if (Array.isArray(a)) { send(res, (a as [number, unknown])[0], (a as [number, unknown])[1]); return; }
    res.writeHead(200, { 'content-type': 'application/x-ndjson; charset=utf-8', 'cache-control': 'no-store' });
    for await (const x of (a as { jsonl: Iterable<unknown> | AsyncIterable<unknown> }).jsonl) res.write(`${redact(JSON.stringify(redactValue(x)))}\n`);
    res.end();
  };

  const onRequest = (req: IncomingMessage, res: ServerResponse) => {
    if (consoleAssets?.serve(req, res)) return; // the console's files: public, no data (console-assets.ts)
    const started = performance.now();
    const ctx: AuditContext = {};
    const path = req.url?.split('?')[0];
    handle(req, res, ctx).then(
      async (status) => {
        try {
          await record(req, ctx, status);
        } catch (e: unknown) {
          o.log.error({ err: e, method: req.method, path, status }, `the audit log could not record ${req.method} ${path} (${status})`);
          send(res, 500, new ApiError(500, 'audit_unavailable', `the call was carried out (status ${status}) but the audit log could not record it (${redact(errorMessage(e))}); later audited calls are refused until the server is restarted with a writable state folder`).toJSON());
          return;
        }
        await deliver(res, pending.get(res)!);
        o.log.debug({ method: req.method, path, status, ms: Math.round(performance.now() - started) }, 'api request');
      },
      async (e: unknown) => {
        const err = e instanceof ApiError ? e : new ApiError(500, 'internal', redact(errorMessage(e)));
        if (err.status >= 500) o.log.error({ err: e, method: req.method, path }, `api request failed: ${err.message}`);
        else o.log.info({ method: req.method, path, status: err.status, code: err.code }, 'api request refused');
        await record(req, ctx, err.status, err.code).catch((ae: unknown) => o.log.error({ err: ae, method: req.method, path }, 'the audit log could not record a refused call'));
        if (!res.headersSent) send(res, err.status, err.toJSON());
        else res.end();
        if (err.status === 413) req.destroy();
      },
    ).catch((e: unknown) => {
      o.log.error({ err: e, method: req.method, path }, `api answer failed: ${redact(errorMessage(e))}`);
      if (!res.headersSent) send(res, 500, new ApiError(500, 'internal', redact(errorMessage(e))).toJSON());
      else res.end();
    });
  };
  const server: Server = o.tls
    ? createHttpsServer({ cert: o.tls.cert, key: o.tls.key, minVersion: 'TLSv1.2' }, onRequest) as unknown as Server
    : http.createServer(onRequest);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(o.port, o.host, () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  const host = o.host.includes(':') ? `[${o.host}]` : o.host;
  return {
    url: `${o.tls ? 'https' : 'http'}://${host}:${port}`,
    close: () => new Promise<void>((resolve) => { server.closeAllConnections(); server.close(() => { tokens.close(); resolve(); }); }),
  };
}
