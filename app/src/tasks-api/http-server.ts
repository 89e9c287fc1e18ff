/**
 * The task REST API (docs/api.md, docs/api/openapi.yaml) on node:http:
 *
 *   GET/POST /tasks · GET/DELETE /tasks/{name} · POST /tasks/{name}/start|stop|reload-table
 *   POST/DELETE /tasks/{name}/tables · GET /tasks/{name}/stats · GET /tasks/{name}/status · GET /healthz (no auth)
 *
 * Every request but /healthz needs `Authorization: Bearer <token>` (compared in constant time); errors are JSON
 * `{"error": {"code", "message", "problems"?}}`. Requests are logged by method, path and status, never headers.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { errorMessage } from '../../../core/src/errors.ts';
import { redact, redactValue } from '../../../runtime/src/config/secrets.ts';
import type { Logger } from '../../../core/src/types.ts';
import { ApiError, badRequest } from './api-error.ts';
import type { TaskManager } from './task-manager.ts';

const MAX_BODY = 1024 * 1024;

export interface TaskApiServerOptions {
  readonly manager: TaskManager;
  readonly token: string;
  readonly host: string;
  readonly port: number;
  readonly log: Logger;
}

export interface TaskApiServer {
  readonly url: string;
  close(): Promise<void>;
}

const digest = (s: string) => createHash('sha256').update(s, 'utf8').digest();

/** Whether the request carries the token; constant time in the token's content (both sides hashed to 32 bytes). */
export function authorized(header: string | undefined, expected: Buffer): boolean {
  const m = /^Bearer[ ]+(\S+)\s*$/i.exec(header ?? '');
  const given = digest(m?.[1] ?? '');
  return timingSafeEqual(given, expected) && m !== null;
}

/** Why a request is not authorized, in words that never say whether a token sent with another scheme is right. */
export function unauthorizedMessage(header: string | undefined): string {
  if (!header) return 'send the API token as "Authorization: Bearer <token>"';
  const scheme = /^(\S+)/.exec(header)?.[1] ?? '';
  if (scheme.toLowerCase() !== 'bearer') return 'the Authorization header does not use the Bearer scheme (the token is not checked); send the API token as "Authorization: Bearer <token>"';
  if (!/^Bearer[ ]+\S+\s*$/i.test(header)) return 'send the API token as "Authorization: Bearer <token>" (one token after "Bearer ")';
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
  const parts: Buffer[] = [];
  let size = 0;
  for await (const c of req as AsyncIterable<Buffer>) {
    size += c.length;
    if (size > MAX_BODY) throw new ApiError(413, 'payload_too_large', `the request body is over ${MAX_BODY} bytes`);
    parts.push(c);
  }
  const text = Buffer.concat(parts).toString('utf8');
  if (text.trim() === '') throw badRequest('the request needs a JSON body');
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw badRequest('the body is not valid JSON');
  }
}

/** `{"tables": ["db.t", ...]}` or `{"table": "db.t"}` → the names. */
async function tablesOf(req: IncomingMessage): Promise<string[]> {
  const body = await readJson(req);
  const o = (body !== null && typeof body === 'object' && !Array.isArray(body) ? body : {}) as { table?: unknown; tables?: unknown };
  const list = o.tables !== undefined ? o.tables : o.table !== undefined ? [o.table] : undefined;
  if (!Array.isArray(list) || list.length === 0 || !list.every((t) => typeof t === 'string' && /^[^.]+\..+$/.test(t))) {
    throw badRequest('send {"tables": ["<schema>.<table>", ...]} (or {"table": "<schema>.<table>"}) with at least one table');
  }
  return [...new Set(list as string[])];
}

type Handler = (req: IncomingMessage, name: string, url: URL) => Promise<[number, unknown]>;

function routes(m: TaskManager): Record<string, Partial<Record<string, Handler>>> {
  return {
    '': {
      GET: async () => [200, { tasks: m.list() }],
      POST: async (req, _n, url) => [201, { task: await m.create(await readJson(req), { start: url.searchParams.get('start') === 'true' }) }],
    },
    '/': {
      GET: async (_r, name) => [200, { task: m.get(name) }],
      DELETE: async (_r, name) => { await m.delete(name); return [200, { deleted: name }]; },
    },
    '/start': { POST: async (_r, name) => [200, { task: await m.start(name) }] },
    '/stop': { POST: async (_r, name) => [200, { task: await m.stop(name) }] },
    '/reload-table': {
      POST: async (req, name) => { m.get(name); return [202, { signal: await m.reloadTables(name, await tablesOf(req)) }]; },
    },
    '/tables': {
      POST: async (req, name) => { m.get(name); return [200, await m.addTables(name, await tablesOf(req))]; },
      DELETE: async (req, name) => { m.get(name); return [200, await m.removeTables(name, await tablesOf(req))]; },
    },
    '/stats': { GET: async (_r, name) => [200, await m.stats(name)] },
    '/status': { GET: async (_r, name) => [200, await m.status(name)] },
  };
}

export async function startTaskApiServer(o: TaskApiServerOptions): Promise<TaskApiServer> {
  if (o.token.length < 16) throw new Error('the API token must be at least 16 characters');
  const expected = digest(o.token);
  const table = routes(o.manager);
  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<number> => {
    let url: URL;
    try {
      url = new URL(req.url ?? '/', 'http://localhost');
    } catch {
      throw badRequest('the request target is not a valid path');
    }
    if (url.pathname === '/healthz' && req.method === 'GET') { send(res, 200, { status: 'ok' }); return 200; }
    if (!authorized(req.headers.authorization, expected)) {
      res.setHeader('www-authenticate', 'Bearer realm="ferry"');
      throw new ApiError(401, 'unauthorized', unauthorizedMessage(req.headers.authorization));
    }
    const m = /^\/tasks(?:\/([^/]+)(\/(?:start|stop|reload-table|tables|stats|status))?)?\/?$/.exec(url.pathname);
    if (!m) throw new ApiError(404, 'not_found', `no such endpoint: ${url.pathname} (see docs/api.md)`);
    const name = m[1] === undefined ? '' : decodeSegment(m[1]);
    const key = m[1] === undefined ? '' : m[2] ?? '/';
    const route = table[key]!;
    const handler = route[req.method ?? ''];
    if (!handler) {
      res.setHeader('allow', Object.keys(route).join(', '));
      throw new ApiError(405, 'method_not_allowed', `${req.method} is not allowed on ${url.pathname}; use ${Object.keys(route).join(' or ')}`);
    }
    const [status, body] = await handler(req, name, url);
    send(res, status, body);
    return status;
  };
  const server: Server = createServer((req, res) => {
    const started = performance.now();
    handle(req, res).then(
      (status) => o.log.debug({ method: req.method, path: req.url?.split('?')[0], status, ms: Math.round(performance.now() - started) }, 'api request'),
      (e: unknown) => {
        const err = e instanceof ApiError ? e : new ApiError(500, 'internal', redact(errorMessage(e)));
        if (err.status >= 500) o.log.error({ err: e, method: req.method, path: req.url?.split('?')[0] }, `api request failed: ${err.message}`);
        else o.log.info({ method: req.method, path: req.url?.split('?')[0], status: err.status, code: err.code }, 'api request refused');
        if (!res.headersSent) send(res, err.status, err.toJSON());
        else res.end();
        if (err.status === 413) req.destroy();
      },
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(o.port, o.host, () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  const host = o.host.includes(':') ? `[${o.host}]` : o.host;
  return {
    url: `http://${host}:${port}`,
    close: () => new Promise<void>((resolve) => { server.closeAllConnections(); server.close(() => resolve()); }),
  };
}
