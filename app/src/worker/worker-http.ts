/**
 * A cluster worker's HTTP endpoint (`ferry worker --http`, docs/cluster.md#http):
 *
 *   GET  /healthz   200 while the process and its membership loop respond
 *   GET  /readyz    200 once a member of the group and every assigned task runs; 503 {ready:false, reason}
 *   GET  /status    {workerId, cluster, generation, leader, members, tasks:[{name, owner, state}]}
 *   GET  /metrics   Prometheus text: the worker's gauges and its running tasks' metrics
 *   GET  /tasks, GET /tasks/{name}                      answered by any worker (from the config and status topics)
 *   POST /tasks, POST /tasks/{name}/start|stop, DELETE /tasks/{name}   forwarded to the leader, which writes the
 *        config topic (and so rebalances)
 *   GET /whoami, GET /tokens, POST /tokens, DELETE /tokens/{name}, GET /audit   as `ferry serve`'s (token writes forwarded)
 *
 * Access control (worker-routes.ts, docs/security.md): with `ferry worker --token`, every route but /healthz, /readyz
 * and /metrics needs a live token whose role suffices (serve's roles); forwarded calls carry the caller's
 * Authorization header and the leader checks it again. Calls that change state, refusals, and token and audit reads
 * are written to this worker's audit log (<state-dir>/audit.jsonl) before the answer.
 */
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { http } from '../../../core/src/node-http.ts';
import { errorMessage, FerryError } from '../../../core/src/errors.ts';
import { redact } from '../../../runtime/src/config/secrets.ts';
import { ConfigError, parseTaskAsync } from '../task-file/load-task.ts';
import { apiReferencePolicy, maskTaskSecrets } from '../task/secret-fields.ts';
import type { StoredTask } from '../tasks-api/task-store.ts';
import { DEFAULT_SECRET_ENV_PREFIX } from '../tasks-api/task-manager.ts';
import { ApiError, badRequest } from '../tasks-api/api-error.ts';
import { auditParams, type AuditContext } from '../tasks-api/audit-params.ts';
import { queryAuditFile, type AuditLog } from '../tasks-api/audit-log.ts';
import { auditQuery, unauthorizedMessage } from '../tasks-api/http-server.ts';
import { roleAllows } from '../tasks-api/routes.ts';
import type { ClusterWorker } from './ClusterWorker.ts';
import { parseSinkUnit } from './sink-units.ts';
import { matchWorkerRoute, type WorkerRoute } from './worker-routes.ts';
import { mergePrometheusText } from './merge-metrics.ts';

const NAME_RE = /^[A-Za-z0-9_.-]{1,200}$/;
const MAX_BODY = 1024 * 1024;
/** /healthz fails when the membership loop has not moved for this long (a join waits at most the rebalance timeout). */
const LOOP_STALL_MS = 30_000;
export const FORWARDED_HEADER = 'x-ferry-forwarded-by';

type Reply = { status: number; body: unknown; contentType?: string; headers?: Record<string, string> };

/**
 * Serves before the worker has joined (`worker()` undefined): /healthz answers, everything else is a 503.
 * `audit`: the worker's audit log (<state-dir>/audit.jsonl), or null for none. Access control is on when the worker
 * has tokens (ClusterWorker.tokens, from `ferry worker --token`).
 */
export function startWorkerHttp(worker: () => ClusterWorker | undefined, host: string, port: number, audit: AuditLog | null = null): Promise<Server> {
  const server = http.createServer((req, res) => {
    const w = worker();
    if (!w) {
      const alive = (req.url ?? '').startsWith('/healthz');
      return send(res, { status: alive ? 200 : 503, body: alive ? { ok: true, starting: true } : { ready: false, error: 'FERRY_CLUSTER_ERROR', reason: 'the worker is starting (reading the cluster topics, joining the group)' } });
    }
    const ctx: AuditContext = {};
    void serveRequest(w, audit, req, res, ctx).catch((e: unknown) => {
      const err = e instanceof ApiError ? e : new ApiError(500, 'internal', redact(errorMessage(e)));
      if (err.status === 401) res.setHeader('www-authenticate', 'Bearer realm="ferry"');
      void record(audit, req, ctx, err.status, err.code).catch((ae: unknown) => w.o.log.error({ err: ae }, 'the audit log could not record a refused call'))
        .finally(() => send(res, { status: err.status, body: err.toJSON() }));
    });
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve(server));
  });
}

/** Checks the route and the caller's token, runs the action, writes the audit entry, then answers. */
async function serveRequest(w: ClusterWorker, audit: AuditLog | null, req: IncomingMessage, res: ServerResponse, ctx: AuditContext): Promise<void> {
  const url = new URL(req.url ?? '/', 'http://worker');
  const path = url.pathname.replace(/\/+$/, '') || '/';
  const method = req.method ?? 'GET';
  const match = matchWorkerRoute(method, path);
  ctx.route = match?.route ?? null;
  if (match?.rawName !== undefined) { try { ctx.name = decodeURIComponent(match.rawName); } catch { throw badRequest('the path has a malformed percent-encoding'); } }
  if (w.tokens && match?.route?.role !== 'public') {
    const auth = w.tokens.authenticate(req.headers.authorization);
    ctx.auth = auth;
    if (!auth.ok) throw new ApiError(401, 'unauthorized', unauthorizedMessage(req.headers.authorization, auth));
  }
  if (!match) throw new ApiError(404, 'not_found', `no ${method} ${path} on a cluster worker (docs/cluster.md#http)`);
  if (!match.route) {
    res.setHeader('allow', match.allowed.join(', '));
    throw new ApiError(405, 'method_not_allowed', `${method} is not allowed on ${path}; use ${match.allowed.join(' or ')}`);
  }
  const route = match.route;
  const auth = ctx.auth;
  if (auth?.ok && !roleAllows(auth.role, route.role)) {
    throw new ApiError(403, 'forbidden', `${route.method} ${route.path} needs the ${route.role} role; the token "${auth.name}" has the ${auth.role} role (an admin issues tokens with \`ferry tokens create --role ${route.role}\`)`);
  }
  if (route.audited && audit?.failed) throw new ApiError(503, 'audit_unavailable', `the audit log cannot be written (${audit.failed.message}), so no audited call is carried out; fix the state folder and restart the worker`);
  const reply = await handle(w, audit, route, ctx, url, req);
  await record(audit, req, ctx, reply.status, reply.status >= 400 ? errorCodeOf(reply.body) : undefined);
  send(res, reply, reply.contentType);
}

function errorCodeOf(body: unknown): string | undefined {
  try {
    const o = (typeof body === 'string' ? JSON.parse(body) : body) as { error?: unknown };
    return typeof o?.error === 'string' ? o.error : typeof (o?.error as { code?: unknown })?.code === 'string' ? (o.error as { code: string }).code : undefined;
  } catch { return undefined; }
}

/** The audit entry of a call that changes state, of a refused one (401, 403), or of a token or audit read. */
async function record(audit: AuditLog | null, req: IncomingMessage, ctx: AuditContext, status: number, code?: string): Promise<void> {
  if (!audit) return;
  const refused = status === 401 || status === 403;
  if (!refused && !ctx.route?.audited) return;
  const auth = ctx.auth;
  const actor = auth === undefined ? { name: null, role: null }
    : auth.ok ? { name: auth.name, role: auth.role }
      : auth.reason === 'revoked' ? { name: auth.name ?? null, role: auth.role ?? null, revoked: true as const } : { name: null, role: null };
  const forwardedBy = req.headers[FORWARDED_HEADER];
  await audit.append({
    time: new Date().toISOString(), actor, source: { address: req.socket.remoteAddress ?? null },
    action: ctx.route?.action ?? 'unknown', method: req.method ?? '', path: (req.url ?? '').split('?')[0]!,
    params: { ...auditParams(ctx), ...(typeof forwardedBy === 'string' ? { forwardedBy } : {}) }, result: { status, ...(code !== undefined ? { code } : {}) },
  });
}

function send(res: ServerResponse, r: Reply, contentType = 'application/json'): void {
  if (res.headersSent) return;
  res.writeHead(r.status, { ...r.headers, 'content-type': contentType });
  res.end(typeof r.body === 'string' ? r.body : JSON.stringify(r.body));
}

async function readBody(req: IncomingMessage): Promise<string> {
  let size = 0;
  const chunks: Buffer[] = [];
  for await (const c of req) {
    size += (c as Buffer).length;
    if (size > MAX_BODY) throw new FerryError('FERRY_CONFIG_TOO_LARGE', 'the request body is larger than 1 MiB');
    chunks.push(c as Buffer);
  }
  return Buffer.concat(chunks).toString();
}

async function handle(w: ClusterWorker, audit: AuditLog | null, route: WorkerRoute, ctx: AuditContext, url: URL, req: IncomingMessage): Promise<Reply> {
  const name = ctx.name ?? '';
  switch (route.action) {
    case 'health': {
      const stalled = Date.now() - w.loopAlive;
      return stalled < LOOP_STALL_MS ? { status: 200, body: { ok: true } } : { status: 503, body: { ok: false, reason: `the membership loop has not moved for ${Math.round(stalled / 1000)} s` } };
    }
    case 'ready': return readiness(w);
    case 'cluster.status': return { status: 200, body: statusOf(w) };
    case 'metrics': {
      const texts = [await w.metrics.text()];
      for (const r of w.runs.values()) if (r.metrics) texts.push(await r.metrics.text());
      return { status: 200, body: mergePrometheusText(texts), contentType: 'text/plain; version=0.0.4' };
    }
    case 'whoami': return { status: 200, body: ctx.auth?.ok ? { name: ctx.auth.name, role: ctx.auth.role } : { name: null, role: null, accessControl: false } };
    case 'tasks.list': return { status: 200, body: { tasks: [...w.definitions.values()].sort((a, b) => a.name.localeCompare(b.name)).map((t) => taskView(w, t, false)) } };
    case 'tasks.get': {
      const t = w.definitions.get(name);
      return t ? { status: 200, body: { task: taskView(w, t, true) } } : notFound(name);
    }
    case 'tokens.list': return { status: 200, body: { tokens: w.tokens?.list() ?? [] } };
    case 'audit.read': {
      if (!audit) throw new ApiError(404, 'not_found', 'this worker keeps no audit log');
      const q = auditQuery(url, ctx);
      if (q.jsonl) throw badRequest('a cluster worker answers the audit log as format=json only');
      return { status: 200, body: await queryAuditFile(audit.file, q) };
    }
    default: break;
  }
  // The rest writes the config or tokens topic: done by the leader.
  if (!route.leader) throw new ApiError(500, 'internal', `no handler for ${route.action} on a cluster worker`);
  const view = w.view;
  if (!view) return { status: 503, body: { error: 'FERRY_CLUSTER_ERROR', message: 'this worker is not in the cluster right now (joining or rebalancing); retry in a few seconds' } };
  const body = req.method === 'POST' ? await readBody(req) : '';
  if (route.action === 'tasks.create') { try { ctx.definition = JSON.parse(body) as unknown; } catch { /* answered below */ } }
  if (route.action === 'tokens.create') { try { const o = JSON.parse(body) as { name?: unknown; role?: unknown }; ctx.token = { name: o?.name, role: o?.role }; } catch { /* answered below */ } }
  if (!view.isLeader) return forward(w, view.leader.url, req, body);
  switch (route.action) {
    case 'tasks.create': return createTask(w, body);
    case 'tokens.create': {
      if (!w.tokens) throw new ApiError(404, 'not_found', 'this cluster runs without access control (its workers have no --token): there are no tokens to issue');
      let o: { name?: unknown; role?: unknown };
      try { o = JSON.parse(body) as typeof o; } catch { throw badRequest('the body must be JSON: {"name": "...", "role": "viewer|operator|admin"}'); }
      const { token, view: v } = await w.tokens.create(o !== null && typeof o === 'object' ? o : {});
      return { status: 201, body: { token, ...v } };
    }
    case 'tokens.revoke': {
      if (!w.tokens) throw new ApiError(404, 'not_found', 'this cluster runs without access control (its workers have no --token)');
      ctx.token = { name };
      return { status: 200, body: await w.tokens.revoke(name) };
    }
    default: break;
  }
  const t = w.definitions.get(name);
  if (!t) return notFound(name);
  if (route.action === 'tasks.delete') {
    await w.deleteDefinition(name);
    return { status: 200, body: { deleted: name } };
  }
  const desired = route.action === 'tasks.start' ? 'running' : 'stopped';
  const next: StoredTask = { ...t, desired, updatedAt: t.desired === desired ? t.updatedAt : new Date().toISOString() };
  if (t.desired !== desired) await w.putDefinition(next);
  return { status: 200, body: { task: taskView(w, next, false) } };
}

function notFound(name: string): Reply {
  return { status: 404, body: { error: 'not_found', message: `no task named "${name}" in this cluster (GET /tasks lists them)` } };
}

function readiness(w: ClusterWorker): Reply {
  const v = w.view;
  if (!v) return { status: 503, body: { ready: false, reason: 'not a member of the cluster yet (joining or rebalancing)' } };
  const notRunning = v.tasks.filter((t) => w.runs.get(t)?.status.state !== 'running');
  if (notRunning.length > 0) return { status: 503, body: { ready: false, reason: `assigned tasks not running yet: ${notRunning.map((t) => `${t} (${w.runs.get(t)?.status.state ?? 'not started'})`).join(', ')}` } };
  return { status: 200, body: { ready: true, generation: v.generation, tasks: v.tasks } };
}

export function statusOf(w: ClusterWorker) {
  const v = w.view;
  const names = new Set([...w.definitions.keys(), ...Object.keys(v?.owners ?? {})]);
  return {
    workerId: w.o.workerId, cluster: w.o.cluster, generation: v?.generation ?? null, leader: v?.leader ?? null, isLeader: v?.isLeader ?? false,
    members: v?.members ?? [],
    tasks: [...names].sort().map((name) => ({ name, owner: v?.owners[name] ?? null, state: stateOf(w, name) })),
  };
}

function stateOf(w: ClusterWorker, name: string): string {
  const local = w.runs.get(name);
  if (local) return local.status.state;
  // A sink unit's state is known to its holder only (GET /status on that worker).
  if (parseSinkUnit(name)) return w.view?.owners[name] ? 'assigned' : 'unassigned';
  const def = w.definitions.get(name);
  if (def?.desired === 'stopped') return 'stopped';
  const owner = w.view?.owners[name];
  const s = w.statuses.get(name);
  if (!owner) return 'unassigned';
  return s && s.owner === owner ? s.state : 'starting';
}

/** A task as the cluster sees it; shaped like `ferry serve`'s TaskSummary (status, engine, …) so `ferry tasks` reads it. */
function taskView(w: ClusterWorker, t: StoredTask, withDefinition: boolean) {
  const s = w.statuses.get(t.name);
  const source = (t.definition.source ?? {}) as { engine?: string };
  const state = stateOf(w, t.name);
  return {
    name: t.name, status: state, state, desired: t.desired, owner: w.view?.owners[t.name] ?? null, reason: s?.reason ?? null, since: s?.since ?? null,
    engine: source.engine ?? null, migrationType: typeof t.definition.migrationType === 'string' ? t.definition.migrationType : null,
    createdAt: t.createdAt, updatedAt: t.updatedAt, ...(withDefinition ? { definition: maskTaskSecrets(t.definition) } : {}),
  };
}

async function createTask(w: ClusterWorker, text: string): Promise<Reply> {
  let doc: Record<string, unknown>;
  try {
    doc = JSON.parse(text) as Record<string, unknown>;
    if (doc === null || typeof doc !== 'object' || Array.isArray(doc)) throw new Error('not an object');
  } catch {
    return { status: 400, body: { error: 'invalid_task', message: 'the body must be a task document as a JSON object (docs/api.md)' } };
  }
  try {
    const sources = { envPrefix: DEFAULT_SECRET_ENV_PREFIX, fileDir: null };
    const task = await parseTaskAsync(doc, { file: 'task', cwd: w.o.stateDir, referencePolicy: apiReferencePolicy(doc, sources) });
    if (!NAME_RE.test(task.name)) return { status: 400, body: { error: 'invalid_task', message: `task name "${task.name}" must be 1-200 letters, digits, ".", "_" or "-"` } };
    if (!task.kafka) return { status: 400, body: { error: 'invalid_task', message: 'a cluster task needs a kafka block on the cluster\'s Kafka: its events, offset and state are written in one Kafka transaction (docs/cluster.md#limits)', problems: [{ path: 'kafka', message: 'required in a cluster' }] } };
    if (!task.kafka.brokers.some((b) => w.o.brokers.includes(b))) {
      return { status: 400, body: { error: 'invalid_task', message: `kafka.brokers (${task.kafka.brokers.join(', ')}) must name the cluster's Kafka (${w.o.brokers.join(', ')}): the task's events and its offset are committed in one transaction`, problems: [{ path: 'kafka.brokers', message: 'must be the cluster\'s Kafka' }] } };
    }
    if (w.definitions.has(task.name)) return { status: 409, body: { error: 'conflict', message: `a task named "${task.name}" already exists; choose another name (or delete that task first)` } };
    const now = new Date().toISOString();
    const record: StoredTask = { name: task.name, definition: doc, desired: 'running', status: { state: 'stopped', reason: null, since: now }, createdAt: now, updatedAt: now };
    await w.putDefinition(record);
    return { status: 201, body: { task: taskView(w, record, false) } };
  } catch (e: unknown) {
    if (e instanceof ConfigError) return { status: 400, body: { error: 'invalid_task', message: redact(e.message), problems: e.problems.map((p) => ({ path: p.path, message: redact(p.message) })) } };
    return { status: 400, body: { error: 'invalid_task', message: redact(errorMessage(e)) } };
  }
}

/**
 * Sends the request to the leader and relays its answer. The caller's Authorization header goes along unchanged: the
 * leader checks the token itself (the same token table, from the tokens topic), so a forwarded call is never trusted
 * for having been forwarded.
 */
function forward(w: ClusterWorker, leaderUrl: string, req: IncomingMessage, body: string): Promise<Reply> {
  if (req.headers[FORWARDED_HEADER]) return Promise.resolve({ status: 503, body: { error: 'FERRY_CLUSTER_ERROR', message: 'the cluster is changing leader; retry in a few seconds' } });
  return new Promise((resolve) => {
    const target = new URL(req.url ?? '/', leaderUrl);
    const headers: Record<string, string> = { 'content-type': req.headers['content-type'] ?? 'application/json', [FORWARDED_HEADER]: w.o.workerId };
    if (req.headers.authorization) headers.authorization = req.headers.authorization;
    const out = http.request(target, { method: req.method, headers, timeout: 30_000 }, (answer) => {
      const chunks: Buffer[] = [];
      answer.on('data', (c: Buffer) => chunks.push(c));
      answer.on('end', () => resolve({ status: answer.statusCode ?? 502, body: Buffer.concat(chunks).toString(), contentType: answer.headers['content-type'] ?? 'application/json', headers: { 'x-ferry-leader': leaderUrl } }));
      answer.on('error', (e) => resolve({ status: 503, body: { error: 'FERRY_CLUSTER_ERROR', message: `the leader at ${leaderUrl} broke off its answer (${errorMessage(e)}); retry` } }));
    });
    out.on('error', (e) => resolve({ status: 503, body: { error: 'FERRY_CLUSTER_ERROR', message: `the leader at ${leaderUrl} did not answer (${errorMessage(e)}); retry in a few seconds` } }));
    out.end(body);
  });
}
